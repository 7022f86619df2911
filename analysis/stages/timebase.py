"""Time base: clean the incoming samples and cut the stream where time jumps.

Rejected and counted: samples with a non-finite value (NaN/inf from a broken decoder), samples
whose time does not increase (duplicates, out-of-order packets), and samples where an axis sits on
its rail (saturation) for longer than ``MAX_CLIP_S``; a shorter clip at a stroke's peak is kept and
counted in ``clipped``. A jump in time of half a second or more (``MIN_GAP_S``, and at least a few
sample periods) is a gap (a long loss, a reconnect): every downstream stage restarts after it, so
nothing integrated before the gap can leak into a stroke after it. Jitter is tolerated; the real
rate is tracked with a running mean of the sample interval and a lasting change of rate also
restarts the stages, with filters redesigned for the new rate.

A shorter hole (lost BLE packets: a step longer than ``HOLE_PERIODS`` sample periods but not a
gap) is carried through, and filled with samples interpolated linearly at the design period. Every
filter downstream assumes one sample period per step: the AHRS would otherwise skip the hole's
rotation (0.06 s at 4 rad/s is 14° of attitude, 2.4 m/s² of gravity leaking into the linear
acceleration) and the velocity integrator its acceleration (a brisk stroke's 5 m/s² for 0.06 s is
0.3 m/s), either of which leaves a velocity offset of the size of a stroke for seconds. Hand motion
is smooth on the scale of a few packets (strokes below 5 Hz), so the straight line is close to
what was lost; over a longer hole it is only the best guess there is, still better than a restart
(:data:`MIN_GAP_S`). Only a device's clock can size a hole: a host's arrival stamps jitter by more
than a lost sample (:data:`MAX_FILL_JITTER`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

from analysis.samples import STANDARD_GRAVITY_MPS2, FloatArray, SampleBatch

_SATURATION_ACC_MPS2 = 1.4 * STANDARD_GRAVITY_MPS2
"""An accelerometer axis above this that repeats its previous value exactly is on its rail:
massage never produces 1.4 g of specific force, and real noise never repeats bit for bit."""
_SATURATION_GYRO_RADPS = 3.0
"""Likewise for the gyroscope (the smallest common range is 245 °/s ≈ 4.3 rad/s)."""


MAX_CLIP_S = 0.1
"""A rail held at most this long is clipping at the peak of a vigorous stroke, s: the clipped
samples are kept (they lose only the excess above full scale, while dropping them would lose the
whole acceleration of those samples and restarting would zero the velocity mid-stroke and re-level
the attitude on an accelerated sample). Held longer it is a knock or a stuck axis: a hole."""

MIN_GAP_S = 0.5
"""The shortest time step that is a gap whatever the rate, s. A loss shorter than this (a burst of
lost BLE packets: 0.03–0.25 s on average on the simulated links) falls within one stroke's half, and
restarting there costs more than carrying on: the restart zeroes the velocity of a hand that is
still gliding (the rest of that glide reads as a stroke the other way), re-guesses the attitude and
forgets the half-stroke before it, which the loaded-phase decision compares with. Carried through
instead, the hole is filled on a device clock and spans one step on a host's. Measured on
simulated sessions against 0.15 s: ``switch_up`` recall 0.907 → 0.920, 0.896 → 0.908 and
0.943 → 0.954 (seeds 0:100, 100:300, 2000:2100), stroke F1 +0.001–0.003."""

LOSS_MIN_S = 0.15
"""A step longer than this (and than ``gap_periods`` periods) is lost samples, never an interval
of the sample rate: the running rate ignores it, s. A change of rate shows as steps of a period or
two, a loss of a few BLE packets as one long step; counted as an interval, each such hole moved the
running rate by up to a fifth and set off a spurious change of rate (a restart)."""

HOLE_PERIODS = 1.5
"""A step longer than this many design periods (and not a gap) is a hole to fill."""

MAX_FILL_JITTER = 0.08
"""Holes are filled only while the stamps come from a clock: mean ``|step/period - 1|`` below
this. A device clock is regular (0 for µs stamps; whole-ms stamps give 0.05 at 104 Hz and 0.065
at 208 Hz, while at 416 Hz they cannot resolve the period and read 0.2). A host that stamps
samples on arrival bunches them at BLE connection events: 0.11–0.95 on simulated links, and a
step of two periods there is latency far more often than loss, because the link layer
acknowledges and retransmits every notification. Filling such a step adds a sample that never
existed, and with it one period of the gyro's rotation: on a lossless 50 Hz stream at 0.23 it
added 200 samples in 2 minutes, brisk strokes turning at 300 °/s gained 6° of tilt error each
time, and the gravity leak ran the velocity to 0.9 m/s, hiding the very strokes that owed a
``slow_down`` (fresh simulated sets: ``slow_down`` recall 0.923 → 0.957 when host stamps are not
filled)."""
_JITTER_ALPHA = 0.05

_RECENT = 15
"""Sample steps whose median sets the new rate after a change."""
_RATE_CHANGE = 0.2
"""Relative deviation of the running mean rate from the design rate that counts as a change."""


@dataclass(frozen=True)
class CleanRun:
    """Consecutive clean samples. ``restart`` is true when the stages must restart before it (a
    gap, a saturated stretch, a rate change, or the first run); ``rate_hz`` is the rate the
    stages should be designed for."""

    samples: SampleBatch
    restart: bool
    rate_hz: float


class TimeBase:
    """Validates sample times and values; splits the stream into clean runs.

    Parameters
    ----------
    nominal_rate_hz:
        The device's nominal sample rate in Hz.
    gap_periods:
        A time step longer than this many nominal periods (and at least ``min_gap_s``) is a gap.
    min_gap_s:
        The shortest time step in seconds that counts as a gap whatever the rate.
    """

    def __init__(
        self, nominal_rate_hz: float, gap_periods: float = 4.0, min_gap_s: float = MIN_GAP_S
    ) -> None:
        if not nominal_rate_hz > 0:
            raise ValueError("the nominal sample rate must be positive")
        self.design_rate_hz = float(nominal_rate_hz)
        self._gap_s = max(gap_periods / nominal_rate_hz, min_gap_s)
        self._loss_s = max(gap_periods / nominal_rate_hz, LOSS_MIN_S)
        self._last_t_s: float | None = None
        self._last_acc = np.full(3, np.nan)
        self._last_gyro = np.full(3, np.nan)
        # running mean of the sample interval: one-pole filter, ~2 s memory at the nominal rate
        self._dt_alpha = 1.0 / max(2.0 * nominal_rate_hz, 8.0)
        self._dt_state = np.array([1.0 / nominal_rate_hz])
        self._recent_steps = np.zeros(0)
        self._pending_restart = True
        self.dropped_nonfinite = 0
        self.dropped_order = 0
        self.dropped_saturated = 0
        self.clipped = 0
        self._clip_budget = max(1, round(MAX_CLIP_S * nominal_rate_hz))
        self._rail_run = 0
        self.gaps = 0
        self.rate_changes = 0
        self.filled = 0
        # a new link counts as irregular until its stamps have shown otherwise
        self._jitter = 1.0
        # the last sample handed out (t, acc, gyro, force): a hole may open right after it
        self._tail: tuple[float, FloatArray, FloatArray | None, float | None] | None = None

    @property
    def dropped(self) -> int:
        """All samples rejected so far (non-finite, out of order or saturated)."""
        return self.dropped_nonfinite + self.dropped_order + self.dropped_saturated

    @property
    def measured_rate_hz(self) -> float:
        return float(1.0 / self._dt_state[0])

    @property
    def gap_s(self) -> float:
        """The shortest time step that is a gap (the stages restart after it), s."""
        return self._gap_s

    def request_restart(self) -> None:
        """Make the next run restart the stages (e.g. after the caller changed something)."""
        self._pending_restart = True

    def accept(self, batch: SampleBatch) -> list[CleanRun]:
        """Clean one batch and return its runs of usable samples, in time order."""
        n = len(batch)
        if n == 0:
            return []
        t = batch.t_s
        keep = np.isfinite(t) & np.isfinite(batch.acc_mps2).all(axis=1)
        if batch.gyro_radps is not None:
            keep &= np.isfinite(batch.gyro_radps).all(axis=1)
        if batch.force_n is not None:
            keep &= np.isfinite(batch.force_n)
        self.dropped_nonfinite += int(n - keep.sum())
        idx = np.flatnonzero(keep)
        # strictly increasing times: a sample must be later than every sample kept before it
        prev = -np.inf if self._last_t_s is None else self._last_t_s
        tk = t[idx]
        running_max = np.maximum.accumulate(np.concatenate(([prev], tk)))[:-1]
        ordered = tk > running_max
        self.dropped_order += int(idx.size - ordered.sum())
        idx = idx[ordered]
        if idx.size == 0:
            return []
        rail = self._saturated(batch, idx)
        # position of each rail sample within its stretch (carried across batches)
        count = np.cumsum(rail)
        run_start = np.maximum.accumulate(np.where(rail, 0, count))
        broken = np.logical_or.accumulate(~rail)  # a clean sample came before, in this batch
        position = count - run_start + np.where(broken, 0, self._rail_run)
        position = np.where(rail, position, 0)
        self._rail_run = int(position[-1])
        saturated = position > self._clip_budget
        self.clipped += int(rail.sum() - saturated.sum())
        self.dropped_saturated += int(saturated.sum())
        # a saturated sample is a hole: it breaks the run like a gap does
        good = idx[~saturated]
        times = t[idx]
        # restart before sample j when the step to it is a gap or a saturated sample precedes it
        steps = np.diff(np.concatenate(([prev], times)))
        breaks = steps > self._gap_s
        if self._last_t_s is None:
            breaks[0] = False
        after_sat = np.concatenate(([False], saturated[:-1])) & ~saturated
        self.gaps += int(breaks[~saturated].sum())
        restart_at = (breaks | after_sat)[~saturated]
        self._last_t_s = float(times[-1])
        if good.size == 0:
            self._pending_restart = True
            return []
        tg = t[good]
        # running mean interval over accepted steps; a step across a gap or a long hole is not
        # an interval
        steps_g = np.diff(np.concatenate(([prev if np.isfinite(prev) else tg[0]], tg)))
        steps_g = np.where(
            restart_at | (steps_g <= 0) | (steps_g > self._loss_s), self._dt_state[0], steps_g
        )
        mean_dt, zf = lfilter(
            [self._dt_alpha],
            [1.0, self._dt_alpha - 1.0],
            steps_g,
            zi=self._dt_state * (1.0 - self._dt_alpha),
        )
        self._dt_state = np.array([mean_dt[-1]])
        del zf
        rate = 1.0 / mean_dt
        # the steps just before each sample (carried ring of the last ones), for a robust rate
        recent = np.concatenate((self._recent_steps, steps_g))
        self._recent_steps = recent[-_RECENT:]
        changed = np.abs(rate / self.design_rate_hz - 1.0) > _RATE_CHANGE
        runs: list[CleanRun] = []
        cut = np.flatnonzero(restart_at)
        start = 0
        bounds: list[int] = [*(int(c) for c in cut if c > 0), good.size]
        first_restart = self._pending_restart or bool(restart_at[0])
        for stop in bounds:
            if stop <= start:
                continue
            seg = good[start:stop]
            # a lasting change of rate: redesign at the first sample where the mean says so
            changed_here = np.flatnonzero(changed[start:stop])
            if changed_here.size:
                c = int(changed_here[0])
                if c > 0:
                    runs.append(self._run(batch, seg[:c], first_restart))
                    first_restart = False
                k = start + c + recent.size - steps_g.size  # index of this sample in `recent`
                self.design_rate_hz = float(
                    1.0 / np.median(recent[max(k + 1 - _RECENT, 0) : k + 1])
                )
                self.rate_changes += 1
                changed[start:] = np.abs(rate[start:] / self.design_rate_hz - 1.0) > _RATE_CHANGE
                runs.append(self._run(batch, seg[c:], True))
            else:
                runs.append(self._run(batch, seg, first_restart))
            first_restart = True
            start = stop
        self._pending_restart = bool(saturated[-1])
        return runs

    def _run(self, batch: SampleBatch, rows: np.ndarray, restart: bool) -> CleanRun:
        samples = SampleBatch(
            t_s=batch.t_s[rows],
            acc_mps2=batch.acc_mps2[rows],
            gyro_radps=None if batch.gyro_radps is None else batch.gyro_radps[rows],
            force_n=None if batch.force_n is None else batch.force_n[rows],
        )
        return CleanRun(self._fill(samples, restart), restart, self.design_rate_hz)

    def _fill(self, s: SampleBatch, restart: bool) -> SampleBatch:
        """``s`` with its holes (and the one between the previous run and it, unless the stages
        restart) filled by linear interpolation at the design period."""
        tail = None if restart else self._tail
        gyro, force = s.gyro_radps, s.force_n
        if tail is not None and (tail[2] is None) != (gyro is None):
            tail = None  # the channels changed: nothing to interpolate from
        if tail is not None and (tail[3] is None) != (force is None):
            tail = None
        self._tail = (
            float(s.t_s[-1]),
            s.acc_mps2[-1].copy(),
            None if gyro is None else gyro[-1].copy(),
            None if force is None else float(force[-1]),
        )
        period = 1.0 / self.design_rate_hz
        t = s.t_s if tail is None else np.concatenate(([tail[0]], s.t_s))
        steps = np.diff(t)
        if steps.size == 0:
            return s
        ratio = steps / period
        hole = ratio > HOLE_PERIODS
        # how irregular the stamps have been before each step: one-pole mean of |step/P - 1| over
        # the steps that are not holes (~20 steps of memory), held across holes
        regular = ~hole
        smoothed, _ = lfilter(
            [_JITTER_ALPHA],
            [1.0, _JITTER_ALPHA - 1.0],
            np.minimum(np.abs(ratio[regular] - 1.0), 1.0),
            zi=[self._jitter * (1.0 - _JITTER_ALPHA)],
        )
        after = np.full(steps.size + 1, np.nan)
        after[0] = self._jitter
        after[1:][regular] = smoothed
        known = np.maximum.accumulate(np.where(np.isnan(after), 0, np.arange(after.size)))
        jitter_before = after[known][:-1]
        if smoothed.size:
            self._jitter = float(smoothed[-1])
        extra = np.where(hole & (jitter_before < MAX_FILL_JITTER), np.rint(ratio) - 1.0, 0.0)
        extra = np.maximum(extra, 0.0).astype(np.int64)
        total = int(extra.sum())
        if total == 0:
            return s
        self.filled += total
        # output rows: for each step i (from sample i to i+1) its `extra[i]` new samples, then
        # sample i+1; new samples sit at equal fractions of the step
        prev_i = np.repeat(np.arange(steps.size), extra + 1)
        first = np.cumsum(extra + 1) - (extra + 1)
        k = np.arange(prev_i.size) - first[prev_i] + 1  # 1..extra+1 (the last is the sample)
        frac = k / (extra[prev_i] + 1.0)

        def interp(now: FloatArray, before: FloatArray | None) -> FloatArray:
            x = now if before is None else np.concatenate((before[None], now))
            x2 = x.reshape(x.shape[0], -1)
            out: FloatArray = x2[prev_i + 1]  # the real samples exactly, whatever the batching
            new = frac < 1.0
            lo, hi = x2[prev_i[new]], x2[prev_i[new] + 1]
            out[new] = lo + frac[new, None] * (hi - lo)
            return out.reshape((prev_i.size, *now.shape[1:]))

        head = tail is None
        if head:
            # the run's own first sample has no step before it
            t_out = np.concatenate((s.t_s[:1], interp(s.t_s, None)))
            acc = np.concatenate((s.acc_mps2[:1], interp(s.acc_mps2, None)))
            g = None if gyro is None else np.concatenate((gyro[:1], interp(gyro, None)))
            f = None if force is None else np.concatenate((force[:1], interp(force, None)))
        else:
            assert tail is not None
            t_out = interp(s.t_s, np.array(tail[0]))
            acc = interp(s.acc_mps2, tail[1])
            g = None if gyro is None or tail[2] is None else interp(gyro, tail[2])
            f = None if force is None or tail[3] is None else interp(force, np.array(tail[3]))
        return SampleBatch(t_s=t_out, acc_mps2=acc, gyro_radps=g, force_n=f)

    def _saturated(self, batch: SampleBatch, idx: np.ndarray) -> NDArray[np.bool_]:
        acc = batch.acc_mps2[idx]
        prev_acc = np.vstack((self._last_acc, acc[:-1]))
        sat = ((np.abs(acc) > _SATURATION_ACC_MPS2) & (acc == prev_acc)).any(axis=1)
        self._last_acc = acc[-1].copy()
        if batch.gyro_radps is not None:
            gyro = batch.gyro_radps[idx]
            prev_g = np.vstack((self._last_gyro, gyro[:-1]))
            sat |= ((np.abs(gyro) > _SATURATION_GYRO_RADPS) & (gyro == prev_g)).any(axis=1)
            self._last_gyro = gyro[-1].copy()
        result: NDArray[np.bool_] = sat
        return result
