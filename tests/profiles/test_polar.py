"""Polar PMD: the vendor's public test vectors (shared/notes/devices.md, polar-ble-sdk tests),
control-point handling, timestamps, and encoder round trips."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from firmware_bridge.profiles import polar
from firmware_bridge.profiles.base import DecodeError, ProfileConfigError

ACC_COMPRESSED_TYPE1 = bytes.fromhex(
    "02 65 00 00 00 00 00 00 00 81 F1 FF 14 00 F0 03 06 01 7B 0F 08"
)
GYRO_COMPRESSED_TYPE0 = bytes.fromhex("05 FF FF FF FF FF FF FF 7F 80 EA FF 08 00 0D 00 03 01 DF 00")
H10_HEADER = bytes.fromhex("02 00 94 35 77 00 00 00 00 01")
# The whole 36-sample payload of the SDK's AccDataTest "process acc raw data frame type 1".
H10_CONTENT = bytes.fromhex(
    "F7FFFFFFE703F8FFFEFFE503F9FFFFFFE503FAFFFFFFE603FAFFFEFFE603F9FFFFFFE503"
    "F8FFFFFFE603F8FFFEFFE603FAFFFFFFE503FAFFFFFFE703FAFFFFFFE503F8FFFFFFE603"
    "F7FFFFFFE603F8FFFEFFE603F9FFFEFFE703F9FF0000E603F9FFFFFFE603F7FFFEFFE503"
    "F9FFFFFFE503F9FFFFFFE503FAFF0000E603F9FFFEFFE603F8FFFFFFE603F8FFFFFFE503"
    "F9FFFFFFE603F9FFFFFFE503FAFFFFFFE603F9FFFFFFE503F9FFFFFFE503F8FFFEFFE603"
    "F9FFFFFFE603F9FFFFFFE603F9FF0000E503F9FFFEFFE603F8FFFEFFE603F7FFFEFFE603"
)
# The SDK's AccDataTest "process acc compressed data type 0" payload (1 + 56 samples).
ACC_COMPRESSED_TYPE0 = bytes.fromhex(
    "7107F06A9E8D0A38BE5CBEBA2F96B3EE4BE5ADFB42B9EBBE4CFEBA2F92BFEE4BE4B1FB12"
    "B9ECBD3C3EBB2F8FD3DE4BE3B5F7D2B8EDBD307E7B2F8BE3CE8BE2BAF7A2B8EEBC20BE7B"
    "2F88F3CECBE1BDEF52F8EFBC18FE3B2F8403BFCBE0C2EF32B8F0BB044EBC2E8113AF0BE0"
    "C6EFF2F7F1B9FC7DBC2E7D279F4BDFCAEBC2F7F2B8ECCD7C2E7B378F4BDECEE392F7F3B8"
    "E00DFD2D774B7FCBDDD2DF6237F5B7D44DBD2D745B6FCBDCD7D73237F6B5C88D7D2D716B"
    "4F4BDCDCD3F236F7B4BCDDFD2C6F7B3F4BDBE0CFD236F8B2B02DBE2C6C8F1FCBDAE3C7A2"
    "76F9"
)
SETTINGS = bytes.fromhex("00 01 34 00 01 01 10 00 02 04 F5 00 F4 01 E8 03 D0 07 04 01 03")


def test_acc_compressed_type1_vector() -> None:
    frame = polar.parse_frame(ACC_COMPRESSED_TYPE1)
    assert frame.measurement_type == polar.MEASUREMENT_ACC
    assert frame.compressed
    assert frame.frame_type == 1
    assert frame.timestamp_ns == 0x65
    np.testing.assert_array_equal(frame.values, [[-15, 20, 1008], [-20, 17, 1008]])
    assert frame.native_unit == "mG"


def test_acc_compressed_type1_vector_timestamps_with_previous_frame() -> None:
    # SDK test: previous frame at 100 ns, this one stamps its last sample at 101 ns.
    times = polar.sample_times_ns(0x65, 2, previous_timestamp_ns=100)
    assert times is not None
    np.testing.assert_allclose(times, [100.5, 101.0])


def test_gyro_compressed_type0_vector() -> None:
    frame = polar.parse_frame(GYRO_COMPRESSED_TYPE0, factor=1.0)
    assert frame.measurement_type == polar.MEASUREMENT_GYRO
    assert frame.timestamp_ns == 0x7FFFFFFFFFFFFFFF
    np.testing.assert_array_equal(frame.values, [[-22, 8, 13], [-23, 11, 16]])
    assert frame.native_unit == "deg/s"


def test_gyro_factor_scales_the_values() -> None:
    frame = polar.parse_frame(GYRO_COMPRESSED_TYPE0, factor=0.5)
    np.testing.assert_allclose(frame.values, [[-11, 4, 6.5], [-11.5, 5.5, 8]])


def test_h10_raw_type1_vector() -> None:
    frame = polar.parse_frame(H10_HEADER + H10_CONTENT)
    assert frame.timestamp_ns == 2_000_000_000
    assert not frame.compressed
    assert frame.frame_type == 1
    assert frame.values.shape == (36, 3)
    np.testing.assert_array_equal(frame.values[:2], [[-9, -1, 999], [-8, -2, 997]])
    np.testing.assert_array_equal(frame.values[-1], [-9, -2, 998])


def test_h10_first_frame_times_come_from_the_rate_and_stamp_the_last_sample() -> None:
    decoder = polar.PolarStreamDecoder(polar.MEASUREMENT_ACC, sample_rate_hz=52)
    packet = decoder.decode(H10_HEADER + H10_CONTENT)
    assert len(packet) == 36
    assert packet.device_time_s is not None
    assert packet.device_time_s[-1] == pytest.approx(2.0, abs=1e-12)
    np.testing.assert_allclose(np.diff(packet.device_time_s), 1 / 52, rtol=1e-9)
    # The next frame's 36 samples share the time since this frame evenly.
    later = bytearray(H10_HEADER + H10_CONTENT)
    later[1:9] = (2_000_000_000 + 36 * 19_000_000).to_bytes(8, "little")
    nxt = decoder.decode(bytes(later))
    assert nxt.device_time_s is not None
    np.testing.assert_allclose(np.diff(nxt.device_time_s), 0.019, rtol=1e-9)
    assert nxt.device_time_s[0] == pytest.approx(2.019, abs=1e-9)
    # SI: mG → m/s².
    assert packet.acc_mps2 is not None
    np.testing.assert_allclose(packet.acc_mps2[0], np.array([-9, -1, 999]) * 9.80665e-3)


def test_acc_compressed_type0_vector_scales_by_factor_times_1000() -> None:
    factor = 2.44e-4
    frame = polar.parse_frame(
        bytes.fromhex("02 00 94 35 77 00 00 00 00 80") + ACC_COMPRESSED_TYPE0, factor=factor
    )
    assert frame.values.shape == (57, 3)
    # The SDK checks every sample lies within the ±8 g range.
    assert np.abs(frame.values).max() <= 8000
    ref = np.array([1905, 27376, -29282])
    second = ref + np.array([190, -105, -85])
    np.testing.assert_allclose(frame.values[0], ref * factor * 1000)
    np.testing.assert_allclose(frame.values[1], second * factor * 1000)


def test_settings_vector() -> None:
    parsed = polar.parse_settings(SETTINGS)
    assert set(parsed.sample_rates_hz) == {52}
    assert set(parsed.resolutions_bits) == {16}
    assert set(parsed.ranges) == {245, 500, 1000, 2000}
    assert set(parsed.channels) == {3}
    assert parsed.factor is None
    assert polar.encode_settings(parsed) == SETTINGS


def test_control_point_success_vector() -> None:
    response = polar.check_control_point_response(bytes.fromhex("F0 01 02 00 00 FF FF FF"))
    assert response.ok
    assert response.opcode == polar.OP_GET_SETTINGS
    assert response.measurement_type == polar.MEASUREMENT_ACC
    assert response.params == b"\xff\xff\xff"
    assert not response.more


def test_control_point_error_vector_becomes_a_clear_message() -> None:
    raw = bytes.fromhex("F0 01 06 07 00")
    assert polar.parse_control_point_response(raw).status == 7
    with pytest.raises(polar.PolarControlPointError) as caught:
        polar.check_control_point_response(raw)
    assert isinstance(caught.value, ProfileConfigError)
    assert caught.value.status == 7
    assert "error 7" in str(caught.value)
    assert "resolution" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "words"),
    [(6, "already"), (7, "resolution"), (8, "sample rate"), (9, "range"), (13, "charger")],
)
def test_each_documented_status_has_its_own_words(status: int, words: str) -> None:
    with pytest.raises(ProfileConfigError, match=words):
        polar.check_control_point_response(bytes([0xF0, 0x02, 0x02, status, 0x00]))


def test_unknown_status_still_raises_with_its_number() -> None:
    with pytest.raises(ProfileConfigError, match="error 99"):
        polar.check_control_point_response(bytes([0xF0, 0x02, 0x05, 99, 0x00]))


@pytest.mark.parametrize("raw", [b"", b"\xf0\x01", b"\x01\x02\x03\x04\x05"])
def test_malformed_control_point_is_a_decode_error(raw: bytes) -> None:
    with pytest.raises(DecodeError):
        polar.parse_control_point_response(raw)


def test_verity_acc_start_command_bytes() -> None:
    command = polar.start_command(
        polar.MEASUREMENT_ACC, sample_rate_hz=52, resolution_bits=16, range_value=8, channels=3
    )
    assert command == bytes.fromhex("02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03")
    # CHANNELS is one byte: the setting ends "04 01 03", never "04 01 03 00".
    assert command.endswith(b"\x04\x01\x03")


def test_gyro_start_get_settings_and_stop_commands() -> None:
    gyro = polar.start_command(polar.MEASUREMENT_GYRO, sample_rate_hz=416, range_value=2000)
    assert gyro == bytes.fromhex("02 05 00 01 A0 01 01 01 10 00 02 01 D0 07 04 01 03")
    assert polar.get_settings_command(polar.MEASUREMENT_GYRO) == b"\x01\x05"
    assert polar.stop_command(polar.MEASUREMENT_ACC) == b"\x03\x02"
    h10 = polar.start_command(polar.MEASUREMENT_ACC, sample_rate_hz=200, channels=None)
    assert h10 == bytes.fromhex("02 02 00 01 C8 00 01 01 10 00")


def test_start_command_rejects_values_that_do_not_fit() -> None:
    with pytest.raises(ProfileConfigError):
        polar.start_command(polar.MEASUREMENT_ACC, sample_rate_hz=70000)
    with pytest.raises(ProfileConfigError):
        polar.start_command(polar.MEASUREMENT_ACC, sample_rate_hz=52, channels=300)


def test_parse_command_reads_back_the_start_command() -> None:
    command = polar.parse_command(
        polar.start_command(polar.MEASUREMENT_GYRO, sample_rate_hz=208, range_value=1000)
    )
    assert command.opcode == polar.OP_START
    assert command.measurement_type == polar.MEASUREMENT_GYRO
    assert command.recording_type == 0
    assert dict(command.settings) == {0: 208, 1: 16, 2: 1000, 4: 3}


def test_start_response_factor() -> None:
    factor_bits = struct.pack("<f", 0.061035156)
    params = bytes([5, 1]) + factor_bits
    response = polar.check_control_point_response(
        polar.encode_control_point_response(polar.OP_START, polar.MEASUREMENT_GYRO, 0, params)
    )
    factor = polar.parse_start_response_factor(response.params)
    assert factor == pytest.approx(0.061035156, rel=1e-7)
    assert polar.parse_start_response_factor(b"") is None


def test_profile_routes_frames_by_type_byte_and_applies_configuration() -> None:
    profile = polar.PolarPmdProfile()
    profile.configure(polar.MEASUREMENT_GYRO, sample_rate_hz=52, factor=0.5)
    gyro = profile.decode(polar.PMD_DATA_UUID.upper(), GYRO_COMPRESSED_TYPE0)
    assert gyro.channel == "gyro"
    np.testing.assert_allclose(gyro.native, [[-11, 4, 6.5], [-11.5, 5.5, 8]])
    assert gyro.gyro_radps is not None
    np.testing.assert_allclose(gyro.gyro_radps, gyro.native * math.pi / 180)
    acc = profile.decode(polar.PMD_DATA_UUID, ACC_COMPRESSED_TYPE1)
    assert acc.channel == "acc"
    assert acc.device_time_s is None  # no rate configured, no previous frame
    with pytest.raises(DecodeError):
        profile.decode(polar.PMD_CONTROL_POINT_UUID, ACC_COMPRESSED_TYPE1)


def test_a_bad_frame_leaves_the_stream_state_alone() -> None:
    decoder = polar.PolarStreamDecoder(polar.MEASUREMENT_ACC, sample_rate_hz=52)
    decoder.decode(H10_HEADER + H10_CONTENT)
    with pytest.raises(DecodeError):
        decoder.decode(H10_HEADER + H10_CONTENT[:-1])
    assert decoder.previous_timestamp_ns == 2_000_000_000


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        bytes(10),
        H10_HEADER + H10_CONTENT[:5],  # not whole samples
        ACC_COMPRESSED_TYPE1[:-1],  # truncated delta block
        ACC_COMPRESSED_TYPE1 + b"\x06",  # half a block header
        bytes.fromhex("02650000000000000081F1FF1400F003") + b"\x21\x01" + bytes(13),  # 33 bits
        bytes.fromhex("00650000000000000001") + bytes(6),  # ECG
        bytes.fromhex("05650000000000000001") + bytes(6),  # raw gyro
    ],
)
def test_malformed_frames_raise_decode_error(frame: bytes) -> None:
    with pytest.raises(DecodeError):
        polar.parse_frame(frame)


_int16_rows = hnp.arrays(
    np.int64,
    st.tuples(st.integers(1, 60), st.just(3)),
    elements=st.integers(-32768, 32767),
)


@settings(max_examples=60, deadline=None)
@given(values=_int16_rows, ts=st.integers(0, 2**64 - 1))
def test_compressed_acc_round_trip(values: np.ndarray, ts: int) -> None:
    frame = polar.encode_acc_frame(values, ts)
    parsed = polar.parse_frame(frame)
    assert parsed.timestamp_ns == ts
    np.testing.assert_array_equal(parsed.values, values)


@settings(max_examples=60, deadline=None)
@given(values=_int16_rows, block=st.integers(1, 255))
def test_compressed_blocks_of_any_size_round_trip(values: np.ndarray, block: int) -> None:
    frame = polar.encode_compressed_frame(
        polar.MEASUREMENT_GYRO, 0, values, 5, max_block_samples=block
    )
    np.testing.assert_array_equal(polar.parse_frame(frame).values, values)


@settings(max_examples=60, deadline=None)
@given(
    frame_type=st.sampled_from([0, 1, 2]),
    data=st.data(),
)
def test_raw_acc_round_trip(frame_type: int, data: st.DataObject) -> None:
    bits = 8 * (frame_type + 1)
    values = data.draw(
        hnp.arrays(
            np.int64,
            st.tuples(st.integers(1, 40), st.just(3)),
            elements=st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1),
        )
    )
    frame = polar.encode_raw_frame(polar.MEASUREMENT_ACC, frame_type, values, 123)
    np.testing.assert_array_equal(polar.parse_frame(frame).values, values)


@settings(max_examples=60, deadline=None)
@given(
    values=hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 30), st.just(3)),
        elements=st.floats(-2000, 2000, width=32),
    )
)
def test_gyro_float_bits_round_trip(values: np.ndarray) -> None:
    frame = polar.encode_gyro_frame(values, 77, float_bits=True)
    parsed = polar.parse_frame(frame)
    assert parsed.frame_type == 1
    assert parsed.compressed
    np.testing.assert_array_equal(parsed.values, values.astype(np.float64))


@settings(max_examples=60, deadline=None)
@given(
    values=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.just(3)),
        elements=st.floats(-1900, 1900),
    ),
    factor=st.sampled_from([1.0, 0.061035156, 0.5]),
)
def test_gyro_int16_with_factor_round_trips_within_one_step(
    values: np.ndarray, factor: float
) -> None:
    parsed = polar.parse_frame(polar.encode_gyro_frame(values, 1, factor=factor), factor=factor)
    np.testing.assert_allclose(parsed.values, values, atol=factor / 2 + 1e-9)


def test_control_point_response_encoder_round_trip() -> None:
    raw = polar.encode_control_point_response(1, 2, 0, SETTINGS, more=True)
    response = polar.parse_control_point_response(raw)
    assert response.more
    assert polar.parse_settings(response.params).ranges == (245, 500, 1000, 2000)


def test_a_response_continued_over_several_notifications_joins_its_parameters() -> None:
    first = polar.check_control_point_response(
        polar.encode_control_point_response(1, 2, 0, SETTINGS[:10], more=True)
    )
    assert first.more
    whole = polar.continue_control_point_response(
        first, polar.encode_control_point_response(1, 2, 0, SETTINGS[10:])
    )
    assert not whole.more
    assert polar.parse_settings(whole.params).ranges == (245, 500, 1000, 2000)
