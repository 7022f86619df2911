"""Analytic test signals: a hand gliding along a fixed sensor axis with minimum-jerk strokes.

Everything is computed in closed form (position, velocity, acceleration of a minimum-jerk glide,
a smooth lift bump on the return), so tests know the truth exactly and do not depend on the
simulator. The sensor does not rotate: gravity stays on one sensor axis. Also here: running the
cross/circular detector over a synthetic velocity in batches (:func:`detect_other_strokes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.samples import STANDARD_GRAVITY_MPS2, FloatArray, SampleBatch
from analysis.stages.direction import OtherStroke, OtherStrokeDetector
from analysis.stages.segmentation import HalfStroke


def smooth_ramp(t: FloatArray, ramp_s: float) -> FloatArray:
    """A smooth envelope rising from 0 to 1 over ``ramp_s`` (hands start moving gradually)."""
    x = np.clip(t / ramp_s, 0.0, 1.0)
    out: FloatArray = x * x * (3.0 - 2.0 * x)
    return out


def min_jerk_acc(tau: FloatArray, distance_m: float, duration_s: float) -> FloatArray:
    """Acceleration (m/s²) of a minimum-jerk glide over ``distance_m`` at phase ``tau`` ∈ [0, 1]."""
    return distance_m / duration_s**2 * 60.0 * tau * (1.0 - tau) * (1.0 - 2.0 * tau)


def bump_acc(tau: FloatArray, height_m: float, duration_s: float) -> FloatArray:
    """Acceleration (m/s²) of the lift ``64 τ³ (1 − τ)³ · height`` at phase ``tau``."""
    u = 1.0 - tau
    return height_m / duration_s**2 * 384.0 * tau * u * ((1.0 - 2.0 * tau) ** 2 - tau * u)


@dataclass(frozen=True)
class Truth:
    """The loaded glides: (onset s, end s, +1 up / −1 down)."""

    loaded: tuple[tuple[float, float, int], ...]
    calibration: tuple[float, float]


def reciprocating(
    directions: list[int],
    *,
    rate_hz: float = 100.0,
    glide_s: float = 1.2,
    return_s: float = 0.7,
    pause_s: float = 0.3,
    distance_m: float = 0.15,
    lift_m: float = 0.03,
    force_n: float | None = 8.0,
    gyro: bool = True,
    axis: tuple[float, float, float] = (1.0, 0.0, 0.0),
    normal: tuple[float, float, float] = (0.0, 0.0, 1.0),
    gravity_axis: tuple[float, float, float] = (0.0, 0.0, 1.0),
    lead_s: float = 2.0,
    calibration_strokes: int = 3,
    noise_mps2: float = 0.01,
    seed: int = 0,
) -> tuple[SampleBatch, Truth]:
    """Calibration (``calibration_strokes`` upward glides) then one stroke per entry of
    ``directions`` (+1 up along ``axis``, −1 down), each a loaded glide followed by a lifted,
    quicker return. Returns the samples and the truth."""
    plan = [1] * calibration_strokes + list(directions)
    total_s = lead_s + len(plan) * (glide_s + return_s + 2 * pause_s) + 2.0
    n = int(total_s * rate_hz)
    t = np.arange(n) / rate_hz
    acc_along = np.zeros(n)
    acc_normal = np.zeros(n)
    force = np.zeros(n)
    loaded: list[tuple[float, float, int]] = []
    start = lead_s
    cal_end = lead_s
    for k, sign in enumerate(plan):
        phases = ((glide_s, sign, 0.0, True), (return_s, -sign, lift_m, False))
        for dur, s, lift, pressed in phases:
            sel = (t >= start) & (t < start + dur)
            tau = (t[sel] - start) / dur
            acc_along[sel] += min_jerk_acc(tau, s * distance_m, dur)
            if lift:
                acc_normal[sel] += bump_acc(tau, lift, dur)
            if pressed:
                force[sel] = force_n or 0.0
                loaded.append((start, start + dur, sign))
            start += dur + pause_s
        if k == calibration_strokes - 1:
            cal_end = start - pause_s / 2
    a = np.asarray(axis, float)
    nrm = np.asarray(normal, float)
    g = np.asarray(gravity_axis, float) * STANDARD_GRAVITY_MPS2
    rng = np.random.default_rng(seed)
    acc = g + np.outer(acc_along, a) + np.outer(acc_normal, nrm)
    acc = acc + rng.normal(0.0, noise_mps2, acc.shape)
    batch = SampleBatch(
        t_s=t,
        acc_mps2=acc,
        gyro_radps=rng.normal(0.0, 0.002, (n, 3)) if gyro else None,
        force_n=None if force_n is None else force + rng.normal(0.0, 0.05, n),
    )
    return batch, Truth(tuple(loaded[calibration_strokes:]), (lead_s - 0.3, cal_end))


def half_stroke(
    onset_s: float,
    sign: int,
    duration_s: float,
    *,
    lift: float,
    force_n: float | None = None,
    vibration: float | None = None,
) -> HalfStroke:
    """A 15 cm half-stroke as the segmenter would report it, for loaded-phase tests: ``lift`` is
    its motion (and acceleration) across the axis per motion along it; ``force_n`` N and
    ``vibration`` (m/s²)² where the device has those channels."""
    return HalfStroke(
        onset_s=onset_s, end_s=onset_s + duration_s, sign=sign, disp_m=0.15 * sign,
        path_axial_m=0.15, path_perp_m=lift * 0.15, energy_axial=0.02, energy_perp=0.001,
        acc_axial=0.3, acc_perp=0.3 * lift, vibration=vibration, force_n=force_n,
        peak_speed_mps=0.15 / duration_s * 1.9, rotation_rad=0.0, decided_s=onset_s + duration_s,
    )  # fmt: skip


def detect_other_strokes(
    t_s: FloatArray,
    v_mps: FloatArray,
    rate_hz: float,
    dead_band_mps: float,
    size: int | None = None,
    has_gyro: bool = True,
) -> list[OtherStroke]:
    """Cross/circular strokes of limb-frame velocity ``v_mps`` fed to a fresh
    :class:`OtherStrokeDetector` in batches of ``size`` samples (all at once by default), flushed
    at the end."""
    det = OtherStrokeDetector(rate_hz, dead_band_mps, has_gyro)
    size = size or t_s.shape[0]
    out: list[OtherStroke] = []
    for i in range(0, t_s.shape[0], size):
        out += det.process(t_s[i : i + size], v_mps[i : i + size], None)
    return out + det.flush()
