"""Child process of the SIGKILL test: streams samples through RecordingWriter in real time.

    python stream_writer_child.py OUT_DIR RATE_HZ BATCH

After each append it prints ``<samples appended so far> <time.monotonic()>`` and flushes stdout,
so the parent knows what was appended when. Sample i has t = i / RATE_HZ and values that are a
known function of i (see ``expected_values``), so the parent can check every one it reads back.
It runs until killed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from analysis.samples import SampleBatch
from firmware_bridge.recordings.model import RecordingMeta
from firmware_bridge.recordings.writer import RecordingWriter


def expected_values(index: np.ndarray, rate_hz: float) -> SampleBatch:
    i = index.astype(np.float64)
    return SampleBatch(
        t_s=i / rate_hz,
        acc_mps2=np.column_stack([np.sin(i / 7), np.cos(i / 11), 9.8 + 0.001 * (i % 100)]),
        gyro_radps=np.column_stack([0.01 * (i % 50), -0.02 * (i % 30), np.sin(i / 3)]),
        force_n=5.0 + (i % 17),
    )


def main() -> None:
    out_dir, rate_hz, batch = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    with RecordingWriter(
        out_dir, RecordingMeta(sample_rate_hz=rate_hz), has_gyro=True, has_force=True
    ) as writer:
        start = time.monotonic()
        n = 0
        while True:
            writer.append(expected_values(np.arange(n, n + batch), rate_hz))
            n += batch
            print(n, time.monotonic(), flush=True)
            time.sleep(max(0.0, start + n / rate_hz - time.monotonic()))


if __name__ == "__main__":
    main()
