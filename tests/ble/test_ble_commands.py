"""The commands a user types, run as real processes against BlueZoo and the simulated peripheral:
``massage-coach devices`` and ``massage-coach live --device NAME --headless --record DIR``."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from firmware_bridge.profiles import open_profile
from firmware_bridge.profiles._units import DEG_TO_RAD, MG_TO_MPS2

MASSAGE_COACH = str(Path(sys.executable).with_name("massage-coach"))


def _live_takes_device() -> bool:
    from tui.commands import live

    parser = argparse.ArgumentParser()
    live.add_arguments(parser)
    return any("--device" in action.option_strings for action in parser._actions)


def test_devices_lists_the_simulated_peripheral(bluez: Any, start_peripheral: Any) -> None:
    start_peripheral(name="MC Polar", profile="polar-pmd", rate_hz=52.0)
    done = subprocess.run(
        [MASSAGE_COACH, "devices", "--timeout", "1.5"],
        env=bluez.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["NAME", "ADDRESS", "PROFILE", "RSSI"]
    row = next(line for line in lines[1:] if bluez.peripheral_address in line)
    assert row.startswith("MC Polar")
    assert row.split()[3:] == ["polar-pmd", "0", "dBm"]  # BlueZoo reports RSSI 0


@pytest.mark.skipif(not _live_takes_device(), reason="`massage-coach live` has no --device yet")
def test_live_headless_records_every_sample_and_survives_a_disconnect(
    bluez: Any, start_peripheral: Any, tmp_path: Path
) -> None:
    from firmware_bridge.recordings.reader import read_recording

    rate = 104.0
    peripheral = start_peripheral(rate_hz=rate, extra=("--disconnect-at", "1.5"))
    record = tmp_path / "session"
    done = subprocess.run(
        [
            MASSAGE_COACH,
            "live",
            "--device",
            peripheral.name,
            "--headless",
            "--no-calibration",
            "--technique",
            "effleurage",
            "--record",
            str(record),
            "--duration",
            "5",
        ],
        env=bluez.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    recording = read_recording(record)
    assert recording.meta.complete
    assert recording.meta.device["profile"] == "massage-coach"
    assert recording.meta.device["name"] == peripheral.name
    # The rate and channels were learnt from the device before the recording opened.
    assert recording.meta.sample_rate_hz == rate
    assert recording.samples.gyro_radps is not None
    assert recording.samples.force_n is None

    records = peripheral.records()
    dropped_at = next(r["t"] for r in records if r.get("event") == "disconnect-injected")
    ready_at = next(r["t"] for r in records if r.get("event") == "ready")
    reconnected_at = next(
        r["t"] for r in records if r.get("event") == "subscribe" and r["t"] > ready_at
    )
    assert reconnected_at - dropped_at <= 3.0
    counters, acc, gyro = [], [], []
    for r in records:
        if "hex" in r and "event" not in r and not dropped_at <= r["t"] <= ready_at:
            packet = open_profile.parse_packet(bytes.fromhex(r["hex"]))
            counters.append(packet.counter + np.arange(len(packet)))
            acc.append(packet.acc_mg * MG_TO_MPS2)
            assert packet.gyro_dps is not None
            gyro.append(packet.gyro_dps * DEG_TO_RAD)
    sent_counters = np.concatenate(counters)
    samples = recording.samples
    n = len(samples)
    assert n >= 2.5 * rate
    # The recording holds the samples sent, in order, to the decimals the format writes.
    np.testing.assert_allclose(samples.acc_mps2, np.concatenate(acc)[:n], rtol=0, atol=5e-5)
    assert samples.gyro_radps is not None
    np.testing.assert_allclose(samples.gyro_radps, np.concatenate(gyro)[:n], rtol=0, atol=5e-6)
    # ... with the one gap where the counters jump.
    jumps = np.flatnonzero(np.diff(sent_counters[:n]) > 1)
    assert jumps.size == 1
    k = int(jumps[0])
    assert len(recording.meta.gaps) == 1
    before, after = recording.meta.gaps[0]
    assert before == pytest.approx(samples.t_s[k], abs=1e-6)
    assert after == pytest.approx(samples.t_s[k + 1], abs=1e-6)
    missing = int(sent_counters[k + 1] - sent_counters[k] - 1)
    assert after - before == pytest.approx((missing + 1) / rate, rel=0.01)
