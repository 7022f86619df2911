"""Fixtures of the UI tests: a private config dir, a fixed day, a simulated session to play."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from analysis.techniques import DEFAULT_PROFILES, TechniqueProfile
from tui.app import CoachApp, SessionPlan
from tui.config import UserConfig
from tui.feeds import PlaybackFeed
from tui.session import SessionController, SourceStatus

TODAY = date(2026, 11, 23)
DEMO_SEED = 3


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UserConfig:
    """Every test gets its own $XDG_CONFIG_HOME: no test reads or writes the real one."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return UserConfig()


@pytest.fixture(scope="session")
def simulated():  # type: ignore[no-untyped-def]
    """Two minutes of a lymphatic session with force, whose user makes every mistake."""
    from analysis.simulation import simulate_session

    return simulate_session(
        DEMO_SEED, minutes=2.0, technique="lymphatic", has_force=True, truth=False
    )


class CountingApp(CoachApp):
    """The real app, counting the bells it rings (the terminal bell is not observable)."""

    bells = 0

    def bell(self) -> None:
        self.bells += 1
        super().bell()


def status_of(session) -> SourceStatus:  # type: ignore[no-untyped-def]
    return SourceStatus(
        name="simulated sensor", profile="simulated", nominal_rate_hz=session.sample_rate_hz
    )


def build_app(
    session,  # type: ignore[no-untyped-def]
    config: UserConfig,
    *,
    mode: str = "demo",
    profile: TechniqueProfile | None = DEFAULT_PROFILES["lymphatic"],
    calibration: str = "none",
    show_safety: bool = False,
    record_dir: Path | None = None,
    writer_factory=None,  # type: ignore[no-untyped-def]
    today: date = TODAY,
    pipeline_factory=None,  # type: ignore[no-untyped-def]
) -> CountingApp:
    """The app over a playback of ``session``, with no timer: tests tick it by hand."""
    status = status_of(session)
    feed = PlaybackFeed(session.samples, status, speed=1.0, gaps=tuple(session.gaps))

    def make_controller(chosen: TechniqueProfile) -> SessionController:
        return SessionController(
            chosen,
            session.sample_rate_hz,
            status,
            calibration=session.calibration,
            has_force=session.samples.has_force,
            writer=writer_factory(chosen) if writer_factory is not None else None,
            **({"pipeline_factory": pipeline_factory} if pipeline_factory is not None else {}),
        )

    plan = SessionPlan(
        mode=mode,
        profiles=dict(DEFAULT_PROFILES),
        profile=profile,
        calibration=calibration,
        config=config,
        today=today,
        show_safety=show_safety,
        record_dir=record_dir,
        tick_hz=0,
    )
    return CountingApp(plan, feed, make_controller)


def feed_of(app: CoachApp) -> PlaybackFeed:
    assert isinstance(app.feed, PlaybackFeed)
    return app.feed


def ctl(app: CoachApp) -> SessionController:
    assert app.controller is not None
    return app.controller


async def play(app: CoachApp, pilot, until_s: float, step_s: float = 0.5) -> None:  # type: ignore[no-untyped-def]
    """Advance the playback to ``until_s`` of session time in ticks of ``step_s``."""
    feed = app.feed
    assert isinstance(feed, PlaybackFeed)
    for _ in range(100_000):  # bounded: a paused feed never reaches until_s
        if feed.position_s >= until_s or feed.ended or feed.paused:
            break
        app.tick(min(step_s, until_s - feed.position_s))
    await pilot.pause()


# -- a scripted session for the snapshot tests ---------------------------------------------------
# Snapshots check layout, so they must not change when the simulator or the classifier is tuned
# (the pilot tests above use both for real). The samples are a plain synthetic signal and the
# "pipeline" decides a fixed script of strokes and cues from the sample clock alone.

from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402

from analysis.events import CalibrationWindow, Cue, Stroke  # noqa: E402
from analysis.pipeline import CalibrationStatus, PipelineUpdate  # noqa: E402
from analysis.samples import SampleBatch  # noqa: E402

SCRIPT_PERIOD_S = 2.0
SCRIPT_DIRECTIONS = ("up",) * 6 + ("down", "down", "down") + ("up",) * 4 + ("cross", "circular")
SCRIPT_CALIBRATION = CalibrationWindow(1.0, 7.0)


@dataclass
class ScriptedSession:
    samples: SampleBatch
    sample_rate_hz: float = 100.0
    calibration: CalibrationWindow = SCRIPT_CALIBRATION
    gaps: tuple[tuple[float, float], ...] = ()
    device: dict[str, str] = field(default_factory=lambda: {"name": "scripted"})


def scripted_session(minutes: float = 1.0) -> ScriptedSession:
    rate = 100.0
    t = np.arange(0.0, minutes * 60.0, 1.0 / rate)
    acc = np.zeros((len(t), 3))
    acc[:, 2] = 9.80665 + 2.0 * np.sin(2 * np.pi * t / SCRIPT_PERIOD_S) ** 3
    acc[:, 0] = 1.5 * np.sin(2 * np.pi * t / SCRIPT_PERIOD_S)
    force = 6.0 + 6.0 * (np.floor(t / 20.0) % 2) * (t > 30)
    return ScriptedSession(SampleBatch(t, acc, None, force), rate)


class ScriptedPipeline:
    """One stroke every 2 s after the calibration window, directions from a fixed script."""

    def __init__(self, profile, sample_rate_hz, calibration) -> None:  # type: ignore[no-untyped-def]
        self.profile = profile
        self.window = calibration or SCRIPT_CALIBRATION
        self.k = 0
        self.t = 0.0
        self.onsets: list[float] = []
        self.directions: list[str] = []

    def _calibration(self) -> CalibrationStatus:
        if self.t < self.window.onset_s:
            return CalibrationStatus("waiting")
        seen = min(3, int((self.t - self.window.onset_s) / 2.0))
        if self.t < self.window.end_s:
            return CalibrationStatus("collecting", seen)
        return CalibrationStatus("learned", 3, "learned from 3 strokes")

    def feed(self, batch: SampleBatch) -> PipelineUpdate:
        self.t = float(batch.t_s[-1])
        strokes: list[Stroke] = []
        cues: list[Cue] = []
        while self.window.end_s + (self.k + 1) * SCRIPT_PERIOD_S <= self.t:
            onset = self.window.end_s + self.k * SCRIPT_PERIOD_S
            direction = SCRIPT_DIRECTIONS[self.k % len(SCRIPT_DIRECTIONS)]
            force = 6.0 + 6.0 * ((onset // 20.0) % 2) * (onset > 30)
            self.onsets.append(onset)
            self.directions.append(direction)
            cadence = 180.0 / (onset - self.onsets[-4]) if len(self.onsets) >= 4 else None
            emitted = onset + SCRIPT_PERIOD_S
            strokes.append(
                Stroke(onset, 1.2, direction, force, self.profile.name, emitted, 0.9, cadence)
            )
            if self.directions[-2:] == ["down", "down"] and self.profile.wants_upward:
                cues.append(Cue(emitted, "switch_up", self.profile.name))
            self.k += 1
        active = set()
        if self.directions[-2:] == ["down", "down"] and self.profile.wants_upward:
            active.add("switch_up")
        if self.profile.lighter_above_n and strokes and (strokes[-1].force_n or 0.0) > 10:
            active.add("lighter")
        return PipelineUpdate(
            tuple(strokes),
            tuple(cues),
            frozenset(active),
            30.0,
            6.0,
            self._calibration(),
            self.t,
            0,
        )

    def finish(self) -> PipelineUpdate:
        return self.feed(SampleBatch(np.array([self.t]), np.zeros((1, 3))))

    def set_profile(self, profile) -> None:  # type: ignore[no-untyped-def]
        self.profile = profile

    def begin_calibration(self) -> None:
        pass

    def end_calibration(self) -> CalibrationStatus:
        return self._calibration()
