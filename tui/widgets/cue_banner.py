"""The cue banner: the one thing to change, in words, held while its condition holds."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.session import CUE_ORDER, CUE_WORDS


class CueBanner(Static):
    """Shows every held cue in :data:`CUE_ORDER`, or a calm line when none holds."""

    DEFAULT_CSS = """
    CueBanner {
        height: 3;
        border: heavy $secondary;
        content-align: center middle;
        text-align: center;
        text-style: bold;
    }
    CueBanner.-cue {
        border: heavy $warning;
        background: $warning 20%;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.key: tuple[object, ...] | None = None
        self.set_state(frozenset(), idle="Waiting for strokes…")

    @property
    def words(self) -> str:
        return str(self.render())

    def set_state(self, active: frozenset[str], *, idle: str, paused: bool = False) -> None:
        """Show the held cues ``active`` (cue names); ``idle`` when none; a pause note first."""
        key = (active, idle, paused)
        if key == self.key:
            return
        self.key = key
        if paused:
            self.set_class(False, "-cue")
            self.update(Text("Paused: coaching muted (space resumes)"), layout=False)
            return
        names = [c for c in CUE_ORDER if c in active] + sorted(active - set(CUE_ORDER))
        self.set_class(bool(names), "-cue")
        if names:
            self.update(Text("  ·  ".join(CUE_WORDS.get(n, n) for n in names)), layout=False)
        else:
            self.update(Text(idle), layout=False)
