"""The big direction glyph: the last stroke's direction as a shape in block characters.

Each direction has its own silhouette (arrow up, arrow down, double arrow across, ring with an
arrowhead), so it reads without colour and from across the room.
"""

from __future__ import annotations

from typing import Final

from rich.text import Text
from textual.widgets import Static

GLYPH_WIDTH: Final = 15
GLYPH_HEIGHT: Final = 7

_GLYPHS: Final[dict[str, tuple[str, ...]]] = {
    "up": (
        "       █       ",
        "     █████     ",
        "   █████████   ",
        "  ███  █  ███  ",
        "       █       ",
        "       █       ",
        "       █       ",
    ),
    "down": (
        "       █       ",
        "       █       ",
        "       █       ",
        "  ███  █  ███  ",
        "   █████████   ",
        "     █████     ",
        "       █       ",
    ),
    "cross": (
        "               ",
        "   ██     ██   ",
        "  ██       ██  ",
        " █████████████ ",
        "  ██       ██  ",
        "   ██     ██   ",
        "               ",
    ),
    "circular": (
        "    ██████ ▄   ",
        "  ██      ███  ",
        " ██        ██▀ ",
        " ██         ██ ",
        " ██        ██  ",
        "  ██      ██   ",
        "    ██████     ",
    ),
    "unknown": (
        "    ███████    ",
        "   ██     ██   ",
        "         ██    ",
        "       ██      ",
        "       ██      ",
        "               ",
        "       ██      ",
    ),
    "none": (
        "               ",
        "               ",
        "               ",
        "   ·   ·   ·   ",
        "               ",
        "               ",
        "               ",
    ),
}

DIRECTION_WORDS: Final[dict[str, str]] = {
    "up": "UP · toward the heart",
    "down": "DOWN · away from the heart",
    "cross": "ACROSS the leg",
    "circular": "CIRCLE",
    "unknown": "unclear stroke",
    "none": "no stroke yet",
}


def glyph_lines(direction: str | None, scale: int = 1) -> tuple[str, ...]:
    """The block-character rows for ``direction`` (``None``: no stroke yet), each cell repeated
    ``scale`` times across and down (large terminals)."""
    rows = _GLYPHS.get(direction or "none", _GLYPHS["unknown"])
    if scale == 1:
        return rows
    wide = tuple("".join(ch * scale for ch in row) for row in rows)
    return tuple(row for row in wide for _ in range(scale))


class DirectionGlyph(Static):
    """Shows the last stroke's direction as a large glyph with its name underneath."""

    DEFAULT_CSS = """
    DirectionGlyph {
        width: 29;
        height: 9;
        content-align: center middle;
        text-align: center;
    }
    DirectionGlyph.-large {
        width: 40;
        height: 16;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.direction: str | None = None
        self.wanted: str | None = None
        self.scale = 1
        self._show(None, wanted=None)

    def _show(self, direction: str | None, wanted: str | None) -> None:
        # Colour repeats what the shape says (green when the stroke is what the technique
        # wants, yellow when not); the shape alone carries the meaning.
        ok = wanted is None or direction in (None, wanted)
        style = "bold green" if ok else "bold yellow"
        text = Text("\n".join(glyph_lines(direction, self.scale)), style=style)
        text.append("\n" + DIRECTION_WORDS.get(direction or "none", direction or ""), "bold")
        self.update(text, layout=False)

    def show_direction(self, direction: str | None, wanted: str | None = None) -> None:
        """Draw ``direction``; ``wanted`` is the technique's rule (``"up"``) or ``None``."""
        if direction == self.direction and wanted == self.wanted:
            return
        self.direction, self.wanted = direction, wanted
        self._show(direction, wanted)

    def set_scale(self, scale: int) -> None:
        """Draw each cell ``scale`` × ``scale`` (2 on large terminals)."""
        if scale != self.scale:
            self.scale = scale
            self.set_class(scale > 1, "-large")
            self._show(self.direction, self.wanted)
