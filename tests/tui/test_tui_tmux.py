"""The installed ``massage-coach demo`` in a real 80×24 terminal (tmux): cue words appear on
screen, and the stop key ends the process at once."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMAND = ROOT / ".venv" / "bin" / "massage-coach"
CUE_WORDS = ("Switch to upward strokes", "Slow down", "Lighter pressure")

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(not COMMAND.exists(), reason="the package is not installed in .venv"),
]


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, check=False
    ).stdout


def _wait_for(socket: str, predicate, timeout_s: float) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux(socket, "capture-pane", "-p")
        if predicate(screen):
            return screen
        time.sleep(0.25)
    raise AssertionError(f"timed out; the screen was:\n{screen}")


def test_installed_demo_shows_cue_words_and_stops_at_once(tmp_path: Path) -> None:
    socket = f"mc-test-{os.getpid()}"
    exit_file = tmp_path / "exit"
    shell = (
        f"XDG_CONFIG_HOME={shlex.quote(str(tmp_path / 'xdg'))} "
        f"{shlex.quote(str(COMMAND))} demo --speed 8; echo $? > {shlex.quote(str(exit_file))}"
    )
    subprocess.run(
        ["tmux", "-L", socket, "new-session", "-d", "-x", "80", "-y", "24", shell], check=True
    )
    try:
        started = time.monotonic()
        screen = _wait_for(socket, lambda s: "massage-coach · demo" in s, timeout_s=20)
        session_after_s = time.monotonic() - started
        screen = _wait_for(socket, lambda s: any(w in s for w in CUE_WORDS), timeout_s=45)
        assert "Cadence" in screen
        assert "Upward" in screen
        assert "Hz" in screen
        _tmux(socket, "send-keys", "q")
        pressed = time.monotonic()
        while not exit_file.exists() and time.monotonic() - pressed < 10:
            time.sleep(0.05)
        assert exit_file.exists(), "the demo did not end after the stop key"
        assert exit_file.read_text().strip() == "0"
        assert time.monotonic() - pressed < 5
        assert session_after_s < 20
    finally:
        _tmux(socket, "kill-server")
