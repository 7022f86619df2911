"""The labels/events CSV of the spec: ``labels.csv`` (ground truth) and the classifier's output.

One schema for both: ``onset,duration,label,direction,technique,force,cue,emitted`` plus any
further columns. Rows labelled ``stroke`` become :class:`Stroke`, ``cue`` rows :class:`Cue`, every
other label an :class:`OtherEvent`. This writer adds ``confidence`` and ``cadence_spm``; the reader
keeps those two (the dataclasses carry them) and ignores any other extra column.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Final, TextIO

from analysis.events import DIRECTIONS, Cue, EventTable, OtherEvent, Stroke
from firmware_bridge.recordings.files import write_private
from firmware_bridge.recordings.model import RecordingError

EVENT_COLUMNS: Final = (
    "onset",
    "duration",
    "label",
    "direction",
    "technique",
    "force",
    "cue",
    "emitted",
    "confidence",
    "cadence_spm",
)
"""Columns written, in this order: the spec's schema, then the classifier's extras."""

REQUIRED_EVENT_COLUMNS: Final = ("onset", "label")
STROKE_DIRECTIONS: Final = (*DIRECTIONS, "unknown")
"""Directions a stroke row may carry: the spec's four, and ``unknown`` from the pipeline."""

LABEL_STROKE: Final = "stroke"
LABEL_CUE: Final = "cue"


class _Row:
    """One data line of an events CSV with typed accessors whose errors name line and column."""

    def __init__(self, source: str, line_no: int, fields: list[str], index: dict[str, int]) -> None:
        self._source = source
        self._line_no = line_no
        self._fields = fields
        self._index = index

    def error(self, column: str | None, message: str) -> RecordingError:
        where = f"{self._source}: line {self._line_no}"
        if column is not None and column in self._index:
            where += f", column {self._index[column] + 1} ({column})"
        return RecordingError(f"{where}: {message}")

    def text(self, column: str) -> str:
        i = self._index.get(column)
        return "" if i is None else self._fields[i].strip()

    def number(self, column: str, *, required: bool) -> float | None:
        value = self.text(column)
        if not value:
            if required:
                raise self.error(column, f"{column} is required here and empty")
            return None
        try:
            number = float(value)
        except ValueError:
            raise self.error(column, f"not a number: {value[:40]!r}") from None
        if not math.isfinite(number) or "_" in value:
            raise self.error(column, f"not a finite number: {value[:40]!r}")
        return number


def read_events(path: Path | str) -> EventTable:
    """Read a ``labels.csv`` or an events CSV.

    Parameters
    ----------
    path:
        The file. Times are seconds on the recording's clock, ``force`` in N.

    Returns
    -------
    EventTable
        Strokes, cues and other rows, each sorted by onset (stable for equal onsets).

    Raises
    ------
    RecordingError
        Naming file, line and column: unreadable or non-UTF-8 file, no header, a missing ``onset``
        or ``label`` column, a row with the wrong number of fields, a non-numeric or non-finite
        number, a negative duration, a stroke without a duration or with a direction outside
        up/down/cross/circular/unknown, a cue without a cue name.
    """
    source = Path(path)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise RecordingError(f"{source}: cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise RecordingError(f"{source}: line {line}: not valid UTF-8") from None
    if "\0" in text:
        raise RecordingError(f"{source}: binary data (NUL byte), not CSV text")
    return parse_events(text, str(source))


def parse_events(text: str, source: str) -> EventTable:
    """Parse the text of an events CSV (see :func:`read_events`); ``source`` names it in errors."""
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise RecordingError(f"{source}: line 1: empty file (no header)")
    names = [name.strip() for name in next(csv.reader([lines[0]]))]
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)
    missing = [name for name in REQUIRED_EVENT_COLUMNS if name not in index]
    if missing:
        raise RecordingError(
            f"{source}: line 1: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)}"
        )
    strokes: list[Stroke] = []
    cues: list[Cue] = []
    others: list[OtherEvent] = []
    for line_no, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = next(csv.reader([line]))
        row = _Row(source, line_no, fields, index)
        if len(fields) != len(names):
            raise row.error(None, f"{len(fields)} fields, the header has {len(names)}")
        onset_s = row.number("onset", required=True)
        assert onset_s is not None
        label = row.text("label")
        if not label:
            raise row.error("label", "label is empty")
        if label == LABEL_CUE:
            cues.append(_cue(row, onset_s))
        elif label == LABEL_STROKE:
            strokes.append(_stroke(row, onset_s))
        else:
            others.append(
                OtherEvent(onset_s=onset_s, duration_s=_duration(row, required=False), label=label)
            )
    return EventTable(
        strokes=tuple(sorted(strokes, key=_onset)),
        cues=tuple(sorted(cues, key=_onset)),
        others=tuple(sorted(others, key=_onset)),
    )


def _onset(event: Stroke | Cue | OtherEvent) -> float:
    return event.onset_s


def _duration(row: _Row, *, required: bool) -> float:
    duration_s = row.number("duration", required=required)
    if duration_s is None:
        return 0.0
    if duration_s < 0:
        raise row.error("duration", f"negative duration {duration_s:g}")
    return duration_s


def _stroke(row: _Row, onset_s: float) -> Stroke:
    direction = row.text("direction")
    if direction not in STROKE_DIRECTIONS:
        raise row.error(
            "direction",
            f"stroke direction {direction!r} is not one of {', '.join(STROKE_DIRECTIONS)}",
        )
    return Stroke(
        onset_s=onset_s,
        duration_s=_duration(row, required=True),
        direction=direction,
        force_n=row.number("force", required=False),
        technique=row.text("technique") or None,
        emitted_s=row.number("emitted", required=False),
        confidence=row.number("confidence", required=False),
        cadence_spm=row.number("cadence_spm", required=False),
    )


def _cue(row: _Row, onset_s: float) -> Cue:
    _duration(row, required=False)  # empty or 0 for cues; still reject garbage
    name = row.text("cue")
    if not name:
        raise row.error("cue", "a cue row needs a cue name (switch_up, slow_down, lighter …)")
    return Cue(onset_s=onset_s, cue=name, technique=row.text("technique") or None)


def format_time_s(value: float) -> str:
    """Seconds with microsecond resolution and no trailing zeros: ``12.345``, ``0``, ``1.000001``."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _format_quantity(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def _format_time(value: float | None) -> str:
    return "" if value is None else format_time_s(value)


def _check_finite(values: list[float | None], what: str) -> None:
    for value in values:
        if value is not None and not math.isfinite(value):
            raise ValueError(f"{what}: {value} is not a finite number")


def write_events(target: Path | str | TextIO, events: EventTable) -> None:
    """Write ``events`` in the spec's schema, all kinds merged and sorted by onset.

    Parameters
    ----------
    target:
        A path (the file is replaced) or an open text stream (e.g. ``sys.stdout``).
    events:
        Strokes, cues and other rows. Times are written in s with 1 µs resolution; force (N),
        confidence and cadence (strokes/min) with 6 significant digits.

    Raises
    ------
    ValueError
        A non-finite number, or a label that would be read back as another kind of row.
    """
    rows: list[tuple[float, int, list[str]]] = []
    blank = dict.fromkeys(EVENT_COLUMNS, "")
    for stroke in events.strokes:
        _check_finite(
            [
                stroke.onset_s,
                stroke.duration_s,
                stroke.force_n,
                stroke.emitted_s,
                stroke.confidence,
                stroke.cadence_spm,
            ],
            "stroke",
        )
        if stroke.direction not in STROKE_DIRECTIONS:
            raise ValueError(f"stroke direction {stroke.direction!r} is not one of the spec's")
        row = blank | {
            "onset": _format_time(stroke.onset_s),
            "duration": _format_time(stroke.duration_s),
            "label": LABEL_STROKE,
            "direction": stroke.direction,
            "technique": stroke.technique or "",
            "force": _format_quantity(stroke.force_n),
            "emitted": _format_time(stroke.emitted_s),
            "confidence": _format_quantity(stroke.confidence),
            "cadence_spm": _format_quantity(stroke.cadence_spm),
        }
        rows.append((stroke.onset_s, 0, list(row.values())))
    for cue in events.cues:
        _check_finite([cue.onset_s], "cue")
        row = blank | {
            "onset": _format_time(cue.onset_s),
            "label": LABEL_CUE,
            "technique": cue.technique or "",
            "cue": cue.cue,
        }
        rows.append((cue.onset_s, 1, list(row.values())))
    for other in events.others:
        _check_finite([other.onset_s, other.duration_s], "event")
        if other.label in (LABEL_STROKE, LABEL_CUE, ""):
            raise ValueError(f"an OtherEvent cannot be labelled {other.label!r}")
        row = blank | {
            "onset": _format_time(other.onset_s),
            "duration": _format_time(other.duration_s),
            "label": other.label,
        }
        rows.append((other.onset_s, 2, list(row.values())))
    rows.sort(key=lambda r: (r[0], r[1]))
    _write_rows(target, [list(EVENT_COLUMNS), *(fields for _, _, fields in rows)])


def _write_rows(target: Path | str | TextIO, rows: list[list[str]]) -> None:
    if isinstance(target, str | Path):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        write_private(Path(target), buffer.getvalue().encode("utf-8"))
    else:
        csv.writer(target, lineterminator="\n").writerows(rows)


def event_row(event: Stroke | Cue | OtherEvent) -> str:
    """One event as a CSV line (with newline) in :data:`EVENT_COLUMNS` order, for appending."""
    if isinstance(event, Stroke):
        table = EventTable(strokes=(event,))
    elif isinstance(event, Cue):
        table = EventTable(cues=(event,))
    elif isinstance(event, OtherEvent):
        table = EventTable(others=(event,))
    else:
        raise TypeError(f"not an event: {event!r}")
    buffer = io.StringIO()
    write_events(buffer, table)
    return buffer.getvalue().split("\n", 1)[1]


def header_line() -> str:
    """The header line (with newline) that :func:`write_events` writes."""
    return ",".join(EVENT_COLUMNS) + "\n"
