"""Snapshot tests of the main screens at 80×24 and 160×50.

Deterministic and independent of tuning elsewhere: a synthetic signal and a scripted pipeline
(``ScriptedPipeline``: the pilot tests run the real simulator and classifier), a fixed day, no UI
timer (the tests tick the playback clock themselves), so nothing depends on wall time. Update with
``uv run pytest tests/tui/test_tui_snapshots.py --snapshot-update`` after checking the SVGs.
"""

from __future__ import annotations

import pytest

from tests.tui.conftest import ScriptedPipeline, build_app, play, scripted_session
from tui.screens import SessionScreen


@pytest.fixture
def simulated():  # type: ignore[no-untyped-def]
    """Shadows the real simulation: snapshots use the scripted session."""
    return scripted_session()


def _app(session, config, **kwargs):  # type: ignore[no-untyped-def]
    return build_app(session, config, pipeline_factory=ScriptedPipeline, **kwargs)


SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 50), id="160x50")]


@pytest.mark.parametrize("size", SIZES)
def test_safety_screen(snap_compare, simulated, private_config, size) -> None:
    assert snap_compare(_app(simulated, private_config, show_safety=True), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_technique_picker(snap_compare, simulated, private_config, size) -> None:
    assert snap_compare(_app(simulated, private_config, profile=None), terminal_size=size)


def test_calibration_screen(snap_compare, simulated, private_config) -> None:
    app = _app(simulated, private_config, calibration="known")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await play(app, pilot, simulated.calibration.onset_s + 4.0)

    assert snap_compare(app, run_before=run_before)


async def _until_cue(app, pilot) -> None:  # type: ignore[no-untyped-def]
    """Play until a cue is held (the moment the screen matters most), then one tick more."""
    while not app.feed.ended:
        view = app.tick(0.5)
        if view is not None and view.active_cues:
            break
    app.tick(0.5)
    await pilot.pause()
    assert isinstance(app.screen, SessionScreen)


@pytest.mark.parametrize("size", SIZES)
def test_session_screen_with_a_cue(snap_compare, simulated, private_config, size) -> None:
    app = _app(simulated, private_config)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _until_cue(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_replay_screen(snap_compare, simulated, private_config) -> None:
    app = _app(simulated, private_config, mode="replay")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await play(app, pilot, 30.0)
        await pilot.press("plus")

    assert snap_compare(app, run_before=run_before)


def test_summary_screen(snap_compare, simulated, private_config) -> None:
    app = _app(simulated, private_config)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await play(app, pilot, 1e9)

    assert snap_compare(app, run_before=run_before)
