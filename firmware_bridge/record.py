"""Recording a live source: stream its batches into a :class:`RecordingWriter`, gaps included.

The headless ``live`` command and the tests share this loop; the UI may reuse it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from analysis.samples import SampleBatch
from firmware_bridge.source import SampleSource


class RecordingSink(Protocol):
    """The part of :class:`~firmware_bridge.recordings.writer.RecordingWriter` used here."""

    def append(self, batch: SampleBatch) -> None: ...

    def add_gap(self, before_s: float, after_s: float) -> None: ...


async def record_source(
    source: SampleSource, writer: RecordingSink, duration_s: float | None
) -> None:
    """Write every batch of ``source`` to ``writer`` until the source ends or ``duration_s``
    seconds of wall time have passed; then close the source (the writer stays open: its owner
    closes it, so ``meta.json`` says ``complete`` only once everything is in).

    A gap the source records (``source.stats.gaps``) is added to the writer before the batch
    after it, as the source protocol orders them.
    """
    written_gaps = 0

    async def pump() -> None:
        nonlocal written_gaps
        async for batch in source.batches():
            gaps = source.stats.gaps
            while written_gaps < len(gaps):
                writer.add_gap(*gaps[written_gaps])
                written_gaps += 1
            writer.append(batch)

    try:
        if duration_s is None:
            await pump()
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pump(), duration_s)
    finally:
        await source.close()
