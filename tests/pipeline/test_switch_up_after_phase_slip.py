"""switch_up after a phase slip. A downward run that begins right after a confident upward stroke,
with no pause between, is what a return misread as a glide looks like; it counts only from a
downward stroke that is clearly loaded by itself."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.evaluation.cues import score_cues
from analysis.events import Cue, Stroke
from analysis.pipeline import classify_samples
from analysis.simulation import simulate_session
from analysis.stages.cues import (
    PHASE_SLIP_GAP_S,
    SLIP_CONFIRM_CONFIDENCE,
    SWITCH_UP_MIN_CONFIDENCE,
    CueEngine,
)
from analysis.techniques import get_profile

PERIOD_S = 1.2
HALF_S = 0.5


def _stroke(onset: float, direction: str, conf: float) -> Stroke:
    return Stroke(
        onset, HALF_S, direction, confidence=conf, cadence_spm=50.0, emitted_s=onset + HALF_S
    )


def _feed(strokes: list[Stroke]) -> list[Cue]:
    engine = CueEngine(get_profile("effleurage"), has_force=False)
    t = np.arange(0.0, strokes[-1].end_s + 10.0, 0.01)
    cues: list[Cue] = []
    for s in strokes:
        assert s.emitted_s is not None
        cues += engine.advance(t, None, s.emitted_s)
        cues += engine.on_stroke(s, s.emitted_s)
    cues += engine.advance(t, None, float("inf"))
    return [c for c in cues if c.cue == "switch_up"]


def _run(up_conf: float, gap_s: float, down_confs: list[float]) -> list[Stroke]:
    """Upward strokes, then downward ones; the first down starts ``gap_s`` after the last up."""
    strokes = [_stroke(k * PERIOD_S, "up", 0.95) for k in range(3)]
    strokes.append(_stroke(3 * PERIOD_S, "up", up_conf))
    start = strokes[-1].end_s + gap_s
    strokes += [_stroke(start + k * PERIOD_S, "down", c) for k, c in enumerate(down_confs)]
    return strokes


WEAK = 0.5 * (SWITCH_UP_MIN_CONFIDENCE + SLIP_CONFIRM_CONFIDENCE)
"""Confident enough for a run of two on average, not enough to confirm a run after a slip."""


def test_a_run_starting_with_a_phase_slip_needs_a_clearly_loaded_down() -> None:
    slip = 0.5 * PHASE_SLIP_GAP_S
    assert _feed(_run(0.95, slip, [0.95, WEAK])) == []
    confirmed = _run(0.95, slip, [0.95, 0.95])
    assert [c.onset_s for c in _feed(confirmed)] == [pytest.approx(confirmed[-1].emitted_s)]


def test_a_later_clearly_loaded_down_confirms_the_run() -> None:
    strokes = _run(0.95, 0.5 * PHASE_SLIP_GAP_S, [0.95, WEAK, 0.95])
    assert [c.onset_s for c in _feed(strokes)] == [pytest.approx(strokes[-1].emitted_s)]


@pytest.mark.parametrize(
    ("up_conf", "gap_s"),
    [
        (0.95, 2.0 * PHASE_SLIP_GAP_S),  # a pause before the run: the hand got to the top
        (0.5 * SWITCH_UP_MIN_CONFIDENCE, 0.0),  # the upward stroke was no settled phase
    ],
)
def test_without_a_phase_slip_two_downs_sure_together_are_enough(
    up_conf: float, gap_s: float
) -> None:
    strokes = _run(up_conf, gap_s, [0.95, WEAK])
    assert [c.onset_s for c in _feed(strokes)] == [pytest.approx(strokes[-1].emitted_s)]


def test_the_slip_is_forgotten_once_the_run_ends() -> None:
    strokes = _run(0.95, 0.0, [0.95, WEAK])
    # an upward stroke ends the run; a new run after a pause needs no confirmation
    start = strokes[-1].end_s + 2.0
    strokes.append(_stroke(start, "up", 0.3))
    strokes += [_stroke(start + 3.0, "down", 0.95), _stroke(start + 3.0 + PERIOD_S, "down", WEAK)]
    assert [c.onset_s for c in _feed(strokes)] == [pytest.approx(strokes[-1].emitted_s)]


@pytest.mark.parametrize("seed", [3, 11])
def test_true_strokes_still_give_every_owed_switch_up(seed: int) -> None:
    # labelled strokes turn round without a pause as often as the simulated user does: with
    # certain decisions every owed cue still comes
    sess = simulate_session(seed, 2.0, "lymphatic", truth=False)
    engine = CueEngine(get_profile("lymphatic"), has_force=False)
    t = sess.samples.t_s
    cues: list[Cue] = []
    for s in sorted(sess.labels.linear_strokes(), key=lambda s: s.end_s):
        cues += engine.advance(t, None, s.end_s + 0.15)
        cues += engine.on_stroke(
            Stroke(s.onset_s, s.duration_s, s.direction, confidence=1.0), s.end_s + 0.15
        )
    (score, *_) = score_cues(
        sess.labels.linear_strokes(), cues, get_profile("lymphatic"), has_force=False
    )
    assert score.owed >= 1
    assert score.hits == score.owed
    assert score.false_alarms == 0


def test_switch_up_cues_do_not_depend_on_the_batch_size() -> None:
    sess = simulate_session(105, 1.0, "effleurage", return_style="gliding", truth=False)
    profile = get_profile(sess.technique)
    cues = {
        size: [
            (c.onset_s, c.cue)
            for c in classify_samples(
                sess.samples, profile, sess.sample_rate_hz, sess.calibration, batch_size=size
            ).cues
        ]
        for size in (7, 64)
    }
    assert cues[7] == cues[64]
