"""Cadence per the spec: at linear stroke k, ``60 × 3 / (onset_k − onset_{k−3})`` strokes/min."""

from __future__ import annotations

from collections import deque


class CadenceTracker:
    """Keeps the onsets of the last four linear strokes (a bounded ring)."""

    def __init__(self) -> None:
        self._onsets: deque[float] = deque(maxlen=4)
        self.latest_spm: float | None = None

    def add(self, onset_s: float) -> float | None:
        """Record a linear stroke's onset (s); return its cadence (strokes/min) once four exist."""
        self._onsets.append(onset_s)
        if len(self._onsets) < 4:
            return None
        span = self._onsets[-1] - self._onsets[0]
        if span <= 0:
            return None
        self.latest_spm = 180.0 / span
        return self.latest_spm

    def forget_if_stale(self, now_s: float, stale_s: float = 20.0) -> None:
        """After a long pause the old onsets no longer describe the user's pace."""
        if self._onsets and now_s - self._onsets[-1] > stale_s:
            self._onsets.clear()
            self.latest_spm = None
