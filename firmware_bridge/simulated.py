"""The simulated sensor: a :class:`~firmware_bridge.source.SampleSource` that plays a simulated
session in real time, packet by packet, as a BLE sensor would deliver it.

Batches arrive at the simulated host arrival times of their BLE notifications (several samples
each for devices that pack them, one for those that do not), lost packets leave gaps that are
reported in ``stats.gaps`` before the batch after them, and ``t_s`` is the recording clock (the
device's own clock where it has one, so a drifting device runs slightly ahead of or behind the
wall clock, as a real one does).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from analysis.events import EventTable
from analysis.samples import SampleBatch
from analysis.simulation import SimulatedSession, simulate_session
from firmware_bridge.recordings.model import RecordingMeta
from firmware_bridge.source import SourceInfo, SourceStats

SIMULATED_NAME: Final = "Simulated sensor"
SIMULATED_PROFILE: Final = "simulated"
_MIN_WAKE_S: Final = 0.01
"""Never wake more often than this (wall time); packets due meanwhile come as one batch."""
_RECONNECT_S: Final = 0.8
"""A gap at least this long (s) is played as a lost and regained connection."""


class SimulatedSensor:
    """A live source playing a simulated session.

    Parameters
    ----------
    seed, technique, rate_hz, minutes:
        Passed to :func:`analysis.simulation.simulate_session`.
    speed:
        Playback speed: 1.0 is real time, 10.0 ten times faster, ``math.inf`` as fast as the
        consumer takes batches (tests).
    session:
        Play this session instead of simulating one.
    **overrides:
        Further simulation conditions (``device``, ``posture``, ``has_force`` …).
    """

    def __init__(
        self,
        seed: int = 0,
        technique: str | None = None,
        rate_hz: float | None = None,
        speed: float = 1.0,
        *,
        minutes: float = 5.0,
        session: SimulatedSession | None = None,
        **overrides: Any,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, not {speed}")
        if session is None:
            overrides.setdefault("truth", False)
            session = simulate_session(seed, minutes, technique, rate_hz, **overrides)
        self._session = session
        self._speed = float(speed)
        self._closed = asyncio.Event()
        self._started = False
        samples = session.samples
        self._info = SourceInfo(
            name=SIMULATED_NAME,
            profile=SIMULATED_PROFILE,
            sample_rate_hz=session.sample_rate_hz,
            has_gyro=samples.has_gyro,
            has_force=samples.has_force,
            address=None,
            firmware=f"simulation seed {session.seed}",
        )
        self._stats = SourceStats()

    @property
    def info(self) -> SourceInfo:
        return self._info

    @property
    def stats(self) -> SourceStats:
        return self._stats

    @property
    def session(self) -> SimulatedSession:
        """The session being played, with its labels and conditions."""
        return self._session

    @property
    def labels(self) -> EventTable:
        return self._session.labels

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def close(self) -> None:
        """Stop: the running ``batches()`` ends at its next wake-up (at once if it sleeps)."""
        self._closed.set()

    async def _sleep_until(self, wall_s: float) -> bool:
        """Sleep until ``wall_s`` (``time.monotonic``); ``False`` when closed meanwhile."""
        delay = wall_s - time.monotonic()
        if delay <= 0:
            await asyncio.sleep(0)
            return not self._closed.is_set()
        try:
            await asyncio.wait_for(self._closed.wait(), timeout=delay)
        except TimeoutError:
            return True
        return False

    async def batches(self) -> AsyncIterator[SampleBatch]:
        """Yield the session's samples in packets at their arrival times until the session
        ends or :meth:`close` is called. Playable once."""
        if self._started:
            return
        self._started = True
        session = self._session
        samples = session.samples
        starts = [int(i) for i in session.packet_starts] + [len(samples)]
        arrival = session.arrival_s
        gap_after = {after: before for before, after in session.gaps}
        t = samples.t_s
        rate = session.sample_rate_hz
        self._stats.connected = True
        realtime = math.isfinite(self._speed)
        wall0 = time.monotonic()
        next_wake = wall0
        try:
            p = 0
            n_packets = len(starts) - 1
            while p < n_packets and not self._closed.is_set():
                due_wall = wall0 + float(arrival[p]) / self._speed if realtime else 0.0
                first_t = round(float(t[starts[p]]), 6)
                # A long dropout is a lost connection: disconnected until it comes back.
                dropout = first_t - gap_after.get(first_t, first_t) >= _RECONNECT_S
                if dropout:
                    self._stats.connected = False
                if not await self._sleep_until(max(due_wall, next_wake)):
                    break
                if dropout:
                    self._stats.connected = True
                    self._stats.reconnects += 1
                if realtime:
                    next_wake = time.monotonic() + _MIN_WAKE_S
                now_host = (time.monotonic() - wall0) * self._speed if realtime else math.inf
                # Every packet that has arrived by now comes as one batch, never across a gap.
                q = p + 1
                while (
                    q < n_packets
                    and float(arrival[q]) <= now_host
                    and (realtime or q - p < 8)
                    and round(float(t[starts[q]]), 6) not in gap_after
                ):
                    q += 1
                lo, hi = starts[p], starts[q]
                if first_t in gap_after:
                    before = gap_after[first_t]
                    self._stats.gaps.append((before, first_t))
                    self._stats.lost_samples += max(0, round((first_t - before) * rate) - 1)
                self._stats.samples += hi - lo
                p = q
                yield samples.slice(lo, hi)
        finally:
            self._stats.connected = False


def recording_meta(session: SimulatedSession, *, complete: bool = True) -> RecordingMeta:
    """``meta.json`` for a simulated session: device, technique, calibration, gaps, and every
    simulated condition under ``simulation``. ``started_at`` is a fixed date plus a
    seed-derived offset, so the same seed writes the same bytes."""
    started = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=session.seed % 31_536_000)
    return RecordingMeta(
        sample_rate_hz=session.sample_rate_hz,
        started_at=started.isoformat(),
        device=dict(session.device),
        sensor_location=session.sensor_location,
        limb=session.limb,
        technique=session.technique,
        calibration=session.calibration,
        gaps=session.gaps,
        complete=complete,
        extra={"simulation": dict(session.conditions)},
    )
