"""The limb axis and its sign, learned from the calibration window.

The axis is expressed in the *sensor frame*. The sensor is fixed to the hand, and a gliding hand
keeps its pose relative to the leg it rides on, so the limb's direction in the sensor frame stays
put whatever the posture: seated with the leg extended (toward the heart is horizontal), foot on
a chair (it climbs) or lying with the leg raised (it points down). An earth-frame axis would
instead need yaw, which drifts without a magnetometer, and would move every time the leg moves.

During calibration the user makes slow upward strokes and returns: the principal direction of the
hand's velocity (PCA) is the limb axis, up to sign. The sign comes from which of the two
directions carries the loaded glides, judged by the loaded-phase cues with their physical priors
(force, slower glide, no lift, friction vibration); the same strokes then teach the user's own
:class:`~analysis.stages.loaded_phase.Signature`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.samples import FloatArray
from analysis.stages.loaded_phase import Signature
from analysis.stages.motion import undo_phase_lead
from analysis.stages.segmentation import HalfStroke, HalfStrokeSegmenter

FIRST_STROKE_VOTE = 1.0
"""Weight of "the first calibration movement is an upward glide" in the sign vote (the cues'
separations, in spreads, are the other votes)."""


@dataclass(frozen=True)
class LimbAxis:
    """Unit vectors in the sensor frame: ``axis`` toward the heart, ``cross`` the dominant
    direction across it (lift or sideways), and the user's loaded-phase ``signature``.
    ``stroke_speed_mps`` is the typical peak speed of the calibration glides, ``stroke_acc_mps2``
    their typical peak acceleration."""

    axis: FloatArray
    cross: FloatArray
    signature: Signature
    stroke_speed_mps: float
    loaded_halves: int
    stroke_acc_mps2: float = 0.0


@dataclass(frozen=True)
class AxisResult:
    """The outcome of a calibration: ``axis`` when learned, otherwise a ``message`` for the user."""

    axis: LimbAxis | None
    strokes_seen: int
    message: str
    calibration_strokes: tuple[HalfStroke, ...] = ()


def principal_directions(v_mps: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Principal directions of velocity samples (n, 3): first, second, and the eigenvalues
    (descending, (m/s)²)."""
    # centred: a velocity offset left by drift is not a direction of the strokes
    centred = v_mps - v_mps.mean(axis=0)
    cov = centred.T @ centred / max(v_mps.shape[0], 1)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    return vectors[:, order[0]].copy(), vectors[:, order[1]].copy(), values[order]


def learn_axis(
    t_s: FloatArray,
    v_mps: FloatArray,
    acc_mps2: FloatArray,
    vibration: FloatArray | None,
    force_n: FloatArray | None,
    rate_hz: float | None = None,
) -> AxisResult:
    """Learn the limb axis, its sign and the loaded-phase signature from calibration samples.

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
    moving = speed > 0.02
    if moving.sum() < 10:
        return AxisResult(None, 0, "no strokes seen: make three slow strokes up the leg")
    axis, cross, values = principal_directions(v_mps[moving])
    if values[0] < 1.5 * values[1]:
        return AxisResult(
            None, 0, "the strokes had no clear direction: glide along the leg, toward the heart"
        )
    peak = float(np.percentile(np.abs(v_mps[moving] @ axis), 95))
    peak_acc = float(np.percentile(np.abs(acc_mps2[moving] @ axis), 95))
    segmenter = HalfStrokeSegmenter(dead_band_mps=max(0.12 * peak, 0.01))
    halves = segmenter.process(t_s, v_mps, axis, cross, vibration, force_n, acc_mps2)
    plus = [h for h in halves if h.sign > 0]
    minus = [h for h in halves if h.sign < 0]
    if len(plus) < 2 or len(minus) < 2:
        n = max(len(plus), len(minus))
        return AxisResult(None, n, f"saw {n} strokes; make three slow strokes up the leg")
    # which direction carries the loaded glides: judged with the physical priors
    prior = Signature.prior(has_force=force_n is not None)
    as_plus = Signature.learn(plus, minus)
    vote = float((np.nan_to_num(as_plus.weight) * np.abs(prior.weight)).sum())
    # The user was asked for upward strokes from rest: the first real movement is the first
    # glide (a flicker of the velocity filter before it is not a movement: it must be at least
    # half as long as the typical calibration half).
    typical = float(np.median([abs(h.disp_m) for h in halves]))
    first = next(h for h in halves if abs(h.disp_m) >= 0.5 * typical)
    vote += FIRST_STROKE_VOTE * first.sign
    if vote < 0:
        axis = -axis
        loaded, returns = minus, plus
    else:
        loaded, returns = plus, minus
    signature = Signature.learn(loaded, returns).shrunk_toward(prior, len(loaded))
    return AxisResult(
        LimbAxis(axis, cross, signature, peak, len(loaded), peak_acc),
        len(loaded),
        f"learned from {len(loaded)} strokes",
        tuple(loaded),
    )


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
