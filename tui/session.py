"""The session controller: everything a coaching session does, without any screen.

A source task (or a playback clock) fills a :class:`SampleBuffer`; a UI timer at ≤ 30 Hz calls
:meth:`SessionController.step` with what it drained. ``step`` records the batches, runs the
causal :class:`~analysis.pipeline.StrokePipeline` over them and returns one frozen
:class:`SessionView` that the widgets render in a single ``batch_update()``. Headless mode and
the benchmark use the same class, so the screen, the stdout lines and the recording agree.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np

from analysis.events import (
    CUE_LIGHTER,
    CUE_SLOW_DOWN,
    CUE_SWITCH_UP,
    CalibrationWindow,
    Cue,
    OtherEvent,
    Stroke,
)
from analysis.pipeline import (
    CalibrationStatus,
    PipelineUpdate,
    StrokePipeline,
    recording_pipeline,
)
from analysis.samples import STANDARD_GRAVITY_MPS2, SampleBatch
from analysis.techniques import TechniqueProfile

CUE_WORDS: Final[dict[str, str]] = {
    CUE_SWITCH_UP: "Switch to upward strokes",
    CUE_SLOW_DOWN: "Slow down",
    CUE_LIGHTER: "Lighter pressure",
}
"""The exact words shown (and spoken) for each cue."""

CUE_ORDER: Final = (CUE_SWITCH_UP, CUE_SLOW_DOWN, CUE_LIGHTER)
"""Which held cue is shown first when several hold: direction matters most for drainage."""

SHARE_WINDOW_S: Final = 120.0
"""Upward share is computed over the linear strokes of the last two minutes."""

SIGNAL_BIN_S: Final = 0.1
SIGNAL_POINTS: Final = 120
"""The sparkline shows the peak dynamic acceleration per 0.1 s over the last 12 s."""

RECENT_STROKES: Final = 16

SUMMARY_FILE: Final = "session_summary.json"


class RecordingSink(Protocol):
    """What the controller needs of a streaming recording writer
    (:class:`~firmware_bridge.recordings.writer.RecordingWriter`)."""

    def append(self, batch: SampleBatch) -> None: ...

    def add_gap(self, before_s: float, after_s: float) -> None: ...

    def add_event(self, event: Stroke | Cue | OtherEvent) -> None: ...

    def set_calibration(self, window: CalibrationWindow) -> None: ...

    def close(self) -> None: ...


class FeedbackSink(Protocol):
    """Coaching shown outside the screen, on the sensor itself
    (:class:`~firmware_bridge.ble.feedback.DeviceFeedback`)."""

    def post(self, cue: str | None, direction: str | None) -> None:
        """Show ``cue`` (``None``: none due) and the last stroke's ``direction``. Called at every
        UI tick, so it must return at once and be cheap when nothing changed."""
        ...

    async def aclose(self) -> None:
        """Let a write in flight end (bounded) before the link is closed."""
        ...


@dataclass(frozen=True)
class SourceStatus:
    """The source as the status line shows it.

    ``measured_rate_hz`` is samples per second of sample time actually received.
    """

    name: str
    profile: str
    nominal_rate_hz: float
    measured_rate_hz: float | None = None
    lost_samples: int = 0
    corrupt_packets: int = 0
    reconnects: int = 0
    connected: bool = True
    last_error: str | None = None


@dataclass(frozen=True)
class SessionView:
    """Everything the session screen shows at one UI tick (times in seconds, session clock)."""

    t_s: float
    profile: TechniqueProfile
    last_stroke: Stroke | None
    recent_strokes: tuple[Stroke, ...]
    active_cues: frozenset[str]
    new_cues: tuple[Cue, ...]
    new_strokes: tuple[Stroke, ...]
    cadence_spm: float | None
    force_n: float | None
    upward_share: float | None
    linear_in_window: int
    stroke_count: int
    calibration: CalibrationStatus
    signal: tuple[float, ...]
    source: SourceStatus
    paused: bool
    dropped_samples: int
    has_force: bool

    @property
    def shown_cue(self) -> str | None:
        """The held cue to show in words (the first of :data:`CUE_ORDER` that holds)."""
        for name in CUE_ORDER:
            if name in self.active_cues:
                return name
        return next(iter(sorted(self.active_cues)), None)


@dataclass(frozen=True)
class SessionSummary:
    """What a session amounted to; saved as ``session_summary.json`` beside the recording.

    Durations in seconds, cadences in strokes/min.
    """

    technique: str
    duration_s: float
    strokes: int
    strokes_by_direction: dict[str, int]
    upward_share: float | None
    cadence_mean_spm: float | None
    cadence_median_spm: float | None
    cadence_min_spm: float | None
    cadence_max_spm: float | None
    cues_issued: dict[str, int]
    cues: tuple[tuple[float, str], ...]
    marks: tuple[float, ...]
    samples: int
    dropped_samples: int
    calibration: str
    recording: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        data["cues"] = [{"onset": t, "cue": c} for t, c in self.cues]
        data["marks"] = list(self.marks)
        return json.dumps(data, indent=2) + "\n"

    def lines(self) -> list[str]:
        """The summary in words, one fact per line (summary screen and end of a command)."""

        def spm(value: float | None) -> str:
            return "–" if value is None else f"{value:.0f}"

        share = "–" if self.upward_share is None else f"{100 * self.upward_share:.0f} %"
        by_dir = ", ".join(f"{k} {v}" for k, v in sorted(self.strokes_by_direction.items()))
        cues = ", ".join(f"{CUE_WORDS.get(k, k)} ×{v}" for k, v in self.cues_issued.items())
        minutes, seconds = divmod(round(self.duration_s), 60)
        out = [
            f"Technique: {self.technique}",
            f"Duration: {minutes}:{seconds:02d}",
            f"Strokes: {self.strokes}" + (f" ({by_dir})" if by_dir else ""),
            f"Upward share of up/down strokes: {share}",
            "Cadence (strokes/min): –"
            if self.cadence_mean_spm is None
            else f"Cadence (strokes/min): mean {spm(self.cadence_mean_spm)}, median "
            f"{spm(self.cadence_median_spm)}, range {spm(self.cadence_min_spm)}–"
            f"{spm(self.cadence_max_spm)}",
            f"Cues issued: {cues or 'none'}",
            f"Marks: {len(self.marks)}",
            f"Calibration: {self.calibration}",
        ]
        if self.recording:
            out.append(f"Recording: {self.recording}")
        return out


class SampleBuffer:
    """The hand-over between a source task and the UI timer: whole batches, never samples.

    The source task calls :meth:`push` once per batch it receives; the timer calls
    :meth:`drain`. Both run on the same event loop, so a deque needs no lock.
    """

    def __init__(self) -> None:
        self._batches: deque[SampleBatch] = deque()

    def push(self, batch: SampleBatch) -> None:
        self._batches.append(batch)

    def drain(self) -> list[SampleBatch]:
        out = list(self._batches)
        self._batches.clear()
        return out

    def __len__(self) -> int:
        return len(self._batches)


class _SignalTrace:
    """Peak dynamic acceleration (|acc| − g, m/s²) per :data:`SIGNAL_BIN_S` of sample time."""

    def __init__(self, points: int = SIGNAL_POINTS) -> None:
        self._values: deque[float] = deque(maxlen=points)
        self._cached: tuple[float, ...] = ()
        self._bin: int | None = None
        self._peak = 0.0

    def add(self, batch: SampleBatch) -> None:
        if len(batch) == 0:
            return
        dynamic = np.abs(np.linalg.norm(batch.acc_mps2, axis=1) - STANDARD_GRAVITY_MPS2)
        bins = np.floor(batch.t_s / SIGNAL_BIN_S).astype(np.int64)
        # Batches hold a few bins at most, so a loop over the bin boundaries is cheap.
        edges = np.flatnonzero(np.diff(bins)) + 1
        for chunk_bins, chunk in zip(np.split(bins, edges), np.split(dynamic, edges), strict=True):
            b = int(chunk_bins[0])
            peak = float(np.nanmax(chunk)) if np.isfinite(chunk).any() else 0.0
            if self._bin is None or b == self._bin:
                self._peak = max(self._peak, peak) if self._bin is not None else peak
            else:
                self._values.append(self._peak)
                self._cached = ()
                self._peak = peak
            self._bin = b

    def values(self) -> tuple[float, ...]:
        """Completed bins only: the sparkline changes 10 times a second, not at every tick."""
        if len(self._cached) != len(self._values) or not self._cached:
            self._cached = tuple(self._values)
        return self._cached


class SessionController:
    """One coaching session: pipeline, recording, running figures. No UI, no event loop.

    Parameters
    ----------
    profile:
        The technique profile whose cue rules apply.
    sample_rate_hz:
        Nominal sample rate of the source.
    source:
        The source's status as known at the start (the UI replaces it with live counters via
        :meth:`set_source_status`).
    calibration:
        A calibration window known in advance (replay, demo). Live sessions call
        :meth:`begin_calibration` and :meth:`end_calibration` instead.
    writer:
        Where the samples are recorded, or ``None``.
    feedback:
        Where the shown cue and the last stroke's direction are posted after every tick (the
        sensor's LEDs), or ``None``.
    has_force:
        Whether the source measures contact force (the force bar is shown only then).
    pipeline_factory:
        Builds the pipeline; :func:`~analysis.pipeline.recording_pipeline` unless a test says
        otherwise.
    """

    def __init__(
        self,
        profile: TechniqueProfile,
        sample_rate_hz: float,
        source: SourceStatus,
        *,
        calibration: CalibrationWindow | None = None,
        writer: RecordingSink | None = None,
        feedback: FeedbackSink | None = None,
        has_force: bool = False,
        pipeline_factory: Callable[
            [TechniqueProfile, float, CalibrationWindow | None], StrokePipeline
        ] = recording_pipeline,
    ) -> None:
        self.profile = profile
        self.sample_rate_hz = sample_rate_hz
        self.calibration_window = calibration
        self.has_force = has_force
        self._writer = writer
        self._feedback = feedback
        self._pipeline = pipeline_factory(profile, sample_rate_hz, calibration)
        self._source = source
        self._strokes: list[Stroke] = []
        self._cues: list[Cue] = []
        self._recent: deque[Stroke] = deque(maxlen=RECENT_STROKES)
        self._linear_window: deque[Stroke] = deque()
        self._marks: list[float] = []
        self._signal = _SignalTrace()
        self._active: frozenset[str] = frozenset()
        self._cadence_spm: float | None = None
        self._force_n: float | None = None
        self._calibration = CalibrationStatus("waiting")
        self._dropped = 0
        self._t_first: float | None = None
        self._t_last = 0.0
        self._samples = 0
        self._gaps_seen = 0
        self._calibration_onset_s: float | None = None
        self.paused = False
        self.finished = False
        self._summary: SessionSummary | None = None
        self._final_view: SessionView | None = None

    # -- feeding -------------------------------------------------------------------------------

    @property
    def t_s(self) -> float:
        """Newest sample time seen, seconds on the session clock."""
        return self._t_last

    @property
    def strokes(self) -> tuple[Stroke, ...]:
        return tuple(self._strokes)

    @property
    def cues(self) -> tuple[Cue, ...]:
        return tuple(self._cues)

    @property
    def marks(self) -> tuple[float, ...]:
        return tuple(self._marks)

    def set_source_status(
        self, status: SourceStatus, gaps: Sequence[tuple[float, float]] = ()
    ) -> None:
        """Take the source's latest counters; new lost stretches go into the recording."""
        self._source = status
        if self._writer is not None:
            for before_s, after_s in gaps[self._gaps_seen :]:
                self._writer.add_gap(before_s, after_s)
        self._gaps_seen = max(self._gaps_seen, len(gaps))

    def step(self, batches: Iterable[SampleBatch]) -> SessionView:
        """Record and classify what arrived since the last tick; return what to show."""
        new_strokes: list[Stroke] = []
        new_cues: list[Cue] = []
        for batch in batches:
            if len(batch) == 0 or self.finished:
                continue
            if self._writer is not None:
                self._writer.append(batch)
            if self._t_first is None:
                self._t_first = float(batch.t_s[0])
            self._t_last = max(self._t_last, float(batch.t_s[-1]))
            self._samples += len(batch)
            self._signal.add(batch)
            update = self._pipeline.feed(batch)
            self._absorb(update, new_strokes, new_cues)
            self._log_events(update)
        view = self._view(tuple(new_strokes), tuple(new_cues))
        self._post_feedback(view)
        return view

    def _absorb(
        self, update: PipelineUpdate, new_strokes: list[Stroke], new_cues: list[Cue]
    ) -> None:
        for stroke in update.strokes:
            self._strokes.append(stroke)
            self._recent.append(stroke)
            if stroke.is_linear:
                self._linear_window.append(stroke)
            new_strokes.append(stroke)
        self._cues.extend(update.cues)
        new_cues.extend(update.cues)
        self._active = update.active_cues
        if update.cadence_spm is not None:
            self._cadence_spm = update.cadence_spm
        self._force_n = update.force_n
        self._calibration = update.calibration
        self._dropped = update.dropped_samples
        self._t_last = max(self._t_last, update.t_s)
        horizon = self._t_last - SHARE_WINDOW_S
        while self._linear_window and self._linear_window[0].onset_s < horizon:
            self._linear_window.popleft()

    def _log_events(self, update: PipelineUpdate) -> None:
        # The live decisions go into the recording's events.csv, so a recording shows what the
        # user was told and when, beside the samples that caused it.
        if self._writer is None:
            return
        events: tuple[Stroke | Cue, ...] = (*update.strokes, *update.cues)
        for event in events:
            self._writer.add_event(event)

    def _post_feedback(self, view: SessionView) -> None:
        # Posted at every tick, not only on change: the sink compares with what the device
        # shows, so a write lost to a reconnect is made again once the link is back. A pause
        # mutes coaching, so the device shows no cue then, as the screen does.
        if self._feedback is None:
            return
        if view.paused:
            self._feedback.post(None, None)
        else:
            last = view.last_stroke
            self._feedback.post(view.shown_cue, last.direction if last is not None else None)

    def _view(self, new_strokes: tuple[Stroke, ...], new_cues: tuple[Cue, ...]) -> SessionView:
        linear = len(self._linear_window)
        ups = sum(1 for s in self._linear_window if s.direction == "up")
        return SessionView(
            t_s=self._t_last,
            profile=self.profile,
            last_stroke=self._recent[-1] if self._recent else None,
            recent_strokes=tuple(self._recent),
            active_cues=self._active,
            new_cues=new_cues,
            new_strokes=new_strokes,
            cadence_spm=self._cadence_spm,
            force_n=self._force_n,
            upward_share=ups / linear if linear else None,
            linear_in_window=linear,
            stroke_count=len(self._strokes),
            calibration=self._calibration,
            signal=self._signal.values(),
            source=self._measured_source(),
            paused=self.paused,
            dropped_samples=self._dropped,
            has_force=self.has_force,
        )

    def view(self) -> SessionView:
        """The current view without feeding anything (e.g. after a key changed a setting)."""
        return self._view((), ())

    def _measured_source(self) -> SourceStatus:
        if self._t_first is None or self._samples < 2 or self._t_last <= self._t_first:
            return self._source
        rate = (self._samples - 1) / (self._t_last - self._t_first)
        return SourceStatus(**{**asdict(self._source), "measured_rate_hz": rate})

    # -- user actions --------------------------------------------------------------------------

    def mark(self) -> float:
        """Note the current moment (the user's ``mark`` key); written as a ``mark`` event."""
        t_s = self._t_last
        self._marks.append(t_s)
        if self._writer is not None:
            self._writer.add_event(OtherEvent(onset_s=t_s, duration_s=0.0, label="mark"))
        return t_s

    def toggle_pause(self) -> bool:
        """Pause or resume coaching; returns the new state. Recording and pipeline continue,
        so a replay shows what the live session did; only announcing stops."""
        self.paused = not self.paused
        return self.paused

    def set_profile(self, profile: TechniqueProfile) -> None:
        self.profile = profile
        self._pipeline.set_profile(profile)
        self._active = frozenset()

    def begin_calibration(self) -> None:
        """Open the live calibration window at the newest sample (s, session clock)."""
        self._calibration_onset_s = self._t_last
        self._pipeline.begin_calibration()
        self._calibration = CalibrationStatus("collecting", 0)

    def end_calibration(self) -> CalibrationStatus:
        """Close the window; once the pipeline learned from it, the recording carries it in
        ``meta.json`` so an offline classifier can learn from the same strokes."""
        self._calibration = self._pipeline.end_calibration()
        if self._calibration.state == "learned" and self._calibration_onset_s is not None:
            # A window opened before the first sample starts with that sample.
            onset_s = self._calibration_onset_s
            if self._t_first is not None:
                onset_s = max(onset_s, self._t_first)
            # To the 1 µs the recording writes sample times with.
            duration_s = round(self._t_last - onset_s, 6)
            if duration_s > 0:
                self.calibration_window = CalibrationWindow(round(onset_s, 6), duration_s)
                if self._writer is not None:
                    self._writer.set_calibration(self.calibration_window)
        return self._calibration

    # -- the end -------------------------------------------------------------------------------

    def finish(self, summary_dir: Path | None = None) -> SessionSummary:
        """Flush the pipeline, close the recording, and (with ``summary_dir``) save the summary
        as :data:`SUMMARY_FILE` there. Safe to call more than once."""
        if self._summary is not None:
            return self._summary
        self.finished = True
        try:
            update = self._pipeline.finish()
        except Exception:  # a pipeline fault must never keep the recording from closing
            update = None
        new_strokes: list[Stroke] = []
        new_cues: list[Cue] = []
        if update is not None:
            self._absorb(update, new_strokes, new_cues)
            self._log_events(update)
        self._final_view = self._view(tuple(new_strokes), tuple(new_cues))
        if self._writer is not None:
            self._writer.close()
        self._summary = self.summary(recording=summary_dir)
        if summary_dir is not None:
            summary_dir.mkdir(parents=True, exist_ok=True)
            (summary_dir / SUMMARY_FILE).write_text(self._summary.to_json(), encoding="utf-8")
        return self._summary

    def view_of_finish(self) -> SessionView:
        """The view holding what :meth:`finish` flushed out of the pipeline."""
        return self._final_view if self._final_view is not None else self.view()

    def summary(self, recording: Path | None = None) -> SessionSummary:
        """The session so far in figures."""
        cadences = [
            s.cadence_spm
            for s in self._strokes
            if s.cadence_spm is not None and math.isfinite(s.cadence_spm)
        ]
        linear = [s for s in self._strokes if s.is_linear]
        ups = sum(1 for s in linear if s.direction == "up")
        duration = self._t_last - self._t_first if self._t_first is not None else 0.0
        return SessionSummary(
            technique=self.profile.name,
            duration_s=round(duration, 3),
            strokes=len(self._strokes),
            strokes_by_direction=dict(Counter(s.direction for s in self._strokes)),
            upward_share=ups / len(linear) if linear else None,
            cadence_mean_spm=statistics.fmean(cadences) if cadences else None,
            cadence_median_spm=statistics.median(cadences) if cadences else None,
            cadence_min_spm=min(cadences) if cadences else None,
            cadence_max_spm=max(cadences) if cadences else None,
            cues_issued=dict(Counter(c.cue for c in self._cues)),
            cues=tuple((round(c.onset_s, 3), c.cue) for c in self._cues),
            marks=tuple(round(t, 3) for t in self._marks),
            samples=self._samples,
            dropped_samples=self._dropped,
            calibration=self._calibration.state
            + (f" ({self._calibration.message})" if self._calibration.message else "")
            + ("; glide and return looked alike" if self._calibration.advice else ""),
            recording=str(recording) if recording is not None else None,
        )
