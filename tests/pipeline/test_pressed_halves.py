"""Which halves are pressed: friction judged per sliding speed (whatever the tempo), late reports
are pressed halves, and a half must press like the session's glides, not only like the light
calibration strokes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from analysis.stages.loaded_phase import (
    FRICTION_DROP,
    FRICTION_EVIDENT,
    LoadedPhaseDecider,
    Signature,
    cue_values,
    friction_per_speed,
)
from analysis.stages.segmentation import HalfStroke

FRICTION_PER_SPEED2 = 2.0
"""Stick-slip vibration power per squared sliding speed of a pressed glide, (m/s²)² / (m/s)²."""
AIR_VIB = 0.0002
"""A hand moving in the air: sensor noise only, (m/s²)²."""
CALIBRATION_N = 4.0
"""The light calibration glides' force, N."""
SESSION_N = 15.0
"""The session's glides' force, N (as hard as deep strokes press)."""


def _half(
    onset: float,
    sign: int,
    duration: float,
    *,
    disp: float = 0.15,
    force: float | None = None,
    lift: float = 0.0,
    rubbing: bool = True,
) -> HalfStroke:
    """A minimum-jerk-like half: mean squared speed, stroke-band acceleration and (when
    ``rubbing``) friction vibration follow from its length and duration; a ``lift`` (share of the
    axial acceleration) accelerates it across the axis."""
    speed2 = 1.2 * (disp / duration) ** 2
    acc2 = 20.0 * disp**2 / duration**4
    return HalfStroke(
        onset_s=onset, end_s=onset + duration, sign=sign, disp_m=disp * sign,
        path_axial_m=disp, path_perp_m=lift * disp, energy_axial=speed2, energy_perp=0.0,
        acc_axial=acc2, acc_perp=lift * acc2 + 0.001,
        vibration=FRICTION_PER_SPEED2 * speed2 if rubbing else AIR_VIB, force_n=force,
        peak_speed_mps=1.875 * disp / duration, rotation_rad=0.0, decided_s=onset + duration,
    )  # fmt: skip


def _calibration(force: float | None) -> Signature:
    """Three slow, light, rubbing glides up; quicker lifted returns down without contact."""
    loaded = [_half(3.0 * k, 1, 1.6, force=force) for k in range(3)]
    returns = [
        _half(3.0 * k + 1.8, -1, 0.9, force=None if force is None else 0.0, lift=0.6, rubbing=False)
        for k in range(3)
    ]
    return Signature.learn(loaded, returns)


# ----------------------------------------------------------------- friction per sliding speed
def test_friction_per_speed_does_not_depend_on_the_tempo() -> None:
    """The same pressure at twice the tempo: the vibration cue (per stroke-band power) drops by
    the tempo squared, friction per squared speed stays."""
    slow = _half(0.0, 1, 1.6)
    quick = _half(2.0, 1, 0.4)
    assert abs(friction_per_speed(slow) - friction_per_speed(quick)) < 0.15
    assert cue_values(quick)[3] < cue_values(slow)[3] - 2.0
    carried = _half(4.0, 1, 0.4, rubbing=False)
    assert friction_per_speed(carried) < friction_per_speed(quick) - 3.0


def test_brisk_session_glides_are_not_vetoed_as_frictionless() -> None:
    """Calibration strokes are slow; a session's glides four times quicker rub just as much per
    sliding speed and must still be judged loaded next to their lifted returns."""
    signature = _calibration(force=None)
    assert np.isfinite(signature.loaded_friction)
    decider = LoadedPhaseDecider(signature)
    reported = 0
    t = 10.0
    for _ in range(4):
        glide = decider.decide(_half(t, 1, 0.4))
        reported += glide.loaded + (decider.late is not None)
        ret = decider.decide(_half(t + 0.45, -1, 0.25, lift=0.6, rubbing=False))
        assert not ret.loaded
        reported += decider.late is not None
        t += 1.0
    assert reported == 4


def test_with_a_force_channel_a_pressed_glide_on_oiled_skin_is_loaded() -> None:
    """Oiled skin: no stick-slip at all, glide and return carry the same sensor noise, so
    friction per squared speed only measures the speed and a brisk glide looks far less "rubbed"
    than the slow calibration glides. The force channel shows the press; it decides."""
    loaded = [_half(3.0 * k, 1, 1.6, force=CALIBRATION_N, rubbing=False) for k in range(3)]
    returns = [_half(3.0 * k + 1.8, -1, 0.9, force=0.0, lift=0.6, rubbing=False) for k in range(3)]
    signature = Signature.learn(loaded, returns)
    brisk = _half(10.0, 1, 0.3, force=SESSION_N, rubbing=False)
    assert friction_per_speed(brisk) < signature.loaded_friction - FRICTION_DROP  # vetoed before
    decider = LoadedPhaseDecider(signature)
    decider.decide(_half(9.3, -1, 0.5, force=0.2, lift=0.6, rubbing=False))
    assert decider.decide(brisk).loaded
    ret = decider.decide(_half(10.35, -1, 0.3, force=0.2, lift=0.6, rubbing=False))
    assert not ret.loaded
    assert decider.late is None


def test_a_carried_move_without_friction_is_never_loaded() -> None:
    """Lifted to a new start point: slower than the return before it, but no stick-slip."""
    decider = LoadedPhaseDecider(_calibration(force=None))
    decider.decide(_half(10.0, 1, 1.0))
    decider.decide(_half(11.1, -1, 0.5, lift=0.6, rubbing=False))
    carry = decider.decide(_half(11.8, 1, 1.4, disp=0.3, lift=0.3, rubbing=False))
    assert not carry.loaded
    assert decider.late is None


def test_a_slow_drift_without_friction_is_never_loaded() -> None:
    """At rest the velocity estimate still drifts (the high-pass's tail after a carry): a slow
    "half" carrying only the sensor's noise. Per squared speed that noise looks like plenty of
    friction, so only the vibration itself tells: no more than the returns carried. A slow light
    glide that rubs is still loaded."""
    signature = _calibration(force=None)
    drift = _half(12.0, 1, 1.5, disp=0.03, rubbing=False)
    assert friction_per_speed(drift) > signature.loaded_friction - FRICTION_DROP
    decider = LoadedPhaseDecider(signature)
    decider.decide(_half(10.0, 1, 1.0))
    decider.decide(_half(11.1, -1, 0.5, lift=0.6, rubbing=False))
    assert not decider.decide(drift).loaded
    assert decider.late is None
    decider = LoadedPhaseDecider(signature)
    decider.decide(_half(14.0, -1, 0.8, lift=0.6, rubbing=False))
    assert decider.decide(_half(15.0, 1, 2.0, disp=0.1)).loaded


def test_light_glides_are_not_vetoed_when_the_returns_rubbed_too() -> None:
    """Gliding returns rub lightly: the calibration glides carried only twice the returns'
    vibration, so a light session glide whose rubbing is no stronger than a calibration return's
    says nothing about contact, and stays loaded next to its lifted return."""
    loaded = [_half(3.0 * k, 1, 1.6) for k in range(3)]
    returns = [
        replace(h, vibration=0.5 * FRICTION_PER_SPEED2 * h.energy_axial)
        for h in (_half(3.0 * k + 1.8, -1, 1.6) for k in range(3))
    ]
    signature = Signature.learn(loaded, returns)
    assert 0.0 < signature.loaded_vibration - signature.return_vibration < FRICTION_EVIDENT
    light = _half(10.0, 1, 1.6)
    light = replace(light, vibration=float(np.exp(signature.return_vibration)))
    decider = LoadedPhaseDecider(signature)
    decider.decide(_half(9.0, -1, 0.6, lift=0.6, rubbing=False))
    assert decider.decide(light).loaded


# ----------------------------------------------------------------- late reports
def test_a_waiting_half_without_friction_is_never_reported_late() -> None:
    """A half after a pause waits for its partner; when none comes (the next half goes the same
    way) the means judge it, and a carried move that only looks slow must not come out as a
    stroke: late reports are loaded halves only."""
    decider = LoadedPhaseDecider(_calibration(force=None))
    carry = decider.decide(_half(10.0, 1, 1.6, rubbing=False))
    assert not carry.loaded
    assert decider.late is None
    decider.decide(_half(12.5, 1, 1.0))
    assert decider.late is None


def test_a_pressed_successor_still_gives_a_return_its_second_chance() -> None:
    """A half judged a return next to the glide before it is reported late when the half after
    it, pressing the skin too, shows it was the loaded one after all."""
    decider = LoadedPhaseDecider(_calibration(force=4.0))
    decider.decide(_half(10.0, 1, 1.0, force=12.0))
    decider.decide(_half(11.1, -1, 0.8, force=6.0))
    decider.decide(_half(12.0, 1, 0.5, force=1.3, lift=0.6))
    assert decider.late is not None
    assert decider.late.half.sign == -1


def _pressing_session() -> LoadedPhaseDecider:
    """Calibrated on three light slow glides up and lifted returns, then six session cycles of
    hard glides up (``SESSION_N``) and lifted returns, so the session's level is learned."""
    loaded = [_half(3.0 * k, 1, 1.6, force=CALIBRATION_N) for k in range(3)]
    returns = [_half(3.0 * k + 1.8, -1, 0.9, force=0.0, lift=0.6, rubbing=False) for k in range(3)]
    decider = LoadedPhaseDecider(Signature.learn(loaded, returns))
    t = 20.0
    for _ in range(6):
        decider.decide(_half(t, 1, 0.8, force=SESSION_N))
        decider.decide(_half(t + 0.9, -1, 0.5, force=0.2, lift=0.6, rubbing=False))
        t += 1.6
    return decider


def _reported(decider: LoadedPhaseDecider, half: HalfStroke, t_next: float) -> bool:
    """Whether ``half`` is reported loaded, at once or late (when the next, lifted return ends)."""
    now = decider.decide(half)
    nxt = decider.decide(_half(t_next, -1, 0.5, force=0.2, lift=0.6, rubbing=False))
    late = decider.late is not None and decider.late.half is half
    return now.loaded or late or (nxt.loaded and nxt.half is half)


def test_a_hand_resting_on_the_skin_is_not_a_glide_of_a_hard_pressing_session() -> None:
    """A drift while the hand rests at 2 N presses more than a third of the light calibration
    glides, but a seventh of the session's: it is no glide, however on-skin and slow it looks."""
    decider = _pressing_session()
    drift = _half(30.0, 1, 1.5, force=2.0, disp=0.05)
    assert 0.3 * CALIBRATION_N < 2.0  # the calibration level alone would let it through
    assert not _reported(decider, drift, 31.6)


def test_a_lighter_glide_is_still_a_glide() -> None:
    """A user pressing lighter (after a ``lighter`` cue, 60 % of the session's level) still
    glides: it is reported."""
    decider = _pressing_session()
    glide = _half(30.0, 1, 0.8, force=0.6 * SESSION_N)
    assert _reported(decider, glide, 30.9)
