"""``massage-coach simulate OUT_DIR``: write simulated, labelled recordings in format v1.

Recording ``i`` of ``--n`` is ``OUT_DIR/sim-<seed>-<i:03d>`` (``--flat``: ``OUT_DIR`` itself, for
one recording) and is simulated with a seed derived from ``(seed, i)``, so the same command writes
the same bytes and ``--n 5`` holds the first recordings of ``--n 10``. Every simulated condition is
written to ``meta.json`` under ``"simulation"``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from tui.errors import UsageError

POSTURE_CHOICES = ("seated_extended", "foot_on_chair", "standing", "lying_leg_raised")
DEVICE_CHOICES = ("polar-verity", "thingy52", "witmotion", "microbit", "phone")
RETURN_CHOICES = ("lifted", "gliding", "mixed")


def recording_seed(seed: int, index: int) -> int:
    """The simulation seed of recording ``index`` of a run started with ``seed``."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def _whole_number(minimum: int) -> Callable[[str], int]:
    """argparse type: a whole number ≥ ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    return parse


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _condition(item: str) -> tuple[str, object]:
    """``KEY=VALUE`` of ``--condition``: VALUE as JSON (``true``, ``10``, ``null``) or a word."""
    key, sep, text = item.partition("=")
    if not sep or not key:
        raise UsageError(f"--condition wants KEY=VALUE, not {item!r}")
    try:
        value: object = json.loads(text)
    except json.JSONDecodeError:
        value = text
    return key.strip(), value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="where to write")
    parser.add_argument("--n", type=_whole_number(1), default=1, help="how many recordings (1)")
    parser.add_argument("--seed", type=_whole_number(0), default=0, help="base seed (0)")
    parser.add_argument("--minutes", type=_number, default=2.0, help="length of each (2.0)")
    parser.add_argument(
        "--technique", default=None, help="technique profile (default: drawn per recording)"
    )
    parser.add_argument(
        "--rate", type=_number, default=None, metavar="HZ", help="sample rate, 20–500 Hz"
    )
    parser.add_argument("--posture", choices=POSTURE_CHOICES, default=None)
    parser.add_argument("--device", choices=DEVICE_CHOICES, default=None)
    parser.add_argument("--return-style", choices=RETURN_CHOICES, default=None)
    force = parser.add_mutually_exclusive_group()
    force.add_argument(
        "--force",
        dest="force",
        action="store_true",
        default=None,
        help="give every recording a force channel",
    )
    force.add_argument("--no-force", dest="force", action="store_false", help="no force channel")
    parser.add_argument(
        "--acc-only", action="store_true", help="accelerometer only (no gyro columns)"
    )
    parser.add_argument(
        "--ideal", action="store_true", help="no sensor noise, bias, drift, jitter or packet loss"
    )
    parser.add_argument("--no-loss", action="store_true", help="no lost packets")
    parser.add_argument(
        "--condition",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="fix any simulated condition, e.g. symmetric=true, tremor_hz=10, grip=across "
        "(repeatable; VALUE is JSON, or a plain word)",
    )
    parser.add_argument("--gzip", action="store_true", help="write samples.csv.gz")
    parser.add_argument(
        "--flat",
        action="store_true",
        help="write the one recording into OUT_DIR itself (only with --n 1)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing")


def run(args: argparse.Namespace) -> int:
    from analysis.simulation import simulate_session
    from analysis.techniques import get_profile
    from firmware_bridge.recordings.writer import write_recording
    from firmware_bridge.simulated import recording_meta

    if args.technique is not None:
        get_profile(args.technique)  # ProfileError names the known techniques
    if not 0.5 <= args.minutes <= 240.0:
        raise UsageError(f"--minutes must be between 0.5 and 240, not {args.minutes:g}")
    if args.rate is not None and not 20.0 <= args.rate <= 500.0:
        raise UsageError(f"--rate must be between 20 and 500 Hz, not {args.rate:g}")
    if args.flat and args.n != 1:
        raise UsageError("--flat writes one recording: use it with --n 1")
    out: Path = args.out_dir
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a directory")
    overrides: dict[str, object] = {}
    if args.posture is not None:
        overrides["posture"] = args.posture
    if args.device is not None:
        overrides["device"] = args.device
    if args.return_style is not None:
        overrides["return_style"] = args.return_style
    if args.force is not None:
        overrides["has_force"] = args.force
    if args.acc_only:
        overrides["has_gyro"] = False
    if args.ideal:
        overrides["ideal"] = True
    if args.no_loss:
        overrides["packet_loss"] = False
    for item in args.condition:
        key, value = _condition(item)
        if key in overrides or key == "truth":
            raise UsageError(f"--condition {key}: set it once, and not 'truth'")
        overrides[key] = value
    for i in range(args.n):
        seed_i = recording_seed(args.seed, i)
        try:
            session = simulate_session(
                seed_i, args.minutes, args.technique, args.rate, truth=False, **overrides
            )
        except ValueError as exc:  # a combination of options the simulator cannot honour
            raise UsageError(str(exc)) from None
        base = recording_meta(session)
        simulation = {**base.extra["simulation"], "base_seed": args.seed, "index": i}
        meta = replace(base, extra={**base.extra, "simulation": simulation})
        path = out if args.flat else out / f"sim-{args.seed}-{i:03d}"
        try:
            write_recording(path, meta, session.samples, session.labels, compress=args.gzip)
        except OSError as exc:
            raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
        if not args.quiet:
            c = session.conditions
            print(
                f"{path}: {session.technique}, {c['posture']}, {c['device']} "
                f"{session.sample_rate_hz:g} Hz, {session.duration_s:.1f} s, "
                f"{len(session.labels.strokes)} strokes, {len(session.gaps)} gaps",
                file=sys.stdout,
            )
    return 0
