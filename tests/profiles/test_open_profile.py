"""The open profile against its documented layout (firmware_bridge/README.md), loss detection,
time unwrapping, configuration, and round trips; plus profile detection."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from firmware_bridge.profiles import (
    PROFILES,
    SERVICE_UUIDS,
    make_profile,
    open_profile,
    profile_for_services,
)
from firmware_bridge.profiles.base import DecodeError, ProfileConfigError

README = Path(__file__).resolve().parents[2] / "firmware_bridge" / "README.md"


def _documented_packet(
    counter: int, time_us: int, period_us: int, samples: list[tuple[int, ...]]
) -> bytes:
    """Bytes built from the README's table by hand: <BBBBIII header, then int16/uint16 fields."""
    flags = 0x01 | 0x02
    out = struct.pack("<BBBBIII", 1, flags, len(samples), 0, counter, time_us, period_us)
    for ax, ay, az, gx, gy, gz, f in samples:
        out += struct.pack("<hhhhhhH", ax, ay, az, gx, gy, gz, f)
    return out


def test_documented_layout_decodes_to_the_documented_units() -> None:
    raw = _documented_packet(
        counter=41,
        time_us=1_000_000,
        period_us=2404,
        samples=[(1000, -20, 0, 15, -305, 0, 1234), (0, 0, -1000, 32767, -32768, 1, 65535)],
    )
    packet = make_profile("massage-coach").decode(open_profile.DATA_UUID.upper(), raw)
    assert packet.channel == "imu"
    assert packet.sequence == 41
    np.testing.assert_array_equal(packet.native, [[1000, -20, 0], [0, 0, -1000]])
    assert packet.native_gyro is not None
    np.testing.assert_allclose(packet.native_gyro, [[1.5, -30.5, 0], [3276.7, -3276.8, 0.1]])
    assert packet.force_n is not None
    np.testing.assert_allclose(packet.force_n, [12.34, 655.35])
    assert packet.device_time_s is not None
    np.testing.assert_allclose(packet.device_time_s, [1.0, 1.002404])
    assert packet.acc_mps2 is not None
    assert packet.gyro_radps is not None
    np.testing.assert_allclose(packet.acc_mps2[0], [9.80665, -0.196133, 0])
    np.testing.assert_allclose(packet.gyro_radps[0], np.array([1.5, -30.5, 0]) * math.pi / 180)


def test_acc_only_packet() -> None:
    raw = struct.pack("<BBBBIII", 1, 0, 1, 0, 7, 0, 10_000) + struct.pack("<hhh", 1, 2, 3)
    packet = open_profile.OpenProfile().decode(open_profile.DATA_UUID, raw)
    assert packet.channel == "acc"
    assert packet.gyro_radps is None
    assert packet.force_n is None


def test_readme_documents_the_uuids_and_layout() -> None:
    text = README.read_text(encoding="utf-8").lower()
    for uuid in (
        open_profile.SERVICE_UUID,
        open_profile.DATA_UUID,
        open_profile.CONFIG_UUID,
        open_profile.FEEDBACK_UUID,
    ):
        assert uuid in text
    assert "0.1 °/s" in text
    assert "0.01 n" in text
    assert "counter" in text


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        bytes(15),
        struct.pack("<BBBBIII", 2, 0, 1, 0, 0, 0, 1) + bytes(6),  # version 2
        struct.pack("<BBBBIII", 1, 4, 1, 0, 0, 0, 1) + bytes(6),  # unknown flag
        struct.pack("<BBBBIII", 1, 0, 0, 0, 0, 0, 1),  # no samples
        struct.pack("<BBBBIII", 1, 0, 1, 0, 0, 0, 0) + bytes(6),  # zero period
        struct.pack("<BBBBIII", 1, 1, 1, 0, 0, 0, 1) + bytes(6),  # gyro flag, acc-only body
        struct.pack("<BBBBIII", 1, 0, 1, 0, 0, 0, 1) + bytes(7),  # one byte too many
    ],
)
def test_malformed_packets(raw: bytes) -> None:
    with pytest.raises(DecodeError):
        open_profile.parse_packet(raw)


def test_packets_fit_a_244_byte_notification() -> None:
    assert open_profile.max_samples_per_packet(False, False) == 38
    assert open_profile.max_samples_per_packet(True, False) == 19
    assert open_profile.max_samples_per_packet(True, True) == 16
    acc = np.zeros((100, 3))
    packets = open_profile.encode_packets(acc, acc, np.zeros(100), period_us=2404)
    assert [len(p) for p in packets] == [16 + 16 * 14] * 6 + [16 + 4 * 14]
    assert max(len(p) for p in packets) <= 244


def test_stream_counts_lost_samples_and_unwraps_time() -> None:
    period = 1_000_000  # 1 s, so a few packets cross the 32-bit µs wrap
    start = 2**32 - 3 * period
    packets = open_profile.encode_packets(
        np.zeros((40, 3)),
        first_counter=2**32 - 50,
        start_time_us=start,
        period_us=period,
        payload_bytes=16 + 6 * 10,
    )
    stream = open_profile.OpenProfileStream()
    steps = [stream.push(p) for i, p in enumerate(packets) if i != 2]  # lose the third
    assert [s.lost_samples for s in steps] == [0, 0, 10]
    times = np.concatenate([s.device_time_s for s in steps])
    assert np.all(np.diff(times) > 0)
    expected = (start + period * np.r_[0:20, 30:40]) * 1e-6
    np.testing.assert_allclose(times, expected)
    counters = [s.packet.sequence for s in steps]
    assert counters == [2**32 - 50, 2**32 - 40, (2**32 - 50 + 30) % 2**32]


def test_stream_treats_a_counter_reset_as_a_restart() -> None:
    stream = open_profile.OpenProfileStream()
    stream.push(open_profile.encode_packet(np.zeros((5, 3)), counter=1000, time_us=5, period_us=10))
    step = stream.push(
        open_profile.encode_packet(np.zeros((5, 3)), counter=0, time_us=0, period_us=10)
    )
    assert step.lost_samples == 0


def test_config_round_trip_and_validation() -> None:
    config = open_profile.OpenConfig(
        sample_rate_hz=416, acc_range_g=16, gyro_range_dps=2000, gyro=True, force=True
    )
    raw = open_profile.encode_config(config)
    assert raw == struct.pack("<BBHBBH", 1, 3, 416, 16, 0, 2000)
    assert open_profile.decode_config(raw) == config
    with pytest.raises(ProfileConfigError):
        open_profile.encode_config(open_profile.OpenConfig(acc_range_g=3))
    with pytest.raises(DecodeError):
        open_profile.decode_config(raw[:-1])


def test_feedback_codes() -> None:
    assert open_profile.encode_feedback(None) == b"\x00"
    assert open_profile.encode_feedback("switch_up") == b"\x01"
    assert open_profile.encode_feedback("slow_down") == b"\x02"
    assert open_profile.encode_feedback("lighter") == b"\x03"
    with pytest.raises(ProfileConfigError):
        open_profile.encode_feedback("dance")


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 16),
    has_gyro=st.booleans(),
    has_force=st.booleans(),
    counter=st.integers(0, 2**32 - 1),
    time_us=st.integers(0, 2**32 - 1),
    period_us=st.integers(1, 2**32 - 1),
)
def test_round_trip(
    data: st.DataObject,
    n: int,
    has_gyro: bool,
    has_force: bool,
    counter: int,
    time_us: int,
    period_us: int,
) -> None:
    acc = data.draw(hnp.arrays(np.float64, (n, 3), elements=st.floats(-32000, 32000)))
    gyro = (
        data.draw(hnp.arrays(np.float64, (n, 3), elements=st.floats(-3276, 3276)))
        if has_gyro
        else None
    )
    force = data.draw(hnp.arrays(np.float64, n, elements=st.floats(0, 655))) if has_force else None
    raw = open_profile.encode_packet(
        acc, gyro, force, counter=counter, time_us=time_us, period_us=period_us
    )
    assert len(raw) <= 244
    packet = open_profile.parse_packet(raw)
    assert (packet.counter, packet.time_us, packet.period_us) == (counter, time_us, period_us)
    np.testing.assert_allclose(packet.acc_mg, acc, atol=0.5 + 1e-9)
    if gyro is None:
        assert packet.gyro_dps is None
    else:
        assert packet.gyro_dps is not None
        np.testing.assert_allclose(packet.gyro_dps, gyro, atol=0.05 + 1e-9)
    if force is None:
        assert packet.force_n is None
    else:
        assert packet.force_n is not None
        np.testing.assert_allclose(packet.force_n, force, atol=0.005 + 1e-9)


def test_encoder_saturates_like_a_sensor() -> None:
    raw = open_profile.encode_packet(
        [[40000, -40000, 0]], [[5000, -5000, 0]], [-1.0], counter=0, time_us=0, period_us=1
    )
    packet = open_profile.parse_packet(raw)
    np.testing.assert_array_equal(packet.acc_mg, [[32767, -32768, 0]])
    assert packet.force_n is not None
    assert packet.force_n[0] == 0


# ---------------------------------------------------------------- registry


def test_every_profile_is_registered_with_its_service() -> None:
    assert set(PROFILES) == {"massage-coach", "polar-pmd", "thingy52", "microbit", "witmotion"}
    for name in PROFILES:
        profile = make_profile(name)
        assert profile.name == name
        assert SERVICE_UUIDS[profile.service_uuid] == name


@pytest.mark.parametrize(
    ("uuids", "expected"),
    [
        (["FB005C80-02E7-F387-1CAD-8ACD2D8DF0C8"], "polar-pmd"),
        (
            ["0000180d-0000-1000-8000-00805f9b34fb", "fb005c80-02e7-f387-1cad-8acd2d8df0c8"],
            "polar-pmd",
        ),
        (["ef680400-9b35-4933-9b10-52ffa9740042"], "thingy52"),
        (["EF680100-9B35-4933-9B10-52FFA9740042"], "thingy52"),
        (["e95d0753-251d-470a-a062-fa1922dfa9a8"], "microbit"),
        (["0000ffe5-0000-1000-8000-00805f9a34fb"], "witmotion"),
        (["0000ffe5-0000-1000-8000-00805f9b34fb"], None),  # the Bluetooth base is not WitMotion
        (
            ["d9a90001-fae7-4fe1-88bb-ff8af6691504", "0000ffe5-0000-1000-8000-00805f9a34fb"],
            "massage-coach",
        ),
        ([], None),
        (["0000180f-0000-1000-8000-00805f9b34fb"], None),
    ],
)
def test_profile_for_services(uuids: list[str], expected: str | None) -> None:
    assert profile_for_services(uuids) == expected


def test_unknown_profile_name_is_a_config_error_listing_the_known() -> None:
    with pytest.raises(ProfileConfigError, match="polar-pmd"):
        make_profile("fitbit")
