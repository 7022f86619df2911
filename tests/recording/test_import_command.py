"""`massage-coach import`: a user's own IMU log becomes a recording the other commands read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.cli import main


def _write_log(path: Path) -> None:
    rows = ["Time (s),Accelerometer X (g),Accelerometer Y (g),Accelerometer Z (g)"]
    rows += [f"{i * 0.02:.2f},0,0,1" for i in range(100)]
    path.write_text("\n".join(rows) + "\n")


def test_import_writes_a_recording_that_info_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "log.csv"
    _write_log(log)
    assert main(["import", str(log), str(tmp_path / "rec"), "--technique", "effleurage"]) == 0
    meta = json.loads((tmp_path / "rec" / "meta.json").read_text())
    assert meta["technique"] == "effleurage"
    assert meta["sample_rate_hz"] == pytest.approx(50.0)
    capsys.readouterr()
    assert main(["info", str(tmp_path / "rec"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["samples"] == 100


@pytest.mark.parametrize(
    "extra",
    [["--technique", "tapotement"], ["--rate", "-5"]],
)
def test_import_refuses_bad_options_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    log = tmp_path / "log.csv"
    _write_log(log)
    assert main(["import", str(log), str(tmp_path / "rec"), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("massage-coach: error:")
    assert not (tmp_path / "rec").exists()


def test_import_will_not_overwrite_a_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "log.csv"
    _write_log(log)
    assert main(["import", str(log), str(tmp_path / "rec")]) == 0
    assert main(["import", str(log), str(tmp_path / "rec")]) == 2
    assert "not empty" in capsys.readouterr().err
