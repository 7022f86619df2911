"""Headless mode and the command line: one line per stroke and per cue; bad input is one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.events import Cue, Stroke
from analysis.pipeline import classify_samples
from analysis.techniques import DEFAULT_PROFILES
from firmware_bridge.recordings.model import RecordingMeta
from firmware_bridge.recordings.writer import write_recording
from tui.cli import main
from tui.headless import cue_line, stroke_line

STROKE_RE = re.compile(
    r"^(?P<onset>\d+\.\d{3}) stroke (?P<dir>up|down|cross|circular|unknown)"
    r" duration_s=\d+\.\d{3}( force_n=[-\d.]+)?( cadence_spm=[\d.]+)?( confidence=[\d.]+)?"
    r"( emitted_s=[\d.]+)?$"
)
CUE_RE = re.compile(
    r"^(?P<onset>\d+\.\d{3}) cue (?P<cue>switch_up|slow_down|lighter) "
    r'"(Switch to upward strokes|Slow down|Lighter pressure)"$'
)


def test_line_formats() -> None:
    stroke = Stroke(12.3401, 0.8123, "up", 7.104, "lymphatic", 13.2, 0.912, 33.46)
    assert stroke_line(stroke) == (
        "12.340 stroke up duration_s=0.812 force_n=7.10 cadence_spm=33.5 confidence=0.91"
        " emitted_s=13.200"
    )
    assert stroke_line(Stroke(1.0, 0.5, "cross")) == "1.000 stroke cross duration_s=0.500"
    assert cue_line(Cue(13.2049, "switch_up")) == '13.205 cue switch_up "Switch to upward strokes"'
    assert cue_line(Cue(1.0, "slow_down")).endswith('"Slow down"')
    assert cue_line(Cue(1.0, "lighter")).endswith('"Lighter pressure"')


@pytest.fixture
def recording_dir(simulated, tmp_path: Path) -> Path:
    path = tmp_path / "session"
    meta = RecordingMeta(
        sample_rate_hz=simulated.sample_rate_hz,
        technique="lymphatic",
        calibration=simulated.calibration,
        gaps=tuple(simulated.gaps),
        device=dict(simulated.device),
    )
    write_recording(path, meta, simulated.samples, simulated.labels)
    return path


def test_replay_headless_prints_what_the_causal_pipeline_decides(
    recording_dir: Path, simulated, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(recording_dir), "--headless"]) == 0
    out = capsys.readouterr().out.splitlines()
    strokes = [STROKE_RE.match(line) for line in out if " stroke " in line]
    cues = [CUE_RE.match(line) for line in out if " cue " in line]
    assert all(strokes)
    assert all(cues)
    assert len(strokes) + len(cues) == len(out)
    # The pipeline's own offline path over the same recording (read back from disk).
    from firmware_bridge.recordings.reader import read_recording

    rec = read_recording(recording_dir)
    expected = classify_samples(
        rec.samples, DEFAULT_PROFILES["lymphatic"], rec.meta.sample_rate_hz, rec.meta.calibration
    )
    assert len(expected.strokes) > 20
    assert [(round(s.onset_s, 3), s.direction) for s in expected.strokes] == [
        (float(m["onset"]), m["dir"]) for m in strokes if m
    ]
    assert [(round(c.onset_s, 3), c.cue) for c in expected.cues] == [
        (float(m["onset"]), m["cue"]) for m in cues if m
    ]
    assert any(m["cue"] == "switch_up" for m in cues if m)


def test_replay_without_a_calibration_window_coaches_what_classify_finds(
    simulated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A recording made elsewhere may have no calibration window: the session learns the limb axis
    # from the first strokes, exactly as `classify` does, instead of coaching nothing.
    path = tmp_path / "no-window"
    meta = RecordingMeta(
        sample_rate_hz=simulated.sample_rate_hz,
        technique="lymphatic",
        gaps=tuple(simulated.gaps),
        device=dict(simulated.device),
    )
    write_recording(path, meta, simulated.samples, simulated.labels)
    assert main(["classify", str(path), "--out", str(tmp_path / "classified.csv")]) == 0
    assert main(["replay", str(path), "--headless"]) == 0
    out = capsys.readouterr().out.splitlines()
    replayed = [m for m in (STROKE_RE.match(line) for line in out) if m]
    from firmware_bridge.recordings.events_csv import read_events

    classified = read_events(tmp_path / "classified.csv").strokes
    assert len(classified) > 20
    assert [(float(m["onset"]), m["dir"]) for m in replayed] == [
        (round(s.onset_s, 3), s.direction) for s in classified
    ]


def test_replay_headless_technique_override(
    recording_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(recording_dir), "--headless", "--technique", "deep_tissue"]) == 0
    out = capsys.readouterr().out
    assert " stroke " in out
    assert " cue " not in out  # deep tissue: any direction, no limits


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["replay", "/nonexistent/recording", "--headless"], "/nonexistent/recording"),
        (["replay", "{rec}", "--speed", "50"], "--speed must be between 0.5 and 20"),
        (["replay", "{rec}", "--speed", "-1"], "positive"),
        (["replay", "{rec}", "--headless", "--technique", "tickle"], "unknown technique"),
        (["live", "--headless"], "choose a source"),
        (["live", "--simulate", "--headless", "--record", "{rec}"], "already holds a recording"),
        (["demo", "--speed", "0.1"], "--speed must be between"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    recording_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    argv = [a.replace("{rec}", str(recording_dir)) for a in argv]
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("massage-coach: error:")
    assert needle in lines[0]
    assert captured.out == ""


def test_live_headless_records_every_sample_for_the_duration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The BLE end-to-end contract, on the simulated sensor: ``live --headless --record DIR
    --duration S`` leaves a complete recording holding every sample the source delivered."""
    import json

    from firmware_bridge.recordings.reader import read_recording

    rec = tmp_path / "live"
    argv = ["live", "--simulate", "--headless", "--record", str(rec), "--duration", "3"]
    assert main([*argv, "--technique", "lymphatic", "--seed", "2"]) == 0
    captured = capsys.readouterr()
    recording = read_recording(rec)
    assert recording.meta.complete
    assert recording.meta.technique == "lymphatic"
    assert recording.meta.device["name"] == "Simulated sensor"
    summary = json.loads((rec / "session_summary.json").read_text(encoding="utf-8"))
    assert len(recording.samples) == summary["samples"] > 0
    assert 2.0 < recording.duration_s < 4.0  # 3 s of wall time at real-time speed
    assert "calibration: make 3 slow strokes toward your heart" in captured.err
    for line in captured.out.splitlines():
        assert STROKE_RE.match(line) or CUE_RE.match(line), line
