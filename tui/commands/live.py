"""`massage-coach live`: a live coaching session from a sensor, a phone or the simulated sensor."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date
from pathlib import Path

from tui.errors import UsageError
from tui.launch import positive_float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--device", metavar="NAME|ADDRESS", help="a BLE sensor by name or address")
    where.add_argument("--source", metavar="URL", help="a phone or network source")
    where.add_argument("--simulate", action="store_true", help="the simulated sensor")
    parser.add_argument("--profile", help="device profile (e.g. polar-pmd) when not detected")
    parser.add_argument("--technique", help="technique to coach (skips the picker)")
    parser.add_argument("--record", type=Path, metavar="DIR", help="record the session here")
    parser.add_argument("--headless", action="store_true", help="one line per stroke and cue")
    parser.add_argument(
        "--duration", type=positive_float, metavar="S", help="end after S seconds (wall time)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated sensor")
    parser.add_argument(
        "--rate-hz", type=positive_float, metavar="HZ", help="wanted sample rate of the source"
    )
    parser.add_argument("--speak", action="store_true", help="speak cues with espeak-ng")
    parser.add_argument(
        "--no-calibration", action="store_true", help="skip the three calibration strokes"
    )


def run(args: argparse.Namespace) -> int:
    from tui.launch import (
        check_record_dir,
        controller_factory,
        default_profile,
        open_live_source,
        report,
        resolve_profile,
        user_config,
    )

    if not (args.device or args.source or args.simulate):
        raise UsageError("choose a source: --device NAME|ADDRESS, --source URL or --simulate")
    check_record_dir(args.record)
    config = user_config()
    profiles = config.profiles()
    profile = resolve_profile(args.technique, profiles)
    source = open_live_source(
        device=args.device,
        url=args.source,
        simulate=args.simulate,
        profile=args.profile,
        seed=args.seed,
        technique=args.technique,
        rate_hz=args.rate_hz,
    )
    make_controller = controller_factory(source.info, record_dir=args.record, calibration=None)
    if args.headless:
        from tui.headless import run_live

        controller = make_controller(profile or default_profile(None, profiles))
        asyncio.run(
            run_live(
                controller,
                source,
                duration_s=args.duration,
                record_dir=args.record,
                calibrate=not args.no_calibration,
            )
        )
        return 0

    from tui.app import CoachApp, SessionPlan
    from tui.feeds import SourceFeed
    from tui.launch import run_app

    feed = SourceFeed(source)
    plan = SessionPlan(
        mode="live",
        profiles=profiles,
        profile=profile,
        calibration="none" if args.no_calibration else "live",
        config=config,
        today=date.today(),
        record_dir=args.record,
        speak=args.speak,
        duration_s=args.duration,
    )
    app = CoachApp(plan, feed, make_controller)
    summary = run_app(app, feed.close)
    report(summary, args.record)
    return 0
