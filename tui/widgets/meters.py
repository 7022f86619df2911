"""Meters of the session screen: cadence against the band, force bar, upward share, strokes."""

from __future__ import annotations

from typing import Final

from rich.text import Text
from textual.widgets import Static

from analysis.events import Stroke
from analysis.pipeline import AUTO_CALIBRATION_MESSAGE, CalibrationStatus
from analysis.techniques import TechniqueProfile
from tui.session import SourceStatus

BAR_WIDTH: Final = 16
SLOW_DOWN_FACTOR: Final = 1.25
"""The spec owes ``slow_down`` above 1.25 × the cadence limit; the bar marks both."""

STROKE_MARKS: Final[dict[str, str]] = {
    "up": "↑",
    "down": "↓",
    "cross": "↔",
    "circular": "↻",
}


def bar(fraction: float, width: int = BAR_WIDTH, marks: tuple[float, ...] = ()) -> str:
    """A text bar filled to ``fraction`` (clipped to 0…1) with ``│`` at each mark fraction."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    cells = ["█" if i < filled else "░" for i in range(width)]
    for mark in marks:
        i = min(width - 1, max(0, round(mark * width)))
        cells[i] = "│" if i >= filled else "┃"
    return "".join(cells)


def cadence_text(cadence_spm: float | None, profile: TechniqueProfile) -> Text:
    """``Cadence  42 spm  ███░│… limit 36 · fast`` (band word as well as colour)."""
    value = "  – " if cadence_spm is None else f"{cadence_spm:4.0f}"
    limit = profile.slow_down_above_spm
    text = Text(f"Cadence  {value} spm ")
    if limit is None:
        text.append("(no cadence limit)", "dim")
        return text
    scale = 2.0 * limit
    fraction = 0.0 if cadence_spm is None else cadence_spm / scale
    if cadence_spm is None:
        word, style = "", ""
    elif cadence_spm > SLOW_DOWN_FACTOR * limit:
        word, style = "too fast", "bold red"
    elif cadence_spm > limit:
        word, style = "fast", "yellow"
    else:
        word, style = "in band", "green"
    text.append(bar(fraction, marks=(limit / scale, SLOW_DOWN_FACTOR * limit / scale)), style)
    text.append(f" ≤{limit:.0f} {word}")
    return text


def force_text(force_n: float | None, profile: TechniqueProfile, has_force: bool) -> Text:
    """``Force    7.1 N  ███░│… limit 10 N``; says so when the sensor has no force channel."""
    if not has_force:
        return Text("Force    (no force sensor)", "dim")
    value = "  – " if force_n is None else f"{force_n:4.1f}"
    limit = profile.lighter_above_n
    text = Text(f"Force    {value} N   ")
    scale = 2.0 * limit if limit is not None else 30.0
    fraction = 0.0 if force_n is None else force_n / scale
    over = limit is not None and force_n is not None and force_n > limit
    text.append(
        bar(fraction, marks=(limit / scale,) if limit is not None else ()),
        "bold red" if over else "green",
    )
    if limit is None:
        text.append(" (no force limit)", "dim")
    else:
        text.append(f" ≤{limit:.0f} N" + (" too firm" if over else ""))
    return text


def share_text(share: float | None, linear_count: int, profile: TechniqueProfile) -> Text:
    """``Upward    75 %  ███░… of 12 up/down strokes, 2 min``."""
    value = "  – " if share is None else f"{100 * share:4.0f}"
    text = Text(f"Upward   {value} %   ")
    low = profile.wants_upward and share is not None and share < 0.8
    text.append(bar(share or 0.0), "yellow" if low else "green")
    text.append(f" of {linear_count} (2 min)")
    return text


def axis_text(status: CalibrationStatus) -> str:
    """``Axis     learned from 3 strokes``: the calibration's state in the 50 columns the line
    has on an 80-column screen. The whys of a failure, and the advice after a calibration whose
    glides and returns looked alike, were on the calibration screen in full; here they are a
    reminder (and ``c`` calibrates again)."""
    if status.state == "learned":
        text = status.message or "learned"
        return f"Axis     {text}" + ("; glide ≈ return" if status.advice else "")
    if status.state == "failed":
        return "Axis     failed: press c to calibrate again"
    if status.state == "collecting":
        # a recording without a window learns from its first strokes; a live window asks
        auto = status.message == AUTO_CALIBRATION_MESSAGE
        return "Axis     learning " + ("from the first strokes" if auto else "(3 slow strokes)")
    return "Axis     not learned yet"


def strip_text(strokes: tuple[Stroke, ...], width: int) -> Text:
    """The recent strokes as arrows, newest on the right."""
    text = Text("Recent   ")
    room = max(1, (width - len(text)) // 2)
    for stroke in strokes[-room:]:
        mark = STROKE_MARKS.get(stroke.direction, "?")
        text.append(mark + " ", "bold yellow" if stroke.direction == "down" else "bold")
    return text


class TextLine(Static):
    """A one-line :class:`Static` that skips the refresh when its text did not change."""

    DEFAULT_CSS = """
    TextLine { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.plain = ""

    def set_text(self, text: Text | str) -> None:
        plain = text.plain if isinstance(text, Text) else text
        if plain == self.plain:
            return
        self.plain = plain
        # The line's size is fixed: skipping the layout pass keeps a text change from
        # redrawing the whole screen (the UI timer may change a line 30 times a second).
        self.update(text, layout=False)


def source_text(source: SourceStatus, t_s: float, dropped_samples: int) -> Text:
    """``t 1:23 │ Polar Sense │ connected │ 200 Hz (199.8) │ lost 0 │ reconnects 0``.

    The rate in brackets is the one measured from the samples received.
    """
    minutes, seconds = divmod(int(t_s), 60)
    # Whole hertz: a rate that flickers in its decimals would redraw the line at every tick.
    measured = "" if source.measured_rate_hz is None else f" ({source.measured_rate_hz:.0f})"
    text = Text(f"t {minutes}:{seconds:02d} │ {source.name} │ ")
    if source.connected:
        text.append("connected")
    else:
        text.append("DISCONNECTED", "bold red")
    text.append(f" │ {source.nominal_rate_hz:.0f} Hz{measured}")
    text.append(f" │ lost {source.lost_samples} │ reconnects {source.reconnects}")
    if source.corrupt_packets:
        text.append(f" │ corrupt {source.corrupt_packets}")
    if dropped_samples:
        text.append(f" │ rejected {dropped_samples}")
    if source.last_error:
        text.append(f" │ {source.last_error}", "red")
    return text
