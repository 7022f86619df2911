"""`massage-coach info`: what it reports about a recording whose contents are known."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analysis.events import CalibrationWindow, Cue, EventTable, OtherEvent, Stroke
from analysis.samples import SampleBatch
from firmware_bridge.recordings.model import RecordingMeta
from firmware_bridge.recordings.writer import write_recording
from tui.cli import main


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """60 s at a true 198 Hz (nominal 200) with a 0.5 s hole at 20 s, gyro and force."""
    t_s = np.arange(0, 60, 1 / 198)
    t_s = t_s[(t_s <= 20.0) | (t_s >= 20.5)]
    n = len(t_s)
    samples = SampleBatch(
        t_s=t_s,
        acc_mps2=np.tile([0.0, 0.0, 9.81], (n, 1)),
        gyro_radps=np.zeros((n, 3)),
        force_n=np.full(n, 4.0),
    )
    before = float(t_s[t_s <= 20.0][-1])
    after = float(t_s[t_s >= 20.5][0])
    meta = RecordingMeta(
        sample_rate_hz=200.0,
        technique="lymphatic",
        device={"name": "Polar Sense 1A2B3C4D", "profile": "polar-pmd"},
        calibration=CalibrationWindow(2.0, 12.5),
        gaps=((before, after),),
        complete=False,
    )
    labels = EventTable(
        strokes=tuple(
            Stroke(15.0 + i, 0.5, d)
            for i, d in enumerate(["up", "up", "up", "down", "down", "cross", "circular"])
        ),
        cues=(Cue(19.5, "switch_up"), Cue(30.0, "switch_up"), Cue(31.0, "slow_down")),
        others=(OtherEvent(40.0, 5.0, "rest"),),
    )
    write_recording(tmp_path / "rec", meta, samples, labels)
    return tmp_path / "rec"


def test_human_summary(recording: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(recording)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    fields = dict(line.split(None, 1) for line in out.splitlines() if not line.startswith(" "))
    grid = np.arange(0, 60, 1 / 198)
    n = int(np.count_nonzero((grid <= 20.0) | (grid >= 20.5)))
    assert fields["duration"].startswith(f"{grid[-1]:.3f} s")  # from the first to the last t
    assert f"({n} samples" in fields["duration"]
    assert fields["rate"] == "200 Hz nominal, 198.00 Hz measured"
    assert fields["channels"] == "acc, gyro, force"
    assert fields["gaps"].startswith("1, 0.50")
    assert fields["complete"].startswith("no")
    assert fields["calibration"] == "2.000 s to 14.500 s"
    assert fields["device"] == "Polar Sense 1A2B3C4D (polar-pmd)"
    assert fields["technique"] == "lymphatic"
    assert fields["labels"] == "7 strokes: up 3, down 2, cross 1, circular 1"
    assert fields["cues"] == "switch_up 2, slow_down 1"
    assert fields["warnings"] == "none"


def test_json_summary(recording: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--json", str(recording)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["nominal_rate_hz"] == 200.0
    assert summary["measured_rate_hz"] == pytest.approx(198.0, rel=1e-4)
    assert summary["duration_s"] == pytest.approx(60.0 - 1 / 198, abs=0.01)
    assert summary["strokes_by_direction"] == {"up": 3, "down": 2, "cross": 1, "circular": 1}
    assert summary["cues"] == {"switch_up": 2, "slow_down": 1}
    assert summary["gap_count"] == 1
    assert summary["complete"] is False
    assert summary["channels"] == ["acc", "gyro", "force"]


def test_bad_arguments_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["info"], ["info", str(tmp_path / "nowhere")], ["info", str(tmp_path)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1
        assert err.startswith("massage-coach: error: ")
