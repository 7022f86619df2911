"""The technique picker: each profile's rules and limits, editable and saved for next time."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar, Final

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from analysis.techniques import DEFAULT_PROFILES, TechniqueProfile
from tui.config import UserConfig

LIMIT_BASIS: Final[dict[str, dict[str, str]]] = {
    "lymphatic": {
        "cadence": "derived from the textbook Vodder rhythm (~1 s pressure phase, then release)",
        "force": "derived: measured 16–34 mmHg (textbook/paper), 30 mmHg over ~25 cm² ≈ 10 N",
    },
    "effleurage": {
        "cadence": "derived: a margin above the textbook 40–50 strokes/min",
    },
    "warmup": {
        "cadence": "derived: project default for brisker pre-activity strokes (no textbook figure)",
    },
}
"""Which default numbers are textbook and which derived (domain notes, spec profile table)."""


def parse_limit(text: str) -> float | None:
    """A limit typed by the user: a positive number, or blank/``0``/``off`` for no limit.

    Raises ``ValueError`` with a message for the user otherwise.
    """
    cleaned = text.strip().lower()
    if cleaned in ("", "0", "off", "none", "-", "–"):
        return None
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"{text!r} must be a positive number (or blank for no limit)")
    return value


def _limit_words(value: float | None, unit: str, default: float | None, basis: str) -> str:
    words = "no limit" if value is None else f"{value:g} {unit}"
    if value != default:
        shown = "none" if default is None else f"{default:g}"
        return f"{words} (your setting; default {shown})"
    return f"{words} ({basis})" if basis and value is not None else words


def describe(profile: TechniqueProfile) -> Text:
    """What a technique asks, with where each number comes from."""
    default = DEFAULT_PROFILES.get(profile.name, profile)
    basis = LIMIT_BASIS.get(profile.name, {})
    rule = (
        "up the leg, toward the heart (cue: Switch to upward strokes)"
        if profile.wants_upward
        else "any direction"
    )
    text = Text()
    text.append(f"{profile.name}\n", "bold")
    text.append("Direction: ", "bold")
    text.append(rule + "\n")
    text.append("Slow down above: ", "bold")
    text.append(
        _limit_words(
            profile.slow_down_above_spm,
            "strokes/min",
            default.slow_down_above_spm,
            basis.get("cadence", ""),
        )
        + "\n"
    )
    text.append("Lighter above: ", "bold")
    text.append(
        _limit_words(profile.lighter_above_n, "N", default.lighter_above_n, basis.get("force", ""))
        + (" · needs a force sensor" if profile.lighter_above_n is not None else "")
        + "\n"
    )
    text.append("Basis: ", "bold")
    text.append(profile.basis)
    return text


class TechniqueScreen(Screen[TechniqueProfile]):
    """Pick a technique; edit its limits (saved to the user's ``techniques.toml``).

    Dismisses with the chosen (possibly edited) profile. Edits change ``profiles`` in place.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "Use technique"),
        Binding("d", "toggle_direction", "Direction rule"),
    ]

    DEFAULT_CSS = """
    TechniqueScreen #picker { height: 1fr; }
    TechniqueScreen OptionList { width: 22; height: 100%; }
    TechniqueScreen #detail-pane { width: 1fr; padding: 0 1; }
    TechniqueScreen #detail { height: auto; }
    TechniqueScreen .limit-row { height: 3; }
    TechniqueScreen .limit-row Label { width: 22; padding: 1 0 0 0; }
    TechniqueScreen .limit-row Input { width: 16; }
    TechniqueScreen #error { color: $error; height: 1; }
    """

    def __init__(
        self,
        profiles: dict[str, TechniqueProfile],
        config: UserConfig,
        current: str | None = None,
    ) -> None:
        super().__init__()
        self.profiles = profiles  # shared with the app: edits hold for the whole session
        self.config = config
        self.current = current if current in self.profiles else next(iter(self.profiles))

    def compose(self) -> ComposeResult:
        yield Static("Choose a technique  (↑/↓, Enter to start; edit limits on the right)")
        with Horizontal(id="picker"):
            yield OptionList(*(Option(name, id=name) for name in self.profiles), id="techniques")
            with Vertical(id="detail-pane"):
                yield Static(id="detail")
                with Horizontal(classes="limit-row"):
                    yield Label("Slow down above (spm)")
                    yield Input(id="cadence", placeholder="off")
                with Horizontal(classes="limit-row"):
                    yield Label("Lighter above (N)")
                    yield Input(id="force", placeholder="off")
                yield Static(id="error")
                yield Button("Use this technique", id="use", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = list(self.profiles).index(self.current)
        options.focus()
        self._show()

    @property
    def profile(self) -> TechniqueProfile:
        return self.profiles[self.current]

    def _show(self) -> None:
        profile = self.profile
        self.query_one("#detail", Static).update(describe(profile))
        for widget_id, value in (
            ("#cadence", profile.slow_down_above_spm),
            ("#force", profile.lighter_above_n),
        ):
            self.query_one(widget_id, Input).value = "" if value is None else f"{value:g}"
        self.query_one("#error", Static).update("")

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self.current = event.option.id
            self._show()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.current = event.option.id
        self.action_choose()

    @on(Input.Submitted)
    def _limit_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        field = "slow_down_above_spm" if event.input.id == "cadence" else "lighter_above_n"
        try:
            value = parse_limit(event.value)
        except ValueError as exc:
            self.query_one("#error", Static).update(str(exc))
            return
        self._change(**{field: value})
        self.query_one(OptionList).focus()

    @on(Button.Pressed, "#use")
    def _use(self) -> None:
        self.action_choose()

    def _change(self, **changes: object) -> None:
        self.profiles[self.current] = replace(self.profile, **changes)  # type: ignore[arg-type]
        self.config.save_profiles(self.profiles)
        self._show()

    def action_toggle_direction(self) -> None:
        self._change(direction_rule="any" if self.profile.wants_upward else "up")

    def action_choose(self) -> None:
        self.dismiss(self.profile)
