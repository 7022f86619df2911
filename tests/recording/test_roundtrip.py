"""write_recording → read_recording returns the arrays within the written precision."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analysis.samples import SampleBatch
from firmware_bridge.recordings.model import RecordingMeta
from firmware_bridge.recordings.reader import read_recording
from firmware_bridge.recordings.writer import RecordingWriter, write_recording

# half a unit of the last decimal written (writer: 6 for t, 4 for acc, 5 for gyro, 3 for force),
# plus the binary float error of a value that sits exactly on a half (0.0625 is written 0.062)
FLOAT_SLACK = 1e-9
TOLERANCE = {
    name: half_unit + FLOAT_SLACK
    for name, half_unit in {"t": 5e-7, "acc": 5e-5, "gyro": 5e-6, "force": 5e-4}.items()
}


@st.composite
def sample_batches(draw: st.DrawFn) -> SampleBatch:
    n = draw(st.integers(1, 60))
    # ≥ 10 µs apart: far closer than any real sensor, and still distinct once written
    steps = draw(arrays(np.float64, n, elements=st.floats(1e-5, 0.5)))
    start = draw(st.floats(0.0, 4000.0))
    t_s = start + np.cumsum(steps)

    def channel(shape: tuple[int, ...], limit: float) -> np.ndarray:
        return draw(arrays(np.float64, shape, elements=st.floats(-limit, limit)))

    return SampleBatch(
        t_s=t_s,
        acc_mps2=channel((n, 3), 320.0),  # ±32 g
        gyro_radps=channel((n, 3), 70.0) if draw(st.booleans()) else None,  # ±4000 °/s
        force_n=np.abs(channel((n,), 1000.0)) if draw(st.booleans()) else None,
    )


def assert_close(read: SampleBatch, written: SampleBatch) -> None:
    assert len(read) == len(written)
    np.testing.assert_allclose(read.t_s, written.t_s, rtol=0, atol=TOLERANCE["t"])
    np.testing.assert_allclose(read.acc_mps2, written.acc_mps2, rtol=0, atol=TOLERANCE["acc"])
    assert read.has_gyro == written.has_gyro
    assert read.has_force == written.has_force
    if written.gyro_radps is not None:
        assert read.gyro_radps is not None
        np.testing.assert_allclose(
            read.gyro_radps, written.gyro_radps, rtol=0, atol=TOLERANCE["gyro"]
        )
    if written.force_n is not None:
        assert read.force_n is not None
        np.testing.assert_allclose(read.force_n, written.force_n, rtol=0, atol=TOLERANCE["force"])


@settings(max_examples=60, deadline=None)
@given(samples=sample_batches(), compress=st.booleans())
def test_offline_round_trip(samples: SampleBatch, compress: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_recording(
            Path(tmp) / "r", RecordingMeta(sample_rate_hz=100.0), samples, compress=compress
        )
        assert_close(read_recording(Path(tmp) / "r").samples, samples)


@settings(max_examples=30, deadline=None)
@given(samples=sample_batches(), chunk=st.integers(1, 25))
def test_streaming_round_trip(samples: SampleBatch, chunk: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        with RecordingWriter(
            Path(tmp) / "r",
            RecordingMeta(sample_rate_hz=100.0),
            has_gyro=samples.has_gyro,
            has_force=samples.has_force,
        ) as writer:
            for part in samples.chunks(chunk):
                writer.append(part)
        assert_close(read_recording(Path(tmp) / "r").samples, samples)
