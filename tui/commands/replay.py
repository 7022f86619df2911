"""`massage-coach replay REC_DIR`: a recording on the session screen, or as lines (--headless).

The recording runs through the same causal pipeline in the same small chunks as a live session,
so the screen shows what the live session showed.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from analysis.techniques import TechniqueProfile
from tui.launch import positive_float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rec_dir", type=Path, metavar="REC_DIR", help="a recording directory")
    parser.add_argument(
        "--speed", type=positive_float, default=1.0, help="playback speed, 0.5 to 20 (default 1)"
    )
    parser.add_argument("--headless", action="store_true", help="one line per stroke and cue")
    parser.add_argument("--technique", help="coach this technique instead of the recorded one")


def run(args: argparse.Namespace) -> int:
    from firmware_bridge.recordings.reader import read_recording
    from tui.feeds import PlaybackFeed
    from tui.launch import check_speed, default_profile, resolve_profile, user_config
    from tui.session import SessionController, SourceStatus

    speed = check_speed(args.speed)
    recording = read_recording(args.rec_dir)
    meta = recording.meta
    config = user_config()
    profiles = config.profiles()
    profile = resolve_profile(args.technique, profiles) or default_profile(meta.technique, profiles)
    device = meta.device if isinstance(meta.device, dict) else {}
    status = SourceStatus(
        name=f"{recording.name} ({device.get('name', 'recording')})",
        profile=str(device.get("profile", "recording")),
        nominal_rate_hz=meta.sample_rate_hz,
        lost_samples=0,
        connected=True,
    )
    feed = PlaybackFeed(recording.samples, status, speed=speed, gaps=meta.gaps)

    def make_controller(chosen: TechniqueProfile) -> SessionController:
        return SessionController(
            chosen,
            meta.sample_rate_hz,
            status,
            calibration=meta.calibration,
            has_force=recording.samples.has_force,
        )

    if args.headless:
        from tui.headless import run_playback

        run_playback(make_controller(profile), feed)
        return 0

    from tui.app import CoachApp, SessionPlan
    from tui.launch import report, run_app

    plan = SessionPlan(
        mode="replay",
        profiles=profiles,
        profile=profile,
        calibration="none",
        config=config,
        today=date.today(),
        show_safety=False,
    )
    report(run_app(CoachApp(plan, feed, make_controller)), None)
    return 0
