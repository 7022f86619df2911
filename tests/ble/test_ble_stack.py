"""The BLE transport against the real stack: bleak → D-Bus → BlueZoo → the simulated peripheral.

What the peripheral sent is read from its log and decoded with the profiles' pure decoders; the
source must deliver exactly those samples, in order, on a strictly increasing clock.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import time
from typing import Any

import numpy as np
import pytest

from firmware_bridge.ble.source import BleSampleSource
from firmware_bridge.peripheral.signal import simple_signal
from firmware_bridge.profiles import open_profile, polar
from firmware_bridge.profiles._units import DEG_TO_RAD, MG_TO_MPS2


async def _collect(source: BleSampleSource, until: Any, timeout_s: float = 20.0) -> list[Any]:
    batches: list[Any] = []

    async def run() -> None:
        async for batch in source.batches():
            batches.append(batch)
            if until(batches):
                return

    await asyncio.wait_for(run(), timeout_s)
    return batches


def _n(batches: list[Any]) -> int:
    return sum(len(b) for b in batches)


def _stack(batches: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.concatenate([b.t_s for b in batches])
    acc = np.concatenate([b.acc_mps2 for b in batches])
    gyro = np.concatenate([b.gyro_radps for b in batches])
    return t, acc, gyro


def _sent_open(
    records: list[dict[str, Any]], *, before: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counters, acc (m/s²), gyro (rad/s) of the open-profile packets logged before ``before``,
    decoded from the bytes sent."""
    counters, acc, gyro = [], [], []
    for r in records:
        if "hex" not in r or "event" in r or r["t"] >= before:
            continue
        packet = open_profile.parse_packet(bytes.fromhex(r["hex"]))
        counters.append(packet.counter + np.arange(len(packet)))
        acc.append(packet.acc_mg * MG_TO_MPS2)
        assert packet.gyro_dps is not None
        gyro.append(packet.gyro_dps * DEG_TO_RAD)
    return np.concatenate(counters), np.concatenate(acc), np.concatenate(gyro)


def _events(records: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [r for r in records if r.get("event") == name]


async def test_open_profile_delivers_every_sample_sent_and_skips_corrupt_packets(
    start_peripheral: Any,
) -> None:
    rate = 208.0
    peripheral = start_peripheral(rate_hz=rate, extra=("--corrupt-every", "9"))
    source = await BleSampleSource.open(peripheral.name, adapter="hci0")
    assert source.info.profile == "massage-coach"
    assert (source.info.has_gyro, source.info.has_force) == (True, False)

    batches = await _collect(source, lambda b: _n(b) >= 3 * rate)
    closed_at = time.monotonic()
    await source.close()
    received_t, received_acc, received_gyro = _stack(batches)

    records = peripheral.records()
    counters, sent_acc, sent_gyro = _sent_open(records, before=math.inf)
    n = received_acc.shape[0]
    # Everything sent well before the client stopped arrived, nothing else and nothing twice.
    # (A notification can reach the client before the peripheral has logged it: no cut at
    # exactly the moment of closing.)
    sent_earlier, _, _ = _sent_open(records, before=closed_at - 0.25)
    assert n >= len(sent_earlier)
    assert n >= 3 * rate
    np.testing.assert_array_equal(received_acc, sent_acc[:n])
    np.testing.assert_array_equal(received_gyro, sent_gyro[:n])

    # The counters say which sample of the sensor each one is: check against its signal.
    signal = simple_signal(rate)
    acc_mg, gyro_dps, _ = signal.take(0, int(counters[n - 1]) + 1)
    np.testing.assert_allclose(received_acc / MG_TO_MPS2, acc_mg[counters[:n]], atol=0.5 + 1e-9)
    np.testing.assert_allclose(received_gyro / DEG_TO_RAD, gyro_dps[counters[:n]], atol=0.05 + 1e-9)

    # Corrupted notifications were counted and skipped; their samples are gaps.
    corrupted = [r for r in _events(records, "corrupted") if r["first"] < counters[n - 1]]
    assert corrupted, "the peripheral corrupted nothing: the test proves nothing"
    assert source.stats.corrupt_packets == len(corrupted)
    assert source.stats.lost_samples == sum(r["n"] for r in corrupted)
    assert len(source.stats.gaps) == len(corrupted)

    # One strictly increasing clock, spaced by the sample period (drift correction is tiny).
    steps = np.diff(received_t)
    assert steps.min() > 0
    missing = np.diff(counters[:n])
    np.testing.assert_allclose(steps / missing, 1.0 / rate, rtol=0.002)
    assert received_t[0] == 0.0
    for before, after in source.stats.gaps:
        i = int(np.searchsorted(received_t, after))
        assert received_t[i] == after
        assert received_t[i - 1] == before


async def test_disconnect_mid_stream_reconnects_within_3_s_and_records_the_gap(
    start_peripheral: Any,
) -> None:
    rate = 104.0
    peripheral = start_peripheral(rate_hz=rate, extra=("--disconnect-at", "1.0"))
    source = await BleSampleSource.open(peripheral.name, adapter="hci0")

    def enough(batches: list[Any]) -> bool:
        return source.stats.reconnects >= 1 and _n(batches) >= 3 * rate

    batches = await _collect(source, enough)
    closed_at = time.monotonic()
    await source.close()
    assert source.disconnected_at is not None
    assert source.reconnected_at is not None
    assert source.reconnected_at - source.disconnected_at <= 3.0
    assert source.stats.reconnects == 1

    records = peripheral.records()
    # Packets sent after the link dropped and before the peripheral was ready again went
    # nowhere (they were "sent" into a dead link); everything else must have arrived.
    dropped_at = _events(records, "disconnect-injected")[0]["t"]
    ready_at = _events(records, "ready")[0]["t"]
    kept = [r for r in records if not (dropped_at <= r["t"] <= ready_at)]
    counters, sent_acc, sent_gyro = _sent_open(kept, before=math.inf)
    assert len(_sent_open(kept, before=closed_at - 0.25)[0]) <= len(
        np.concatenate([b.t_s for b in batches])
    )
    received_t, received_acc, received_gyro = _stack(batches)
    n = received_acc.shape[0]
    np.testing.assert_array_equal(received_acc, sent_acc[:n])
    np.testing.assert_array_equal(received_gyro, sent_gyro[:n])

    # One gap, exactly where the counters jump, as long as the samples missing.
    jumps = np.flatnonzero(np.diff(counters[:n]) > 1)
    assert jumps.size == 1
    k = int(jumps[0])
    missing = int(counters[k + 1] - counters[k] - 1)
    assert source.stats.gaps == [(received_t[k], received_t[k + 1])]
    assert source.stats.lost_samples == missing
    assert received_t[k + 1] - received_t[k] == pytest.approx((missing + 1) / rate, rel=0.01)


async def test_polar_pmd_pairs_acc_and_gyro_frames_across_a_reconnect(
    start_peripheral: Any,
) -> None:
    rate = 104.0
    peripheral = start_peripheral(
        profile="polar-pmd", rate_hz=rate, extra=("--disconnect-at", "1.0")
    )
    source = await BleSampleSource.open(peripheral.name, adapter="hci0", sample_rate_hz=rate)
    assert source.info.profile == "polar-pmd"

    def enough(batches: list[Any]) -> bool:
        return source.stats.reconnects >= 1 and _n(batches) >= 2.5 * rate

    batches = await _collect(source, enough)
    await source.close()

    records = peripheral.records()
    commands = [r["hex"] for r in _events(records, "polar-command")]
    # Per connection: get-settings and start (with its one-byte CHANNELS setting) for ACC, then
    # GYRO; after the reconnect the same again; stops on close.
    start_sequence = [
        "0102",
        polar.start_command(2, sample_rate_hz=104, range_value=8).hex(),
        "0105",
        polar.start_command(5, sample_rate_hz=104, range_value=2000).hex(),
    ]
    assert commands[:8] == start_sequence * 2
    assert {"0302", "0305"} <= set(commands[8:])

    dropped_at = _events(records, "disconnect-injected")[0]["t"]
    ready_at = _events(records, "ready")[0]["t"]
    acc_by_first: dict[int, np.ndarray] = {}
    gyro_by_first: dict[int, np.ndarray] = {}
    for r in records:
        if "hex" not in r or "event" in r or dropped_at <= r["t"] <= ready_at:
            continue
        frame = bytes.fromhex(r["hex"])
        if frame[0] == polar.MEASUREMENT_ACC:
            acc_by_first[r["first"]] = polar.parse_frame(frame).values * MG_TO_MPS2
        else:
            parsed = polar.parse_frame(frame, factor=0.0625)
            gyro_by_first[r["first"]] = parsed.values * DEG_TO_RAD
    # Samples whose ACC and GYRO frames both arrived are the ones a session can have.
    firsts = sorted(set(acc_by_first) & set(gyro_by_first))
    sent_acc = np.concatenate([acc_by_first[f] for f in firsts])
    sent_gyro = np.concatenate([gyro_by_first[f] for f in firsts])
    index = np.concatenate([f + np.arange(len(acc_by_first[f])) for f in firsts])
    received_t, received_acc, received_gyro = _stack(batches)
    n = received_acc.shape[0]
    np.testing.assert_array_equal(received_acc, sent_acc[:n])
    np.testing.assert_array_equal(received_gyro, sent_gyro[:n])

    # The device clock ran on: the one gap is exactly the samples missing.
    jumps = np.flatnonzero(np.diff(index[:n]) > 1)
    assert jumps.size == 1
    k = int(jumps[0])
    assert source.stats.gaps == [(received_t[k], received_t[k + 1])]
    missing = int(index[k + 1] - index[k] - 1)
    assert source.stats.lost_samples == missing
    assert received_t[k + 1] - received_t[k] == pytest.approx((missing + 1) / rate, rel=0.01)
    steps = np.delete(np.diff(received_t), k)
    np.testing.assert_allclose(steps, 1.0 / rate, rtol=0.002)


async def test_close_unsubscribes_and_disconnects(start_peripheral: Any) -> None:
    peripheral = start_peripheral(rate_hz=52.0)
    source = await BleSampleSource.open(peripheral.name, adapter="hci0")
    await _collect(source, lambda b: _n(b) >= 20)
    assert source.stats.connected
    closed_at = time.monotonic()
    await source.close()
    assert not source.stats.connected

    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        records = peripheral.records()
        after = [r for r in records if r["t"] >= closed_at and "event" in r]
        if any(r["event"] == "disconnected" for r in after):
            break
        await asyncio.sleep(0.05)
    events = [r["event"] for r in after]
    assert "unsubscribe" in events, events
    assert "disconnected" in events, events
    # Unsubscribed before the link went down, as a clean stop does.
    assert events.index("unsubscribe") < events.index("disconnected")


@pytest.mark.parametrize(
    ("profile", "rate_hz", "has_gyro"), [("microbit", 50.0, False), ("thingy52", 100.0, True)]
)
async def test_vendor_profile_streams_and_shows_feedback_on_the_device(
    start_peripheral: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    profile: str,
    rate_hz: float,
    has_gyro: bool,
) -> None:
    from bleak.backends.bluezdbus.version import BlueZFeatures

    from firmware_bridge.ble.feedback import feedback_for
    from firmware_bridge.profiles import microbit, thingy52

    # bleak asks `bluetoothctl --version` once per process: make it ask again here.
    monkeypatch.setattr(BlueZFeatures, "checked_bluez_version", False)
    monkeypatch.setattr(BlueZFeatures, "_check_bluez_event", None)
    peripheral = start_peripheral(profile=profile, rate_hz=rate_hz)
    source = await BleSampleSource.open(peripheral.name, adapter="hci0", sample_rate_hz=rate_hz)
    assert source.info.profile == profile
    assert source.info.has_gyro is has_gyro
    feedback = feedback_for(source)
    assert feedback is not None
    batches: list[Any] = []
    written: list[bool] = []

    async def session() -> None:
        # Feedback is written while the stream runs, as the live screen does.
        async for batch in source.batches():
            batches.append(batch)
            if _n(batches) >= rate_hz:
                written.append(await feedback.show("switch_up"))
                written.append(await feedback.show("switch_up"))  # unchanged: not written
                written.append(await feedback.show(None, "down"))
                return

    await asyncio.wait_for(session(), 20)
    await source.close()
    assert written == [True, False, True]

    # Samples: one per notification, exactly as sent (no timestamps: spaced at the rate).
    records = peripheral.records()
    sent = [r for r in records if "hex" in r and "event" not in r]
    received_acc = np.concatenate([b.acc_mps2 for b in batches])
    if profile == "microbit":
        expected = np.array([microbit.decode_acc(bytes.fromhex(r["hex"]))[0] for r in sent])
        np.testing.assert_array_equal(received_acc, expected[: len(received_acc)] * MG_TO_MPS2)
        assert all(b.gyro_radps is None for b in batches)
        shown = [microbit.ARROW_UP.hex(), microbit.ARROW_DOWN.hex()]
    else:
        raw = [thingy52.parse_raw(bytes.fromhex(r["hex"])) for r in sent]
        expected = np.array([s.acc_g for s in raw]) * 9.80665
        np.testing.assert_allclose(received_acc, expected[: len(received_acc)], rtol=1e-12)
        shown = [thingy52.LED_RED.hex(), thingy52.LED_GREEN.hex()]
    t = np.concatenate([b.t_s for b in batches])
    np.testing.assert_allclose(np.diff(t), 1.0 / rate_hz, rtol=0.01)
    assert [r["hex"] for r in _events(records, "feedback")] == shown
    if shutil.which("bluetoothctl") is None:
        # bleak could not ask bluetoothctl for the BlueZ version: a warning, nothing more.
        assert any("Could not determine BlueZ version" in r.getMessage() for r in caplog.records)
