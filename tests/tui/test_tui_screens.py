"""Pilot tests: every screen and every key of the coaching app, on a simulated session."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList

from analysis.pipeline import CalibrationStatus
from analysis.stages.limb_axis import PHASE_ADVICE
from analysis.techniques import DEFAULT_PROFILES, load_profiles
from firmware_bridge.recordings.model import RecordingMeta
from firmware_bridge.recordings.reader import read_recording
from firmware_bridge.recordings.writer import RecordingWriter
from tests.tui.conftest import TODAY, build_app, ctl, feed_of, play
from tui.config import UserConfig
from tui.screens import (
    CalibrationScreen,
    SafetyScreen,
    SessionScreen,
    SummaryScreen,
    TechniqueScreen,
)
from tui.session import CUE_WORDS, SUMMARY_FILE
from tui.widgets import CueBanner, DirectionGlyph, TextLine, axis_text

STOP_KEYS = ("q", "escape", "ctrl+c")


# -- safety -----------------------------------------------------------------------------------


async def test_safety_screen_comes_first_and_is_remembered_for_the_day(
    simulated, private_config: UserConfig
) -> None:
    app = build_app(simulated, private_config, show_safety=True)
    async with app.run_test() as pilot:
        assert isinstance(app.screen, SafetyScreen)
        text = str(app.screen.query_one("#safety-text").render())
        for phrase in ("blood clot", "open wound", "sharp pain", "numbness", "toward the heart"):
            assert phrase in text
        await pilot.press("enter")
        assert isinstance(app.screen, SessionScreen)
    assert private_config.safety_acknowledged(TODAY)

    again = build_app(simulated, private_config, show_safety=True)
    async with again.run_test():
        assert isinstance(again.screen, SessionScreen)

    tomorrow = build_app(simulated, private_config, show_safety=True, today=date(2026, 11, 24))
    async with tomorrow.run_test():
        assert isinstance(tomorrow.screen, SafetyScreen)


# -- technique picker -------------------------------------------------------------------------


async def test_picker_shows_rules_limits_and_basis(simulated, private_config) -> None:
    app = build_app(simulated, private_config, profile=None)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, TechniqueScreen)
        detail = str(screen.query_one("#detail").render())
        assert "toward the heart" in detail
        assert "36 strokes/min" in detail
        assert "10 N" in detail
        assert "derived" in detail
        assert "textbook" in detail
        await pilot.press("down")  # effleurage
        detail = str(screen.query_one("#detail").render())
        assert screen.current == "effleurage"
        assert "60 strokes/min" in detail
        assert "no limit" in detail
        for _ in range(3):
            await pilot.press("down")  # trigger_point, cross_friction, myofascial
        assert "any direction" in str(screen.query_one("#detail").render())


async def test_picker_edits_limits_saves_them_and_starts_with_them(
    simulated, private_config
) -> None:
    app = build_app(simulated, private_config, profile=None)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, TechniqueScreen)
        cadence = screen.query_one("#cadence", Input)
        cadence.value = "abc"
        cadence.focus()
        await pilot.press("enter")
        assert "not a number" in str(screen.query_one("#error").render())
        assert screen.profile.slow_down_above_spm == 36.0

        cadence.value = "30"
        cadence.focus()
        await pilot.press("enter")
        force = screen.query_one("#force", Input)
        force.value = ""
        force.focus()
        await pilot.press("enter")
        assert screen.profile.slow_down_above_spm == 30.0
        assert screen.profile.lighter_above_n is None
        assert "your setting" in str(screen.query_one("#detail").render())

        saved = load_profiles(private_config.techniques_path)["lymphatic"]
        assert (saved.slow_down_above_spm, saved.lighter_above_n) == (30.0, None)

        screen.query_one(OptionList).focus()
        await pilot.press("d")  # direction rule up -> any
        assert screen.profile.direction_rule == "any"
        await pilot.press("enter")
        assert isinstance(app.screen, SessionScreen)
        assert app.controller is not None
        assert ctl(app).profile.slow_down_above_spm == 30.0
        assert ctl(app).profile.direction_rule == "any"


# -- calibration ------------------------------------------------------------------------------


async def test_calibration_screen_follows_the_known_window(simulated, private_config) -> None:
    app = build_app(simulated, private_config, calibration="known")
    async with app.run_test() as pilot:
        assert isinstance(app.screen, CalibrationScreen)
        assert "three slow strokes toward your heart" in str(
            app.screen.query_one("#calibration-ask").render()
        )
        seen: list[int] = []
        window = simulated.calibration
        while isinstance(app.screen, CalibrationScreen) and feed_of(app).position_s < 60:
            view = app.tick(0.5)
            assert view is not None
            seen.append(view.calibration.strokes_seen)
            await pilot.pause()
        # The screen closed itself once the pipeline had learned the axis, after the window.
        assert isinstance(app.screen, SessionScreen)
        assert app.controller is not None
        assert ctl(app).view().calibration.state == "learned"
        assert feed_of(app).position_s >= window.onset_s
        assert max(seen) >= 3


async def test_live_calibration_opens_and_closes_the_pipeline_window(
    simulated, private_config
) -> None:
    app = build_app(simulated, private_config, calibration="live")
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, CalibrationScreen)
        assert app.controller is not None
        assert ctl(app).view().calibration.state == "collecting"
        # The simulated user makes slow upward strokes in their own calibration window.
        while isinstance(app.screen, CalibrationScreen) and feed_of(app).position_s < 90:
            app.tick(0.5)
            await pilot.pause()
        assert screen.status.state in ("learned", "failed")
        if screen.status.state == "failed":
            assert isinstance(app.screen, CalibrationScreen)
            assert "Press r to try again" in str(screen.query_one("#calibration-progress").render())
            await pilot.press("s")
        assert isinstance(app.screen, SessionScreen)


@pytest.fixture(scope="module")
def alike():  # type: ignore[no-untyped-def]
    """A simulated user whose returns glide back as slowly as the glides, with no lift, no force
    sensor and a 26 Hz sensor (no friction band): the pressed half cannot be told."""
    from analysis.simulation import simulate_session

    session = simulate_session(ALIKE_SEED, minutes=2.0, truth=False)
    conditions = session.conditions
    assert conditions["return_style"] == "gliding"
    assert conditions["symmetric"]
    assert not conditions["has_force"]
    assert conditions["rate_hz"] < 45
    return session


ALIKE_SEED = 13


async def test_live_calibration_advice_stays_up_until_the_user_chooses(
    alike, private_config
) -> None:
    app = build_app(alike, private_config, calibration="live")
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, CalibrationScreen)
        while screen.status.state == "collecting" and feed_of(app).position_s < 60:
            app.tick(0.5)
            await pilot.pause()
        assert screen.status.state == "learned"
        assert screen.status.advice
        # learned, yet the screen stays with the advice and the two ways on
        for _ in range(4):
            app.tick(0.5)
            await pilot.pause()
        assert app.screen is screen
        text = str(screen.query_one("#calibration-progress").render())
        assert "Axis learned" in text
        assert "glides and returns looked alike" in text
        assert "lift the hand a little on the way back" in text
        assert "Press r to calibrate again" in text
        await pilot.press("s")
        assert isinstance(app.screen, SessionScreen)
        app.tick(0.5)
        await pilot.pause()
        line = app.screen.query_one("#calibration", TextLine)
        axis_line = str(line.render())
        assert axis_line.endswith("learned from 3 strokes; glide ≈ return")
        assert len(axis_line) <= line.size.width  # the reminder is not cut off at 80 columns


async def test_a_clear_calibration_closes_without_advice(simulated, private_config) -> None:
    app = build_app(simulated, private_config, calibration="known")
    async with app.run_test() as pilot:
        while isinstance(app.screen, CalibrationScreen) and feed_of(app).position_s < 60:
            app.tick(0.5)
            await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        app.tick(0.5)
        await pilot.pause()
        assert ctl(app).view().calibration.advice == ""
        axis_line = str(app.screen.query_one("#calibration", TextLine).render())
        assert "learned from" in axis_line
        assert "alike" not in axis_line


@pytest.mark.parametrize(
    ("status", "line"),
    [
        (CalibrationStatus("learned", 5, "learned from 5 strokes"), "learned from 5 strokes"),
        (
            CalibrationStatus("learned", 3, "learned from 3 strokes", PHASE_ADVICE),
            "learned from 3 strokes; glide ≈ return",
        ),
        (
            CalibrationStatus(
                "failed",
                3,
                "saw 3 strokes one way but 1 back: make three slow strokes up the leg, bringing "
                "the hand back to the start after each",
            ),
            "failed: press c to calibrate again",
        ),
        (CalibrationStatus("collecting", 1, "make three slow strokes up the leg"), "learning (3"),
        (
            CalibrationStatus("collecting", 0, "no calibration: learning from the first strokes"),
            "learning from the first strokes",
        ),
        (CalibrationStatus("waiting"), "not learned yet"),
    ],
)
def test_the_axis_line_fits_its_fifty_columns_in_every_state(
    status: CalibrationStatus, line: str
) -> None:
    """The session screen's axis line has 50 columns on an 80-column terminal: the long whys of a
    failed calibration (cut off there before) live on the calibration screen."""
    text = axis_text(status)
    assert text.startswith("Axis     " + line)
    assert len(text) <= 50


# -- session ----------------------------------------------------------------------------------


async def test_cue_words_are_shown_while_held_and_ring_the_bell(simulated, private_config) -> None:
    app = build_app(simulated, private_config)
    async with app.run_test():
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        banner = screen.query_one(CueBanner)
        glyph = screen.query_one(DirectionGlyph)
        shown: set[str] = set()
        cleared_after_cue = False
        while not feed_of(app).ended and feed_of(app).position_s < simulated.samples.t_s[-1] - 1:
            view = app.tick(0.5)
            assert view is not None
            words = banner.words
            expected = [
                CUE_WORDS[c] for c in ("switch_up", "slow_down", "lighter") if c in view.active_cues
            ]
            if view.paused:
                continue
            if expected:
                assert words == "  ·  ".join(expected)
                shown.update(expected)
            else:
                assert not any(w in words for w in CUE_WORDS.values())
                cleared_after_cue = cleared_after_cue or bool(shown)
            if view.last_stroke is not None:
                assert glyph.direction == view.last_stroke.direction
        # The simulated user makes the mistakes; the pipeline must catch at least the
        # direction mistake, the banner must clear again, and every new cue rings once a tick.
        assert CUE_WORDS["switch_up"] in shown
        assert cleared_after_cue
        assert app.bells >= 1
        assert app.bells <= len(ctl(app).cues)


async def test_pause_stops_playback_and_mutes_until_resumed(simulated, private_config) -> None:
    app = build_app(simulated, private_config)
    async with app.run_test() as pilot:
        await play(app, pilot, 20)
        await pilot.press("space")
        assert ctl(app).paused
        assert "Paused" in app.screen.query_one(CueBanner).words
        position, bells = feed_of(app).position_s, app.bells
        for _ in range(20):
            app.tick(0.5)
        assert feed_of(app).position_s == position  # a playback holds still while paused
        assert app.bells == bells
        await pilot.press("p")
        assert not ctl(app).paused
        await play(app, pilot, 30)
        assert feed_of(app).position_s >= 30
        assert "Paused" not in app.screen.query_one(CueBanner).words


async def test_mark_key_writes_a_mark_event_into_the_recording(
    simulated, private_config, tmp_path: Path
) -> None:
    rec = tmp_path / "rec"

    def writer(profile):  # type: ignore[no-untyped-def]
        meta = RecordingMeta(sample_rate_hz=simulated.sample_rate_hz, technique=profile.name)
        return RecordingWriter(rec, meta, has_gyro=simulated.samples.has_gyro, has_force=True)

    app = build_app(simulated, private_config, writer_factory=writer, record_dir=rec)
    async with app.run_test() as pilot:
        await play(app, pilot, 15)
        await pilot.press("m")
        mark_t = ctl(app).marks[-1]
        await play(app, pilot, 30)
        await pilot.press("q")
    recording = read_recording(rec)
    assert recording.meta.complete
    events = (rec / "events.csv").read_text(encoding="utf-8").splitlines()
    header = events[0].split(",")
    marks = [row.split(",") for row in events[1:] if ",mark," in f",{row},"]
    assert len(marks) == 1
    assert float(marks[0][header.index("onset")]) == pytest.approx(mark_t, abs=1e-3)
    summary = json.loads((rec / SUMMARY_FILE).read_text(encoding="utf-8"))
    assert summary["marks"] == [pytest.approx(mark_t, abs=1e-3)]


async def test_change_technique_mid_session(simulated, private_config) -> None:
    app = build_app(simulated, private_config)
    async with app.run_test(size=(100, 30)) as pilot:
        await play(app, pilot, 10)
        await pilot.press("t")
        assert isinstance(app.screen, TechniqueScreen)
        assert app.screen.current == "lymphatic"
        await pilot.press("down", "down", "down")  # trigger_point
        await pilot.press("enter")
        assert isinstance(app.screen, SessionScreen)
        assert ctl(app).profile.name == "trigger_point"
        assert "trigger_point" in app.screen.query_one("#title", TextLine).plain
        await play(app, pilot, 120)
        # trigger_point has no rules: no cue of its own after the switch
        assert not ctl(app).view().active_cues


async def test_recalibrate_key_opens_live_calibration(simulated, private_config) -> None:
    app = build_app(simulated, private_config, mode="live")
    async with app.run_test() as pilot:
        await play(app, pilot, 5)
        await pilot.press("c")
        assert isinstance(app.screen, CalibrationScreen)
        assert app.screen.live
        assert ctl(app).view().calibration.state == "collecting"
        await pilot.press("s")
        assert isinstance(app.screen, SessionScreen)


@pytest.mark.parametrize(
    ("where", "key"),
    [
        *(("session", key) for key in STOP_KEYS),
        ("safety", "escape"),
        ("picker", "ctrl+c"),
        ("calibration", "q"),
    ],
)
async def test_stop_ends_at_once_from_every_screen(
    simulated, private_config, tmp_path: Path, key: str, where: str
) -> None:
    rec = tmp_path / "rec"

    def writer(profile):  # type: ignore[no-untyped-def]
        meta = RecordingMeta(sample_rate_hz=simulated.sample_rate_hz, technique=profile.name)
        return RecordingWriter(rec, meta, has_gyro=simulated.samples.has_gyro, has_force=True)

    app = build_app(
        simulated,
        private_config,
        show_safety=where == "safety",
        profile=None if where == "picker" else DEFAULT_PROFILES["lymphatic"],
        calibration="known" if where == "calibration" else "none",
        writer_factory=writer,
        record_dir=rec,
    )
    async with app.run_test() as pilot:
        if where in ("session", "calibration"):
            await play(app, pilot, {"session": 8, "calibration": 3}[where])
        expected = {
            "safety": SafetyScreen,
            "picker": TechniqueScreen,
            "calibration": CalibrationScreen,
            "session": SessionScreen,
        }[where]
        assert isinstance(app.screen, expected)
        await pilot.press(key)
        await pilot.pause()
        assert app.return_value is not None or where in ("safety", "picker")
    assert not app.is_running
    if where in ("session", "calibration"):
        # Everything recorded up to the stop is on disk, closed cleanly.
        recording = read_recording(rec)
        assert recording.meta.complete
        assert len(recording.samples) == ctl(app).summary().samples
        assert (rec / SUMMARY_FILE).is_file()


async def test_summary_screen_when_the_session_plays_out(simulated, private_config) -> None:
    app = build_app(simulated, private_config)
    async with app.run_test() as pilot:
        await play(app, pilot, 1e9)
        assert isinstance(app.screen, SummaryScreen)
        text = str(app.screen.query_one("#summary").render())
        summary = ctl(app).summary()
        assert f"Strokes: {summary.strokes}" in text
        assert "Upward share" in text
        assert "Cadence" in text
        assert "Cues issued" in text
        assert summary.strokes == len(ctl(app).strokes) > 20
        await pilot.press("q")  # the stop key works on the summary screen too
    assert not app.is_running
    assert app.return_value == summary


# -- replay -----------------------------------------------------------------------------------


async def test_replay_speed_pause_and_seek(simulated, private_config) -> None:
    app = build_app(simulated, private_config, mode="replay")
    async with app.run_test(size=(100, 30)) as pilot:
        feed = feed_of(app)
        await pilot.press("plus")
        assert feed.speed == 2.0
        await pilot.press("minus", "minus", "minus")
        assert feed.speed == 0.5
        for _ in range(10):
            await pilot.press("plus")
        assert feed.speed == 20.0
        app.tick(0.5)
        assert feed.position_s == pytest.approx(10.0 + feed.start_s, abs=0.05)
        await pilot.press("space")
        app.tick(0.5)
        assert feed.position_s == pytest.approx(10.0 + feed.start_s, abs=0.05)
        await pilot.press("space")

        await pilot.press("right", "right", "right", "right", "right", "right")
        at_70 = ctl(app).view()
        assert at_70.t_s == pytest.approx(feed.start_s + 70, abs=0.1)
        strokes_at_70 = ctl(app).strokes
        await pilot.press("left", "left")
        assert ctl(app).view().t_s <= feed.start_s + 50.1
        await pilot.press("right", "right")
        # Causal pipeline replayed from the start: the same strokes as the first time through.
        assert ctl(app).strokes == strokes_at_70
        assert "1:1" in app.screen.query_one("#replay", TextLine).plain  # 1:10 / ...
        await pilot.press("home")
        assert ctl(app).view().stroke_count == 0


async def test_replay_keys_do_nothing_live(simulated, private_config) -> None:
    app = build_app(simulated, private_config, mode="live")
    async with app.run_test() as pilot:
        await play(app, pilot, 5)
        position = feed_of(app).position_s
        await pilot.press("right", "plus")
        assert feed_of(app).position_s == position
        assert feed_of(app).speed == 1.0
