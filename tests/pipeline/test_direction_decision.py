"""Which half of a back-and-forth is the loaded glide, and the live calibration count."""

from __future__ import annotations

import numpy as np

from analysis.evaluation.scoring import score_recording
from analysis.events import CalibrationWindow
from analysis.pipeline import StrokePipeline, classify_samples
from analysis.simulation import simulate_session
from analysis.stages.limb_axis import CalibrationCounter, horizontal_weight_for, tilt_free_axis
from analysis.stages.loaded_phase import LoadedPhaseDecider, Signature, cue_values
from analysis.stages.orientation import emphasize_vertical
from analysis.stages.segmentation import HalfStroke
from analysis.techniques import get_profile
from tests.pipeline.synth import reciprocating

RATE = 100.0


def _half(
    onset: float,
    sign: int,
    duration: float,
    *,
    force: float | None = None,
    acc_axial: float = 0.3,
    acc_perp: float = 0.01,
    vibration: float | None = None,
    disp: float = 0.15,
) -> HalfStroke:
    return HalfStroke(
        onset_s=onset, end_s=onset + duration, sign=sign, disp_m=disp * sign,
        path_axial_m=disp, path_perp_m=0.01, energy_axial=0.02, energy_perp=0.001,
        acc_axial=acc_axial, acc_perp=acc_perp, vibration=vibration, force_n=force,
        peak_speed_mps=disp / duration * 1.9, rotation_rad=0.0, decided_s=onset + duration,
    )  # fmt: skip


# --------------------------------------------------------------------------- the cues
def test_lift_cue_does_not_call_a_quick_flat_return_lifted() -> None:
    """Two halves on the skin with the same acceleration across the axis: the quicker one
    accelerates harder along it, which must not make the slower one look lifted."""
    slow = _half(0.0, 1, 1.2, acc_axial=0.2, acc_perp=0.05)
    quick = _half(1.5, -1, 0.6, acc_axial=1.6, acc_perp=0.05)
    assert cue_values(slow)[2] == cue_values(quick)[2]
    lifted = _half(3.0, -1, 0.6, acc_axial=1.6, acc_perp=1.0)
    assert cue_values(lifted)[2] < cue_values(quick)[2] - 1.0


def test_vibration_cue_counts_friction_beyond_the_strokes_own_acceleration() -> None:
    """High-frequency power that grows with the stroke's own acceleration (the high-pass's skirt)
    is no friction; power on top of it is."""
    slow = _half(0.0, 1, 1.2, acc_axial=0.2, acc_perp=0.0, vibration=0.02)
    quick = _half(1.5, -1, 0.6, acc_axial=2.0, acc_perp=0.0, vibration=0.2)
    assert abs(cue_values(slow)[3] - cue_values(quick)[3]) < 0.1
    rough = _half(3.0, 1, 1.2, acc_axial=0.2, acc_perp=0.0, vibration=0.2)
    assert cue_values(rough)[3] > cue_values(slow)[3] + 1.0


# --------------------------------------------------------------------------- the decider
def _signature_slow_glides() -> Signature:
    loaded = [_half(3.0 * k, 1, 1.2, acc_axial=0.2) for k in range(3)]
    returns = [_half(3.0 * k + 1.5, -1, 0.6, acc_axial=1.6, acc_perp=0.8) for k in range(3)]
    return Signature.learn(loaded, returns)


def test_an_unclear_glide_after_a_pause_waits_for_its_own_return() -> None:
    """The first glide after a long pause has no partner before it. Half-way between the
    calibration's glides and returns, it is judged against the return that follows it and
    reported then (late), and the return is not."""
    decider = LoadedPhaseDecider(_signature_slow_glides())
    glide = _half(20.0, -1, 0.85, acc_axial=0.5, acc_perp=0.08)
    first = decider.decide(glide)
    assert not first.loaded
    assert decider.late is None
    ret = _half(21.5, 1, 0.5, acc_axial=2.0, acc_perp=1.0)
    decision = decider.decide(ret)
    assert not decision.loaded
    assert decider.late is not None
    assert decider.late.half is glide
    assert decider.late.loaded


def test_a_clear_glide_after_a_pause_is_decided_at_once() -> None:
    decider = LoadedPhaseDecider(_signature_slow_glides())
    decision = decider.decide(_half(20.0, -1, 1.3, acc_axial=0.15, acc_perp=0.005))
    assert decision.loaded


def test_a_flicker_is_no_partner_to_judge_a_glide_against() -> None:
    """A 2 cm flicker of the velocity in a pause is not the glide's return: an unclear glide is
    not judged against it but waits for its real partner."""
    decider = LoadedPhaseDecider(_signature_slow_glides())
    decider.decide(_half(10.0, 1, 0.3, acc_axial=0.01, disp=0.02))
    glide = _half(10.5, -1, 0.85, acc_axial=0.5, acc_perp=0.08)
    decision = decider.decide(glide)
    assert not decision.loaded  # waiting
    decider.decide(_half(12.0, 1, 0.5, acc_axial=2.0, acc_perp=1.0))
    assert decider.late is not None
    assert decider.late.half is glide


def test_a_half_that_hardly_presses_is_never_loaded() -> None:
    """With a force channel, a half pressing far less than the calibration glides did is not a
    loaded glide, however slow and flat it is (a drift at rest, a light repositioning)."""
    loaded = [_half(3.0 * k, 1, 1.2, force=6.0, acc_axial=0.2) for k in range(3)]
    returns = [
        _half(3.0 * k + 1.5, -1, 0.6, force=0.0, acc_axial=1.6, acc_perp=0.8) for k in range(3)
    ]
    decider = LoadedPhaseDecider(Signature.learn(loaded, returns))
    decider.decide(_half(20.0, 1, 1.2, force=7.0, acc_axial=0.2))
    decider.decide(_half(21.5, -1, 0.6, force=0.0, acc_axial=1.6, acc_perp=0.8))
    drift = decider.decide(_half(22.5, 1, 2.0, force=0.1, acc_axial=0.01, acc_perp=0.0))
    assert not drift.loaded


# --------------------------------------------------------------------------- the pipeline
def test_ambiguous_strokes_still_get_a_direction() -> None:
    """Symmetric strokes with no lift and no force: the loaded half is hard to tell, but the
    spec scores "unknown" as wrong, so every linear stroke carries its likelier direction (and
    its confidence says how sure)."""
    samples, truth = reciprocating(
        [1, 1, 1, 1], glide_s=0.9, return_s=0.9, lift_m=0.0, force_n=None, seed=3
    )
    cal = CalibrationWindow(truth.calibration[0], truth.calibration[1] - truth.calibration[0])
    events = classify_samples(samples, get_profile("lymphatic"), RATE, cal, batch_size=7)
    directions = {s.direction for s in events.strokes}
    assert directions
    assert directions <= {"up", "down", "cross", "circular"}


def _calibration_glide_ends(n: int) -> list[float]:
    """End times of the synthetic calibration glides (synth defaults: 2 s lead, 1.2 s glide,
    0.7 s return, 0.3 s pauses)."""
    return [2.0 + k * (1.2 + 0.7 + 2 * 0.3) + 1.2 for k in range(n)]


def _live_counts(batch: int) -> tuple[np.ndarray, list[int], str]:
    samples, truth = reciprocating([1, -1], force_n=None)
    c0, c1 = truth.calibration
    pipeline = StrokePipeline(get_profile("lymphatic"), RATE)
    pipeline.feed(samples.slice(0, int(c0 * RATE)))
    pipeline.begin_calibration()
    times: list[float] = []
    counts: list[int] = []
    for chunk in samples.slice(int(c0 * RATE), int(c1 * RATE)).chunks(batch):
        update = pipeline.feed(chunk)
        assert update.calibration.state == "collecting"
        times.append(update.t_s)
        counts.append(update.calibration.strokes_seen)
    status = pipeline.end_calibration()
    return np.array(times), counts, status.state


def test_strokes_seen_counts_upward_strokes_while_the_window_is_open() -> None:
    times, counts, state = _live_counts(7)
    assert state == "learned"
    assert counts == sorted(counts), "progress never goes back"
    assert counts[-1] == 3
    # each stroke is counted as its glide ends (the live velocity's high-pass leads it by a
    # fraction of a second) and before the next glide ends
    ends = _calibration_glide_ends(3)
    for k, end in enumerate(ends, start=1):
        first_seen = float(times[np.argmax(np.array(counts) >= k)])
        assert end - 0.5 < first_seen < end + 2.0, (k, end, first_seen)


def test_strokes_seen_does_not_depend_on_the_batching() -> None:
    t1, c1, _ = _live_counts(1)
    t64, c64, _ = _live_counts(64)
    by_time = dict(zip(t1.tolist(), c1, strict=True))
    assert [by_time[t] for t in t64.tolist()] == c64


def test_counter_on_its_own_needs_a_clear_direction() -> None:
    """Noise around rest has no direction: nothing is counted."""
    counter = CalibrationCounter(RATE, 6000)
    rng = np.random.default_rng(1)
    t = np.arange(1000) / RATE
    assert counter.process(t, rng.normal(0.0, 0.03, (1000, 3))) == 0


# --------------------------------------------------------------------------- axis without gyro
def _leaky_velocity(
    elevation_deg: float, leak: float, lift_m: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Velocity (sensor = world frame, z up) of strokes along an axis climbing
    ``elevation_deg``, plus the tilt leak of a gyro-less device: the wrist's flex turns about the
    axis across the limb, so gravity leaks horizontally in the plane of the limb and the skin
    normal, as a position-like term ``leak × x(t)``; and an optional lift of the returns."""
    t = np.arange(0.0, 12.0, 0.01)
    e = np.radians(elevation_deg)
    u = np.array([np.cos(e), 0.0, np.sin(e)])
    normal = np.array([-np.sin(e), 0.0, np.cos(e)])
    horizontal = np.array([1.0, 0.0, 0.0])
    x = 0.08 * np.sin(2 * np.pi * t / 3.0)  # position along the limb, m
    v = 0.08 * 2 * np.pi / 3.0 * np.cos(2 * np.pi * t / 3.0)
    lift = lift_m * 2 * np.pi / 1.5 * np.cos(2 * np.pi * t / 1.5) * (v < 0)
    w = np.outer(v, u) + np.outer(leak * x, horizontal) + np.outer(lift, normal)
    return w, u, np.array([0.0, 0.0, 9.81])


def test_tilt_free_axis_undoes_the_leak_on_an_inclined_leg() -> None:
    w, u, up = _leaky_velocity(50.0, leak=2.5)
    top = float(np.linalg.eigvalsh(np.cov(w.T))[-1])
    pca = np.linalg.eigh(np.cov(w.T))[1][:, -1]
    assert abs(float(pca @ u)) < 0.9  # the leak pulls the principal direction away
    axis = tilt_free_axis(w, up, pca, top)
    assert axis is not None
    assert abs(float(axis @ u)) > 0.99


def test_tilt_free_axis_declines_on_a_level_leg() -> None:
    """With the leg level the vertical velocity is only the lift of the returns: no estimate."""
    w, _, up = _leaky_velocity(0.0, leak=1.0, lift_m=0.02)
    values, vectors = np.linalg.eigh(np.cov(w.T))
    assert tilt_free_axis(w, up, vectors[:, -1], float(values[-1])) is None


def _up_each(w: np.ndarray, up: np.ndarray) -> np.ndarray:
    return np.broadcast_to(up / np.linalg.norm(up), w.shape)


def test_the_horizontal_part_is_weighed_down_only_on_a_climbing_leg() -> None:
    """A leak twice the stroke's speed (measured on simulated micro:bit sessions: 2–6×) and 2 cm
    lifts: a leg climbing 50° shows enough tilt-free vertical motion, a level one only its lifts."""
    w, _, up = _leaky_velocity(50.0, leak=4.0, lift_m=0.02)
    assert horizontal_weight_for(w, _up_each(w, up)) < 1.0
    w, _, up = _leaky_velocity(0.0, leak=4.0, lift_m=0.02)
    assert horizontal_weight_for(w, _up_each(w, up)) == 1.0


def test_weighing_the_horizontal_part_down_pulls_the_axis_back_to_the_limb() -> None:
    w, u, up = _leaky_velocity(50.0, leak=2.5)
    weighed = emphasize_vertical(w, _up_each(w, up), horizontal_weight_for(w, _up_each(w, up)))
    before = abs(float(np.linalg.eigh(np.cov(w.T))[1][:, -1] @ u))
    after_axis = np.linalg.eigh(np.cov(weighed.T))[1][:, -1]
    # the weighed velocity's principal direction, taken back to where the leak is not weighed
    assert abs(float(after_axis @ u)) > before


def _microbit_direction_accuracy(posture: str) -> float:
    correct = matched = 0
    for seed in range(3):
        sess = simulate_session(
            seed, 1.0, "effleurage", truth=False, device="microbit", posture=posture
        )
        profile = get_profile(sess.technique)
        events = classify_samples(sess.samples, profile, sess.sample_rate_hz, sess.calibration)
        score = score_recording(sess.labels, events, profile, has_force=sess.samples.has_force)
        correct += score.linear_correct
        matched += score.linear_matched
    return correct / matched


def test_without_a_gyro_strokes_up_and_down_a_standing_leg_keep_their_direction() -> None:
    """Standing, the strokes climb and fall with the limb: the tilt-free vertical part shows which
    way the hand glides, where the horizontal tilt leak alone would turn whole sessions around."""
    assert _microbit_direction_accuracy("standing") >= 0.9


def test_without_a_gyro_strokes_along_a_level_leg_keep_their_direction() -> None:
    assert _microbit_direction_accuracy("seated_extended") >= 0.95
