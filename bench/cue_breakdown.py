"""Where the stroke pipeline stands by the physical cue that tells the pressed half, on simulated
recordings scored by ``massage-coach evaluate``.

Which half of a reciprocating stroke was pressed is what the direction of every linear stroke
hangs on, and what the sensor can see of it differs by condition: a force channel measures the
press; without one, friction vibration shows the skin rubbing (where the skin gives stick-slip and
the rate leaves a band above 15 Hz); without that, the lift of a lifted return; without that,
only the tempo of the two halves (gliding returns: the pressure itself is invisible to an IMU).
Each of these is split by whether a gyroscope separates the hand's tilt from its motion. A second
table takes the recordings where both are there (a gyroscope, and force or friction to see the
press) by technique: what is left there is the stroke's own speed against the velocity estimate's
high-pass (slow sustained strokes, see ``bench/velocity_ceiling.py``). Reads the ``--json``
output of ``evaluate`` (its per-recording ``groups`` carry the simulator's conditions) and pools
the spec's figures per group. Usage::

    uv run massage-coach evaluate SET... --json out.json
    uv run python bench/cue_breakdown.py out.json [more.json ...]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from eval_pipeline import pressed_half_cue

_COUNTS = (
    "labelled_strokes",
    "detected_strokes",
    "matched_strokes",
    "switch_up_owed",
    "switch_up_hits",
    "switch_up_false",
    "slow_down_owed",
    "slow_down_hits",
    "slow_down_false",
)


def _conditions(groups: dict[str, str]) -> dict[str, Any] | None:
    """The simulator's conditions a recording's ``groups`` carry; ``None`` when it is not a
    simulated recording."""
    try:
        return {
            "has_force": groups["simulation.has_force"] == "true",
            "has_gyro": groups["simulation.has_gyro"] == "true",
            "friction_vibration": float(groups["simulation.friction_vibration"]),
            "rate_hz": float(groups["simulation.rate_hz"]),
            "return_style": groups["simulation.return_style"],
            "minutes": float(groups["simulation.minutes"]),
        }
    except KeyError:
        return None


def _add(pooled: dict[str, Counter[str]], key: str, score: dict[str, Any]) -> None:
    """Add one recording's counts to the group ``key``."""
    counts = pooled.setdefault(key, Counter())
    counts["recordings"] += 1
    for name in _COUNTS:
        counts[name] += int(score.get(name) or 0)


def _f1(c: Counter[str]) -> float:
    """Pooled stroke-detection F1 of the counts ``c``."""
    return 2 * c["matched_strokes"] / max(1, c["labelled_strokes"] + c["detected_strokes"])


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.3f} ({num}/{den})" if den else "  -  "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("json", nargs="+", help="outputs of `massage-coach evaluate --json`")
    args = parser.parse_args()
    pooled: dict[str, Counter[str]] = {}
    by_technique: dict[str, Counter[str]] = {}
    minutes: Counter[str] = Counter()
    skipped = 0
    for path in args.json:
        try:
            with open(path, encoding="utf-8") as fh:
                recordings = json.load(fh)["recordings"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            parser.error(f"{path}: not an `evaluate --json` output ({exc})")
        for score in recordings.values():
            cond = _conditions(score.get("groups", {}))
            if cond is None or score.get("failed"):
                skipped += 1
                continue
            sensor = "gyro" if cond["has_gyro"] else "accelerometer only"
            cue = pressed_half_cue(cond)
            if cond["has_gyro"] and cue in ("force", "friction"):
                _add(by_technique, str(score.get("technique")), score)
            for key in ("all", sensor, f"{cue}, {sensor}"):
                _add(pooled, key, score)
                minutes[key] += cond["minutes"]
    if not pooled:
        parser.error("no simulated recordings in these files")
    sensors = ("gyro", "accelerometer only")
    cues = ("force", "friction", "lift", "tempo")
    keys = ["all", *sensors, *(f"{cue}, {sensor}" for sensor in sensors for cue in cues)]
    print(
        f"{'group':32s} {'n':>4s}  {'stroke F1':9s}  {'switch_up recall':18s} {'FA/10min':8s}  slow_down recall"
    )
    for key in keys:
        if key not in pooled:
            continue
        c = pooled[key]
        fa = 10.0 * c["switch_up_false"] / minutes[key] if minutes[key] else 0.0
        print(
            f"{key:32s} {c['recordings']:4d}  {_f1(c):9.3f}  "
            f"{_ratio(c['switch_up_hits'], c['switch_up_owed']):18s} {fa:8.2f}  "
            f"{_ratio(c['slow_down_hits'], c['slow_down_owed'])}"
        )
    print("\nwith a gyroscope and force or friction, by technique")
    for technique in sorted(by_technique, key=lambda k: -_f1(by_technique[k])):
        c = by_technique[technique]
        print(f"{technique:32s} {c['recordings']:4d}  {_f1(c):9.3f}")
    if skipped:
        print(f"({skipped} recordings skipped: not simulated, or failed)")


if __name__ == "__main__":
    main()
