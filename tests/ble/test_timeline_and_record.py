"""The session clock (drift correction, gaps) and recording a live source to disk."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from firmware_bridge.ble.timeline import SampleRun, SessionTimeline


def _run(d: np.ndarray | None, n: int, lost_before: int = 0) -> SampleRun:
    return SampleRun(np.zeros((n, 3)), None, None, d, lost_before)


def _drive(
    ppm: float, *, synthetic: bool, seconds: float = 120.0, rate: float = 100.0, seed: int = 1
) -> tuple[SessionTimeline, np.ndarray, np.ndarray]:
    """A device whose clock runs ``ppm`` slow: it stamps sample k at k/rate device seconds but
    samples it at host time k/rate × (1 + ppm·1e-6). Notifications of 5 samples arrive after a
    random BLE latency of 5–40 ms. Returns the timeline, each sample's session time and its true
    host sampling time."""
    rng = np.random.default_rng(seed)
    timeline = SessionTimeline(rate)
    per = 5
    n = int(seconds * rate)
    true_host = np.arange(n) / rate * (1 + ppm * 1e-6)
    t_out = []
    for start in range(0, n, per):
        idx = np.arange(start, min(start + per, n))
        arrival = true_host[idx[-1]] + rng.uniform(0.005, 0.040)
        d = None if synthetic else idx / rate
        t_out.append(timeline.push(_run(d, len(idx)), 50.0 + arrival).batch.t_s)
    return timeline, np.concatenate(t_out), true_host - true_host[0]


@pytest.mark.parametrize("synthetic", [False, True])
def test_drift_correction_keeps_session_time_on_the_host_clock(synthetic: bool) -> None:
    ppm = 400.0
    timeline, t, truth = _drive(ppm, synthetic=synthetic)
    # Uncorrected, the device clock would be 48 ms behind after two minutes.
    assert truth[-1] - (len(truth) - 1) / 100.0 == pytest.approx(0.048, rel=0.01)
    assert timeline.clock.skew == pytest.approx(ppm * 1e-6, abs=40e-6)
    assert abs(t[-1] - truth[-1]) < 0.006
    # Corrections bend the clock, never jump it: spacing stays the sample period (± skew).
    steps = np.diff(t)
    assert steps.min() > 0
    np.testing.assert_allclose(steps, 0.01, rtol=1e-3)


def test_no_drift_means_no_correction() -> None:
    timeline, t, truth = _drive(0.0, synthetic=False)
    assert abs(timeline.clock.skew) < 30e-6
    assert abs(t[-1] - truth[-1]) < 0.004


def test_counter_loss_becomes_a_gap_of_the_right_length() -> None:
    timeline = SessionTimeline(100.0)
    first = timeline.push(_run(np.arange(10) / 100, 10), 1.0)
    assert first.gap is None
    assert first.batch.t_s[0] == 0.0
    later = timeline.push(_run((np.arange(10) + 15) / 100, 10, lost_before=5), 1.2)
    assert later.lost_samples == 5
    assert later.gap is not None
    assert later.gap == pytest.approx((0.09, 0.15))


def test_timestamp_jump_inside_a_run_is_split_into_its_own_gap() -> None:
    timeline = SessionTimeline(100.0)
    d = np.concatenate([np.arange(5), np.arange(8, 12)]) / 100
    timed = timeline.push_all(_run(d, 9), 1.0)
    assert [len(x.batch) for x in timed] == [5, 4]
    assert timed[1].gap is not None
    assert timed[1].gap == pytest.approx((0.04, 0.08))
    assert timed[1].lost_samples == 3


def test_device_clock_restart_is_placed_by_the_host_clock() -> None:
    timeline = SessionTimeline(100.0)
    timeline.push(_run(np.arange(100, 110) / 100, 10), 10.0)
    # The device rebooted: its clock starts again at 0; 2 s of host time have passed.
    timed = timeline.push(_run(np.arange(10) / 100, 10), 12.0)
    assert timed.gap is not None
    before, after = timed.gap
    assert before == pytest.approx(0.09)
    assert after - before == pytest.approx(2.0 - 0.09, abs=0.02)
    assert np.all(np.diff(timed.batch.t_s) > 0)


def test_silence_of_a_device_without_timestamps_is_a_gap() -> None:
    timeline = SessionTimeline(50.0)
    for k in range(10):
        timeline.push(_run(None, 1), 1.0 + k / 50)
    timed = timeline.push(_run(None, 1), 1.0 + 9 / 50 + 1.0)  # one second of nothing
    assert timed.gap is not None
    assert timed.gap[1] - timed.gap[0] == pytest.approx(1.0, abs=0.03)
    assert timed.lost_samples == 49


async def test_record_source_writes_every_batch_and_the_gaps(tmp_path: Path) -> None:
    from firmware_bridge.record import record_source
    from firmware_bridge.recordings.model import RecordingMeta
    from firmware_bridge.recordings.reader import read_recording
    from firmware_bridge.recordings.writer import RecordingWriter
    from firmware_bridge.simulated import SimulatedSensor

    source = SimulatedSensor(seed=4, rate_hz=100.0, speed=math.inf, minutes=0.5, packet_loss=True)
    session = source.session
    assert session.gaps, "this seed must lose packets for the test to mean anything"
    meta = RecordingMeta(sample_rate_hz=100.0, device={"name": "sim", "profile": "simulated"})
    with RecordingWriter(
        tmp_path / "rec", meta, has_gyro=source.info.has_gyro, has_force=source.info.has_force
    ) as writer:
        await record_source(source, writer, duration_s=None)
    recording = read_recording(tmp_path / "rec")
    assert recording.meta.complete
    assert len(recording.samples) == len(session.samples)
    np.testing.assert_allclose(recording.samples.t_s, session.samples.t_s, atol=5e-7)
    np.testing.assert_allclose(recording.samples.acc_mps2, session.samples.acc_mps2, atol=5e-5)
    np.testing.assert_allclose(np.array(recording.meta.gaps), np.array(session.gaps), atol=1e-9)
