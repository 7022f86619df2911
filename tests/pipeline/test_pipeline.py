"""The pipeline's invariants (issue 4, item 4) and its behaviour end to end."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from analysis.events import CalibrationWindow, EventTable, Stroke
from analysis.pipeline import StrokePipeline, classify_samples
from analysis.samples import STANDARD_GRAVITY_MPS2, SampleBatch
from analysis.simulation import simulate_session
from analysis.techniques import get_profile
from tests.pipeline.synth import reciprocating
from tests.shared_data import XIO_FUSION_CSV


def _run(
    samples: SampleBatch,
    cal: CalibrationWindow | None,
    batch: int,
    technique: str = "lymphatic",
    rate: float = 100.0,
) -> EventTable:
    return classify_samples(samples, get_profile(technique), rate, cal, batch_size=batch)


@pytest.fixture(scope="module")
def session():  # type: ignore[no-untyped-def]
    # a gyro device with force and packet loss: every stage runs
    return simulate_session(7, minutes=1.0, technique="lymphatic", has_force=True, truth=False)


def test_same_output_for_batches_of_1_7_and_64(session) -> None:  # type: ignore[no-untyped-def]
    rate = session.sample_rate_hz
    results = [
        _run(session.samples, session.calibration, b, session.technique, rate) for b in (1, 7, 64)
    ]
    assert results[0].strokes, "the session has strokes"
    assert results[0] == results[1] == results[2]


def test_same_output_on_two_runs(session) -> None:  # type: ignore[no-untyped-def]
    rate = session.sample_rate_hz
    first = _run(session.samples, session.calibration, 10, session.technique, rate)
    second = _run(session.samples, session.calibration, 10, session.technique, rate)
    assert first == second


def test_strokes_are_emitted_causally(session) -> None:  # type: ignore[no-untyped-def]
    events = _run(
        session.samples, session.calibration, 10, session.technique, session.sample_rate_hz
    )
    for stroke in events.strokes:
        assert stroke.emitted_s is not None
        assert stroke.emitted_s >= stroke.end_s - 1e-9


def test_switch_up_after_two_downward_strokes_on_analytic_glides() -> None:
    samples, truth = reciprocating([1, 1, -1, -1, -1, 1, 1], force_n=8.0)
    cal = CalibrationWindow(truth.calibration[0], truth.calibration[1] - truth.calibration[0])
    events = _run(samples, cal, 10)
    downs = [s for s in events.strokes if s.direction == "down"]
    ups = [s for s in events.strokes if s.direction == "up"]
    assert len(downs) >= 3
    assert len(ups) >= 5
    second_down_end = truth.loaded[3][1]
    switch = [c.onset_s for c in events.cues if c.cue == "switch_up"]
    assert switch
    assert second_down_end - 1.5 < switch[0] < second_down_end + 0.6
    # no switch_up while the user strokes upward
    assert all(c > truth.loaded[1][1] for c in switch)


def _inject(samples: SampleBatch, sel: np.ndarray, acc: np.ndarray) -> SampleBatch:
    a = samples.acc_mps2.copy()
    a[sel] = acc
    return SampleBatch(samples.t_s, a, samples.gyro_radps, samples.force_n)


def _rest_session(seconds: float = 60.0, rate: float = 100.0) -> SampleBatch:
    """A hand resting on the leg: gravity, noise, no strokes."""
    rng = np.random.default_rng(5)
    n = int(seconds * rate)
    acc = np.array([0.5, -1.0, 9.7]) + rng.normal(0, 0.02, (n, 3))
    return SampleBatch(np.arange(n) / rate, acc, rng.normal(0, 0.003, (n, 3)), None)


def test_nan_burst_gap_and_saturation_never_invent_strokes() -> None:
    samples, truth = reciprocating([1, 1, 1], force_n=None, lead_s=2.0)
    cal = CalibrationWindow(truth.calibration[0], truth.calibration[1] - truth.calibration[0])
    # append a resting minute and break it: NaNs, a 2 s gap, a saturated stretch
    rest = _rest_session()
    t = np.concatenate((samples.t_s, samples.t_s[-1] + 0.01 + rest.t_s))
    acc = np.concatenate((samples.acc_mps2, rest.acc_mps2))
    acc[-5000:-4800] = np.nan
    acc[-3000:-2900, 2] = 16.0 * STANDARD_GRAVITY_MPS2
    assert samples.gyro_radps is not None
    assert rest.gyro_radps is not None
    gyro = np.concatenate((samples.gyro_radps, rest.gyro_radps))
    keep = np.ones(t.size, bool)
    keep[-2000:-1800] = False  # a 2 s gap
    broken = SampleBatch(t[keep], acc[keep], gyro[keep], None)
    pipeline = StrokePipeline(get_profile("lymphatic"), 100.0, cal)
    strokes: list[Stroke] = []
    for batch in broken.chunks(13):
        strokes += pipeline.feed(batch).strokes
    update = pipeline.finish()
    strokes += update.strokes
    # NaNs, and the rail stretch but its first sample and the first MAX_CLIP_S (kept as clipping)
    assert update.dropped_samples >= 200 + 99 - 10
    rest_start = samples.t_s[-1]
    assert [s for s in strokes if s.onset_s > rest_start + 1.0] == []


def test_calibration_states_live() -> None:
    samples, truth = reciprocating([1, 1], force_n=8.0)
    pipeline = StrokePipeline(get_profile("lymphatic"), 100.0)
    c0, c1 = truth.calibration
    assert pipeline.feed(samples.slice(0, int(c0 * 100))).calibration.state == "waiting"
    pipeline.begin_calibration()
    update = pipeline.feed(samples.slice(int(c0 * 100), int(c1 * 100)))
    assert update.calibration.state == "collecting"
    status = pipeline.end_calibration()
    assert status.state == "learned"
    assert status.strokes_seen >= 3
    strokes: list[Stroke] = []
    for batch in samples.slice(int(c1 * 100), len(samples)).chunks(10):
        strokes += pipeline.feed(batch).strokes
    # the calibration strokes are reported once learned, then the session's own
    assert [s.direction for s in strokes] == ["up"] * 5


def test_failed_calibration_says_why() -> None:
    pipeline = StrokePipeline(get_profile("lymphatic"), 100.0)
    rest = _rest_session(10.0)
    pipeline.begin_calibration()
    pipeline.feed(rest)
    status = pipeline.end_calibration()
    assert status.state == "failed"
    assert status.message


def test_memory_stays_bounded_over_two_hours() -> None:
    """Two hours of reciprocating strokes at 25 Hz (180 000 samples): the pipeline's memory after
    two hours is no larger than after ten minutes (every buffer is a bounded ring)."""
    rate = 25.0
    strokes_per_block = 20
    block, truth = reciprocating(
        [1, -1] * (strokes_per_block // 2),
        rate_hz=rate,
        force_n=8.0,
        calibration_strokes=3,
        gyro=False,
    )
    cal = CalibrationWindow(truth.calibration[0], truth.calibration[1] - truth.calibration[0])
    pipeline = StrokePipeline(get_profile("lymphatic"), rate, cal)
    span = float(block.t_s[-1]) + 1.0 / rate
    n_blocks = int(2 * 3600 / span) + 1
    tracemalloc.start()
    try:
        sizes = []
        for k in range(n_blocks):
            shifted = SampleBatch(
                block.t_s + k * span, block.acc_mps2, block.gyro_radps, block.force_n
            )
            for batch in shifted.chunks(256):
                pipeline.feed(batch)
            if k in (int(600 / span), n_blocks - 1):
                sizes.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    assert sizes[1] <= sizes[0] + 200_000


def test_real_imu_data_runs_identically_in_any_batching() -> None:
    if not XIO_FUSION_CSV.exists():
        pytest.skip("shared real data not present")
    d = np.genfromtxt(XIO_FUSION_CSV, delimiter=",", skip_header=1)
    samples = SampleBatch(
        t_s=d[:, 0], acc_mps2=d[:, 4:7] * STANDARD_GRAVITY_MPS2, gyro_radps=np.radians(d[:, 1:4])
    )
    cal = CalibrationWindow(5.0, 20.0)
    a = _run(samples, cal, 7, rate=100.0)
    b = _run(samples, cal, 64, rate=100.0)
    assert a == b
    # at rest at the start of the file the pipeline reads no motion
    pipeline = StrokePipeline(get_profile("lymphatic"), 100.0)
    update = pipeline.feed(samples.slice(0, 100))
    assert update.dropped_samples == 0
    assert update.strokes == ()


def test_without_a_calibration_window_the_first_strokes_teach_the_axis() -> None:
    samples, truth = reciprocating([1, 1, -1, -1, 1, 1], force_n=8.0, axis=(0.0, 0.6, -0.8))
    events = _run(samples, None, 10)
    # every loaded glide after the 15 s learnt from is found with its direction
    for onset, end, sign in truth.loaded:
        if onset < 16.0:
            continue
        best = max(events.strokes, key=lambda s: min(s.end_s, end) - max(s.onset_s, onset))
        assert min(best.end_s, end) - max(best.onset_s, onset) > 0.3 * (end - onset)
        assert best.direction == ("up" if sign > 0 else "down")


@pytest.mark.parametrize("rate", [1.0, 5.0, 400.0])
def test_any_sample_rate_runs_without_error(rate: float) -> None:
    n = int(20 * rate)
    rest = SampleBatch(
        np.arange(n) / rate, np.tile([0.0, 0.3, 9.8], (n, 1)), np.zeros((n, 3)), np.zeros(n)
    )
    pipeline = StrokePipeline(get_profile("lymphatic"), rate, CalibrationWindow(1.0, 5.0))
    for batch in rest.chunks(16):
        assert pipeline.feed(batch).strokes == ()
    assert pipeline.finish().calibration.state == "failed"
