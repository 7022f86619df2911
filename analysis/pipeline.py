"""The causal stroke pipeline: sample batches in, strokes and cues out.

Live sessions, replays, ``classify`` and ``evaluate`` all run :class:`StrokePipeline`, so they agree
sample for sample: every stage carries its state from batch to batch and makes its decisions at
sample times, so the output is the same whether the stream arrives one sample at a time or in
blocks of any size.

Data flow (each stage in :mod:`analysis.stages`): time base (clean runs, gaps) → gravity removal
(AHRS with a gyro, low-pass without) → velocity and friction vibration → half-strokes along the
limb axis → loaded glide or return → stroke direction → cadence → cues.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.events import CalibrationWindow, Cue, EventTable, Stroke
from analysis.samples import FloatArray, SampleBatch
from analysis.stages.cadence import CadenceTracker, ReciprocationTempo
from analysis.stages.cues import CueEngine
from analysis.stages.direction import (
    HalfKind,
    LimbFrame,
    OtherStroke,
    OtherStrokeDetector,
    classify_half,
)
from analysis.stages.limb_axis import (
    DEAD_BAND_SHARE,
    MIN_DEAD_BAND_MPS,
    CalibrationCounter,
    LimbAxis,
    learn_axis,
    orthogonal_cross,
    provisional_axis,
)
from analysis.stages.loaded_phase import LoadedPhaseDecider
from analysis.stages.motion import VELOCITY_HIGHPASS_HZ, MotionFilter
from analysis.stages.orientation import (
    GravityRemover,
    SteadyHandFrame,
    earth_to_sensor,
    emphasize_vertical,
    gravity_direction,
)
from analysis.stages.segmentation import PEAK_HYSTERESIS, HalfStroke, HalfStrokeSegmenter
from analysis.stages.timebase import CleanRun, TimeBase
from analysis.techniques import TechniqueProfile

_E0 = np.array([1.0, 0.0, 0.0])
_E1 = np.array([0.0, 1.0, 0.0])

MIN_DESIGN_RATE_HZ = 8.0
"""Filters are never designed for a slower rate (their corners would pass Nyquist); a stream that
slow cannot show a stroke's shape anyway, but it must not crash the pipeline."""
CALIBRATION_MAX_S = 60.0
"""Longest calibration kept, s (the buffer is a bounded ring)."""
AUTO_CALIBRATION_S = 15.0
"""Seconds learned from when a recording has no calibration window."""
AUTO_CALIBRATION_MESSAGE = "no calibration: learning from the first strokes"
"""The calibration's message while those first seconds are learnt (the UI words it shorter)."""
MAX_DEAD_BAND_MPS = 0.05
"""Largest segmentation dead band in a session, m/s (fast calibration strokes must not hide a
slower session's strokes in it)."""


@dataclass(frozen=True)
class CalibrationStatus:
    """Progress of learning the limb axis. ``state`` is one of ``waiting`` (no calibration asked
    for yet), ``collecting`` (inside the window), ``learned`` or ``failed`` (``message`` says why,
    in words for the user). ``strokes_seen`` counts upward calibration strokes found so far."""

    state: str
    strokes_seen: int = 0
    message: str = ""
    advice: str = ""
    """After a calibration whose glides and returns looked alike: what the user can change so the
    pressing direction shows (:data:`~analysis.stages.limb_axis.PHASE_ADVICE`); else empty."""

    @property
    def doubt(self) -> str:
        """Why the directions judged after this calibration deserve doubt, in one clause for a
        report (``classify``'s stderr, ``evaluate``'s tables), or ``""`` when it went clearly."""
        if self.state == "learned" and self.advice:
            return (
                "the calibration's glides and returns looked alike: which half was pressed, and "
                "so the direction, may be misjudged"
            )
        if self.state == "failed":
            return (
                f"the calibration failed ({self.message}): strokes, if any, are judged along a "
                "guessed axis"
            )
        return ""


@dataclass(frozen=True)
class PipelineUpdate:
    """What became known while processing one batch.

    ``strokes``/``cues`` are the events decided in this batch, in time order. ``active_cues`` are
    the cue conditions that currently hold (the UI keeps showing them until they clear).
    ``cadence_spm`` is the user's latest pace in strokes/min — the tempo of the back-and-forth
    while it runs unbroken (what ``slow_down`` also watches), else the cadence of the last linear
    strokes — and ``force_n`` the latest contact force.
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


@dataclass(frozen=True)
class _CalibrationSamples:
    """A stretch of the calibration window: times (s), velocity (m/s) and stroke-band acceleration
    (m/s²) in the hand's frame, vibration power ((m/s²)²) and force (N) where the device has them,
    and, without a gyro, "up" (unit vectors, sensor frame)."""

    t: FloatArray
    v: FloatArray
    acc: FloatArray
    vib: FloatArray | None
    force: FloatArray | None
    up: FloatArray | None


def _joined(arrays: list[FloatArray | None]) -> FloatArray | None:
    """The arrays end to end, or ``None`` when any part lacks the channel."""
    present = [a for a in arrays if a is not None]
    return np.concatenate(present) if present and len(present) == len(arrays) else None


class _CalibrationBuffer:
    """The calibration window's samples (a bounded ring of :class:`_CalibrationSamples`)."""

    def __init__(self, max_samples: int) -> None:
        self.max_samples = max_samples
        self._parts: list[_CalibrationSamples] = []
        self._count = 0

    def append(self, part: _CalibrationSamples) -> None:
        self._parts.append(part)
        self._count += part.t.shape[0]
        while self._count - self._parts[0].t.shape[0] >= self.max_samples:
            self._count -= self._parts.pop(0).t.shape[0]

    def arrays(self) -> _CalibrationSamples:
        """Everything kept, end to end."""
        if not self._parts:
            return _CalibrationSamples(
                np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3)), None, None, None
            )
        parts = self._parts
        return _CalibrationSamples(
            np.concatenate([p.t for p in parts]),
            np.concatenate([p.v for p in parts]),
            np.concatenate([p.acc for p in parts]),
            _joined([p.vib for p in parts]),
            _joined([p.force for p in parts]),
            _joined([p.up for p in parts]),
        )

    def clear(self) -> None:
        self._parts.clear()
        self._count = 0


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
    limb_axis:
        A limb axis learned before (e.g. an earlier calibration of the same user and mounting).
    auto_calibration_s:
        Without a calibration window, learn from the first this many seconds of the stream as if
        they were one (the user's first strokes; their loaded direction is taken as "up"). Off by
        default: live sessions calibrate on request.
    """

    def __init__(
        self,
        profile: TechniqueProfile,
        sample_rate_hz: float,
        calibration: CalibrationWindow | None = None,
        limb_axis: LimbAxis | None = None,
        auto_calibration_s: float | None = None,
    ) -> None:
        self._profile = profile
        self._timebase = TimeBase(sample_rate_hz)
        self._rate_hz = max(float(sample_rate_hz), MIN_DESIGN_RATE_HZ)
        self._gravity: GravityRemover | None = None
        self._motion = MotionFilter(self._rate_hz)
        # the live velocity leads the hand by the high-pass's phase: halves are re-timed
        self._segmenter = HalfStrokeSegmenter(
            peak_hysteresis=PEAK_HYSTERESIS, lead_highpass_hz=VELOCITY_HIGHPASS_HZ
        )
        self._frame = LimbFrame(self._rate_hz)
        self._hand_frame = SteadyHandFrame(self._rate_hz)
        self._others = OtherStrokeDetector(self._rate_hz)
        self._cadence = CadenceTracker()
        self._tempo = ReciprocationTempo()
        self._latest_tempo: float | None = None
        self._cues: CueEngine | None = None
        self._axis: LimbAxis | None = None
        self._cross = np.array([0.0, 1.0, 0.0])
        self._decider: LoadedPhaseDecider | None = None
        self._has_force: bool | None = None
        self._latest_force: float | None = None
        self._t_last = 0.0
        self._cal_window: tuple[float, float] | None = None
        self._cal_state = "waiting"
        self._cal_message = ""
        self._cal_advice = ""
        self._cal_strokes = 0
        self._cal_buffer = _CalibrationBuffer(int(CALIBRATION_MAX_S * max(sample_rate_hz, 1.0)))
        # counts the calibration strokes while the window is open (the UI's "stroke 2 of 3")
        self._cal_counter = CalibrationCounter(
            max(sample_rate_hz, 1.0), int(CALIBRATION_MAX_S * max(sample_rate_hz, 1.0))
        )
        self._out_strokes: list[Stroke] = []
        self._out_cues: list[Cue] = []
        # the samples of the run being processed: the cue engine goes through them in time order
        # between the strokes decided in it (force limit, repeats of conditions that hold)
        self._run_t: FloatArray = np.zeros(0)
        self._run_force: FloatArray | None = None
        if limb_axis is not None:
            self._install_axis(limb_axis)
            self._cal_state = "learned"
            self._cal_message = "limb axis given"
        if calibration is not None:
            self._cal_window = (calibration.onset_s, calibration.end_s)
            self._cal_state = "collecting"
        self._auto_calibration_s = auto_calibration_s if limb_axis is None else None

    # ------------------------------------------------------------------ public interface
    @property
    def limb_axis(self) -> LimbAxis | None:
        """The learned limb axis (``None`` until a calibration succeeded)."""
        return self._axis

    @property
    def profile(self) -> TechniqueProfile:
        return self._profile

    def feed(self, batch: SampleBatch) -> PipelineUpdate:
        """Process one batch of samples (time order); return what became known."""
        if self._has_force is None and len(batch):
            self._has_force = batch.force_n is not None
            self._cues = CueEngine(self._profile, self._has_force)
        for run in self._timebase.accept(batch):
            self._process_run(run)
            self._advance_cues(float("inf"))
        return self._update()

    def begin_calibration(self) -> None:
        """Start a calibration window at the newest sample seen (live sessions)."""
        self._cal_window = (self._t_last, float("inf"))
        self._cal_buffer.clear()
        self._cal_counter.reset()
        self._cal_state = "collecting"
        self._cal_strokes = 0
        self._cal_message = "make three slow strokes up the leg"
        self._cal_advice = ""

    def end_calibration(self) -> CalibrationStatus:
        """Close the calibration window and learn the limb axis from it."""
        if self._cal_window is not None and self._cal_state == "collecting":
            self._cal_window = (self._cal_window[0], self._t_last)
            self._learn(self._t_last)
        return self._status()

    def set_profile(self, profile: TechniqueProfile) -> None:
        """Switch technique mid-session; the cue rules of the new profile apply from now on."""
        self._profile = profile
        if self._cues is not None:
            self._cues.set_profile(profile)

    def finish(self) -> PipelineUpdate:
        """Flush at the end of the stream: decide any stroke still open."""
        if self._cal_state == "collecting" and self._cal_window is not None:
            self._learn(self._t_last)
        self._flush_others()
        return self._update()

    # ------------------------------------------------------------------ internals
    def _status(self) -> CalibrationStatus:
        return CalibrationStatus(
            self._cal_state, self._cal_strokes, self._cal_message, self._cal_advice
        )

    def _update(self) -> PipelineUpdate:
        strokes, self._out_strokes = self._out_strokes, []
        cues, self._out_cues = self._out_cues, []
        return PipelineUpdate(
            strokes=tuple(strokes),
            cues=tuple(cues),
            active_cues=self._cues.active if self._cues is not None else frozenset(),
            cadence_spm=self._latest_tempo
            if self._latest_tempo is not None
            else self._cadence.latest_spm,
            force_n=self._latest_force,
            calibration=self._status(),
            t_s=self._t_last,
            dropped_samples=self._timebase.dropped,
        )

    def _restart(self, rate_hz: float, has_gyro: bool) -> None:
        self._flush_others()
        rate_hz = max(rate_hz, MIN_DESIGN_RATE_HZ)
        if rate_hz != self._rate_hz or self._gravity is None or self._gravity.has_gyro != has_gyro:
            self._rate_hz = rate_hz
            self._gravity = GravityRemover(rate_hz, has_gyro)
            self._motion = MotionFilter(rate_hz)
            self._frame = LimbFrame(rate_hz)
            self._hand_frame = SteadyHandFrame(rate_hz)
            dead_band = self._others.dead_band_mps
            self._others = OtherStrokeDetector(rate_hz, dead_band, has_gyro)
        else:
            self._gravity.reset()
            self._motion.reset()
            self._frame.restart()
            self._hand_frame.reset()
        self._segmenter.restart()
        self._others.restart()
        if self._decider is not None:
            self._decider.restart()

    def _process_run(self, run: CleanRun) -> None:
        s = run.samples
        self._run_t, self._run_force = s.t_s, s.force_n
        if self._cal_state == "waiting" and self._auto_calibration_s is not None:
            start = float(s.t_s[0])
            self._cal_window = (start, start + self._auto_calibration_s)
            self._cal_state = "collecting"
            self._cal_message = AUTO_CALIBRATION_MESSAGE
        if run.restart or self._gravity is None:
            self._restart(run.rate_hz, s.gyro_radps is not None)
        assert self._gravity is not None
        lin, attitude = self._gravity.process(s.acc_mps2, s.gyro_radps)
        acc = self._motion.stroke_acceleration(lin)
        v = self._motion.velocity(lin)
        if attitude is not None:
            steady = self._hand_frame.process(attitude)
            v = earth_to_sensor(steady, v)
            acc = earth_to_sensor(steady, acc)
        # without a gyro: which way is up in the sensor frame, sample by sample
        up = gravity_direction(s.acc_mps2, lin) if attitude is None else None
        vib = self._motion.vibration(s.acc_mps2)
        t = s.t_s
        self._t_last = float(t[-1])
        if s.force_n is not None:
            self._latest_force = float(s.force_n[-1])
        start = 0
        if self._cal_window is not None and self._cal_state == "collecting":
            c0, c1 = self._cal_window
            i0 = int(np.searchsorted(t, c0, side="left"))
            i1 = int(np.searchsorted(t, c1, side="right"))
            if i1 > i0:
                self._cal_buffer.append(
                    _CalibrationSamples(
                        t[i0:i1].copy(),
                        v[i0:i1].copy(),
                        acc[i0:i1].copy(),
                        None if vib is None else vib[i0:i1],
                        None if s.force_n is None else s.force_n[i0:i1],
                        None if up is None else up[i0:i1],
                    )
                )
                self._cal_strokes = self._cal_counter.process(t[i0:i1], v[i0:i1], s.acc_mps2[i0:i1])
            if i1 < t.shape[0]:
                # the first sample after the window: learn now, segment from here on
                self._learn(float(t[i1]))
                start = i1
            else:
                return
        if self._axis is None:
            return
        t = t[start:]
        force = None if s.force_n is None else s.force_n[start:]
        v_raw = v[start:]
        weighed = False
        if up is not None and self._axis.horizontal_weight < 1.0:
            # No gyro, a climbing limb: glides and returns are judged leaning on the tilt-free
            # vertical part of the motion. Friction and circles are not: they run across the
            # limb, mostly horizontally, where weighing down would flatten them.
            weighed = True
            v = emphasize_vertical(v, up, self._axis.horizontal_weight)
            acc = emphasize_vertical(acc, up, self._axis.horizontal_weight)
        frame = self._frame.project(v[start:], self._axis.axis, self._cross)
        acc_frame = self._frame.rotate_like_last(acc[start:], self._axis.axis, self._cross)
        halves = self._segmenter.process(
            t, frame, _E0, _E1, None if vib is None else vib[start:], force, acc_frame
        )
        if weighed:
            frame = self._frame.rotate_like_last(v_raw, self._axis.axis, self._cross)
        others = self._others.process(t, frame, force)
        # strokes are reported in the order they were decided
        events: list[tuple[float, int, HalfStroke | OtherStroke]] = [
            (h.decided_s, 0, h) for h in halves
        ]
        events += [(o.decided_s, 1, o) for o in others]
        events.sort(key=lambda e: (e[0], e[1]))
        for _, _, item in events:
            if isinstance(item, HalfStroke):
                self._on_half(item)
            else:
                self._emit_other(item)

    def _install_axis(self, axis: LimbAxis) -> None:
        self._axis = axis
        self._cross = orthogonal_cross(axis.axis, axis.cross)
        self._decider = LoadedPhaseDecider(axis.signature)
        dead_band = float(
            np.clip(DEAD_BAND_SHARE * axis.stroke_speed_mps, MIN_DEAD_BAND_MPS, MAX_DEAD_BAND_MPS)
        )
        self._segmenter.dead_band_mps = dead_band
        self._segmenter.restart()
        self._flush_others()
        self._others.set_dead_band(dead_band)
        self._others.restart()
        self._frame.restart()

    def _learn(self, now_s: float) -> None:
        window = self._cal_buffer.arrays()
        t, v, acc, vib, force = window.t, window.v, window.acc, window.vib, window.force
        self._cal_buffer.clear()
        up = self._cal_counter.up
        self._cal_counter.reset()
        has_gyro = self._gravity is None or self._gravity.has_gyro
        result = learn_axis(t, v, acc, vib, force, self._rate_hz, has_gyro, up, window.up)
        self._cal_strokes = result.strokes_seen
        self._cal_message = result.message
        self._cal_advice = result.advice
        if result.axis is None:
            self._cal_state = "failed"
            # keep counting with the best guess until the user calibrates again (an earlier
            # axis, if any, is kept: it passed the test)
            guess = result.provisional or provisional_axis(v, acc, force is not None, self._rate_hz)
            if self._axis is None and guess is not None:
                self._install_axis(guess)
            return
        self._cal_state = "learned"
        self._install_axis(result.axis)
        # the calibration strokes were real upward strokes: report them too
        for half in result.calibration_strokes:
            self._emit(half, "up", 1.0, now_s)

    def _on_half(self, half: HalfStroke) -> None:
        assert self._decider is not None
        decision = None
        linear = classify_half(half) is HalfKind.LINEAR
        tempo = self._tempo.add(half.onset_s, half.end_s, half.sign, linear)
        self._latest_tempo = tempo
        if self._cues is not None:
            self._advance_cues(half.decided_s)
            self._out_cues.extend(self._cues.on_tempo(tempo, half.decided_s))
        if not linear:
            # not a glide (a lifted return, part of a circle): context for the next decision
            self._decider.note_not_loaded(half)
        else:
            decision = self._decider.decide(half)
        # An ambiguous half still goes out with its likelier direction and its low confidence:
        # the spec scores "unknown" as wrong, and the cues act only on confident strokes.
        late = self._decider.late
        if late is not None:
            prev = late.half
            self._emit(prev, "up" if prev.sign > 0 else "down", late.confidence, half.decided_s)
        if decision is None or not decision.loaded:
            return
        direction = "up" if half.sign > 0 else "down"
        self._emit(half, direction, decision.confidence, half.decided_s)

    def _emit(self, half: HalfStroke, direction: str, confidence: float, now_s: float) -> None:
        cadence = self._cadence.add(half.onset_s, half.onset_s + half.duration_s, direction)
        stroke = Stroke(
            onset_s=half.onset_s,
            duration_s=half.duration_s,
            direction=direction,
            force_n=half.force_n,
            technique=self._profile.name,
            emitted_s=now_s,
            confidence=round(confidence, 3),
            cadence_spm=cadence,
        )
        self._out_strokes.append(stroke)
        if self._cues is not None:
            self._advance_cues(now_s)
            self._out_cues.extend(self._cues.on_stroke(stroke, now_s))

    def _advance_cues(self, before_s: float) -> None:
        """Let the cue engine see the current run's samples before ``before_s`` (s)."""
        if self._cues is not None:
            self._out_cues.extend(self._cues.advance(self._run_t, self._run_force, before_s))

    def _flush_others(self) -> None:
        """Emit the friction cycles held back for a revolution: no revolution continues past the
        end of the stream, a gap, or a change of limb axis."""
        for other in self._others.flush():
            self._emit_other(other)

    def _emit_other(self, other: OtherStroke) -> None:
        stroke = Stroke(
            onset_s=other.onset_s,
            duration_s=other.duration_s,
            direction=other.direction,
            force_n=other.force_n,
            technique=self._profile.name,
            emitted_s=other.decided_s,
            confidence=None,
            cadence_spm=None,
        )
        self._out_strokes.append(stroke)
        if self._cues is not None:
            # no cue of its own, but a block of them ends a downward run
            self._cues.on_stroke(stroke, other.decided_s)


def recording_pipeline(
    profile: TechniqueProfile, sample_rate_hz: float, calibration: CalibrationWindow | None
) -> StrokePipeline:
    """The pipeline for a recording or a session with the calibration window ``calibration``.
    Without one, it learns from the first ``AUTO_CALIBRATION_S`` seconds of the stream instead
    (its first strokes' loaded direction is taken as upward), until a live calibration replaces
    that. ``classify``, ``evaluate``, replays and live sessions all build it here, so a replay
    shows what ``classify`` finds."""
    return StrokePipeline(
        profile,
        sample_rate_hz,
        calibration,
        auto_calibration_s=AUTO_CALIBRATION_S if calibration is None else None,
    )


OFFLINE_BATCH_SAMPLES = 2048
"""Samples per batch on the offline path (about 10 s at 200 Hz). Every stage decides at sample
times, so the output is the same as when streamed sample by sample; long batches amortise the
per-call cost of the filters and AHRS."""


def classify_samples(
    samples: SampleBatch,
    profile: TechniqueProfile,
    sample_rate_hz: float,
    calibration: CalibrationWindow | None = None,
    batch_size: int = OFFLINE_BATCH_SAMPLES,
) -> EventTable:
    """Run :func:`recording_pipeline` causally over ``samples`` in batches of ``batch_size``
    samples and collect every stroke and cue (the offline path of ``classify`` and ``evaluate``).
    The events do not depend on ``batch_size``; long batches only save per-call overhead."""
    events, _ = classify_samples_with_calibration(
        samples, profile, sample_rate_hz, calibration, batch_size
    )
    return events


def classify_samples_with_calibration(
    samples: SampleBatch,
    profile: TechniqueProfile,
    sample_rate_hz: float,
    calibration: CalibrationWindow | None = None,
    batch_size: int = OFFLINE_BATCH_SAMPLES,
) -> tuple[EventTable, CalibrationStatus]:
    """:func:`classify_samples`, and how the calibration went by the end (learned or failed: the
    window closes with the stream at the latest; with its advice when the glides and returns
    looked alike)."""
    pipeline = recording_pipeline(profile, sample_rate_hz, calibration)
    strokes: list[Stroke] = []
    cues: list[Cue] = []
    for batch in samples.chunks(batch_size):
        update = pipeline.feed(batch)
        strokes.extend(update.strokes)
        cues.extend(update.cues)
    update = pipeline.finish()
    strokes.extend(update.strokes)
    cues.extend(update.cues)
    return EventTable(strokes=tuple(strokes), cues=tuple(cues)), update.calibration
