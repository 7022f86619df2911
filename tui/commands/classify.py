"""`massage-coach classify REC_DIR [--out FILE] [--technique T] [--batch N]`.

Runs the live pipeline causally, chunk by chunk, over a recording and writes the events CSV (the
spec's labels schema plus ``emitted``, ``confidence``, ``cadence_spm``) to FILE or stdout. Reads
only ``meta.json`` and the samples: never ``labels.csv``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.pipeline import OFFLINE_BATCH_SAMPLES, classify_samples_with_calibration
from analysis.techniques import DEFAULT_TECHNIQUE, get_profile, load_profiles
from firmware_bridge.recordings.events_csv import write_events
from firmware_bridge.recordings.meta_json import read_meta
from firmware_bridge.recordings.model import RecordingError
from firmware_bridge.recordings.reader import read_samples, samples_path
from tui.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rec_dir", type=Path, metavar="REC_DIR", help="the recording directory")
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="write the events CSV here (default: stdout)"
    )
    parser.add_argument(
        "--technique", metavar="T",
        help=f"technique profile whose cue rules apply (default: meta.json's, else "
        f"{DEFAULT_TECHNIQUE})",
    )  # fmt: skip
    parser.add_argument(
        "--batch", type=int, default=OFFLINE_BATCH_SAMPLES, metavar="N",
        help="samples per chunk fed to the pipeline (the output does not depend on it; default "
        f"{OFFLINE_BATCH_SAMPLES})",
    )  # fmt: skip
    parser.add_argument(
        "--profiles", type=Path, metavar="TOML", help="technique profile overrides (TOML file)"
    )


def run(args: argparse.Namespace) -> int:
    if args.batch < 1:
        raise UsageError(f"--batch {args.batch}: must be at least 1")
    directory: Path = args.rec_dir
    if not directory.is_dir():
        raise RecordingError(f"{directory}: not a recording directory")
    if args.out is not None and args.out.is_dir():
        raise UsageError(f"--out {args.out}: is a directory, not a file")
    meta = read_meta(directory)
    samples = read_samples(samples_path(directory))
    overrides = load_profiles(args.profiles) if args.profiles is not None else None
    profile = get_profile(args.technique or meta.technique or DEFAULT_TECHNIQUE, overrides)
    events, calibration = classify_samples_with_calibration(
        samples, profile, meta.sample_rate_hz, meta.calibration, batch_size=args.batch
    )
    if calibration.doubt:
        # the events go out all the same; this says why their directions may be off
        print(f"classify: {directory}: {calibration.doubt}", file=sys.stderr)
    if args.out is None:
        write_events(sys.stdout, events)
        return 0
    try:
        write_events(args.out, events)
    except OSError as exc:
        raise UsageError(f"--out {args.out}: cannot write: {exc.strerror or exc}") from None
    return 0
