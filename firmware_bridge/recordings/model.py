"""What a recording is once read (spec: "Recording format v1")."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from analysis.events import CalibrationWindow, EventTable
from analysis.samples import FloatArray, SampleBatch

FORMAT_NAME: Final = "massage-recording"
FORMAT_VERSION: Final = 1


class RecordingError(ValueError):
    """A recording (or events file) that cannot be read; the message names file, line, column."""


@dataclass(frozen=True)
class RecordingMeta:
    """``meta.json``. Keys this version does not know are kept in ``extra`` and written back."""

    sample_rate_hz: float
    started_at: str | None = None
    device: dict[str, Any] = field(default_factory=dict)
    sensor_location: str | None = None
    limb: str | None = None
    technique: str | None = None
    calibration: CalibrationWindow | None = None
    gaps: tuple[tuple[float, float], ...] = ()
    complete: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Recording:
    """A recording directory read and validated: samples in SI units, metadata and labels."""

    path: Path
    meta: RecordingMeta
    samples: SampleBatch
    labels: EventTable | None = None
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def t_s(self) -> FloatArray:
        return self.samples.t_s

    @property
    def duration_s(self) -> float:
        t = self.samples.t_s
        return float(t[-1] - t[0]) if len(t) else 0.0
