"""The session summary screen (shown when a recording or a simulated session played out)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.session import SessionSummary


class SummaryScreen(Screen[None]):
    """Duration, strokes, upward share, cadence statistics and cues issued."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "app.stop", "Close")]

    DEFAULT_CSS = """
    SummaryScreen { align: center middle; }
    SummaryScreen #summary { width: auto; max-width: 100%; border: round $accent; padding: 0 2; }
    """

    def __init__(self, summary: SessionSummary, saved_to: str | None = None) -> None:
        super().__init__()
        self.summary = summary
        self.saved_to = saved_to

    def compose(self) -> ComposeResult:
        lines = ["", *self.summary.lines()]
        if self.saved_to:
            lines.append(f"Saved: {self.saved_to}")
        text = Text("Session summary", "bold")
        text.append("\n".join(lines))
        yield Static(text, id="summary")
        yield Footer()
