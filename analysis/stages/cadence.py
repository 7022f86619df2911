"""Cadence of linear strokes, strokes/min.

The spec defines the cadence at linear stroke k as ``60 × 3 / (onset_k − onset_{k−3})``. Counted
over the pipeline's own decisions that span is fragile in two physical ways, and the tracker
corrects both so that the ``slow_down`` cue follows the user's real pace:

- **Both halves of one back-and-forth.** Between two loaded glides the hand must return (lifted or
  light), which takes time: two real glides are never contiguous. A linear stroke that starts
  within :data:`CONTIGUOUS_S` of the previous one's end, in the opposite direction, is the other
  half of the same cycle (a return decided as a glide, or the glide after a return decided as one);
  it does not start a new cycle and its onset is not counted.
- **One missed stroke.** Self-massage strokes come at a steady rhythm (a few % from stroke to
  stroke). When one of the three intervals of the span is about twice the mean of the other two,
  one stroke in it went undetected, and the span holds four strokes' worth of time, not three.
"""

from __future__ import annotations

from collections import deque
from itertools import pairwise

CONTIGUOUS_S = 0.2
"""A stroke starting less than this after the previous linear stroke's end, in the opposite
direction, belongs to the same back-and-forth cycle (s). Real glides are separated by their
return, which takes about a quarter second even at a brisk 120 strokes/min; both halves of one
cycle decided as strokes follow each other within the segmentation's turn-around time."""
MISSED_RATIO = 1.8
MAX_MISSED_RATIO = 2.25
"""An interval between these multiples of the mean of the other two is about two periods: it
holds one missed stroke. The band around 2 is far outside the few-% stroke-to-stroke spread, and
narrow: a longer or shorter gap is a pause or a change of pace, left as is (the cadence is then
low, never falsely high)."""


class CadenceTracker:
    """Onsets of the last four back-and-forth cycles (a bounded ring) and the cadence they give."""

    def __init__(self) -> None:
        self._onsets: deque[float] = deque(maxlen=4)
        self._last_end_s: float | None = None
        self._last_direction: str | None = None
        self._last_started_cycle = False
        self.latest_spm: float | None = None

    def add(
        self, onset_s: float, end_s: float | None = None, direction: str | None = None
    ) -> float | None:
        """Record a linear stroke (onset/end in s, direction ``up``/``down``/``unknown``); return
        the cadence (strokes/min) once four cycles exist.

        Without ``end_s``/``direction`` every stroke starts a cycle (the spec's plain formula)."""
        contiguous = (
            end_s is not None
            and self._last_end_s is not None
            and onset_s - self._last_end_s < CONTIGUOUS_S
            and direction in ("up", "down")
            and self._last_direction in ("up", "down")
            and direction != self._last_direction
            # in a chain glide-return-glide… only every other half starts a cycle
            and self._last_started_cycle
        )
        if end_s is not None:
            self._last_end_s = end_s
            self._last_direction = direction
        self._last_started_cycle = not contiguous
        if contiguous:
            # the second half of a cycle already counted: the pace has not changed
            return self.latest_spm
        self._onsets.append(onset_s)
        if len(self._onsets) < 4:
            return None
        o = list(self._onsets)
        gaps = [b - a for a, b in pairwise(o)]
        span = o[-1] - o[0]
        if span <= 0:
            return None
        strokes = 3.0
        longest = max(range(3), key=lambda i: gaps[i])
        others = sorted(g for i, g in enumerate(gaps) if i != longest)
        typical = 0.5 * (others[0] + others[1])
        if typical > 0 and MISSED_RATIO * typical < gaps[longest] < MAX_MISSED_RATIO * typical:
            strokes = 4.0
        self.latest_spm = 60.0 * strokes / span
        return self.latest_spm

    def forget_if_stale(self, now_s: float, stale_s: float = 20.0) -> None:
        """After a long pause the old onsets no longer describe the user's pace."""
        if self._onsets and now_s - self._onsets[-1] > stale_s:
            self._onsets.clear()
            self.latest_spm = None
