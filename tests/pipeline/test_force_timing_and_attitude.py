"""Where the velocity comes from and what a half's features are taken over.

- The force of a half is the force while the hand made that half: the velocity leads the hand (its
  high-pass), the force sensor does not, so a half's force is taken over its re-timed span; and
  so is its stroke-band acceleration (the landing of a lifted return belongs to the return, not to
  the glide after it).
- The AHRS trusts the accelerometer's tilt only gently while the hand strokes (the stroke's
  acceleration reads as tilt), and more firmly for a few seconds after a reset, when the attitude
  it starts from is a guess.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.samples import STANDARD_GRAVITY_MPS2, FloatArray, SampleBatch
from analysis.stages.motion import VELOCITY_HIGHPASS_HZ, MotionFilter
from analysis.stages.orientation import AHRS_SETTLE_S, GravityRemover, earth_to_sensor
from analysis.stages.segmentation import HalfStroke, HalfStrokeSegmenter
from tests.pipeline.synth import reciprocating

RATE = 100.0
DEG = np.pi / 180.0
_AXIS = np.array([1.0, 0.0, 0.0])
_CROSS = np.array([0.0, 1.0, 0.0])
_GRAVITY = np.array([0.0, 0.0, STANDARD_GRAVITY_MPS2])


def _slow_strokes(return_s: float, lift_m: float, force_n: float | None) -> SampleBatch:
    """Deep-tissue-like strokes: six pressed 2 s glides of 30 cm up, each followed at once by its
    return (``return_s`` long, lifted ``lift_m``)."""
    batch, _ = reciprocating(
        [1] * 6,
        glide_s=2.0,
        return_s=return_s,
        pause_s=0.0,
        distance_m=0.3,
        lift_m=lift_m,
        force_n=force_n,
        gyro=False,
        calibration_strokes=0,
    )
    return batch


def _slow_glides_and_returns() -> tuple[FloatArray, FloatArray, FloatArray]:
    """Unpressed, unlifted 1.6 s returns: times (s), velocity from the live filter (m/s) and
    force (N)."""
    batch = _slow_strokes(return_s=1.6, lift_m=0.0, force_n=30.0)
    assert batch.force_n is not None
    v = MotionFilter(RATE).velocity(batch.acc_mps2 - _GRAVITY)
    return batch.t_s, v, batch.force_n


def _halves(t: FloatArray, v: FloatArray, force: FloatArray, step: int) -> list[HalfStroke]:
    seg = HalfStrokeSegmenter(dead_band_mps=0.02, lead_highpass_hz=VELOCITY_HIGHPASS_HZ)
    out: list[HalfStroke] = []
    for i in range(0, t.size, step):
        sl = slice(i, i + step)
        out += seg.process(t[sl], v[sl], _AXIS, _CROSS, None, force[sl])
    return out


def test_force_of_a_half_is_the_force_while_the_hand_made_it() -> None:
    """The velocity crosses zero ~0.3 s before the hand turns round on 2 s halves; over the
    velocity's own span a return would carry the end of the pressed glide's force, and a glide
    would lose its own end."""
    t, v, force = _slow_glides_and_returns()
    # the strokes end at 2 + 6 × 3.6 s; after them the filter's tail is no stroke
    halves = [h for h in _halves(t, v, force, t.size) if h.onset_s < 23.6]
    glides = [h for h in halves if h.sign > 0]
    returns = [h for h in halves if h.sign < 0]
    assert len(glides) >= 5
    assert len(returns) >= 5
    for g in glides:
        assert g.force_n is not None
        assert g.force_n > 0.9 * 30.0
    for r in returns:
        assert r.force_n is not None
        assert r.force_n < 0.15 * 30.0


@pytest.mark.parametrize("step", [1, 7, 64])
def test_retimed_force_does_not_depend_on_batching(step: int) -> None:
    t, v, force = _slow_glides_and_returns()
    assert _halves(t, v, force, step) == _halves(t, v, force, t.size)


def _lifted_returns_halves(step: int) -> list[HalfStroke]:
    """1.4 s returns lifted 3 cm: halves cut from the live velocity with the stroke-band
    acceleration alongside."""
    batch = _slow_strokes(return_s=1.4, lift_m=0.03, force_n=None)
    motion = MotionFilter(RATE)
    lin = batch.acc_mps2 - _GRAVITY
    v, acc = motion.velocity(lin), motion.stroke_acceleration(lin)
    seg = HalfStrokeSegmenter(dead_band_mps=0.02, lead_highpass_hz=VELOCITY_HIGHPASS_HZ)
    out: list[HalfStroke] = []
    for i in range(0, batch.t_s.size, step):
        sl = slice(i, i + step)
        out += seg.process(batch.t_s[sl], v[sl], _AXIS, _CROSS, None, None, acc[sl])
    # the strokes end at 2 + 6 × 3.4 s; after them the filter's tail is no stroke
    return [h for h in out if h.onset_s < 22.4]


def test_the_lift_of_a_return_is_the_returns_not_the_glides() -> None:
    """Over the velocity's own span (it turns ~0.3 s early on 2 s halves) a glide took in the
    landing that ends the return before it: 0.015 (m/s²)² across the axis, more than half of a
    lifted return's own 0.027, where a glide on the skin has none (0.001 over its re-timed span):
    the contact cue then calls the glides lifted."""
    halves = _lifted_returns_halves(step=10_000)
    glides = [h for h in halves if h.sign > 0]
    returns = [h for h in halves if h.sign < 0]
    assert len(glides) >= 5
    assert len(returns) >= 5
    lifted = min(r.acc_perp for r in returns)
    assert max(g.acc_perp for g in glides) < 0.05 * lifted


@pytest.mark.parametrize("step", [1, 7, 64])
def test_retimed_acceleration_does_not_depend_on_batching(step: int) -> None:
    assert _lifted_returns_halves(step) == _lifted_returns_halves(step=10_000)


def _axial_velocity_error(gyro_bias_dps: float) -> float:
    """RMS error (m/s) along the stroke axis of the live velocity over brisk reciprocating strokes
    (25 cm in 0.8 s, 2.4 m/s² peaks) with a gyro bias on every axis."""
    batch, _ = reciprocating(
        [1, -1] * 8,
        glide_s=0.8,
        return_s=0.6,
        pause_s=0.1,
        distance_m=0.25,
        lift_m=0.0,
        calibration_strokes=0,
    )
    assert batch.gyro_radps is not None
    gyro = batch.gyro_radps + np.array([1.0, -1.0, 1.0]) * gyro_bias_dps * DEG
    lin, q = GravityRemover(RATE, True).process(batch.acc_mps2, gyro)
    assert q is not None
    v = earth_to_sensor(q, MotionFilter(RATE).velocity(lin))
    v_true = MotionFilter(RATE).velocity(batch.acc_mps2 - _GRAVITY)
    late = batch.t_s > 5.0  # past the settling after the start
    return float(np.sqrt(np.mean((v[late, 0] - v_true[late, 0]) ** 2)))


@pytest.mark.parametrize("gyro_bias_dps", [0.0, 0.4])
def test_stroke_acceleration_does_not_tilt_the_attitude_into_the_velocity(
    gyro_bias_dps: float,
) -> None:
    """Each stroke's acceleration looks to the accelerometer like a tilt of ~14°; an AHRS that
    follows it leaks it back into the linear acceleration as a velocity error in the stroke band
    (0.07 m/s rms on 0.36 m/s strokes at Fusion's default gain 0.5). A consumer gyro's bias of
    0.4 °/s must not undo that."""
    assert _axial_velocity_error(gyro_bias_dps) < 0.055


def _after_a_turn_in_a_gap(
    rate_hz: float, seconds: float
) -> tuple[GravityRemover, FloatArray, FloatArray]:
    """A still hand, a gap in which it turned 20° about x, then still again: the first sample
    after the gap still turns, so the AHRS starts from the attitude held before the gap."""
    remover = GravityRemover(rate_hz, True)
    remover.process(np.tile(_GRAVITY, (200, 1)), np.zeros((200, 3)))
    remover.reset()
    a = 20.0 * DEG
    tilted = STANDARD_GRAVITY_MPS2 * np.array([0.0, np.sin(a), np.cos(a)])
    n = int(seconds * rate_hz)
    gyro = np.zeros((n, 3))
    gyro[0] = [0.5, 0.0, 0.0]
    return remover, np.tile(tilted, (n, 1)), gyro


def test_a_wrong_start_after_a_gap_is_pulled_in_within_seconds() -> None:
    remover, acc, gyro = _after_a_turn_in_a_gap(RATE, 6.0)
    lin, _ = remover.process(acc, gyro)
    leak = np.linalg.norm(lin, axis=1)
    assert leak[10] > 2.5  # 20° of tilt is 3.4 m/s² of false acceleration at first
    # settling at the higher gain: a gentle gain alone leaves more than half of it after 3 s
    assert leak[int(3.0 * RATE)] < 0.3 * leak[10]


@pytest.mark.parametrize("step", [1, 7, 64])
def test_settling_does_not_depend_on_batching(step: int) -> None:
    assert AHRS_SETTLE_S * RATE < 600  # the switch to the gentle gain happens inside the data
    remover, acc, gyro = _after_a_turn_in_a_gap(RATE, 6.0)
    whole, _ = remover.process(acc, gyro)
    remover2, _, _ = _after_a_turn_in_a_gap(RATE, 6.0)
    parts = [
        remover2.process(acc[i : i + step], gyro[i : i + step])[0] for i in range(0, 600, step)
    ]
    assert np.array_equal(np.concatenate(parts), whole)


def test_without_a_gyro_a_gap_mid_stroke_keeps_gravity() -> None:
    """The first sample after a gap carries the stroke's acceleration (2 m/s² here); taken for
    gravity it would read as −2 m/s² of motion for the next second, and integrate to a velocity
    of the size of a stroke. The gravity low-pass keeps its estimate over the gap instead."""
    remover = GravityRemover(RATE, False)
    remover.process(np.tile(_GRAVITY, (300, 1)), None)
    remover.reset()
    acc = np.tile(_GRAVITY, (100, 1))
    acc[0, 0] += 2.0
    lin, _ = remover.process(acc, None)
    assert np.abs(lin[5:, 0]).max() < 0.1
