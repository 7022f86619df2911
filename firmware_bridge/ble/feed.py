"""What a live source hands to its consumer: timed batches in arrival order, its counters, and
its end (or the error that ended it). Shared by the BLE and phone sources."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from analysis.samples import SampleBatch
from firmware_bridge.ble.timeline import SampleRun, SessionTimeline
from firmware_bridge.source import SourceStats


class BatchFeed:
    """Times decoded runs on the session clock, counts them, and queues the batches.

    Parameters
    ----------
    nominal_rate_hz:
        The source's configured rate (see :class:`SessionTimeline`).
    """

    def __init__(self, nominal_rate_hz: float) -> None:
        self.stats = SourceStats()
        self.timeline = SessionTimeline(nominal_rate_hz)
        self._queue: asyncio.Queue[SampleBatch | BaseException | None] = asyncio.Queue()

    def deliver(self, run: SampleRun, host_time_s: float) -> None:
        """Queue the samples of ``run`` received at ``host_time_s``; a loss before them is
        appended to ``stats.gaps`` before their batch is queued (the source protocol's order)."""
        for timed in self.timeline.push_all(run, host_time_s):
            if timed.gap is not None:
                self.stats.gaps.append(timed.gap)
            self.stats.lost_samples += timed.lost_samples
            self.stats.samples += len(timed.batch)
            self._queue.put_nowait(timed.batch)

    def fail(self, exc: BaseException) -> None:
        """End the stream with ``exc`` (raised to the consumer after the batches before it)."""
        self._queue.put_nowait(exc)

    def end(self) -> None:
        """End the stream cleanly."""
        self._queue.put_nowait(None)

    async def items(self) -> AsyncIterator[SampleBatch]:
        """The batches until the end; raises the error a :meth:`fail` queued."""
        while True:
            item = await self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
