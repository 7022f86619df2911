"""The cue engine and the cadence it uses: spec agreement on true strokes, robustness to the
pipeline's typical slips, the force limit from the force signal, repeats, batching."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from analysis.evaluation.cues import score_cues
from analysis.events import Cue, Stroke
from analysis.pipeline import classify_samples
from analysis.simulation import simulate_session
from analysis.stages.cadence import CadenceTracker
from analysis.stages.cues import FORCE_HOLD_S, REPEAT_S, CueEngine
from analysis.techniques import get_profile


def _down(onset: float, conf: float = 0.9, cad: float | None = 30.0) -> Stroke:
    return Stroke(onset, 1.0, "down", confidence=conf, cadence_spm=cad, emitted_s=onset + 1.0)


def _feed(
    engine: CueEngine, strokes: list[Stroke], t: np.ndarray, force: np.ndarray | None
) -> list[Cue]:
    """Drive the engine as the pipeline does: samples up to each decision, then the stroke."""
    cues: list[Cue] = []
    for s in strokes:
        assert s.emitted_s is not None
        cues += engine.advance(t, force, s.emitted_s)
        cues += engine.on_stroke(s, s.emitted_s)
    return cues + engine.advance(t, force, float("inf"))


# --------------------------------------------------------------------------- spec agreement
@pytest.mark.parametrize("seed", [3, 11, 1005])
def test_true_strokes_fed_as_decisions_give_every_owed_cue_and_no_false_alarm(seed: int) -> None:
    # what the engine does with perfect strokes is what the spec owes: a lymphatic session with
    # force has all three rules (down runs, a too-fast burst, heavy strokes)
    sess = simulate_session(seed, 2.0, "lymphatic", has_force=True, truth=False)
    profile = get_profile(sess.technique)
    engine = CueEngine(profile, has_force=True)
    cadence = CadenceTracker()
    assert sess.samples.force_n is not None
    t, force = sess.samples.t_s, sess.samples.force_n
    fed = []
    for s in sorted(sess.labels.strokes, key=lambda s: s.end_s):
        if s.is_linear:
            s = replace(s, cadence_spm=cadence.add(s.onset_s, s.end_s, s.direction))
        fed.append(replace(s, emitted_s=s.end_s + 0.15, confidence=1.0))
    cues = _feed(engine, fed, t, force)
    linear = [s for s in sess.labels.strokes if s.is_linear]
    scores = score_cues(linear, cues, profile, has_force=True)
    assert sum(sc.owed for sc in scores) >= 3
    for sc in scores:
        assert sc.hits == sc.owed, sc.cue
        assert sc.false_alarms == 0, sc.cue
        assert sc.repeats == 0, sc.cue


# --------------------------------------------------------------------------- cadence
def test_the_other_half_of_a_back_and_forth_does_not_count_as_a_stroke() -> None:
    # glides every 2 s (30 /min); each also has its return decided as a stroke, starting where
    # the glide ended: the pace is still 30 /min, not 60
    tracker = CadenceTracker()
    result = None
    for k in range(6):
        onset = 2.0 * k
        result = tracker.add(onset, onset + 0.9, "up")
        assert tracker.add(onset + 0.92, onset + 1.8, "down") == result
    assert result == pytest.approx(30.0)


def test_a_real_change_of_direction_after_a_return_is_a_new_stroke() -> None:
    tracker = CadenceTracker()
    spans = [(0.0, "up"), (2.0, "up"), (4.0, "down"), (6.0, "down")]
    results = [tracker.add(t, t + 0.9, d) for t, d in spans]
    assert results[-1] == pytest.approx(30.0)


def test_a_change_of_pace_is_not_taken_for_a_missed_stroke() -> None:
    tracker = CadenceTracker()
    for t in (0.0, 1.3, 2.6):
        tracker.add(t, t + 0.4, "up")
    # slow strokes, then the first brisk interval: the spec's span of three intervals stands, the
    # user has not made three brisk strokes yet
    assert tracker.add(3.2, 3.5, "up") == pytest.approx(180.0 / 3.2)
    assert tracker.add(3.8, 4.1, "up") == pytest.approx(180.0 / 2.5)


def test_plain_onsets_keep_the_spec_formula() -> None:
    tracker = CadenceTracker()
    assert [tracker.add(t) for t in (0.0, 0.1, 2.0)] == [None, None, None]
    assert tracker.add(3.0) == pytest.approx(60.0)


# --------------------------------------------------------------------------- switch_up
def test_unknown_direction_neither_counts_nor_breaks_a_downward_run() -> None:
    profile = get_profile("effleurage")
    engine = CueEngine(profile, has_force=False)
    assert engine.on_stroke(_down(0.0), 1.0) == []
    unknown = Stroke(2.0, 1.0, "unknown", confidence=0.1, emitted_s=3.0)
    assert engine.on_stroke(unknown, 3.0) == []
    assert [c.cue for c in engine.on_stroke(_down(4.0), 5.0)] == ["switch_up"]
    fresh = CueEngine(profile, has_force=False)
    for s in (_down(0.0), unknown):
        fresh.on_stroke(s, (s.emitted_s or 0.0))
    assert fresh.on_stroke(Stroke(4.0, 1.0, "up", emitted_s=5.0), 5.0) == []
    assert fresh.on_stroke(_down(6.0), 7.0) == []  # the up stroke ended the run


def _circle(onset: float, decided: float | None = None) -> Stroke:
    return Stroke(onset, 1.0, "circular", emitted_s=onset + 1.0 if decided is None else decided)


def test_a_block_of_kneading_ends_a_downward_run() -> None:
    # a return misread as a downward stroke, four kneading circles, then the user's real downward
    # strokes: the cue waits for two of them, it does not fire at the first
    engine = CueEngine(get_profile("lymphatic"), has_force=False)
    strokes = [_down(0.0), *(_circle(1.5 + k) for k in range(4)), _down(6.0), _down(9.0)]
    cues = [
        (s.emitted_s, [c.cue for c in engine.on_stroke(s, s.emitted_s or 0.0)]) for s in strokes
    ]
    assert [t for t, names in cues if "switch_up" in names] == [10.0]


def test_a_single_other_stroke_does_not_break_a_downward_run() -> None:
    engine = CueEngine(get_profile("lymphatic"), has_force=False)
    strokes = [_down(0.0), _circle(1.5), _down(3.0)]
    issued = [c.cue for s in strokes for c in engine.on_stroke(s, s.emitted_s or 0.0)]
    assert issued == ["switch_up"]


def test_cycles_decided_after_the_next_linear_stroke_do_not_break_its_run() -> None:
    # friction cycles are held back up to a revolution: the last ones of a block may be decided
    # after the first downward stroke that followed them; by their times they came before it
    engine = CueEngine(get_profile("lymphatic"), has_force=False)
    first = _down(6.0)
    late = [_circle(4.0, decided=7.5), _circle(5.0, decided=7.5)]
    issued = []
    for s in (first, *late, _down(9.0)):
        issued += [c.cue for c in engine.on_stroke(s, s.emitted_s or 0.0)]
    assert issued == ["switch_up"]


def test_a_run_that_goes_on_is_cued_again_once_5_s_have_passed() -> None:
    engine = CueEngine(get_profile("effleurage"), has_force=False)
    t = np.arange(0.0, 20.0, 0.01)
    downs = [_down(1.5 * k, cad=40.0) for k in range(6)]  # decided at 1, 2.5, … 8.5 s
    cues = _feed(engine, downs, t, None)
    times = [c.onset_s for c in cues if c.cue == "switch_up"]
    assert times[0] == pytest.approx(2.5)
    # the repeat comes at the first sample 5 s on, between strokes, while they keep coming
    assert times[1:] == [pytest.approx(2.5 + REPEAT_S)]


def test_no_repeat_once_strokes_stop_or_turn_upward() -> None:
    profile = get_profile("effleurage")
    t = np.arange(0.0, 30.0, 0.01)
    stopped = CueEngine(profile, has_force=False)
    cues = _feed(stopped, [_down(0.0, cad=40.0), _down(1.5, cad=40.0)], t, None)
    assert len(cues) == 1  # the user stopped: nothing is going on any more
    turned = CueEngine(profile, has_force=False)
    ups = [
        Stroke(3.0 + 1.5 * k, 1.0, "up", cadence_spm=40.0, emitted_s=4.0 + 1.5 * k)
        for k in range(8)
    ]
    cues = _feed(turned, [_down(0.0, cad=40.0), _down(1.5, cad=40.0), *ups], t, None)
    assert len(cues) == 1
    assert "switch_up" not in turned.active


def test_slow_down_is_repeated_only_when_a_stroke_brings_a_new_cadence() -> None:
    engine = CueEngine(get_profile("lymphatic"), has_force=False)  # 36 /min
    t = np.arange(0.0, 30.0, 0.01)
    fast = [
        Stroke(1.2 * k, 0.5, "up", cadence_spm=60.0, emitted_s=1.2 * k + 0.6) for k in range(10)
    ]
    cues = _feed(engine, fast, t, None)
    decided = {s.emitted_s for s in fast}
    assert [c.cue for c in cues] == ["slow_down", "slow_down"]
    assert all(c.onset_s in decided for c in cues)
    assert cues[1].onset_s - cues[0].onset_s >= REPEAT_S


def test_switch_up_waits_while_the_user_is_told_to_slow_down() -> None:
    # downward strokes at 60 /min on a 36 /min technique: the pace is the correction given; once
    # it drops and the strokes still go downward, switch_up comes at the next stroke
    engine = CueEngine(get_profile("lymphatic"), has_force=False)
    t = np.arange(0.0, 30.0, 0.01)
    fast = [_down(1.0 * k, cad=60.0) for k in range(5)]
    slow = [_down(5.0 + 2.0 * k, cad=30.0) for k in range(2)]
    cues = _feed(engine, [*fast, *slow], t, None)
    assert {c.cue for c in cues if c.onset_s < 5.5} == {"slow_down"}
    su = [c.onset_s for c in cues if c.cue == "switch_up"]
    assert su
    assert su[0] == pytest.approx(slow[0].emitted_s)


# --------------------------------------------------------------------------- lighter
def _pressing(
    levels: list[tuple[float, float, float]], rate_hz: float = 50.0
) -> tuple[np.ndarray, np.ndarray]:
    """A force trace: 1 N everywhere, ``level`` N from ``start`` to ``end`` s for each entry."""
    t = np.arange(0.0, 20.0, 1.0 / rate_hz)
    force = np.full(t.shape, 1.0)
    for start, end, level in levels:
        force[(t >= start) & (t < end)] = level
    return t, force


def test_lighter_from_the_force_itself_once_it_stays_above_the_limit() -> None:
    engine = CueEngine(get_profile("lymphatic"), has_force=True)  # 10 N
    t, force = _pressing([(2.0, 2.1, 25.0), (5.0, 6.2, 14.0)])  # a bump, then a pressed glide
    cues = engine.advance(t, force, float("inf"))
    assert [c.cue for c in cues] == ["lighter"]
    assert cues[0].onset_s == pytest.approx(5.0 + FORCE_HOLD_S, abs=0.021)


def test_no_lighter_without_a_force_limit_or_a_force_channel() -> None:
    t, force = _pressing([(5.0, 7.0, 30.0)])
    assert CueEngine(get_profile("effleurage"), has_force=True).advance(t, force, 99.0) == []
    assert CueEngine(get_profile("lymphatic"), has_force=False).advance(t, None, 99.0) == []


# --------------------------------------------------------------------------- batching
@pytest.mark.parametrize("batch", [1, 7, 64])
def test_cues_do_not_depend_on_how_samples_arrive(batch: int) -> None:
    t, force = _pressing([(1.0, 2.0, 15.0), (4.0, 5.0, 12.0), (9.0, 10.5, 18.0)])
    # downward at an easy pace, then too fast: switch_up, then slow_down
    strokes = [_down(0.8 * k, cad=30.0 if k < 3 else 75.0) for k in range(14)]

    def run(step: int) -> list[Cue]:
        engine = CueEngine(get_profile("lymphatic"), has_force=True)
        cues: list[Cue] = []
        pending = sorted(strokes, key=lambda s: s.emitted_s or 0.0)
        for i in range(0, t.size, step):
            tb, fb = t[i : i + step], force[i : i + step]
            # strokes are decided at sample times inside the batch
            while pending and (pending[0].emitted_s or 0.0) <= tb[-1]:
                s = pending.pop(0)
                cues += engine.advance(tb, fb, s.emitted_s or 0.0)
                cues += engine.on_stroke(s, s.emitted_s or 0.0)
            cues += engine.advance(tb, fb, float("inf"))
        return cues

    reference = run(t.size)
    assert {c.cue for c in reference} == {"switch_up", "slow_down", "lighter"}
    assert run(batch) == reference


@pytest.mark.parametrize("seed", [1, 2, 7])  # sessions with lighter, switch_up, slow_down cues
def test_pipeline_cues_are_the_same_for_any_batching(seed: int) -> None:
    sess = simulate_session(seed, 1.0, "lymphatic", has_force=True, truth=False)
    profile = get_profile(sess.technique)
    runs = [
        classify_samples(sess.samples, profile, sess.sample_rate_hz, sess.calibration, b).cues
        for b in (1, 7, 64)
    ]
    assert runs[0], "the session has cues"
    assert runs[0] == runs[1] == runs[2]
