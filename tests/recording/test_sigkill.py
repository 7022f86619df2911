"""A process writing a recording is SIGKILLed: everything appended > 0.5 s before reads back."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType

import numpy as np

from firmware_bridge.recordings.reader import read_recording

HERE = Path(__file__).resolve().parent
CHILD = HERE / "stream_writer_child.py"
RATE_HZ = 200.0
BATCH = 10  # 50 ms of samples per append, like a BLE notification train
RUN_S = 2.5


def _child_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stream_writer_child", CHILD)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sigkill_loses_nothing_appended_half_a_second_before(tmp_path: Path) -> None:
    out = tmp_path / "session"
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(out), str(RATE_HZ), str(BATCH)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=HERE.parents[1],
    )
    reports: list[tuple[int, float]] = []

    def collect() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            count, when = line.split()
            reports.append((int(count), float(when)))

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    deadline = time.monotonic() + 20.0
    while (not reports or reports[-1][1] - reports[0][1] < RUN_S) and time.monotonic() < deadline:
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        time.sleep(0.05)
    killed_at = time.monotonic()  # CLOCK_MONOTONIC is one clock for every process on the host
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    reader.join(timeout=10)
    assert child.returncode == -signal.SIGKILL

    # while it was being written, meta.json said so
    assert json.loads((out / "meta.json").read_text())["complete"] is False
    assert (out / "samples.csv").stat().st_mode & 0o777 == 0o600
    assert out.stat().st_mode & 0o777 == 0o700

    owed = max((count for count, when in reports if when < killed_at - 0.5), default=0)
    assert owed >= RATE_HZ * (RUN_S - 1.0)  # the child really streamed for a while
    recording = read_recording(out)  # a cut-short last line would be dropped with a warning
    assert recording.meta.complete is False
    assert len(recording.samples) >= owed
    expected = _child_module().expected_values(np.arange(len(recording.samples)), RATE_HZ)
    np.testing.assert_allclose(recording.t_s, expected.t_s, atol=5e-7, rtol=0)
    np.testing.assert_allclose(recording.samples.acc_mps2, expected.acc_mps2, atol=5e-5, rtol=0)
    assert recording.samples.gyro_radps is not None
    assert recording.samples.force_n is not None
    np.testing.assert_allclose(recording.samples.gyro_radps, expected.gyro_radps, atol=5e-6, rtol=0)
    np.testing.assert_allclose(recording.samples.force_n, expected.force_n, atol=5e-4, rtol=0)
