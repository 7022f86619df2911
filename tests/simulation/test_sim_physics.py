"""The simulator's physics, checked against first principles and the ground truth it exposes."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from analysis.samples import STANDARD_GRAVITY_MPS2 as G
from analysis.simulation import SimulatedSession, simulate_session
from analysis.simulation.orientation import integrate_gyro, quaternion_to_matrix
from analysis.simulation.posture import POSTURES


@cache
def session(seed: int, minutes: float = 1.0, **kw: object) -> SimulatedSession:
    return simulate_session(seed, minutes, **kw)  # type: ignore[arg-type]


def _rest_windows(s: SimulatedSession, margin_s: float = 0.3) -> list[np.ndarray]:
    """Sample masks of the labelled rests, trimmed at both ends."""
    t = s.samples.t_s
    out = []
    for o in s.labels.others:
        if o.label != "rest":
            continue
        m = (t > o.onset_s + margin_s) & (t < o.onset_s + o.duration_s - margin_s)
        if np.count_nonzero(m) >= 5:
            out.append(m)
    return out


def _index_at(s: SimulatedSession, t_rec: float, within_s: float = 0.08) -> int | None:
    """The sample nearest a recording time (through the truth's true clock), or ``None`` when
    the nearest is more than ``within_s`` away (the time fell into a gap)."""
    assert s.truth is not None
    tau = (t_rec - s.truth.clock_offset_s) / s.truth.clock_scale
    i = int(np.clip(np.searchsorted(s.truth.true_t_s, tau), 1, len(s.samples) - 1))
    if abs(s.truth.true_t_s[i - 1] - tau) < abs(s.truth.true_t_s[i] - tau):
        i -= 1
    return i if abs(s.truth.true_t_s[i] - tau) <= within_s else None


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    c = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_at_rest_the_accelerometer_reads_g(seed: int) -> None:
    noisy = session(seed)
    for m in _rest_windows(noisy):
        # Bias (≈0.1 m/s²) and scale error (≈1 %) of a real sensor are allowed for.
        assert abs(np.linalg.norm(noisy.samples.acc_mps2[m].mean(axis=0)) - G) < 0.35
    ideal = session(seed, ideal=True, tremor_hz=None)
    rests = _rest_windows(ideal)
    assert rests
    for m in rests:
        norms = np.linalg.norm(ideal.samples.acc_mps2[m], axis=1)
        # Only the slow wander of the hand remains: well under 0.05 m/s².
        assert np.all(np.abs(norms - G) < 0.05), norms


@pytest.mark.parametrize("posture", sorted(POSTURES))
def test_integrating_the_gyro_reproduces_the_gravity_the_accelerometer_sees(
    posture: str,
) -> None:
    s = session(
        11,
        1.0,
        rate_hz=200.0,
        device="polar-verity",
        ideal=True,
        posture=posture,
        mounting="arbitrary",
        tremor_hz=10.0,
    )
    assert s.truth is not None
    assert s.samples.gyro_radps is not None
    q = integrate_gyro(s.truth.orientation[0], s.truth.true_t_s, s.samples.gyro_radps)
    up_in_sensor = quaternion_to_matrix(q)[:, 2, :]  # Rᵀ e_z
    rests = _rest_windows(s)
    assert len(rests) >= 3
    moved = 0
    for m in rests[1:]:  # every rest after the first has motion before it
        acc_dir = s.samples.acc_mps2[m].mean(axis=0)
        assert _angle_deg(acc_dir, up_in_sensor[m].mean(axis=0)) < 2.0
        moved += 1
    assert moved >= 2


def test_gyro_with_realistic_errors_still_tracks_gravity_once_its_bias_is_taken_out() -> None:
    """What an AHRS does: estimate the gyro bias at the first rest, integrate, compare."""
    s = session(12, 1.0, rate_hz=104.0, device="polar-verity", packet_loss=False)
    assert s.truth is not None
    assert s.samples.gyro_radps is not None
    first_rest = _rest_windows(s)[0]
    bias = s.samples.gyro_radps[first_rest].mean(axis=0)
    cal_end = s.calibration.end_s
    q = integrate_gyro(s.truth.orientation[0], s.samples.t_s, s.samples.gyro_radps - bias)
    up_in_sensor = quaternion_to_matrix(q)[:, 2, :]
    after = [m for m in _rest_windows(s) if s.samples.t_s[m][0] > cal_end - 1.0]
    m = after[0]
    assert _angle_deg(s.samples.acc_mps2[m].mean(axis=0), up_in_sensor[m].mean(axis=0)) < 4.0


@pytest.mark.parametrize("seed", range(20, 34))
def test_every_up_stroke_moves_toward_the_heart_and_every_down_stroke_away(seed: int) -> None:
    s = session(seed)
    assert s.truth is not None
    axis = s.truth.limb.toward_heart
    linear = [st for st in s.labels.strokes if st.is_linear]
    checked = 0
    for st in linear:
        i0, i1 = _index_at(s, st.onset_s), _index_at(s, st.end_s)
        if i0 is None or i1 is None:
            continue  # lost in a gap
        checked += 1
        along = float(np.dot(s.truth.position_m[i1] - s.truth.position_m[i0], axis))
        if st.direction == "up":
            assert along > 0.015, (st, along)
        else:
            assert along < -0.015, (st, along)
    assert checked >= 0.8 * len(linear)
    assert checked >= 5


def test_posture_decides_where_toward_the_heart_points_in_the_world() -> None:
    climbs = {
        "lying_leg_raised": -1.0,
        "standing": 1.0,
        "foot_on_chair": 1.0,
    }
    for posture, sign in climbs.items():
        s = session(40, posture=posture, technique="lymphatic")
        assert s.truth is not None
        rises = []
        for st in s.labels.strokes:
            i0, i1 = _index_at(s, st.onset_s), _index_at(s, st.end_s)
            if st.direction == "up" and i0 is not None and i1 is not None:
                rises.append(s.truth.position_m[i1, 2] - s.truth.position_m[i0, 2])
        assert len(rises) >= 5
        assert all(sign * dz > 0.005 for dz in rises), (posture, rises)
    flat = session(40, posture="seated_extended", technique="lymphatic")
    assert flat.truth is not None
    assert abs(flat.truth.limb.toward_heart[2]) < np.sin(np.radians(8.5))


def _cadences(onsets: list[float]) -> list[float | None]:
    return [None if k < 3 else 180.0 / (onsets[k] - onsets[k - 3]) for k in range(len(onsets))]


@pytest.mark.parametrize(
    ("technique", "seed"),
    [
        ("lymphatic", 50),
        ("lymphatic", 51),
        ("effleurage", 52),
        ("effleurage", 53),
        ("warmup", 54),
        ("warmup", 55),
    ],
)
def test_fast_bursts_exceed_the_profile_limit_and_normal_strokes_do_not(
    technique: str, seed: int
) -> None:
    from analysis.techniques import get_profile

    limit = get_profile(technique).slow_down_above_spm
    assert limit is not None
    s = session(seed, 2.0, technique=technique)
    assert s.truth is not None
    linear = [ts for ts in s.truth.strokes if ts.label.is_linear]
    onsets = [ts.label.onset_s for ts in linear]
    cad = _cadences(onsets)
    fast_seen = 0
    for k in range(3, len(linear)):
        same = {linear[j].episode for j in range(k - 3, k + 1)}
        if len(same) != 1:
            continue
        c = cad[k]
        assert c is not None
        if "burst" in linear[k].tags:
            assert c > 1.25 * limit, (k, c)
            fast_seen += 1
        elif "normal" in linear[k].tags:
            assert c < 0.85 * limit, (k, c)
    assert fast_seen >= 1


def _owed_switch_up(directions: list[str]) -> list[int]:
    """Spec: owed at k where L_k and L_{k−1} are down and L_{k−2} is not."""
    return [
        k
        for k in range(1, len(directions))
        if directions[k] == "down"
        and directions[k - 1] == "down"
        and (k < 2 or directions[k - 2] != "down")
    ]


@pytest.mark.parametrize("seed", range(60, 66))
def test_down_runs_owe_switch_up_and_isolated_down_strokes_do_not(seed: int) -> None:
    s = session(seed, 2.0, technique=("lymphatic", "effleurage", "warmup")[seed % 3])
    assert s.truth is not None
    linear = [ts for ts in s.truth.strokes if ts.label.is_linear]
    dirs = [ts.label.direction for ts in linear]
    owed = _owed_switch_up(dirs)
    runs = {ts.episode for ts in linear if "down_run" in ts.tags}
    assert runs, "every up-rule session has a run of downward strokes"
    assert len(owed) == len(runs)
    assert {linear[k].episode for k in owed} == runs
    singles = [k for k, ts in enumerate(linear) if "down_single" in ts.tags]
    assert singles
    for k in singles:
        assert dirs[k - 1] == "up"
        assert dirs[k + 1] == "up"
    for ts in linear:
        if "down_run" not in ts.tags and "down_single" not in ts.tags:
            assert ts.label.direction == "up"


@pytest.mark.parametrize("seed", [70, 71, 72])
def test_heavy_strokes_are_labelled_above_the_force_limit(seed: int) -> None:
    s = session(seed, 2.0, technique="lymphatic", has_force=True)
    assert s.truth is not None
    assert s.samples.force_n is not None
    heavy = [ts for ts in s.truth.strokes if "heavy" in ts.tags]
    light = [ts for ts in s.truth.strokes if ts.label.is_linear and "heavy" not in ts.tags]
    assert heavy
    for ts in heavy:
        assert ts.label.force_n is not None
        assert ts.label.force_n > 10.0
        # The force channel agrees with the label (FSR gain error ≈ 6 %).
        m = (s.samples.t_s >= ts.label.onset_s) & (s.samples.t_s <= ts.label.end_s)
        if np.count_nonzero(m) > 5:
            assert abs(s.samples.force_n[m].mean() / ts.label.force_n - 1.0) < 0.3
    for ts in light:
        assert ts.label.force_n is not None
        assert ts.label.force_n < 8.0


def test_force_is_labelled_only_when_the_recording_has_a_force_channel() -> None:
    without = session(73, technique="lymphatic", has_force=False)
    assert without.samples.force_n is None
    assert all(st.force_n is None for st in without.labels.strokes)
    with_force = session(73, technique="lymphatic", has_force=True)
    assert with_force.samples.force_n is not None
    assert all(st.force_n is not None for st in with_force.labels.strokes)


def test_the_return_carries_less_force_than_the_loaded_glide() -> None:
    s = session(74, technique="effleurage", has_force=True, ideal=True, return_style="gliding")
    assert s.truth is not None
    assert s.samples.force_n is not None
    loaded = np.zeros(len(s.samples), dtype=bool)
    t = s.samples.t_s
    for st in s.labels.strokes:
        loaded |= (t >= st.onset_s + 0.2 * st.duration_s) & (t <= st.end_s - 0.2 * st.duration_s)
    speed = np.linalg.norm(np.gradient(s.truth.skin_m[:, :2], s.truth.true_t_s, axis=0), axis=1)
    returning = ~loaded & (speed > 0.1)
    assert np.count_nonzero(returning) > 50
    assert np.median(s.samples.force_n[loaded]) > 4.0 * np.median(s.samples.force_n[returning])


def _ahrs_gravity_error_deg(s: SimulatedSession, gyro_sign: float) -> np.ndarray:
    import imufusion

    assert s.truth is not None
    assert s.samples.gyro_radps is not None
    ahrs = imufusion.Ahrs()
    ahrs.set_sample_period(1.0 / s.sample_rate_hz)
    gyro_dps = np.degrees(s.samples.gyro_radps) * gyro_sign
    acc_g = s.samples.acc_mps2 / G
    est = np.empty_like(acc_g)
    for i in range(len(s.samples)):
        ahrs.update_no_magnetometer(gyro_dps[i], acc_g[i])
        est[i] = ahrs.get_gravity()
    true_up = quaternion_to_matrix(s.truth.orientation)[:, 2, :]
    cos = np.sum(est * true_up, axis=1) / np.linalg.norm(est, axis=1)
    settled = s.samples.t_s > 5.0
    return np.asarray(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))[settled])


def test_an_off_the_shelf_ahrs_reads_our_gyro_with_the_right_hand_rule() -> None:
    """x-io Fusion (imufusion) expects °/s, g and the right-hand rule; fed the simulated
    samples it tracks the true gravity direction, and it does not with the gyro's sign flipped."""
    s = session(
        31,
        1.0,
        technique="effleurage",
        rate_hz=104.0,
        device="polar-verity",
        packet_loss=False,
        mounting="arbitrary",
        posture="lying_leg_raised",
    )
    good = _ahrs_gravity_error_deg(s, 1.0)
    assert np.median(good) < 3.0
    assert np.percentile(good, 95) < 15.0
    flipped = _ahrs_gravity_error_deg(s, -1.0)
    assert np.percentile(flipped, 95) > 20.0


@pytest.mark.parametrize(
    "conditions",
    [
        {"technique": "effleurage", "tremor_hz": 10.0, "mounting": "arbitrary"},
        {"technique": "cross_friction", "tremor_hz": None, "posture": "standing"},
        {"technique": "trigger_point", "tremor_hz": None, "posture": "lying_leg_raised"},
    ],
)
def test_the_accelerometer_is_the_second_derivative_of_the_position_minus_gravity(
    conditions: dict[str, object],
) -> None:
    """Independent of how the simulator computes acceleration: difference the true sensor
    position twice and compare with the (ideal) accelerometer rotated into the world."""
    s = session(41, 0.5, rate_hz=416.0, device="polar-verity", ideal=True, **conditions)
    assert s.truth is not None
    tr = s.truth
    dt = float(np.mean(np.diff(tr.true_t_s)))
    numeric = (tr.position_m[2:] - 2.0 * tr.position_m[1:-1] + tr.position_m[:-2]) / dt**2
    rot = quaternion_to_matrix(tr.orientation[1:-1])
    measured = np.einsum("nij,nj->ni", rot, s.samples.acc_mps2[1:-1]) - np.array([0, 0, G])
    err = np.linalg.norm(numeric - measured, axis=1)
    scale = np.linalg.norm(measured, axis=1).max()
    assert scale > 1.0  # there is motion to compare
    # Quantization (1 mG) and the error of the difference are all that may remain; the
    # largest differences sit where a minimum-jerk glide starts (a step in jerk).
    assert np.median(err) < 0.02
    assert np.percentile(err, 99) < 0.02 * scale + 0.03
    # A jump in position (a teleport) would show here as thousands of m/s².
    assert err.max() < 0.1 * scale
