"""The limb axis and its sign, learned from the calibration window.

The axis is expressed in the *hand's frame*: the sensor frame, at the hand's steady attitude when
there is a gyroscope (:class:`~analysis.stages.orientation.SteadyHandFrame`: the wrist's flex
within each stroke averaged out). The sensor is fixed to the hand, and a gliding hand keeps its
pose relative to the leg it rides on, so the limb's direction in that frame stays put whatever the
posture: seated with the leg extended (toward the heart is horizontal), foot on a chair (it
climbs) or lying with the leg raised (it points down). An earth-frame axis would instead need
yaw, which drifts without a magnetometer, and would move every time the leg moves.

During calibration the user makes slow upward strokes and returns: the principal direction of the
hand's velocity (PCA) is the limb axis, up to sign. The sign comes from which of the two
directions carries the loaded glides, judged by the loaded-phase cues with their physical priors
(force, slower glide, no lift, friction vibration); the same strokes then teach the user's own
:class:`~analysis.stages.loaded_phase.Signature`. Without a gyroscope the wrist's tilt leaks into
the velocity and pulls the principal direction toward the horizontal; on a climbing leg the
tilt-free vertical velocity corrects it: the horizontal part of the motion is weighed down for the
whole session (:func:`horizontal_weight_for`) and the axis refined (:func:`tilt_free_axis`).

While the window is still open, :class:`CalibrationCounter` counts the upward strokes for the
UI's progress ("stroke 2 of 3"), causally and cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.samples import FloatArray
from analysis.stages.loaded_phase import Signature
from analysis.stages.motion import undo_phase_lead
from analysis.stages.orientation import emphasize_vertical
from analysis.stages.segmentation import HalfStroke, HalfStrokeSegmenter

MOVING_SPEED_MPS = 0.02
"""A calibration sample whose velocity is faster than this is movement, m/s."""
DEAD_BAND_SHARE = 0.12
MIN_DEAD_BAND_MPS = 0.01
"""Half-strokes are cut with a dead band of this share of the strokes' typical speed (the 95th
percentile of the moving samples' axial speed), and at least this much, m/s."""
FIRST_STROKE_VOTE = 1.0
"""Weight of "the first calibration movement is an upward glide" in the sign vote (the cues'
separations, in spreads, are the other votes)."""
FIRST_STROKE_VOTE_NO_GYRO = 0.25
"""The same without a gyroscope, a tie-breaker only: the wrist's flex during a stroke then reads
as acceleration and its integral swells and shifts the halves (the first glide, before the tilt
has swung once, looks small next to the later ones, and a pause after it can read as a movement
the other way), so which measured half came first says little about the hand's first move."""


@dataclass(frozen=True)
class LimbAxis:
    """Unit vectors in the hand's frame: ``axis`` toward the heart, ``cross`` the dominant
    direction across it (lift or sideways), and the user's loaded-phase ``signature``.
    ``stroke_speed_mps`` is the typical peak speed of the calibration glides, ``stroke_acc_mps2``
    their typical peak acceleration."""

    axis: FloatArray
    cross: FloatArray
    signature: Signature
    stroke_speed_mps: float
    loaded_halves: int
    stroke_acc_mps2: float = 0.0
    horizontal_weight: float = 1.0
    """Without a gyroscope, the weight of the velocity across gravity in the axial velocity
    (:func:`~analysis.stages.orientation.emphasize_vertical`): below 1 when the calibration showed
    a climbing limb (:data:`TILTED_HORIZONTAL_WEIGHT`); 1 with a gyro or on a level limb."""


@dataclass(frozen=True)
class AxisResult:
    """The outcome of a calibration: ``axis`` when learned, otherwise a ``message`` for the user."""

    axis: LimbAxis | None
    strokes_seen: int
    message: str
    calibration_strokes: tuple[HalfStroke, ...] = ()
    advice: str = ""
    """For a learned axis whose glides and returns looked alike (:data:`WEAK_PHASE_SEPARATION`):
    what the user can do so the pressed half shows; empty otherwise."""
    provisional: LimbAxis | None = None
    """When the strokes went back and forth but not clearly enough to learn from: the best guess
    to count with until the user calibrates again."""


def principal_directions(v_mps: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Principal directions of velocity samples (n, 3): first, second, and the eigenvalues
    (descending, (m/s)²)."""
    # centred: a velocity offset left by drift is not a direction of the strokes
    centred = v_mps - v_mps.mean(axis=0)
    cov = centred.T @ centred / max(v_mps.shape[0], 1)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    return vectors[:, order[0]].copy(), vectors[:, order[1]].copy(), values[order]


def tilt_free_axis(
    v_mps: FloatArray, up: FloatArray, principal: FloatArray, top_variance: float
) -> FloatArray | None:
    """The limb axis from the tilt-free part of the velocity, for devices without a gyroscope;
    ``None`` when that part cannot tell.

    Without a gyro, the wrist's flex during a glide (it follows the stroke's speed) turns
    gravity in the sensor frame, and the low-pass gravity estimate cannot follow it: the turn
    reads as acceleration *across gravity* (a rotation moves the gravity vector perpendicular to
    itself) and its integral, a position-like swing, pulls the principal direction of the
    velocity toward the horizontal. The velocity *along* gravity carries no such leak. When the
    limb is inclined (foot on a chair, standing, lying with the leg raised) the strokes move the
    hand up and down too, so the vertical velocity ``w_up`` is a clean copy of the stroke
    (times the axis's vertical share ``u_up``), and the horizontal velocity's covariance with it,
    ``E[w_h w_up] / E[w_up²]``, is the axis's horizontal part over ``u_up``: the position-like
    leak drops out, being a quarter cycle out of phase with the velocity. The axis is then
    ``up + that``, normalised.

    With the leg level the vertical velocity is only the lift of the returns, and the estimate
    would point up the skin normal; so it is used only when the vertical velocity goes with the
    strokes (it correlates with the velocity along the ``principal`` direction: a glide on an
    inclined leg moves the hand up or down all along, a lift goes up and back down within each
    return and does not), when it is itself inclined (at least 30° from horizontal) and when the
    strokes' velocity really moves along it (at least ``TILT_FREE_MIN_VARIANCE_SHARE`` of the
    principal direction's variance ``top_variance``)."""
    norm = float(np.linalg.norm(up))
    if v_mps.shape[0] < 10 or not norm > 0.0:
        return None
    g = up / norm
    w = v_mps - v_mps.mean(axis=0)
    w_up = w @ g
    power = float(w_up @ w_up)
    if not power > 0.0:
        return None
    along = w @ principal
    spread = float(np.sqrt(power * float(along @ along)))
    if not spread > 0.0 or abs(float(w_up @ along)) < TILT_FREE_MIN_CORRELATION * spread:
        return None
    w_h = w - np.outer(w_up, g)
    candidate: FloatArray = g + (w_h.T @ w_up) / power
    candidate = candidate / float(np.linalg.norm(candidate))
    variance = float(np.mean((w @ candidate) ** 2))
    if abs(float(candidate @ g)) < TILT_FREE_MIN_ELEVATION_SIN:
        return None
    if variance < TILT_FREE_MIN_VARIANCE_SHARE * top_variance:
        return None
    return candidate


def stroke_segmenter(along_moving_mps: FloatArray) -> HalfStrokeSegmenter:
    """A segmenter whose dead band fits strokes whose moving samples have the axial velocities
    ``along_moving_mps`` (m/s; none: the least dead band)."""
    top = float(np.percentile(np.abs(along_moving_mps), 95)) if along_moving_mps.size else 0.0
    return HalfStrokeSegmenter(dead_band_mps=max(DEAD_BAND_SHARE * top, MIN_DEAD_BAND_MPS))


def _too_few_strokes(plus: list[HalfStroke], minus: list[HalfStroke]) -> AxisResult | None:
    """The failed result when the calibration did not go back and forth at least twice. Its
    message says which half was missing: a user who made three strokes and is only told to make
    three strokes does not know what to change."""
    if len(plus) >= 2 and len(minus) >= 2:
        return None
    n, back = max(len(plus), len(minus)), min(len(plus), len(minus))
    if n < 2:
        return AxisResult(None, n, f"saw {_strokes(n)}; make three slow strokes up the leg")
    return AxisResult(
        None,
        n,
        f"saw {_strokes(n)} one way but {back} back: make three slow strokes up the leg, "
        "bringing the hand back to the start after each",
    )


def _strokes(n: int) -> str:
    return "1 stroke" if n == 1 else f"{n} strokes"


def _typical_peaks(
    v_mps: FloatArray, acc_mps2: FloatArray, axis: FloatArray
) -> tuple[float, float]:
    """Typical peak speed (m/s) and acceleration (m/s²) along ``axis`` (either sign) of moving
    calibration samples (n, 3): their 95th percentiles."""
    return (
        float(np.percentile(np.abs(v_mps @ axis), 95)),
        float(np.percentile(np.abs(acc_mps2 @ axis), 95)),
    )


def _loaded_direction_vote(
    halves: list[HalfStroke],
    plus: list[HalfStroke],
    minus: list[HalfStroke],
    prior: Signature,
    has_gyro: bool,
) -> float:
    """Positive when the halves moving the positive way are the loaded glides: the cues'
    separations judged with the physical priors (force, slower glide, no lift, friction), and the
    first real movement, an upward glide from rest as the user was asked."""
    as_plus = Signature.learn(plus, minus)
    vote = float((np.nan_to_num(as_plus.weight) * np.abs(prior.weight)).sum())
    # a flicker of the velocity filter before the first glide is not a movement: the first
    # movement is at least half as long as the typical calibration half
    typical = float(np.median([abs(h.disp_m) for h in halves]))
    first = next(h for h in halves if abs(h.disp_m) >= 0.5 * typical)
    return vote + (FIRST_STROKE_VOTE if has_gyro else FIRST_STROKE_VOTE_NO_GYRO) * first.sign


def learn_axis(
    t_s: FloatArray,
    v_mps: FloatArray,
    acc_mps2: FloatArray,
    vibration: FloatArray | None,
    force_n: FloatArray | None,
    rate_hz: float | None = None,
    has_gyro: bool = True,
    up: FloatArray | None = None,
    up_each: FloatArray | None = None,
) -> AxisResult:
    """Learn the limb axis, its sign and the loaded-phase signature from calibration samples.

    ``has_gyro`` says whether the velocity came from a gyro-aided attitude (without one, tilt
    leaks into it and the first-movement rule is weighed less, see
    :data:`FIRST_STROKE_VOTE_NO_GYRO`). ``up`` is the mean specific force of the window (sensor
    frame, any length): without a gyro it lets :func:`tilt_free_axis` correct the axis.
    ``up_each`` is "up" sample by sample (unit vectors (n, 3), sensor frame, the gravity estimate
    of a device without a gyro): on a climbing limb the horizontal part of the motion is weighed
    down before anything is learnt (:func:`horizontal_weight_for`).

    With ``rate_hz`` the velocity's phase lead is undone first (:func:`undo_phase_lead`): the
    window is complete when it is learnt, and the slow calibration strokes are exactly where the
    live high-pass shifts the turn-arounds most (a third of a stroke), enough to mix the loaded
    glide with its return and get the sign wrong.
    """
    if t_s.shape[0] < 10:
        return AxisResult(None, 0, "no movement recorded during calibration")
    if rate_hz is not None:
        v_mps = undo_phase_lead(v_mps, rate_hz)
    speed = np.linalg.norm(v_mps, axis=1)
    moving = speed > MOVING_SPEED_MPS
    horizontal_weight = 1.0
    if not has_gyro and up_each is not None and moving.any():
        horizontal_weight = horizontal_weight_for(v_mps[moving], up_each[moving])
        if horizontal_weight < 1.0:
            v_mps = emphasize_vertical(v_mps, up_each, horizontal_weight)
            acc_mps2 = emphasize_vertical(acc_mps2, up_each, horizontal_weight)
            moving = np.linalg.norm(v_mps, axis=1) > MOVING_SPEED_MPS
    if moving.sum() < 10:
        return AxisResult(None, 0, "no strokes seen: make three slow strokes up the leg")
    axis, cross, values = principal_directions(v_mps[moving])
    prior = Signature.prior(has_force=force_n is not None)

    def cut(along: FloatArray) -> tuple[list[HalfStroke], list[HalfStroke], list[HalfStroke]]:
        segmenter = stroke_segmenter(v_mps[moving] @ along)
        cut_cross = orthogonal_cross(along, cross)
        halves = segmenter.process(t_s, v_mps, along, cut_cross, vibration, force_n, acc_mps2)
        return halves, [h for h in halves if h.sign > 0], [h for h in halves if h.sign < 0]

    halves, plus, minus = cut(axis)
    too_few = _too_few_strokes(plus, minus)
    if values[0] < 1.5 * values[1]:
        message = "the strokes had no clear direction: glide along the leg, toward the heart"
        if too_few is not None:
            return AxisResult(None, 0, message)
        # The best guess until the user calibrates again: the principal direction, its sign
        # judged by which way the loaded glides went, as below (the first movement alone was
        # wrong in 4 of 5 such simulated micro:bit calibrations: without a gyro the tilt leak
        # distorts the first glide most), and the loaded phase judged with the physical priors.
        if _loaded_direction_vote(halves, plus, minus, prior, has_gyro) < 0:
            axis = -axis
        speed, acc = _typical_peaks(v_mps[moving], acc_mps2[moving], axis)
        guess = LimbAxis(axis, cross, prior, speed, 0, acc, horizontal_weight)
        return AxisResult(None, 0, message, provisional=guess)
    if too_few is not None:
        return too_few
    if _loaded_direction_vote(halves, plus, minus, prior, has_gyro) < 0:
        axis = -axis
        plus, minus = minus, plus
    if not has_gyro and up is not None:
        # Without a gyro the principal direction leans toward the horizontal tilt leak; the
        # tilt-free estimate corrects its direction, and takes the sign just judged (the two
        # must then be close enough for the sign to carry over).
        better = tilt_free_axis(v_mps, up, axis, values[0])
        if better is not None and abs(float(better @ axis)) >= TILT_FREE_MIN_AGREEMENT_COS:
            axis = better if float(better @ axis) > 0.0 else -better
            cross = orthogonal_cross(axis, cross)
            # the signature is of halves cut along the axis the live pipeline will use
            halves, plus, minus = cut(axis)
            too_few = _too_few_strokes(plus, minus)
            if too_few is not None:
                return too_few
    peak, peak_acc = _typical_peaks(v_mps[moving], acc_mps2[moving], axis)
    loaded, returns = plus, minus
    learned = Signature.learn(loaded, returns)
    signature = learned.shrunk_toward(prior, len(loaded))
    return AxisResult(
        LimbAxis(axis, cross, signature, peak, len(loaded), peak_acc, horizontal_weight),
        len(loaded),
        f"learned from {len(loaded)} strokes",
        tuple(loaded),
        advice=PHASE_ADVICE if learned.separation < WEAK_PHASE_SEPARATION else "",
    )


def horizontal_weight_for(v_mps: FloatArray, up: FloatArray) -> float:
    """The weight of the velocity across gravity for a device without a gyroscope, from the
    moving calibration velocity (n, 3) and the unit vectors ``up`` (n, 3).

    The vertical part of that velocity is tilt-free, its horizontal part is the hand's horizontal
    motion plus the wrist's tilt leak (2–6× larger). When at least :data:`TILT_FREE_SHARE` of the
    motion is vertical the limb climbs (foot on a chair, a raised or standing leg: the stroke
    itself moves the hand up and down) and the horizontal part is weighed down to
    :data:`TILTED_HORIZONTAL_WEIGHT`; on a level limb the vertical part is only the lift of the
    returns and the horizontal part, leak and all, is all there is.
    """
    vertical = np.einsum("ij,ij->i", v_mps, up)
    share = float(np.sqrt(np.mean(vertical**2) / np.mean(np.einsum("ij,ij->i", v_mps, v_mps))))
    return TILTED_HORIZONTAL_WEIGHT if share >= TILT_FREE_SHARE else 1.0


def provisional_axis(
    v_mps: FloatArray, acc_mps2: FloatArray, has_force: bool, rate_hz: float
) -> LimbAxis | None:
    """The best guess of the limb axis when a calibration failed and :func:`learn_axis` had none
    (too few back-and-forth halves to judge), or ``None`` when nothing moved.

    The principal direction of the calibration velocity is still the likeliest limb axis (the user
    was stroking along it, only less cleanly than the test asks); without it nothing at all would
    be counted until a new calibration, not even cross-friction and circles, which need only the
    plane of motion. The sign is the first brisk movement's (the user was asked to start with an
    upward stroke) and the loaded phase is judged with the physical priors alone.
    """
    if v_mps.shape[0] < 10:
        return None
    v = undo_phase_lead(v_mps, rate_hz)
    moving = np.linalg.norm(v, axis=1) > MOVING_SPEED_MPS
    if moving.sum() < 10:
        return None
    axis, cross, _ = principal_directions(v[moving])
    peak, peak_acc = _typical_peaks(v[moving], acc_mps2[moving], axis)
    along = v[moving] @ axis
    first = int(np.flatnonzero(np.abs(along) >= 0.5 * peak)[0])
    if along[first] < 0:
        axis = -axis
    return LimbAxis(axis, cross, Signature.prior(has_force), peak, 0, peak_acc)


WEAK_PHASE_SEPARATION = 1.2
"""Below this separation of the calibration's glides from its returns (all loaded-phase cues
together, in spreads: :attr:`~analysis.stages.loaded_phase.Signature.separation`) the pressed half
of a stroke cannot be told reliably: a glide and its return differing by d spreads are told apart
Φ(d/√2) of the time, 80 % at 1.2, so one stroke in five or more would be reported the wrong way.
That happens when the return glides back as slowly as the glide, without lifting, and there is no
force sensor and no friction to hear (oiled skin, a sensor below 45 Hz)."""
PHASE_ADVICE = (
    "your glides and returns looked alike, so the pressing direction is hard to tell: "
    "lift the hand a little on the way back, or return quicker than you glide"
)
"""What the user is told after such a calibration: both are things a hand can do, and each gives
the loaded-phase decision a cue (the lift, the slower glide)."""
TILT_FREE_SHARE = 0.25
"""Least share (rms of the vertical over rms of the whole calibration velocity) that shows a
climbing limb to a device without a gyroscope. Measured on simulated micro:bit sessions (two seed
sets, 80 each, alike): weighing the horizontal part down took the sessions above it from 0.65 to
0.90 of strokes in the right direction (mean per session) and those below it from 0.87 to 0.81."""
TILTED_HORIZONTAL_WEIGHT = 0.35
"""The horizontal part's weight on a climbing limb: about the inverse of the tilt leak's excess
(2–6× the true horizontal velocity), so that leak and vertical motion count alike. Lower (0.2)
squashed the sideways motion of cross-friction and circles; 0.5 kept too much leak."""
TILT_FREE_MIN_ELEVATION_SIN = 0.5
"""The tilt-free axis is used only when it climbs at least 30° (sin 30° = 0.5)."""
TILT_FREE_MIN_CORRELATION = 0.4
"""Least correlation of the vertical velocity with the strokes' for the tilt-free axis."""
TILT_FREE_MIN_AGREEMENT_COS = 0.5
"""The tilt-free axis replaces the principal direction only within 60° of it (the sign judged
along the one is carried over to the other)."""
TILT_FREE_MIN_VARIANCE_SHARE = 0.7
"""... and the velocity's variance along it is at least this share of the principal direction's
(a lift-only estimate on a level leg carries a small share)."""
COUNTER_BLOCK_S = 0.1
"""The live calibration counter works on blocks of this much signal (counted in samples from the
window's start, so its count never depends on how the stream was batched), s."""
COUNTER_MIN_MOVING_S = 0.3
"""Movement needed before the counter trusts a direction, s."""
COUNTER_MIN_DISP_M = 0.03
"""A half moving less than this is a flicker, not a calibration stroke, m."""
COUNTER_MAX_TURN_COS = 0.87
"""When the running principal direction has turned further than this (cos 30°) from the one the
halves were cut along, they are cut again along the new one."""


class CalibrationCounter:
    """Counts upward calibration strokes while the calibration window is still open.

    The UI shows "stroke 1 of 3" as the user strokes and closes the window at three, so the count
    must come while the samples arrive, not when the window is learnt. It is a light version of
    :func:`learn_axis`, causal and cheap: running second moments of the moving velocity give the
    principal direction (no sign yet); once it is clear, the velocity is cut into half-strokes
    along it by a :class:`HalfStrokeSegmenter` carried from block to block. The user was asked to
    start with an upward stroke, so the way the first real half went is "up", and the count is
    the halves that went that way. (The final count, after the window closes, is
    :func:`learn_axis`'s.)

    Parameters
    ----------
    rate_hz:
        Nominal sample rate, Hz.
    max_samples:
        Longest history kept (the calibration buffer's bound).
    """

    def __init__(self, rate_hz: float, max_samples: int) -> None:
        self._block = max(round(COUNTER_BLOCK_S * rate_hz), 1)
        self._min_moving = max(int(COUNTER_MIN_MOVING_S * rate_hz), 10)
        self._max_samples = max_samples
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new calibration window)."""
        self._pending_t: list[FloatArray] = []
        self._pending_v: list[FloatArray] = []
        self._pending_f: list[FloatArray] = []
        self._pending_n = 0
        self._up_sum = np.zeros(3)
        self._up_n = 0
        self._hist_t: list[FloatArray] = []
        self._hist_v: list[FloatArray] = []
        self._hist_n = 0
        self._moments = np.zeros((3, 3))
        self._sum = np.zeros(3)
        self._moving = 0
        self._axis: FloatArray | None = None
        self._segmenter: HalfStrokeSegmenter | None = None
        self._first_sign = 0
        self._counted = 0
        self._count = 0

    @property
    def count(self) -> int:
        """Upward calibration strokes found so far."""
        return self._count

    @property
    def up(self) -> FloatArray | None:
        """Mean specific force of the window so far (sensor frame, m/s²: "up" and its length),
        ``None`` before any; summed block by block, so it too is the same for any batching."""
        return None if self._up_n == 0 else self._up_sum / self._up_n

    def process(
        self, t_s: FloatArray, v_mps: FloatArray, specific_force_mps2: FloatArray | None = None
    ) -> int:
        """Feed calibration samples (time order): velocity (n, 3) and, optionally, the raw
        specific force (n, 3) for :attr:`up`; return the count so far."""
        if t_s.shape[0] == 0:
            return self._count
        f = (
            np.full((t_s.shape[0], 3), np.nan)
            if specific_force_mps2 is None
            else specific_force_mps2
        )
        self._pending_t.append(t_s)
        self._pending_v.append(v_mps)
        self._pending_f.append(f)
        self._pending_n += t_s.shape[0]
        if self._pending_n < self._block:
            return self._count
        t = np.concatenate(self._pending_t)
        v = np.concatenate(self._pending_v)
        f = np.concatenate(self._pending_f)
        whole = (t.shape[0] // self._block) * self._block
        self._pending_t = [t[whole:]] if whole < t.shape[0] else []
        self._pending_v = [v[whole:]] if whole < t.shape[0] else []
        self._pending_f = [f[whole:]] if whole < t.shape[0] else []
        self._pending_n = t.shape[0] - whole
        for i in range(0, whole, self._block):
            block_f = f[i : i + self._block]
            if np.isfinite(block_f).all():
                self._up_sum = self._up_sum + block_f.sum(axis=0)
                self._up_n += block_f.shape[0]
            self._block_in(t[i : i + self._block], v[i : i + self._block])
        return self._count

    def _block_in(self, t: FloatArray, v: FloatArray) -> None:
        self._hist_t.append(t)
        self._hist_v.append(v)
        self._hist_n += t.shape[0]
        while self._hist_n - self._hist_t[0].shape[0] >= self._max_samples:
            self._hist_n -= self._hist_t.pop(0).shape[0]
            self._hist_v.pop(0)
        moving = v[np.einsum("ij,ij->i", v, v) > MOVING_SPEED_MPS**2]
        self._moments += moving.T @ moving
        self._sum += moving.sum(axis=0)
        self._moving += moving.shape[0]
        if self._moving < self._min_moving:
            return
        mean = self._sum / self._moving
        cov = self._moments / self._moving - np.outer(mean, mean)
        values, vectors = np.linalg.eigh(cov)
        if values[2] < 1.5 * values[1]:
            return  # no clear direction yet
        axis = vectors[:, 2]
        cross = vectors[:, 1]
        if self._axis is not None and abs(float(axis @ self._axis)) >= COUNTER_MAX_TURN_COS:
            assert self._segmenter is not None
            self._count_halves(self._segmenter.process(t, v, self._axis, cross, None, None))
            return
        # a first clear direction, or a new one: cut the whole history along it
        self._axis = axis if self._axis is None or axis @ self._axis >= 0 else -axis
        hist_t = np.concatenate(self._hist_t)
        hist_v = np.concatenate(self._hist_v)
        fast = np.einsum("ij,ij->i", hist_v, hist_v) > MOVING_SPEED_MPS**2
        self._segmenter = stroke_segmenter((hist_v @ self._axis)[fast])
        self._first_sign = 0
        self._counted = 0
        self._count_halves(self._segmenter.process(hist_t, hist_v, self._axis, cross, None, None))

    def _count_halves(self, halves: list[HalfStroke]) -> None:
        for half in halves:
            if abs(half.disp_m) < COUNTER_MIN_DISP_M:
                continue
            if self._first_sign == 0:
                self._first_sign = half.sign
            if half.sign == self._first_sign:
                self._counted += 1
        # shown progress never goes back (cutting again along a turned direction may find one
        # stroke fewer); the final count is learn_axis's
        self._count = max(self._count, self._counted)


def orthogonal_cross(axis: FloatArray, cross: FloatArray) -> FloatArray:
    """``cross`` made exactly perpendicular to ``axis`` and of unit length."""
    c = cross - (cross @ axis) * axis
    norm = float(np.linalg.norm(c))
    if norm < 1e-9:
        c = np.cross(axis, np.array([1.0, 0.0, 0.0]))
        if np.linalg.norm(c) < 1e-6:
            c = np.cross(axis, np.array([0.0, 1.0, 0.0]))
        norm = float(np.linalg.norm(c))
    return c / norm


def halves_summary(halves: list[HalfStroke]) -> str:
    """One line describing halves, for logs."""
    return ", ".join(f"{h.sign:+d}:{h.duration_s:.2f}s/{h.disp_m * 100:.0f}cm" for h in halves)
