"""Putting a sensor's samples on the session clock: drift correction and gap detection.

A BLE sensor stamps its samples with its own clock (Polar: ns since 2000; the open profile: µs
counter) or not at all (Thingy:52, micro:bit, WitMotion: one sample per notification at a
nominal rate). The session clock must be one monotonic clock in **host seconds** from the first
sample, without jumps the sensor did not make. Two things go wrong with the raw device times:

* the device's crystal runs a little fast or slow (tens of ppm; a cheap board's "100 Hz" may be
  99.7 Hz). Over a 30-minute session 50 ppm is 90 ms — enough to misplace a cue against a
  video or a second sensor;
* samples get lost (a dropped notification, a reconnect), and the times of the samples after the
  loss must say so.

How the mapping works (:class:`DeviceClock`)
    Every notification gives a pair (device time of its last sample ``d``, host receive time
    ``h``). ``h − d`` is the clock offset plus a transport latency that is always ≥ 0 and
    sometimes large (BLE connection intervals, a busy host). The *lower envelope* of ``h − d``
    is therefore the offset plus the smallest latency, which is nearly constant; its slope is
    the relative rate error of the two clocks. We keep the minimum of ``h − d`` per 5 s of
    device time and fit a line through the last 60 such minima (least squares); once they span
    at least 20 s the line is trusted: its slope is the skew (clipped to ±1000 ppm, beyond
    which a crystal is broken and the estimate is wrong) and it predicts the host time at which
    any sample was taken.

    The session clock advances sample by sample by the device's own spacing ``Δd`` (so its
    jitter-free timing is kept) times ``1 + skew + slew``. The *slew* steers the clock onto the
    host time the line predicts (an error ``e`` is corrected at ``e / 10 s``, at most 500 ppm),
    so the offset built up before the line was trusted is worked off too, like NTP slews a
    clock: the session clock never jumps and never runs backwards.

Devices without timestamps get synthetic device times ``k / nominal_rate``; the same skew
estimate then corrects their nominal rate to the real one. Their losses cannot be counted, so a
notification that arrives much later than the clock predicts (``> max(0.25 s, 10 periods)``)
re-anchors the clock on the host time and is recorded as a gap.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Final

import numpy as np

from analysis.samples import FloatArray, SampleBatch

WINDOW_S: Final = 5.0
"""Device seconds per lower-envelope point."""
MAX_WINDOWS: Final = 60
"""Lower-envelope points kept for the skew fit (five minutes)."""
MIN_SPAN_S: Final = 20.0
"""Device seconds the envelope must span before the skew is trusted."""
MAX_SKEW: Final = 1e-3
"""Largest relative clock-rate error believed (1000 ppm)."""
SLEW_TAU_S: Final = 10.0
"""Time constant with which the session clock is steered onto the host clock."""
MAX_SLEW: Final = 5e-4
"""Largest extra rate used for steering (500 ppm)."""


class DeviceClock:
    """Learns the device clock's offset and rate against the host clock from the lower envelope
    of (host receive time − device time) (see the module docstring).

    Attributes
    ----------
    skew:
        Current estimate of ``host_rate / device_rate − 1`` (0 until trusted).
    """

    def __init__(self) -> None:
        self.skew = 0.0
        self._line: tuple[float, float, float] | None = None  # (d_ref, offset at d_ref, slope)
        self._window_start_d: float | None = None
        self._window_min: tuple[float, float] | None = None  # (d, h - d)
        self._minima: deque[tuple[float, float]] = deque(maxlen=MAX_WINDOWS)

    @property
    def trusted(self) -> bool:
        """Whether the envelope line is known (enough data spanning enough time)."""
        return self._line is not None

    def host_time_of(self, device_time_s: float) -> float:
        """Host time at which the device took a sample stamped ``device_time_s`` (plus the
        smallest transport latency, a constant); only meaningful when :attr:`trusted`."""
        assert self._line is not None
        d_ref, o_ref, slope = self._line
        return device_time_s + o_ref + slope * (device_time_s - d_ref)

    def observe(self, device_time_s: float, host_time_s: float) -> None:
        """Add one (device time, host receive time) pair."""
        offset = host_time_s - device_time_s
        if self._window_start_d is None:
            self._window_start_d = device_time_s
        if self._window_min is None or offset < self._window_min[1]:
            self._window_min = (device_time_s, offset)
        if device_time_s - self._window_start_d < WINDOW_S:
            return
        self._minima.append(self._window_min)
        self._window_start_d = device_time_s
        self._window_min = None
        self._refit()

    def restart(self) -> None:
        """Forget the envelope (the device clock restarted); keep the last skew estimate."""
        self._window_start_d = None
        self._window_min = None
        self._minima.clear()
        self._line = None

    def _refit(self) -> None:
        if len(self._minima) < 3:
            return
        d = np.array([m[0] for m in self._minima])
        o = np.array([m[1] for m in self._minima])
        if d[-1] - d[0] < MIN_SPAN_S:
            return
        slope, intercept = np.polyfit(d - d[-1], o, 1)
        self.skew = float(np.clip(slope, -MAX_SKEW, MAX_SKEW))
        self._line = (float(d[-1]), float(intercept), self.skew)


@dataclass(frozen=True, eq=False)
class SampleRun:
    """Consecutive samples of one notification (or a paired ACC+GYRO stretch), not yet timed.

    Attributes
    ----------
    acc_mps2, gyro_radps, force_n:
        Samples in SI units, shapes ``(n, 3)``, ``(n, 3)`` or ``None``, ``(n,)`` or ``None``.
    device_time_s:
        Each sample's time on the device clock, s, or ``None`` for devices without one.
    lost_before:
        Samples the device's counter or timestamps say are missing just before this run.
    """

    acc_mps2: FloatArray
    gyro_radps: FloatArray | None = None
    force_n: FloatArray | None = None
    device_time_s: FloatArray | None = None
    lost_before: int = 0

    def __len__(self) -> int:
        return int(self.acc_mps2.shape[0])


@dataclass(frozen=True, eq=False)
class TimedBatch:
    """A batch on the session clock, and the gap before it if samples were lost."""

    batch: SampleBatch
    gap: tuple[float, float] | None
    lost_samples: int


class SessionTimeline:
    """Turns :class:`SampleRun` s into :class:`SampleBatch` es on the session clock.

    Parameters
    ----------
    nominal_rate_hz:
        The rate the device was configured for (spaces samples of devices without timestamps).
    """

    def __init__(self, nominal_rate_hz: float) -> None:
        self.nominal_rate_hz = float(nominal_rate_hz)
        self.clock = DeviceClock()
        self.rate = 1.0
        """Session seconds per device second now (``1 + skew + slew``)."""
        self._last_t: float | None = None
        self._last_d: float | None = None
        self._last_host: float | None = None
        self._ref: tuple[float, float] | None = None  # (d, t) of the sample the clock steers by
        self._synthetic_d = 0.0
        self._discontinuity = False

    @property
    def last_t_s(self) -> float | None:
        """Session time of the newest sample, s."""
        return self._last_t

    def mark_discontinuity(self) -> None:
        """The link was lost: the next run is placed by the host clock unless its device times
        continue the old ones (a device that kept its clock across the reconnect)."""
        self._discontinuity = True

    def push_all(self, run: SampleRun, host_time_s: float) -> list[TimedBatch]:
        """Like :meth:`push`, but a run whose device times jump inside (samples lost between
        two of its samples) is split there, so every loss becomes its own gap."""
        d = run.device_time_s
        if d is None or len(run) < 2:
            return [self.push(run, host_time_s)]
        cuts = np.flatnonzero(np.diff(d) > 1.5 / self.nominal_rate_hz) + 1
        if cuts.size == 0:
            return [self.push(run, host_time_s)]
        out = []
        for k, (start, stop) in enumerate(zip([0, *cuts], [*cuts, len(run)], strict=True)):
            piece = SampleRun(
                acc_mps2=run.acc_mps2[start:stop],
                gyro_radps=None if run.gyro_radps is None else run.gyro_radps[start:stop],
                force_n=None if run.force_n is None else run.force_n[start:stop],
                device_time_s=d[start:stop],
                lost_before=run.lost_before if k == 0 else 0,
            )
            out.append(self.push(piece, host_time_s))
        return out

    def push(self, run: SampleRun, host_time_s: float) -> TimedBatch:
        """Time one run received at ``host_time_s`` (host monotonic seconds)."""
        n = len(run)
        period = 1.0 / self.nominal_rate_hz
        synthetic = run.device_time_s is None
        if synthetic:
            d = self._synthetic_d + period * np.arange(1, n + 1, dtype=np.float64)
        else:
            assert run.device_time_s is not None
            d = np.asarray(run.device_time_s, dtype=np.float64)
        gap: tuple[float, float] | None = None
        lost = int(run.lost_before)

        if self._last_t is None:
            # The first sample is t = 0.
            t = (d - d[0]) * self.rate
            self._ref = (float(d[0]), 0.0)
        else:
            last_t, last_d, last_host = self._last_t, self._last_d, self._last_host
            assert last_d is not None
            assert last_host is not None
            late_s = (host_time_s - last_host) - (d[-1] - last_d)
            continues = float(d[0]) > last_d and not (
                synthetic and (self._discontinuity or late_s > max(0.25, 10 * period))
            )
            if self._discontinuity and not synthetic and continues:
                # A device clock that kept running over the reconnect still tells the truth.
                continues = float(d[0]) - last_d < 3600.0
            if continues:
                step = float(d[0]) - last_d
                if lost == 0 and step > 1.5 * period and not synthetic:
                    lost = max(0, round(step / period) - 1)
                t = last_t + (d - last_d) * self.rate
            else:
                # No trustworthy device time across the break: place the run by the host
                # clock (its last sample arrived now), at least one period after the last one.
                self.clock.restart()
                span = float(d[-1] - d[0])
                first_t = last_t + max(period, (host_time_s - last_host) - span)
                t = first_t + (d - d[0]) * self.rate
                self._ref = (float(d[0]), first_t)
                if synthetic:
                    lost = max(lost, round((first_t - last_t) / period) - 1)
            if lost > 0 or not continues:
                gap = (last_t, float(t[0]))
            if t[0] <= last_t:
                # Never let rounding or a device stepping back break strict monotonicity.
                t = t + (last_t - t[0] + 1e-6)

        self.clock.observe(float(d[-1]), host_time_s)
        self._last_t = float(t[-1])
        self._last_d = float(d[-1])
        self._last_host = host_time_s
        self._synthetic_d = float(d[-1]) if synthetic else self._synthetic_d
        self._discontinuity = False
        self._steer()
        batch = SampleBatch(
            t_s=t, acc_mps2=run.acc_mps2, gyro_radps=run.gyro_radps, force_n=run.force_n
        )
        return TimedBatch(batch=batch, gap=gap, lost_samples=lost)

    def _steer(self) -> None:
        """Set :attr:`rate` for the next samples: the skew, plus a slew onto the host clock."""
        if not self.clock.trusted or self._ref is None:
            self.rate = 1.0 + self.clock.skew
            return
        assert self._last_d is not None
        assert self._last_t is not None
        ref_d, ref_t = self._ref
        target = ref_t + self.clock.host_time_of(self._last_d) - self.clock.host_time_of(ref_d)
        slew = float(np.clip((target - self._last_t) / SLEW_TAU_S, -MAX_SLEW, MAX_SLEW))
        self.rate = 1.0 + self.clock.skew + slew
