"""The pace of the back-and-forth, measured on half-strokes whichever of them carries the load,
and the ``slow_down`` cue it drives."""

from __future__ import annotations

import pytest

from analysis.stages.cadence import ReciprocationTempo
from analysis.stages.cues import REPEAT_S, CueEngine
from analysis.techniques import get_profile


def _feed(
    tempo: ReciprocationTempo,
    start_s: float,
    glide_s: float,
    return_s: float,
    cycles: int,
    linear_returns: bool = True,
    turn_s: float = 0.02,
) -> list[float | None]:
    """Alternating glide (+1) and return (−1) halves; returns the tempo after each half."""
    out = []
    t = start_s
    for _ in range(cycles):
        out.append(tempo.add(t, t + glide_s, +1, True))
        t += glide_s + turn_s
        out.append(tempo.add(t, t + return_s, -1, linear_returns))
        t += return_s + turn_s
    return out


def test_the_tempo_is_the_cycle_rate_once_three_cycles_are_chained() -> None:
    tempo = ReciprocationTempo()
    out = _feed(tempo, 0.0, 0.2, 0.4, cycles=5)
    period_s = 0.2 + 0.4 + 2 * 0.02
    assert out[:6] == [None] * 6
    assert all(x == pytest.approx(60.0 / period_s) for x in out[6:])


def test_a_brisk_glide_faster_than_its_return_gives_the_same_tempo() -> None:
    # which half is the loaded one does not matter: the cycle is the stroke
    a = _feed(ReciprocationTempo(), 0.0, 0.2, 0.4, cycles=4)
    b = _feed(ReciprocationTempo(), 0.0, 0.4, 0.2, cycles=4)
    assert a[-1] == pytest.approx(b[-1])


def test_lifted_returns_that_do_not_look_like_glides_still_chain() -> None:
    out = _feed(ReciprocationTempo(), 0.0, 0.3, 0.3, cycles=4, linear_returns=False)
    assert out[-1] == pytest.approx(60.0 / 0.64)


def test_halves_that_mostly_turn_like_circles_give_no_tempo() -> None:
    tempo = ReciprocationTempo()
    t = 0.0
    out = []
    for k in range(10):
        # now and then a half of a circle passes the glide test, never three in seven
        out.append(tempo.add(t, t + 0.3, 1 if k % 2 == 0 else -1, k % 4 == 0))
        t += 0.32
    assert out == [None] * 10


def test_a_pause_or_two_halves_the_same_way_break_the_chain() -> None:
    tempo = ReciprocationTempo()
    _feed(tempo, 0.0, 0.3, 0.3, cycles=4)
    # a pause of a second: the chain starts again and needs three cycles
    assert _feed(tempo, 10.0, 0.3, 0.3, cycles=3)[:6] == [None] * 6
    tempo = ReciprocationTempo()
    _feed(tempo, 0.0, 0.3, 0.3, cycles=4)
    end = 4 * 0.64
    assert tempo.add(end, end + 0.3, -1, True) is None  # follows a return: same sign


def test_an_irregular_chain_gives_no_tempo() -> None:
    tempo = ReciprocationTempo()
    t = 0.0
    out = []
    for k, half_s in enumerate([0.3, 0.3, 0.1, 0.1, 0.6, 0.6, 0.3, 0.3]):
        out.append(tempo.add(t, t + half_s, 1 if k % 2 == 0 else -1, True))
        t += half_s + 0.02
    assert out[-2:] == [None, None]


def test_slow_down_from_the_tempo_at_two_halves_in_a_row() -> None:
    profile = get_profile("effleurage")  # slow down above 60 strokes/min
    engine = CueEngine(profile, has_force=False)
    assert engine.on_tempo(80.0, 1.0) == []
    cues = engine.on_tempo(80.0, 1.3)
    assert [c.cue for c in cues] == ["slow_down"]
    assert "slow_down" in engine.active
    # the chain broke: the condition clears, and comes back only at two brisk halves again
    assert engine.on_tempo(None, 1.6) == []
    assert "slow_down" not in engine.active
    assert engine.on_tempo(50.0, 1.9) == []
    assert engine.on_tempo(80.0, 1.3 + REPEAT_S + 1.0) == []
    assert [c.cue for c in engine.on_tempo(80.0, 1.3 + REPEAT_S + 1.3)] == ["slow_down"]


def test_a_tempo_within_the_limit_does_not_repeat_the_stroke_cadence_verdict() -> None:
    from analysis.events import Stroke

    profile = get_profile("lymphatic")  # slow down above 36 strokes/min
    engine = CueEngine(profile, has_force=False)
    for k, t in enumerate((0.0, 1.0)):
        engine.on_stroke(Stroke(t, 0.5, "up", cadence_spm=50.0), t + 0.5 + 0.01 * k)
    assert "slow_down" in engine.active
    # halves decided later, with no tempo or a slow one, issue nothing on the strokes' behalf
    assert engine.on_tempo(None, 1.5 + REPEAT_S + 1.0) == []
    assert engine.on_tempo(20.0, 1.5 + REPEAT_S + 2.0) == []
