"""The causal stroke pipeline: sample batches in, strokes and cues out.

Live sessions, replays, ``classify`` and ``evaluate`` all run :class:`StrokePipeline`, so they agree
sample for sample. INTERFACE ONLY for now: the implementation lands with the stroke-pipeline issue.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.events import CalibrationWindow, Cue, EventTable, Stroke
from analysis.samples import SampleBatch
from analysis.techniques import TechniqueProfile


@dataclass(frozen=True)
class CalibrationStatus:
    """Progress of learning the limb axis. ``state`` is one of ``waiting`` (no calibration asked
    for yet), ``collecting`` (inside the window), ``learned`` or ``failed`` (``message`` says why,
    in words for the user). ``strokes_seen`` counts upward calibration strokes found so far."""

    state: str
    strokes_seen: int = 0
    message: str = ""


@dataclass(frozen=True)
class PipelineUpdate:
    """What became known while processing one batch.

    ``strokes``/``cues`` are the events decided in this batch, in time order. ``active_cues`` are
    the cue conditions that currently hold (the UI keeps showing them until they clear).
    ``cadence_spm`` is the latest cadence in strokes/min, ``force_n`` the latest contact force.
    ``t_s`` is the newest sample time seen; ``dropped_samples`` counts NaN/inf or out-of-order
    samples rejected so far.
    """

    strokes: tuple[Stroke, ...]
    cues: tuple[Cue, ...]
    active_cues: frozenset[str]
    cadence_spm: float | None
    force_n: float | None
    calibration: CalibrationStatus
    t_s: float
    dropped_samples: int


class StrokePipeline:
    """Stateful, causal classifier. Feed batches in time order; each call returns what it learned.

    Parameters
    ----------
    profile:
        The technique profile whose cue rules apply.
    sample_rate_hz:
        The nominal sample rate (the pipeline measures the real one itself).
    calibration:
        A calibration window on the recording clock, when known in advance (a recording's
        ``meta.json``). Live sessions call :meth:`begin_calibration`/:meth:`end_calibration`.
    """

    def __init__(
        self,
        profile: TechniqueProfile,
        sample_rate_hz: float,
        calibration: CalibrationWindow | None = None,
    ) -> None:
        raise NotImplementedError("the stroke pipeline lands with its own issue")

    def feed(self, batch: SampleBatch) -> PipelineUpdate:
        raise NotImplementedError

    def begin_calibration(self) -> None:
        """Start a calibration window at the newest sample seen (live sessions)."""
        raise NotImplementedError

    def end_calibration(self) -> CalibrationStatus:
        """Close the calibration window and learn the limb axis from it."""
        raise NotImplementedError

    def set_profile(self, profile: TechniqueProfile) -> None:
        """Switch technique mid-session; the cue rules of the new profile apply from now on."""
        raise NotImplementedError

    def finish(self) -> PipelineUpdate:
        """Flush at the end of the stream: decide any stroke still open."""
        raise NotImplementedError


def classify_samples(
    samples: SampleBatch,
    profile: TechniqueProfile,
    sample_rate_hz: float,
    calibration: CalibrationWindow | None = None,
    batch_size: int = 10,
) -> EventTable:
    """Run :class:`StrokePipeline` causally over ``samples`` in batches of ``batch_size`` samples
    and collect every stroke and cue (the offline path of ``classify``, ``evaluate``, ``replay``)."""
    pipeline = StrokePipeline(profile, sample_rate_hz, calibration)
    strokes: list[Stroke] = []
    cues: list[Cue] = []
    for batch in samples.chunks(batch_size):
        update = pipeline.feed(batch)
        strokes.extend(update.strokes)
        cues.extend(update.cues)
    update = pipeline.finish()
    strokes.extend(update.strokes)
    cues.extend(update.cues)
    return EventTable(strokes=tuple(strokes), cues=tuple(cues))
