"""Labelled recordings written to real directories for the ``evaluate`` command's tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.events import EventTable
from analysis.samples import SampleBatch
from firmware_bridge.recordings.model import RecordingMeta
from firmware_bridge.recordings.writer import write_recording

RecordingFactory = Callable[..., Path]


@pytest.fixture
def make_recording() -> RecordingFactory:
    """``make_recording(dir, labels, technique=..., force=..., rate_hz=..., device_profile=...,
    simulation=...)`` writes a still-sensor recording long enough to hold the labels."""

    def make(
        directory: Path,
        labels: EventTable,
        *,
        technique: str | None = "lymphatic",
        force: bool = False,
        rate_hz: float = 20.0,
        device_profile: str | None = None,
        simulation: dict[str, Any] | None = None,
    ) -> Path:
        end_s = max([s.end_s for s in labels.strokes] + [1.0]) + 5.0
        t_s = np.arange(0.0, end_s, 1.0 / rate_hz)
        acc = np.zeros((len(t_s), 3))
        acc[:, 2] = 9.81
        meta = RecordingMeta(
            sample_rate_hz=rate_hz,
            technique=technique,
            device={} if device_profile is None else {"profile": device_profile},
            extra={} if simulation is None else {"simulation": simulation},
        )
        samples = SampleBatch(t_s, acc, None, np.full(len(t_s), 3.0) if force else None)
        write_recording(directory, meta, samples, labels)
        return directory

    return make
