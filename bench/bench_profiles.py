"""Decoder throughput per BLE profile, against what a 416 Hz ACC+GYRO stream needs.

Run: ``uv run python bench/bench_profiles.py`` — prints packets/s and samples/s per profile for
full-size packets from each profile's own encoder, and the CPU share one 416 Hz acc+gyro
stream would take.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Iterator

import numpy as np

from firmware_bridge.profiles import (
    make_profile,
    microbit,
    open_profile,
    polar,
    thingy52,
    witmotion,
)
from firmware_bridge.profiles.base import DeviceProfile
from firmware_bridge.profiles.registry import DATA_UUIDS

RATE_HZ = 416.0


def _payloads(name: str) -> list[bytes]:
    rng = np.random.default_rng(1)
    if name == "polar-pmd":
        acc = rng.normal(0, 500, (70, 3)).round()
        gyro = rng.normal(0, 100, (70, 3))
        ts = 10**15
        return [polar.encode_acc_frame(acc, ts), polar.encode_gyro_frame(gyro, ts, factor=0.061)]
    if name == "thingy52":
        return [thingy52.encode_raw(rng.normal(0, 1, 3), rng.normal(0, 100, 3))]
    if name == "microbit":
        return [microbit.encode_acc(rng.normal(0, 500, 3))]
    if name == "witmotion":
        return [witmotion.encode_frame(rng.normal(0, 1, 3), rng.normal(0, 100, 3))]
    n = open_profile.max_samples_per_packet(True, True)
    acc = rng.normal(0, 500, (n, 3))
    return [
        open_profile.encode_packet(
            acc, acc / 5, np.abs(acc[:, 0]) / 100, counter=0, time_us=0, period_us=2404
        )
    ]


def _decode_next(profile: DeviceProfile, uuid: str, cycle: Iterator[bytes]) -> None:
    profile.decode(uuid, next(cycle))


def _time(fn: Callable[[], object], seconds: float = 0.5) -> float:
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            fn()
        count += 100
    return count / (time.perf_counter() - start)


def main() -> None:
    print(f"{'profile':<14} {'packets/s':>10} {'samples/s':>11} {'CPU at 416 Hz acc+gyro':>24}")
    for name in DATA_UUIDS:
        profile = make_profile(name)
        uuid = DATA_UUIDS[name]
        payloads = _payloads(name)
        samples = sum(len(profile.decode(uuid, p)) for p in payloads) / len(payloads)
        cycle = itertools.cycle(payloads)
        rate = _time(functools.partial(_decode_next, profile, uuid, cycle))
        # Polar sends ACC and GYRO as separate frames: both streams count.
        streams = 2 if name == "polar-pmd" else 1
        load = streams * RATE_HZ / samples / rate
        print(f"{name:<14} {rate:>10.0f} {rate * samples:>11.0f} {load:>23.2%}")


if __name__ == "__main__":
    main()
