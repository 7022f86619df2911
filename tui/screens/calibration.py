"""Calibration: three slow strokes toward the heart teach the pipeline the leg's axis and sign.

Live sessions open the window here (``begin_calibration``) and close it once three strokes were
seen (or after :data:`CALIBRATION_TIMEOUT_S`). Replays and the demo know their window in advance;
the screen then only shows the pipeline's progress. Either way the progress is the pipeline's own
``CalibrationStatus.strokes_seen``. When the calibration's glides and returns looked alike the
pipeline's advice is shown (lift on the way back, or return quicker); a live screen then stays up
so the user can calibrate again with it in mind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Final

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from analysis.pipeline import CalibrationStatus
from tui.session import SessionView

if TYPE_CHECKING:
    from tui.app import CoachApp

STROKES_WANTED: Final = 3
CALIBRATION_TIMEOUT_S: Final = 20.0
"""A live window closes after this much session time even when fewer strokes were counted (three
slow strokes take about 10 s; the pipeline then says whether it learned enough)."""


def progress_text(status: CalibrationStatus) -> Text:
    """``● ● ○  2 of 3 strokes`` and what the state means for the user."""
    seen = min(status.strokes_seen, STROKES_WANTED)
    text = Text("  ".join("●" if i < seen else "○" for i in range(STROKES_WANTED)), "bold")
    text.append(f"   {status.strokes_seen} of {STROKES_WANTED} strokes\n")
    if status.state == "learned":
        text.append("Axis learned ✓", "bold green")
        if status.advice:
            text.append(f"\nBut {status.advice}.", "yellow")
            text.append("\nPress r to calibrate again, s to continue.")
    elif status.state == "failed":
        text.append("Could not learn the axis", "bold red")
        if status.message:
            text.append(f": {status.message}")
        text.append("\nPress r to try again, s to continue without it.")
    elif status.state == "collecting":
        text.append("Learning… keep the strokes slow and long.")
    else:
        text.append("Waiting for the calibration to start…")
    return text


class CalibrationScreen(ModalScreen[CalibrationStatus]):
    """Asks for three slow upward strokes and shows the pipeline's progress.

    Parameters
    ----------
    live:
        ``True``: this screen opens and closes the calibration window. ``False``: the window is
        known in advance (recording, demo) and the screen only follows it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "Calibrate again"),
        Binding("s", "skip", "Continue without"),
    ]

    DEFAULT_CSS = """
    CalibrationScreen { align: center middle; background: $background 40%; }
    CalibrationScreen #calibration-box {
        width: 60; height: auto; border: thick $accent; background: $surface; padding: 0 1;
    }
    CalibrationScreen #calibration-ask { text-style: bold; text-align: center; }
    """

    def __init__(self, live: bool) -> None:
        super().__init__()
        self.live = live
        self.status = CalibrationStatus("waiting")
        self._opened_at_s: float | None = None

    @property
    def coach(self) -> CoachApp:
        from tui.app import CoachApp

        assert isinstance(self.app, CoachApp)
        return self.app

    def compose(self) -> ComposeResult:
        with Vertical(id="calibration-box"):
            yield Static("Make three slow strokes toward your heart", id="calibration-ask")
            yield Static(
                "Glide up the leg with light, even pressure; lift the hand to come back.",
            )
            yield Static(progress_text(self.status), id="calibration-progress")

    def on_mount(self) -> None:
        if self.live:
            self._open()

    def _open(self) -> None:
        controller = self.coach.controller
        if controller is None:
            return
        controller.begin_calibration()
        self._opened_at_s = controller.t_s
        self._set(CalibrationStatus("collecting", 0))

    def _set(self, status: CalibrationStatus) -> None:
        self.status = status
        self.query_one("#calibration-progress", Static).update(progress_text(status))

    def show(self, view: SessionView) -> None:
        """Follow the pipeline; in live mode close the window once enough strokes were seen."""
        status = view.calibration
        if self.live and self._opened_at_s is not None and status.state == "collecting":
            timed_out = view.t_s - self._opened_at_s > CALIBRATION_TIMEOUT_S
            if status.strokes_seen >= STROKES_WANTED or timed_out:
                controller = self.coach.controller
                assert controller is not None
                self._opened_at_s = None
                status = controller.end_calibration()
        if status != self.status:
            self._set(status)
        # A live calibration whose glides and returns looked alike stays up with its advice:
        # the user can calibrate again at once (r) or go on (s). A recorded one cannot be redone.
        if status.state == "learned" and not (self.live and status.advice):
            self.dismiss(status)

    def action_retry(self) -> None:
        self.live = True
        self._open()

    def action_skip(self) -> None:
        self.dismiss(self.status)
