"""`massage-coach info REC_DIR`: validate a recording and summarise it.

Prints duration, nominal and measured sample rate, channels, gaps, the ``complete`` flag,
calibration window, device and technique, label counts by direction, cue counts and any warnings
raised while reading. ``--json`` prints the same as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import warnings
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from analysis.events import CUE_NAMES, DIRECTIONS
from analysis.samples import FloatArray
from firmware_bridge.recordings.model import Recording
from firmware_bridge.recordings.reader import read_recording


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recording", metavar="REC_DIR", type=Path, help="a recording directory")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


@dataclass(frozen=True)
class RecordingSummary:
    """What ``info`` reports about one recording; times in s, rates in Hz."""

    path: str
    complete: bool
    samples: int
    start_s: float
    duration_s: float
    nominal_rate_hz: float
    measured_rate_hz: float | None
    channels: tuple[str, ...]
    gap_count: int
    gap_total_s: float
    calibration: tuple[float, float] | None
    device: str | None
    technique: str | None
    strokes_by_direction: dict[str, int] | None
    cues: dict[str, int] | None
    other_events: dict[str, int] | None
    warnings: tuple[str, ...]


def measured_rate_hz(t_s: FloatArray, gaps: tuple[tuple[float, float], ...]) -> float | None:
    """Samples per second over the sample intervals that do not span a recorded gap.

    ``None`` with fewer than two samples. Intervals that bridge a gap (lost packets) would make
    the rate look lower than what the device delivered, so they are left out.
    """
    if len(t_s) < 2:
        return None
    steps = np.diff(t_s)
    keep = np.ones(len(steps), dtype=bool)
    for before_s, after_s in gaps:
        # the interval from the last sample at or before `before` to the next one spans the gap
        i = int(np.searchsorted(t_s, before_s, side="right")) - 1
        if 0 <= i < len(steps) and t_s[i + 1] >= after_s:
            keep[i] = False
    total_s = float(steps[keep].sum())
    return float(keep.sum()) / total_s if total_s > 0 else None


def summarise(recording: Recording) -> RecordingSummary:
    """The summary of a recording already read and validated."""
    samples, meta = recording.samples, recording.meta
    channels = ["acc"]
    if samples.has_gyro:
        channels.append("gyro")
    if samples.has_force:
        channels.append("force")
    device = None
    if meta.device:
        name = meta.device.get("name")
        profile = meta.device.get("profile")
        device = " ".join(
            part
            for part in (
                str(name) if name is not None else None,
                f"({profile})" if profile is not None else None,
            )
            if part
        ) or json.dumps(meta.device)
    labels = recording.labels
    return RecordingSummary(
        path=str(recording.path),
        complete=meta.complete,
        samples=len(samples),
        start_s=float(samples.t_s[0]),
        duration_s=recording.duration_s,
        nominal_rate_hz=meta.sample_rate_hz,
        measured_rate_hz=measured_rate_hz(samples.t_s, meta.gaps),
        channels=tuple(channels),
        gap_count=len(meta.gaps),
        gap_total_s=float(sum(after - before for before, after in meta.gaps)),
        calibration=(
            None if meta.calibration is None else (meta.calibration.onset_s, meta.calibration.end_s)
        ),
        device=device,
        technique=meta.technique,
        strokes_by_direction=(
            None if labels is None else dict(Counter(s.direction for s in labels.strokes))
        ),
        cues=None if labels is None else dict(Counter(c.cue for c in labels.cues)),
        other_events=None if labels is None else dict(Counter(o.label for o in labels.others)),
        warnings=recording.warnings,
    )


def _counts(counts: dict[str, int], order: tuple[str, ...] = ()) -> str:
    names = [n for n in order if n in counts] + sorted(n for n in counts if n not in order)
    return ", ".join(f"{name} {counts[name]}" for name in names)


def format_summary(summary: RecordingSummary) -> str:
    """The human-readable lines printed by ``info``."""
    rows: list[tuple[str, str]] = [
        ("recording", summary.path),
        ("complete", "yes" if summary.complete else "no (interrupted or still being written)"),
        (
            "duration",
            f"{summary.duration_s:.3f} s ({summary.samples} samples, "
            f"t = {summary.start_s:.3f} s to {summary.start_s + summary.duration_s:.3f} s)",
        ),
        (
            "rate",
            f"{summary.nominal_rate_hz:g} Hz nominal, "
            + (
                "measured: too few samples"
                if summary.measured_rate_hz is None
                else f"{summary.measured_rate_hz:.2f} Hz measured"
            ),
        ),
        ("channels", ", ".join(summary.channels)),
        (
            "gaps",
            "none"
            if summary.gap_count == 0
            else f"{summary.gap_count}, {summary.gap_total_s:.3f} s without samples",
        ),
        (
            "calibration",
            "none"
            if summary.calibration is None
            else f"{summary.calibration[0]:.3f} s to {summary.calibration[1]:.3f} s",
        ),
        ("device", summary.device or "not recorded"),
        ("technique", summary.technique or "not recorded"),
    ]
    if summary.strokes_by_direction is None:
        rows.append(("labels", "none (no labels.csv)"))
    else:
        total = sum(summary.strokes_by_direction.values())
        strokes = _counts(summary.strokes_by_direction, DIRECTIONS)
        rows.append(("labels", f"{total} strokes" + (f": {strokes}" if strokes else "")))
        rows.append(("cues", _counts(summary.cues or {}, CUE_NAMES) or "none"))
        if summary.other_events:
            rows.append(("other labels", _counts(summary.other_events)))
    rows.append(("warnings", str(len(summary.warnings)) if summary.warnings else "none"))
    width = max(len(key) for key, _ in rows)
    lines = [f"{key:<{width}}  {value}" for key, value in rows]
    lines += [f"  {warning}" for warning in summary.warnings]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    with warnings.catch_warnings():
        # the warnings are part of the summary; printed by Python they would add a source line
        warnings.simplefilter("ignore")
        recording = read_recording(args.recording)
    summary = summarise(recording)
    if args.json:
        print(json.dumps(asdict(summary), indent=2))
    else:
        print(format_summary(summary))
    return 0
