"""`massage-coach classify` end to end on a recording written to disk (spec: command-line contract)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.events import CalibrationWindow
from analysis.pipeline import classify_samples
from analysis.techniques import get_profile
from firmware_bridge.recordings.events_csv import read_events
from firmware_bridge.recordings.model import RecordingMeta
from firmware_bridge.recordings.writer import write_recording
from tests.pipeline.synth import reciprocating
from tui.cli import main


@pytest.fixture
def recording(tmp_path: Path) -> tuple[Path, CalibrationWindow]:
    samples, truth = reciprocating([1, -1, -1, 1], force_n=12.0)
    cal = CalibrationWindow(truth.calibration[0], truth.calibration[1] - truth.calibration[0])
    meta = RecordingMeta(sample_rate_hz=100.0, technique="lymphatic", calibration=cal)
    path = tmp_path / "rec"
    write_recording(path, meta, samples)
    return path, cal


def test_classify_writes_the_events_csv_with_emitted(
    recording: tuple[Path, CalibrationWindow], tmp_path: Path
) -> None:
    path, _ = recording
    out = tmp_path / "events.csv"
    assert main(["classify", str(path), "--out", str(out)]) == 0
    events = read_events(out)
    assert len(events.strokes) >= 6
    assert all(s.emitted_s is not None and s.emitted_s >= s.end_s - 1e-6 for s in events.strokes)
    assert {s.technique for s in events.strokes} == {"lymphatic"}
    assert any(c.cue == "lighter" for c in events.cues)  # 12 N > 10 N
    assert "emitted" in out.read_text(encoding="utf-8").splitlines()[0].split(",")


def test_classify_to_stdout_matches_the_library_and_any_batch(
    recording: tuple[Path, CalibrationWindow], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path, _ = recording
    assert main(["classify", str(path), "--batch", "1"]) == 0
    one = capsys.readouterr().out
    assert main(["classify", str(path), "--batch", "64"]) == 0
    assert capsys.readouterr().out == one
    assert one.startswith("onset,duration,label,direction")


def test_classify_ignores_labels_and_follows_technique(
    recording: tuple[Path, CalibrationWindow], tmp_path: Path
) -> None:
    path, _ = recording
    (path / "labels.csv").write_text("this is not a labels file\n", encoding="utf-8")
    out = tmp_path / "e.csv"
    assert main(["classify", str(path), "--out", str(out), "--technique", "deep_tissue"]) == 0
    events = read_events(out)
    assert events.cues == ()  # deep tissue: any direction, no limits
    assert {s.technique for s in events.strokes} == {"deep_tissue"}


@pytest.mark.parametrize(
    "argv",
    [
        ["classify", "/no/such/recording"],
        ["classify", "{rec}", "--technique", "nope"],
        ["classify", "{rec}", "--batch", "0"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], recording: tuple[Path, CalibrationWindow], capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = recording
    assert main([a.format(rec=path) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("massage-coach: error:")


def test_library_and_command_agree(
    recording: tuple[Path, CalibrationWindow], tmp_path: Path
) -> None:
    from firmware_bridge.recordings.reader import read_recording

    path, cal = recording
    rec = read_recording(path)
    direct = classify_samples(rec.samples, get_profile("lymphatic"), 100.0, cal)
    out = tmp_path / "e.csv"
    main(["classify", str(path), "--out", str(out)])
    from_cli = read_events(out)
    assert [(round(s.onset_s, 5), s.direction) for s in from_cli.strokes] == [
        (round(s.onset_s, 5), s.direction) for s in sorted(direct.strokes, key=lambda s: s.onset_s)
    ]


def _write(tmp_path: Path, name: str, cal: CalibrationWindow, **synth: object) -> Path:
    samples, _ = reciprocating([1, -1, 1, 1], **synth)  # type: ignore[arg-type]
    meta = RecordingMeta(sample_rate_hz=100.0, technique="lymphatic", calibration=cal)
    path = tmp_path / name
    write_recording(path, meta, samples)
    return path


def _window(**synth: object) -> CalibrationWindow:
    _, truth = reciprocating([], **synth)  # type: ignore[arg-type]
    c0, c1 = truth.calibration
    return CalibrationWindow(c0, c1 - c0)


@pytest.mark.parametrize(
    ("synth", "window_s", "note"),
    [
        ({"force_n": 12.0}, None, None),  # a clear calibration: nothing on stderr
        (
            {"glide_s": 0.9, "return_s": 0.9, "lift_m": 0.0, "force_n": None},
            None,
            "the calibration's glides and returns looked alike: which half was pressed, and so "
            "the direction, may be misjudged",
        ),
        ({"force_n": 12.0}, (0.0, 1.0), "the calibration failed (no strokes seen"),
        # a window after the recording's end: nothing to learn from
        ({"force_n": 12.0}, (100.0, 10.0), "failed (no movement recorded during calibration)"),
    ],
)
def test_classify_says_on_stderr_when_the_directions_deserve_doubt(
    synth: dict[str, object],
    window_s: tuple[float, float] | None,
    note: str | None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The events go out all the same (exit 0); one line on stderr says why they may be off."""
    cal = _window(**synth) if window_s is None else CalibrationWindow(*window_s)
    path = _write(tmp_path, "rec", cal, **synth)
    assert main(["classify", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("onset,duration,label,direction")
    err = captured.err.strip().splitlines()
    if note is None:
        assert err == []
    else:
        assert len(err) == 1
        assert err[0].startswith(f"classify: {path}: ")
        assert note in err[0]
