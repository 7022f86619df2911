"""Wall time of ``massage-coach evaluate`` over N simulated recordings (the issue: 100 recordings of
2 minutes scored in ≤ 20 s with 2 jobs).

Writes N simulated labelled recordings (engineer B's simulator) to ``--dir`` (reused when it
already holds them), and for each a predictions file made from its labels with known damage
(5 % dropped, 5 % flipped, onsets jittered by up to 0.1 s, 3 % invented; 80 % of the owed cues
issued 1 s into their window, plus a few spurious ones). Then times the real command in a fresh
process, as a user would run it, with 1 job and with ``--jobs``; with ``--pipeline`` also the
project pipeline classifying every recording.

    uv run python bench/bench_evaluate.py [--n 100] [--minutes 2] [--jobs 2] [--dir DIR]
                                          [--pipeline]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from analysis.evaluation import score_cues
from analysis.events import Cue, EventTable, Stroke
from analysis.simulation import simulate_session
from analysis.techniques import get_profile
from firmware_bridge.recordings.events_csv import write_events
from firmware_bridge.recordings.writer import write_recording
from firmware_bridge.simulated import recording_meta

ROOT = Path(__file__).resolve().parents[1]


def damaged(labels: EventTable, technique: str, has_force: bool, seed: int) -> EventTable:
    """Predictions made from ``labels`` with known damage (see the module docstring)."""
    rng = np.random.default_rng(seed)
    strokes: list[Stroke] = []
    for stroke in labels.strokes:
        u = rng.random()
        if u < 0.05:
            continue
        if u < 0.10:
            flipped = {"up": "down", "down": "up", "cross": "circular", "circular": "cross"}
            stroke = replace(stroke, direction=flipped.get(stroke.direction, "up"))
        stroke = replace(
            stroke,
            onset_s=stroke.onset_s + float(rng.uniform(-0.1, 0.1)),
            emitted_s=stroke.end_s + 0.4,
        )
        strokes.append(stroke)
        if rng.random() < 0.03:
            strokes.append(Stroke(stroke.end_s + 0.2, 0.5, "up", emitted_s=stroke.end_s + 1.0))
    owed = score_cues(labels.linear_strokes(), [], get_profile(technique), has_force=has_force)
    cues = [Cue(w.start_s + 1.0, c.cue) for c in owed for w in c.windows if rng.random() < 0.8] + [
        Cue(float(rng.uniform(0.0, 100.0)), "switch_up") for _ in range(2)
    ]
    return EventTable(
        strokes=tuple(sorted(strokes, key=lambda s: s.onset_s)),
        cues=tuple(sorted(cues, key=lambda c: c.onset_s)),
    )


def build_set(directory: Path, n: int, minutes: float) -> float:
    """Write the recordings and predictions unless already there; return the seconds it took."""
    recordings, predictions = directory / "recordings", directory / "predictions"
    if len(list(predictions.glob("*.csv"))) == n:
        return 0.0
    predictions.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for i in range(n):
        session = simulate_session(1000 + i, minutes, truth=False)
        name = f"bench-{i:03d}"
        write_recording(recordings / name, recording_meta(session), session.samples, session.labels)
        events = damaged(session.labels, session.technique, session.samples.has_force, seed=i)
        write_events(predictions / f"{name}.csv", events)
    return time.perf_counter() - started


def time_evaluate(args: list[str]) -> tuple[float, int, dict[str, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        out_json = Path(tmp) / "figures.json"
        command = [sys.executable, "-m", "tui.cli", "evaluate", *args, "--json", str(out_json)]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        elapsed_s = time.perf_counter() - started
        if done.returncode not in (0, 2) or not out_json.exists():
            sys.exit(f"evaluate failed ({done.returncode}): {done.stderr.strip()}")
        return elapsed_s, done.returncode, json.loads(out_json.read_text())["summary"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--dir", type=Path, help="keep the generated set here (reused)")
    parser.add_argument("--pipeline", action="store_true", help="also time the project pipeline")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        built_s = build_set(directory, args.n, args.minutes)
        recordings, predictions = directory / "recordings", directory / "predictions"
        print(f"{args.n} simulated recordings of {args.minutes:g} min in {directory}")
        if built_s:
            print(f"  generated in {built_s:.1f} s (not part of the timing)")
        common = [str(recordings), "--predictions", str(predictions), "--no-progress"]
        runs = [("--predictions, 1 job", [*common, "--jobs", "1"])]
        runs.append((f"--predictions, {args.jobs} jobs", [*common, "--jobs", str(args.jobs)]))
        if args.pipeline:
            runs.append(
                (
                    f"project pipeline, {args.jobs} jobs",
                    [str(recordings), "--no-progress", "--jobs", str(args.jobs)],
                )
            )
        for label, command in runs:
            elapsed_s, status, summary = time_evaluate(command)
            print(
                f"  {label:<28} {elapsed_s:6.2f} s wall ({args.n / elapsed_s:5.1f} recordings/s), "
                f"exit {status}"
            )
            figures = ", ".join(
                f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                for k, v in summary.items()
                if k
                in ("detect_f1", "direction_acc_linear", "switch_up_recall", "cadence_err_median")
            )
            print(f"  {'':<28} {figures}")


if __name__ == "__main__":
    main()
