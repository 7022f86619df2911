"""The Textual coaching app, built by a factory apart from the command line so tests build it
directly (``CoachApp(plan, feed, make_controller)`` and ``app.run_test()``).

Flow: safety screen (once a day) → technique picker (unless a technique was given) → session
screen, with the calibration screen over it until the axis is learned → summary screen when the
source ends. ``q``, ``Esc`` and ``Ctrl+C`` end the session at once from every screen: the
recording is closed and the app exits with the session summary, no dialog.

One UI timer (:attr:`SessionPlan.tick_hz`, ≤ 30 Hz) drains the feed, runs the pipeline through
the :class:`~tui.session.SessionController` and updates every visible widget inside one
``batch_update()``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar, Final

from textual.app import App
from textual.binding import Binding, BindingType
from textual.timer import Timer

from analysis.events import Cue
from analysis.techniques import TechniqueProfile
from tui.config import UserConfig
from tui.feeds import Feed, PlaybackFeed
from tui.screens import (
    CalibrationScreen,
    SafetyScreen,
    SessionScreen,
    SummaryScreen,
    TechniqueScreen,
)
from tui.session import CUE_WORDS, SessionController, SessionSummary, SessionView

MAX_TICK_HZ: Final = 30.0
MAX_TICK_GAP_S: Final = 0.5
"""A tick after a stall advances playback by at most this much wall time (no sudden jumps)."""

COVERED_RENDER_EVERY: Final = 10
"""Session screen refreshes per UI tick while another screen covers it: one in ten."""

ControllerFactory = Callable[[TechniqueProfile], SessionController]


@dataclass(frozen=True)
class SessionPlan:
    """How a session runs.

    Attributes
    ----------
    mode:
        ``live``, ``replay`` or ``demo`` (shown in the title; replay enables the playback keys).
    profiles:
        The technique profiles on offer (defaults with the user's overrides).
    profile:
        The technique to coach, or ``None`` to ask with the technique picker.
    calibration:
        ``live`` (the calibration screen opens the window), ``known`` (the window is in the
        recording or simulation; the screen follows it) or ``none``.
    config:
        The user's configuration directory.
    today:
        The date the safety acknowledgement is checked against (tests fix it).
    show_safety:
        Whether the safety screen may be shown at all.
    record_dir:
        Where the session is recorded (the summary JSON goes there too), or ``None``.
    speak:
        Speak cues with ``espeak-ng`` when it is installed.
    tick_hz:
        UI timer rate; ``0`` starts no timer (tests call :meth:`CoachApp.tick` themselves).
    duration_s:
        End the session (as the stop key does) after this many wall seconds of session.
    """

    mode: str
    profiles: dict[str, TechniqueProfile]
    profile: TechniqueProfile | None
    calibration: str
    config: UserConfig
    today: date
    show_safety: bool = True
    record_dir: Path | None = None
    speak: bool = False
    tick_hz: float = MAX_TICK_HZ
    duration_s: float | None = None


class Speaker:
    """Speaks cue words with ``espeak-ng`` in the background, when present and asked for."""

    def __init__(self, enabled: bool) -> None:
        self.command = shutil.which("espeak-ng") if enabled else None
        self._process: subprocess.Popen[bytes] | None = None

    def say(self, words: str) -> None:
        if self.command is None:
            return
        if self._process is not None and self._process.poll() is None:
            return  # never queue speech behind speech: the newest cue will be said next time
        self._process = subprocess.Popen(
            [self.command, words], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )


class CoachApp(App[SessionSummary | None]):
    """A coaching session (live, replay or demo) on the terminal."""

    TITLE = "massage-coach"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "stop", "Stop", priority=True),
        Binding("escape", "stop", "Stop", show=False, priority=True),
        Binding("ctrl+c", "stop", "Stop", show=False, priority=True),
    ]

    def __init__(self, plan: SessionPlan, feed: Feed, make_controller: ControllerFactory) -> None:
        super().__init__()
        self.plan = plan
        self.feed = feed
        self.make_controller = make_controller
        self.profiles = dict(plan.profiles)
        self.controller: SessionController | None = None
        self.session_screen: SessionScreen | None = None
        self.summary: SessionSummary | None = None
        self.cues_announced: list[Cue] = []
        self.speaker = Speaker(plan.speak)
        self._timer: Timer | None = None
        self._last_tick: float | None = None
        self._stopped = False
        self._renders = 0

    # -- flow ----------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.plan.speak and self.speaker.command is None:
            self.notify("espeak-ng is not installed: cues are shown and rung, not spoken")
        if self.plan.show_safety and not self.plan.config.safety_acknowledged(self.plan.today):
            self.push_screen(SafetyScreen(), callback=self._safety_done)
        else:
            self._choose_technique()

    def _safety_done(self, acknowledged: bool | None) -> None:
        if acknowledged:
            self.plan.config.acknowledge_safety(self.plan.today)
        self._choose_technique()

    def _choose_technique(self) -> None:
        if self.plan.profile is None:
            self.push_screen(TechniqueScreen(self.profiles, self.plan.config), callback=self._start)
        else:
            self._start(self.plan.profile)

    def _start(self, profile: TechniqueProfile | None) -> None:
        if profile is None or self._stopped:
            return
        self.controller = self.make_controller(profile)
        start = getattr(self.feed, "start", None)
        if start is not None:
            start()
        self.session_screen = SessionScreen(self.plan.mode, replay=self.plan.mode == "replay")
        self.push_screen(self.session_screen)
        if self.plan.calibration in ("live", "known"):
            self.push_screen(CalibrationScreen(live=self.plan.calibration == "live"))
        if self.plan.tick_hz > 0:
            self._timer = self.set_interval(1.0 / min(self.plan.tick_hz, MAX_TICK_HZ), self.tick)
        if self.plan.duration_s is not None:
            self.set_timer(self.plan.duration_s, self.action_stop)

    # -- the UI timer --------------------------------------------------------------------------

    def tick(self, elapsed_s: float | None = None) -> SessionView | None:
        """Drain the feed, run the pipeline, update the screens in one batch.

        ``elapsed_s`` is the wall time since the last tick (measured when ``None``).
        """
        controller = self.controller
        if controller is None or controller.finished:
            return None
        now = time.monotonic()
        if elapsed_s is None:
            elapsed_s = 0.0 if self._last_tick is None else now - self._last_tick
        self._last_tick = now
        batches = self.feed.take(min(elapsed_s, MAX_TICK_GAP_S))
        status, gaps = self.feed.status()
        controller.set_source_status(status, gaps)
        view = controller.step(batches)
        self._announce(view.new_cues, muted=view.paused)
        self._render(view)
        if self.feed.ended:
            self._session_over()
        return view

    def _render(self, view: SessionView) -> None:
        self._renders += 1
        covered = self.screen is not self.session_screen
        with self.batch_update():
            # Under a dialog every change of the session screen redraws the whole dimmed
            # background, so it is refreshed only a few times a second there.
            if (
                self.session_screen is not None
                and self.session_screen.is_mounted
                and (not covered or self._renders % COVERED_RENDER_EVERY == 0)
            ):
                self.session_screen.show(view)
            if isinstance(self.screen, CalibrationScreen):
                self.screen.show(view)

    def _announce(self, cues: tuple[Cue, ...], *, muted: bool) -> None:
        if not cues or muted:
            return
        self.cues_announced.extend(cues)
        self.bell()
        self.speaker.say(CUE_WORDS.get(cues[-1].cue, cues[-1].cue))

    def _session_over(self) -> None:
        if self.controller is None or self.summary is not None:
            return
        self.summary = self.controller.finish(self.plan.record_dir)
        if self._timer is not None:
            self._timer.stop()
        saved = str(self.plan.record_dir) if self.plan.record_dir is not None else None
        self.push_screen(SummaryScreen(self.summary, saved))

    # -- keys ----------------------------------------------------------------------------------

    def action_stop(self) -> None:
        """End at once: close the recording, save the summary, leave. Never asks."""
        self._stopped = True
        if self._timer is not None:
            self._timer.stop()
        if self.controller is not None and self.summary is None:
            self.summary = self.controller.finish(self.plan.record_dir)
        self.exit(self.summary)

    def toggle_pause(self) -> None:
        if self.controller is None:
            return
        paused = self.controller.toggle_pause()
        if isinstance(self.feed, PlaybackFeed):
            self.feed.paused = paused
        self._render(self.controller.view())

    def mark(self) -> None:
        if self.controller is None:
            return
        t_s = self.controller.mark()
        self.notify(f"Marked at {t_s:.1f} s", timeout=2)

    def change_technique(self) -> None:
        if self.controller is None:
            return
        self.push_screen(
            TechniqueScreen(self.profiles, self.plan.config, self.controller.profile.name),
            callback=self._technique_changed,
        )

    def _technique_changed(self, profile: TechniqueProfile | None) -> None:
        if profile is None or self.controller is None:
            return
        self.controller.set_profile(profile)
        self._render(self.controller.view())

    def recalibrate(self) -> None:
        if self.controller is None or self.plan.mode == "replay":
            return
        self.push_screen(CalibrationScreen(live=True))

    # -- replay --------------------------------------------------------------------------------

    def replay_line(self) -> str:
        feed = self.feed
        if not isinstance(feed, PlaybackFeed):
            return ""

        def clock(t_s: float) -> str:
            minutes, seconds = divmod(int(t_s), 60)
            return f"{minutes}:{seconds:02d}"

        state = "paused" if feed.paused else "playing"
        return (
            f" replay {clock(feed.position_s)} / {clock(feed.end_s)} · {feed.speed:g}× · {state}"
            " · ←/→ seek 10 s · +/− speed"
        )

    def change_speed(self, *, faster: bool) -> None:
        if isinstance(self.feed, PlaybackFeed) and self.controller is not None:
            if faster:
                self.feed.faster()
            else:
                self.feed.slower()
            self._render(self.controller.view())

    def seek_by(self, delta_s: float) -> None:
        if isinstance(self.feed, PlaybackFeed):
            self.seek_to(self.feed.position_s + delta_s)

    def seek_to(self, t_s: float | None) -> None:
        """Move the playhead (``None``: the start). The pipeline is causal, so a backward seek
        replays it from the first sample to the target without announcing anything."""
        feed = self.feed
        if not isinstance(feed, PlaybackFeed) or self.controller is None:
            return
        target = feed.start_s if t_s is None else min(max(t_s, feed.start_s), feed.end_s)
        controller = self.controller
        if target < feed.position_s:
            paused = controller.paused
            controller = self.make_controller(controller.profile)
            controller.paused = paused
            self.controller = controller
            feed.rewind()
        view = controller.step(feed.take_until(target))
        feed.position_s = target
        self._render(view)
