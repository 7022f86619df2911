"""Stroke direction: linear (up/down along the limb axis), cross-friction, circular kneading.

- A *linear* half-stroke moves mostly along the limb axis (motion across it — a lift — is smaller
  than along it) and its velocity does not turn: a glide is straight.
- *Cross-friction* is a fast oscillation across the limb axis (1.5–3 Hz, 1–2 cm): the velocity
  across the axis, along its locally dominant direction, swings back and forth with little motion
  along the axis. One back-and-forth cycle is one stroke; a run needs at least three swings so a
  single sideways repositioning move is not mistaken for friction.
- *Circular* kneading turns the velocity vector continuously in the plane of the axis and the
  dominant cross direction without stopping; each full turn (2π) is one stroke. A reciprocating
  stroke with a lifted return traces a loop too, but it stops at every turn-around, and the turn
  is only counted while the hand keeps moving briskly, so it never accumulates to a revolution.

Repositioning (lift, move, put down) is neither: it either becomes a linear half judged a return
by the loaded-phase stage, or a lone swing that never completes a cross run.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

from analysis.samples import FloatArray
from analysis.stages.segmentation import HalfStroke, HalfStrokeSegmenter

LINEAR_MAX_ACC_RATIO = 1.0
"""A linear half accelerates less across the axis than along it (a circle: equally, ≥ 1)."""
SLOW_HALF_S = 1.0
"""A half this long or longer accelerates along the axis mostly below the stroke band (0.3 Hz:
half a cycle of 1 s), so its acceleration ratio overstates the motion across; it must also move
across the axis (``LINEAR_MAX_LIFT_RATIO``) to be judged not linear, s."""
LINEAR_MAX_LIFT_RATIO = 0.7
"""Path across the axis per path along it below which a slow half is a glide."""
CIRCLE_MIN_TURN_RAD = 0.6 * np.pi
CIRCLE_MIN_ACC_RATIO = 0.5
CIRCLE_MIN_LIFT_RATIO = 0.5
"""A half that turns more than ``CIRCLE_MIN_TURN_RAD`` while accelerating across the axis at least
half as hard as along it, on a round path (across at least half as far as along), is part of a
circle, not a glide. The path matters: a straight glide whose small cross-axis velocity (drift,
tilt error) changes sign mid-glide also turns through ~π while it moves briskly."""
CROSS_MAX_AXIAL_RATIO = 0.6
"""A cross-friction swing moves along the axis less than this share of its motion across it."""
CROSS_MAX_SWING_S = 0.5
"""Longest swing of cross-friction, s (1 Hz and faster: friction is 1.5–3 Hz)."""
CROSS_MIN_SWINGS = 3
CROSS_MAX_PAUSE_S = 0.25
"""Swings further apart than this belong to different runs, s."""

CROSS_HIGHPASS_HZ = 0.6
CIRCLE_HIGHPASS_HZ = 0.3
CIRCLE_MIN_SPEED_SHARE = 1.5
"""The turn is counted while the speed is above this multiple of the dead band."""
CIRCLE_MIN_ROUNDNESS = 0.5
"""Path across the axis per path along it in one revolution, at least (and at most its inverse)."""
CIRCLE_MAX_REV_S = 2.5
"""Longest revolution counted as kneading, s (kneading circles run at 0.5–2 Hz)."""

_E0 = np.array([1.0, 0.0, 0.0])
_E1 = np.array([0.0, 1.0, 0.0])


def _cross3(a: FloatArray, b: FloatArray) -> FloatArray:
    """Cross product of two 3-vectors (``np.cross`` spends ~20 µs a call on axis handling, twice
    per batch here)."""
    return np.array(
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    )


class HalfKind(enum.Enum):
    """What an axial half-stroke looks like."""

    LINEAR = "linear"
    OTHER = "other"


def classify_half(half: HalfStroke) -> HalfKind:
    """Linear when the half accelerates mainly along the axis and does not turn like a circle.

    Acceleration rather than velocity: stroke-band acceleration is free of the drift that
    integration accumulates, so the ratio of cross-axis to axial acceleration is a clean measure
    of how straight the movement was."""
    ratio = half.lift_acc_ratio
    lift = half.lift_ratio
    if ratio >= LINEAR_MAX_ACC_RATIO and (
        half.duration_s < SLOW_HALF_S or lift >= LINEAR_MAX_LIFT_RATIO
    ):
        return HalfKind.OTHER
    if (
        abs(half.rotation_rad) >= CIRCLE_MIN_TURN_RAD
        and ratio >= CIRCLE_MIN_ACC_RATIO
        and lift >= CIRCLE_MIN_LIFT_RATIO
    ):
        return HalfKind.OTHER
    return HalfKind.LINEAR


class LimbFrame:
    """Expresses the velocity in the limb's frame: along the axis, along the dominant direction
    across it (a running principal direction of the cross-axis velocity, ~0.5 s memory), and the
    rest. Returns columns ``(v_axial, v_cross, v_rest)`` in m/s.

    The principal direction is that of the velocity's running *covariance* (moments about the
    running mean): the direction the hand swings in. Raw moments would instead follow a slow
    offset of the integrated velocity (drift, a tilt error after a gap), which points anywhere,
    and split a friction swing between the cross and rest columns.

    Parameters
    ----------
    rate_hz:
        Sample rate, Hz.
    """

    def __init__(self, rate_hz: float) -> None:
        self._alpha = 1.0 / max(0.5 * rate_hz, 2.0)
        self._zi = np.zeros((5, 1))
        self._last_dir = (1.0, 0.0)
        self._parity = 0
        self._cos: FloatArray = np.ones(0)
        self._sin: FloatArray = np.zeros(0)

    def restart(self) -> None:
        self._zi[...] = 0.0
        self._last_dir = (1.0, 0.0)
        self._parity = 0

    def project(self, v_mps: FloatArray, axis: FloatArray, cross: FloatArray) -> FloatArray:
        """Velocity (n, 3) in the limb frame; remembers the cross directions it used."""
        normal = _cross3(axis, cross)
        v_ax = v_mps @ axis
        p1 = v_mps @ cross
        p2 = v_mps @ normal
        moments = np.stack((p1 * p1, p2 * p2, p1 * p2, p1, p2))
        a = self._alpha
        m, self._zi = lfilter([a], [1.0, a - 1.0], moments, axis=1, zi=self._zi)
        c11 = m[0] - m[3] * m[3]
        c22 = m[1] - m[4] * m[4]
        c12 = m[2] - m[3] * m[4]
        # a direction has no sign: take the turn of the axis that is continuous with the last
        # one (modulo π), or the cross velocity would flip sign whenever the direction passes
        # ±90°, which reads as a spurious swing
        angle = 0.5 * np.arctan2(2.0 * c12, c11 - c22)
        ca, sa = np.cos(angle), np.sin(angle)
        prev_c = np.concatenate(([self._last_dir[0]], ca[:-1]))
        prev_s = np.concatenate(([self._last_dir[1]], sa[:-1]))
        flips = np.cumsum(ca * prev_c + sa * prev_s < 0.0) + self._parity
        self._last_dir = (float(ca[-1]), float(sa[-1]))
        self._parity = int(flips[-1] % 2)
        sign = 1.0 - 2.0 * (flips % 2)
        ca, sa = ca * sign, sa * sign
        self._cos, self._sin = ca, sa
        return np.column_stack((v_ax, p1 * ca + p2 * sa, p2 * ca - p1 * sa))

    def rotate_like_last(self, x: FloatArray, axis: FloatArray, cross: FloatArray) -> FloatArray:
        """Other vectors (n, 3) in the limb frame of the last :meth:`project` call."""
        normal = _cross3(axis, cross)
        p1 = x @ cross
        p2 = x @ normal
        ca, sa = self._cos, self._sin
        return np.column_stack((x @ axis, p1 * ca + p2 * sa, p2 * ca - p1 * sa))


@dataclass(frozen=True)
class OtherStroke:
    """A cross-friction cycle or a circular revolution, times in s, force in N."""

    onset_s: float
    duration_s: float
    direction: str
    force_n: float | None
    decided_s: float


class OtherStrokeDetector:
    """Finds cross-friction cycles and circular revolutions, causally, in the limb frame.

    Parameters
    ----------
    rate_hz:
        Sample rate, Hz.
    dead_band_mps:
        Dead band of the cross swings; the revolution counter runs above this speed, m/s.

    Both look only at the velocity's own band: friction swings above ``CROSS_HIGHPASS_HZ`` and
    kneading circles above ``CIRCLE_HIGHPASS_HZ``; the slow drift of integrated velocity is below
    both and would otherwise merge swings or fake a turn.
    """

    def __init__(self, rate_hz: float = 100.0, dead_band_mps: float = 0.02) -> None:
        self._sos_cross = butter(2, CROSS_HIGHPASS_HZ, "highpass", fs=rate_hz, output="sos")
        self._sos_circle = butter(2, CIRCLE_HIGHPASS_HZ, "highpass", fs=rate_hz, output="sos")
        self._zi_cross = np.zeros((self._sos_cross.shape[0], 2, 3))
        self._zi_circle = np.zeros((self._sos_circle.shape[0], 2, 3))
        self._swings = HalfStrokeSegmenter(
            dead_band_mps=dead_band_mps, merge_s=0.05, max_half_s=2.0, min_disp_m=0.004
        )
        self._min_speed = CIRCLE_MIN_SPEED_SHARE * dead_band_mps
        self._run: list[HalfStroke] = []
        self._run_emitted = 0
        # running totals (sequential sums carried across batches) and the revolution's start
        self._g_total = 0.0
        self._s_total = np.zeros(3)
        self._n_total = 0
        self._rev: tuple[float, float, FloatArray, int] | None = None  # (t, turn, sums, index)
        self._last_phase: float | None = None

    @property
    def dead_band_mps(self) -> float:
        return self._swings.dead_band_mps

    def set_dead_band(self, dead_band_mps: float) -> None:
        self._swings.dead_band_mps = dead_band_mps
        self._min_speed = CIRCLE_MIN_SPEED_SHARE * dead_band_mps

    def restart(self) -> None:
        self._zi_cross[...] = 0.0
        self._zi_circle[...] = 0.0
        self._swings.restart()
        self._run = []
        self._run_emitted = 0
        self._rev = None
        self._last_phase = None

    def process(
        self, t_s: FloatArray, frame_mps: FloatArray, force_n: FloatArray | None
    ) -> list[OtherStroke]:
        """Feed a run of samples (velocity in the limb frame); return strokes decided in it."""
        if t_s.shape[0] == 0:
            return []
        out: list[OtherStroke] = []
        fast, self._zi_cross = sosfilt(self._sos_cross, frame_mps, axis=0, zi=self._zi_cross)
        turn, self._zi_circle = sosfilt(self._sos_circle, frame_mps, axis=0, zi=self._zi_circle)
        # cross swings: the segmenter's "axis" is the cross direction, its "cross" the limb axis
        swapped = fast[:, [1, 0, 2]]
        for swing in self._swings.process(t_s, swapped, _E0, _E1, None, force_n):
            out.extend(self._on_swing(swing))
        out.extend(self._circles(t_s, turn[:, 0], turn[:, 1], force_n))
        return out

    def _on_swing(self, swing: HalfStroke) -> list[OtherStroke]:
        is_cross = (
            swing.duration_s <= CROSS_MAX_SWING_S
            and swing.path_perp_m <= CROSS_MAX_AXIAL_RATIO * swing.path_axial_m
        )
        if not is_cross or (self._run and swing.onset_s - self._run[-1].end_s > CROSS_MAX_PAUSE_S):
            self._run = []
            self._run_emitted = 0
        if not is_cross:
            return []
        self._run.append(swing)
        out: list[OtherStroke] = []
        if len(self._run) < CROSS_MIN_SWINGS:
            return out
        while 2 * (self._run_emitted + 1) <= len(self._run):
            a = self._run[2 * self._run_emitted]
            b = self._run[2 * self._run_emitted + 1]
            force = None
            if a.force_n is not None and b.force_n is not None:
                force = 0.5 * (a.force_n + b.force_n)
            out.append(OtherStroke(a.onset_s, b.end_s - a.onset_s, "cross", force, swing.decided_s))
            self._run_emitted += 1
        if len(self._run) > 16:  # a bounded ring: keep only what is not paired yet
            drop = 2 * self._run_emitted
            self._run = self._run[drop:]
            self._run_emitted = 0
        return out

    def _circles(
        self, t_s: FloatArray, v_ax: FloatArray, v_cross: FloatArray, force_n: FloatArray | None
    ) -> list[OtherStroke]:
        n = t_s.shape[0]
        phase = np.arctan2(v_cross, v_ax)
        prev = phase[0] if self._last_phase is None else self._last_phase
        self._last_phase = float(phase[-1])
        dphi = np.diff(np.concatenate(([prev], phase)))
        dphi = (dphi + np.pi) % (2.0 * np.pi) - np.pi
        brisk = np.hypot(v_ax, v_cross) > self._min_speed
        dphi = np.where(brisk, dphi, 0.0)
        f = np.zeros(n) if force_n is None else force_n
        # totals after each sample, summed sequentially from the carried totals: the turn, and
        # force and path along and across the axis
        g_after = np.cumsum(np.concatenate(([self._g_total], dphi)))[1:]
        x = np.column_stack((f, np.abs(v_ax), np.abs(v_cross)))
        s_after = np.cumsum(np.vstack((self._s_total[None, :], x)), axis=0)[1:]
        out: list[OtherStroke] = []
        edges = np.flatnonzero(np.diff(brisk.astype(np.int8))) + 1
        bounds = [0, *edges.tolist(), n]
        for lo, hi in itertools.pairwise(bounds):
            if not brisk[lo]:
                self._rev = None  # the hand slowed: whatever turned so far is not a circle
                continue
            if self._rev is None:
                # the first brisk sample's step came from a slow one: start counting after it
                self._rev = (float(t_s[lo]), float(g_after[lo]), s_after[lo], self._n_total + lo)
            rel = g_after[lo:hi] - self._rev[1]
            hits = np.flatnonzero(np.abs(rel) >= 2.0 * np.pi)
            while hits.size:
                k = int(hits[0]) + lo
                t0, g0, s0, i0 = self._rev
                count = self._n_total + k - i0
                d = s_after[k] - s0
                force = None if force_n is None or count <= 0 else float(d[0] / count)
                end_t = float(t_s[k])
                # a kneading circle is round: as much motion across the axis as along it (a
                # stroke with a lifted return loops too, but long and flat)
                round_enough = (
                    CIRCLE_MIN_ROUNDNESS <= d[2] / max(d[1], 1e-9) <= 1.0 / CIRCLE_MIN_ROUNDNESS
                )
                if end_t - t0 <= CIRCLE_MAX_REV_S and round_enough:
                    out.append(OtherStroke(t0, end_t - t0, "circular", force, end_t))
                    g_next = g0 + np.sign(rel[k - lo]) * 2.0 * np.pi
                else:
                    # a slow drift of the turn over many strokes is not a kneading circle
                    g_next = float(g_after[k])
                self._rev = (end_t, float(g_next), s_after[k], self._n_total + k)
                rel = g_after[lo:hi] - g_next
                hits = np.flatnonzero(np.abs(rel[k - lo + 1 :]) >= 2.0 * np.pi) + (k - lo + 1)
        self._g_total = float(g_after[-1])
        self._s_total = s_after[-1].copy()
        self._n_total += n
        return out
