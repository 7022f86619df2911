"""The cue engine: turns decided strokes into ``switch_up``, ``slow_down`` and ``lighter``.

Target behaviour is the spec's owed/false-alarm rules, applied causally to the strokes the
pipeline itself decided:

- ``switch_up`` (profiles with an ``up`` rule): when a run of downward strokes reaches two. The
  decision is made as the second downward stroke is decided, i.e. at its end.
- ``slow_down`` (profiles with a cadence limit C): when the cadence exceeds C.
- ``lighter`` (profiles with a force limit F, recordings with force): when a stroke's mean force
  exceeds F.

A cue is not repeated for the same condition within 5 s; while its condition keeps holding it is
repeated at the first stroke decided after the 5 s (decisions happen at sample times, so the
output does not depend on how the stream is batched). ``active`` holds the conditions that hold
now, for the UI to keep showing until they clear.
"""

from __future__ import annotations

from collections import deque

from analysis.events import CUE_LIGHTER, CUE_SLOW_DOWN, CUE_SWITCH_UP, Cue, Stroke
from analysis.techniques import TechniqueProfile

REPEAT_S = 5.0
SWITCH_UP_MIN_CONFIDENCE = 0.5
"""Mean confidence of the last two downward strokes needed for ``switch_up``."""
SLOW_DOWN_MARGIN = 1.1
"""``slow_down`` when the cadence exceeds this multiple of the limit at two strokes in a row: the
spec owes it above 1.25× and forbids it below 0.85×."""


class CueEngine:
    """Cue rules of one technique profile, fed strokes as they are decided.

    Parameters
    ----------
    profile:
        The technique profile whose rules apply.
    has_force:
        Whether the device measures contact force (``lighter`` needs it).
    """

    def __init__(self, profile: TechniqueProfile, has_force: bool) -> None:
        self.profile = profile
        self.has_force = has_force
        self._last_issued: dict[str, float] = {}
        self._down_run = 0
        self._down_confidence: deque[float] = deque(maxlen=2)
        self._over_run = 0
        self._active: set[str] = set()

    @property
    def active(self) -> frozenset[str]:
        return frozenset(self._active)

    def set_profile(self, profile: TechniqueProfile) -> None:
        self.profile = profile
        self._active.clear()
        self._down_run = 0
        self._down_confidence.clear()
        self._over_run = 0

    def on_stroke(self, stroke: Stroke, now_s: float) -> list[Cue]:
        """Update with a decided stroke (``now_s``: newest sample time); return cues issued."""
        if stroke.direction not in ("up", "down"):
            return []
        wanted: list[str] = []
        if self.profile.wants_upward:
            if stroke.direction == "down":
                self._down_run += 1
                self._down_confidence.append(
                    1.0 if stroke.confidence is None else stroke.confidence
                )
            else:
                self._down_run = 0
                self._down_confidence.clear()
            # two downward strokes in a row, and sure of them together: a return misread as a
            # glide now and then must not nag a user who strokes upward
            sure = sum(self._down_confidence) / max(len(self._down_confidence), 1)
            if self._down_run >= 2 and sure >= SWITCH_UP_MIN_CONFIDENCE:
                self._active.add(CUE_SWITCH_UP)
                wanted.append(CUE_SWITCH_UP)
            else:
                self._active.discard(CUE_SWITCH_UP)
        limit = self.profile.slow_down_above_spm
        if limit is not None and stroke.cadence_spm is not None:
            # over the limit at two strokes in a row: one spurious stroke shortens one span only
            over = stroke.cadence_spm > SLOW_DOWN_MARGIN * limit
            self._over_run = self._over_run + 1 if over else 0
            if self._over_run >= 2:
                self._active.add(CUE_SLOW_DOWN)
                wanted.append(CUE_SLOW_DOWN)
            else:
                self._active.discard(CUE_SLOW_DOWN)
        force_limit = self.profile.lighter_above_n
        if force_limit is not None and self.has_force and stroke.force_n is not None:
            if stroke.force_n > force_limit:
                self._active.add(CUE_LIGHTER)
                wanted.append(CUE_LIGHTER)
            else:
                self._active.discard(CUE_LIGHTER)
        issued = [self._issue(name, now_s) for name in wanted]
        return [c for c in issued if c is not None]

    def clear(self) -> None:
        """Forget conditions (after a long pause the user's last strokes no longer hold)."""
        self._active.clear()
        self._down_run = 0
        self._down_confidence.clear()
        self._over_run = 0

    def _issue(self, name: str, now_s: float) -> Cue | None:
        last = self._last_issued.get(name)
        if last is not None and now_s - last < REPEAT_S:
            return None
        self._last_issued[name] = now_s
        return Cue(onset_s=now_s, cue=name, technique=self.profile.name)
