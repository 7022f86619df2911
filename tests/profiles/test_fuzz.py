"""Fuzzing: 100 000 random and mutated packets per decoder raise nothing but DecodeError.

A seeded loop (not hypothesis) keeps the run fast and repeatable; the seeds are mutated from
valid packets of each profile's own encoder plus the vendors' public vectors.
"""

from __future__ import annotations

import contextlib
import random
import zlib
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.profiles import (
    make_profile,
    microbit,
    open_profile,
    polar,
    thingy52,
    witmotion,
)
from firmware_bridge.profiles.base import DecodedPacket, DecodeError
from firmware_bridge.profiles.registry import DATA_UUIDS

PACKETS_PER_DECODER = 100_000


def _valid_seeds(name: str) -> list[bytes]:
    rng = np.random.default_rng(7)
    if name == "polar-pmd":
        acc = rng.integers(-3000, 3000, (40, 3))
        gyro = rng.normal(0, 200, (30, 3))
        return [
            bytes.fromhex("02650000000000000081F1FF1400F00306017B0F08"),
            bytes.fromhex("05FFFFFFFFFFFFFF7F80EAFF08000D000301DF00"),
            polar.encode_acc_frame(acc, 10**15),
            polar.encode_acc_frame(acc[:20], 10**15, compressed=False, raw_frame_type=0 + 1),
            polar.encode_raw_frame(polar.MEASUREMENT_ACC, 2, acc[:10], 5),
            polar.encode_raw_frame(polar.MEASUREMENT_ACC, 0, acc[:10] // 100, 5),
            polar.encode_compressed_frame(polar.MEASUREMENT_ACC, 0, acc[:30], 9),
            polar.encode_gyro_frame(gyro, 10**16, factor=0.061),
            polar.encode_gyro_frame(gyro, 10**16, float_bits=True),
        ]
    if name == "thingy52":
        return [thingy52.encode_raw(rng.normal(0, 2, 3), rng.normal(0, 200, 3)) for _ in range(4)]
    if name == "microbit":
        return [microbit.encode_acc(rng.integers(-2000, 2000, 3)) for _ in range(4)]
    if name == "witmotion":
        frame = witmotion.encode_frame(rng.normal(0, 2, 3), rng.normal(0, 200, 3))
        return [frame, frame + frame]
    acc_mg = rng.normal(0, 1000, (16, 3))
    return [
        open_profile.encode_packet(acc_mg, counter=5, time_us=7, period_us=2404),
        open_profile.encode_packet(acc_mg, acc_mg, counter=5, time_us=7, period_us=2404),
        open_profile.encode_packet(
            acc_mg, acc_mg, np.abs(acc_mg[:, 0]) / 100, counter=1, time_us=2, period_us=3
        ),
    ]


def _mutate(rnd: random.Random, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(rnd.randint(1, 4)):
        kind = rnd.randrange(6)
        if kind == 0 and data:  # flip a bit
            i = rnd.randrange(len(data))
            data[i] ^= 1 << rnd.randrange(8)
        elif kind == 1 and data:  # truncate
            del data[rnd.randrange(len(data)) :]
        elif kind == 2:  # extend
            data += rnd.randbytes(rnd.randint(1, 40))
        elif kind == 3 and data:  # overwrite a byte
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        elif kind == 4 and data:  # drop a slice
            i = rnd.randrange(len(data))
            del data[i : i + rnd.randint(1, 8)]
        else:  # duplicate a slice
            i = rnd.randrange(len(data) + 1)
            data[i:i] = data[i : i + rnd.randint(1, 8)]
    return bytes(data)


def _packets(name: str, count: int, seed: int) -> Iterator[bytes]:
    rnd = random.Random(seed)
    seeds = _valid_seeds(name)
    for i in range(count):
        if i % 3 == 0:  # random bytes of random length
            yield rnd.randbytes(rnd.randint(0, 260))
        elif i % 3 == 1 and seeds[0]:  # random bytes behind a valid header
            base = rnd.choice(seeds)
            cut = rnd.randint(0, min(len(base), 16))
            yield base[:cut] + rnd.randbytes(rnd.randint(0, 244))
        else:
            yield _mutate(rnd, rnd.choice(seeds))


def _check(packet: DecodedPacket) -> None:
    n = len(packet)
    assert packet.native.shape[0] == n
    for arr in (packet.acc_mps2, packet.gyro_radps, packet.native_gyro):
        if arr is not None:
            assert arr.shape == (n, 3)
    if packet.device_time_s is not None:
        assert packet.device_time_s.shape == (n,)


@pytest.mark.parametrize(
    "name", ["polar-pmd", "thingy52", "microbit", "witmotion", "massage-coach"]
)
def test_decoder_raises_only_decode_error(name: str) -> None:
    profile = make_profile(name)
    if isinstance(profile, polar.PolarPmdProfile):
        profile.configure(polar.MEASUREMENT_ACC, sample_rate_hz=52, factor=None)
        profile.configure(polar.MEASUREMENT_GYRO, sample_rate_hz=52, factor=0.061)
    uuid = DATA_UUIDS[name]
    decoded = rejected = 0
    for payload in _packets(name, PACKETS_PER_DECODER, seed=zlib.crc32(name.encode())):
        try:
            packet = profile.decode(uuid, payload)
        except DecodeError:
            rejected += 1
        else:
            decoded += 1
            _check(packet)
    print(f"{name}: {decoded} decoded, {rejected} rejected")
    assert decoded + rejected == PACKETS_PER_DECODER
    # The mutations must reach the decoder's insides, not just bounce off its length check.
    assert decoded > 100
    assert rejected > 1000


@pytest.mark.parametrize(
    "parser",
    [polar.parse_control_point_response, polar.parse_settings, polar.parse_command],
)
def test_polar_control_point_parsers_raise_only_decode_error(
    parser: Callable[[bytes], object],
) -> None:
    rnd = random.Random(3)
    seeds = [
        bytes.fromhex("F001020000FFFFFF"),
        bytes.fromhex("00013400010110000204F500F401E803D007040103"),
        bytes.fromhex("020200013400010110000201080004010305010000803F"),
    ]
    for i in range(20_000):
        payload = rnd.randbytes(rnd.randint(0, 40)) if i % 2 else _mutate(rnd, rnd.choice(seeds))
        with contextlib.suppress(DecodeError):
            parser(payload)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(["polar-pmd", "thingy52", "microbit", "witmotion", "massage-coach"]),
    payload=st.binary(max_size=300),
)
def test_any_bytes_decode_or_raise_decode_error(name: str, payload: bytes) -> None:
    profile = make_profile(name)
    try:
        packet = profile.decode(DATA_UUIDS[name], payload)
    except DecodeError:
        return
    _check(packet)
