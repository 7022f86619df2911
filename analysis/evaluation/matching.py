"""Greedy temporal-IoU matching of detected strokes to labelled strokes (spec: "Scoring").

A detected stroke matches a labelled stroke when their temporal IoU is at least 0.3; matching is
greedy by IoU, highest first, one-to-one. Greedy is not optimal (it can leave a pair unmatched that
an assignment solver would match) but it is what the spec and every outside scorer use.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from analysis.events import Stroke

MIN_IOU: Final = 0.3
"""A pair with temporal IoU at or above this matches (spec)."""

_IOU_TOLERANCE: Final = 1e-9
"""An IoU that is 0.3 on paper may come out as 0.29999999999999993 in floating point; such a pair
must still match, so the threshold is compared with this much slack."""


@dataclass(frozen=True)
class Match:
    """One labelled stroke paired with one detected stroke.

    ``label_index``/``detected_index`` index the sequences handed to :func:`match_strokes`.
    """

    label_index: int
    detected_index: int
    iou: float


def temporal_iou(onset_a_s: float, end_a_s: float, onset_b_s: float, end_b_s: float) -> float:
    """Intersection over union of two time intervals (seconds); 0 when the union is empty.

    Examples
    --------
    >>> temporal_iou(0.0, 1.0, 0.5, 1.5)  # 0.5 shared of 1.5 covered
    0.3333333333333333
    """
    intersection = min(end_a_s, end_b_s) - max(onset_a_s, onset_b_s)
    if intersection <= 0.0:
        return 0.0
    union = max(end_a_s, end_b_s) - min(onset_a_s, onset_b_s)
    return intersection / union if union > 0.0 else 0.0


def candidate_pairs(
    labelled: Sequence[Stroke], detected: Sequence[Stroke], min_iou: float = MIN_IOU
) -> list[Match]:
    """Every (labelled, detected) pair whose temporal IoU reaches ``min_iou``, unordered."""
    order = sorted(range(len(detected)), key=lambda j: detected[j].onset_s)
    onsets = [detected[j].onset_s for j in order]
    # A detected stroke that overlaps a label starts before the label ends and ends after the
    # label starts; the longest detected stroke bounds how far back such a stroke can start.
    longest_s = max((max(s.duration_s, 0.0) for s in detected), default=0.0)
    pairs: list[Match] = []
    for i, label in enumerate(labelled):
        lo = bisect.bisect_left(onsets, label.onset_s - longest_s)
        hi = bisect.bisect_right(onsets, label.end_s)
        for position in range(lo, hi):
            j = order[position]
            iou = temporal_iou(label.onset_s, label.end_s, detected[j].onset_s, detected[j].end_s)
            if iou > 0.0 and iou >= min_iou - _IOU_TOLERANCE:
                pairs.append(Match(i, j, iou))
    return pairs


def match_strokes(
    labelled: Sequence[Stroke], detected: Sequence[Stroke], min_iou: float = MIN_IOU
) -> tuple[Match, ...]:
    """Greedy one-to-one matching by temporal IoU, highest first.

    Ties in IoU go to the earlier labelled stroke, then the earlier detected stroke (index order),
    so the result does not depend on hash or sort stability.

    Parameters
    ----------
    labelled, detected:
        Strokes with ``onset_s``/``duration_s`` in seconds on the recording clock.
    min_iou:
        The IoU a pair needs to match (spec: 0.3).

    Returns
    -------
    tuple of Match
        Ordered by ``label_index``.
    """
    pairs = candidate_pairs(labelled, detected, min_iou)
    pairs.sort(key=lambda m: (-m.iou, m.label_index, m.detected_index))
    used_labels: set[int] = set()
    used_detected: set[int] = set()
    matches: list[Match] = []
    for pair in pairs:
        if pair.label_index in used_labels or pair.detected_index in used_detected:
            continue
        used_labels.add(pair.label_index)
        used_detected.add(pair.detected_index)
        matches.append(pair)
    return tuple(sorted(matches, key=lambda m: m.label_index))
