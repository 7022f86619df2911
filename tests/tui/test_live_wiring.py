"""The live path's wiring: the calibration window reaches the recording, the coaching reaches the
sensor's display, and ``--device-feedback`` is refused where there is no sensor to show it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.events import CalibrationWindow, Cue, OtherEvent, Stroke
from analysis.samples import SampleBatch
from analysis.simulation import simulate_session
from analysis.techniques import DEFAULT_PROFILES
from firmware_bridge.recordings.events_csv import read_events
from firmware_bridge.recordings.reader import read_recording
from firmware_bridge.simulated import SimulatedSensor
from tui.cli import main
from tui.launch import LazyWriter
from tui.session import SessionController, SourceStatus

SPEED = 20.0
"""The simulated sensor plays this many times faster than real time (a minute in 3 s)."""


def test_a_headless_live_calibration_prints_its_advice_when_glides_and_returns_look_alike(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Simulated seed 13: returns glide back as slowly as the glides, without lift, on a 26 Hz
    sensor without force: the user is told what to change, and the summary says why."""

    def fast_source(**kwargs: Any) -> SimulatedSensor:
        return SimulatedSensor(
            seed=kwargs["seed"], technique=kwargs["technique"], speed=SPEED, minutes=1.0
        )

    monkeypatch.setattr("tui.launch.open_live_source", fast_source)
    argv = ["live", "--simulate", "--headless", "--technique", "lymphatic", "--seed", "13"]
    assert main([*argv, "--duration", "30"]) == 0
    err = capsys.readouterr().err
    assert "calibration: learned" in err
    assert (
        "calibration advice: your glides and returns looked alike, so the pressing direction is "
        "hard to tell: lift the hand a little on the way back, or return quicker than you glide"
    ) in err
    assert "glide and return looked alike" in err


def test_a_live_recording_carries_its_calibration_and_classifies_as_it_was_coached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fast_source(**kwargs: Any) -> SimulatedSensor:
        return SimulatedSensor(
            seed=kwargs["seed"], technique=kwargs["technique"], speed=SPEED, minutes=1.0
        )

    monkeypatch.setattr("tui.launch.open_live_source", fast_source)
    rec = tmp_path / "live"
    argv = ["live", "--simulate", "--headless", "--technique", "lymphatic", "--seed", "2"]
    assert main([*argv, "--record", str(rec), "--duration", "30"]) == 0
    err = capsys.readouterr().err
    assert "calibration: learned" in err
    assert "calibration advice" not in err  # this user's glides and returns differ

    recording = read_recording(rec)
    window = recording.meta.calibration
    assert window is not None, json.loads((rec / "meta.json").read_text())
    t = recording.t_s
    # The window the user calibrated in: from the first sample at most to the last at least.
    assert t[0] <= window.onset_s < window.end_s <= t[-1]
    assert recording.warnings == ()
    coached = read_events(rec / "events.csv").strokes
    assert sum(s.onset_s < window.end_s and s.direction == "up" for s in coached) >= 3

    # classify learns from the recorded window and finds what the live session told the user.
    out = tmp_path / "classified.csv"
    assert main(["classify", str(rec), "--out", str(out)]) == 0
    classified = read_events(out).strokes
    assert [s.direction for s in classified] == [s.direction for s in coached]
    for offline, live in zip(classified, coached, strict=True):
        assert offline.onset_s == pytest.approx(live.onset_s, abs=0.5)

    # meta.json holds it in the spec's words: onset and duration on the recording clock.
    meta = json.loads((rec / "meta.json").read_text())
    assert meta["calibration"] == {"onset": window.onset_s, "duration": window.duration_s}


class _Sink:
    """A recording sink that keeps what it was given."""

    def __init__(self) -> None:
        self.batches: list[SampleBatch] = []
        self.calibration: list[CalibrationWindow] = []

    def append(self, batch: SampleBatch) -> None:
        self.batches.append(batch)

    def add_gap(self, before_s: float, after_s: float) -> None:
        pass

    def add_event(self, event: Stroke | Cue | OtherEvent) -> None:
        pass

    def set_calibration(self, window: CalibrationWindow) -> None:
        self.calibration.append(window)

    def close(self) -> None:
        pass


def test_lazy_writer_keeps_a_window_given_before_the_recording_opened() -> None:
    opened: list[_Sink] = []

    def open_() -> _Sink:
        opened.append(_Sink())
        return opened[-1]

    writer = LazyWriter(open_)
    window = CalibrationWindow(0.5, 4.0)
    writer.set_calibration(window)
    assert not opened  # still no recording: nothing was sampled
    writer.append(SampleBatch(t_s=np.zeros(1), acc_mps2=np.array([[0.0, 0.0, 9.80665]])))
    assert opened[0].calibration == [window]
    later = CalibrationWindow(0.5, 6.0)
    writer.set_calibration(later)
    assert opened[0].calibration == [window, later]


class _Display:
    """A feedback sink that records every post."""

    def __init__(self) -> None:
        self.posts: list[tuple[str | None, str | None]] = []

    def post(self, cue: str | None, direction: str | None) -> None:
        self.posts.append((cue, direction))

    async def aclose(self) -> None:
        pass


def test_every_tick_posts_the_shown_cue_and_the_last_direction_and_a_pause_mutes_it() -> None:
    session = simulate_session(3, minutes=2.0, technique="lymphatic", truth=False)
    display = _Display()
    controller = SessionController(
        DEFAULT_PROFILES["lymphatic"],
        session.sample_rate_hz,
        SourceStatus("sim", "simulated", session.sample_rate_hz),
        calibration=session.calibration,
        feedback=display,
    )
    samples = session.samples
    n = len(samples)
    wanted: list[tuple[str | None, str | None]] = []
    step = max(1, round(session.sample_rate_hz / 10))  # 0.1 s per tick
    for i, start in enumerate(range(0, n, step)):
        if i == 300:  # 30 s in: the user pauses for 5 s
            controller.toggle_pause()
        if i == 350:
            controller.toggle_pause()
        view = controller.step([samples.slice(start, min(n, start + step))])
        last = view.last_stroke
        wanted.append(
            (None, None)
            if view.paused
            else (view.shown_cue, last.direction if last is not None else None)
        )
    assert display.posts == wanted
    # The session coached something: strokes and at least one cue reached the display.
    assert any(d in ("up", "down") for _, d in display.posts)
    assert any(c is not None for c, _ in display.posts)
    assert display.posts[300:350] == [(None, None)] * 50


@pytest.mark.parametrize("where", [["--simulate"], ["--source", "ws://127.0.0.1:9"]])
def test_device_feedback_without_a_device_is_one_line_and_exit_2(
    where: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["live", *where, "--headless", "--device-feedback"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("massage-coach: error: --device-feedback needs --device")
    assert captured.out == ""
