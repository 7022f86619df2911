"""Cross-friction that starts while the velocity still carries the slow tail of the glide before
it.

The velocity is synthetic, in the limb frame (columns: along the axis, across it, the rest), so
each test knows the truth exactly."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.samples import FloatArray
from analysis.stages.direction import OtherStroke
from tests.pipeline.synth import detect_other_strokes

RATE = 50.0
DEAD_BAND = 0.03
FRICTION_HZ = 2.4
FRICTION_START_S = 1.0
FRICTION_END_S = 5.0


def _tail_then_friction() -> tuple[FloatArray, FloatArray]:
    """A glide's integrated velocity settling back to rest (a slow decay, large, in the limb
    frame's cross column: the frame's cross direction followed it) while friction (±0.1 m/s,
    ±7 mm at 2.4 Hz) starts along the other direction across the axis, the "rest" column."""
    t: FloatArray = np.arange(0.0, 6.0, 1.0 / RATE)
    tail = 0.35 * np.exp(-t / 0.8)
    w = 2.0 * np.pi * FRICTION_HZ
    on = (t >= FRICTION_START_S) & (t < FRICTION_END_S)
    friction = np.where(on, 0.1 * np.sin(w * (t - FRICTION_START_S)), 0.0)
    v: FloatArray = np.column_stack((0.3 * tail, tail, friction)).astype(np.float64)
    return t, v


def _run(t: FloatArray, v: FloatArray, size: int) -> list[OtherStroke]:
    return detect_other_strokes(t, v, RATE, DEAD_BAND, size)


def test_friction_under_a_glide_tail_is_found_from_its_start() -> None:
    """The swings are sought along the principal direction of the friction band, not along the
    limb frame's cross column, which the tail still holds."""
    t, v = _tail_then_friction()
    cycles = [s for s in _run(t, v, 64) if s.direction == "cross"]
    n_true = int((FRICTION_END_S - FRICTION_START_S) * FRICTION_HZ)
    assert len(cycles) >= n_true - 2
    assert len(cycles) <= n_true
    assert min(c.onset_s for c in cycles) < FRICTION_START_S + 1.5 / FRICTION_HZ
    # every cycle lies within the friction (a little slack for the band-pass's lag)
    assert all(FRICTION_START_S - 0.1 <= c.onset_s < FRICTION_END_S for c in cycles)
    assert all(c.onset_s + c.duration_s <= FRICTION_END_S + 0.3 for c in cycles)


@pytest.mark.parametrize("size", [1, 7, 64])
def test_the_friction_band_direction_does_not_depend_on_the_batching(size: int) -> None:
    t, v = _tail_then_friction()
    assert _run(t, v, size) == _run(t, v, t.shape[0])
