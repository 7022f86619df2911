"""Real sensor recordings made elsewhere, read in place from the workspace's ``shared/data`` (never
copied into the project; absent in a bare clone, so tests that need them skip)."""

from __future__ import annotations

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
XIO_FUSION_CSV = SHARED_DATA / "xio-fusion" / "sensor_data.csv"
"""x-io Technologies' Fusion example log: ~135 s at ~99 Hz, gyro (°/s), accelerometer (g),
magnetometer (µT); MIT licence."""
