"""Stroke segmentation along the limb axis: half-strokes between turn-arounds and pauses.

The hand's velocity along the limb axis, ``v_ax``, changes sign at every turn-around and sits near
zero in a pause. With a dead band ±θ around zero, a *half-stroke* is a run where ``v_ax`` stays on
one side: it starts when ``v_ax`` leaves the dead band and ends when it enters it. A dip into the
dead band shorter than ``merge_s`` that comes back on the same side is a hesitation, not a new
stroke. Position along the axis is the velocity integrated within the half only, so drift never
outlives one stroke; a half longer than ``max_half_s`` is drift, not a stroke, and is dropped.

The velocity comes through a two-pole high-pass (corner ``lead_highpass_hz``) that leads the true
velocity by ``2·atan(a/ω)`` (a = 2π·corner) at angular frequency ω: it crosses zero, so a half
starts and ends, early by about ``2·atan(a/ω)/ω`` s — 0.03 s for a 0.5 s half, 0.13 s for 1 s, 0.28
s for 1.5 s (ω = π/duration: a half is half a cycle). Both reported times are moved later by that
much (the end never past the moment the half was decided), which keeps the duration; the force,
vibration and stroke-band acceleration means are taken over the re-timed span, since those channels
have no such lead. This is the first-order term only: the 5 Hz low-pass lags by ~0.045 s, and after
a pause the high-pass's memory of the previous half makes the velocity cross even earlier (0.1–0.3
s measured on min-jerk strokes); the correction stays on the safe side of both.

Running sums (``np.cumsum``, a sequential scan started from the carried total) give each half's
features, so the result is bit-for-bit the same however the stream is batched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.samples import FloatArray

# columns of the running sums
_DISP, _PATH_AX, _PATH_PERP, _E_AX, _E_PERP, _VIB, _FORCE, _COUNT, _ROT, _A_AX, _A_PERP = range(11)
_N_SUMS = 11
# the sums of the channels that reach the segmenter without the velocity's lead, and the count
_RAW = [_VIB, _FORCE, _COUNT, _A_AX, _A_PERP]


PEAK_HYSTERESIS = 2.0
"""A half counts only if its axial speed reaches this multiple of the dead band somewhere (a
Schmitt trigger: enter at θ, but confirm at 2θ). The velocity filter's tail after a stroke and slow
drift at rest leave the dead band only barely, a hand that moves does not."""

MAX_DISP_M = 0.8
"""No glide on a leg is longer: a half moving further is integration gone wrong (a knock, a
saturated burst), not a stroke."""


def phase_lead_s(duration_s: float, highpass_hz: float) -> float:
    """How early, in s, a two-pole high-pass at ``highpass_hz`` makes a half of ``duration_s``
    start and end: its phase lead ``2·atan(a/ω)`` over ω = π/duration (half a cycle)."""
    if highpass_hz <= 0.0 or duration_s <= 0.0:
        return 0.0
    w = np.pi / duration_s
    return float(2.0 * np.arctan(2.0 * np.pi * highpass_hz / w) / w)


@dataclass(frozen=True)
class HalfStroke:
    """One run of motion in one direction along the limb axis.

    Attributes
    ----------
    onset_s, end_s:
        Start and end on the recording clock, s.
    sign:
        +1 along the axis (toward the heart once the axis sign is learned), −1 against it.
    disp_m:
        Signed displacement along the axis, m.
    path_axial_m, path_perp_m:
        Path length along the axis and across it (lift, sideways), m.
    energy_axial, energy_perp:
        Mean squared velocity along and across the axis, (m/s)².
    acc_axial, acc_perp:
        Mean squared stroke-band acceleration along and across the axis over the re-timed span,
        (m/s²)² (0 when no acceleration was supplied).
    vibration:
        Mean accelerometer power above 15 Hz, (m/s²)²; ``None`` without that band.
    force_n:
        Mean contact force, N; ``None`` without a force channel.
    peak_speed_mps:
        Largest ``|v_ax|`` in the half, m/s.
    rotation_rad:
        Signed turn of the velocity vector in the plane (axis, dominant cross direction) while the
        hand moved briskly, rad: about ±π per half of a circle, near 0 for a straight glide.
    decided_s:
        Recording time of the sample at which the half was known to have ended, s.
    """

    onset_s: float
    end_s: float
    sign: int
    disp_m: float
    path_axial_m: float
    path_perp_m: float
    energy_axial: float
    energy_perp: float
    acc_axial: float
    acc_perp: float
    vibration: float | None
    force_n: float | None
    peak_speed_mps: float
    rotation_rad: float
    decided_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.onset_s

    @property
    def lift_acc_ratio(self) -> float:
        """Stroke-band acceleration across the axis per acceleration along it. A lift of a few cm
        up and back down within a return accelerates the hand along the skin normal about as
        hard as the glide does along the axis, while drift and tilt error stay below the band."""
        return (self.acc_perp + 1e-4) / (self.acc_axial + 1e-4)

    @property
    def lift_ratio(self) -> float:
        """Motion across the axis per motion along it (a lifted return is high)."""
        return self.path_perp_m / max(self.path_axial_m, 1e-4)


class HalfStrokeSegmenter:
    """Cuts the axial velocity into :class:`HalfStroke` s, causally.

    Parameters
    ----------
    dead_band_mps:
        Initial dead band θ around zero axial velocity, m/s (adapted to the user's stroke speed).
    merge_s:
        A dip into the dead band shorter than this, returning on the same side, is merged, s.
    max_half_s:
        A half longer than this is drift and is dropped, s.
    min_disp_m:
        A half moving less than this along the axis is jitter and is dropped, m.
    peak_hysteresis:
        A half whose peak axial speed stays below this multiple of the dead band is dropped (0:
        off).
    lead_highpass_hz:
        Corner in Hz of the two-pole velocity high-pass whose phase lead the reported times undo
        (0: the velocity has no lead, e.g. filtered forward and backward).
    """

    def __init__(
        self,
        dead_band_mps: float = 0.03,
        merge_s: float = 0.12,
        max_half_s: float = 6.0,
        min_disp_m: float = 0.012,
        peak_hysteresis: float = 0.0,
        lead_highpass_hz: float = 0.0,
    ) -> None:
        self.dead_band_mps = dead_band_mps
        self.merge_s = merge_s
        self.max_half_s = max_half_s
        self.min_disp_m = min_disp_m
        self.peak_hysteresis = peak_hysteresis
        self.lead_highpass_hz = lead_highpass_hz
        self._sums = np.zeros(_N_SUMS)
        # recent sample times and the running sums of the raw channels before each of them: the
        # force, vibration and acceleration of a half are taken over its re-timed span (_raw_sums)
        self._hist_t: FloatArray = np.zeros(0)
        self._hist_raw: FloatArray = np.zeros((0, len(_RAW)))
        self.restart()

    def restart(self) -> None:
        """Forget any half in progress (after a gap)."""
        self._hist_t = np.zeros(0)
        self._hist_raw = np.zeros((0, len(_RAW)))
        self._mode = 0
        self._prev_state = 0
        self._start_t = 0.0
        self._start_sums = self._sums.copy()
        self._dead_t: float | None = None
        self._dead_sums = self._sums.copy()
        self._peak = 0.0
        self._last_t: float | None = None
        self._last_phase: float | None = None

    @property
    def in_motion(self) -> bool:
        return self._mode != 0

    def process(
        self,
        t_s: FloatArray,
        v_mps: FloatArray,
        axis: FloatArray,
        cross: FloatArray,
        vibration: FloatArray | None,
        force_n: FloatArray | None,
        acc_mps2: FloatArray | None = None,
    ) -> list[HalfStroke]:
        """Feed one run of samples; return the halves that ended in it.

        ``v_mps`` is the velocity (n, 3) in the frame of the unit vectors ``axis`` (the limb axis)
        and ``cross`` (the dominant direction across it).
        """
        n = t_s.shape[0]
        if n == 0:
            return []
        v_ax = v_mps @ axis
        v_perp_vec = v_mps - v_ax[:, None] * axis[None, :]
        v_perp2 = np.einsum("ij,ij->i", v_perp_vec, v_perp_vec)
        v_perp = np.sqrt(v_perp2)
        # the first sample after a restart carries no time step (whatever the batch holds)
        prev_t = self._last_t if self._last_t is not None else t_s[0]
        dt = np.diff(np.concatenate(([prev_t], t_s)))
        # rotation of the velocity in the (axis, cross) plane, counted only while moving briskly
        v_c = v_mps @ cross
        phase = np.arctan2(v_c, v_ax)
        prev_phase = phase[0] if self._last_phase is None else self._last_phase
        dphi = np.diff(np.concatenate(([prev_phase], phase)))
        dphi = (dphi + np.pi) % (2.0 * np.pi) - np.pi
        brisk = np.hypot(v_ax, v_c) > 2.0 * self.dead_band_mps
        dphi = np.where(brisk, dphi, 0.0)
        x = np.empty((n, _N_SUMS))
        x[:, _DISP] = v_ax * dt
        x[:, _PATH_AX] = np.abs(v_ax) * dt
        x[:, _PATH_PERP] = v_perp * dt
        x[:, _E_AX] = v_ax * v_ax
        x[:, _E_PERP] = v_perp2
        x[:, _VIB] = 0.0 if vibration is None else vibration
        x[:, _FORCE] = 0.0 if force_n is None else force_n
        x[:, _COUNT] = 1.0
        x[:, _ROT] = dphi
        if acc_mps2 is None:
            x[:, _A_AX] = 0.0
            x[:, _A_PERP] = 0.0
        else:
            a_ax = acc_mps2 @ axis
            x[:, _A_AX] = a_ax * a_ax
            x[:, _A_PERP] = np.einsum("ij,ij->i", acc_mps2, acc_mps2) - a_ax * a_ax
        # sums before each sample: a half over samples [a, b) sums to before[b] - before[a]
        before = np.cumsum(np.vstack((self._sums[None, :], x)), axis=0)
        track_raw = self.lead_highpass_hz > 0.0 and (
            vibration is not None or force_n is not None or acc_mps2 is not None
        )
        if not track_raw:
            self._hist_t = np.zeros(0)
            self._hist_raw = np.zeros((0, len(_RAW)))
        else:
            self._hist_t = np.concatenate((self._hist_t, t_s))
            self._hist_raw = np.concatenate((self._hist_raw, before[:-1, _RAW]))
        self._last_t = float(t_s[-1])
        self._last_phase = float(phase[-1])
        theta = self.dead_band_mps
        state = np.where(v_ax > theta, 1, np.where(v_ax < -theta, -1, 0))
        changes = np.flatnonzero(np.diff(np.concatenate(([self._prev_state], state))))
        self._prev_state = int(state[-1])
        abs_v = np.abs(v_ax)
        has_vib = vibration is not None
        has_force = force_n is not None
        out: list[HalfStroke] = []
        seg_from = 0  # first sample of the batch not yet folded into the running peak

        def close(end_t: float, end_sums: FloatArray, decided_i: int) -> None:
            nonlocal seg_from
            if decided_i > seg_from:
                self._peak = max(self._peak, float(abs_v[seg_from:decided_i].max()))
            seg_from = decided_i
            half = self._make_half(end_t, end_sums, float(t_s[decided_i]), has_vib, has_force)
            if half is not None:
                out.append(half)
            self._mode = 0
            self._dead_t = None

        for j in (*changes.tolist(), n):
            # a dip in the dead band that outlasted merge_s ends the half at the dip's start
            if self._mode != 0 and self._dead_t is not None:
                limit = self._dead_t + self.merge_s
                k = int(np.searchsorted(t_s, limit, side="left"))
                if k < j or (j == n and k < n):
                    close(self._dead_t, self._dead_sums, k)
            if j == n:
                break
            new = int(state[j])
            if self._mode == 0:
                if new != 0:
                    self._begin(new, float(t_s[j]), before[j], j)
                    seg_from = j
            elif new == self._mode:
                self._dead_t = None  # a hesitation: same half goes on
            elif new == 0:
                if self._dead_t is None:
                    self._dead_t = float(t_s[j])
                    self._dead_sums = before[j].copy()
            else:
                if self._dead_t is not None:
                    close(self._dead_t, self._dead_sums, j)
                else:
                    close(float(t_s[j]), before[j], j)
                self._begin(new, float(t_s[j]), before[j], j)
                seg_from = j
            if self._mode != 0 and float(t_s[j]) - self._start_t > self.max_half_s:
                self._mode = 0  # drift, not a stroke
                self._dead_t = None
        if self._mode != 0:
            if seg_from < n:
                self._peak = max(self._peak, float(abs_v[seg_from:].max()))
            if float(t_s[-1]) - self._start_t > self.max_half_s:
                self._mode = 0
                self._dead_t = None
        self._sums = before[-1].copy()
        if track_raw:
            # keep what an open half may still need: from its start on, or the last sample
            keep_from = self._start_t if self._mode != 0 else float(t_s[-1])
            k = int(np.searchsorted(self._hist_t, keep_from, side="left"))
            self._hist_t = self._hist_t[k:]
            self._hist_raw = self._hist_raw[k:]
        return out

    def _begin(self, sign: int, t: float, sums: FloatArray, j: int) -> None:
        del j
        self._mode = sign
        self._start_t = t
        self._start_sums = sums.copy()
        self._dead_t = None
        self._peak = 0.0

    def _raw_sums(self, onset_s: float, end_s: float) -> FloatArray | None:
        """The running sums of :data:`_RAW` (vibration, force, sample count, squared acceleration
        along and across the axis) over ``[onset_s, end_s)``, or ``None`` when that span holds no
        sample.

        The velocity leads the hand (the high-pass), so the samples of a half's velocity run
        ``lead`` s earlier than the hand's motion; the force sensor, the friction vibration and
        the stroke-band acceleration have no such lead. Their means are taken over the re-timed
        span, the one the hand really moved in: over the velocity's own span, a return right
        after a pressed glide would carry the glide's last fraction of a second of force (10 N
        of a 38 N glide measured on a 1.6 s return), and a glide the landing of the lifted
        return before it (measured on 2 s glides: more than half a lifted return's acceleration
        across the axis, where a glide on the skin has next to none)."""
        if self._hist_t.size == 0 or self._hist_t[0] > onset_s:
            return None
        i0, i1 = np.searchsorted(self._hist_t, (onset_s, end_s), side="left")
        if i1 <= i0 or i1 >= self._hist_t.size:
            return None
        diff: FloatArray = self._hist_raw[i1] - self._hist_raw[i0]
        if diff[2] < 1.0:
            return None
        return diff

    def _make_half(
        self, end_t: float, end_sums: FloatArray, decided_t: float, has_vib: bool, has_force: bool
    ) -> HalfStroke | None:
        d = end_sums - self._start_sums
        count = d[_COUNT]
        if count < 2 or end_t <= self._start_t:
            return None
        if not self.min_disp_m <= abs(d[_DISP]) <= MAX_DISP_M:
            return None
        if self._peak < self.peak_hysteresis * self.dead_band_mps:
            return None
        lead = phase_lead_s(end_t - self._start_t, self.lead_highpass_hz)
        onset_s = self._start_t + lead
        end_s = min(end_t + lead, decided_t)
        vib_sum, force_sum, raw_count = d[_VIB], d[_FORCE], count
        acc_ax_sum, acc_perp_sum = d[_A_AX], d[_A_PERP]
        if lead > 0.0:
            raw = self._raw_sums(onset_s, end_s)
            if raw is not None:
                vib_sum, force_sum, raw_count, acc_ax_sum, acc_perp_sum = (float(x) for x in raw)
        return HalfStroke(
            onset_s=onset_s,
            end_s=end_s,
            sign=self._mode,
            disp_m=float(d[_DISP]),
            path_axial_m=float(d[_PATH_AX]),
            path_perp_m=float(d[_PATH_PERP]),
            energy_axial=float(d[_E_AX] / count),
            energy_perp=float(d[_E_PERP] / count),
            acc_axial=float(acc_ax_sum / raw_count),
            acc_perp=float(acc_perp_sum / raw_count),
            vibration=float(vib_sum / raw_count) if has_vib else None,
            force_n=float(force_sum / raw_count) if has_force else None,
            peak_speed_mps=self._peak,
            rotation_rad=float(d[_ROT]),
            decided_s=decided_t,
        )
