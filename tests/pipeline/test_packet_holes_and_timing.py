"""Motion stages: holes in regularly stamped streams are filled before the filters, and
half-strokes are re-timed for the velocity high-pass's phase lead."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.samples import STANDARD_GRAVITY_MPS2, SampleBatch
from analysis.stages.motion import VELOCITY_HIGHPASS_HZ, MotionFilter
from analysis.stages.orientation import GravityRemover, earth_to_sensor
from analysis.stages.segmentation import HalfStrokeSegmenter, phase_lead_s
from analysis.stages.timebase import TimeBase
from tests.pipeline.synth import min_jerk_acc

RATE = 100.0


def _runs(tb: TimeBase, batch: SampleBatch, size: int) -> list[SampleBatch]:
    return [run.samples for part in batch.chunks(size) for run in tb.accept(part)]


def _spinning(n: int, rate_hz: float, omega_radps: float) -> tuple[np.ndarray, np.ndarray]:
    """Specific force and gyro of a sensor at rest turning about its x axis at a constant rate:
    gravity turns the other way in the sensor frame."""
    t = np.arange(n) / rate_hz
    angle = omega_radps * t
    acc = STANDARD_GRAVITY_MPS2 * np.column_stack((np.zeros(n), np.sin(angle), np.cos(angle)))
    gyro = np.column_stack((np.full(n, omega_radps), np.zeros(n), np.zeros(n)))
    return acc, gyro


# --------------------------------------------------------------------------- hole filling
@pytest.mark.parametrize("size", [1, 7, 64])
def test_a_hole_in_a_regular_stream_is_filled_on_the_sample_grid(size: int) -> None:
    n = 300
    acc, gyro = _spinning(n, RATE, 1.0)
    t = np.arange(n) / RATE
    keep = np.ones(n, dtype=bool)
    keep[120:128] = False  # 80 ms of lost packets: shorter than a gap
    batch = SampleBatch(t[keep], acc[keep], gyro[keep], None)
    tb = TimeBase(RATE)
    runs = _runs(tb, batch, size)
    assert tb.gaps == 0
    assert tb.filled == 8
    t_out = np.concatenate([r.t_s for r in runs])
    np.testing.assert_allclose(t_out, t, atol=1e-9)
    # the filled samples lie on the straight line between their neighbours
    filled = np.concatenate([r.acc_mps2 for r in runs])[120:128]
    frac = (np.arange(1, 9) / 9.0)[:, None]
    np.testing.assert_allclose(filled, acc[119] + frac * (acc[128] - acc[119]), atol=1e-9)


def test_stamps_bunched_by_the_host_are_not_filled() -> None:
    """A host stamping samples on arrival bunches them at connection events (steps of ~0, then
    of several periods): a long step there is latency, not loss, and adds no samples."""
    n = 400
    rng = np.random.default_rng(3)
    event = 0.03 * np.ceil((np.arange(n) / RATE + 0.002) / 0.03)  # 30 ms connection interval
    t = np.maximum.accumulate(event + 0.01 + rng.exponential(0.0005, n))
    t += np.arange(n) * 1e-6  # strictly increasing
    acc = np.tile([0.0, 0.0, STANDARD_GRAVITY_MPS2], (n, 1))
    tb = TimeBase(RATE)
    runs = _runs(tb, SampleBatch(t, acc, None, None), 64)
    assert tb.filled == 0
    assert sum(len(r) for r in runs) == n


def test_filling_keeps_the_attitude_through_a_turn_in_a_hole() -> None:
    """The AHRS integrates the gyro one period per sample: without the filled samples the turn
    made during the hole would be missing from the attitude and gravity would leak into the
    linear acceleration."""
    n = 400
    rate = 200.0
    acc, gyro = _spinning(n, rate, 3.0)
    t = np.arange(n) / rate
    keep = np.ones(n, dtype=bool)
    keep[200:216] = False  # 80 ms at 3 rad/s: a 14° turn unseen
    batch = SampleBatch(t[keep], acc[keep], gyro[keep], None)
    tb = TimeBase(rate)
    gravity = GravityRemover(rate, True)
    errors = []
    for run in _runs(tb, batch, 10):
        lin, q = gravity.process(run.acc_mps2, run.gyro_radps)
        assert q is not None
        errors.append(np.linalg.norm(earth_to_sensor(q, lin), axis=1))
    after = np.concatenate(errors)[220:260]
    # 14° of tilt would leak 2.4 m/s²
    assert after.max() < 0.5


def _wrist_turns(n: int, rate_hz: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Specific force, gyro and roll angle (rad) of a hand at rest in place that rolls ±30° about
    its x axis at 1.6 Hz (up to 300 °/s, as in brisk strokes)."""
    t = np.arange(n) / rate_hz
    angle = np.radians(30.0) * np.sin(2.0 * np.pi * 1.6 * t)
    rate = np.radians(30.0) * 2.0 * np.pi * 1.6 * np.cos(2.0 * np.pi * 1.6 * t)
    acc = STANDARD_GRAVITY_MPS2 * np.column_stack((np.zeros(n), np.sin(angle), np.cos(angle)))
    gyro = np.column_stack((rate, np.zeros(n), np.zeros(n)))
    return acc, gyro, angle


def test_arrival_stamps_of_a_lossless_link_add_no_samples_to_the_turning_hand() -> None:
    """A host stamps each 50 Hz sample when its notification arrives, at the next connection
    event (7.5 ms apart), some a retry later: steps of 0 to two periods with nothing lost (the
    link layer retransmits). A step of two periods is latency, so no sample is added: an
    added one would carry a period of the wrist's turn that never happened into the attitude."""
    rate = 50.0
    n = 1500
    rng = np.random.default_rng(11)
    true_t = np.arange(n) / rate
    ci = 0.0075
    event = ci * np.ceil((true_t + 0.002) / ci) + ci * (rng.geometric(0.9, n) - 1)
    stamps = np.maximum.accumulate(event + 0.012 + rng.exponential(0.002, n))
    stamps += np.arange(n) * 1e-5  # strictly increasing, as a host source makes them
    steps = np.diff(stamps) * rate
    assert 0.1 < np.mean(np.abs(steps - 1.0)) < 0.3  # jittery, yet regular enough to look so
    assert (steps > 1.5).sum() > 20
    acc, gyro, angle = _wrist_turns(n, rate)
    tb = TimeBase(rate)
    gravity = GravityRemover(rate, True)
    quaternions = []
    for run in _runs(tb, SampleBatch(stamps, acc, gyro, None), 1):
        _, q = gravity.process(run.acc_mps2, run.gyro_radps)
        assert q is not None
        quaternions.append(q)
    assert tb.filled == 0
    q = np.concatenate(quaternions)
    assert q.shape[0] == n
    # the attitude keeps following the roll (gravity's direction in the sensor frame) to within
    # the AHRS's half-sample lag, 3° at 300 °/s; each added sample would leave 6° for good (53
    # were added when host stamps at this jitter were filled: 29° off)
    up_sensor = earth_to_sensor(q, np.tile([0.0, 0.0, 1.0], (n, 1)))
    roll = np.arctan2(up_sensor[:, 1], up_sensor[:, 2])
    assert np.degrees(np.abs(roll - angle)[250:]).max() < 5.0


# --------------------------------------------------------------------------- phase lead
def _onset_errors(lead_hz: float, glide_s: float) -> np.ndarray:
    """Onset error (s) of the upward halves found in the causal velocity of glides of
    ``glide_s`` up the axis, each followed by a pause, a quicker return and a pause, against the
    true glide starts."""
    rate = 200.0
    period = glide_s + 0.6 + 2 * 0.3
    n = int(20 * period * rate)
    t = np.arange(n) / rate
    lin = np.zeros((n, 3))
    starts = np.arange(20) * period
    for start in starts:
        for t0, dur, dist in ((start, glide_s, 0.15), (start + glide_s + 0.3, 0.6, -0.15)):
            sel = (t >= t0) & (t < t0 + dur)
            lin[sel, 0] = min_jerk_acc((t[sel] - t0) / dur, dist, dur)
    v = MotionFilter(rate).velocity(lin)
    seg = HalfStrokeSegmenter(dead_band_mps=0.02, lead_highpass_hz=lead_hz)
    halves = seg.process(t, v, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), None, None)
    onsets = np.array([h.onset_s for h in halves if h.sign > 0 and h.onset_s > 5 * period])
    assert onsets.size > 5
    nearest = starts[np.argmin(np.abs(onsets[:, None] - starts[None, :]), axis=1)]
    errors: np.ndarray = onsets - nearest
    return errors


@pytest.mark.parametrize("glide_s", [0.6, 1.0, 1.5])
def test_retimed_halves_start_closer_to_the_true_glide_starts(glide_s: float) -> None:
    """The high-pass remembers the return just made: its velocity turns positive before the
    glide starts. Undoing the filter's phase lead moves the onsets toward the truth."""
    raw = float(np.median(_onset_errors(0.0, glide_s)))
    retimed = float(np.median(_onset_errors(VELOCITY_HIGHPASS_HZ, glide_s)))
    assert raw < -0.15
    # closer, by the filter's phase lead, without passing the truth
    assert raw + 0.5 * phase_lead_s(glide_s, VELOCITY_HIGHPASS_HZ) < retimed <= 0.0


@pytest.mark.parametrize("size", [1, 7, 64])
def test_retimed_halves_do_not_depend_on_the_batching(size: int) -> None:
    rate = 100.0
    t = np.arange(int(12 * rate)) / rate
    lin = np.zeros((t.size, 3))
    for t0, dur, dist in ((1.0, 1.0, 0.15), (2.3, 0.6, -0.15), (3.2, 1.0, 0.15), (4.5, 0.6, -0.15)):
        sel = (t >= t0) & (t < t0 + dur)
        lin[sel, 0] = min_jerk_acc((t[sel] - t0) / dur, dist, dur)
    v = MotionFilter(rate).velocity(lin)
    axis, cross = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])

    def run(step: int) -> list[tuple[float, float]]:
        seg = HalfStrokeSegmenter(dead_band_mps=0.02, lead_highpass_hz=VELOCITY_HIGHPASS_HZ)
        out = []
        for i in range(0, t.size, step):
            halves = seg.process(t[i : i + step], v[i : i + step], axis, cross, None, None)
            out += [(h.onset_s, h.end_s) for h in halves]
        return out

    whole = run(t.size)
    assert len(whole) >= 3
    assert run(size) == whole


def test_phase_lead_grows_with_the_half_duration() -> None:
    leads = [phase_lead_s(d, VELOCITY_HIGHPASS_HZ) for d in (0.5, 1.0, 1.5, 2.0)]
    assert leads == sorted(leads)
    assert 0.02 < leads[0] < 0.05
    assert phase_lead_s(1.0, 0.0) == 0.0


def test_a_retimed_half_never_ends_after_it_was_decided() -> None:
    rate = 100.0
    t = np.arange(int(6 * rate)) / rate
    v = np.zeros((t.size, 3))
    v[:, 0] = np.where((t > 1.0) & (t < 3.0), 0.3 * np.sin(np.pi * (t - 1.0) / 2.0) ** 2, 0.0)
    seg = HalfStrokeSegmenter(dead_band_mps=0.02, lead_highpass_hz=VELOCITY_HIGHPASS_HZ)
    halves = seg.process(t, v, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), None, None)
    assert len(halves) == 1
    assert halves[0].end_s <= halves[0].decided_s
    assert halves[0].onset_s > 1.0


@pytest.mark.parametrize("size", [1, 7, 64])
def test_filling_does_not_depend_on_the_batching(size: int) -> None:
    rng = np.random.default_rng(5)
    n = 1500
    t = np.arange(n) / RATE + rng.uniform(-0.0005, 0.0005, n)
    # bunched arrivals in the middle: the filling pauses until the stamps are regular again
    t[600:900] = 6.0 + 0.03 * np.ceil((t[600:900] - 6.0) / 0.03) + np.arange(300) * 1e-6
    keep = np.ones(n, dtype=bool)
    for start in (200, 450, 1200, 1350):
        keep[start : start + 6] = False
    acc, gyro = _spinning(n, RATE, 0.5)
    batch = SampleBatch(t[keep], acc[keep], gyro[keep], None)

    def run(step: int) -> tuple[np.ndarray, np.ndarray, int]:
        tb = TimeBase(RATE)
        runs = _runs(tb, batch, step)
        return (
            np.concatenate([r.t_s for r in runs]),
            np.concatenate([r.acc_mps2 for r in runs]),
            tb.filled,
        )

    t_whole, acc_whole, filled = run(n)
    t_part, acc_part, filled_part = run(size)
    assert filled == filled_part >= 24  # the four holes (and a few steps as bunching starts)
    np.testing.assert_array_equal(t_part, t_whole)
    np.testing.assert_array_equal(acc_part, acc_whole)
