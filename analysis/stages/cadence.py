"""Cadence of linear strokes, strokes/min.

The spec defines the cadence at linear stroke k as ``60 × 3 / (onset_k − onset_{k−3})``. Counted
over the pipeline's own decisions it has one physical pitfall, which the tracker corrects:
between two loaded glides the hand must return (lifted or light), which takes time, so two real
glides are never contiguous. A linear stroke that starts within :data:`CONTIGUOUS_S` of the
previous one's end, in the opposite direction, is the other half of the same cycle (a return
decided as a glide, or the glide after a return decided as one); it does not start a new cycle
and its onset is not counted.

A missed stroke makes this cadence read low, and the tracker does not guess where one was missed:
at a change of pace the first brisk interval looks just like a slow one with a stroke missed in
it, and a guess would cue before the user has made three brisk strokes. The ``slow_down`` cue
does not rest on this cadence alone: :class:`ReciprocationTempo` measures the pace of the
back-and-forth on every half-stroke, whether or not its loaded half was found.
"""

from __future__ import annotations

from collections import deque
from itertools import pairwise

CONTIGUOUS_S = 0.2
"""A stroke starting less than this after the previous linear stroke's end, in the opposite
direction, belongs to the same back-and-forth cycle (s). Real glides are separated by their
return, which takes about a quarter second even at a brisk 120 strokes/min; both halves of one
cycle decided as strokes follow each other within the segmentation's turn-around time."""


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
        span = self._onsets[-1] - self._onsets[0]
        if span <= 0:
            return None
        self.latest_spm = 60.0 * 3.0 / span
        return self.latest_spm

    def forget_if_stale(self, now_s: float, stale_s: float = 20.0) -> None:
        """After a long pause the old onsets no longer describe the user's pace."""
        if self._onsets and now_s - self._onsets[-1] > stale_s:
            self._onsets.clear()
            self.latest_spm = None


TEMPO_CYCLES = 3
"""Back-and-forth cycles the tempo is measured over (the spec's cadence spans three intervals)."""
TEMPO_MAX_IRREGULARITY = 0.25
"""Each cycle of the span must last within this share of their mean: self-massage strokes come at
a steady rhythm, while a chain that only looks alternating (a glide split by a wobble, kneading
that happens to pass the linear test) is irregular."""
TEMPO_MIN_GLIDES = 3
"""Of the chain's seven halves at least this many must move like a glide (the half-stroke test of
:func:`~analysis.stages.direction.classify_half`): in a back-and-forth of strokes the glides do,
even where lifted returns and some hurried glides do not; kneading circles alternate along the
axis too, but nearly all their halves turn like circles (without the rule, circle blocks gave 20
false ``slow_down`` cues on 100 simulated sessions)."""


class ReciprocationTempo:
    """The pace of the back-and-forth itself, cycles/min, from every half-stroke along the axis.

    In reciprocating self-massage each loaded glide is followed by its return, so the rate of
    glide-return cycles *is* the stroke rate, whichever half carries the load. Measured on the
    halves it does not depend on the loaded-phase decision — which is weakest exactly when the
    user hurries: brisk glides are no longer slower than their returns. Only an unbroken chain of
    contiguous halves of alternating sign counts (a pause, or two halves the same way, break it),
    so a pace is never read across a pause, and enough of its halves must move like glides
    (:data:`TEMPO_MIN_GLIDES`).
    """

    def __init__(self) -> None:
        self._halves: deque[tuple[float, bool]] = deque(maxlen=2 * TEMPO_CYCLES + 1)
        self._last_end_s: float | None = None
        self._last_sign = 0

    def add(self, onset_s: float, end_s: float, sign: int, linear: bool) -> float | None:
        """Record a half-stroke (times in s, ``sign`` ±1 along the axis, ``linear`` whether it
        moved like a glide); return the tempo in cycles/min once the chain spans
        :data:`TEMPO_CYCLES` regular cycles, else ``None``."""
        continues = (
            self._last_end_s is not None
            and sign == -self._last_sign
            and onset_s - self._last_end_s < CONTIGUOUS_S
        )
        if not continues:
            self._halves.clear()
        self._last_end_s = end_s
        self._last_sign = sign
        self._halves.append((onset_s, linear))
        if len(self._halves) < 2 * TEMPO_CYCLES + 1:
            return None
        if sum(linear for _, linear in self._halves) < TEMPO_MIN_GLIDES:
            return None
        # cycles between same-sign onsets: halves 0→2, 2→4, 4→6
        onsets = [t for t, _ in self._halves][::2]
        cycles = [b - a for a, b in pairwise(onsets)]
        mean = sum(cycles) / len(cycles)
        if mean <= 0 or max(abs(c - mean) for c in cycles) > TEMPO_MAX_IRREGULARITY * mean:
            return None
        return 60.0 / mean
