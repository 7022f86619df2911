"""Friction that starts right after a repositioning carry, and kneading circles that the
lever arm of the sensor stretches into an ellipse.

The velocity is synthetic, in the limb frame (columns: along the axis, across it, the rest), so
each test knows the truth exactly."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.evaluation.matching import temporal_iou
from analysis.samples import FloatArray
from analysis.stages.direction import OtherStroke
from tests.pipeline.synth import detect_other_strokes, smooth_ramp

RATE = 100.0
DEAD_BAND = 0.03
CARRY_START_S = 1.0
FRICTION_CYCLES = 8


def _carry_then_friction(
    freq_hz: float, carry_s: float, across_m: float
) -> tuple[FloatArray, FloatArray, float]:
    """The hand is carried 12 cm along the limb and ``across_m`` across it (a min-jerk move of
    ``carry_s``), put down, and rubs across the axis (±7 mm at ``freq_hz``) from that moment.
    Returns times, velocity and the friction's start, s."""
    t: FloatArray = np.arange(0.0, 6.0, 1.0 / RATE)
    tau = np.clip((t - CARRY_START_S) / carry_s, 0.0, 1.0)
    bell = 30.0 * tau**2 * (1.0 - tau) ** 2 / carry_s
    start = CARRY_START_S + carry_s
    tf = t - start
    w = 2.0 * np.pi * freq_hz
    rubbing = (tf >= 0.0) & (tf < FRICTION_CYCLES / freq_hz)
    friction = np.where(rubbing, 0.007 * w * np.cos(w * tf) * smooth_ramp(tf, 0.5 / freq_hz), 0.0)
    v: FloatArray = np.column_stack((0.12 * bell, across_m * bell + friction, np.zeros_like(t)))
    return t, v, start


def _run(
    t: FloatArray, v: FloatArray, size: int | None = None, has_gyro: bool = True
) -> list[OtherStroke]:
    return detect_other_strokes(t, v, RATE, DEAD_BAND, size, has_gyro)


@pytest.mark.parametrize(
    ("freq_hz", "carry_s", "across_m"), [(2.5, 0.7, 0.04), (3.0, 0.6, 0.03), (3.0, 0.8, 0.05)]
)
def test_the_first_friction_cycle_after_a_carry_is_found(
    freq_hz: float, carry_s: float, across_m: float
) -> None:
    """The carry's velocity takes longer to settle in the friction band than the first swing of
    friction lasts: the two read as one long swing, whose end is the run's first turn-around.
    The first cycle is still reported where the scorer can match it (IoU >= 0.3), and nothing
    of the carry is taken for friction."""
    t, v, start = _carry_then_friction(freq_hz, carry_s, across_m)
    cycles = [s for s in _run(t, v) if s.direction == "cross"]
    period = 1.0 / freq_hz
    assert (
        max(
            temporal_iou(c.onset_s, c.onset_s + c.duration_s, start, start + period) for c in cycles
        )
        >= 0.3
    )
    assert all(c.onset_s >= start - 0.15 for c in cycles)
    assert len(cycles) <= FRICTION_CYCLES


@pytest.mark.parametrize("size", [1, 7, 64])
def test_the_first_cycle_after_a_carry_does_not_depend_on_the_batching(size: int) -> None:
    t, v, _ = _carry_then_friction(2.5, 0.7, 0.04)
    assert _run(t, v, size) == _run(t, v)


def _ellipse(t: FloatArray, freq_hz: float, along_m: float, across_m: float) -> FloatArray:
    """Kneading read on the sensor: a circle on the skin stretched across the axis by the hand's
    turn on its lever arm, ``along_m`` by ``across_m`` semi-axes."""
    w = 2.0 * np.pi * freq_hz
    e = smooth_ramp(t, 0.5 / freq_hz)
    v_ax = -along_m * w * np.sin(w * t) * e
    v_cross = across_m * w * np.cos(w * t) * e
    return np.column_stack((v_ax, v_cross, np.zeros_like(t)))


def test_a_circle_stretched_by_the_lever_arm_is_still_kneading_with_a_gyro() -> None:
    """A 2.4:1 ellipse that turns steadily is counted revolution by revolution."""
    t = np.arange(0.0, 8.0, 1.0 / RATE)
    strokes = _run(t, _ellipse(t, 1.0, 0.012, 0.029))
    circles = [s for s in strokes if s.direction == "circular"]
    assert 6 <= len(circles) <= 8  # eight turns; the ramp may cost the first
    assert all(0.9 <= c.duration_s <= 1.1 for c in circles)


def test_without_a_gyro_an_oblong_loop_is_not_a_circle() -> None:
    """Without a gyroscope the tilt leak rocks a glide's velocity into loops; an oblong one must
    not pass for kneading, so the roundness bound stays 2:1."""
    t = np.arange(0.0, 8.0, 1.0 / RATE)
    strokes = _run(t, _ellipse(t, 1.0, 0.012, 0.029), has_gyro=False)
    assert not [s for s in strokes if s.direction == "circular"]
