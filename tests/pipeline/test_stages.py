"""Unit tests of the pipeline stages on signals whose truth is known analytically."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.events import CalibrationWindow, Cue, Stroke
from analysis.pipeline import recording_pipeline
from analysis.samples import STANDARD_GRAVITY_MPS2, SampleBatch
from analysis.stages.cadence import CadenceTracker
from analysis.stages.cues import SLOW_DOWN_MARGIN, CueEngine
from analysis.stages.limb_axis import (
    PHASE_ADVICE,
    AxisResult,
    learn_axis,
    principal_directions,
)
from analysis.stages.loaded_phase import LoadedPhaseDecider, Signature
from analysis.stages.motion import MotionFilter
from analysis.stages.orientation import GravityRemover, earth_to_sensor, rotate, tilt_quaternion
from analysis.stages.segmentation import HalfStroke, HalfStrokeSegmenter
from analysis.stages.timebase import TimeBase
from analysis.techniques import get_profile
from tests.pipeline.synth import half_stroke, min_jerk_acc, reciprocating


def _batch(t: np.ndarray, acc: np.ndarray | None = None) -> SampleBatch:
    n = t.shape[0]
    if acc is None:
        acc = np.tile([0.0, 0.0, STANDARD_GRAVITY_MPS2], (n, 1))
    return SampleBatch(t_s=t, acc_mps2=acc, gyro_radps=np.zeros((n, 3)))


# --------------------------------------------------------------------------- time base
def test_timebase_drops_and_counts_nonfinite_and_out_of_order() -> None:
    tb = TimeBase(100.0)
    t = np.arange(10) / 100.0
    acc = np.tile([0.0, 0.0, 9.8], (10, 1))
    acc[3, 1] = np.nan
    acc[5, 0] = np.inf
    runs = tb.accept(_batch(t, acc))
    assert tb.dropped_nonfinite == 2
    # the two holes are filled by interpolation (the filters need one sample per period), never
    # with the broken values
    kept = np.concatenate([r.samples.acc_mps2 for r in runs])
    assert np.isfinite(kept).all()
    assert sum(len(r.samples) for r in runs) - tb.filled == 8
    # a duplicate and an older sample in the next batch are rejected, newer ones kept
    t2 = np.array([0.09, 0.05, 0.10, 0.11])
    runs = tb.accept(_batch(t2))
    assert tb.dropped_order == 2
    assert [float(x) for r in runs for x in r.samples.t_s] == [0.10, 0.11]


def test_timebase_jitter_is_not_a_gap_but_a_time_jump_is() -> None:
    tb = TimeBase(50.0)
    rng = np.random.default_rng(1)
    t = np.arange(200) / 50.0 + rng.uniform(-0.004, 0.004, 200)
    t = np.sort(t)
    runs = tb.accept(_batch(t))
    assert len(runs) == 1
    assert runs[0].restart
    assert tb.gaps == 0
    # a few lost packets (0.3 s) are carried through; a second's silence is a gap
    lost = t[-1] + 0.3 + np.arange(10) / 50.0
    runs = tb.accept(_batch(lost))
    assert tb.gaps == 0
    assert not runs[0].restart
    later = lost[-1] + 1.0 + np.arange(10) / 50.0
    runs = tb.accept(_batch(later))
    assert tb.gaps == 1
    assert runs[0].restart


def test_holes_do_not_move_the_rate() -> None:
    """A loss of a few packets is one long step, not an interval of the rate: counted as one, each
    0.4 s hole at 26 Hz moved the running rate by a sixth and a few of them set off a spurious
    change of rate (a restart of every stage)."""
    tb = TimeBase(26.0)
    t = np.arange(26 * 60) / 26.0
    lost = np.zeros(t.size, bool)
    for start in (10.0, 14.0, 17.0, 21.0, 43.0, 46.0, 47.5):
        lost |= (t >= start) & (t < start + 0.4)
    for i in range(0, t.size, 7):
        tb.accept(_batch(t[i : i + 7][~lost[i : i + 7]]))
    assert tb.rate_changes == 0
    assert tb.gaps == 0
    assert tb.filled == lost.sum()
    assert abs(tb.measured_rate_hz - 26.0) < 0.1


def test_timebase_cuts_out_a_saturated_stretch() -> None:
    tb = TimeBase(100.0)
    n = 100
    acc = np.tile([0.0, 0.0, 9.8], (n, 1))
    acc[40:60, 0] = 16.0 * STANDARD_GRAVITY_MPS2  # pinned on the rail
    runs = tb.accept(_batch(np.arange(n) / 100.0, acc))
    # the first rail sample cannot be told from a real one; the next MAX_CLIP_S (10 samples) are
    # kept as clipping at a stroke's peak, the rest of the stretch is a hole
    assert tb.clipped == 10
    assert tb.dropped_saturated == 9
    assert len(runs) == 2
    assert runs[1].restart
    assert float(runs[1].samples.t_s[0]) == pytest.approx(0.60)


def test_timebase_follows_a_lasting_rate_change() -> None:
    tb = TimeBase(100.0)
    t1 = np.arange(300) / 100.0
    t2 = t1[-1] + (1 + np.arange(400)) / 50.0
    runs = tb.accept(_batch(np.concatenate((t1, t2))))
    assert tb.rate_changes == 1
    assert runs[-1].restart
    assert runs[-1].rate_hz == pytest.approx(50.0, rel=0.3)


# --------------------------------------------------------------------------- orientation
def test_tilt_quaternion_puts_gravity_on_earth_up() -> None:
    for g in ([0, 0, 9.8], [9.8, 0, 0], [0, -9.8, 0], [1.0, -2.0, -9.0], [0, 0, -9.8]):
        acc = np.array(g, dtype=float)
        up = rotate(tilt_quaternion(acc)[None], acc[None])[0]
        assert up == pytest.approx([0.0, 0.0, np.linalg.norm(acc)], abs=1e-9)


def test_earth_to_sensor_inverts_rotate() -> None:
    rng = np.random.default_rng(3)
    q = rng.normal(size=(20, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    v = rng.normal(size=(20, 3))
    assert earth_to_sensor(q, rotate(q, v)) == pytest.approx(v, abs=1e-12)


@pytest.mark.parametrize("has_gyro", [True, False])
def test_gravity_removed_from_a_still_tilted_sensor(has_gyro: bool) -> None:
    n = 400
    g = np.array([3.0, -4.0, 8.0])
    g = g / np.linalg.norm(g) * STANDARD_GRAVITY_MPS2
    acc = np.tile(g, (n, 1))
    remover = GravityRemover(100.0, has_gyro)
    lin, _ = remover.process(acc, np.zeros((n, 3)) if has_gyro else None)
    assert np.abs(lin[-100:]).max() < 0.02


def test_rotation_is_not_motion_with_a_gyro() -> None:
    """A sensor turned 90° about x in 1 s, not moving: the gyro keeps gravity out of the motion."""
    rate = 200.0
    t = np.arange(int(3 * rate)) / rate
    angle = np.clip(t - 1.0, 0.0, 1.0) * (np.pi / 2)
    rate_x = np.where((t >= 1.0) & (t < 2.0), np.pi / 2, 0.0)
    # world gravity seen by a sensor rotated by `angle` about its x axis
    acc = STANDARD_GRAVITY_MPS2 * np.column_stack((np.zeros_like(t), np.sin(angle), np.cos(angle)))
    gyro = np.column_stack((rate_x, np.zeros_like(t), np.zeros_like(t)))
    lin, _ = GravityRemover(rate, True).process(acc, gyro)
    lin_acc_only, _ = GravityRemover(rate, False).process(acc, None)
    assert np.abs(lin).max() < 0.5
    assert np.abs(lin_acc_only).max() > 3.0  # without a gyro the same turn reads as motion


def test_a_frictionless_quick_stroke_leaks_almost_nothing_into_the_vibration_band() -> None:
    """A smooth 0.3 s stroke peaking at 3 m/s², no friction: its own acceleration must not pass the
    vibration high-pass as "friction", or the quicker half of a pair would look the rougher one."""
    rate = 200.0
    t = np.arange(0.0, 1.3, 1.0 / rate)
    tau = np.clip(t / 0.3, 0.0, 1.0)
    a = 3.0 * np.sin(2 * np.pi * tau) * np.sin(np.pi * tau) ** 2
    acc = np.column_stack((a, np.zeros_like(a), np.full_like(a, STANDARD_GRAVITY_MPS2)))
    vibration = MotionFilter(rate).vibration(acc)
    assert vibration is not None
    stroke = t < 0.3
    assert vibration[stroke].mean() < 1e-3 * np.mean(a[stroke] ** 2)


@pytest.mark.parametrize("rate", [100.0, 200.0, 416.0])
def test_where_the_rate_allows_the_vibration_band_leaves_a_brisk_turn_around_out(
    rate: float,
) -> None:
    """A brisk turn-around's own acceleration reaches 15–30 Hz; skin stick-slip is broadband. From
    100 Hz on the band starts above 30 Hz: a 20 Hz wobble counts under 5 %, a 40 Hz one fully."""
    t = np.arange(0.0, 2.0, 1.0 / rate)
    steady = t > 0.5  # past the high-pass's start
    for f_hz, lo, hi in ((20.0, 0.0, 0.05), (40.0, 0.8, 1.2)):
        a = np.sin(2 * np.pi * f_hz * t)  # power 0.5
        acc = np.column_stack((a, np.zeros_like(a), np.full_like(a, STANDARD_GRAVITY_MPS2)))
        vibration = MotionFilter(rate).vibration(acc)
        assert vibration is not None
        assert lo * 0.5 <= vibration[steady].mean() <= hi * 0.5


def test_at_50_hz_the_vibration_band_starts_at_15_hz() -> None:
    """At 50 Hz there is no room above 30 Hz: the band is 15–25 Hz, and a 20 Hz wobble counts."""
    rate = 50.0
    t = np.arange(0.0, 2.0, 1.0 / rate)
    a = np.sin(2 * np.pi * 20.0 * t)
    acc = np.column_stack((a, np.zeros_like(a), np.full_like(a, STANDARD_GRAVITY_MPS2)))
    vibration = MotionFilter(rate).vibration(acc)
    assert vibration is not None
    assert vibration[t > 0.5].mean() > 0.4 * 0.5


# --------------------------------------------------------------------------- segmentation
def test_segmenter_finds_back_and_forth_glides_with_their_direction() -> None:
    """Reciprocating glides of 15 cm, 1 s each with 0.1 s turn-arounds."""
    rate = 100.0
    t = np.arange(int(12 * rate)) / rate
    acc = np.zeros((t.size, 3))
    starts = [1.0 + 1.1 * k for k in range(8)]
    for k, t0 in enumerate(starts):
        sel = (t >= t0) & (t < t0 + 1.0)
        acc[sel, 0] = min_jerk_acc((t[sel] - t0) / 1.0, 0.15 * (-1) ** k, 1.0)
    v = MotionFilter(rate).velocity(acc)
    halves = HalfStrokeSegmenter(dead_band_mps=0.02).process(
        t, v, np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), None, None
    )
    assert [h.sign for h in halves[:8]] == [1, -1, 1, -1, 1, -1, 1, -1]
    for h, t0 in zip(halves[1:8], starts[1:], strict=True):
        # the velocity high-pass leads the true timing a little; the overlap stays large
        assert t0 - 0.35 < h.onset_s < t0 + 0.2
        assert t0 + 0.6 < h.end_s < t0 + 1.2
        assert 0.08 < abs(h.disp_m) < 0.25
        assert h.decided_s >= h.end_s


def test_segmenter_output_does_not_depend_on_batching() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    t = np.arange(n) / 100.0
    v = np.column_stack((0.3 * np.sin(2 * np.pi * 0.4 * t), rng.normal(0, 0.01, (n, 2))))
    axis, cross = np.array([1.0, 0, 0]), np.array([0, 1.0, 0])
    whole = HalfStrokeSegmenter().process(t, v, axis, cross, None, None)
    seg = HalfStrokeSegmenter()
    parts: list[HalfStroke] = []
    for i in range(0, n, 7):
        parts += seg.process(t[i : i + 7], v[i : i + 7], axis, cross, None, None)
    assert parts == whole
    assert len(whole) == 23  # 12 cycles of 0.4 Hz in 30 s; the 24th half is still open


# --------------------------------------------------------------------------- limb axis
def test_principal_direction_is_the_glide_direction() -> None:
    rng = np.random.default_rng(2)
    d = np.array([1.0, 2.0, -0.5])
    d /= np.linalg.norm(d)
    v = np.outer(np.sin(np.linspace(0, 20, 500)), d) + rng.normal(0, 0.02, (500, 3))
    first, _, values = principal_directions(v)
    assert abs(first @ d) > 0.99
    assert values[0] > 10 * values[1]


def _learn_from(batch: SampleBatch, truth_window: tuple[float, float]) -> AxisResult:
    """:func:`learn_axis` on the calibration window of a 100 Hz synthetic ``batch``, after the
    pipeline's own gravity removal and motion filters."""
    rate = 100.0
    lin, _ = GravityRemover(rate, False).process(batch.acc_mps2, None)
    motion = MotionFilter(rate)
    acc = motion.stroke_acceleration(lin)
    v = motion.velocity(lin)
    vib = motion.vibration(batch.acc_mps2)
    c0, c1 = truth_window
    sel = (batch.t_s >= c0) & (batch.t_s <= c1)
    force_n = None if batch.force_n is None else batch.force_n[sel]
    return learn_axis(
        batch.t_s[sel], v[sel], acc[sel], None if vib is None else vib[sel], force_n, rate
    )


@pytest.mark.parametrize("axis", [(1.0, 0.0, 0.0), (0.0, -0.6, 0.8)])
@pytest.mark.parametrize("force", [8.0, None])
def test_calibration_learns_axis_sign_from_loaded_glides(
    axis: tuple[float, float, float], force: float | None
) -> None:
    """Whatever the mounting, the learned axis points along the loaded (upward) glides."""
    batch, truth = reciprocating([], axis=axis, force_n=force, normal=(0.0, 0.8, 0.6))
    result = _learn_from(batch, truth.calibration)
    assert result.axis is not None, result.message
    assert result.axis.axis @ np.array(axis) > 0.95
    assert result.strokes_seen == 3


@pytest.mark.parametrize(
    ("glide_s", "lift_m", "force", "alike"),
    [
        (0.9, 0.0, None, True),  # a glide back as slow as the glide, no lift, no force: alike
        (1.2, 0.0, None, False),  # a quicker return
        (0.9, 0.03, None, False),  # a lifted return
        (0.9, 0.0, 8.0, False),  # a force sensor
    ],
)
def test_calibration_advises_when_glides_and_returns_look_alike(
    glide_s: float, lift_m: float, force: float | None, alike: bool
) -> None:
    """The axis is learned either way; only where no cue tells the pressed glide from its return
    does the user get the advice, and it names what they can change."""
    batch, truth = reciprocating([], glide_s=glide_s, return_s=0.9, lift_m=lift_m, force_n=force)
    result = _learn_from(batch, truth.calibration)
    assert result.axis is not None, result.message
    assert result.axis.axis @ np.array([1.0, 0.0, 0.0]) > 0.95
    if alike:
        assert result.advice == PHASE_ADVICE
        assert "lift the hand" in result.advice
    else:
        assert result.advice == ""


def test_the_advice_reaches_the_pipelines_calibration_status() -> None:
    batch, truth = reciprocating([], glide_s=0.9, return_s=0.9, lift_m=0.0, force_n=None)
    window = CalibrationWindow(truth.calibration[0], truth.calibration[1] - truth.calibration[0])
    pipeline = recording_pipeline(get_profile("lymphatic"), 100.0, window)
    before = pipeline.feed(_slice(batch, 0.0, truth.calibration[1]))
    assert before.calibration.advice == ""
    after = pipeline.feed(_slice(batch, truth.calibration[1], float("inf")))
    assert after.calibration.state == "learned"
    assert after.calibration.advice == PHASE_ADVICE


def _slice(batch: SampleBatch, t0: float, t1: float) -> SampleBatch:
    sel = (batch.t_s >= t0) & (batch.t_s < t1)
    return SampleBatch(
        t_s=batch.t_s[sel],
        acc_mps2=batch.acc_mps2[sel],
        gyro_radps=None if batch.gyro_radps is None else batch.gyro_radps[sel],
        force_n=None if batch.force_n is None else batch.force_n[sel],
    )


def test_calibration_without_movement_fails_with_a_message() -> None:
    t = np.arange(500) / 100.0
    result = learn_axis(t, np.zeros((500, 3)), np.zeros((500, 3)), None, None)
    assert result.axis is None
    assert "strokes" in result.message


# --------------------------------------------------------------------------- loaded phase
def _half(onset: float, sign: int, duration: float, force: float | None, lift: float) -> HalfStroke:
    return half_stroke(onset, sign, duration, lift=lift, force_n=force)


def test_force_decides_the_loaded_half() -> None:
    loaded = [_half(2.0 * k, 1, 1.0, 8.0, 0.1) for k in range(3)]
    returns = [_half(2.0 * k + 1.0, -1, 1.0, 0.5, 0.1) for k in range(3)]
    decider = LoadedPhaseDecider(Signature.learn(loaded, returns))
    # a downward pressed glide after an upward light return
    assert not decider.decide(_half(10.0, 1, 1.0, 0.4, 0.1)).loaded
    decision = decider.decide(_half(11.1, -1, 1.0, 9.0, 0.1))
    assert decision.loaded
    assert decision.confidence > 0.8


def test_without_force_the_slow_unlifted_half_is_loaded() -> None:
    loaded = [_half(2.0 * k, 1, 1.2, None, 0.05) for k in range(3)]
    returns = [_half(2.0 * k + 1.2, -1, 0.6, None, 1.0) for k in range(3)]
    signature = Signature.learn(loaded, returns)
    assert signature.weight[1] > 0
    assert signature.weight[2] > 0
    decider = LoadedPhaseDecider(signature)
    decider.decide(_half(10.0, -1, 0.6, None, 1.0))
    assert decider.decide(_half(10.7, 1, 1.2, None, 0.05)).loaded
    assert not decider.decide(_half(12.0, -1, 0.6, None, 1.0)).loaded


# --------------------------------------------------------------------------- cadence & cues
def test_cadence_is_three_strokes_over_the_span_of_four_onsets() -> None:
    tracker = CadenceTracker()
    assert [tracker.add(t) for t in (0.0, 2.0, 4.0)] == [None, None, None]
    assert tracker.add(6.0) == pytest.approx(30.0)  # 180 / 6 s


def _stroke(
    onset: float, direction: str, force: float | None = None, cad: float | None = None
) -> Stroke:
    return Stroke(onset, 1.0, direction, force_n=force, cadence_spm=cad, emitted_s=onset + 1.0)


def test_switch_up_needs_confident_downward_strokes() -> None:
    engine = CueEngine(get_profile("effleurage"), has_force=False)
    unsure = [Stroke(t, 1.0, "down", confidence=0.2, emitted_s=t + 1) for t in (0.0, 2.0)]
    assert [engine.on_stroke(s, s.end_s) for s in unsure] == [[], []]


def test_switch_up_after_the_second_downward_stroke_then_suppressed_for_5_s() -> None:
    engine = CueEngine(get_profile("lymphatic"), has_force=False)
    assert engine.on_stroke(_stroke(0.0, "up"), 1.0) == []
    assert engine.on_stroke(_stroke(2.0, "down"), 3.0) == []
    cues = engine.on_stroke(_stroke(4.0, "down"), 5.0)
    assert cues == [Cue(5.0, "switch_up", "lymphatic")]
    assert "switch_up" in engine.active
    assert engine.on_stroke(_stroke(6.0, "down"), 7.0) == []  # within 5 s
    assert engine.on_stroke(_stroke(9.0, "down"), 10.0) == [Cue(10.0, "switch_up", "lymphatic")]
    engine.on_stroke(_stroke(11.0, "up"), 12.0)
    assert "switch_up" not in engine.active


def test_no_switch_up_under_an_any_direction_technique() -> None:
    engine = CueEngine(get_profile("deep_tissue"), has_force=False)
    for k in range(5):
        assert engine.on_stroke(_stroke(2.0 * k, "down", cad=100.0), 2.0 * k + 1) == []


def test_slow_down_and_lighter_follow_the_profile_limits() -> None:
    engine = CueEngine(get_profile("lymphatic"), has_force=True)  # 36 spm, 10 N
    assert engine.on_stroke(_stroke(0.0, "up", force=6.0, cad=30.0), 1.0) == []
    # lighter at once; slow down only once two strokes in a row are over the margin × 36 spm
    cues = engine.on_stroke(_stroke(2.0, "up", force=12.0, cad=50.0), 3.0)
    assert [c.cue for c in cues] == ["lighter"]
    cues = engine.on_stroke(_stroke(3.0, "up", force=8.0, cad=(SLOW_DOWN_MARGIN + 0.02) * 36), 4.0)
    assert [c.cue for c in cues] == ["slow_down"]
    assert engine.active == frozenset({"slow_down"})
    no_force = CueEngine(get_profile("lymphatic"), has_force=False)
    assert [c.cue for c in no_force.on_stroke(_stroke(0.0, "up", force=12.0), 1.0)] == []


@pytest.mark.parametrize(
    ("ups", "downs", "message"),
    [
        (3, 1, "saw 3 strokes one way but 1 back: make three slow strokes up the leg, bringing"),
        (0, 4, "saw 4 strokes one way but 0 back"),
        (1, 0, "saw 1 stroke; make three slow strokes up the leg"),
    ],
)
def test_a_calibration_without_the_way_back_says_what_was_missing(
    ups: int, downs: int, message: str
) -> None:
    """Three strokes the user made, with returns too fleeting to count, must not be answered by
    "make three strokes" alone."""
    from analysis.stages.limb_axis import _too_few_strokes

    plus = [half_stroke(2.0 * k, 1, 1.0, lift=0.05) for k in range(ups)]
    minus = [half_stroke(2.0 * k + 1.0, -1, 1.0, lift=0.05) for k in range(downs)]
    result = _too_few_strokes(plus, minus)
    assert result is not None
    assert result.axis is None
    assert result.message.startswith(message)
    assert result.strokes_seen == max(ups, downs)
