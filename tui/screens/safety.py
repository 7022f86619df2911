"""The safety screen shown before a session, acknowledged with a key once per day."""

from __future__ import annotations

from typing import ClassVar, Final

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

SAFETY_TEXT: Final = (
    "[b]Before you start[/b]\n\n"
    "Do [b]not[/b] massage a leg with: a blood clot (DVT) or suspected clot · an open wound · "
    "a skin infection · an unhealed fracture · acute pain, inflammation or injury. "
    "Around varicose veins work gently only. With a medical condition, ask a professional "
    "first.\n\n"
    "[b]Stop at once[/b] on sharp pain, numbness or tingling: press [b]q[/b] or [b]Esc[/b] at "
    "any time; the session ends immediately, no questions asked.\n\n"
    "Strokes for drainage, circulation and recovery go [b]up the leg, toward the heart[/b] "
    "(the vein and lymph valves open that way). Persistent pain or significant swelling: see a "
    "licensed massage or physical therapist.\n\n"
    "Press [b]Enter[/b] (or [b]y[/b]) to confirm you have read this; it will not be asked "
    "again today."
)


class SafetyScreen(Screen[bool]):
    """Contraindications and stop-on-pain advice; dismisses with ``True`` when acknowledged."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "acknowledge", "I have read this"),
        Binding("y", "acknowledge", "I have read this", show=False),
    ]

    DEFAULT_CSS = """
    SafetyScreen { align: center middle; }
    SafetyScreen VerticalScroll { width: 100%; max-width: 100; height: 1fr; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(SAFETY_TEXT, id="safety-text")
        yield Footer()

    def action_acknowledge(self) -> None:
        self.dismiss(True)
