"""What a lost stretch of samples may cost.

A gap (half a second or more) restarts every stage (AHRS attitude, velocity filters, segmenter),
so the stroke the gap cuts may be lost, but nothing else — the strokes before the gap are already
decided, a restart while the hand rests costs no stroke, and after a gap mid-stroke the stages have
forgotten the restart within the velocity filter's memory (~3 s at 0.1 Hz), so the strokes from
then on are those of the unbroken stream. A shorter loss (a burst of lost BLE packets) is carried
through: the glide it cuts is still found."""

from __future__ import annotations

import numpy as np

from analysis.events import CalibrationWindow, EventTable
from analysis.pipeline import classify_samples
from analysis.samples import SampleBatch
from analysis.techniques import get_profile
from tests.pipeline.synth import Truth, reciprocating

RATE = 100.0
FORGET_S = 3.0
"""After this long past a gap the restart is forgotten (two-pole 0.1 Hz high-pass: its step
response (1 − at)·e^(−at) is below 15 % at 3 s)."""


def _strokes(samples: SampleBatch, truth: Truth, batch: int = 10) -> EventTable:
    cal = CalibrationWindow(truth.calibration[0], truth.calibration[1] - truth.calibration[0])
    return classify_samples(samples, get_profile("lymphatic"), RATE, cal, batch_size=batch)


def _drop(samples: SampleBatch, t0_s: float, t1_s: float) -> SampleBatch:
    keep = (samples.t_s < t0_s) | (samples.t_s >= t1_s)
    return SampleBatch(
        samples.t_s[keep],
        samples.acc_mps2[keep],
        None if samples.gyro_radps is None else samples.gyro_radps[keep],
        None if samples.force_n is None else samples.force_n[keep],
    )


def _spans(events: EventTable, t0_s: float, t1_s: float) -> list[tuple[float, float, str]]:
    return [
        (round(s.onset_s, 6), round(s.end_s, 6), s.direction)
        for s in events.strokes
        if t0_s <= s.onset_s < t1_s
    ]


def test_a_gap_while_the_hand_rests_costs_no_stroke() -> None:
    samples, truth = reciprocating([1] * 8, force_n=8.0, pause_s=0.6)
    whole = _strokes(samples, truth)
    # 0.6 s lost in the pause before the fifth stroke after calibration
    onset = truth.loaded[4][0]
    broken = _strokes(_drop(samples, onset - 0.65, onset - 0.05), truth)
    assert _spans(broken, 0.0, onset - 0.65) == _spans(whole, 0.0, onset - 0.65)
    ups = [s for s in broken.strokes if s.direction == "up" and s.onset_s > onset - 0.5]
    later = [g for g in truth.loaded if g[0] >= onset]
    assert len(later) == 4
    for g0, g1, _ in later:
        assert any(s.onset_s < g1 and g0 < s.end_s for s in ups), (g0, g1)


def test_a_gap_mid_glide_is_forgotten_within_seconds_and_invents_nothing() -> None:
    samples, truth = reciprocating([1] * 10, force_n=8.0)
    whole = _strokes(samples, truth)
    g0, g1, _ = truth.loaded[4]
    cut0, cut1 = 0.5 * (g0 + g1) - 0.3, 0.5 * (g0 + g1) + 0.3  # 0.6 s mid-glide
    for batch in (1, 7, 64):
        broken = _strokes(_drop(samples, cut0, cut1), truth, batch)
        # decided before the gap: unchanged
        assert _spans(broken, 0.0, g0 - 1.0) == _spans(whole, 0.0, g0 - 1.0)
        # the restart forgotten: the same strokes as the unbroken stream (the velocity's remaining
        # difference moves their ends by a few samples at most)
        after, ref = _spans(broken, cut1 + FORGET_S, np.inf), _spans(whole, cut1 + FORGET_S, np.inf)
        assert len(ref) >= 3
        assert [d for _, _, d in after] == [d for _, _, d in ref]
        for (o, e, _), (o_ref, e_ref, _) in zip(after, ref, strict=True):
            assert abs(o - o_ref) < 0.1
            assert abs(e - e_ref) < 0.1
        # in between, only strokes where the hand really glided
        for s in broken.strokes:
            if cut0 - 1.0 < s.onset_s < cut1 + FORGET_S:
                assert any(s.onset_s < e + 0.3 and o - 0.3 < s.end_s for o, e, _ in truth.loaded)


def test_a_short_loss_mid_glide_is_carried_through_and_the_glide_found() -> None:
    """0.3 s of a 1.2 s glide lost (a burst of BLE packets): restarting there zeroed the velocity
    of a hand still gliding and lost the glide; carried through, every glide is found, in the
    right direction and where it was."""
    samples, truth = reciprocating([1] * 10, force_n=8.0)
    g0, g1, _ = truth.loaded[4]
    mid = 0.5 * (g0 + g1)
    for batch in (1, 7, 64):
        broken = _strokes(_drop(samples, mid - 0.15, mid + 0.15), truth, batch)
        for o, e, _ in truth.loaded:
            assert any(
                s.direction == "up" and s.onset_s < e and o < s.end_s for s in broken.strokes
            ), (o, e)
        assert all(s.direction == "up" for s in broken.strokes)
