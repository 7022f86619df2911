"""The loaded phase: which half of a reciprocating stroke is the pressed glide.

Self-massage is reciprocating: the hand presses while gliding one way and comes back lifted or
lightly. Each half-stroke is described by a few cues, each with a physical reason, all written
so that *larger means more likely loaded*:

- ``force``: mean contact force (only with a force channel) — pressing is the definition;
- ``slowness``: log of duration per peak speed — the pressed glide is usually the slower half
  (same path, friction, care), the return a quick reposition;
- ``contact``: −log of the stroke-band acceleration across the axis per acceleration along it — a
  lifted return accelerates along the skin normal (1–5 cm up and back down), a glide stays on the
  skin;
- ``vibration``: log power above 15 Hz — skin friction under pressure is broadband stick-slip; a
  lifted hand has none and a light gliding return little.

None is guaranteed for every person, so a :class:`Signature` learned from the user's calibration
strokes (known to be loaded in one direction) weights each cue by how well it separated the
user's loaded halves from their returns, and scales it by its spread. A half is then judged
against its neighbour (the pair of a reciprocating cycle shares speed, posture and surface, so the
comparison survives a change of tempo) and, lacking a neighbour, against the calibration means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.samples import FloatArray
from analysis.stages.segmentation import HalfStroke

CUE_NAMES = ("force", "slowness", "contact", "vibration")
_SPREAD_FLOOR = (0.5, 0.15, 0.4, 0.7)
"""Smallest spread assumed per cue (N, then log units): three calibration strokes can look more
alike than the session will."""
_PRIOR_SIGN = np.array([1.0, 1.0, 1.0, 1.0])
_ACC_FLOOR = 0.02
"""(m/s²)² added to both sides of the lift ratio: below this, acceleration is sensor noise and
the hand's roll, not a lift."""
_MAX_WEIGHT = 4.0
LATE_MIN_SCORE = 0.5
"""How clearly a half judged a return must look loaded next to its successor to be reported."""


def cue_values(half: HalfStroke) -> FloatArray:
    """The four cues of a half (NaN where the device lacks the channel); larger = more loaded."""
    return np.array(
        [
            np.nan if half.force_n is None else half.force_n,
            0.5 * np.log(max(half.duration_s, 1e-3) / max(half.peak_speed_mps, 1e-3)),
            -np.log((half.acc_perp + _ACC_FLOOR) / (half.acc_axial + _ACC_FLOOR)),
            np.nan if half.vibration is None else np.log(half.vibration + 1e-4),
        ]
    )


def _column_mean(x: FloatArray) -> FloatArray:
    """Mean of each of the 4 columns over its finite values; NaN where a column has none."""
    if x.size == 0:
        return np.full(4, np.nan)
    finite = np.isfinite(x)
    count = finite.sum(axis=0)
    total = np.where(finite, x, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


@dataclass(frozen=True)
class Signature:
    """A user's loaded-phase signature.

    ``weight`` per cue (separation of loaded from return in the calibration, in spreads; 0 where the
    cue is missing or did not separate), ``spread`` per cue (pooled within-phase standard
    deviation), ``loaded_mean``/``return_mean`` per cue (NaN where missing).
    """

    weight: FloatArray
    spread: FloatArray
    loaded_mean: FloatArray
    return_mean: FloatArray

    @staticmethod
    def prior(has_force: bool) -> Signature:
        """The signature assumed before any calibration: every cue counts as the physics says."""
        weight = _PRIOR_SIGN.copy()
        if has_force:
            weight[0] = _MAX_WEIGHT
        else:
            weight[0] = 0.0
        spread = np.array(_SPREAD_FLOOR) * 2.0
        nan = np.full(4, np.nan)
        return Signature(weight, spread, nan, nan.copy())

    @staticmethod
    def learn(loaded: Sequence[HalfStroke], returns: Sequence[HalfStroke]) -> Signature:
        """Learn from halves known to be loaded and halves known to be returns."""
        a = np.array([cue_values(h) for h in loaded])
        b = np.array([cue_values(h) for h in returns])
        mean_a = _column_mean(a)
        mean_b = _column_mean(b)
        var = np.concatenate((a - mean_a, b - mean_b)) if a.size and b.size else np.zeros((0, 4))
        spread = np.sqrt(_column_mean(var**2))
        spread = np.fmax(np.nan_to_num(spread, nan=0.0), _SPREAD_FLOOR)
        # force is measured in N: its spread floor scales with the force level
        if np.isfinite(mean_a[0]):
            spread[0] = max(spread[0], 0.1 * abs(mean_a[0]))
        sep = (mean_a - mean_b) / spread
        weight = np.clip(np.nan_to_num(sep, nan=0.0), -_MAX_WEIGHT, _MAX_WEIGHT)
        return Signature(weight, spread, mean_a, mean_b)

    def shrunk_toward(
        self, prior: Signature, strokes: int, prior_strokes: float = 3.0
    ) -> Signature:
        """The weights pulled toward ``prior``'s as if the prior had been seen on
        ``prior_strokes`` strokes: three calibration strokes are too few to overturn physics on
        their own, but a user whose glide is, say, consistently quicker still turns a cue round."""
        total = strokes + prior_strokes
        weight = (strokes * self.weight + prior_strokes * prior.weight) / total
        return Signature(weight, self.spread, self.loaded_mean, self.return_mean)

    def pair_score(self, half: HalfStroke, other: HalfStroke) -> tuple[float, FloatArray]:
        """How much more loaded ``half`` looks than ``other`` (>0: ``half`` is the loaded one).

        Returns the score (in spreads, averaged over the cues' weights) and the per-cue votes.
        """
        diff = (cue_values(half) - cue_values(other)) / self.spread
        return self._combine(diff)

    def absolute_score(self, half: HalfStroke) -> tuple[float, FloatArray]:
        """How loaded ``half`` looks against the calibration means (>0: loaded)."""
        mid = 0.5 * (self.loaded_mean + self.return_mean)
        diff = (cue_values(half) - mid) / self.spread
        return self._combine(diff)

    def _combine(self, diff: FloatArray) -> tuple[float, FloatArray]:
        votes = np.nan_to_num(np.clip(diff, -4.0, 4.0) * np.sign(self.weight), nan=0.0)
        w = np.abs(self.weight) * np.isfinite(diff)
        total = float(w.sum())
        if total <= 0.0:
            return 0.0, votes
        return float((votes * w).sum() / total), votes


@dataclass(frozen=True)
class PhaseDecision:
    """Whether a half is the loaded glide, with a confidence in [0, 1]; ``ambiguous`` when the
    cues disagree too much to say."""

    half: HalfStroke
    loaded: bool
    confidence: float
    ambiguous: bool


class LoadedPhaseDecider:
    """Decides each linear half as it ends: loaded glide or return.

    Parameters
    ----------
    signature:
        The user's signature.
    adjacency_s:
        Two halves further apart than this (s) are not one reciprocating cycle.
    alternation:
        Weight of the expectation that a loaded glide is followed by a return and vice versa.
    ambiguity:
        A score closer to zero than this, with cues voting both ways, is ambiguous.
    """

    def __init__(
        self,
        signature: Signature,
        adjacency_s: float = 1.5,
        alternation: float = 0.25,
        ambiguity: float = 0.15,
    ) -> None:
        self.signature = signature
        self.adjacency_s = adjacency_s
        self.alternation = alternation
        self.ambiguity = ambiguity
        self._prev: HalfStroke | None = None
        self._prev_loaded = False
        self._prev_score = 0.0
        self.late: PhaseDecision | None = None
        """Set by :meth:`decide` when the previous half turns out to have been loaded."""

    def restart(self) -> None:
        self._prev = None
        self._prev_loaded = False
        self._prev_score = 0.0
        self.late = None

    def note_not_loaded(self, half: HalfStroke) -> None:
        """Record a half known not to be a loaded glide (it moved too much across the axis)."""
        self._prev = half
        self._prev_loaded = False
        self._prev_score = -np.inf  # certain: never reported late

    def decide(self, half: HalfStroke) -> PhaseDecision:
        prev = self._prev
        adjacent = (
            prev is not None
            and prev.sign == -half.sign
            and half.onset_s - prev.end_s <= self.adjacency_s
        )
        has_means = bool(np.isfinite(self.signature.loaded_mean).any())
        if adjacent and prev is not None:
            score, votes = self.signature.pair_score(half, prev)
            score += self.alternation * (-1.0 if self._prev_loaded else 1.0)
        elif has_means:
            score, votes = self.signature.absolute_score(half)
        else:
            score, votes = 0.0, np.zeros(4)
        strong = np.abs(votes) * (np.abs(self.signature.weight) > 0.5) > 1.0
        disagree = bool((votes[strong] > 0).any() and (votes[strong] < 0).any())
        ambiguous = abs(score) < self.ambiguity and disagree
        loaded = score > 0.0
        confidence = float(1.0 - np.exp(-abs(score) * 1.5))
        # Second chance: the previous half was judged a return, but against this one it looks
        # clearly loaded, more clearly than it looked a return then. It is reported now, late.
        self.late = None
        if (
            adjacent
            and prev is not None
            and not self._prev_loaded
            and -score > max(LATE_MIN_SCORE, abs(self._prev_score))
        ):
            self.late = PhaseDecision(prev, True, confidence, ambiguous)
        self._prev = half
        self._prev_loaded = loaded
        self._prev_score = score
        return PhaseDecision(half, loaded, confidence, ambiguous)
