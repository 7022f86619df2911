"""Speed of the stroke pipeline (issue 4, item 5). Prints figures; not a test.

- offline: a simulated 200 Hz session with accelerometer + gyro + force, classified causally in
  1-second chunks and in the offline path's own chunks (``OFFLINE_BATCH_SAMPLES``) on one core
  (simulation and parsing excluded): × real time and µs per sample;
- streaming: the same session fed in 10-sample batches (a BLE notification's worth): p50/p99 of
  the wall time per batch;
- cue latency: for every stroke and cue, the CPU time of the feed call that decided it (the
  decision is made while processing the sample that completes the stroke), and on the recording
  clock the time from a stroke's end to its decision (``emitted − end``).

Usage::

    uv run python bench/bench_pipeline.py [--minutes 5] [--seed 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from analysis.pipeline import OFFLINE_BATCH_SAMPLES, StrokePipeline, classify_samples
from analysis.simulation import simulate_session
from analysis.techniques import get_profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    sess = simulate_session(
        args.seed, args.minutes, "lymphatic", 200.0, has_force=True, device="polar-verity",
        truth=False,
    )  # fmt: skip
    samples = sess.samples
    assert samples.has_gyro
    assert samples.has_force
    profile = get_profile("lymphatic")
    duration_s = float(samples.t_s[-1] - samples.t_s[0])
    n = len(samples)

    # offline, best of 3
    # CPU time of this process: the machine is shared, wall time would measure the neighbours.
    # The output is the same for any chunk size, so offline may use long chunks.
    # 1 s chunks for comparison; OFFLINE_BATCH_SAMPLES is what classify and evaluate use.
    for chunk in (200, OFFLINE_BATCH_SAMPLES):
        best = np.inf
        for _ in range(3):
            t0 = time.process_time()
            events = classify_samples(samples, profile, 200.0, sess.calibration, batch_size=chunk)
            best = min(best, time.process_time() - t0)
        print(
            f"offline ({chunk} samples = {chunk / 200:.1f} s chunks): {best * 1e3:.0f} ms CPU → "
            f"{duration_s / best:.0f}× real time, {best / n * 1e6:.2f} µs/sample"
        )
    print(
        f"session: {duration_s:.0f} s at 200 Hz (acc+gyro+force), {n} samples, "
        f"{len(events.strokes)} strokes, {len(events.cues)} cues"
    )

    # streaming in 10-sample batches
    pipeline = StrokePipeline(profile, 200.0, sess.calibration)
    per_batch = []
    decided = []
    for batch in samples.chunks(10):
        t0 = time.process_time()
        update = pipeline.feed(batch)
        dt = time.process_time() - t0
        per_batch.append(dt)
        if update.strokes or update.cues:
            decided.append(dt)
    pb = np.array(per_batch) * 1e3
    print(
        f"streaming 10-sample batches (CPU time): p50 {np.percentile(pb, 50):.3f} ms, "
        f"p99 {np.percentile(pb, 99):.3f} ms, max {pb.max():.2f} ms"
    )
    dc = np.array(decided) * 1e3
    print(
        f"CPU time of the feed that decided a stroke/cue: p50 {np.percentile(dc, 50):.3f} ms, "
        f"max {dc.max():.2f} ms (target ≤ 50 ms)"
    )
    lat = np.array(
        [
            s.emitted_s - s.end_s
            for s in events.strokes
            if s.emitted_s is not None and s.emitted_s - s.end_s < 5.0
        ]
    )
    print(
        f"recording clock, stroke end → decision: median {np.median(lat) * 1e3:.0f} ms, "
        f"p90 {np.percentile(lat, 90) * 1e3:.0f} ms (calibration strokes excluded)"
    )


if __name__ == "__main__":
    main()
