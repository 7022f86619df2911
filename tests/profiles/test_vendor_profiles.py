"""Thingy:52, micro:bit and WitMotion: layouts from the vendors' headers (devices.md), the
configuration and feedback bytes, and encoder round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from firmware_bridge.profiles import microbit, thingy52, witmotion
from firmware_bridge.profiles.base import DecodeError, ProfileConfigError

G = 9.80665

# ---------------------------------------------------------------- Thingy:52


def test_thingy_raw_layout_q610_q115_q124() -> None:
    # acc (1024, -1024, 512) Q6.10, gyro (32, -32, 1600) Q11.5, compass (16, -16, 800) Q12.4.
    payload = bytes.fromhex("0004 00FC 0002 2000 E0FF 4006 1000 F0FF 2003")
    sample = thingy52.parse_raw(payload)
    np.testing.assert_array_equal(sample.acc_g, [1.0, -1.0, 0.5])
    np.testing.assert_array_equal(sample.gyro_dps, [1.0, -1.0, 50.0])
    np.testing.assert_array_equal(sample.compass_ut, [1.0, -1.0, 50.0])
    packet = thingy52.Thingy52Profile().decode(thingy52.RAW_DATA_UUID.upper(), payload)
    assert packet.channel == "imu"
    assert len(packet) == 1
    assert packet.native_unit == "g"
    assert packet.native_gyro_unit == "deg/s"
    assert packet.acc_mps2 is not None
    assert packet.gyro_radps is not None
    np.testing.assert_allclose(packet.acc_mps2, [[G, -G, G / 2]])
    np.testing.assert_allclose(
        packet.gyro_radps, [[math.pi / 180, -math.pi / 180, 50 * math.pi / 180]]
    )


@pytest.mark.parametrize("length", [0, 17, 19, 36])
def test_thingy_raw_wrong_length(length: int) -> None:
    with pytest.raises(DecodeError):
        thingy52.parse_raw(bytes(length))


def test_thingy_motion_config_bytes() -> None:
    config = thingy52.MotionConfig(
        pedometer_interval_ms=1000,
        temperature_interval_ms=500,
        compass_interval_ms=200,
        motion_freq_hz=200,
        wake_on_motion=True,
    )
    raw = thingy52.encode_motion_config(config)
    assert raw == bytes.fromhex("E803 F401 C800 C800 01")
    assert thingy52.decode_motion_config(raw) == config


@pytest.mark.parametrize("freq", [0, 201])
def test_thingy_motion_rate_out_of_range_is_a_config_error(freq: int) -> None:
    with pytest.raises(ProfileConfigError, match="1–200 Hz"):
        thingy52.encode_motion_config(thingy52.MotionConfig(motion_freq_hz=freq))


def test_thingy_led_bytes() -> None:
    # ble_uis.h: mode 1 = constant, then r, g, b.
    assert thingy52.led_for_cue(None) == bytes([1, 0, 255, 0])
    assert thingy52.led_for_cue("switch_up") == bytes([1, 255, 0, 0])
    assert thingy52.LED_OFF == b"\x00"
    assert thingy52.led_constant(1, 2, 3) == b"\x01\x01\x02\x03"
    with pytest.raises(ProfileConfigError):
        thingy52.led_constant(256, 0, 0)


@settings(max_examples=80, deadline=None)
@given(
    acc=hnp.arrays(np.float64, 3, elements=st.floats(-31.9, 31.9)),
    gyro=hnp.arrays(np.float64, 3, elements=st.floats(-1000, 1000)),
)
def test_thingy_round_trip(acc: np.ndarray, gyro: np.ndarray) -> None:
    sample = thingy52.parse_raw(thingy52.encode_raw(acc, gyro))
    np.testing.assert_allclose(sample.acc_g, acc, atol=0.5 / 1024 + 1e-12)
    np.testing.assert_allclose(sample.gyro_dps, gyro, atol=0.5 / 32 + 1e-12)


# ---------------------------------------------------------------- micro:bit


def test_microbit_acc_layout_int16_milli_g() -> None:
    payload = bytes.fromhex("E803 18FC 0000")  # 1000, -1000, 0 mG
    packet = microbit.MicrobitProfile().decode(microbit.ACCELEROMETER_DATA_UUID, payload)
    assert packet.channel == "acc"
    assert packet.native_unit == "mG"
    assert packet.gyro_radps is None
    assert packet.native_gyro is None
    np.testing.assert_array_equal(packet.native, [[1000, -1000, 0]])
    assert packet.acc_mps2 is not None
    np.testing.assert_allclose(packet.acc_mps2, [[G, -G, 0]])


def test_microbit_period_and_rate() -> None:
    assert microbit.encode_period(20) == b"\x14\x00"
    assert microbit.decode_period(b"\x50\x00") == 80
    assert microbit.period_for_rate(50) == 20
    assert microbit.period_for_rate(100) == 10
    assert microbit.period_for_rate(7) == 160
    with pytest.raises(DecodeError):
        microbit.decode_period(b"\x01")


def test_microbit_arrows_are_five_rows_with_bit4_leftmost() -> None:
    up = microbit.ARROW_UP
    assert len(up) == 5
    assert all(b < 32 for b in up)
    rows = ["".join("#" if b & (1 << (4 - col)) else "." for col in range(5)) for b in up]
    assert rows == ["..#..", ".###.", "#.#.#", "..#..", "..#.."]
    assert bytes(reversed(up)) == microbit.ARROW_DOWN
    assert microbit.matrix_arrow("up") == up
    assert microbit.matrix_arrow("down") == microbit.ARROW_DOWN
    assert microbit.matrix_arrow("cross") == bytes(5)
    assert microbit.matrix_for_cue("switch_up") == up
    assert microbit.matrix_for_cue(None) == bytes(5)
    assert microbit.encode_text("Up!") == b"Up!"
    with pytest.raises(ProfileConfigError):
        microbit.encode_text("x" * 21)


@settings(max_examples=80, deadline=None)
@given(acc=hnp.arrays(np.int64, 3, elements=st.integers(-32768, 32767)))
def test_microbit_round_trip(acc: np.ndarray) -> None:
    np.testing.assert_array_equal(microbit.decode_acc(microbit.encode_acc(acc)), [acc])


# ---------------------------------------------------------------- WitMotion


def test_witmotion_frame_layout_and_scaling() -> None:
    # acc 2048 → 1 g; gyro 16384 → 1000 °/s; angle -16384 → -90°.
    payload = bytes.fromhex("55610008 0000 00F80040 0000 00C00000 0000 00C0")
    values = witmotion.parse_frames(payload)
    np.testing.assert_allclose(values, [[1, 0, -1, 1000, 0, -1000, 0, 0, -90]])
    packet = witmotion.WitMotionProfile().decode(witmotion.NOTIFY_UUID, payload)
    assert packet.channel == "imu"
    np.testing.assert_allclose(packet.native, [[1, 0, -1]])
    assert packet.native_gyro is not None
    np.testing.assert_allclose(packet.native_gyro, [[1000, 0, -1000]])


def test_witmotion_uuid_base_is_9a34fb() -> None:
    assert witmotion.SERVICE_UUID.endswith("9a34fb")
    assert witmotion.NOTIFY_UUID == "0000ffe4-0000-1000-8000-00805f9a34fb"
    assert witmotion.WRITE_UUID == "0000ffe9-0000-1000-8000-00805f9a34fb"


@pytest.mark.parametrize(
    "payload",
    [b"", bytes(19), b"\x55\x71" + bytes(18), b"\x55\x61" + bytes(17), b"\x55\x61" + bytes(38)],
)
def test_witmotion_bad_frames(payload: bytes) -> None:
    with pytest.raises(DecodeError):
        witmotion.parse_frames(payload)


def test_witmotion_commands() -> None:
    assert witmotion.rate_commands(50) == [
        bytes.fromhex("FF AA 69 88 B5"),
        bytes.fromhex("FF AA 03 08 00"),
        bytes.fromhex("FF AA 00 00 00"),
    ]
    assert witmotion.rate_commands(10)[1] == bytes.fromhex("FFAA030600")
    assert witmotion.rate_commands(100)[1] == bytes.fromhex("FFAA030900")
    assert witmotion.rate_commands(200)[1] == bytes.fromhex("FFAA030B00")
    assert witmotion.parse_register_write(bytes.fromhex("FFAA030B00")) == (3, 11)
    with pytest.raises(ProfileConfigError, match="offers"):
        witmotion.rate_commands(416)


@settings(max_examples=80, deadline=None)
@given(
    acc=hnp.arrays(np.float64, 3, elements=st.floats(-15.9, 15.9)),
    gyro=hnp.arrays(np.float64, 3, elements=st.floats(-1999, 1999)),
    angle=hnp.arrays(np.float64, 3, elements=st.floats(-179, 179)),
)
def test_witmotion_round_trip(acc: np.ndarray, gyro: np.ndarray, angle: np.ndarray) -> None:
    values = witmotion.parse_frames(witmotion.encode_frame(acc, gyro, angle))[0]
    np.testing.assert_allclose(values[0:3], acc, atol=16 / 32768 / 2 + 1e-12)
    np.testing.assert_allclose(values[3:6], gyro, atol=2000 / 32768 / 2 + 1e-9)
    np.testing.assert_allclose(values[6:9], angle, atol=180 / 32768 / 2 + 1e-9)
