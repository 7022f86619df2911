"""Every recording bundled under ``recordings/`` reads cleanly and ``info`` summarises it."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware_bridge.recordings.reader import find_recordings, read_recording
from tui.cli import main

BUNDLED = Path(__file__).resolve().parents[2] / "recordings"


@pytest.mark.parametrize(
    "path",
    find_recordings([BUNDLED]) if BUNDLED.is_dir() else [],
    ids=lambda p: str(p.relative_to(BUNDLED)),
)
def test_bundled_recording(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording = read_recording(path)
    assert recording.warnings == ()
    assert recording.meta.complete
    assert recording.labels is not None  # bundled recordings are labelled (demo and dev set)
    assert main(["info", str(path)]) == 0
    assert capsys.readouterr().err == ""
