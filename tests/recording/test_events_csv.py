"""The labels/events CSV schema of the spec: reading, writing, validation."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from analysis.events import Cue, EventTable, OtherEvent, Stroke
from firmware_bridge.recordings.events_csv import EVENT_COLUMNS, read_events, write_events
from firmware_bridge.recordings.model import RecordingError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(text)
    return path


def test_rows_split_by_label_with_every_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "onset,duration,label,direction,technique,force,cue,emitted,confidence,cadence_spm,x\n"
        "3.5,1.25,stroke,up,lymphatic,7.5,,4.1,0.9,30,anything\n"
        "1.0,0.5,stroke,cross,,,,,,,\n"
        "4.2,,cue,,lymphatic,,switch_up,,,,\n"
        "5,0,cue,,,,slow_down,,,,\n"
        "6,2,rest,,,,,,,,\n"
        "6.5,,mark,,,,,,,,\n",
    )
    table = read_events(path)
    assert table.strokes == (
        Stroke(onset_s=1.0, duration_s=0.5, direction="cross"),
        Stroke(
            onset_s=3.5,
            duration_s=1.25,
            direction="up",
            force_n=7.5,
            technique="lymphatic",
            emitted_s=4.1,
            confidence=0.9,
            cadence_spm=30.0,
        ),
    )
    assert table.cues == (Cue(4.2, "switch_up", "lymphatic"), Cue(5.0, "slow_down", None))
    assert table.others == (OtherEvent(6.0, 2.0, "rest"), OtherEvent(6.5, 0.0, "mark"))


def test_minimal_columns_and_any_order(tmp_path: Path) -> None:
    table = read_events(write(tmp_path, "label,cue,onset\ncue,lighter,2.5\n"))
    assert table.cues == (Cue(2.5, "lighter"),)
    table = read_events(write(tmp_path, "direction,label,duration,onset\ndown,stroke,1,2\n\n"))
    assert table.strokes == (Stroke(2.0, 1.0, "down"),)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "line 1: empty"),
        ("duration,label\n1,stroke\n", "missing required column 'onset'"),
        ("onset,duration\n1,2\n", "missing required column 'label'"),
        ("onset,duration,label,direction\nsoon,1,stroke,up\n", "line 2, column 1 (onset)"),
        ("onset,duration,label,direction\n1,1,stroke,sideways\n", "line 2, column 4 (direction)"),
        ("onset,duration,label,direction\n1,1,stroke,\n", "line 2, column 4 (direction)"),
        ("onset,duration,label,direction\n1,,stroke,up\n", "line 2, column 2 (duration)"),
        ("onset,duration,label,direction\n1,-1,stroke,up\n", "negative duration"),
        ("onset,duration,label,direction\n1,inf,stroke,up\n", "line 2, column 2 (duration)"),
        ("onset,duration,label,direction\nnan,1,stroke,up\n", "line 2, column 1 (onset)"),
        ("onset,duration,label,cue\n1,,cue,\n", "line 2, column 4 (cue)"),
        ("onset,duration,label,cue\n1,,,x\n", "line 2, column 3 (label)"),
        ("onset,duration,label,force,direction\n1,1,stroke,heavy,up\n", "column 4 (force)"),
        ("onset,duration,label\n1,1,rest\n2,1\n", "line 3: 2 fields"),
        ("onset,duration,label\n1,abc,rest\n", "line 2, column 2 (duration)"),
    ],
)
def test_invalid_rows_name_file_line_column(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RecordingError) as raised:
        read_events(path)
    assert str(raised.value).startswith(str(path))
    assert fragment in str(raised.value)


def test_invalid_utf8_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(b"onset,duration,label\n1,1,r\xffst\n")
    with pytest.raises(RecordingError, match="line 2: not valid UTF-8"):
        read_events(path)
    with pytest.raises(RecordingError, match="cannot read"):
        read_events(tmp_path / "absent.csv")


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    table = EventTable(
        strokes=(
            Stroke(
                0.5,
                0.75,
                "up",
                force_n=6.25,
                technique="lymphatic",
                emitted_s=1.4,
                confidence=0.875,
                cadence_spm=33.5,
            ),
            Stroke(2.000001, 1.0, "unknown"),
        ),
        cues=(Cue(1.5, "switch_up", "lymphatic"), Cue(3.0, "custom_cue")),
        others=(OtherEvent(0.25, 0.0, "mark"), OtherEvent(4.0, 10.0, "rest")),
    )
    path = tmp_path / "labels.csv"
    write_events(path, table)
    assert read_events(path) == table
    assert path.stat().st_mode & 0o777 == 0o600
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(EVENT_COLUMNS)
    # merged in time order, as the spec's single table
    assert [line.split(",")[0] for line in lines[1:]] == [
        "0.25",
        "0.5",
        "1.5",
        "2.000001",
        "3",
        "4",
    ]
    # cues carry an empty duration, labels no emitted time
    assert lines[3].split(",")[1] == ""
    assert lines[1].split(",")[EVENT_COLUMNS.index("emitted")] == ""


def test_write_to_a_stream() -> None:
    buffer = io.StringIO()
    write_events(buffer, EventTable(strokes=(Stroke(1.0, 0.5, "down", emitted_s=1.7),)))
    assert buffer.getvalue() == (
        "onset,duration,label,direction,technique,force,cue,emitted,confidence,cadence_spm\n"
        "1,0.5,stroke,down,,,,1.7,,\n"
    )


@pytest.mark.parametrize(
    "table",
    [
        EventTable(strokes=(Stroke(float("nan"), 1.0, "up"),)),
        EventTable(strokes=(Stroke(1.0, 1.0, "sideways"),)),
        EventTable(others=(OtherEvent(1.0, 1.0, "stroke"),)),
    ],
)
def test_writer_refuses_what_the_reader_would_refuse(table: EventTable) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by defect
        write_events(io.StringIO(), table)
