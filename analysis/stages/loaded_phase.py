"""The loaded phase: which half of a reciprocating stroke is the pressed glide.

Self-massage is reciprocating: the hand presses while gliding one way and comes back lifted or
lightly. Each half-stroke is described by a few cues, each with a physical reason, all written
so that *larger means more likely loaded*:

- ``force``: mean contact force (only with a force channel) — pressing is the definition;
- ``slowness``: log of duration per peak speed — the pressed glide is usually the slower half
  (same path, friction, care), the return a quick reposition;
- ``contact``: −log of the RMS stroke-band acceleration across the axis — a lifted return
  accelerates along the skin normal (1–5 cm up and back down within the return), a glide stays on
  the skin. Absolute, not per axial acceleration: the quicker half accelerates harder along the
  axis, so a ratio made every quick return look flat and every slow glide look lifted;
- ``vibration``: log power above 15 Hz per stroke-band acceleration power — skin friction under
  pressure is broadband stick-slip, a lifted hand has none and a light gliding return little. The
  vibration high-pass also lets through a little of the stroke's own acceleration (its skirt),
  which made the harder-accelerating quick return look "rougher": per stroke-band power, and
  through a steep (fourth-order) high-pass (:mod:`analysis.stages.motion`), what remains is the
  friction excess. Where the calibration's glides carried no more vibration than its returns
  (:data:`VIBRATION_MIN_CONTRAST`) there is no friction to see and the cue does not count.

None is guaranteed for every person, so a :class:`Signature` learned from the user's calibration
strokes (known to be loaded in one direction) weights each cue by how well it separated the
user's loaded halves from their returns, and scales it by its spread. A half is then judged
against its neighbour (the pair of a reciprocating cycle shares speed, posture and surface, so the
comparison survives a change of tempo) and, lacking a comparable neighbour, against the session's
own running means of loaded halves and returns (started from the calibration's: calibration
strokes are slow and light, the session's are not).

Two cues also veto on their own, whatever the comparison says: a force channel showing the hand
hardly pressed or, without one, no skin friction — no more vibration than the calibration's
returns carried, or friction per squared sliding speed far below the calibration glides' (the
hand was carried, not rubbed: a repositioning move, a lifted return that merely looked slower than
its neighbour, a drift while resting). Of a pair the comparison picks the likelier; the vetoes
catch pairs in which neither half was loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from analysis.samples import FloatArray
from analysis.stages.segmentation import HalfStroke

CUE_NAMES = ("force", "slowness", "contact", "vibration")
_SPREAD_FLOOR = (0.5, 0.15, 0.25, 0.7)
"""Smallest spread assumed per cue (N, then log units): three calibration strokes can look more
alike than the session will."""
_PRIOR_SIGN = np.array([1.0, 1.0, 1.0, 1.0])
_ACC_FLOOR = 0.02
"""(m/s²)² added to the stroke-band acceleration powers: below this, acceleration is sensor noise
and the hand's roll, not a lift."""
_VIB_FLOOR = 1e-4
"""(m/s²)² added to the vibration power: below it is sensor noise."""
_MAX_WEIGHT = 4.0
PARTNER_MIN_LENGTH_RATIO = 0.3
"""A previous half shorter than this share of the current one (or longer than its inverse) is no
return to compare it with."""
MEANS_RATE = 0.2
"""Weight of each clearly decided half in the session's running cue means (~5 strokes' memory)."""
MEANS_MIN_SCORE = 0.3
"""How clear (in spreads) a pair decision must be to teach the running means."""
MIN_PRESS_SHARE = 0.3
MIN_PRESS_N = 0.5
"""A half pressing less than this share of the glides' mean force (the calibration's or the
session's running mean of loaded halves, whichever is higher; and at least this many N) is not
loaded: calibration strokes are light, session strokes press as hard or harder, a gliding return
rests at 0.3–1.5 N and a hand resting on the skin at 0.5–2 N."""
IMMEDIATE_MIN_SCORE = 2.0
"""A half with no partner before it is decided at once, against the session's running means,
when it is at least this clear (in spreads); otherwise it waits for its partner (judged against
the means alone, halves are right about four times in five even when this clear, against their
partner nineteen in twenty: waiting costs a half stroke of latency)."""
LATE_MIN_SCORE = 0.5
"""How clearly a half judged a return must look loaded next to its successor to be reported."""
FRICTION_DROP = 2.5
"""A half whose friction power per squared sliding speed (:func:`friction_per_speed`) is below
the calibration glides' by more than this (natural log: under e^-2.5 ≈ 1/12 of it) has no
stick-slip at all: the hand was not rubbing the skin (a carried move, a lifted return, a drift
while resting), whatever its other cues say. Only when friction separated the user's calibration
strokes (its weight > 0)."""
FRICTION_EVIDENT = 1.0
"""Friction is evident when the calibration glides' mean log vibration power exceeds the returns'
by at least this (natural log: ×2.7 in power). On oiled skin, or a sensor whose noise buries the
stick-slip, glides and returns carry the same vibration (measured: within ±0.2 when the skin gave
no friction vibration, 0.4–3.0 when it did). Light strokes with gliding returns sit in between
(0.6 measured): their returns rub too, single glides scatter ±1 around the mean, and at ×1.65 a
quarter of one such session's light glides fell below the returns' level and were lost."""
VIBRATION_MIN_CONTRAST = 0.15
"""Below this difference in mean log vibration power between the calibration's glides and its
returns (natural log: ×1.16), the vibration carried no friction at all: the skin gave no
stick-slip (oiled skin, a light touch) or the sensor's noise buries it, and both halves read the
noise floor. The vibration *cue* is then worthless, and worse: divided by the stroke-band power
it becomes −log of that power, an echo of slowness counted a second time (measured on simulated
calibrations: sessions whose skin gave no friction vibration differed by −0.08…+0.07 in raw log
power, 10th–90th percentile, while their cue separated glides from returns by a spurious 2.0
spreads at the median; every session with friction differed by 0.34 or more at its 10th
percentile). Its weight is then 0, whatever the physical prior says."""
RUB_MARGIN = 0.25
"""A rubbing half carries at least this much more log vibration power than the calibration
returns (×1.28): stick-slip adds to what a hand that does not rub carries."""
_ENERGY_FLOOR = 1e-3
"""(m/s)² added to a half's mean squared axial speed: below it the hand hardly slides."""


def friction_per_speed(half: HalfStroke) -> float:
    """Log of a half's vibration power per mean squared axial speed (NaN without a vibration
    band): stick-slip power grows with the friction force times the sliding speed, so per
    squared speed it measures the pressure and not the tempo. (The vibration cue of
    :func:`cue_values`, per stroke-band acceleration power, falls with the square of the tempo:
    fine between the two halves of one cycle, but the quick strokes of a session would look
    frictionless next to the slow calibration strokes.)"""
    if half.vibration is None:
        return float("nan")
    return float(np.log(half.vibration + _VIB_FLOOR) - np.log(half.energy_axial + _ENERGY_FLOOR))


def cue_values(half: HalfStroke) -> FloatArray:
    """The four cues of a half (NaN where the device lacks the channel); larger = more loaded."""
    stroke_power = half.acc_axial + half.acc_perp + _ACC_FLOOR
    return np.array(
        [
            np.nan if half.force_n is None else half.force_n,
            0.5 * np.log(max(half.duration_s, 1e-3) / max(half.peak_speed_mps, 1e-3)),
            -0.5 * np.log(half.acc_perp + _ACC_FLOOR),
            np.nan
            if half.vibration is None
            else np.log(half.vibration + _VIB_FLOOR) - np.log(stroke_power),
        ]
    )


def _mean_log_vibration(halves: Sequence[HalfStroke]) -> float:
    """Mean log vibration power of ``halves``, log (m/s²)² (NaN when none has a vibration)."""
    logs = [np.log(h.vibration + _VIB_FLOOR) for h in halves if h.vibration is not None]
    return float(np.mean(logs)) if logs else float("nan")


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
    loaded_friction: float = float("nan")
    """Mean :func:`friction_per_speed` of the loaded halves (NaN when unknown)."""
    return_vibration: float = float("nan")
    """Mean log vibration power of the returns, log (m/s²)² (NaN when unknown)."""
    loaded_vibration: float = float("nan")
    """Mean log vibration power of the loaded halves, log (m/s²)² (NaN when unknown)."""

    @property
    def vibration_silent(self) -> bool:
        """Whether the calibration's glides and returns carried the same vibration power (within
        :data:`VIBRATION_MIN_CONTRAST`): no friction to see (False when unknown)."""
        return bool(abs(self.loaded_vibration - self.return_vibration) < VIBRATION_MIN_CONTRAST)

    @property
    def separation(self) -> float:
        """How far apart the loaded halves and the returns were, all cues together, in spreads:
        the Euclidean norm of :attr:`weight` (each cue's separation, either sign; 0 for a missing
        or silent cue), as for independent cues."""
        return float(np.linalg.norm(np.nan_to_num(self.weight)))

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
        friction = [friction_per_speed(h) for h in loaded]
        friction = [f for f in friction if np.isfinite(f)]
        loaded_friction = float(np.mean(friction)) if friction else float("nan")
        learned = Signature(
            weight,
            spread,
            mean_a,
            mean_b,
            loaded_friction,
            _mean_log_vibration(returns),
            _mean_log_vibration(loaded),
        )
        return learned.without_silent_vibration()

    def without_silent_vibration(self) -> Signature:
        """This signature with the vibration cue's weight at 0 when :attr:`vibration_silent`."""
        if not self.vibration_silent:
            return self
        weight = self.weight.copy()
        weight[3] = 0.0
        return replace(self, weight=weight)

    def shrunk_toward(
        self, prior: Signature, strokes: int, prior_strokes: float = 3.0
    ) -> Signature:
        """The weights pulled toward ``prior``'s as if the prior had been seen on
        ``prior_strokes`` strokes: three calibration strokes are too few to overturn physics on
        their own, but a user whose glide is, say, consistently quicker still turns a cue round.
        A vibration that was silent in the calibration stays at 0: the prior cannot put friction
        where there was none."""
        total = strokes + prior_strokes
        weight = (strokes * self.weight + prior_strokes * prior.weight) / total
        return replace(self, weight=weight).without_silent_vibration()

    def pair_score(self, half_cues: FloatArray, other_cues: FloatArray) -> tuple[float, FloatArray]:
        """How much more loaded a half with :func:`cue_values` ``half_cues`` looks than one with
        ``other_cues`` (>0: the first is the loaded one).

        Returns the score (in spreads, averaged over the cues' weights) and the per-cue votes.
        """
        return self.combine((half_cues - other_cues) / self.spread)

    def combine(self, diff: FloatArray) -> tuple[float, FloatArray]:
        """The score and per-cue votes of cue differences ``diff`` (in spreads, >0: loaded)."""
        votes = np.nan_to_num(np.clip(diff, -4.0, 4.0) * np.sign(self.weight), nan=0.0)
        w = np.abs(self.weight) * np.isfinite(diff)
        total = float(w.sum())
        if total <= 0.0:
            return 0.0, votes
        return float((votes * w).sum() / total), votes


@dataclass(frozen=True)
class PhaseDecision:
    """Whether a half is the loaded glide, with a confidence in [0, 1]; ``ambiguous`` when the
    cues disagree too much to say (the half's likelier direction is still reported, with its low
    confidence). A half waiting for its partner is ``loaded=False`` for now and may come back as
    :attr:`LoadedPhaseDecider.late`."""

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
        # the session's running cue means of loaded halves (row 0) and returns (row 1), started
        # from the calibration's
        self._means = np.vstack((signature.loaded_mean, signature.return_mean)).astype(float)
        self._prev: HalfStroke | None = None
        self._pending: HalfStroke | None = None
        self._cue_cache: list[tuple[HalfStroke, FloatArray]] = []
        self._prev_loaded = False
        self._prev_score = 0.0
        self.late: PhaseDecision | None = None
        """Set by :meth:`decide` when the previous half turns out to have been loaded."""

    def restart(self) -> None:
        """Forget the neighbours (after a gap: a half waiting for its partner is dropped, the
        partner is lost with the gap). The session's running means are kept."""
        self._prev = None
        self._pending = None
        self._prev_loaded = False
        self._prev_score = 0.0
        self.late = None

    def note_not_loaded(self, half: HalfStroke) -> None:
        """Record a half known not to be a loaded glide (it moved too much across the axis)."""
        self.late = None
        pending, self._pending = self._pending, None
        if pending is not None:
            score, votes = self._absolute_score(pending)
            if score > 0.0:
                self.late = self._late(pending, score, votes)
        self._prev = half
        self._prev_loaded = False
        self._prev_score = -np.inf  # certain: never reported late

    def _partner(self, half: HalfStroke) -> HalfStroke | None:
        """The previous half when it is the other half of this one's reciprocating cycle: the
        opposite way, close in time, and of a comparable length (a flicker of the velocity in a
        pause is no return to compare a glide with)."""
        prev = self._prev
        if prev is None or prev.sign != -half.sign:
            return None
        if half.onset_s - prev.end_s > self.adjacency_s:
            return None
        a, b = abs(prev.disp_m), abs(half.disp_m)
        if min(a, b) < PARTNER_MIN_LENGTH_RATIO * max(a, b):
            return None
        return prev

    def _cues(self, half: HalfStroke) -> FloatArray:
        """:func:`cue_values` of ``half``, computed once (a half is compared up to four times)."""
        for known, values in self._cue_cache:
            if known is half:
                return values
        values = cue_values(half)
        self._cue_cache = [(half, values), *self._cue_cache[:3]]
        return values

    def _pair_score(self, half: HalfStroke, other: HalfStroke) -> tuple[float, FloatArray]:
        """:meth:`Signature.pair_score` of the two halves' (cached) cues."""
        return self.signature.pair_score(self._cues(half), self._cues(other))

    def _absolute_score(self, half: HalfStroke) -> tuple[float, FloatArray]:
        """How loaded ``half`` looks against the session's running means (>0: loaded)."""
        mid = 0.5 * (self._means[0] + self._means[1])
        diff = (self._cues(half) - mid) / self.signature.spread
        return self.signature.combine(diff)

    def _learn_means(self, half: HalfStroke, loaded: bool) -> None:
        row = self._means[0 if loaded else 1]
        x = self._cues(half)
        fresh = np.isfinite(x) & ~np.isfinite(row)
        row[fresh] = x[fresh]
        known = np.isfinite(x) & np.isfinite(row)
        row[known] += MEANS_RATE * (x[known] - row[known])

    def decide(self, half: HalfStroke) -> PhaseDecision:
        """Judge ``half``; :attr:`late` is set when the previous half turns out to be loaded.

        A half with no comparable partner before it (the first after a pause or a flicker) is
        judged against the running means at once only when that is clear
        (:data:`IMMEDIATE_MIN_SCORE`): its own return, which normally follows, is a far better
        comparison, so otherwise it waits for the next half (the decision comes a half stroke
        later). Only when that next half is no partner either do the means decide."""
        prev = self._partner(half)
        pending, self._pending = self._pending, None
        self.late = None
        if pending is not None:
            if prev is pending:
                # the waiting half and this one are a cycle: one pair decision settles both
                score, votes = self._pair_score(half, prev)
                decision = self._decision(half, score, votes)
                if not decision.loaded and self._pressed(prev):
                    self.late = PhaseDecision(prev, True, decision.confidence, decision.ambiguous)
                self._after(half, prev, decision, score)
                return decision
            p_score, p_votes = self._absolute_score(pending)
            if p_score > 0.0:
                self.late = self._late(pending, p_score, p_votes)
        if prev is None:
            a_score, a_votes = self._absolute_score(half)
            if abs(a_score) >= IMMEDIATE_MIN_SCORE:
                # already clearly like the session's loaded halves (or its returns)
                decision = self._decision(half, a_score, a_votes)
                self._prev = half
                self._prev_loaded = decision.loaded
                self._prev_score = a_score
                return decision
            self._pending = half
            self._prev = half
            self._prev_loaded = False
            self._prev_score = 0.0
            return PhaseDecision(half, False, 0.0, False)
        score, votes = self._pair_score(half, prev)
        score += self.alternation * (-1.0 if self._prev_loaded else 1.0)
        decision = self._decision(half, score, votes)
        # Second chance: the previous half was judged a return, but against this one it looks
        # clearly loaded, more clearly than it looked a return then. It is reported now, late.
        if (
            not self._prev_loaded
            and -score > max(LATE_MIN_SCORE, abs(self._prev_score))
            and self._pressed(prev)
        ):
            self.late = PhaseDecision(prev, True, decision.confidence, decision.ambiguous)
        self._after(half, prev, decision, score)
        return decision

    def _decision(self, half: HalfStroke, score: float, votes: FloatArray) -> PhaseDecision:
        strong = np.abs(votes) * (np.abs(self.signature.weight) > 0.5) > 1.0
        disagree = bool((votes[strong] > 0).any() and (votes[strong] < 0).any())
        ambiguous = abs(score) < self.ambiguity and disagree
        confidence = float(1.0 - np.exp(-abs(score) * 1.5))
        return PhaseDecision(half, score > 0.0 and self._pressed(half), confidence, ambiguous)

    def _late(self, half: HalfStroke, score: float, votes: FloatArray) -> PhaseDecision | None:
        """The late report of a waiting half judged against the means, or ``None`` when it is
        not loaded after all (it did not press: :attr:`late` only ever reports loaded halves)."""
        decision = self._decision(half, score, votes)
        return decision if decision.loaded else None

    def _above_return_vibration(self, half: HalfStroke) -> bool:
        """False when the half carried no more vibration than the calibration's returns (by
        :data:`RUB_MARGIN`), on a user whose calibration glides clearly rubbed more than their
        returns (:data:`FRICTION_EVIDENT`). The returns' level is what this sensor and hand carry
        without rubbing: noise, the tremor's skirt, a light glide's touch. A glide that rubs adds
        stick-slip above it; a hand resting on the skin or carried in the air does not, however
        slowly it drifts (friction per squared speed grows without bound as the speed falls, so
        it cannot tell these apart)."""
        sig = self.signature
        contrast = sig.loaded_vibration - sig.return_vibration  # NaN without a calibration's
        if half.vibration is None or not contrast >= FRICTION_EVIDENT:
            return True
        return bool(np.log(half.vibration + _VIB_FLOOR) >= sig.return_vibration + RUB_MARGIN)

    def _rubbed(self, half: HalfStroke) -> bool:
        """False when the half shows no skin friction: no more vibration than the calibration's
        returns (:meth:`_above_return_vibration`), or far less friction per sliding speed than
        the calibration glides (by :data:`FRICTION_DROP`). A hand carried in the air to a new
        start point, or a lifted return, has no stick-slip; a pressed glide always has some
        (True without a vibration band or when friction did not separate the user's
        calibration strokes)."""
        if not self._above_return_vibration(half):
            return False
        x = friction_per_speed(half)
        ref = self.signature.loaded_friction
        if not (np.isfinite(x) and np.isfinite(ref)) or self.signature.weight[3] <= 0.0:
            return True
        return bool(x >= ref - FRICTION_DROP)

    def _pressed(self, half: HalfStroke) -> bool:
        """False when the hand was not pressing on the skin: a force channel shows it hardly
        pressed or, without one, no friction at all (:meth:`_rubbed`). Pressing is what makes a
        glide loaded, whatever the other cues say of a drift or a lifted move.

        A force reading is the press itself, so where there is one it alone decides: friction
        only stands in for it. Friction per sliding speed is the sensor's noise per squared
        speed when the skin is oiled or the glide hardly rubs, and a brisk pressed glide then
        looked "unrubbed" next to the slow calibration glides (measured: 19 of 75 strokes of one
        such session lost, each pressing 8–15 N). Without a force channel or a calibration
        level, friction decides."""
        # the calibration's glides, and the session's own (which press as hard or harder)
        levels = (float(self.signature.loaded_mean[0]), float(self._means[0, 0]))
        level = max((x for x in levels if np.isfinite(x)), default=float("nan"))
        if half.force_n is None or not np.isfinite(level):
            return self._rubbed(half)
        return half.force_n >= max(MIN_PRESS_SHARE * level, MIN_PRESS_N)

    def _after(
        self, half: HalfStroke, prev: HalfStroke, decision: PhaseDecision, score: float
    ) -> None:
        # only a clear pair decision teaches the session's means: a half judged against the
        # means themselves would only confirm them
        if abs(score) >= MEANS_MIN_SCORE:
            self._learn_means(half, decision.loaded)
            self._learn_means(prev, not decision.loaded)
        self._prev = half
        self._prev_loaded = decision.loaded
        self._prev_score = score
