"""`massage-coach evaluate PATH...`: score the pipeline, or another classifier's events files,
against labelled recordings by the spec's rules; print tables, optionally write JSON and PNGs.

Exit status 0 when every recording was scored, 2 when any could not be (each named in one line
on stderr; the others are still scored and reported).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from analysis.evaluation import SCORED_CUES, EvaluationSummary
from tui.errors import EXIT_BAD_INPUT, UsageError
from tui.evaluation_runner import BreakdownGroup, EvaluationRun, run_evaluation

PER_RECORDING_ROWS_MAX: Final = 50
"""Longer runs leave the per-recording table to ``--json``."""
DOUBTFUL_NAMES_MAX: Final = 10
"""Recordings named in the line on calibrations in doubt (the JSON has every one)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH",
        help="recording directories, or directories searched for recordings with labels.csv",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures as JSON")
    parser.add_argument(
        "--predictions", type=Path, metavar="DIR",
        help="score DIR/<recording name>.csv (any classifier's events) instead of the pipeline",
    )  # fmt: skip
    parser.add_argument(
        "--report", type=Path, metavar="DIR",
        help="write PNG plots: the confusion matrix and one timeline per recording",
    )  # fmt: skip
    parser.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="score N recordings at once (processes)"
    )
    parser.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="map recordings onto a Dask distributed cluster (needs the 'dask' extra; workers "
        "must see the same paths)",
    )  # fmt: skip
    parser.add_argument(
        "--technique", metavar="T",
        help="score every recording under technique T (default: meta.json's, else lymphatic)",
    )  # fmt: skip
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar or progress lines on stderr"
    )


def run(args: argparse.Namespace) -> int:
    if args.json is not None and args.json.is_dir():
        raise UsageError(f"--json {args.json}: is a directory, not a file")
    if args.report is not None and args.report.exists() and not args.report.is_dir():
        raise UsageError(f"--report {args.report}: exists and is not a directory")
    result = run_evaluation(
        args.paths,
        predictions_dir=args.predictions,
        technique=args.technique,
        jobs=args.jobs,
        scheduler=args.scheduler,
        report_dir=args.report,
        progress=not args.no_progress,
    )
    for error in result.errors:
        print(f"massage-coach: error: {error}", file=sys.stderr)
    sys.stdout.write(format_run(result))
    if args.json is not None:
        try:
            args.json.write_text(
                json.dumps(result.as_json(), indent=2, allow_nan=False) + "\n", encoding="utf-8"
            )
        except OSError as exc:
            raise UsageError(f"--json {args.json}: cannot write: {exc.strerror or exc}") from None
    if args.report is not None:
        from tui.report import confusion_matrix_png

        confusion_matrix_png(args.report / "confusion_matrix.png", result.summary.confusion)
    return EXIT_BAD_INPUT if result.errors else 0


def _ratio(value: float | int | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> str:
    """Columns aligned, the first to the left and the others to the right."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append(indent + "  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def format_summary(summary: EvaluationSummary) -> str:
    """The pooled figures: detection, direction, cadence, force, then one row per cue."""
    figures = summary.summary_dict()
    rows = [
        ("detection precision", _ratio(summary.detect_precision), f"{summary.matched}/{summary.detected} detected"),
        ("detection recall", _ratio(summary.detect_recall), f"{summary.matched}/{summary.labelled} labelled"),
        ("detection F1", _ratio(summary.detect_f1), ""),
        ("direction accuracy up/down", _ratio(summary.direction_acc_linear), f"{summary.linear_correct}/{summary.linear_matched} matched"),
        ("direction accuracy cross/circular", _ratio(summary.other_acc), f"{summary.other_correct}/{summary.other_matched} matched"),
        ("cadence error (median, relative)", _ratio(figures["cadence_err_median"]), f"{summary.cadence_err_count} strokes"),
        ("force error (median, N)", _ratio(summary.force_err_median_n), f"{summary.force_err_count} strokes"),
    ]  # fmt: skip
    text = format_table(("figure", "value", "over"), rows)
    cue_rows = []
    for name in SCORED_CUES:
        cue = summary.cue(name)
        cue_rows.append(
            (
                name, str(cue.owed), str(cue.hits), _ratio(cue.recall), str(cue.issued),
                str(cue.false_alarms), _seconds(cue.latency_median_s), str(cue.repeats),
            )
        )  # fmt: skip
    header = (
        "cue",
        "owed",
        "hits",
        "recall",
        "issued",
        "false alarms",
        "latency (s)",
        "repeats <5 s",
    )
    return text + "\n" + format_table(header, cue_rows)


def _compact_row(label: str, count: int, summary: EvaluationSummary) -> tuple[str, ...]:
    false_alarms = sum(summary.cue(name).false_alarms for name in SCORED_CUES)
    return (
        label,
        str(count),
        _ratio(summary.detect_precision),
        _ratio(summary.detect_recall),
        _ratio(summary.detect_f1),
        _ratio(summary.direction_acc_linear),
        _ratio(summary.other_acc),
        _ratio(summary.summary_dict()["cadence_err_median"]),
        *(_ratio(summary.cue(name).recall) for name in SCORED_CUES),
        str(false_alarms),
    )


COMPACT_HEADER: Final = (
    "", "recs", "prec", "recall", "F1", "up/down", "other", "cad.err",
    "switch_up", "slow_down", "lighter", "false",
)  # fmt: skip


def format_breakdown(groups: Sequence[BreakdownGroup]) -> str:
    """One compact table per breakdown key; recall columns are per cue, ``false`` all cues."""
    parts = []
    keys = list(dict.fromkeys(g.key for g in groups))
    for key in keys:
        rows = [
            _compact_row(g.value, g.summary.recordings, g.summary) for g in groups if g.key == key
        ]
        parts.append(f"By {key}\n" + format_table((key, *COMPACT_HEADER[1:]), rows))
    return "\n".join(parts)


def format_run(result: EvaluationRun) -> str:
    """Everything ``evaluate`` prints: overall, breakdowns, then recordings (short runs)."""
    summary = result.summary
    failed = sum(o.score is None or o.score.failed for o in result.outcomes)
    head = (
        f"Evaluated {len(result.outcomes)} recordings in {result.elapsed_s:.1f} s"
        + (f" ({failed} failed)" if failed else "")
        + "\n\nOverall\n"
        + format_summary(summary)
    )
    parts = [head, format_breakdown(result.breakdown)]
    doubtful = [o.name for o in result.outcomes if o.calibration_doubt]
    if doubtful:
        shown = ", ".join(doubtful[:DOUBTFUL_NAMES_MAX])
        more = len(doubtful) - DOUBTFUL_NAMES_MAX
        parts.append(
            f"Calibration in doubt in {len(doubtful)} of {len(result.outcomes)} recordings "
            "(failed, or glides and returns alike; see calibration_doubt in --json): "
            + shown
            + (f" and {more} more" if more > 0 else "")
            + "\n"
        )
    if result.breakdown_skipped:
        parts.append(
            "Not broken down (identifiers, or too many distinct values): "
            + ", ".join(result.breakdown_skipped)
            + "\n"
        )
    if len(result.outcomes) <= PER_RECORDING_ROWS_MAX:
        rows = []
        for outcome in result.outcomes:
            if outcome.score is None:
                rows.append((outcome.name, "0", *["n/a"] * 9, "-", "not read"))
                continue
            row = _compact_row(outcome.name, 1, outcome.score.summary())
            rows.append((*row, "FAILED" if outcome.score.failed else ""))
        parts.append("Recordings\n" + format_table(("recording", *COMPACT_HEADER[1:], ""), rows))
    return "\n".join(parts)
