"""Quick quality check of the stroke pipeline on simulated sessions, broken down by condition.

Simulates sessions in-process (no files), runs the causal pipeline over each exactly as
``classify`` does, scores with :mod:`analysis.evaluation` (the spec's rules) and prints pooled
figures overall and per condition: the physical cue the sensor has for the pressed half
(:func:`pressed_half_cue`), posture, device, gyro, force, return style, symmetry, rate, technique.
Usage::

    uv run python bench/eval_pipeline.py --seeds 0:40 --minutes 2 [--json out.json]

The authoritative numbers come from ``massage-coach simulate`` + ``massage-coach evaluate``; this
script is the fast loop used while developing (tuning seeds are 0–99, fresh checks use 1000+).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from typing import Any

from analysis.evaluation.scoring import (
    SPEC_SUMMARY_KEYS,
    RecordingScore,
    score_recording,
    summarize,
)
from analysis.pipeline import classify_samples
from analysis.simulation import simulate_session
from analysis.stages.motion import VIBRATION_MIN_RATE_HZ
from analysis.techniques import get_profile


def _rate_bucket(rate_hz: float) -> str:
    if rate_hz < 40:
        return "rate<40"
    if rate_hz < 90:
        return "rate40-90"
    if rate_hz < 150:
        return "rate90-150"
    return "rate>=150"


def pressed_half_cue(cond: dict[str, Any]) -> str:
    """The strongest physical cue the sensor has to tell the pressed half from the return: a
    force channel; else friction vibration (the skin gives stick-slip and the rate leaves a band
    above 15 Hz to see it in); else the lift of the returns (lifted or mixed); else only the
    tempo (gliding returns on a sensor that sees no friction: pressure itself is invisible)."""
    if cond["has_force"]:
        return "force"
    if cond["friction_vibration"] > 0.0 and float(cond["rate_hz"]) >= VIBRATION_MIN_RATE_HZ:
        return "friction"
    if cond["return_style"] != "gliding":
        return "lift"
    return "tempo"


def _groups(cond: dict[str, Any]) -> list[str]:
    return [
        f"cue={pressed_half_cue(cond)}",
        f"posture={cond['posture']}",
        f"device={cond['device']}",
        f"gyro={cond['has_gyro']}",
        f"force={cond['has_force']}",
        f"return={cond['return_style']}",
        f"symmetric={cond['symmetric']}",
        f"mounting={cond['mounting']}",
        f"grip={cond['grip']}",
        f"technique={cond['technique']}",
        _rate_bucket(float(cond["rate_hz"])),
        f"packet_loss={cond['packet_loss']}",
    ]


def _fmt(x: float | int | None) -> str:
    if x is None:
        return "  -  "
    if isinstance(x, int):
        return f"{x:5d}"
    return f"{x:5.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="0:20")
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--technique", default=None)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--json", default=None)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument(
        "--override", action="append", default=[], help="key=value (python literal)"
    )
    args = parser.parse_args()
    lo, hi = (int(x) for x in args.seeds.split(":"))
    overrides: dict[str, Any] = {}
    for item in args.override:
        key, value = item.split("=", 1)
        import ast

        overrides[key] = ast.literal_eval(value)
    scores: list[RecordingScore] = []
    by_group: dict[str, list[RecordingScore]] = defaultdict(list)
    total_min = 0.0
    t_sim = t_run = 0.0
    for seed in range(lo, hi):
        t0 = time.perf_counter()
        sess = simulate_session(seed, args.minutes, args.technique, truth=False, **overrides)
        t1 = time.perf_counter()
        profile = get_profile(sess.technique)
        events = classify_samples(
            sess.samples, profile, sess.sample_rate_hz, sess.calibration, batch_size=args.batch
        )
        t2 = time.perf_counter()
        t_sim += t1 - t0
        t_run += t2 - t1
        score = score_recording(
            sess.labels, events, profile, has_force=sess.samples.has_force, name=str(seed)
        )
        scores.append(score)
        total_min += args.minutes
        for g in _groups(sess.conditions):
            by_group[g].append(score)
        if args.verbose:
            lin = score.linear_correct / score.linear_matched if score.linear_matched else None
            print(
                f"seed {seed:4d} {sess.technique:14s} {sess.conditions['device']:12s} "
                f"{sess.sample_rate_hz:5.0f}Hz {sess.conditions['posture']:17s} "
                f"{sess.conditions['return_style']:7s} sym={sess.conditions['symmetric']!s:5s} "
                f"lab={score.labelled:3d} det={score.detected:3d} match={score.matched:3d} "
                f"lin={_fmt(lin)} oth={score.other_correct}/{score.other_matched}",
                flush=True,
            )
    summary = summarize(scores).summary_dict()
    print(
        f"\n{hi - lo} sessions, {total_min:.0f} min; simulate {t_sim:.1f}s, pipeline {t_run:.1f}s"
    )
    for key in (*SPEC_SUMMARY_KEYS, "switch_up_owed", "slow_down_owed", "lighter_owed"):
        print(f"  {key:26s} {_fmt(summary.get(key))}")
    print(
        f"  false alarms per 10 min: switch_up {10 * (summary['switch_up_false'] or 0) / total_min:.2f}"
        f", slow_down {10 * (summary['slow_down_false'] or 0) / total_min:.2f}"
        f", lighter {10 * (summary['lighter_false'] or 0) / total_min:.2f}"
    )
    print(
        "\n  group                               n    F1   lin   oth  suR  sdR  liR  FA(su/sd/li)"
    )
    table = {}
    for g in sorted(by_group):
        s = summarize(by_group[g]).summary_dict()
        table[g] = s
        print(
            f"  {g:34s} {len(by_group[g]):3d} {_fmt(s['detect_f1'])} {_fmt(s['direction_acc_linear'])}"
            f" {_fmt(s['other_acc'])} {_fmt(s['switch_up_recall'])} {_fmt(s['slow_down_recall'])}"
            f" {_fmt(s['lighter_recall'])} {s['switch_up_false']}/{s['slow_down_false']}/{s['lighter_false']}"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"summary": summary, "groups": table}, fh, indent=1)


if __name__ == "__main__":
    main()
