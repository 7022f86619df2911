"""Owed cue windows, hits, latency and false alarms, computed by hand from the spec's "Cues" rules.

lymphatic: up rule, C = 36 strokes/min (1.25 C = 45, 0.85 C = 30.6), F = 10 N (0.8 F = 8 N).
"""

from __future__ import annotations

import pytest

from analysis.evaluation import score_cues
from analysis.evaluation.cues import CueScore
from analysis.events import Cue, Stroke
from analysis.techniques import get_profile

LYMPHATIC = get_profile("lymphatic")
TRIGGER_POINT = get_profile("trigger_point")  # direction rule "any", no limits
EFFLEURAGE = get_profile("effleurage")  # up rule, C = 60, no force limit


def s(
    onset_s: float, duration_s: float, direction: str = "up", force_n: float | None = None
) -> Stroke:
    return Stroke(onset_s=onset_s, duration_s=duration_s, direction=direction, force_n=force_n)


def cues(name: str, *times_s: float) -> list[Cue]:
    return [Cue(onset_s=t, cue=name) for t in times_s]


def one(scores: tuple[CueScore, ...], name: str) -> CueScore:
    return next(c for c in scores if c.cue == name)


# ---------------------------------------------------------------- switch_up

# Period 2 s, duration 1 s: k -> onset 2k, end 2k+1.
# U U U D D U U U D D D U U U
SWITCH_DIRECTIONS = "UUUDDUUUDDDUUU"
SWITCH_LABELS = [
    s(2.0 * k, 1.0, "up" if d == "U" else "down") for k, d in enumerate(SWITCH_DIRECTIONS)
]


def test_switch_up_owed_once_per_run_of_two_or_three_downs() -> None:
    # k=4: L4, L3 down, L2 up -> owed; window [onset_4=8, max(end_5=11, end_4+4=13)] = [8, 13].
    # k=9: L9, L8 down, L7 up -> owed; window [18, max(end_10=21, end_9+4=23)] = [18, 23].
    # k=10: L10, L9 down but L8 is down too -> not owed again.
    score = one(score_cues(SWITCH_LABELS, [], LYMPHATIC, has_force=False), "switch_up")
    assert [(w.stroke_index, w.start_s, w.end_s) for w in score.windows] == [
        (4, 8.0, 13.0),
        (9, 18.0, 23.0),
    ]
    assert score.owed == 2
    assert score.hits == 0


def test_switch_up_on_time_late_spurious_and_repeated() -> None:
    issued = cues("switch_up", 1.0, 4.5, 7.0, 9.5, 10.0, 23.5, 27.0)
    # 9.5 is inside [8, 13]: hit, latency 9.5 - end_4 (9) = 0.5; 10.0 repeats in the same window.
    # 23.5 is after [18, 23] ends: that window is missed (late). Last three onsets <= 23.5 are
    #   L9 down, L10 down, L11 up -> not a false alarm.
    # 27.0: last three onsets <= 27 are L11, L12, L13, all up -> false alarm.
    # 4.5: last three onsets <= 4.5 are L0, L1, L2, all up -> false alarm.
    # 1.0: only L0 has onset <= 1 -> fewer than three strokes -> not a false alarm.
    # 7.0: L1 up, L2 up, L3 down -> not a false alarm, and before window 1 opens at 8.
    score = one(score_cues(SWITCH_LABELS, issued, LYMPHATIC, has_force=False), "switch_up")
    assert score.applies
    assert score.issued == 7
    assert score.hit_times_s == (9.5, None)
    assert score.latencies_s == pytest.approx((0.5,))
    assert score.false_alarms == 2
    # gaps 3.5, 2.5, 2.5, 0.5, 13.5, 3.5 -> five under 5 s
    assert score.repeats == 5


def test_switch_up_window_runs_to_the_next_stroke_when_it_ends_after_four_seconds() -> None:
    # L0 down [0,1], L1 down [2,3], L2 up [10,11]. k=1 owed (no L_{-1}: a run reaching two).
    # Window: [2, max(end_2 = 11, end_1 + 4 = 7)] = [2, 11]; both ends inclusive.
    labels = [s(0.0, 1.0, "down"), s(2.0, 1.0, "down"), s(10.0, 1.0, "up")]
    score = one(
        score_cues(labels, cues("switch_up", 11.0), LYMPHATIC, has_force=False), "switch_up"
    )
    assert [(w.start_s, w.end_s) for w in score.windows] == [(2.0, 11.0)]
    assert score.hit_times_s == (11.0,)
    assert score.latencies_s == pytest.approx((8.0,))  # 11 - end_1 (3)
    late = one(score_cues(labels, cues("switch_up", 11.5), LYMPHATIC, has_force=False), "switch_up")
    assert late.hit_times_s == (None,)
    early = one(score_cues(labels, cues("switch_up", 1.5), LYMPHATIC, has_force=False), "switch_up")
    assert early.hit_times_s == (None,)  # before onset_k = 2


def test_switch_up_cue_during_the_stroke_has_negative_latency() -> None:
    labels = [s(0.0, 1.0, "down"), s(2.0, 1.0, "down")]
    # window [2, max(-, 3 + 4)] = [2, 7]; cue at 2.5 -> latency 2.5 - 3 = -0.5
    score = one(score_cues(labels, cues("switch_up", 2.5), LYMPHATIC, has_force=False), "switch_up")
    assert score.latencies_s == pytest.approx((-0.5,))


def test_no_switch_up_rules_without_an_up_rule() -> None:
    score = one(
        score_cues(
            SWITCH_LABELS, cues("switch_up", 4.5, 9.5, 27.0), TRIGGER_POINT, has_force=False
        ),
        "switch_up",
    )
    assert not score.applies
    assert (score.owed, score.false_alarms, score.issued) == (0, 0, 3)


# ---------------------------------------------------------------- slow_down

SLOW_ONSETS = [
    0,
    2.5,
    5,
    7.5,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    18.5,
    21,
    23.5,
    26,
    28.5,
    31,
    32,
    33,
    34,
    35,
]
SLOW_LABELS = [s(float(t), 0.5) for t in SLOW_ONSETS]
# cadence_k = 180 / (onset_k - onset_{k-3}):
# k3 7.5->24, k4 7.5->24, k5 6->30, k6 4.5->40, k7 3->60 (>45), k8..k10 3->60, k11 4.5->40,
# k12 6->30, k13..k16 7.5->24, k17 6->30, k18 4.5->40, k19 3->60 (>45), k20 3->60.


def test_slow_down_owed_at_first_k_of_each_fast_run() -> None:
    # k=7: window [13, max(end_9 = 15.5, end_7 + 4 = 17.5)] = [13, 17.5]
    # k=19: window [34, max(end_21 (none), 34.5 + 4)] = [34, 38.5]
    score = one(score_cues(SLOW_LABELS, [], LYMPHATIC, has_force=False), "slow_down")
    assert [(w.stroke_index, w.start_s, w.end_s) for w in score.windows] == [
        (7, 13.0, 17.5),
        (19, 34.0, 38.5),
    ]


def test_slow_down_on_time_late_and_spurious() -> None:
    issued = cues("slow_down", 10.2, 12.5, 16.0, 27.0, 39.0)
    # 16.0 in [13, 17.5]: hit. 39.0 after [34, 38.5]: missed; last two cadenced k <= 39 are k19,
    # k20 (60, 60) -> not a false alarm.
    # 27.0: last two k with onset <= 27 are k13, k14 (24, 24 < 30.6), k14 ended 26.5, 0.5 s
    #   before -> false alarm.
    # 12.5: last two are k5 (30 < 30.6) and k6 (40) -> not a false alarm.
    # 10.2: last two are k3, k4 (24, 24); k4 ends at 10.5, after t: 10.2 - 10.5 < 10 -> false alarm.
    score = one(score_cues(SLOW_LABELS, issued, LYMPHATIC, has_force=False), "slow_down")
    assert score.hit_times_s == (16.0, None)
    assert score.false_alarms == 2
    assert score.latencies_s == pytest.approx((16.0 - 13.5,))


def test_slow_down_window_runs_to_end_of_k_plus_2_when_later() -> None:
    # onsets 0,1,2,3 (0.5 s each): k3 cadence 180/3 = 60 > 45 -> owed at k=3.
    # k4 onset 4 (0.5 s), k5 onset 5 lasting 6 s -> end_5 = 11 (k4, k5 still fast: same run).
    # window [3, max(end_5 = 11, end_3 + 4 = 7.5)] = [3, 11]
    labels = [s(0.0, 0.5), s(1.0, 0.5), s(2.0, 0.5), s(3.0, 0.5), s(4.0, 0.5), s(5.0, 6.0)]
    score = one(
        score_cues(labels, cues("slow_down", 10.0), LYMPHATIC, has_force=False), "slow_down"
    )
    assert [(w.start_s, w.end_s) for w in score.windows] == [(3.0, 11.0)]
    assert score.hits == 1


def test_slow_down_false_alarm_needs_a_recent_stroke() -> None:
    # onsets 0,3,6,9,12 (1 s): k3 = k4 = 20 spm < 30.6; k4 ends at 13.
    labels = [s(3.0 * k, 1.0) for k in range(5)]
    recent = one(
        score_cues(labels, cues("slow_down", 22.9), LYMPHATIC, has_force=False), "slow_down"
    )
    assert recent.false_alarms == 1  # 22.9 - 13 = 9.9 < 10
    stale = one(
        score_cues(labels, cues("slow_down", 23.5), LYMPHATIC, has_force=False), "slow_down"
    )
    assert stale.false_alarms == 0  # 10.5 s after the last stroke ended
    # only one cadence known at t = 10 (k3): not a false alarm
    early = one(
        score_cues(labels, cues("slow_down", 10.0), LYMPHATIC, has_force=False), "slow_down"
    )
    assert early.false_alarms == 0


def test_slow_down_uses_the_profile_limit() -> None:
    # effleurage C = 60 -> 1.25 C = 75: the 60 spm run of SLOW_LABELS owes nothing.
    score = one(score_cues(SLOW_LABELS, [], EFFLEURAGE, has_force=False), "slow_down")
    assert score.owed == 0
    # and no slow_down rules at all without a cadence limit
    none = one(
        score_cues(SLOW_LABELS, cues("slow_down", 27.0), TRIGGER_POINT, has_force=False),
        "slow_down",
    )
    assert (none.applies, none.owed, none.false_alarms) == (False, 0, 0)


# ---------------------------------------------------------------- lighter

FORCES = [5.0, 12.0, 13.0, 6.0, 11.0, 7.0, 7.0, 10.0, None]
LIGHTER_LABELS = [s(3.0 * k, 1.0, force_n=f) for k, f in enumerate(FORCES)]
# k1 (12 > 10, k0 5 not) owed: window [3, max(end_2 = 7, end_1 + 4 = 8)] = [3, 8]
# k2 (13) follows an exceeding stroke: not owed. k4 (11 > 10, k3 6 not) owed: [12, max(16, 17)]
# k7 (10) does not exceed 10. k8 has no force.


def test_lighter_owed_when_force_first_exceeds_the_limit() -> None:
    score = one(score_cues(LIGHTER_LABELS, [], LYMPHATIC, has_force=True), "lighter")
    assert [(w.stroke_index, w.start_s, w.end_s) for w in score.windows] == [
        (1, 3.0, 8.0),
        (4, 12.0, 17.0),
    ]


def test_lighter_on_time_late_and_spurious() -> None:
    issued = cues("lighter", 2.0, 4.0, 17.5, 19.0, 22.0)
    # 4.0 in [3, 8]: hit, latency 4 - end_1 (4) = 0. 17.5 after [12, 17]: missed; last two onsets
    #   <= 17.5 are k4 (11), k5 (7) -> 11 is not below 8 -> not a false alarm.
    # 19.0: k5 (7), k6 (7) both below 8 -> false alarm.
    # 22.0: k6 (7), k7 (10) -> not. 2.0: only k0 -> fewer than two -> not.
    score = one(score_cues(LIGHTER_LABELS, issued, LYMPHATIC, has_force=True), "lighter")
    assert score.hit_times_s == (4.0, None)
    assert score.latencies_s == pytest.approx((0.0,))
    assert score.false_alarms == 1


def test_lighter_first_stroke_over_the_limit_is_owed() -> None:
    labels = [s(0.0, 1.0, force_n=15.0), s(3.0, 1.0, force_n=15.0)]
    score = one(score_cues(labels, [], LYMPHATIC, has_force=True), "lighter")
    assert [(w.stroke_index, w.start_s, w.end_s) for w in score.windows] == [(0, 0.0, 5.0)]


def test_lighter_needs_a_force_limit_and_a_force_channel() -> None:
    issued = cues("lighter", 4.0, 19.0)
    no_channel = one(score_cues(LIGHTER_LABELS, issued, LYMPHATIC, has_force=False), "lighter")
    assert (no_channel.applies, no_channel.owed, no_channel.false_alarms) == (False, 0, 0)
    no_limit = one(score_cues(LIGHTER_LABELS, issued, EFFLEURAGE, has_force=True), "lighter")
    assert (no_limit.applies, no_limit.owed, no_limit.false_alarms) == (False, 0, 0)
    assert no_limit.issued == 2


def test_cues_of_other_names_do_not_count() -> None:
    issued = cues("slow_down", 9.5) + cues("drink_water", 9.5)
    score = one(score_cues(SWITCH_LABELS, issued, LYMPHATIC, has_force=False), "switch_up")
    assert (score.issued, score.hits) == (0, 0)
