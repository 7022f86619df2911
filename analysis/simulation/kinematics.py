"""Hand kinematics on the skin, as smooth functions of time with exact derivatives.

The hand's contact point is described in *skin coordinates* ``(s, q, h)`` in metres:

- ``s`` along the limb axis, increasing toward the heart;
- ``q`` arc length around the limb (across the axis);
- ``h`` lift off the skin along the outward skin normal.

A session is a time-ordered tiling of :class:`Segment` s (holds, glides, oscillations, circles).
Every segment starts and ends at rest with zero acceleration (minimum-jerk blends, smooth
envelopes), so the whole trajectory is twice continuously differentiable and its velocity and
acceleration are evaluated analytically, never by differencing sampled data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.samples import FloatArray

Vec3 = tuple[float, float, float]


def min_jerk(tau: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Minimum-jerk blend ``10τ³ − 15τ⁴ + 6τ⁵`` on ``τ ∈ [0, 1]`` and its first two derivatives
    with respect to ``τ``; zero velocity and acceleration at both ends."""
    t = np.clip(tau, 0.0, 1.0)
    t2 = t * t
    x = t2 * t * (10.0 - 15.0 * t + 6.0 * t2)
    dx = 30.0 * t2 * (1.0 - t) ** 2
    ddx = 60.0 * t * (1.0 - t) * (1.0 - 2.0 * t)
    return x, dx, ddx


def bump(tau: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Smooth bump ``64 τ³ (1 − τ)³`` (peak 1 at ``τ = ½``) and its first two τ-derivatives;
    zero value, velocity and acceleration at both ends (used for the lift of a return)."""
    t = np.clip(tau, 0.0, 1.0)
    u = 1.0 - t
    x = 64.0 * t**3 * u**3
    dx = 192.0 * t**2 * u**2 * (1.0 - 2.0 * t)
    ddx = 384.0 * t * u * ((1.0 - 2.0 * t) ** 2 - t * u)
    return x, dx, ddx


def smoother_step(tau: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Seventh-order blend ``35τ⁴ − 84τ⁵ + 70τ⁶ − 20τ⁷`` on ``τ ∈ [0, 1]`` and its first two
    τ-derivatives; zero velocity, acceleration and jerk at both ends."""
    t = np.clip(tau, 0.0, 1.0)
    t3 = t**3
    u = 1.0 - t
    x = t3 * t * (35.0 - 84.0 * t + 70.0 * t * t - 20.0 * t3)
    dx = 140.0 * t3 * u**3
    ddx = 420.0 * t * t * u * u * (1.0 - 2.0 * t)
    return x, dx, ddx


def envelope(
    t_s: FloatArray, duration_s: float, ramp_s: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Amplitude envelope: a smooth rise over ``ramp_s``, 1, a smooth fall at the end.

    Returns the envelope and its first and second time derivatives (1/s, 1/s²). The ramps are
    seventh-order, so the motion they shape has a continuous jerk and the wrist's angular
    acceleration that follows it has no steps.
    """
    ramp_s = min(ramp_s, duration_s / 2.0)
    up, dup, ddup = smoother_step(t_s / ramp_s)
    down, ddown, dddown = smoother_step((duration_s - t_s) / ramp_s)
    e = up * down
    de = dup / ramp_s * down - up * ddown / ramp_s
    dde = ddup / ramp_s**2 * down - 2.0 * dup * ddown / ramp_s**2 + up * dddown / ramp_s**2
    return e, de, dde


@dataclass(frozen=True)
class SkinState:
    """Skin coordinates ``(s, q, h)`` (m), their time derivatives (m/s, m/s²), the contact
    force (N) and the wrist's drive at a set of times; all arrays have ``n`` rows."""

    pos_m: FloatArray
    vel_mps: FloatArray
    acc_mps2: FloatArray
    force_n: FloatArray
    drive_mps: FloatArray
    """What bends the wrist, (n, 2) along and across the limb, m/s: the sliding velocity in
    oscillations and circles; in glides a bell of the same peak speed (1.875 L/T) that, unlike
    the minimum-jerk velocity, has no jump in its second derivative where a glide starts."""
    drive_rate_mps2: FloatArray
    """Time derivative of ``drive_mps``, (n, 2), m/s²."""


@dataclass(frozen=True)
class Segment:
    """One piece of the choreography, ``start_s`` to ``start_s + duration_s`` (true time, s).

    ``kind`` is ``hold``, ``glide``, ``oscillation`` or ``circle``. Positions are skin coordinates
    ``(s, q, h)`` in m. Force parameters are in N.

    - ``hold``: stays at ``start``; contact force ``force_n`` (0 when lifted).
    - ``glide``: minimum-jerk from ``start`` to ``end`` plus a lift bump of ``lift_m``; a loaded
      glide carries ``force_n`` with short ramps, a lifted return loses contact as it lifts.
    - ``oscillation``: ``start + amplitude · e(t) · sin(2π f t)`` (cross-friction), ``amplitude``
      a skin-coordinate vector; ``cycles`` whole cycles.
    - ``circle``: ``start + radius · e(t) · (cos, ±sin)(2π f t) − radius · e(t) · (1, 0)`` in the
      ``(s, q)`` plane (kneading), ``cycles`` whole revolutions, ``sense`` ±1.
    """

    kind: str
    start_s: float
    duration_s: float
    start: Vec3
    end: Vec3
    force_n: float = 0.0
    edge_force_n: float = 0.0
    lift_m: float = 0.0
    amplitude: Vec3 = (0.0, 0.0, 0.0)
    cycles: int = 0
    sense: float = 1.0

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s

    @property
    def frequency_hz(self) -> float:
        return self.cycles / self.duration_s if self.cycles else 0.0

    def evaluate(self, t_local: FloatArray) -> SkinState:
        """The state at times ``t_local`` (s) counted from the segment's start."""
        n = t_local.shape[0]
        a = np.asarray(self.start, dtype=np.float64)
        pos = np.tile(a, (n, 1))
        vel = np.zeros((n, 3))
        acc = np.zeros((n, 3))
        force = np.full(n, self.force_n)
        drive = np.zeros((n, 2))
        drive_rate = np.zeros((n, 2))
        d = self.duration_s
        if self.kind == "hold":
            return SkinState(pos, vel, acc, force, drive, drive_rate)
        if self.kind == "glide":
            b = np.asarray(self.end, dtype=np.float64)
            x, dx, ddx = min_jerk(t_local / d)
            pos += np.outer(x, b - a)
            vel += np.outer(dx / d, b - a)
            acc += np.outer(ddx / d**2, b - a)
            y, dy, _ = bump(t_local / d)
            peak = 1.875 * (b[:2] - a[:2]) / d
            drive = np.outer(y, peak)
            drive_rate = np.outer(dy / d, peak)
            ramp = 0.12
            if self.lift_m > 0.0:
                ddy = bump(t_local / d)[2]
                pos[:, 2] += self.lift_m * y
                vel[:, 2] += self.lift_m * dy / d
                acc[:, 2] += self.lift_m * ddy / d**2
                # Contact is lost as soon as the fingers leave the skin (~1 mm).
                force = self.force_n * np.exp(-np.maximum(pos[:, 2], 0.0) / 1e-3)
            else:
                # Plateau with short ramps whose mean over the glide is exactly force_n.
                r_in, _, _ = min_jerk(t_local / (ramp * d))
                r_out, _, _ = min_jerk((d - t_local) / (ramp * d))
                shape = r_in * r_out
                top = (self.force_n - self.edge_force_n * ramp) / (1.0 - ramp)
                force = self.edge_force_n + (top - self.edge_force_n) * shape
            return SkinState(pos, vel, acc, force, drive, drive_rate)
        omega = 2.0 * np.pi * self.frequency_hz
        ramp_s = min(0.5 / max(self.frequency_hz, 1e-9), d / 4.0)
        e, de, dde = envelope(t_local, d, ramp_s)
        force = self.edge_force_n + (self.force_n - self.edge_force_n) * e
        if self.kind == "oscillation":
            amp = np.asarray(self.amplitude, dtype=np.float64)
            sn, cs = np.sin(omega * t_local), np.cos(omega * t_local)
            f = e * sn
            df = de * sn + e * omega * cs
            ddf = dde * sn + 2.0 * de * omega * cs - e * omega**2 * sn
            pos += np.outer(f, amp)
            vel += np.outer(df, amp)
            acc += np.outer(ddf, amp)
            return SkinState(pos, vel, acc, force, vel[:, :2].copy(), acc[:, :2].copy())
        if self.kind == "circle":
            radius = float(self.amplitude[0])
            w = omega * self.sense
            cs, sn = np.cos(w * t_local), np.sin(w * t_local)
            # s: r·e·(cos − 1); q: r·e·sin — the circle passes through the start point.
            fs, dfs = cs - 1.0, -w * sn
            ddfs = -(w**2) * cs
            fq, dfq, ddfq = sn, w * cs, -(w**2) * sn
            for col, (g, dg, ddg) in ((0, (fs, dfs, ddfs)), (1, (fq, dfq, ddfq))):
                pos[:, col] += radius * e * g
                vel[:, col] += radius * (de * g + e * dg)
                acc[:, col] += radius * (dde * g + 2.0 * de * dg + e * ddg)
            return SkinState(pos, vel, acc, force, vel[:, :2].copy(), acc[:, :2].copy())
        raise ValueError(f"unknown segment kind {self.kind!r}")


class Choreography:
    """A time-ordered tiling of segments; evaluates the skin state at any true times.

    Parameters
    ----------
    segments:
        Consecutive segments, each starting where the previous one ended (time and place).
    """

    def __init__(self, segments: Sequence[Segment]) -> None:
        if not segments:
            raise ValueError("a choreography needs at least one segment")
        self.segments = tuple(segments)
        self._starts = np.array([seg.start_s for seg in self.segments])

    @property
    def duration_s(self) -> float:
        return self.segments[-1].end_s

    def evaluate(self, t_s: FloatArray) -> SkinState:
        """The skin state at true times ``t_s`` (s, any order); outside the tiling the first or
        last segment's end state holds."""
        order = np.argsort(t_s, kind="stable")
        ts = t_s[order]
        n = ts.shape[0]
        pos = np.empty((n, 3))
        vel = np.empty((n, 3))
        acc = np.empty((n, 3))
        force = np.empty(n)
        drive = np.empty((n, 2))
        drive_rate = np.empty((n, 2))
        idx = np.clip(np.searchsorted(self._starts, ts, side="right") - 1, 0, None)
        first, last = (int(idx[0]), int(idx[-1])) if n else (0, -1)
        bounds = np.searchsorted(idx, np.arange(first, last + 2), side="left")
        for k in range(first, last + 1):
            seg = self.segments[k]
            lo, hi = int(bounds[k - first]), int(bounds[k - first + 1])
            if lo == hi:
                continue
            local = np.clip(ts[lo:hi] - seg.start_s, 0.0, seg.duration_s)
            st = seg.evaluate(local)
            pos[lo:hi], vel[lo:hi], acc[lo:hi], force[lo:hi] = (
                st.pos_m,
                st.vel_mps,
                st.acc_mps2,
                st.force_n,
            )
            drive[lo:hi], drive_rate[lo:hi] = st.drive_mps, st.drive_rate_mps2
        inverse = np.empty_like(order)
        inverse[order] = np.arange(n)
        return SkinState(
            pos[inverse],
            vel[inverse],
            acc[inverse],
            force[inverse],
            drive[inverse],
            drive_rate[inverse],
        )

    def mean_forces_n(
        self, spans_s: Sequence[tuple[float, float]], points: int = 200
    ) -> FloatArray:
        """Mean contact force (N) over each ``(start, end)`` span of true time (one evaluation
        for all spans)."""
        if not spans_s:
            return np.zeros(0)
        frac = np.linspace(0.0, 1.0, points)
        spans = np.asarray(spans_s, dtype=np.float64)
        t = spans[:, :1] + (spans[:, 1:] - spans[:, :1]) * frac[None, :]
        force = self.evaluate(t.ravel()).force_n.reshape(t.shape)
        return np.asarray(force.mean(axis=1), dtype=np.float64)
