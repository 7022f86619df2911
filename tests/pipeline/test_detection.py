"""Stroke detection: clipping, hysteresis, the limb frame's cross direction, half kinds, and the
provisional axis after a failed calibration."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.samples import STANDARD_GRAVITY_MPS2, SampleBatch
from analysis.stages.direction import (
    HalfKind,
    LimbFrame,
    OtherStrokeDetector,
    classify_half,
)
from analysis.stages.limb_axis import learn_axis, provisional_axis
from analysis.stages.orientation import GravityRemover, rotate
from analysis.stages.segmentation import HalfStroke, HalfStrokeSegmenter
from analysis.stages.timebase import MAX_CLIP_S, TimeBase

RATE = 100.0
_E0 = np.array([1.0, 0.0, 0.0])
_E1 = np.array([0.0, 1.0, 0.0])


def _batch(acc: np.ndarray, rate: float = RATE) -> SampleBatch:
    n = acc.shape[0]
    return SampleBatch(np.arange(n) / rate, acc, np.zeros((n, 3)), None)


def _runs_by_batch(tb: TimeBase, batch: SampleBatch, size: int) -> list[tuple[float, bool, int]]:
    out = []
    for part in batch.chunks(size):
        out += [(float(r.samples.t_s[0]), r.restart, len(r.samples)) for r in tb.accept(part)]
    return out


# --------------------------------------------------------------------------- clipping
def test_a_short_clip_at_a_strokes_peak_is_kept_without_a_restart() -> None:
    """A 2 g accelerometer clips for a few samples at the peak of a brisk stroke: those samples
    still say "at least 2 g" and dropping them (or restarting) would lose far more."""
    n = 300
    acc = np.tile([0.0, 0.0, STANDARD_GRAVITY_MPS2], (n, 1))
    rail = 2.0 * STANDARD_GRAVITY_MPS2
    acc[100:105, 0] = rail  # 50 ms on the rail
    tb = TimeBase(RATE)
    runs = tb.accept(_batch(acc))
    assert tb.dropped_saturated == 0
    assert tb.clipped == 4  # the first rail sample cannot be told from a real value
    assert len(runs) == 1
    assert len(runs[0].samples) == n


def test_a_rail_held_longer_than_a_clip_is_still_a_hole() -> None:
    n = 300
    acc = np.tile([0.0, 0.0, STANDARD_GRAVITY_MPS2], (n, 1))
    acc[100:160, 0] = 2.0 * STANDARD_GRAVITY_MPS2  # 0.6 s pinned: a knock or a stuck axis
    tb = TimeBase(RATE)
    runs = tb.accept(_batch(acc))
    budget = round(MAX_CLIP_S * RATE)
    assert tb.clipped == budget
    assert tb.dropped_saturated == 59 - budget
    assert runs[-1].restart
    assert float(runs[-1].samples.t_s[0]) == pytest.approx(1.60)


@pytest.mark.parametrize("size", [1, 7, 64])
def test_clipping_does_not_depend_on_the_batching(size: int) -> None:
    n = 400
    acc = np.tile([0.0, 0.0, STANDARD_GRAVITY_MPS2], (n, 1))
    acc[50:54, 1] = -2.0 * STANDARD_GRAVITY_MPS2
    acc[200:260, 0] = 2.0 * STANDARD_GRAVITY_MPS2
    whole = TimeBase(RATE)
    expected = _runs_by_batch(whole, _batch(acc), n)
    parts = TimeBase(RATE)
    got = _runs_by_batch(parts, _batch(acc), size)
    # a batch boundary may cut a run in two pieces, but restarts and kept samples agree
    assert [t for t, k, _ in got if k] == [t for t, k, _ in expected if k]
    assert sum(r[2] for r in got) == sum(r[2] for r in expected)
    assert (parts.clipped, parts.dropped_saturated) == (whole.clipped, whole.dropped_saturated)


# --------------------------------------------------------------------------- hysteresis
def _velocity_pulses(peaks: list[float], rate: float = RATE) -> tuple[np.ndarray, np.ndarray]:
    """Axial velocity: one smooth 1 s pulse per peak (alternating sign), 0.5 s apart."""
    parts = []
    for k, peak in enumerate(peaks):
        tau = np.arange(int(rate)) / rate
        parts.append((-1) ** k * peak * np.sin(np.pi * tau) ** 2)
        parts.append(np.zeros(int(0.5 * rate)))
    v_ax = np.concatenate(parts)
    v = np.zeros((v_ax.size, 3))
    v[:, 0] = v_ax
    return np.arange(v_ax.size) / rate, v


def test_a_half_that_barely_leaves_the_dead_band_is_not_a_stroke() -> None:
    """Schmitt trigger: a filter tail or drift creeping just past θ is dropped, a movement that
    reaches twice θ is kept."""
    theta = 0.03
    t, v = _velocity_pulses([0.3, 0.05, 0.3])  # the middle one peaks at 1.7 θ
    seg = HalfStrokeSegmenter(dead_band_mps=theta, min_disp_m=0.001, peak_hysteresis=2.0)
    halves = seg.process(t, v, _E0, _E1, None, None)
    plain = HalfStrokeSegmenter(dead_band_mps=theta, min_disp_m=0.001)
    all_halves = plain.process(t, v, _E0, _E1, None, None)
    assert len(all_halves) == 3
    assert len(halves) == 2
    assert all(h.peak_speed_mps >= 2.0 * theta for h in halves)


# --------------------------------------------------------------------------- limb frame
def _swings_on_drift(n: int, rate: float = RATE) -> np.ndarray:
    """Friction swings (2 Hz, ±0.1 m/s) along a cross direction at 30° between the frame's two
    cross axes, on top of a slow drift of 0.3 m/s along the other cross axis."""
    t = np.arange(n) / rate
    swing = 0.1 * np.sin(2 * np.pi * 2.0 * t)
    d = np.array([0.0, np.cos(np.radians(30.0)), np.sin(np.radians(30.0))])
    v = np.outer(swing, d)
    v[:, 2] += 0.3 * (1.0 - np.exp(-t / 2.0))
    return v


def test_the_cross_column_follows_the_swing_not_the_drift() -> None:
    n = 800
    v = _swings_on_drift(n)
    frame = LimbFrame(RATE).project(v, _E0, _E1)
    late = slice(300, n)
    swing = 0.1 * np.sin(2 * np.pi * 2.0 * np.arange(n) / RATE)[late]
    # the swing's energy lands in the cross column (the sign of a direction is arbitrary)
    fit = abs(float(np.corrcoef(frame[late, 1], swing)[0, 1]))
    assert fit > 0.95
    # and the cross column never jumps (a flip of the direction's sign would look like a swing)
    assert float(np.abs(np.diff(frame[:, 1])).max()) < 0.05


@pytest.mark.parametrize("size", [1, 7, 64])
def test_limb_frame_does_not_depend_on_the_batching(size: int) -> None:
    n = 500
    rng = np.random.default_rng(3)
    v = _swings_on_drift(n) + rng.normal(0.0, 0.05, (n, 3))
    whole = LimbFrame(RATE).project(v, _E0, _E1)
    frame = LimbFrame(RATE)
    parts = np.vstack([frame.project(v[i : i + size], _E0, _E1) for i in range(0, n, size)])
    np.testing.assert_array_equal(parts, whole)


def test_friction_swings_on_a_drifting_velocity_are_counted() -> None:
    n = 800
    v = _swings_on_drift(n)
    t = np.arange(n) / RATE
    frame = LimbFrame(RATE).project(v, _E0, _E1)
    strokes = OtherStrokeDetector(RATE, 0.03).process(t, frame, None)
    cross = [s for s in strokes if s.direction == "cross"]
    # 16 cycles in 8 s; the first swings build up the run
    assert len(cross) >= 12


# --------------------------------------------------------------------------- half kinds
def _half(**kw: float) -> HalfStroke:
    base: dict[str, float] = dict(
        onset_s=0.0,
        end_s=1.0,
        sign=1,
        disp_m=0.15,
        path_axial_m=0.15,
        path_perp_m=0.02,
        energy_axial=0.04,
        energy_perp=0.001,
        acc_axial=0.5,
        acc_perp=0.05,
        peak_speed_mps=0.3,
        rotation_rad=0.0,
        decided_s=1.2,
    )
    base.update(kw)
    return HalfStroke(vibration=None, force_n=None, **base)  # type: ignore[arg-type]


def test_a_slow_straight_glide_is_linear_whatever_its_acceleration_ratio() -> None:
    """A 3 s glide accelerates along the axis mostly below the stroke band: its in-band axial
    acceleration is small, but its path is straight."""
    slow = _half(end_s=3.0, acc_axial=0.002, acc_perp=0.004, path_perp_m=0.02)
    assert classify_half(slow) is HalfKind.LINEAR
    # the same ratio on a quick half with a lift is a lifted return or part of a circle
    quick = _half(end_s=0.5, acc_axial=0.2, acc_perp=0.4, path_perp_m=0.03)
    assert classify_half(quick) is HalfKind.OTHER
    lifted = _half(end_s=3.0, acc_axial=0.002, acc_perp=0.004, path_perp_m=0.15)
    assert classify_half(lifted) is HalfKind.OTHER


def test_a_turning_velocity_is_a_circle_only_on_a_round_path() -> None:
    flat = _half(end_s=0.5, rotation_rad=3.0, acc_axial=0.2, acc_perp=0.15, path_perp_m=0.02)
    assert classify_half(flat) is HalfKind.LINEAR
    round_ = _half(end_s=0.5, rotation_rad=3.0, acc_axial=0.2, acc_perp=0.15, path_perp_m=0.12)
    assert classify_half(round_) is HalfKind.OTHER


# --------------------------------------------------------------------------- provisional axis
def test_provisional_axis_follows_the_motion_and_the_first_stroke() -> None:
    t = np.arange(0.0, 10.0, 1.0 / RATE)
    u = np.array([0.0, -0.6, 0.8])
    across = np.array([1.0, 0.0, 0.0])
    # strokes starting against u, plus a sizeable motion across (why the calibration failed)
    along = -0.2 * np.sin(2 * np.pi * t / 2.5)
    v = np.outer(along, u) + np.outer(0.15 * np.sin(2 * np.pi * t / 1.7), across)
    acc = np.gradient(v, t, axis=0)
    axis = provisional_axis(v, acc, has_force=False, rate_hz=RATE)
    assert axis is not None
    assert float(axis.axis @ u) < -0.95  # the first movement's direction is "up"
    assert axis.stroke_speed_mps > 0.1
    assert provisional_axis(np.zeros((500, 3)), np.zeros((500, 3)), False, RATE) is None


def test_an_unclear_calibration_takes_its_sign_from_the_pressed_glides() -> None:
    """Strokes up a leg with a sizeable motion across (the clarity test fails), the hand first
    brought down to the start: the first movement goes the wrong way, the force channel shows
    which way the pressed glides went, and the best guess follows the glides."""
    t = np.arange(0.0, 12.0, 1.0 / RATE)
    u = np.array([0.0, -0.6, 0.8])
    across = np.array([1.0, 0.0, 0.0])
    along = np.zeros_like(t)
    force = np.zeros_like(t)
    moves = [(0.5, 0.5, -0.15, 0.0)]  # (start s, duration s, distance m, force N)
    for k in range(4):
        start = 1.4 + 2.6 * k
        moves += [(start, 1.2, 0.15, 8.0), (start + 1.5, 0.6, -0.15, 0.0)]
    for start, dur, dist, press in moves:
        tau = np.clip((t - start) / dur, 0.0, 1.0)
        along += 30.0 * dist * tau**2 * (1.0 - tau) ** 2 / dur
        force[(t >= start) & (t < start + dur)] = press
    v = np.outer(along, u) + np.outer(0.22 * np.sin(2 * np.pi * t / 1.7), across)
    acc = np.gradient(v, t, axis=0)
    result = learn_axis(t, v, acc, None, force)
    assert result.axis is None  # not clear enough to learn from
    assert result.provisional is not None
    assert float(result.provisional.axis @ u) > 0.95
    # the first movement alone would have pointed the axis the wrong way
    first_movement = provisional_axis(v, acc, has_force=True, rate_hz=RATE)
    assert first_movement is not None
    assert float(first_movement.axis @ u) < 0.0


# --------------------------------------------------------------------------- attitude restart
def test_attitude_restart_keeps_the_last_attitude_when_the_hand_is_moving() -> None:
    tilt = np.radians(20.0)
    q = np.array([[np.cos(tilt / 2), np.sin(tilt / 2), 0.0, 0.0]])
    g_sensor = rotate(
        np.array([[q[0, 0], -q[0, 1], 0.0, 0.0]]), np.array([[0.0, 0.0, STANDARD_GRAVITY_MPS2]])
    )
    rest = np.tile(g_sensor, (200, 1))
    gyro = np.zeros((200, 3))
    remover = GravityRemover(RATE, has_gyro=True)
    lin, _ = remover.process(rest, gyro)
    assert float(np.abs(lin[-1]).max()) < 0.05
    remover.reset()
    # after a gap the first sample is mid-stroke: 3 m/s² of linear acceleration on top
    moving = rest[:50] + np.array([3.0, 0.0, 0.0])
    lin_after, _ = remover.process(moving, gyro[:50])
    # leveled on the accelerated sample, the stroke's acceleration would vanish into "gravity"
    assert float(np.linalg.norm(lin_after[0])) > 2.5
