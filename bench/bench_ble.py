"""Benchmark: ACC+GYRO at 416 Hz through the real BLE stack without a radio.

bleak → D-Bus → BlueZoo → the simulated peripheral (open profile, or Polar PMD), for a minute.
Counts the samples the peripheral sent while the client listened against those the
:class:`~firmware_bridge.ble.source.BleSampleSource` delivered, and measures each notification's
latency from the peripheral's send (its log, ``time.monotonic``) to the source decoding it (the
same system-wide monotonic clock).

    uv run python bench/bench_ble.py                 # 416 Hz, 60 s, massage-coach profile
    uv run python bench/bench_ble.py --seconds 10 --profile polar-pmd
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from firmware_bridge.ble.source import BleSampleSource  # noqa: E402
from firmware_bridge.peripheral.server import read_log  # noqa: E402
from firmware_bridge.peripheral.stack import PERIPHERAL, BlueZooStack, kill_group  # noqa: E402
from firmware_bridge.profiles import open_profile  # noqa: E402


def packet_key(profile: str, payload: bytes) -> tuple[int, int]:
    """What identifies a notification: (first sample's counter or timestamp, stream)."""
    if profile == "massage-coach":
        return open_profile.HEADER.unpack_from(payload)[4], 0
    return int.from_bytes(payload[1:9], "little"), payload[0] & 0x3F


async def measure(profile: str, rate_hz: float, seconds: float) -> dict[str, Any]:
    source = await BleSampleSource.open("MC Bench", adapter="hci0", sample_rate_hz=rate_hz)
    received_at: dict[tuple[int, int], float] = {}
    decode = source.driver.decode

    def timed_decode(uuid: str, payload: bytes) -> Any:
        received_at[packet_key(profile, payload)] = time.monotonic()
        return decode(uuid, payload)

    source.driver.decode = timed_decode  # type: ignore[method-assign]
    samples = 0
    started = 0.0

    async def run() -> None:
        nonlocal samples, started
        async for batch in source.batches():
            if not started:
                started = time.monotonic()
            samples += len(batch)
            if time.monotonic() - started >= seconds:
                return

    await asyncio.wait_for(run(), seconds + 30)
    stopped = time.monotonic()
    await source.close()
    return {
        "samples": samples,
        "received_at": received_at,
        "started": started,
        "stopped": stopped,
        "stats": source.stats,
        "skew_ppm": source.timeline.clock.skew * 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=416.0)
    parser.add_argument(
        "--profile", choices=("massage-coach", "polar-pmd"), default="massage-coach"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, BlueZooStack() as stack:
        log_path = Path(tmp) / "peripheral.jsonl"
        peripheral = subprocess.Popen(
            [sys.executable, "-m", "firmware_bridge.peripheral", "--name", "MC Bench",
             "--profile", args.profile, "--rate", str(args.rate), "--adapter", PERIPHERAL,
             "--signal", "simple", "--log", str(log_path)],
            cwd=REPO, env=stack.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True,
        )  # fmt: skip
        try:
            assert peripheral.stdout is not None
            if not peripheral.stdout.readline().startswith("ready"):
                raise RuntimeError("the peripheral did not start")
            import os

            os.environ.update(stack.env)
            result = asyncio.run(measure(args.profile, args.rate, args.seconds))
        finally:
            kill_group(peripheral)
        records = read_log(log_path)

    sent = [r for r in records if "hex" in r and "event" not in r]
    # Notifications sent before the client stopped listening (and settled 0.2 s before).
    window = [r for r in sent if r["t"] <= result["stopped"] - 0.2]
    keys = [packet_key(args.profile, bytes.fromhex(r["hex"])) for r in window]
    got = [k in result["received_at"] for k in keys]
    lat = np.array(
        [
            result["received_at"][k] - r["t"]
            for k, r in zip(keys, window, strict=True)
            if k in result["received_at"]
        ]
    )
    per_stream = 2 if args.profile == "polar-pmd" else 1
    # Sent samples the client was listening for: every notification it got, plus any it should
    # have got (sent before the settled window's end) but did not.
    listened = [
        r
        for r in sent
        if packet_key(args.profile, bytes.fromhex(r["hex"])) in result["received_at"]
        or r["t"] <= result["stopped"] - 0.2
    ]
    sent_samples = sum(r["n"] for r in listened) // per_stream
    lost_packets = len(got) - sum(got)
    stats = result["stats"]
    duration = result["stopped"] - result["started"]
    print(f"profile {args.profile}, {args.rate:g} Hz ACC+GYRO, {duration:.1f} s through BlueZoo")
    print(f"notifications sent {len(window)} (until 0.2 s before the stop), "
          f"received {sum(got)}, lost {lost_packets}")  # fmt: skip
    print(f"samples sent while listening {sent_samples}, delivered {result['samples']}, "
          f"lost (source's count) {stats.lost_samples}, gaps {len(stats.gaps)}, "
          f"corrupt {stats.corrupt_packets}")  # fmt: skip
    print(f"delivered rate {result['samples'] / duration:.1f} samples/s")
    if lat.size:
        p50, p95, p99 = np.percentile(lat * 1e3, [50, 95, 99])
        print(f"latency send->decode ms: median {p50:.2f}, p95 {p95:.2f}, p99 {p99:.2f}, "
              f"max {lat.max() * 1e3:.2f}")  # fmt: skip
    print(f"estimated device clock skew {result['skew_ppm']:+.1f} ppm")
    return 0 if lost_packets == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
