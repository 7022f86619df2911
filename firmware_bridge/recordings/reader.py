"""Reading and validating recordings in format v1 (spec: "A recording is a directory").

``samples.csv`` is parsed by pyarrow's multi-threaded CSV reader straight into float64 columns; a
Python pass over the lines runs only when pyarrow refuses the file, to name the exact line and
column of the defect. Line numbers are 1-based file lines (the header is line 1) and columns are
1-based positions in the header, given with their name.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
import warnings
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from analysis.events import EventTable
from analysis.samples import FloatArray, SampleBatch
from firmware_bridge.recordings.events_csv import read_events
from firmware_bridge.recordings.meta_json import META_FILE, read_meta
from firmware_bridge.recordings.model import Recording, RecordingError, RecordingMeta

SAMPLES_FILE: Final = "samples.csv"
SAMPLES_GZ_FILE: Final = "samples.csv.gz"
LABELS_FILE: Final = "labels.csv"

TIME_COLUMN: Final = "t"
ACC_COLUMNS: Final = ("ax", "ay", "az")
GYRO_COLUMNS: Final = ("gx", "gy", "gz")
FORCE_COLUMN: Final = "force"
REQUIRED_COLUMNS: Final = (TIME_COLUMN, *ACC_COLUMNS)

# pyarrow reads numbers with leading/trailing blanks and these spellings of "no value" as null;
# the line-by-line locator below must agree with it on what a number is.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class RecordingWarning(UserWarning):
    """A recording was read, but something in it was repaired or looks wrong."""


@dataclass(frozen=True)
class _Header:
    """The header line of ``samples.csv``: names by position and the columns this reader uses."""

    names: tuple[str, ...]
    index: dict[str, int]

    @property
    def has_gyro(self) -> bool:
        return GYRO_COLUMNS[0] in self.index

    @property
    def has_force(self) -> bool:
        return FORCE_COLUMN in self.index

    @property
    def used(self) -> tuple[str, ...]:
        names = [*REQUIRED_COLUMNS]
        if self.has_gyro:
            names += GYRO_COLUMNS
        if self.has_force:
            names.append(FORCE_COLUMN)
        return tuple(names)

    def where(self, name: str) -> str:
        return f"column {self.index[name] + 1} ({name})"


def read_recording(path: Path | str) -> Recording:
    """Read and validate a recording directory.

    Parameters
    ----------
    path:
        The recording directory (holding ``meta.json`` and ``samples.csv`` or ``samples.csv.gz``).

    Returns
    -------
    Recording
        Samples in SI units (s, m/s², rad/s, N), the metadata, the labels if ``labels.csv``
        exists, and the warnings raised while reading (also issued with :func:`warnings.warn`).

    Raises
    ------
    RecordingError
        Anything malformed, with a message naming the file and, inside a CSV, the line and column.
        The one exception the spec allows is a final line cut short by an interrupted write: it
        is dropped with a :class:`RecordingWarning`.
    """
    directory = Path(path)
    if not directory.exists():
        raise RecordingError(f"{directory}: no such file or directory")
    if not directory.is_dir():
        raise RecordingError(f"{directory}: not a recording directory (a recording is a directory)")
    meta = read_meta(directory)
    notes: list[str] = []
    samples = read_samples(samples_path(directory), notes)
    labels = None
    labels_path = directory / LABELS_FILE
    if labels_path.exists():
        labels = read_events(labels_path)
        notes += _label_notes(labels, samples, labels_path)
    notes += _meta_notes(meta, samples, directory / META_FILE)
    for note in notes:
        warnings.warn(note, RecordingWarning, stacklevel=2)
    return Recording(
        path=directory, meta=meta, samples=samples, labels=labels, warnings=tuple(notes)
    )


def find_recordings(paths: Iterable[Path | str]) -> list[Path]:
    """The recording directories at or under ``paths``: every directory holding ``meta.json``.

    Parameters
    ----------
    paths:
        Recording directories, directories searched recursively, or ``meta.json`` files.

    Returns
    -------
    list of Path
        Sorted, without duplicates. Nothing is validated beyond the presence of ``meta.json``.

    Raises
    ------
    RecordingError
        A path that does not exist or is a file other than a ``meta.json``.
    """
    found: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise RecordingError(f"{path}: no such file or directory")
        if path.is_file():
            if path.name != META_FILE:
                raise RecordingError(f"{path}: not a recording directory")
            found.add(path.parent)
        else:
            found.update(meta.parent for meta in path.rglob(META_FILE) if meta.is_file())
    return sorted(found)


def samples_path(directory: Path) -> Path:
    """The recording's one samples file (plain or gzip); :class:`RecordingError` if none or both."""
    plain, packed = directory / SAMPLES_FILE, directory / SAMPLES_GZ_FILE
    if plain.exists() and packed.exists():
        # Which one is current cannot be known; guessing could silently analyse stale data.
        raise RecordingError(
            f"{directory}: holds both {SAMPLES_FILE} and {SAMPLES_GZ_FILE}; keep only one"
        )
    if plain.exists():
        return plain
    if packed.exists():
        return packed
    raise RecordingError(f"{directory}: no {SAMPLES_FILE} or {SAMPLES_GZ_FILE}")


def _load_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not path.name.endswith(".gz"):
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise RecordingError(f"{path}: truncated gzip (the compressed stream ends early)") from None
    except (OSError, zlib.error) as exc:
        raise RecordingError(f"{path}: corrupt gzip ({exc})") from None


def read_samples(path: Path, notes: list[str] | None = None) -> SampleBatch:
    """Read and validate one ``samples.csv`` or ``samples.csv.gz``.

    Parameters
    ----------
    path:
        The file; ``.gz`` is decompressed.
    notes:
        Receives a message for a dropped final line that was cut short.

    Returns
    -------
    SampleBatch
        ``t`` in s, accelerometer in m/s², gyroscope in rad/s and force in N, as in the file.
    """
    data = _load_bytes(path)
    # Blank lines at the very end are harmless; whether the last real line ended in a newline is
    # what tells a complete row from one cut short by an interrupted write.
    body = data.rstrip(b"\r\n\t ")
    if not body:
        raise RecordingError(f"{path}: line 1: empty file (no header, no samples)")
    nul = body.find(b"\0")
    if nul >= 0:
        line = body.count(b"\n", 0, nul) + 1
        raise RecordingError(f"{path}: line {line}: binary data (NUL byte), not CSV text")
    ends_with_newline = b"\n" in data[len(body) :]
    header_end = body.find(b"\n")
    header = _parse_header(path, body if header_end < 0 else body[:header_end])
    if header_end < 0:
        raise RecordingError(f"{path}: line 2: no samples (the file holds only a header)")
    if not ends_with_newline:
        last_start = body.rfind(b"\n") + 1
        reason = _cut_short(body[last_start:], header)
        if reason is not None:
            line = body.count(b"\n") + 1
            if notes is not None:
                notes.append(
                    f"{path}: line {line}: dropped the final line, cut short ({reason}); "
                    "the recording was interrupted mid-write"
                )
            body = body[: max(last_start - 1, header_end)].rstrip(b"\r")
            if body.find(b"\n") < 0:
                raise RecordingError(f"{path}: line 2: no samples (the only row is cut short)")

    if not body.isascii():
        _check_utf8(path, body, header)
    columns = _parse_columns(path, body, header)
    return _validated_batch(path, body, header, columns)


def _parse_header(path: Path, line: bytes) -> _Header:
    try:
        # a byte-order mark (spreadsheet exports) is not part of the first column's name
        text = line.decode("utf-8").rstrip("\r").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise RecordingError(
            f"{path}: line 1, column {line.count(b',', 0, exc.start) + 1}: not valid UTF-8"
        ) from None
    names = tuple(name.strip() for name in next(csv.reader([text])))
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in index and name in (*REQUIRED_COLUMNS, *GYRO_COLUMNS, FORCE_COLUMN):
            raise RecordingError(f"{path}: line 1, column {i + 1}: column {name!r} appears twice")
        index.setdefault(name, i)
    missing = [name for name in REQUIRED_COLUMNS if name not in index]
    if missing:
        raise RecordingError(
            f"{path}: line 1: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)} (header: {text[:80]!r})"
        )
    gyro_present = [name for name in GYRO_COLUMNS if name in index]
    if gyro_present and len(gyro_present) < len(GYRO_COLUMNS):
        absent = [name for name in GYRO_COLUMNS if name not in index]
        raise RecordingError(
            f"{path}: line 1: gyroscope columns come all three or none; has "
            f"{', '.join(gyro_present)} but not {', '.join(absent)}"
        )
    return _Header(names=names, index=index)


def _number_problem(field: str) -> str | None:
    """Why ``field`` is not a finite number, or ``None`` if it is one."""
    value = field.strip()
    if not value:
        return "empty value"
    if _NUMBER.fullmatch(value):
        return None
    try:
        number = float(value)
    except ValueError:
        return f"not a number: {value[:40]!r}"
    if "_" in value or math.isfinite(number):
        return f"not a number: {value[:40]!r}"
    return f"non-finite value {value!r}"


def _cut_short(line: bytes, header: _Header) -> str | None:
    """Why the final line (no newline after it) looks cut short, or ``None`` if it looks whole."""
    fields = next(csv.reader([line.decode("utf-8", errors="replace").rstrip("\r")]), [])
    if len(fields) < len(header.names):
        return f"{len(fields)} of {len(header.names)} fields"
    if len(fields) == len(header.names):
        last = len(fields) - 1
        if header.names[last] in header.used and _number_problem(fields[last]) is not None:
            return f"partial number {fields[last].strip()!r}"
    return None


def _check_utf8(path: Path, body: bytes, header: _Header) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = body.rfind(b"\n", 0, exc.start) + 1
        line = body.count(b"\n", 0, exc.start) + 1
        column = body.count(b",", line_start, exc.start) + 1
        name = f" ({header.names[column - 1]})" if column <= len(header.names) else ""
        raise RecordingError(
            f"{path}: line {line}, column {column}{name}: not valid UTF-8"
        ) from None


def _parse_columns(path: Path, body: bytes, header: _Header) -> dict[str, FloatArray]:
    """The used columns as float64 arrays (NaN where pyarrow saw an empty or null value)."""
    synthetic = [f"c{i}" for i in range(len(header.names))]
    try:
        table = pa_csv.read_csv(
            io.BytesIO(body),
            read_options=pa_csv.ReadOptions(column_names=synthetic, skip_rows=1),
            # Blank lines are kept as (short) rows so that row i is always file line i + 2.
            parse_options=pa_csv.ParseOptions(ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"c{header.index[name]}": pa.float64() for name in header.used},
                include_columns=[f"c{header.index[name]}" for name in header.used],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        _locate_defect(path, body, header)
        raise AssertionError("unreachable") from None
    return {
        name: table.column(f"c{header.index[name]}")
        .to_numpy(zero_copy_only=False)
        .astype(np.float64, copy=False)
        for name in header.used
    }


def _line_defect(path: Path, line_no: int, line: str, header: _Header) -> RecordingError | None:
    """What is wrong with data line ``line_no`` of a samples file, or ``None`` if nothing is."""
    if not line.strip():
        return RecordingError(f"{path}: line {line_no}: empty line among the samples")
    fields = next(csv.reader([line]))
    width = len(header.names)
    if len(fields) != width:
        return RecordingError(
            f"{path}: line {line_no}: {len(fields)} field{'s' if len(fields) != 1 else ''}, "
            f"the header has {width}"
        )
    for name in header.used:
        problem = _number_problem(fields[header.index[name]])
        if problem is not None:
            return RecordingError(f"{path}: line {line_no}, {header.where(name)}: {problem}")
    return None


def _locate_defect(path: Path, body: bytes, header: _Header) -> None:
    """Find the first line pyarrow refused and raise the error naming it (slow; errors only)."""
    for line_no, line in enumerate(body.decode("utf-8").split("\n")[1:], start=2):
        error = _line_defect(path, line_no, line.rstrip("\r"), header)
        if error is not None:
            raise error
    raise RecordingError(f"{path}: not readable as CSV")


def _line_text(body: bytes, line_no: int) -> str:
    """The text of file line ``line_no`` (1-based), found without splitting the whole file."""
    newlines = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == ord("\n"))
    start = 0 if line_no == 1 else int(newlines[line_no - 2]) + 1
    stop = int(newlines[line_no - 1]) if line_no - 1 < len(newlines) else len(body)
    return body[start:stop].decode("utf-8").rstrip("\r")


def _validated_batch(
    path: Path, body: bytes, header: _Header, columns: dict[str, FloatArray]
) -> SampleBatch:
    for name in header.used:
        values = columns[name]
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            line_no = int(bad[0]) + 2
            error = _line_defect(path, line_no, _line_text(body, line_no), header)
            raise error or RecordingError(
                f"{path}: line {line_no}, {header.where(name)}: not a finite number"
            )
    t_s = columns[TIME_COLUMN]
    steps = np.diff(t_s)
    not_increasing = np.flatnonzero(~(steps > 0))
    if len(not_increasing):
        row = int(not_increasing[0]) + 1
        raise RecordingError(
            f"{path}: line {row + 2}, {header.where(TIME_COLUMN)}: t = {t_s[row]:.9g} s does not "
            f"increase (previous row: {t_s[row - 1]:.9g} s)"
        )
    return SampleBatch(
        t_s=t_s,
        acc_mps2=np.column_stack([columns[name] for name in ACC_COLUMNS]),
        gyro_radps=(
            np.column_stack([columns[name] for name in GYRO_COLUMNS]) if header.has_gyro else None
        ),
        force_n=columns[FORCE_COLUMN] if header.has_force else None,
    )


def _label_notes(labels: EventTable, samples: SampleBatch, path: Path) -> list[str]:
    start_s, end_s = float(samples.t_s[0]), float(samples.t_s[-1])
    outside = [s for s in labels.strokes if s.onset_s < start_s or s.end_s > end_s]
    if not outside:
        return []
    return [
        f"{path}: {len(outside)} labelled stroke(s) lie outside the samples "
        f"({start_s:.3f}–{end_s:.3f} s), first at {outside[0].onset_s:.3f} s"
    ]


def _meta_notes(meta: RecordingMeta, samples: SampleBatch, path: Path) -> list[str]:
    notes = []
    end_s = float(samples.t_s[-1])
    if meta.calibration is not None and meta.calibration.onset_s > end_s:
        notes.append(
            f"{path}: the calibration window starts at {meta.calibration.onset_s:.3f} s, "
            f"after the last sample ({end_s:.3f} s)"
        )
    return notes
