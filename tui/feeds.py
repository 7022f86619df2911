"""Where a session's samples come from: a live source task, or a playback clock.

Both hand whole :class:`SampleBatch` es to the UI timer through :meth:`take`; neither posts a
message or starts a task per sample.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final, Protocol

import numpy as np

from analysis.samples import SampleBatch
from firmware_bridge.source import SampleSource
from tui.session import SampleBuffer, SourceStatus

REPLAY_SPEEDS: Final = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0)
"""The replay speeds the ``+``/``-`` keys step through (the issue asks for 0.5×–20×)."""

MIN_SPEED: Final = REPLAY_SPEEDS[0]
MAX_SPEED: Final = REPLAY_SPEEDS[-1]


class Feed(Protocol):
    """What the session screen's timer drains each tick."""

    @property
    def ended(self) -> bool:
        """The source has nothing more to give (a recording played out, a source closed)."""
        ...

    def take(self, elapsed_s: float) -> list[SampleBatch]:
        """The batches that became due since the last call, ``elapsed_s`` wall seconds ago."""
        ...

    def status(self) -> tuple[SourceStatus, tuple[tuple[float, float], ...]]:
        """The source's state and its lost stretches so far."""
        ...


class SourceFeed:
    """A live :class:`SampleSource` read by one asyncio task into a :class:`SampleBuffer`.

    Call :meth:`start` on the app's event loop; :meth:`close` stops the task and the source.
    """

    def __init__(self, source: SampleSource) -> None:
        self.source = source
        self.buffer = SampleBuffer()
        self._task: asyncio.Task[None] | None = None
        self._ended = False
        self.error: str | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        try:
            async for batch in self.source.batches():
                self.buffer.push(batch)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown on the status line; the session stays usable
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._ended = True

    @property
    def ended(self) -> bool:
        return self._ended and len(self.buffer) == 0

    def take(self, elapsed_s: float) -> list[SampleBatch]:
        del elapsed_s  # a live source is paced by the sensor, not by us
        return self.buffer.drain()

    def status(self) -> tuple[SourceStatus, tuple[tuple[float, float], ...]]:
        info, stats = self.source.info, self.source.stats
        status = SourceStatus(
            name=info.name,
            profile=info.profile,
            nominal_rate_hz=info.sample_rate_hz,
            lost_samples=stats.lost_samples,
            corrupt_packets=stats.corrupt_packets,
            reconnects=stats.reconnects,
            connected=stats.connected and not self._ended,
            last_error=self.error or stats.last_error,
        )
        return status, tuple(stats.gaps)

    async def close(self) -> None:
        """Stop reading and close the source (bounded: a hung radio must not hold the exit)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, timeout=1.0)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.source.close(), timeout=2.0)


class PlaybackFeed:
    """Plays a whole :class:`SampleBatch` (a recording, a simulated session) against the clock.

    ``speed`` multiplies wall time; ``paused`` stops the playhead; :meth:`seek` moves it. Batches
    are cut at most ``chunk_s`` of sample time long so the pipeline sees them as a live source
    would deliver them.
    """

    def __init__(
        self,
        samples: SampleBatch,
        status: SourceStatus,
        *,
        speed: float = 1.0,
        gaps: tuple[tuple[float, float], ...] = (),
        chunk_s: float = 0.05,
    ) -> None:
        self.samples = samples
        self._status = status
        self._gaps = gaps
        self.speed = speed
        self.paused = False
        self.chunk_s = chunk_s
        self._index = 0
        t = samples.t_s
        self.start_s = float(t[0]) if len(t) else 0.0
        self.end_s = float(t[-1]) if len(t) else 0.0
        self.position_s = self.start_s

    @property
    def ended(self) -> bool:
        return self._index >= len(self.samples)

    def take(self, elapsed_s: float) -> list[SampleBatch]:
        if self.paused or self.ended:
            return []
        return self.take_until(self.position_s + elapsed_s * self.speed)

    def take_until(self, t_s: float) -> list[SampleBatch]:
        """Every sample with time ≤ ``t_s`` not yet handed out, in chunks of ``chunk_s``."""
        self.position_s = max(self.position_s, min(t_s, self.end_s))
        stop = int(np.searchsorted(self.samples.t_s, t_s, side="right"))
        out: list[SampleBatch] = []
        t = self.samples.t_s
        while self._index < stop:
            chunk_end = int(np.searchsorted(t, t[self._index] + self.chunk_s, side="left"))
            chunk_end = min(max(chunk_end, self._index + 1), stop)
            out.append(self.samples.slice(self._index, chunk_end))
            self._index = chunk_end
        return out

    def rewind(self) -> None:
        """Back to the first sample (a backward seek replays the causal pipeline from here)."""
        self._index = 0
        self.position_s = self.start_s

    def faster(self) -> float:
        larger = [s for s in REPLAY_SPEEDS if s > self.speed]
        self.speed = larger[0] if larger else MAX_SPEED
        return self.speed

    def slower(self) -> float:
        smaller = [s for s in REPLAY_SPEEDS if s < self.speed]
        self.speed = smaller[-1] if smaller else MIN_SPEED
        return self.speed

    def status(self) -> tuple[SourceStatus, tuple[tuple[float, float], ...]]:
        return self._status, self._gaps
