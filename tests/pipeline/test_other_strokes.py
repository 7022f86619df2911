"""Cross-friction and circular kneading: which evidence wins where both detectors fire, when a
turn is a revolution, and where a friction run starts. The velocity is synthetic, in the limb
frame (columns: along the axis, across it, the rest), so each test knows the truth exactly."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.samples import FloatArray
from analysis.stages.direction import OtherStroke
from tests.pipeline.synth import detect_other_strokes, smooth_ramp

RATE = 100.0
DEAD_BAND = 0.03


def _circles(
    t: FloatArray, freq_hz: float, radius_m: float, across: float = 1.0, along: float = 1.0
) -> FloatArray:
    """Kneading: the velocity of a circle in the skin plane, stretched by ``across`` and
    ``along`` (an ellipse, as circles on a round limb often are)."""
    w = 2.0 * np.pi * freq_hz
    e = smooth_ramp(t, 0.5 / freq_hz)
    v_ax = -along * radius_m * w * np.sin(w * t) * e
    v_cross = across * radius_m * w * np.cos(w * t) * e
    return np.column_stack((v_ax, v_cross, np.zeros_like(t)))


def _friction(t: FloatArray, freq_hz: float, amp_m: float) -> FloatArray:
    """Cross-friction: a straight back-and-forth across the axis."""
    w = 2.0 * np.pi * freq_hz
    v_cross = amp_m * w * np.cos(w * t) * smooth_ramp(t, 0.5 / freq_hz)
    return np.column_stack((np.zeros_like(t), v_cross, np.zeros_like(t)))


def _reciprocating(
    n_strokes: int, glide_s: float = 0.5, return_s: float = 0.4, pause_s: float = 0.15
) -> tuple[FloatArray, FloatArray]:
    """Glides along the axis, each followed by a quick return lifted off the skin (the lift
    shows across the axis): the velocity loops, but stops at every turn-around."""
    dt = 1.0 / RATE
    parts: list[FloatArray] = []
    for _ in range(n_strokes):
        for dur, sign, lift in ((glide_s, 1.0, 0.0), (return_s, -1.0, 0.04)):
            tau = np.arange(0.0, dur, dt) / dur
            v_ax = sign * 0.15 / dur * 30.0 * tau**2 * (1.0 - tau) ** 2
            v_lift = lift / dur * 192.0 * tau**2 * (1.0 - tau) ** 2 * (1.0 - 2.0 * tau)
            parts.append(np.column_stack((v_ax, v_lift, np.zeros_like(tau))))
            parts.append(np.zeros((int(pause_s / dt), 3)))
    v: FloatArray = np.vstack(parts).astype(np.float64)
    t: FloatArray = np.arange(v.shape[0], dtype=np.float64) * dt
    return t, v


def _run(
    t: FloatArray, v: FloatArray, size: int | None = None, has_gyro: bool = True
) -> list[OtherStroke]:
    return detect_other_strokes(t, v, RATE, DEAD_BAND, size, has_gyro)


def test_kneading_circles_are_revolutions_and_not_friction() -> None:
    """A circle's velocity swings back and forth across the axis too, so the friction detector
    fires on it where the circle is wider across than along; the revolution is the more
    specific evidence and wins."""
    t = np.arange(0.0, 10.0, 1.0 / RATE)
    strokes = _run(t, _circles(t, 1.0, 0.02, along=0.55))
    circles = [s for s in strokes if s.direction == "circular"]
    assert len(circles) >= 8  # ten turns; the ramp may cost the first
    assert not [s for s in strokes if s.direction == "cross"]


def test_friction_is_cross_and_every_held_cycle_comes_out_decided_after_it_ended() -> None:
    t = np.arange(0.0, 6.0, 1.0 / RATE)
    strokes = _run(t, _friction(t, 2.0, 0.01))
    cross = [s for s in strokes if s.direction == "cross"]
    assert len(cross) >= 10  # twelve cycles
    assert not [s for s in strokes if s.direction == "circular"]
    for s in cross:
        assert s.decided_s >= s.onset_s + s.duration_s
        # held back no longer than a revolution could take to rule it out
        assert s.decided_s <= s.onset_s + s.duration_s + 3.0


@pytest.mark.parametrize("size", [1, 7, 64])
def test_the_arbitration_does_not_depend_on_the_batching(size: int) -> None:
    t = np.arange(0.0, 16.0, 1.0 / RATE)
    v = np.where(
        (t < 5.0)[:, None],
        _circles(t, 0.9, 0.025, along=0.55),
        np.where(
            (t < 10.0)[:, None], _friction(t - 5.0, 2.5, 0.008), _circles(t - 10.0, 1.1, 0.02)
        ),
    )
    v = v + np.random.default_rng(4).normal(0.0, 0.004, v.shape)
    whole = _run(t, v)
    assert {s.direction for s in whole} == {"cross", "circular"}
    assert _run(t, v, size) == whole


def test_a_reciprocating_stroke_with_a_lifted_return_makes_no_revolution() -> None:
    """Glide, stop, lifted return, stop: the velocity loops round, but it turns at the stops,
    where the hand (nearly) halts, not while it moves (a guard on the speed gates)."""
    t, v = _reciprocating(8)
    assert not [s for s in _run(t, v) if s.direction == "circular"]


@pytest.mark.parametrize("has_gyro", [False, True])
def test_a_reciprocating_stroke_looped_by_the_tilt_leak_is_no_revolution(has_gyro: bool) -> None:
    """Without a gyroscope the wrist's tilt leaks a cross-axis swing a quarter cycle behind the
    stroke's velocity: 25 cm strokes back and forth at 0.5 Hz then trace an ellipse as round as
    a kneading circle's (0.6:1), but 0.5 m long along the axis per turn. Palm-sized circles of
    the same shape still count."""
    t = np.arange(0.0, 12.0, 1.0 / RATE)

    def circular(v: FloatArray) -> list[OtherStroke]:
        return [s for s in _run(t, v, has_gyro=has_gyro) if s.direction == "circular"]

    # from the second turn on: the first grows out of rest, still palm-sized
    assert not [s for s in circular(_circles(t, 0.5, 0.125, across=0.6)) if s.onset_s > 2.0]
    assert len(circular(_circles(t, 0.8, 0.03, across=0.6))) >= 7  # nine turns, less the ramp


def test_a_slow_circle_whose_speed_dips_under_the_start_threshold_is_still_counted() -> None:
    """An elliptic kneading circle at 0.7 Hz whose speed swings between 1.3 and 2.2 dead bands:
    counting starts above 1.5 dead bands, and the slower part of each turn is no stop."""
    t = np.arange(0.0, 12.0, 1.0 / RATE)
    w = 2.0 * np.pi * 0.7
    radius = 2.2 * DEAD_BAND / w  # fastest along the axis, 0.6 times as fast across it
    strokes = _run(t, _circles(t, 0.7, radius, across=0.6))
    assert len([s for s in strokes if s.direction == "circular"]) >= 5  # eight turns


def test_a_friction_run_starts_where_the_friction_starts() -> None:
    """Right after a glide the velocity estimate along the axis still rings from it, so the
    first, small swings of friction look slanted; once the run is established they count."""
    t = np.arange(0.0, 5.0, 1.0 / RATE)
    v = _friction(t, 2.0, 0.01)
    v[:, 0] += 0.2 * np.sin(2.0 * np.pi * t) * np.exp(-t / 0.7)  # what the glide left
    cross = [s for s in _run(t, v) if s.direction == "cross"]
    assert len(cross) >= 9  # ten cycles
    assert cross[0].onset_s < 0.5  # within the first cycle
