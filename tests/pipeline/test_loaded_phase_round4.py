"""Loaded phase, round 4: a half must press like the session's glides, not only like the light
calibration strokes."""

from __future__ import annotations

from analysis.stages.loaded_phase import LoadedPhaseDecider, Signature
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
    force: float,
    disp: float = 0.15,
    lift: float = 0.0,
    rubbing: bool = True,
) -> HalfStroke:
    """A minimum-jerk-like half whose speed, stroke-band acceleration and (when ``rubbing``)
    friction vibration follow from its length and duration; ``lift`` is the share of the axial
    acceleration seen across the axis."""
    speed2 = 1.2 * (disp / duration) ** 2
    acc2 = 20.0 * disp**2 / duration**4
    return HalfStroke(
        onset_s=onset, end_s=onset + duration, sign=sign, disp_m=disp * sign,
        path_axial_m=disp, path_perp_m=lift * disp, energy_axial=speed2, energy_perp=0.0,
        acc_axial=acc2, acc_perp=lift * acc2 + 0.001,
        vibration=FRICTION_PER_SPEED2 * speed2 if rubbing else AIR_VIB, force_n=force,
        peak_speed_mps=1.875 * disp / duration, rotation_rad=0.0, decided_s=onset + duration,
    )  # fmt: skip


def _decider() -> LoadedPhaseDecider:
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
    decider = _decider()
    drift = _half(30.0, 1, 1.5, force=2.0, disp=0.05)
    assert 0.3 * CALIBRATION_N < 2.0  # the calibration level alone would let it through
    assert not _reported(decider, drift, 31.6)


def test_a_lighter_glide_is_still_a_glide() -> None:
    """A user pressing lighter (after a ``lighter`` cue, 60 % of the session's level) still
    glides: it is reported."""
    decider = _decider()
    glide = _half(30.0, 1, 0.8, force=0.6 * SESSION_N)
    assert _reported(decider, glide, 30.9)
