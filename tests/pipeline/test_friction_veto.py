"""Loaded phase: a half with no skin friction at all is never the loaded glide."""

from __future__ import annotations

from analysis.stages.loaded_phase import LoadedPhaseDecider, Signature
from analysis.stages.segmentation import HalfStroke
from tests.pipeline.synth import half_stroke

GLIDE_VIB = 0.05
"""Friction vibration of a pressed glide, (m/s²)²."""
AIR_VIB = 0.0005
"""A hand moving in the air: sensor noise only, (m/s²)²."""


def _half(
    onset: float, sign: int, duration: float, lift: float, vibration: float | None
) -> HalfStroke:
    return half_stroke(onset, sign, duration, lift=lift, vibration=vibration)


def _signature(return_vib: float) -> Signature:
    """Calibration: slow, unlifted, rubbing glides up; quicker, lifted returns down."""
    loaded = [_half(2.0 * k, 1, 1.2, 0.05, GLIDE_VIB * (1.0 + 0.1 * k)) for k in range(3)]
    returns = [_half(2.0 * k + 1.2, -1, 0.6, 1.0, return_vib * (1.0 + 0.1 * k)) for k in range(3)]
    return Signature.learn(loaded, returns)


def _slow_half_after_a_return(signature: Signature, vibration: float | None) -> bool:
    """Whether a slow, unlifted half right after a quick lifted return is judged loaded."""
    decider = LoadedPhaseDecider(signature)
    return_vib = None if vibration is None else AIR_VIB
    decider.decide(_half(10.0, -1, 0.6, 1.0, return_vib))
    return decider.decide(_half(10.7, 1, 1.2, 0.05, vibration)).loaded


def test_a_slow_half_without_friction_is_not_loaded() -> None:
    # a hand carried in the air to a new start: slower than the return before it, but no
    # stick-slip at all, where the user's glides always had some
    signature = _signature(return_vib=AIR_VIB)
    assert signature.weight[3] > 0
    assert not _slow_half_after_a_return(signature, AIR_VIB)


def test_the_same_half_rubbing_the_skin_is_loaded() -> None:
    signature = _signature(return_vib=AIR_VIB)
    assert _slow_half_after_a_return(signature, GLIDE_VIB)


def test_without_a_vibration_band_the_other_cues_decide() -> None:
    signature = _signature(return_vib=AIR_VIB)
    assert _slow_half_after_a_return(signature, None)


def test_no_friction_veto_when_friction_did_not_separate_the_calibration() -> None:
    # this user's returns rubbed as hard as the glides (per stroke power): friction says
    # nothing of the phase
    signature = _signature(return_vib=GLIDE_VIB * 2.5)
    assert signature.weight[3] <= 0
    assert _slow_half_after_a_return(signature, AIR_VIB)


def test_vibration_at_the_noise_floor_is_no_cue() -> None:
    # oiled skin: glides and returns both carry only the sensor's noise. Per stroke-band power
    # the quicker returns would look "smoother" and the slow glides "rougher" (slowness counted
    # twice); the signature gives the cue no weight, and the physical prior does not put it back
    loaded = [_half(2.0 * k, 1, 1.2, 0.05, AIR_VIB * (1.0 + 0.05 * k)) for k in range(3)]
    returns = [_half(2.0 * k + 1.2, -1, 0.6, 1.0, AIR_VIB * (1.05 - 0.05 * k)) for k in range(3)]
    learned = Signature.learn(loaded, returns)
    echo = (learned.loaded_mean[3] - learned.return_mean[3]) / learned.spread[3]
    assert echo > 0.5  # the cue itself separates, by the stroke power alone
    assert learned.vibration_silent
    assert learned.weight[3] == 0.0
    assert learned.shrunk_toward(Signature.prior(has_force=False), 3).weight[3] == 0.0
    assert learned.weight[1] > 0.0  # slowness still speaks, once


def test_vibration_that_rubbed_in_the_glides_keeps_its_weight() -> None:
    signature = _signature(return_vib=AIR_VIB)
    assert not signature.vibration_silent
    assert signature.shrunk_toward(Signature.prior(has_force=False), 3).weight[3] > 0.0
