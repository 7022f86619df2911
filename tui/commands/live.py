"""`massage-coach live`: a live coaching session from a sensor, a phone or the simulated sensor."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import UsageError
from tui.launch import positive_float

if TYPE_CHECKING:
    from firmware_bridge.source import SampleSource
    from tui.session import FeedbackSink


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
    parser.add_argument(
        "--device-feedback",
        action="store_true",
        help="with --device: show the coaching on the sensor too (micro:bit arrows, "
        "Thingy:52 LED green/red, open-profile feedback code)",
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
    if args.device_feedback and not args.device:
        raise UsageError("--device-feedback needs --device: only a BLE sensor can show feedback")
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
    feedback = device_feedback(source) if args.device_feedback else None
    make_controller = controller_factory(
        source.info, record_dir=args.record, calibration=None, feedback=feedback
    )
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
                feedback=feedback,
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

    async def close() -> None:
        # The last feedback write ends before the source disconnects.
        if feedback is not None:
            await feedback.aclose()
        await feed.close()

    summary = run_app(app, close)
    report(summary, args.record)
    return 0


def device_feedback(source: SampleSource) -> FeedbackSink | None:
    """The sensor's own display for ``--device-feedback``; ``None`` (said on stderr) when the
    sensor has none."""
    from firmware_bridge.ble.feedback import FEEDBACK_PROFILES, feedback_for

    feedback = feedback_for(source)
    if feedback is None:
        sys.stderr.write(
            f"--device-feedback: {source.info.profile} sensors cannot show feedback "
            f"(only {', '.join(FEEDBACK_PROFILES)}); coaching shows on screen only\n"
        )
    return feedback
