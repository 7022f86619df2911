"""Sample sources: anything that delivers :class:`SampleBatch` es in real time.

The live screen, the recorder and the headless printer talk to this protocol only, so a BLE
sensor, a phone over the network and the simulated sensor are interchangeable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from analysis.samples import SampleBatch


@dataclass(frozen=True)
class SourceInfo:
    """What a source is: shown in the UI and written into ``meta.json`` ``device``."""

    name: str
    profile: str
    sample_rate_hz: float
    has_gyro: bool
    has_force: bool
    address: str | None = None
    firmware: str | None = None


@dataclass
class SourceStats:
    """Running counters of a source's health (mutable state, read by the UI)."""

    samples: int = 0
    corrupt_packets: int = 0
    lost_samples: int = 0
    reconnects: int = 0
    gaps: list[tuple[float, float]] = field(default_factory=list)
    connected: bool = False
    last_error: str | None = None


class SampleSource(Protocol):
    """A live source. ``batches()`` yields batches on the session clock (seconds from the first
    sample) until ``close()`` is called or the source ends; lost stretches are appended to
    ``stats.gaps`` as ``(last t before, first t after)`` before the batch after the gap is
    yielded."""

    @property
    def info(self) -> SourceInfo: ...

    @property
    def stats(self) -> SourceStats: ...

    def batches(self) -> AsyncIterator[SampleBatch]: ...

    async def close(self) -> None: ...
