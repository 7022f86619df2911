"""Writing recordings in format v1: whole recordings offline, and live sessions as they stream.

Numbers are written with a fixed number of decimals, then in their shortest form (``9.8066``, not
``9.806600``):

====================  ========  ==========================================================
column                decimals  why that is enough
====================  ========  ==========================================================
``t`` (s)             6         1 µs; samples are ≥ 2 ms apart even at 416 Hz
``ax,ay,az`` (m/s²)   4         0.1 mm/s², ≪ 0.6 mm/s², the step of a ±2 g int16 accelerometer
``gx,gy,gz`` (rad/s)  5         10 µrad/s, ≪ 133 µrad/s, the step of a ±250 °/s int16 gyroscope
``force`` (N)         3         1 mN
====================  ========  ==========================================================

so a written value reads back within half a unit of its last decimal (≤ 5e-7 s, 5e-5 m/s², …).
"""

from __future__ import annotations

import gzip
import io
import math
import os
import time
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from analysis.events import CalibrationWindow, Cue, EventTable, OtherEvent, Stroke
from analysis.samples import FloatArray, SampleBatch
from firmware_bridge.recordings.events_csv import event_row, header_line, write_events
from firmware_bridge.recordings.files import (
    fsync_dir,
    make_private_dir,
    open_private,
    write_all,
    write_private,
)
from firmware_bridge.recordings.meta_json import META_FILE, meta_to_text
from firmware_bridge.recordings.model import RecordingMeta
from firmware_bridge.recordings.reader import (
    ACC_COLUMNS,
    FORCE_COLUMN,
    GYRO_COLUMNS,
    LABELS_FILE,
    SAMPLES_FILE,
    SAMPLES_GZ_FILE,
    TIME_COLUMN,
)

EVENTS_FILE: Final = "events.csv"
"""Where a live session's marks and the classifier's events go (``labels.csv`` is ground truth)."""

DECIMALS: Final[dict[str, int]] = {
    TIME_COLUMN: 6,
    **dict.fromkeys(ACC_COLUMNS, 4),
    **dict.fromkeys(GYRO_COLUMNS, 5),
    FORCE_COLUMN: 3,
}
"""Decimals written per column (see the module docstring)."""

DEFAULT_FSYNC_INTERVAL_S: Final = 0.5


def sample_columns(*, has_gyro: bool, has_force: bool) -> tuple[str, ...]:
    """The ``samples.csv`` columns written for a device with these channels, in order."""
    return (
        TIME_COLUMN,
        *ACC_COLUMNS,
        *(GYRO_COLUMNS if has_gyro else ()),
        *((FORCE_COLUMN,) if has_force else ()),
    )


def _column_values(batch: SampleBatch, columns: tuple[str, ...]) -> dict[str, FloatArray]:
    values: dict[str, FloatArray] = {TIME_COLUMN: batch.t_s}
    for i, name in enumerate(ACC_COLUMNS):
        values[name] = batch.acc_mps2[:, i]
    if batch.gyro_radps is not None:
        for i, name in enumerate(GYRO_COLUMNS):
            values[name] = batch.gyro_radps[:, i]
    if batch.force_n is not None:
        values[FORCE_COLUMN] = batch.force_n
    rounded: dict[str, FloatArray] = {}
    for name in columns:
        column: FloatArray = np.asarray(values[name], dtype=np.float64)
        rounded[name] = np.round(column, DECIMALS[name]) + 0.0  # + 0.0 writes -0.0 as 0
    return rounded


def format_samples(
    batch: SampleBatch, columns: tuple[str, ...], *, after_t_s: float | None = None
) -> bytes:
    """The rows of ``samples.csv`` for ``batch`` (no header), one line per sample.

    Parameters
    ----------
    batch:
        Samples in SI units; its channels must match ``columns``.
    columns:
        From :func:`sample_columns`.
    after_t_s:
        The (rounded) time of the last sample already written, if any.

    Raises
    ------
    ValueError
        Channels that do not match ``columns``, a non-finite value, or times that would not be
        strictly increasing once written: the reader would reject the file.
    """
    if batch.has_gyro != (GYRO_COLUMNS[0] in columns) or batch.has_force != (
        FORCE_COLUMN in columns
    ):
        raise ValueError(
            f"batch channels (gyro={batch.has_gyro}, force={batch.has_force}) do not match "
            f"the recording's columns {', '.join(columns)}"
        )
    values = _column_values(batch, columns)
    for name, column in values.items():
        bad = np.flatnonzero(~np.isfinite(column))
        if len(bad):
            raise ValueError(f"sample {int(bad[0])}: {name} is not finite")
    t_s = values[TIME_COLUMN]
    if after_t_s is not None and len(t_s):
        t_s = np.concatenate([[after_t_s], t_s])
    steps = np.diff(t_s)
    if np.any(steps <= 0):
        i = int(np.flatnonzero(steps <= 0)[0])
        raise ValueError(
            f"sample times must increase by at least 1 µs: {t_s[i + 1]:.6f} s follows {t_s[i]:.6f} s"
        )
    buffer = io.BytesIO()
    pa_csv.write_csv(
        pa.table(values), buffer, write_options=pa_csv.WriteOptions(include_header=False)
    )
    return buffer.getvalue()


def _header(columns: tuple[str, ...]) -> bytes:
    return (",".join(columns) + "\n").encode("ascii")


def write_recording(
    path: Path | str,
    meta: RecordingMeta,
    samples: SampleBatch,
    labels: EventTable | None = None,
    *,
    compress: bool = False,
) -> None:
    """Write a whole recording at once (the simulator, imports, conversions).

    Parameters
    ----------
    path:
        The recording directory; created (mode 0700) if absent. ``samples.csv[.gz]``,
        ``labels.csv`` and ``meta.json`` in it are replaced; the other samples file and a stale
        ``labels.csv`` (when ``labels`` is ``None``) are removed so the directory holds exactly
        this recording. Other files are left alone.
    meta:
        Written as given (``complete`` included), ``meta.json`` last so that a directory with a
        ``meta.json`` always has its samples.
    samples:
        At least one sample, SI units, times strictly increasing by ≥ 1 µs.
    labels:
        Written to ``labels.csv`` when given.
    compress:
        Write ``samples.csv.gz`` instead of ``samples.csv`` (deterministic bytes: no gzip mtime).

    Raises
    ------
    ValueError
        No samples, non-finite values or times that do not increase.
    """
    if len(samples) == 0:
        raise ValueError("a recording needs at least one sample")
    directory = Path(path)
    columns = sample_columns(has_gyro=samples.has_gyro, has_force=samples.has_force)
    data = _header(columns) + format_samples(samples, columns)
    meta_text = meta_to_text(meta)  # fails before anything is written
    make_private_dir(directory)
    name, other = (SAMPLES_GZ_FILE, SAMPLES_FILE) if compress else (SAMPLES_FILE, SAMPLES_GZ_FILE)
    if compress:
        data = gzip.compress(data, compresslevel=6, mtime=0)
    write_private(directory / name, data)
    (directory / other).unlink(missing_ok=True)
    if labels is None:
        (directory / LABELS_FILE).unlink(missing_ok=True)
    else:
        write_events(directory / LABELS_FILE, labels)
    write_private(directory / META_FILE, meta_text.encode("utf-8"))


class RecordingWriter:
    """Streams a live session to a recording directory that stays readable at every moment.

    ``meta.json`` is written first with ``complete: false``; every :meth:`append` goes straight to
    the operating system (one ``write`` per batch, so a killed process loses nothing already
    appended) and the file is ``fsync``-ed at least every ``fsync_interval_s`` of wall time, on
    append, and on :meth:`flush`. Gaps and the calibration window rewrite ``meta.json`` atomically
    at once, so a killed session keeps them. :meth:`close`
    replaces ``meta.json`` atomically with ``complete: true``. Files are created with mode 0600,
    the directory with 0700. Marks and classifier events go to ``events.csv`` (the labels schema);
    ``labels.csv`` is ground truth and never written here.

    Parameters
    ----------
    path:
        The recording directory; it may exist but must not hold a recording yet.
    meta:
        The session's metadata; ``complete`` and ``gaps`` are managed by the writer (gaps already
        in ``meta`` are kept), ``calibration`` may be set later by :meth:`set_calibration`.
    has_gyro, has_force:
        The channels every appended batch must carry.
    fsync_interval_s:
        Wall-time bound between ``fsync`` calls while appending; ``None`` syncs only on
        :meth:`flush` and :meth:`close`.

    Raises
    ------
    FileExistsError
        ``path`` already holds ``meta.json`` or samples.
    """

    def __init__(
        self,
        path: Path | str,
        meta: RecordingMeta,
        *,
        has_gyro: bool,
        has_force: bool,
        fsync_interval_s: float | None = DEFAULT_FSYNC_INTERVAL_S,
    ) -> None:
        self.path = Path(path)
        self._columns = sample_columns(has_gyro=has_gyro, has_force=has_force)
        self._meta = replace(meta, complete=False)
        self._fsync_interval_s = fsync_interval_s
        self._last_t_s: float | None = None
        self._n_samples = 0
        self._events_fd: int | None = None
        self._closed = False
        make_private_dir(self.path)
        for name in (META_FILE, SAMPLES_FILE, SAMPLES_GZ_FILE):
            if (self.path / name).exists():
                raise FileExistsError(f"{self.path / name}: a recording is already there")
        self._write_meta()
        self._samples_fd = open_private(self.path / SAMPLES_FILE, exclusive=True)
        write_all(self._samples_fd, _header(self._columns))
        self._last_sync_s = time.monotonic()

    @property
    def n_samples(self) -> int:
        """Samples appended so far."""
        return self._n_samples

    @property
    def last_t_s(self) -> float | None:
        """Time of the last sample written (as written, rounded to 1 µs), in s."""
        return self._last_t_s

    @property
    def gaps(self) -> tuple[tuple[float, float], ...]:
        """Gaps recorded so far, ``(last t before, first t after)`` in s."""
        return self._meta.gaps

    @property
    def calibration(self) -> CalibrationWindow | None:
        """The calibration window the recording carries (recording clock), if any."""
        return self._meta.calibration

    @property
    def closed(self) -> bool:
        return self._closed

    def _write_meta(self) -> None:
        write_private(self.path / META_FILE, meta_to_text(self._meta).encode("utf-8"))

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"{self.path}: the recording is closed")

    def append(self, batch: SampleBatch) -> None:
        """Write ``batch`` to ``samples.csv`` now; ``fsync`` if the last one is old enough.

        Raises
        ------
        ValueError
            The writer is closed, the batch's channels differ from the recording's, a value is
            not finite, or its times do not continue strictly increasing.
        """
        self._check_open()
        if len(batch) == 0:
            return
        data = format_samples(batch, self._columns, after_t_s=self._last_t_s)
        write_all(self._samples_fd, data)
        self._n_samples += len(batch)
        self._last_t_s = round(float(batch.t_s[-1]), DECIMALS[TIME_COLUMN])
        if (
            self._fsync_interval_s is not None
            and time.monotonic() - self._last_sync_s >= self._fsync_interval_s
        ):
            self.flush()

    def add_gap(self, before_s: float, after_s: float) -> None:
        """Record a lost stretch: the last sample time before it and the first after it, in s.

        ``meta.json`` is rewritten atomically at once (still ``complete: false``).
        """
        self._check_open()
        if not (math.isfinite(before_s) and math.isfinite(after_s) and after_s > before_s):
            raise ValueError(
                f"a gap runs from an earlier to a later time, not {before_s}..{after_s}"
            )
        self._meta = replace(self._meta, gaps=(*self._meta.gaps, (before_s, after_s)))
        self._write_meta()

    def set_calibration(self, window: CalibrationWindow) -> None:
        """Record the calibration window (``onset``/``duration`` in s on the recording clock),
        replacing any earlier one.

        A live session learns it only once the user's calibration strokes were seen, after the
        recording opened; ``meta.json`` is rewritten atomically at once (still
        ``complete: false``), so a session killed afterwards keeps it.

        Raises
        ------
        ValueError
            The writer is closed, or the window is not finite with a positive duration (the
            reader would refuse it).
        """
        self._check_open()
        if not (
            math.isfinite(window.onset_s)
            and math.isfinite(window.duration_s)
            and window.duration_s > 0
        ):
            raise ValueError(
                f"a calibration window has a finite onset and a positive duration, not "
                f"{window.onset_s}+{window.duration_s} s"
            )
        self._meta = replace(self._meta, calibration=window)
        self._write_meta()

    def add_event(self, event: Stroke | Cue | OtherEvent) -> None:
        """Append a mark, stroke or cue to ``events.csv`` in the labels schema, written at once."""
        self._check_open()
        line = event_row(event)
        if self._events_fd is None:
            self._events_fd = open_private(self.path / EVENTS_FILE, exclusive=True)
            write_all(self._events_fd, header_line().encode("utf-8"))
        write_all(self._events_fd, line.encode("utf-8"))

    def flush(self) -> None:
        """``fsync`` everything written so far, so it survives a power cut as well as a crash."""
        self._check_open()
        os.fsync(self._samples_fd)
        if self._events_fd is not None:
            os.fsync(self._events_fd)
        self._last_sync_s = time.monotonic()

    def close(self) -> None:
        """Sync and close the files and mark the recording ``complete: true``. Idempotent."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            os.close(self._samples_fd)
            if self._events_fd is not None:
                os.close(self._events_fd)
        self._meta = replace(self._meta, complete=True)
        self._write_meta()
        fsync_dir(self.path)

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Every row written is whole even when the session ended by an exception, so the
        # recording did close cleanly: ``complete: false`` is kept for crashes and pulled plugs.
        self.close()
