"""Where stroke detection loses its F1, sorted by physical cause, on simulated sessions.

Every labelled stroke the pipeline missed and every stroke it reported that matches no label is
put in one cause (the first that applies, in the order printed), from what the simulator knows
and the pipeline's own stream:

- false strokes: the return of a cycle reported beside its glide (two opposite linear strokes
  back to back — real glides are always separated by their return) or after it; a stroke within
  a repositioning move or a rest; one overlapping a labelled stroke but mistimed (IoU < 0.3); one
  in the first seconds after a packet-loss gap; the rest;
- missed strokes: in or just after a gap (every stage restarts there); right after a
  repositioning move (the velocity filter's rebound from the carry); overlapped by a detection
  that is mistimed or split; overlapped by none (not segmented, or its return reported in its
  place); each for linear and for cross/circular strokes.

Usage::

    uv run python bench/loss_taxonomy.py --seeds 0:100 --minutes 2 [--override has_gyro=True]

The figures of the closing notes' "where the F1 is lost" tables come from this script.
"""

from __future__ import annotations

import argparse
import ast
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from analysis.evaluation.matching import match_strokes
from analysis.events import OtherEvent, Stroke
from analysis.pipeline import classify_samples
from analysis.simulation import simulate_session
from analysis.stages.cadence import CONTIGUOUS_S
from analysis.stages.timebase import TimeBase
from analysis.techniques import get_profile

AFTER_GAP_S = 3.0
"""A stroke starting this soon after a gap counts as "after a gap", s (the velocity filter's
memory: its step response is below 15 % after 3 s)."""
RETURN_S = 1.0
"""A false linear stroke starting this soon after a labelled linear stroke the other way ends is
its return, s."""
AFTER_MOVE_S = 0.3
"""A labelled stroke starting this soon after a repositioning move ends counts as "after" it, s."""

FALSE_CAUSES = (
    "return reported beside its glide",
    "return reported after its glide",
    "in a repositioning move",
    "in a rest",
    "mistimed (overlaps a label, IoU < 0.3)",
    "after a gap",
    "elsewhere",
)
MISS_CAUSES = (
    "linear: in or after a gap",
    "linear: after a repositioning move",
    "linear: mistimed or split (a detection overlaps it)",
    "linear: no detection overlaps it (not segmented, or its return reported instead)",
    "cross/circular: in or after a gap",
    "cross/circular: after a repositioning move",
    "cross/circular: mistimed or split (a detection overlaps it)",
    "cross/circular: no detection overlaps it",
)


def _overlaps(a: Stroke, onset_s: float, end_s: float) -> bool:
    return a.onset_s < end_s and onset_s < a.end_s


def _within(others: Sequence[OtherEvent], stroke: Stroke, label: str) -> bool:
    return any(
        o.label == label and _overlaps(stroke, o.onset_s, o.onset_s + o.duration_s) for o in others
    )


def _after_gap(gap_ends_s: np.ndarray[Any, Any], stroke: Stroke) -> bool:
    """True when a gap ends inside the stroke or less than :data:`AFTER_GAP_S` before it."""
    k = int(np.searchsorted(gap_ends_s, stroke.end_s, side="right")) - 1
    return k >= 0 and stroke.onset_s - float(gap_ends_s[k]) < AFTER_GAP_S


def _false_cause(
    j: int,
    detected: Sequence[Stroke],
    labels: Sequence[Stroke],
    others: Sequence[OtherEvent],
    gap_ends_s: np.ndarray[Any, Any],
) -> str:
    d = detected[j]
    if d.is_linear:
        for k in (j - 1, j + 1):
            if 0 <= k < len(detected):
                n = detected[k]
                first, second = (n, d) if k < j else (d, n)
                if (
                    n.is_linear
                    and n.direction != d.direction
                    and 0.0 <= second.onset_s - first.end_s < CONTIGUOUS_S
                ):
                    return FALSE_CAUSES[0]
    if d.is_linear and any(
        g.is_linear and g.direction != d.direction and 0.0 <= d.onset_s - g.end_s < RETURN_S
        for g in labels
    ):
        return FALSE_CAUSES[1]
    if _within(others, d, "reposition"):
        return FALSE_CAUSES[2]
    if _within(others, d, "rest"):
        return FALSE_CAUSES[3]
    if any(_overlaps(g, d.onset_s, d.end_s) for g in labels):
        return FALSE_CAUSES[4]
    if _after_gap(gap_ends_s, d):
        return FALSE_CAUSES[5]
    return FALSE_CAUSES[6]


def _miss_cause(
    label: Stroke,
    detected: Sequence[Stroke],
    others: Sequence[OtherEvent],
    gap_ends_s: np.ndarray[Any, Any],
) -> str:
    base = 0 if label.is_linear else 4
    if _after_gap(gap_ends_s, label):
        return MISS_CAUSES[base]
    if any(
        o.label == "reposition" and 0.0 <= label.onset_s - (o.onset_s + o.duration_s) < AFTER_MOVE_S
        for o in others
    ):
        return MISS_CAUSES[base + 1]
    if any(_overlaps(d, label.onset_s, label.end_s) for d in detected):
        return MISS_CAUSES[base + 2]
    return MISS_CAUSES[base + 3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="0:40")
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--technique", default=None)
    parser.add_argument(
        "--override", action="append", default=[], help="key=value (python literal)"
    )
    args = parser.parse_args()
    lo, hi = (int(x) for x in args.seeds.split(":"))
    overrides = {k: ast.literal_eval(v) for k, v in (o.split("=", 1) for o in args.override)}
    false = Counter[str]()
    missed = Counter[str]()
    n_labels = n_detected = n_matched = 0
    for seed in range(lo, hi):
        sess = simulate_session(seed, args.minutes, args.technique, truth=False, **overrides)
        events = classify_samples(
            sess.samples, get_profile(sess.technique), sess.sample_rate_hz, sess.calibration
        )
        labels, detected = list(sess.labels.strokes), list(events.strokes)
        others = sess.labels.others
        steps = np.diff(sess.samples.t_s)
        gap_ends_s = sess.samples.t_s[1:][steps > TimeBase(sess.sample_rate_hz).gap_s]
        matches = match_strokes(labels, detected)
        matched_labels = {m.label_index for m in matches}
        matched_detected = {m.detected_index for m in matches}
        n_labels += len(labels)
        n_detected += len(detected)
        n_matched += len(matches)
        for j in range(len(detected)):
            if j not in matched_detected:
                false[_false_cause(j, detected, labels, others, gap_ends_s)] += 1
        for i, label in enumerate(labels):
            if i not in matched_labels:
                missed[_miss_cause(label, detected, others, gap_ends_s)] += 1
    precision = n_matched / max(n_detected, 1)
    recall = n_matched / max(n_labels, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    print(
        f"{hi - lo} sessions: {n_labels} labelled, {n_detected} detected, {n_matched} matched; "
        f"precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}"
    )
    for title, causes, counts, total in (
        ("false strokes", FALSE_CAUSES, false, n_detected),
        ("missed strokes", MISS_CAUSES, missed, n_labels),
    ):
        print(f"\n{title}: {sum(counts.values())} ({sum(counts.values()) / max(total, 1):.3f})")
        for cause in causes:
            print(f"  {counts[cause]:5d}  {counts[cause] / max(total, 1):.3f}  {cause}")


if __name__ == "__main__":
    main()
