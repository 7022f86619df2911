"""`massage-coach demo`: a simulated live session through the whole pipeline, no sensor needed.

The simulated user makes the mistakes the cues are for (downward runs, rushing, pressing too
hard); the session screen shows the cue words within a stroke and clears them when corrected.
The safety screen is skipped (nobody is touching a leg) and the calibration window of the
simulated session is known, so the calibration screen follows the pipeline's real progress.
"""

from __future__ import annotations

import argparse
from datetime import date

from tui.launch import positive_float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=3, help="seed of the simulated session")
    parser.add_argument(
        "--speed", type=positive_float, default=1.0, help="time lapse, 0.5 to 20 (default 1)"
    )
    parser.add_argument("--technique", help="technique the simulated user follows")
    parser.add_argument("--speak", action="store_true", help="speak cues with espeak-ng")


def run(args: argparse.Namespace) -> int:
    from tui.app import CoachApp, SessionPlan
    from tui.demo import demo_feed
    from tui.launch import check_speed, report, run_app, user_config

    speed = check_speed(args.speed)
    config = user_config()
    profiles = config.profiles()
    feed, make_controller, profile = demo_feed(
        seed=args.seed, speed=speed, technique=args.technique, profiles=profiles
    )
    plan = SessionPlan(
        mode="demo",
        profiles=profiles,
        profile=profile,
        calibration="known",
        config=config,
        today=date.today(),
        show_safety=False,
        speak=args.speak,
    )
    report(run_app(CoachApp(plan, feed, make_controller), feed.close), None)
    return 0
