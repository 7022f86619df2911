"""Breakdown by meta.json keys: categorical conditions as they are, continuous ones by quartile,
identifiers and vectors left out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from analysis.events import EventTable, Stroke
from firmware_bridge.recordings.events_csv import write_events
from tui.evaluation_runner import quartile_labels, run_evaluation


def test_quartile_ranges_by_rank() -> None:
    # values 0..9: edges at ranks round(q * 9) for q = 0, .25, .5, .75, 1 -> 0, 2, 4, 7, 9
    # (round(4.5) = 4, round(6.75) = 7): [0,2) holds 0,1; [2,4) 2,3; [4,7) 4,5,6; [7,9] 7,8,9.
    labels = quartile_labels([str(v) for v in range(10)])
    assert labels is not None
    assert [labels.count(b) for b in ("[0, 2)", "[2, 4)", "[4, 7)", "[7, 9]")] == [2, 2, 3, 3]
    assert quartile_labels(["1", "x"]) is None


def test_breakdown_groups_pool_their_members(
    tmp_path: Path, make_recording: Callable[..., Path]
) -> None:
    predictions = tmp_path / "predictions"
    predictions.mkdir()
    for i in range(10):
        # recording i: i + 1 labelled up strokes, only the first one detected
        labels = EventTable(strokes=tuple(Stroke(3.0 * k, 1.0, "up") for k in range(i + 1)))
        make_recording(
            tmp_path / "set" / f"r{i}", labels, technique="lymphatic" if i < 4 else "deep_tissue",
            simulation={"posture": "lying" if i % 2 else "seated", "elevation_deg": float(i),
                        "vector": [i, 0], "seed": 100 + i},
        )  # fmt: skip
        write_events(predictions / f"r{i}.csv", EventTable(strokes=labels.strokes[:1]))
    result = run_evaluation([tmp_path / "set"], predictions_dir=predictions, progress=False)
    groups = {(g.key, g.value): g.summary for g in result.breakdown}
    # lymphatic: r0..r3 with 1+2+3+4 = 10 labelled, 4 matched
    assert groups["technique", "lymphatic"].detect_recall == pytest.approx(4 / 10)
    # deep_tissue: r4..r9 with 5+...+10 = 45 labelled, 6 matched
    assert groups["technique", "deep_tissue"].detect_recall == pytest.approx(6 / 45)
    # lying = odd i: 2+4+6+8+10 = 30 labelled, 5 matched
    assert groups["simulation.posture", "lying"].detect_recall == pytest.approx(5 / 30)
    # elevation 7, 8, 9 -> [7, 9]: 8+9+10 = 27 labelled, 3 matched
    assert groups["simulation.elevation_deg", "[7, 9]"].detect_recall == pytest.approx(3 / 27)
    assert {v for k, v in groups if k == "simulation.elevation_deg"} == {
        "[0, 2)",
        "[2, 4)",
        "[4, 7)",
        "[7, 9]",
    }
    assert set(result.breakdown_skipped) == {"simulation.seed", "simulation.vector"}
    assert not any(k in ("simulation.seed", "simulation.vector") for k, _ in groups)
