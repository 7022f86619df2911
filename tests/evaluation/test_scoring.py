"""Detection, direction, cadence, force and pooling figures, by hand from the spec's "Scoring"."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from analysis.evaluation import SPEC_SUMMARY_KEYS, score_recording, summarize
from analysis.events import Cue, EventTable, Stroke
from analysis.techniques import get_profile

LYMPHATIC = get_profile("lymphatic")


def s(
    onset_s: float, duration_s: float, direction: str = "up", force_n: float | None = None
) -> Stroke:
    return Stroke(onset_s=onset_s, duration_s=duration_s, direction=direction, force_n=force_n)


# Twelve up strokes, onset 3k, 1 s long; then cross [40,41.5], [42,43.5], circular [44,..], [46,..].
LINEAR = [s(3.0 * k, 1.0) for k in range(12)]
OTHERS = [
    s(40.0, 1.5, "cross"),
    s(42.0, 1.5, "cross"),
    s(44.0, 1.5, "circular"),
    s(46.0, 1.5, "circular"),
]
LABELS = EventTable(strokes=tuple(LINEAR + OTHERS))


def damaged_predictions() -> EventTable:
    """The labels with known damage (see the test for what each change should cost)."""
    linear = list(LINEAR)
    linear[4] = replace(linear[4], direction="down")  # flipped, still matched
    linear[10] = replace(linear[10], direction="unknown")  # undecided, still matched
    linear[5] = replace(linear[5], onset_s=15.0 - 0.1)  # IoU 0.9/1.1: matched, onset off by 0.1
    linear[8] = replace(linear[8], onset_s=24.0 + 0.53)  # IoU 0.47/1.53 = 0.307: matched
    linear[6] = replace(linear[6], onset_s=18.0 + 0.55)  # IoU 0.45/1.55 = 0.290: unmatched
    del linear[1]  # dropped
    others = list(OTHERS)
    others[0] = replace(others[0], direction="circular")  # cross taken for circular
    invented = [s(60.0, 1.0, "up"), s(70.0, 1.0, "cross")]
    # Deliberately out of time order: the scorer must not rely on the file's order.
    return EventTable(strokes=tuple(reversed(linear + others + invented)))


def test_damaged_predictions_score_what_the_spec_gives_by_hand() -> None:
    score = score_recording(LABELS, damaged_predictions(), LYMPHATIC, has_force=False, name="r")
    summary = score.summary()
    # labelled 16; detected 16 - 1 dropped + 2 invented = 17 (the far-shifted stroke 6 counts as
    # detected); matched 16 - dropped 1 - stroke 6 = 14.
    assert (score.labelled, score.detected, score.matched) == (16, 17, 14)
    assert summary.detect_precision == pytest.approx(14 / 17)
    assert summary.detect_recall == pytest.approx(14 / 16)
    assert summary.detect_f1 == pytest.approx(2 * 14 / (17 + 16))  # harmonic mean = 28/33
    # linear matched: 0,2,3,4,5,7,8,9,10,11 = 10; wrong: 4 (down), 10 (unknown) -> 8/10
    assert summary.direction_acc_linear == pytest.approx(0.8)
    # other matched 4, the first cross detected as circular -> 3/4
    assert summary.other_acc == pytest.approx(0.75)


def test_confusion_matrix_has_unknown_missed_and_invented() -> None:
    c = score_recording(LABELS, damaged_predictions(), LYMPHATIC, has_force=False).confusion
    assert c.rows[:4] == ("up", "down", "cross", "circular")
    assert "unknown" in c.columns
    assert c.count("up", "up") == 8
    assert c.count("up", "down") == 1
    assert c.count("up", "unknown") == 1
    assert c.count("cross", "cross") == 1
    assert c.count("cross", "circular") == 1
    assert c.count("circular", "circular") == 2
    assert sum(map(sum, c.counts)) == 14
    assert dict(zip(c.rows, c.missed, strict=True))["up"] == 2  # strokes 1 and 6
    invented = dict(zip(c.columns, c.invented, strict=True))
    assert (invented["up"], invented["cross"]) == (2, 1)  # stroke 6 shifted + 60 s; 70 s


def test_cadence_error_over_fully_matched_runs_of_four() -> None:
    score = score_recording(LABELS, damaged_predictions(), LYMPHATIC, has_force=False)
    # Linear labels matched: all but k=1 and k=6. k >= 3 with k-3..k all matched: k=5, 10, 11.
    # k=5: true 15 - 6 = 9, pred 14.9 - 6 = 8.9 -> |9/8.9 - 1| = 0.011236
    # k=10: true 30 - 21 = 9, pred 30 - 21 = 9 -> 0
    # k=11: true 33 - 24 = 9, pred 33 - 24.53 = 8.47 -> |9/8.47 - 1| = 0.062574
    assert sorted(score.cadence_errors) == pytest.approx(sorted([9 / 8.9 - 1, 0.0, 9 / 8.47 - 1]))
    assert score.summary().cadence_err_median == pytest.approx(9 / 8.9 - 1)


def test_cadence_error_counts_only_linear_strokes_as_k() -> None:
    # up, cross, up, up, up: L = the four ups, k=3 needs L0..L3 matched; the cross in between
    # (undetected) is not part of L and does not break the run.
    labels = EventTable(
        strokes=(s(0.0, 1.0), s(1.5, 0.5, "cross"), s(2.0, 1.0), s(4.0, 1.0), s(6.0, 1.0))
    )
    predicted = EventTable(strokes=(s(0.0, 1.0), s(2.0, 1.0), s(4.0, 1.0), s(6.2, 1.0)))
    score = score_recording(labels, predicted, LYMPHATIC, has_force=False)
    # true 6 - 0 = 6, pred 6.2 - 0 = 6.2 -> |6/6.2 - 1| = 0.032258
    assert score.cadence_errors == pytest.approx((1 - 6 / 6.2,))


def test_owed_cues_come_from_linear_labels_only() -> None:
    # down, cross, down: L = down, down -> switch_up owed at the second down (onset 4),
    # window [4, max(-, 5 + 4)] = [4, 9]. A cue at 8 hits.
    labels = EventTable(strokes=(s(0.0, 1.0, "down"), s(2.0, 1.0, "cross"), s(4.0, 1.0, "down")))
    predicted = EventTable(strokes=labels.strokes, cues=(Cue(8.0, "switch_up"),))
    summary = score_recording(labels, predicted, LYMPHATIC, has_force=False).summary()
    assert summary.summary_dict()["switch_up_recall"] == 1.0
    assert summary.summary_dict()["switch_up_latency_median"] == pytest.approx(3.0)  # 8 - 5


def test_force_error_on_matched_strokes_carrying_force() -> None:
    labels = EventTable(
        strokes=(s(0.0, 1.0, force_n=5.0), s(3.0, 1.0, force_n=12.0), s(6.0, 1.0, force_n=8.0))
    )
    predicted = EventTable(
        strokes=(s(0.0, 1.0, force_n=6.0), s(3.0, 1.0, force_n=10.0), s(6.0, 1.0))  # last: none
    )
    score = score_recording(labels, predicted, LYMPHATIC, has_force=True)
    assert sorted(score.force_errors_n) == pytest.approx([1.0, 2.0])
    assert score.summary_dict()["force_err_median_n"] == pytest.approx(1.5)


def test_pooling_sums_counts_before_taking_ratios() -> None:
    # A: 10 labels, all detected exactly; one switch_up owed and hit.
    # B: 2 labels, 4 detections, 1 match; three switch_up owed, none hit.
    a_labels = EventTable(
        strokes=tuple(
            [s(3.0 * k, 1.0) for k in range(8)] + [s(30.0, 1.0, "down"), s(33.0, 1.0, "down")]
        )
    )
    a_pred = EventTable(strokes=a_labels.strokes, cues=(Cue(34.5, "switch_up"),))
    b_down = [s(10.0 * k, 1.0, "down") for k in range(2)]
    b_labels = EventTable(strokes=tuple(b_down))
    b_pred = EventTable(strokes=(b_down[0], s(3.0, 1.0), s(5.0, 1.0), s(7.0, 1.0)))
    a = score_recording(a_labels, a_pred, LYMPHATIC, has_force=False, name="a")
    b = score_recording(b_labels, b_pred, LYMPHATIC, has_force=False, name="b")
    # B owes one switch_up (k=1, the run of two downs), window [10, 15]: none issued.
    assert (a.cue("switch_up").owed, b.cue("switch_up").owed) == (1, 1)
    assert a.summary().detect_precision == 1.0
    assert b.summary().detect_precision == pytest.approx(0.25)
    assert b.summary().detect_recall == pytest.approx(0.5)
    pooled = summarize([a, b])
    # precision (10 + 1) / (10 + 4) = 11/14, not the mean of 1 and 0.25 (0.625)
    assert pooled.detect_precision == pytest.approx(11 / 14)
    assert pooled.detect_recall == pytest.approx(11 / 12)  # not (1 + 0.5) / 2
    assert pooled.summary_dict()["switch_up_recall"] == pytest.approx(0.5)  # (1 + 0) / (1 + 1)
    assert pooled.recordings == 2


def test_ratios_are_none_where_the_denominator_is_zero() -> None:
    empty = score_recording(EventTable(), EventTable(), LYMPHATIC, has_force=True).summary_dict()
    for key in SPEC_SUMMARY_KEYS:
        if key.endswith("_false"):
            assert empty[key] == 0, key  # counts, not ratios
        else:
            assert empty[key] is None, key
    # labels but no detections: recall 0, precision undefined
    missed = score_recording(
        EventTable(strokes=(s(0.0, 1.0),)), EventTable(), LYMPHATIC, has_force=False
    ).summary_dict()
    assert (missed["detect_recall"], missed["detect_precision"]) == (0.0, None)
    # only linear strokes: other_acc has nothing to count
    only_up = score_recording(
        EventTable(strokes=(s(0.0, 1.0),)),
        EventTable(strokes=(s(0.0, 1.0),)),
        LYMPHATIC,
        has_force=False,
    )
    assert only_up.summary_dict()["other_acc"] is None
    assert only_up.summary_dict()["direction_acc_linear"] == 1.0


def test_failed_recording_misses_every_stroke_and_owed_cue() -> None:
    labels = EventTable(strokes=(s(0.0, 1.0, "down"), s(2.0, 1.0, "down"), s(4.0, 1.0)))
    failed = score_recording(labels, EventTable(), LYMPHATIC, has_force=False, failed=True)
    d = failed.summary_dict()
    assert (d["detect_recall"], d["switch_up_recall"], d["failed_recordings"]) == (0.0, 0.0, 1)
    assert d["labelled_strokes"] == 3


def test_summary_dict_has_every_spec_key_and_is_finite_json() -> None:
    # Overlapping 10 s labels at onsets 0, 0.1, 0.2, 0.3; the prediction for L3 starts at 0 like
    # the one for L0 (IoU 10/10.3, matched), so the predicted interval is 0: infinite error,
    # which the JSON-ready dict reports as None.
    labels = EventTable(strokes=tuple(s(0.1 * k, 10.0) for k in range(4)))
    predicted = EventTable(strokes=(s(0.0, 10.0), s(0.1, 10.0), s(0.2, 10.0), s(0.0, 10.3)))
    score = score_recording(labels, predicted, LYMPHATIC, has_force=False)
    assert score.cadence_errors == (math.inf,)
    d = score.summary_dict()
    assert list(d)[: len(SPEC_SUMMARY_KEYS)] == list(SPEC_SUMMARY_KEYS)
    assert d["cadence_err_median"] is None
    assert all(v is None or math.isfinite(v) for v in d.values())
