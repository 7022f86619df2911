"""Greedy temporal-IoU matching (spec "Scoring": IoU ≥ 0.3, greedy by IoU highest first, 1:1)."""

from __future__ import annotations

import pytest

from analysis.evaluation import match_strokes, temporal_iou
from analysis.events import Stroke


def s(onset_s: float, duration_s: float, direction: str = "up") -> Stroke:
    return Stroke(onset_s=onset_s, duration_s=duration_s, direction=direction)


def test_iou_of_two_intervals() -> None:
    # [0,1] and [0.5,1.5]: intersection 0.5, union 1.5 -> 1/3
    assert temporal_iou(0.0, 1.0, 0.5, 1.5) == pytest.approx(1 / 3)
    # disjoint and touching intervals share nothing
    assert temporal_iou(0.0, 1.0, 1.0, 2.0) == 0.0
    assert temporal_iou(0.0, 1.0, 3.0, 4.0) == 0.0
    # containment: [0.25,0.75] inside [0,1] -> 0.5/1
    assert temporal_iou(0.0, 1.0, 0.25, 0.75) == pytest.approx(0.5)


def test_shift_just_inside_matches_and_just_outside_does_not() -> None:
    # Same 1 s duration shifted by d: IoU = (1-d)/(1+d); >= 0.3 iff d <= 0.7/1.3 = 0.538.
    label = [s(10.0, 1.0)]
    assert len(match_strokes(label, [s(10.53, 1.0)])) == 1  # IoU 0.47/1.53 = 0.307
    assert match_strokes(label, [s(10.55, 1.0)]) == ()  # IoU 0.45/1.55 = 0.290
    assert len(match_strokes(label, [s(9.47, 1.0)])) == 1  # early by 0.53: also 0.307


def test_iou_of_exactly_point_three_matches() -> None:
    # [12, 13] vs [12.2, 12.5]: intersection 0.3, union 1.0 -> exactly 0.3 on paper (>= 0.3).
    matches = match_strokes([s(12.0, 1.0)], [s(12.2, 0.3)])
    assert len(matches) == 1
    assert matches[0].iou == pytest.approx(0.3)


def test_one_to_one_best_detection_wins() -> None:
    # Two detections on one label: D0 = label (IoU 1), D1 = [0.1, 1.0] (IoU 0.9). Only D0 matches.
    matches = match_strokes([s(0.0, 1.0)], [s(0.1, 0.9), s(0.0, 1.0)])
    assert [(m.label_index, m.detected_index) for m in matches] == [(0, 1)]


def test_greedy_is_not_optimal_and_the_spec_wants_greedy() -> None:
    # L0 = [0,2], L1 = [1,3]; D0 = [1,2.5], D1 = [2,3.5].
    # IoU(L0,D0) = 1/2.5 = 0.4; IoU(L1,D0) = 1.5/2 = 0.75; IoU(L1,D1) = 1/2.5 = 0.4; IoU(L0,D1) = 0.
    # Greedy takes (L1,D0) first (0.75); then L0 can only take D0 and D1 can only take L1: both
    # used. One match, although the assignment L0-D0, L1-D1 would give two.
    labels = [s(0.0, 2.0), s(1.0, 2.0)]
    detected = [s(1.0, 1.5), s(2.0, 1.5)]
    matches = match_strokes(labels, detected)
    assert [(m.label_index, m.detected_index) for m in matches] == [(1, 0)]
    assert matches[0].iou == pytest.approx(0.75)


def test_highest_iou_first_even_when_it_comes_later_in_time() -> None:
    # L0 = [0,1], L1 = [0.4,1.4]; one detection D0 = [0.45,1.45]:
    # IoU(L0,D0) = 0.55/1.45 = 0.379, IoU(L1,D0) = 0.95/1.05 = 0.905 -> D0 goes to L1.
    matches = match_strokes([s(0.0, 1.0), s(0.4, 1.0)], [s(0.45, 1.0)])
    assert [(m.label_index, m.detected_index) for m in matches] == [(1, 0)]


def test_long_detection_spanning_many_labels_is_found() -> None:
    # A 10 s detection far before short labels must still be considered for the label it covers:
    # D0 = [0,10], L0 = [9,10] -> IoU 1/10 (no match); D1 = [9.1,10] -> IoU 0.9 with L0.
    matches = match_strokes([s(9.0, 1.0)], [s(0.0, 10.0), s(9.1, 0.9)])
    assert [(m.label_index, m.detected_index) for m in matches] == [(0, 1)]
    # and a long detection over a long label matches: D=[0,10] vs L=[1,9] -> 8/10
    assert len(match_strokes([s(1.0, 8.0)], [s(0.0, 10.0), s(20.0, 1.0)])) == 1
