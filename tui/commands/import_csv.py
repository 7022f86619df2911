"""``massage-coach import CSV OUT_DIR``: bring a generic IMU log into recording format v1.

For researchers and makers with their own loggers: the columns are found by name and unit
(``Time (s)``, ``Gyroscope X (deg/s)``, ``Accelerometer X (g)`` …), converted to SI units.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis.techniques import get_profile
from tui.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("csv", type=Path, metavar="CSV", help="the IMU log to convert")
    parser.add_argument(
        "out", type=Path, metavar="OUT_DIR", help="the recording directory to write"
    )
    parser.add_argument(
        "--rate", type=float, metavar="HZ", help="nominal sample rate (default: measured)"
    )
    parser.add_argument("--technique", help="technique profile to note in meta.json")
    parser.add_argument("--gz", action="store_true", help="write samples.csv.gz")


def run(args: argparse.Namespace) -> int:
    from firmware_bridge.recordings.imu_csv import import_imu_csv

    if args.out.exists() and any(args.out.iterdir()):
        raise UsageError(f"{args.out}: exists and is not empty; choose a new directory")
    if args.rate is not None and not args.rate > 0:
        raise UsageError(f"--rate must be positive, not {args.rate}")
    if args.technique is not None:
        get_profile(args.technique)
    path = import_imu_csv(
        args.csv, args.out, sample_rate_hz=args.rate, technique=args.technique, compress=args.gz
    )
    print(f"wrote {path}")
    return 0
