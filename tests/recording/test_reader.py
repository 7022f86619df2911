"""read_recording and find_recordings against the spec, on hand-written files."""

from __future__ import annotations

import gzip
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from firmware_bridge.recordings.model import RecordingError
from firmware_bridge.recordings.reader import RecordingWarning, find_recordings, read_recording

META = {"format": "massage-recording", "version": 1, "sample_rate_hz": 200}


def make(
    directory: Path,
    samples: str | bytes,
    meta: dict[str, object] | None = None,
    *,
    name: str = "samples.csv",
    labels: str | None = None,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "meta.json").write_text(json.dumps(META if meta is None else meta))
    data = samples.encode() if isinstance(samples, str) else samples
    (directory / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    if labels is not None:
        (directory / "labels.csv").write_text(labels)
    return directory


def test_values_units_and_metadata_as_written(tmp_path: Path) -> None:
    meta = {
        **META,
        "started_at": "2026-11-23T18:30:00+00:00",
        "device": {"name": "Polar Sense 1A2B3C4D", "profile": "polar-pmd"},
        "sensor_location": "back_of_hand",
        "limb": "left_leg",
        "technique": "lymphatic",
        "calibration": {"onset": 2.0, "duration": 12.5},
        "gaps": [[61.2, 61.38]],
        "complete": False,
        "operator": "someone",
    }
    rec = read_recording(
        make(
            tmp_path / "r",
            "t,ax,ay,az,gx,gy,gz,force\n"
            "0.0,0.1,-0.2,9.81,0.01,0.02,-0.03,4.5\n"
            "15.005,1e-3,2.5E1,-9.81,1,2,3,0\n",
            meta,
        )
    )
    np.testing.assert_array_equal(rec.t_s, [0.0, 15.005])
    np.testing.assert_array_equal(rec.samples.acc_mps2, [[0.1, -0.2, 9.81], [0.001, 25.0, -9.81]])
    assert rec.samples.gyro_radps is not None
    np.testing.assert_array_equal(rec.samples.gyro_radps, [[0.01, 0.02, -0.03], [1, 2, 3]])
    assert rec.samples.force_n is not None
    np.testing.assert_array_equal(rec.samples.force_n, [4.5, 0.0])
    m = rec.meta
    assert m.sample_rate_hz == 200.0
    assert m.started_at == "2026-11-23T18:30:00+00:00"
    assert m.device["profile"] == "polar-pmd"
    assert (m.sensor_location, m.limb, m.technique) == ("back_of_hand", "left_leg", "lymphatic")
    assert m.calibration is not None
    assert (m.calibration.onset_s, m.calibration.duration_s) == (2.0, 12.5)
    assert m.gaps == ((61.2, 61.38),)
    assert m.complete is False
    assert m.extra == {"operator": "someone"}
    assert rec.labels is None
    assert rec.warnings == ()


def test_column_order_is_free_and_extra_columns_are_ignored(tmp_path: Path) -> None:
    rec = read_recording(
        make(
            tmp_path / "r",
            "note,az,gz,t,ay,gx,extra,ax,gy\nhi,3,6,0,2,4,x,1,5\n,13,16,0.1,12,14,,11,15\n",
        )
    )
    np.testing.assert_array_equal(rec.samples.acc_mps2, [[1, 2, 3], [11, 12, 13]])
    assert rec.samples.gyro_radps is not None
    np.testing.assert_array_equal(rec.samples.gyro_radps, [[4, 5, 6], [14, 15, 16]])
    assert rec.samples.force_n is None


def test_byte_order_mark_before_the_header_is_ignored(tmp_path: Path) -> None:
    rec = read_recording(make(tmp_path / "r", b"\xef\xbb\xbft,ax,ay,az\n0,1,2,3\n"))
    np.testing.assert_array_equal(rec.samples.acc_mps2, [[1, 2, 3]])


def test_accelerometer_only(tmp_path: Path) -> None:
    rec = read_recording(make(tmp_path / "r", "t,ax,ay,az\n0,1,2,3\n1,4,5,6\n"))
    assert not rec.samples.has_gyro
    assert not rec.samples.has_force


def test_gzip_reads_the_same_as_plain(tmp_path: Path) -> None:
    text = "t,ax,ay,az\n" + "".join(f"{i / 100},{i},{-i},9.8\n" for i in range(300))
    plain = read_recording(make(tmp_path / "plain", text))
    packed = read_recording(make(tmp_path / "packed", text, name="samples.csv.gz"))
    np.testing.assert_array_equal(plain.t_s, packed.t_s)
    np.testing.assert_array_equal(plain.samples.acc_mps2, packed.samples.acc_mps2)


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        ("0.03,1.0,2", "3 of 4 fields"),
        ("0.03,1.0,2.0,", "partial number ''"),
        ("0.03,1.0,2.0,-", "partial number '-'"),
        ("0.0", "1 of 4 fields"),
    ],
)
def test_final_line_cut_short_is_dropped_with_a_warning(
    tmp_path: Path, tail: str, reason: str
) -> None:
    directory = make(tmp_path / "r", "t,ax,ay,az\n0,1,2,3\n0.01,1,2,3\n0.02,1,2,3\n" + tail)
    with pytest.warns(RecordingWarning, match="line 5") as caught:
        rec = read_recording(directory)
    assert len(rec.samples) == 3
    assert len(rec.warnings) == 1
    assert reason in rec.warnings[0]
    assert str(caught[0].message) == rec.warnings[0]


def test_whole_final_line_without_newline_is_kept(tmp_path: Path) -> None:
    directory = make(tmp_path / "r", "t,ax,ay,az\n0,1,2,3\n0.01,1,2,3.5")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rec = read_recording(directory)
    assert rec.samples.acc_mps2[-1, 2] == 3.5


@pytest.mark.parametrize(
    ("samples", "where"),
    [
        # a defect in a final line that did end in a newline was written whole: no excuse
        ("t,ax,ay,az\n0,1,2,3\n0.01,1,2\n", "line 3: 3 fields"),
        ("t,ax,ay,az\n0,1,2,3\n0.01,1,2,-\n", "line 3, column 4 (az)"),
        # a cut final line does not excuse a defect before it
        ("t,ax,ay,az\n0,1,x,3\n0.01,1,2,3\n0.02,1", "line 2, column 3 (ay)"),
        # a final line without newline but with too many fields was not cut short
        ("t,ax,ay,az\n0,1,2,3\n0.01,1,2,3,4", "line 3: 5 fields"),
        ("t,ax,ay,az\n0,1,2,3\n0.01,nan,2,3", "line 3, column 2 (ax)"),
        ("t,ax,ay,az\n0,1,2,3\n0.01,-inf,2,3\n", "line 3, column 2 (ax): non-finite value '-inf'"),
        ("t,ax,ay,az\n0,1,2,3\n0.01,NA,2,3\n", "line 3, column 2 (ax): not a number: 'NA'"),
        ("t,ax,ay,az\n0,1,2,3\n0.01,1_0,2,3\n", "line 3, column 2 (ax): not a number"),
        ("t,ax,ay,az\n0,1,2,3\n0.01,1,2,3", None),
    ],
)
def test_defects_name_line_and_column(tmp_path: Path, samples: str, where: str | None) -> None:
    directory = make(tmp_path / "r", samples)
    if where is None:
        assert len(read_recording(directory).samples) == 2
        return
    with pytest.raises(RecordingError) as raised:
        read_recording(directory)
    message = str(raised.value)
    assert message.startswith(str(directory / "samples.csv") + ": ")
    assert where in message


def test_line_numbers_hold_far_into_a_large_file(tmp_path: Path) -> None:
    """pyarrow parses in blocks; line numbers must still be file lines, not block rows."""
    rows = [f"{i / 200:.3f},0.1,0.2,9.8\n" for i in range(120_000)]
    rows[98_765] = f"{98_765 / 200:.3f},0.1,nan,9.8\n"
    rows[110_000] = "oops\n"
    directory = make(tmp_path / "nan", "t,ax,ay,az\n" + "".join(rows[:100_000]))
    with pytest.raises(RecordingError, match=r"line 98767, column 3 \(ay\)"):
        read_recording(directory)
    directory = make(tmp_path / "short", "t,ax,ay,az\n" + "".join(rows[99_000:]))
    with pytest.raises(RecordingError, match=r"line 11002: 1 field"):
        read_recording(directory)
    rows[98_765] = rows[98_764]  # duplicate time
    directory = make(tmp_path / "dup", "t,ax,ay,az\n" + "".join(rows[:100_000]))
    with pytest.raises(RecordingError, match=r"line 98767, column 1 \(t\)"):
        read_recording(directory)


def test_labels_are_optional_and_read_when_present(tmp_path: Path) -> None:
    labels = (
        "onset,duration,label,direction,technique,force,cue\n"
        "0.5,0.8,stroke,up,lymphatic,4.5,\n0.1,0.3,stroke,down,,,\n"
        "1.0,,cue,,lymphatic,,switch_up\n1.1,0.2,mark,,,,\n"
    )
    rec = read_recording(make(tmp_path / "r", "t,ax,ay,az\n0,1,2,3\n2,1,2,3\n", labels=labels))
    assert rec.labels is not None
    assert [s.direction for s in rec.labels.strokes] == ["down", "up"]  # in time order
    assert rec.labels.strokes[1].force_n == 4.5
    assert [c.cue for c in rec.labels.cues] == ["switch_up"]
    assert [o.label for o in rec.labels.others] == ["mark"]


def test_labels_outside_the_samples_are_a_warning(tmp_path: Path) -> None:
    labels = "onset,duration,label,direction\n5.0,1.0,stroke,up\n"
    with pytest.warns(RecordingWarning, match="outside the samples"):
        rec = read_recording(make(tmp_path / "r", "t,ax,ay,az\n0,1,2,3\n2,1,2,3\n", labels=labels))
    assert len(rec.warnings) == 1


@pytest.mark.parametrize(
    ("meta", "fragment"),
    [
        ({**META, "version": 1.5}, "version 1.5"),
        ({**META, "version": True}, "version True"),
        ({**META, "version": "1"}, "version '1'"),
        ({**META, "sample_rate_hz": 0}, "positive"),
        ({**META, "sample_rate_hz": True}, "sample_rate_hz"),
        ({**META, "calibration": {"onset": 1.0}}, "calibration"),
        ({**META, "calibration": {"onset": 1.0, "duration": -2}}, "calibration.duration"),
        ({**META, "gaps": [[1, 2, 3]]}, "gaps[0]"),
        ({**META, "gaps": {"a": 1}}, "gaps"),
        ({**META, "device": "polar"}, "device"),
        ({**META, "technique": 3}, "technique"),
    ],
)
def test_meta_validation(tmp_path: Path, meta: dict[str, object], fragment: str) -> None:
    directory = make(tmp_path / "r", "t,ax,ay,az\n0,1,2,3\n", meta)
    with pytest.raises(RecordingError) as raised:
        read_recording(directory)
    assert str(raised.value).startswith(str(directory / "meta.json"))
    assert fragment in str(raised.value)


def test_meta_nan_literal_is_not_a_rate(tmp_path: Path) -> None:
    directory = make(tmp_path / "r", "t,ax,ay,az\n0,1,2,3\n")
    (directory / "meta.json").write_text(
        '{"format": "massage-recording", "version": 1, "sample_rate_hz": NaN}'
    )
    with pytest.raises(RecordingError, match="finite"):
        read_recording(directory)


def test_not_a_directory_and_missing_path(tmp_path: Path) -> None:
    file = tmp_path / "file.csv"
    file.write_text("t,ax,ay,az\n")
    with pytest.raises(RecordingError, match="not a recording directory"):
        read_recording(file)
    with pytest.raises(RecordingError, match="no such file"):
        read_recording(tmp_path / "absent")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_a_recording_error(tmp_path: Path) -> None:
    directory = make(tmp_path / "r", "t,ax,ay,az\n0,1,2,3\n")
    (directory / "samples.csv").chmod(0)
    with pytest.raises(RecordingError, match="cannot read"):
        read_recording(directory)


def test_samples_that_are_a_directory_are_a_recording_error(tmp_path: Path) -> None:
    directory = make(tmp_path / "r", "t,ax,ay,az\n0,1,2,3\n")
    (directory / "samples.csv").unlink()
    (directory / "samples.csv").mkdir()
    with pytest.raises(RecordingError, match="cannot read"):
        read_recording(directory)


def test_find_recordings(tmp_path: Path) -> None:
    for name in ("b/r2", "a/r1", "a/deeper/r3", "c"):
        make(tmp_path / name, "t,ax,ay,az\n0,1,2,3\n")
    (tmp_path / "a" / "not_a_recording").mkdir()
    found = find_recordings(
        [tmp_path / "a", tmp_path / "b" / "r2", tmp_path / "c" / "meta.json", tmp_path / "a" / "r1"]
    )
    assert found == sorted(
        [tmp_path / "a/deeper/r3", tmp_path / "a/r1", tmp_path / "b/r2", tmp_path / "c"]
    )
    assert find_recordings([tmp_path]) == found
    assert find_recordings([tmp_path / "a" / "not_a_recording"]) == []
    with pytest.raises(RecordingError, match="no such file"):
        find_recordings([tmp_path / "nowhere"])
    with pytest.raises(RecordingError, match="not a recording"):
        find_recordings([tmp_path / "c" / "samples.csv"])
