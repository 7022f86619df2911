"""The user's configuration directory: safety acknowledgement and technique overrides.

Lives in ``$XDG_CONFIG_HOME/massage-coach/`` (``~/.config/massage-coach/`` when the variable is
unset). Two files:

``safety.json``
    ``{"acknowledged_on": "YYYY-MM-DD"}``: the day the user last read and accepted the safety
    screen; the screen is shown again on another day.
``techniques.toml``
    Technique limit overrides in the format of :func:`analysis.techniques.load_profiles`; the
    technique picker writes it when the user edits a limit.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Final

from analysis.techniques import DEFAULT_PROFILES, TechniqueProfile, load_profiles

APP_DIR_NAME: Final = "massage-coach"
SAFETY_FILE: Final = "safety.json"
TECHNIQUES_FILE: Final = "techniques.toml"


def config_dir() -> Path:
    """The directory holding this user's massage-coach settings (not created here)."""
    base = os.environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base.strip() else Path.home() / ".config"
    return root / APP_DIR_NAME


class UserConfig:
    """Reads and writes the settings in one configuration directory.

    Parameters
    ----------
    directory:
        The configuration directory; :func:`config_dir` when ``None``.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else config_dir()

    @property
    def techniques_path(self) -> Path:
        return self.directory / TECHNIQUES_FILE

    def safety_acknowledged(self, today: date) -> bool:
        """Whether the safety screen was acknowledged on ``today``. A damaged file counts as no."""
        try:
            data = json.loads((self.directory / SAFETY_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and data.get("acknowledged_on") == today.isoformat()

    def acknowledge_safety(self, today: date) -> None:
        """Remember that the user accepted the safety screen on ``today``."""
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = {"acknowledged_on": today.isoformat()}
        (self.directory / SAFETY_FILE).write_text(json.dumps(payload) + "\n", encoding="utf-8")

    def profiles(self) -> dict[str, TechniqueProfile]:
        """The technique profiles with this user's overrides applied.

        Raises :class:`analysis.techniques.ProfileError` when the overrides file is unusable, so
        the command line reports it in one line.
        """
        if self.techniques_path.is_file():
            return load_profiles(self.techniques_path)
        return dict(DEFAULT_PROFILES)

    def save_profiles(self, profiles: dict[str, TechniqueProfile]) -> None:
        """Write the limits that differ from the defaults to ``techniques.toml``.

        A limit switched off is written as ``false`` (what :func:`load_profiles` reads back as
        ``None``).
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        self.techniques_path.write_text(overrides_toml(profiles), encoding="utf-8")


def _toml_limit(value: float | None) -> str:
    return "false" if value is None else repr(float(value))


def overrides_toml(profiles: dict[str, TechniqueProfile]) -> str:
    """The TOML text that turns :data:`DEFAULT_PROFILES` into ``profiles`` (only what differs)."""
    lines = ["# massage-coach technique overrides (written by the technique picker)"]
    for name, default in DEFAULT_PROFILES.items():
        profile = profiles.get(name, default)
        changes: list[str] = []
        if profile.direction_rule != default.direction_rule:
            changes.append(f'direction_rule = "{profile.direction_rule}"')
        if profile.slow_down_above_spm != default.slow_down_above_spm:
            changes.append(f"slow_down_above_spm = {_toml_limit(profile.slow_down_above_spm)}")
        if profile.lighter_above_n != default.lighter_above_n:
            changes.append(f"lighter_above_n = {_toml_limit(profile.lighter_above_n)}")
        if changes:
            lines += ["", f"[{name}]", *changes]
    return "\n".join(lines) + "\n"
