"""Importing generic IMU CSV logs (x-io Fusion style) as format-v1 recordings.

The columns are found by name, case-insensitively: a time column (``Time (s)``, ``time``,
``timestamp (s)`` …), three gyroscope columns (``Gyroscope X (deg/s)`` …, optional) and three
accelerometer columns (``Accelerometer X (g)`` …). Units come from the parenthesised suffix:
time in s or ms, gyroscope in deg/s or rad/s, accelerometer in g or m/s². Other columns
(magnetometer, temperature) are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from analysis.samples import STANDARD_GRAVITY_MPS2, FloatArray, SampleBatch
from firmware_bridge.recordings.model import RecordingError, RecordingMeta
from firmware_bridge.recordings.writer import write_recording

_COLUMN = re.compile(
    r"^\s*(?P<what>time|timestamp|gyroscope|gyro|accelerometer|acc)\s*(?P<axis>[xyz])?\s*"
    r"(?:\((?P<unit>[^)]*)\))?\s*$",
    re.IGNORECASE,
)
_TIME_SCALE: Final = {"s": 1.0, "": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}
_GYRO_SCALE: Final = {
    "deg/s": np.pi / 180.0,
    "dps": np.pi / 180.0,
    "°/s": np.pi / 180.0,
    "rad/s": 1.0,
}
_ACC_SCALE: Final = {"g": STANDARD_GRAVITY_MPS2, "m/s2": 1.0, "m/s^2": 1.0, "m/s²": 1.0}


@dataclass(frozen=True)
class _Column:
    index: int
    scale: float


def _find_columns(names: list[str], path: Path) -> dict[str, _Column]:
    found: dict[str, _Column] = {}
    for i, name in enumerate(names):
        match = _COLUMN.match(name)
        if match is None:
            continue
        what = match["what"].lower()
        axis = (match["axis"] or "").lower()
        unit = (match["unit"] or "").strip().lower().replace(" ", "")
        if what in ("time", "timestamp") and not axis:
            key, scales = "t", _TIME_SCALE
        elif what in ("gyroscope", "gyro") and axis:
            key, scales = f"g{axis}", _GYRO_SCALE
        elif what in ("accelerometer", "acc") and axis:
            key, scales = f"a{axis}", _ACC_SCALE
        else:
            continue
        if unit not in scales:
            raise RecordingError(
                f"{path}: line 1, column {i + 1} ({name.strip()}): unknown unit {unit!r}; "
                f"known: {', '.join(u for u in scales if u)}"
            )
        found.setdefault(key, _Column(index=i, scale=scales[unit]))
    missing = [key for key in ("t", "ax", "ay", "az") if key not in found]
    if missing:
        raise RecordingError(
            f"{path}: line 1: no time and accelerometer X/Y/Z columns found "
            f"(missing {', '.join(missing)})"
        )
    gyro = [key for key in ("gx", "gy", "gz") if key in found]
    if gyro and len(gyro) < 3:
        raise RecordingError(f"{path}: line 1: gyroscope columns must be X, Y and Z, or none")
    return found


def read_imu_csv(path: Path | str) -> SampleBatch:
    """Read a generic IMU CSV log into SI units, time from the first sample.

    Parameters
    ----------
    path:
        The CSV file (header row with named columns, see the module docstring).

    Returns
    -------
    SampleBatch
        ``t_s`` from 0 (s), accelerometer in m/s², gyroscope in rad/s (``None`` without one).

    Raises
    ------
    RecordingError
        Unreadable file, columns not found, unknown units, non-numeric or non-finite values, time
        not strictly increasing.
    """
    source = Path(path)
    try:
        header = source.open(encoding="utf-8", newline="").readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordingError(f"{source}: cannot read ({exc})") from None
    names = header.rstrip("\r\n").split(",")
    columns = _find_columns(names, source)
    wanted = {f"c{col.index}": key for key, col in columns.items()}
    try:
        table = pa_csv.read_csv(
            source,
            read_options=pa_csv.ReadOptions(
                column_names=[f"c{i}" for i in range(len(names))], skip_rows=1
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(wanted, pa.float64()), include_columns=list(wanted)
            ),
        )
    except pa.ArrowException as exc:
        raise RecordingError(f"{source}: {' '.join(str(exc).split())}") from None
    values: dict[str, FloatArray] = {}
    for name, key in wanted.items():
        column = table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(column))
        if len(bad):
            raise RecordingError(
                f"{source}: line {int(bad[0]) + 2}, column {columns[key].index + 1} "
                f"({names[columns[key].index].strip()}): missing or non-finite value"
            )
        values[key] = column * columns[key].scale
    if len(values["t"]) == 0:
        raise RecordingError(f"{source}: line 2: no samples")
    t_s = values["t"] - values["t"][0]
    steps = np.diff(t_s)
    if np.any(steps <= 0):
        row = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise RecordingError(f"{source}: line {row + 2}: time does not increase")
    return SampleBatch(
        t_s=t_s,
        acc_mps2=np.column_stack([values[k] for k in ("ax", "ay", "az")]),
        gyro_radps=(
            np.column_stack([values[k] for k in ("gx", "gy", "gz")]) if "gx" in values else None
        ),
    )


def import_imu_csv(
    source: Path | str,
    destination: Path | str,
    *,
    sample_rate_hz: float | None = None,
    device: dict[str, str] | None = None,
    technique: str | None = None,
    compress: bool = False,
) -> Path:
    """Convert a generic IMU CSV log into a recording directory in format v1.

    Parameters
    ----------
    source:
        The CSV log.
    destination:
        The recording directory to write.
    sample_rate_hz:
        Nominal rate; by default the median sample interval's reciprocal, rounded to 0.1 Hz.
    device:
        Written to ``meta.json`` under ``device``; by default names the source file.
    technique:
        The technique profile to note in ``meta.json``, if known.
    compress:
        Write ``samples.csv.gz``.

    Returns
    -------
    Path
        ``destination``.
    """
    samples = read_imu_csv(source)
    if sample_rate_hz is None:
        if len(samples) < 2:
            raise RecordingError(f"{source}: one sample is not enough to tell the sample rate")
        sample_rate_hz = round(1.0 / float(np.median(np.diff(samples.t_s))), 1)
    meta = RecordingMeta(
        sample_rate_hz=sample_rate_hz,
        device=device
        if device is not None
        else {"name": "imported IMU CSV", "source": Path(source).name},
        technique=technique,
        extra={"imported_from": Path(source).name},
    )
    write_recording(destination, meta, samples, compress=compress)
    return Path(destination)
