"""Technique profiles (spec: "Technique profiles"): which cues apply and their limits.

The defaults are the spec's table. A user may override limits in a TOML file::

    [lymphatic]
    slow_down_above_spm = 30
    lighter_above_n = 8

    [effleurage]
    direction_rule = "any"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final


@dataclass(frozen=True)
class TechniqueProfile:
    """What a technique asks of the user.

    Attributes
    ----------
    name:
        Technique name as used in ``meta.json`` and events (``lymphatic`` …).
    direction_rule:
        ``"up"`` (strokes go toward the heart; ``switch_up`` applies) or ``"any"``.
    slow_down_above_spm:
        Cadence limit C in strokes/min for ``slow_down``; ``None`` where none applies.
    lighter_above_n:
        Force limit F in newtons for ``lighter``; ``None`` where none applies.
    basis:
        Where the numbers come from, said in the UI and docs.
    """

    name: str
    direction_rule: str
    slow_down_above_spm: float | None
    lighter_above_n: float | None
    basis: str

    @property
    def wants_upward(self) -> bool:
        return self.direction_rule == "up"


DEFAULT_PROFILES: Final[dict[str, TechniqueProfile]] = {
    p.name: p
    for p in (
        TechniqueProfile(
            "lymphatic",
            "up",
            36.0,
            10.0,
            "Vodder drainage: ~1 s pressure phase then release (textbook); very light, "
            "≈30 mmHg over ~25 cm² of fingers ≈ 10 N (derived)",
        ),
        TechniqueProfile(
            "effleurage",
            "up",
            60.0,
            None,
            "general wellness and post-exercise recovery; textbook effleurage 40–50 strokes/min",
        ),
        TechniqueProfile("warmup", "up", 70.0, None, "light, brisker pre-activity strokes"),
        TechniqueProfile("trigger_point", "any", None, None, "localized, multidirectional work"),
        TechniqueProfile(
            "cross_friction", "any", None, None, "perpendicular friction, fast by design"
        ),
        TechniqueProfile(
            "myofascial", "any", None, None, "slow sustained pressure along fascial lines"
        ),
        TechniqueProfile(
            "deep_tissue", "any", None, None, "strokes along the muscle, may run downward"
        ),
    )
}

DEFAULT_TECHNIQUE: Final = "lymphatic"

_OVERRIDABLE = {"direction_rule", "slow_down_above_spm", "lighter_above_n"}


class ProfileError(ValueError):
    """A technique name or a profile override that cannot be used."""


def get_profile(
    name: str, overrides: dict[str, TechniqueProfile] | None = None
) -> TechniqueProfile:
    """The profile called ``name``, from ``overrides`` first, then the defaults."""
    profiles = overrides if overrides is not None else DEFAULT_PROFILES
    try:
        return profiles[name]
    except KeyError:
        known = ", ".join(sorted(profiles))
        raise ProfileError(f"unknown technique {name!r} (known: {known})") from None


def load_profiles(path: Path) -> dict[str, TechniqueProfile]:
    """The default profiles with the overrides of a TOML file applied.

    A limit of ``0`` or ``false`` switches that cue off. Raises :class:`ProfileError` naming the
    file and key on anything it cannot use.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read technique profiles: {exc}") from None
    profiles = dict(DEFAULT_PROFILES)
    for name, table in data.items():
        if name not in profiles:
            raise ProfileError(f"{path}: unknown technique [{name}]")
        if not isinstance(table, dict):
            raise ProfileError(f"{path}: [{name}] must be a table")
        changes: dict[str, object] = {}
        for key, value in table.items():
            if key not in _OVERRIDABLE:
                raise ProfileError(
                    f"{path}: [{name}] {key}: not a setting ({sorted(_OVERRIDABLE)})"
                )
            if key == "direction_rule":
                if value not in ("up", "any"):
                    raise ProfileError(f"{path}: [{name}] direction_rule must be 'up' or 'any'")
                changes[key] = value
            elif value is False or value == 0:
                changes[key] = None
            elif isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                changes[key] = float(value)
            else:
                raise ProfileError(f"{path}: [{name}] {key} must be a positive number or false")
        profiles[name] = replace(profiles[name], **changes)  # type: ignore[arg-type]
    return profiles
