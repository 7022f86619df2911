"""Importing a generic IMU CSV (the x-io Fusion sample log, read in place) as a recording."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.samples import STANDARD_GRAVITY_MPS2
from firmware_bridge.recordings.imu_csv import import_imu_csv, read_imu_csv
from firmware_bridge.recordings.model import RecordingError
from firmware_bridge.recordings.reader import read_recording
from tests.shared_data import XIO_FUSION_CSV


@pytest.mark.skipif(not XIO_FUSION_CSV.exists(), reason="shared x-io Fusion data not present")
def test_xio_log_becomes_a_valid_si_recording(tmp_path: Path) -> None:
    out = import_imu_csv(XIO_FUSION_CSV, tmp_path / "xio")
    rec = read_recording(out)
    lines = XIO_FUSION_CSV.read_text().splitlines()
    header = lines[0].split(",")
    first = [float(v) for v in lines[1].split(",")]
    assert len(rec.samples) == len(lines) - 1
    assert rec.t_s[0] == 0.0
    assert rec.meta.sample_rate_hz == pytest.approx(1 / 0.010079, rel=1e-3)
    # units converted: g -> m/s², deg/s -> rad/s, as the header says
    assert header[4] == "Accelerometer X (g)"
    assert header[1] == "Gyroscope X (deg/s)"
    np.testing.assert_allclose(
        rec.samples.acc_mps2[0], np.array(first[4:7]) * STANDARD_GRAVITY_MPS2, atol=5e-5
    )
    assert rec.samples.gyro_radps is not None
    np.testing.assert_allclose(rec.samples.gyro_radps[0], np.radians(first[1:4]), atol=5e-6)
    # the log starts at rest: |acc| ≈ g for the first second
    still = np.linalg.norm(rec.samples.acc_mps2[rec.t_s < 1.0], axis=1)
    assert np.all(np.abs(still - STANDARD_GRAVITY_MPS2) < 0.3)


def test_other_units_and_no_gyro(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "timestamp (ms),acc x (m/s2),acc y (m/s2),acc z (m/s2),temp\n"
        "1000,0,0,9.81,20\n1010,0,0.5,9.81,20\n"
    )
    samples = read_imu_csv(path)
    np.testing.assert_allclose(samples.t_s, [0.0, 0.01])
    np.testing.assert_allclose(samples.acc_mps2[1], [0, 0.5, 9.81])
    assert samples.gyro_radps is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Time (s),Accelerometer X (g)\n0,1\n", "missing ay, az"),
        ("Time (h),acc x (g),acc y (g),acc z (g)\n0,1,1,1\n", "unknown unit 'h'"),
        ("t (s),acc x (g),acc y (g),acc z (g)\n0,1,1,1\n", "missing t"),
        ("time (s),acc x (g),acc y (g),acc z (g)\n0,1,1,1\n0,1,1,1\n", "line 3"),
        ("time (s),acc x (g),acc y (g),acc z (g)\n0,1,,1\n", "line 2, column 3"),
    ],
)
def test_bad_logs(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "log.csv"
    path.write_text(text)
    with pytest.raises(RecordingError, match=fragment):
        read_imu_csv(path)
