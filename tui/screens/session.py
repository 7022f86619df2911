"""The session screen: glyph, cue banner, meters, recent strokes, signal, source state.

It renders :class:`~tui.session.SessionView` s handed to :meth:`SessionScreen.show` by the app's
UI timer; it owns no data of its own. In replay it also shows the playback bar and takes the
speed and seek keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Sparkline

from analysis.techniques import TechniqueProfile
from tui.session import SessionView
from tui.widgets import (
    CueBanner,
    DirectionGlyph,
    TextLine,
    axis_text,
    cadence_text,
    force_text,
    share_text,
    source_text,
    strip_text,
)

if TYPE_CHECKING:
    from tui.app import CoachApp


def profile_line(profile: TechniqueProfile) -> str:
    """``lymphatic: up · ≤36 spm · ≤10 N``."""
    parts = [profile.name + ":", "up the leg" if profile.wants_upward else "any direction"]
    if profile.slow_down_above_spm is not None:
        parts.append(f"· ≤{profile.slow_down_above_spm:g} spm")
    if profile.lighter_above_n is not None:
        parts.append(f"· ≤{profile.lighter_above_n:g} N")
    return " ".join(parts)


class SessionScreen(Screen[None]):
    """What the user glances at while massaging."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "pause", "Pause"),
        Binding("p", "pause", "Pause", show=False),
        Binding("t", "change_technique", "Technique"),
        Binding("m", "mark", "Mark"),
        Binding("c", "recalibrate", "Recalibrate"),
        Binding("left", "seek(-10)", "−10s"),
        Binding("right", "seek(10)", "+10s"),
        Binding("plus,equals_sign", "faster", "Faster"),
        Binding("minus", "slower", "Slower"),
        Binding("home", "seek_start", "Start", show=False),
    ]
    REPLAY_ACTIONS: ClassVar[frozenset[str]] = frozenset({"seek", "faster", "slower", "seek_start"})

    DEFAULT_CSS = """
    SessionScreen #title { background: $primary; color: $text; text-style: bold; }
    SessionScreen #middle { height: 9; }
    SessionScreen #meters { width: 1fr; padding: 1 0 0 1; }
    SessionScreen Sparkline { height: 1fr; min-height: 2; max-height: 5; margin: 0 1; }
    SessionScreen #replay { background: $boost; }
    SessionScreen.-large #middle { height: 16; }
    SessionScreen.-large #meters { padding: 4 0 0 2; }
    SessionScreen.-large Sparkline { max-height: 12; }
    """

    LARGE_HEIGHT: ClassVar[int] = 40
    """From this many rows on, the glyph is drawn twice as large."""

    def __init__(self, mode: str, replay: bool = False) -> None:
        super().__init__()
        self.mode = mode
        self.replay = replay
        self.shown: SessionView | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Replay keys exist only in replay; recalibrating a recording makes no sense."""
        if action in self.REPLAY_ACTIONS:
            return self.replay
        if action == "recalibrate":
            return not self.replay
        return True

    def action_pause(self) -> None:
        self.coach.toggle_pause()

    def action_change_technique(self) -> None:
        self.coach.change_technique()

    def action_mark(self) -> None:
        self.coach.mark()

    def action_recalibrate(self) -> None:
        self.coach.recalibrate()

    def action_seek(self, delta_s: float) -> None:
        self.coach.seek_by(float(delta_s))

    def action_seek_start(self) -> None:
        self.coach.seek_to(None)

    def action_faster(self) -> None:
        self.coach.change_speed(faster=True)

    def action_slower(self) -> None:
        self.coach.change_speed(faster=False)

    @property
    def coach(self) -> CoachApp:
        from tui.app import CoachApp

        assert isinstance(self.app, CoachApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield TextLine(id="title")
        yield CueBanner(id="cue")
        with Horizontal(id="middle"):
            yield DirectionGlyph(id="glyph")
            with Vertical(id="meters"):
                yield TextLine(id="cadence")
                yield TextLine(id="force")
                yield TextLine(id="share")
                yield TextLine(id="count")
                yield TextLine(id="calibration")
        yield TextLine(id="strip")
        yield Sparkline([], id="signal")
        if self.replay:
            yield TextLine(id="replay")
        yield TextLine(id="source")
        yield Footer()

    def on_mount(self) -> None:
        # Widgets are looked up once: the UI timer renders up to 30 times a second.
        self._lines = {
            name: self.query_one(f"#{name}", TextLine)
            for name in ("title", "cadence", "force", "share", "count", "calibration", "strip")
        }
        self._lines["source"] = self.query_one("#source", TextLine)
        if self.replay:
            self._lines["replay"] = self.query_one("#replay", TextLine)
        self._banner = self.query_one(CueBanner)
        self._glyph = self.query_one(DirectionGlyph)
        self._sparkline = self.query_one(Sparkline)
        self._signal: tuple[float, ...] = ()
        self._fit(self.app.size.height)
        controller = self.coach.controller
        if controller is not None:
            self.show(controller.view())

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.height)

    def _fit(self, height: int) -> None:
        large = height >= self.LARGE_HEIGHT
        self.set_class(large, "-large")
        self.query_one(DirectionGlyph).set_scale(2 if large else 1)

    def show(self, view: SessionView) -> None:
        """Render one view; widgets skip their refresh when their text did not change."""
        if not hasattr(self, "_lines"):
            return  # not mounted yet; the first view after mounting shows everything
        self.shown = view
        profile = view.profile
        lines = self._lines
        lines["title"].set_text(f" massage-coach · {self.mode} · {profile_line(profile)}")
        idle = "Good, keep going" if view.stroke_count else "Waiting for strokes…"
        if view.calibration.state in ("waiting", "collecting") and not view.stroke_count:
            idle = "Calibrating: three slow strokes toward your heart"
        self._banner.set_state(view.active_cues, idle=idle, paused=view.paused)
        direction = view.last_stroke.direction if view.last_stroke is not None else None
        self._glyph.show_direction(direction, "up" if profile.wants_upward else None)
        lines["cadence"].set_text(cadence_text(view.cadence_spm, profile))
        lines["force"].set_text(force_text(view.force_n, profile, view.has_force))
        lines["share"].set_text(share_text(view.upward_share, view.linear_in_window, profile))
        lines["count"].set_text(f"Strokes  {view.stroke_count}")
        lines["calibration"].set_text(axis_text(view.calibration))
        lines["strip"].set_text(strip_text(view.recent_strokes, self.size.width or 80))
        if view.signal is not self._signal:
            self._signal = view.signal
            self._sparkline.data = list(view.signal)
        lines["source"].set_text(source_text(view.source, view.t_s, view.dropped_samples))
        if self.replay:
            lines["replay"].set_text(self.coach.replay_line())
