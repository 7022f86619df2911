"""Widgets of the session screen."""

from tui.widgets.cue_banner import CueBanner
from tui.widgets.glyph import DirectionGlyph, glyph_lines
from tui.widgets.meters import (
    TextLine,
    axis_text,
    bar,
    cadence_text,
    force_text,
    share_text,
    source_text,
    strip_text,
)

__all__ = [
    "CueBanner",
    "DirectionGlyph",
    "TextLine",
    "axis_text",
    "bar",
    "cadence_text",
    "force_text",
    "glyph_lines",
    "share_text",
    "source_text",
    "strip_text",
]
