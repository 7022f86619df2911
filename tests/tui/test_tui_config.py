"""The user's config dir: safety acknowledged per day, technique overrides written and read."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from analysis.techniques import DEFAULT_PROFILES, ProfileError, load_profiles
from tui.config import UserConfig, config_dir


def test_config_dir_follows_xdg_config_home(tmp_path: Path) -> None:
    assert config_dir() == tmp_path / "xdg" / "massage-coach"


def test_config_dir_defaults_to_dot_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert config_dir() == Path.home() / ".config" / "massage-coach"


def test_safety_acknowledgement_holds_for_the_day_only(private_config: UserConfig) -> None:
    day = date(2026, 11, 23)
    assert not private_config.safety_acknowledged(day)
    private_config.acknowledge_safety(day)
    assert private_config.safety_acknowledged(day)
    assert not private_config.safety_acknowledged(date(2026, 11, 24))
    # A fresh reader of the same directory sees it too (it is on disk, not in memory).
    assert UserConfig(private_config.directory).safety_acknowledged(day)


def test_damaged_safety_file_means_not_acknowledged(private_config: UserConfig) -> None:
    private_config.directory.mkdir(parents=True)
    (private_config.directory / "safety.json").write_text("{not json", encoding="utf-8")
    assert not private_config.safety_acknowledged(date(2026, 11, 23))


def test_edited_limits_round_trip_through_the_toml_loader(private_config: UserConfig) -> None:
    profiles = dict(DEFAULT_PROFILES)
    profiles["lymphatic"] = replace(
        profiles["lymphatic"], slow_down_above_spm=30.0, lighter_above_n=None
    )
    profiles["deep_tissue"] = replace(profiles["deep_tissue"], direction_rule="up")
    private_config.save_profiles(profiles)
    # Read back by the project's own loader, as the next session will.
    assert load_profiles(private_config.techniques_path) == profiles
    assert private_config.profiles() == profiles


def test_no_overrides_file_gives_the_defaults(private_config: UserConfig) -> None:
    assert private_config.profiles() == DEFAULT_PROFILES


def test_bad_overrides_file_is_a_profile_error(private_config: UserConfig) -> None:
    private_config.directory.mkdir(parents=True)
    private_config.techniques_path.write_text("[lymphatic]\nlighter_above_n = -3\n")
    with pytest.raises(ProfileError, match="lighter_above_n"):
        private_config.profiles()
