"""Read time of a 1-hour 200 Hz recording (720 000 rows; the issue asks for ≤ 2 s).

Writes the recording (accelerometer, gyroscope and force, realistic magnitudes) once as
``samples.csv`` and once as ``samples.csv.gz`` to a temporary directory, then times
``read_recording`` on each (best of ``--repeat`` runs, wall time).

    uv run python bench/bench_read.py [--minutes 60] [--rate 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from analysis.samples import STANDARD_GRAVITY_MPS2, SampleBatch
from firmware_bridge.recordings.model import RecordingMeta
from firmware_bridge.recordings.reader import read_recording
from firmware_bridge.recordings.writer import write_recording


def synthetic_session(minutes: float, rate_hz: float, seed: int = 0) -> SampleBatch:
    rng = np.random.default_rng(seed)
    n = round(minutes * 60 * rate_hz)
    t_s = np.arange(n) / rate_hz
    acc = rng.normal(0.0, 2.0, (n, 3))
    acc[:, 2] += STANDARD_GRAVITY_MPS2
    return SampleBatch(
        t_s=t_s,
        acc_mps2=acc,
        gyro_radps=rng.normal(0.0, 1.5, (n, 3)),
        force_n=rng.uniform(0.0, 25.0, n),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    samples = synthetic_session(args.minutes, args.rate)
    meta = RecordingMeta(sample_rate_hz=args.rate)
    print(
        f"{len(samples)} rows, {args.minutes:g} min at {args.rate:g} Hz, columns t,ax..az,gx..gz,force"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for compress in (False, True):
            directory = Path(tmp) / ("gz" if compress else "csv")
            start = time.perf_counter()
            write_recording(directory, meta, samples, compress=compress)
            write_s = time.perf_counter() - start
            file = next(directory.glob("samples.csv*"))
            best_s = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                recording = read_recording(directory)
                best_s = min(best_s, time.perf_counter() - start)
            assert len(recording.samples) == len(samples)
            print(
                f"{file.name:15s} {file.stat().st_size / 1e6:7.1f} MB  "
                f"write {write_s:5.2f} s  read {best_s:5.2f} s (best of {args.repeat})"
            )


if __name__ == "__main__":
    main()
