"""Events shared by ground truth (``labels.csv``) and the classifier's output (spec: labels.csv).

Strokes, cues and other rows (``rest``, ``mark`` …) are kept apart because scorers treat them apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

LINEAR_DIRECTIONS: Final = ("up", "down")
OTHER_DIRECTIONS: Final = ("cross", "circular")
DIRECTIONS: Final = (*LINEAR_DIRECTIONS, *OTHER_DIRECTIONS)
"""The four stroke directions of the spec. The pipeline may also emit ``unknown``."""

CUE_SWITCH_UP: Final = "switch_up"
CUE_SLOW_DOWN: Final = "slow_down"
CUE_LIGHTER: Final = "lighter"
CUE_NAMES: Final = (CUE_SWITCH_UP, CUE_SLOW_DOWN, CUE_LIGHTER)


@dataclass(frozen=True)
class CalibrationWindow:
    """Where the user made at least three slow upward strokes, seconds on the recording clock."""

    onset_s: float
    duration_s: float

    @property
    def end_s(self) -> float:
        return self.onset_s + self.duration_s


@dataclass(frozen=True)
class Stroke:
    """One stroke: the loaded glide of a linear stroke, a cross-friction cycle or a revolution.

    ``onset_s``/``duration_s`` are on the recording's clock in seconds. ``emitted_s`` is the time
    of the newest sample the pipeline had seen when it decided the stroke (``None`` for labels).
    """

    onset_s: float
    duration_s: float
    direction: str
    force_n: float | None = None
    technique: str | None = None
    emitted_s: float | None = None
    confidence: float | None = None
    cadence_spm: float | None = None

    @property
    def end_s(self) -> float:
        return self.onset_s + self.duration_s

    @property
    def is_linear(self) -> bool:
        return self.direction in LINEAR_DIRECTIONS


@dataclass(frozen=True)
class Cue:
    """A cue issued to the user at ``onset_s`` (seconds, recording clock): ``switch_up`` …"""

    onset_s: float
    cue: str
    technique: str | None = None


@dataclass(frozen=True)
class OtherEvent:
    """Any other labelled row (``rest``, ``mark``, …); scorers ignore these."""

    onset_s: float
    duration_s: float
    label: str


@dataclass(frozen=True)
class EventTable:
    """All rows of a ``labels.csv`` or an events CSV, split by kind, each in time order."""

    strokes: tuple[Stroke, ...] = ()
    cues: tuple[Cue, ...] = ()
    others: tuple[OtherEvent, ...] = field(default=())

    def linear_strokes(self) -> tuple[Stroke, ...]:
        return tuple(s for s in self.strokes if s.is_linear)
