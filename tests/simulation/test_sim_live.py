"""The live simulated sensor: real-time packets, gaps, stop and cancellation."""

from __future__ import annotations

import asyncio
import math
import time

import numpy as np
import pytest

from analysis.samples import SampleBatch
from analysis.simulation import simulate_session
from firmware_bridge.simulated import SimulatedSensor, recording_meta
from firmware_bridge.source import SampleSource


async def _collect(sensor: SimulatedSensor, limit: int | None = None) -> list[SampleBatch]:
    out = []
    async for batch in sensor.batches():
        out.append(batch)
        if limit is not None and len(out) >= limit:
            break
    return out


async def test_plays_the_whole_session_in_order_with_gaps_announced_first() -> None:
    candidates = (
        simulate_session(seed, 0.5, device="polar-verity", rate_hz=104.0, packet_loss=True)
        for seed in range(21, 60)
    )
    session = next(s for s in candidates if len(s.gaps) >= 2)
    sensor = SimulatedSensor(session=session, speed=math.inf)
    seen_gaps: list[int] = []
    batches = []
    async for batch in sensor.batches():
        # A gap is reported before the batch that follows it is yielded.
        seen_gaps.append(len(sensor.stats.gaps))
        batches.append(batch)
    t = np.concatenate([b.t_s for b in batches])
    np.testing.assert_array_equal(t, session.samples.t_s)
    acc = np.concatenate([b.acc_mps2 for b in batches])
    np.testing.assert_array_equal(acc, session.samples.acc_mps2)
    assert sensor.stats.samples == len(session.samples)
    assert [tuple(g) for g in sensor.stats.gaps] == list(session.gaps)
    for before, after in session.gaps:
        k = next(i for i, b in enumerate(batches) if abs(b.t_s[0] - after) < 1e-6)
        assert batches[k - 1].t_s[-1] == pytest.approx(before, abs=1e-6)
        assert seen_gaps[k] > seen_gaps[k - 1]
    assert sensor.stats.lost_samples > 0
    assert sensor.stats.connected is False


async def test_batches_are_ble_sized_and_arrive_in_real_time() -> None:
    session = simulate_session(22, 0.5, device="polar-verity", rate_hz=208.0, packet_loss=False)
    speed = 5.0
    sensor = SimulatedSensor(session=session, speed=speed)
    start = time.monotonic()
    arrivals = []
    sizes = []
    async for batch in sensor.batches():
        arrivals.append(time.monotonic() - start)
        sizes.append(len(batch))
        if batch.t_s[-1] > 5.0:
            break
    elapsed = arrivals[-1]
    # 5 s of signal at 5× speed: about 1 s of wall time, spread out, not all at once.
    assert 0.8 < elapsed < 2.0
    assert arrivals[len(arrivals) // 2] > 0.3
    assert np.median(sizes) == pytest.approx(21, abs=1)  # 0.1 s of 208 Hz per notification
    assert max(sizes) <= 3 * 21
    assert len(sizes) > 20


async def test_info_and_protocol() -> None:
    sensor = SimulatedSensor(
        seed=3,
        technique="lymphatic",
        rate_hz=52.0,
        minutes=0.5,
        device="polar-verity",
        has_force=True,
    )
    source: SampleSource = sensor  # mypy checks the protocol
    assert source.info is sensor.info
    assert sensor.info.name == "Simulated sensor"
    assert sensor.info.profile == "simulated"
    assert sensor.info.sample_rate_hz == 52.0
    assert sensor.info.has_gyro is True
    assert sensor.info.has_force is True
    assert sensor.session.technique == "lymphatic"
    assert sensor.labels.strokes
    micro = SimulatedSensor(seed=3, minutes=0.5, device="microbit")
    assert micro.info.has_gyro is False
    batches = await _collect(micro, limit=3)
    assert all(b.gyro_radps is None for b in batches)


async def test_close_stops_a_sleeping_stream_at_once() -> None:
    sensor = SimulatedSensor(seed=4, minutes=0.5, speed=1.0)
    got: list[SampleBatch] = []

    async def consume() -> None:
        async for batch in sensor.batches():
            got.append(batch)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)
    start = time.monotonic()
    await sensor.close()
    await asyncio.wait_for(task, timeout=1.0)
    assert time.monotonic() - start < 0.2
    assert got
    assert got[-1].t_s[-1] < 1.0
    assert sensor.closed
    assert sensor.stats.connected is False
    # Played once: a second iteration yields nothing.
    assert await _collect(sensor) == []


async def test_cancelling_the_consumer_leaves_the_sensor_consistent() -> None:
    sensor = SimulatedSensor(seed=5, minutes=0.5, speed=1.0)

    async def consume() -> None:
        async for _ in sensor.batches():
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.2)
    assert sensor.stats.connected is True
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sensor.stats.connected is False
    await sensor.close()  # still fine after cancellation


def test_a_fast_drifting_device_clock_runs_ahead_of_the_host() -> None:
    session = simulate_session(23, 0.5, device="polar-verity", clock_drift=0.01)
    last_arrival = float(session.arrival_s[-1])
    # The device stamped ~1 % more seconds than the host saw pass.
    assert session.samples.t_s[-1] == pytest.approx(last_arrival * 1.01, abs=0.15)


def test_recording_meta_carries_the_simulation() -> None:
    session = simulate_session(24, 0.5)
    meta = recording_meta(session)
    assert meta.complete is True
    assert meta.calibration == session.calibration
    assert meta.gaps == session.gaps
    assert meta.device["name"] == "Simulated sensor"
    assert meta.extra["simulation"]["seed"] == 24
    assert recording_meta(session).started_at == meta.started_at
    assert meta.sample_rate_hz == session.sample_rate_hz


def test_bad_speed_is_refused() -> None:
    with pytest.raises(ValueError, match="speed"):
        SimulatedSensor(seed=1, minutes=0.5, speed=0.0)


async def test_a_long_dropout_is_played_as_a_reconnect() -> None:
    candidates = (
        simulate_session(seed, 1.0, packet_loss=True, truth=False) for seed in range(100, 200)
    )
    session = next(s for s in candidates if any(after - before > 1.0 for before, after in s.gaps))
    long_gaps = [g for g in session.gaps if g[1] - g[0] >= 0.8]
    sensor = SimulatedSensor(session=session, speed=math.inf)
    async for _ in sensor.batches():
        pass
    assert sensor.stats.reconnects == len(long_gaps)
