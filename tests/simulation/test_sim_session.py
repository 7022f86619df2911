"""The simulated session as a recording: determinism, rates, channels, clocks, gaps, labels,
calibration, and the hard cases of the domain notes."""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pytest

from analysis.samples import STANDARD_GRAVITY_MPS2 as G
from analysis.simulation import CONDITIONS, SimulatedSession, simulate_session
from analysis.simulation.sensor import DEVICES


@cache
def session(seed: int, minutes: float = 1.0, **kw: object) -> SimulatedSession:
    return simulate_session(seed, minutes, **kw)  # type: ignore[arg-type]


def _arrays(s: SimulatedSession) -> list[np.ndarray]:
    out = [s.samples.t_s, s.samples.acc_mps2]
    out += [a for a in (s.samples.gyro_radps, s.samples.force_n) if a is not None]
    return out


def test_the_same_seed_gives_the_same_session() -> None:
    a = simulate_session(5, 1.0)
    b = simulate_session(5, 1.0)
    for x, y in zip(_arrays(a), _arrays(b), strict=True):
        np.testing.assert_array_equal(x, y)
    assert a.labels == b.labels
    assert a.conditions == b.conditions
    assert a.gaps == b.gaps
    assert a.calibration == b.calibration


def test_different_seeds_give_different_sessions() -> None:
    a = session(6, technique="lymphatic", device="polar-verity", rate_hz=52.0)
    b = session(7, technique="lymphatic", device="polar-verity", rate_hz=52.0)
    n = min(len(a.samples), len(b.samples))
    assert not np.allclose(a.samples.acc_mps2[:n], b.samples.acc_mps2[:n])
    assert [s.onset_s for s in a.labels.strokes] != [s.onset_s for s in b.labels.strokes]


def test_an_override_leaves_the_other_conditions_as_drawn() -> None:
    base = session(8)
    other = session(8, posture="standing" if base.conditions["posture"] != "standing" else None)
    if base.conditions["posture"] == "standing":
        other = session(8, posture="lying_leg_raised")
    for key in ("device", "grip", "return_style", "symmetric", "technique", "clock_drift"):
        assert other.conditions[key] == base.conditions[key]


@pytest.mark.parametrize("rate_hz", [25.0, 416.0])
def test_the_lowest_and_highest_rates_work(rate_hz: float) -> None:
    s = session(9, rate_hz=rate_hz, device="polar-verity", packet_loss=False)
    dt = np.diff(s.samples.t_s)
    drift = s.conditions["clock_drift"]
    # A device clock: samples exactly 1/rate apart on the device's own clock, which runs
    # (1 + drift) times as fast as true time.
    np.testing.assert_allclose(dt, 1.0 / rate_hz, rtol=1e-6)
    assert s.truth is not None
    assert s.samples.t_s[-1] == pytest.approx(s.truth.true_t_s[-1] * (1.0 + drift), rel=1e-6)
    assert s.sample_rate_hz == rate_hz
    assert len(s.samples) == pytest.approx(60.0 * rate_hz * (1.0 + drift), abs=2.0 * rate_hz)


def test_clock_drift_stretches_the_recording_clock_against_true_time() -> None:
    fast = session(10, device="polar-verity", clock_drift=0.01, packet_loss=False)
    slow = session(10, device="polar-verity", clock_drift=-0.01, packet_loss=False)
    assert fast.truth is not None
    assert slow.truth is not None
    assert fast.truth.clock_scale == pytest.approx(1.01, rel=1e-9)
    assert slow.truth.clock_scale == pytest.approx(0.99, rel=1e-9)
    # The same true session: labels 2 % apart in recording time by its end.
    last_fast = fast.labels.strokes[-1].onset_s
    last_slow = slow.labels.strokes[-1].onset_s
    assert last_fast / last_slow == pytest.approx(1.01 / 0.99, rel=1e-6)


def test_host_stamps_jitter_but_still_increase() -> None:
    s = session(11, device="thingy52", rate_hz=100.0)
    assert s.conditions["clock"] == "host"
    dt = np.diff(s.samples.t_s)
    assert np.all(dt > 0)
    nominal = 1.0 / 100.0
    # Notifications bunch up at connection events: spacing far from uniform …
    assert np.std(dt) > 0.2 * nominal
    # … yet the clock keeps pace with the samples on average.
    assert s.duration_s / (len(s.samples) + s.conditions["lost_samples"]) == pytest.approx(
        nominal, rel=0.03
    )


def test_accelerometer_only_devices_have_no_gyro() -> None:
    micro = session(12, device="microbit")
    assert micro.samples.gyro_radps is None
    assert micro.conditions["has_gyro"] is False
    forced = session(12, device="polar-verity", has_gyro=False)
    assert forced.samples.gyro_radps is None
    assert session(12, device="polar-verity").samples.gyro_radps is not None


@pytest.mark.parametrize("device", sorted(DEVICES))
def test_readings_are_whole_counts_of_the_device_within_its_range(device: str) -> None:
    model = DEVICES[device]
    s = session(13, device=device, technique="warmup")
    counts = s.samples.acc_mps2 / model.acc_lsb_mps2
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)
    assert np.all(np.abs(s.samples.acc_mps2) <= model.acc_range_mps2 + 1e-9)
    if s.samples.gyro_radps is not None:
        g = s.samples.gyro_radps / model.gyro_lsb_radps
        np.testing.assert_allclose(g, np.round(g), atol=1e-6)


def test_a_2g_accelerometer_saturates_on_vigorous_strokes() -> None:
    s = session(14, 2.0, device="microbit", technique="warmup", posture="standing")
    assert s.truth is not None
    top = DEVICES["microbit"].acc_range_mps2
    true_peak = np.abs(s.truth.specific_force_mps2).max()
    read_peak = np.abs(s.samples.acc_mps2).max()
    assert true_peak > top  # the hand really exceeds 2 g on some axis …
    assert read_peak == pytest.approx(top)  # … and the reading clips there


@pytest.mark.parametrize("seed", range(15, 23))
def test_gaps_lie_inside_the_recording_with_no_samples_in_them(seed: int) -> None:
    s = session(seed, packet_loss=True)
    t = s.samples.t_s
    assert s.gaps, "a lossy link loses something in a minute"
    for before, after in s.gaps:
        assert t[0] < before < after < t[-1]
        i = int(np.argmin(np.abs(t - before)))
        assert t[i] == pytest.approx(before, abs=1e-6)
        assert t[i + 1] == pytest.approx(after, abs=1e-6)
        assert after - before > 1.5 / s.sample_rate_hz
    lossless = session(seed, packet_loss=False)
    assert lossless.gaps == ()
    assert lossless.conditions["lost_samples"] == 0


@pytest.mark.parametrize("seed", range(23, 31))
def test_labels_lie_inside_the_recording_and_calibration_holds_only_upward_strokes(
    seed: int,
) -> None:
    s = session(seed)
    t0, t1 = s.samples.t_s[0], s.samples.t_s[-1]
    for st in s.labels.strokes:
        assert t0 <= st.onset_s
        assert st.end_s <= t1
        assert st.duration_s > 0
    for o in s.labels.others:  # (6 decimals, as written)
        assert t0 <= o.onset_s <= o.onset_s + o.duration_s <= t1 + 1e-6
    cal = s.calibration
    assert t0 <= cal.onset_s < cal.end_s <= t1
    inside = [st for st in s.labels.strokes if st.onset_s < cal.end_s and st.end_s > cal.onset_s]
    assert len(inside) >= 3
    assert all(st.direction == "up" for st in inside)
    assert all(cal.onset_s <= st.onset_s and st.end_s <= cal.end_s for st in inside)
    onsets = [st.onset_s for st in s.labels.strokes]
    assert onsets == sorted(onsets)


def test_lifted_returns_leave_the_skin_by_1_to_5_cm_and_gliding_returns_do_not() -> None:
    lifted = session(31, technique="lymphatic", return_style="lifted")
    gliding = session(31, technique="lymphatic", return_style="gliding")
    for s, lo, hi in ((lifted, 0.009, 0.051), (gliding, 0.0, 1e-9)):
        assert s.truth is not None
        tr = s.truth
        lin = [ts for ts in tr.strokes if ts.label.is_linear]
        # The return lies between the end of one loaded glide and the next onset.
        for a, b in itertools.pairwise(lin):
            if b.episode != a.episode:
                continue
            m = (tr.true_t_s > a.onset_true_s + a.duration_true_s) & (tr.true_t_s < b.onset_true_s)
            if np.count_nonzero(m) < 3:
                continue
            peak = tr.skin_m[m, 2].max()
            assert lo <= peak <= hi, (peak, s.conditions["return_style"])


def _phase_durations(s: SimulatedSession) -> list[float]:
    """Return time / loaded time of consecutive strokes of one episode, from the truth."""
    assert s.truth is not None
    tr = s.truth
    ratios = []
    lin = [ts for ts in tr.strokes if ts.label.is_linear]
    for a, b in itertools.pairwise(lin):
        if a.episode != b.episode:
            continue
        m = (tr.true_t_s > a.onset_true_s + a.duration_true_s) & (tr.true_t_s < b.onset_true_s)
        speed = np.abs(np.gradient(tr.skin_m[:, 0], tr.true_t_s))
        moving = m & (speed > 0.01 * speed[m].max())
        if np.count_nonzero(moving) > 3:
            ratios.append(float(np.ptp(tr.true_t_s[moving])) / a.duration_true_s)
    return ratios


def test_returns_are_faster_than_loaded_glides_unless_the_user_is_symmetric() -> None:
    usual = np.median(_phase_durations(session(32, technique="lymphatic", symmetric=False)))
    symmetric = np.median(_phase_durations(session(32, technique="lymphatic", symmetric=True)))
    assert usual < 0.85
    assert 0.8 < symmetric < 1.15


def test_tremor_shows_as_a_peak_at_its_frequency() -> None:
    s = session(33, device="polar-verity", rate_hz=104.0, tremor_hz=9.5, packet_loss=False)
    calm = session(33, device="polar-verity", rate_hz=104.0, tremor_hz=None, packet_loss=False)
    for sess, expect_peak in ((s, True), (calm, False)):
        assert sess.samples.gyro_radps is not None
        rest = sess.labels.others[0]
        sel = (sess.samples.t_s > rest.onset_s + 0.2) & (
            sess.samples.t_s < rest.onset_s + rest.duration_s - 0.2
        )
        x = sess.samples.gyro_radps[sel] - sess.samples.gyro_radps[sel].mean(axis=0)
        spectrum = np.abs(np.fft.rfft(x, axis=0)).sum(axis=1)
        freqs = np.fft.rfftfreq(x.shape[0], 1.0 / 104.0)
        band = (freqs > 8.0) & (freqs < 11.0)
        ratio = spectrum[band].mean() / spectrum[(freqs > 15.0)].mean()
        assert (ratio > 5.0) == expect_peak, ratio


def test_friction_vibration_is_there_while_sliding_in_contact_only() -> None:
    rough = session(
        34,
        device="polar-verity",
        rate_hz=208.0,
        friction_vibration=1.5,
        tremor_hz=None,
        technique="effleurage",
        return_style="lifted",
    )
    smooth = session(
        34,
        device="polar-verity",
        rate_hz=208.0,
        friction_vibration=0.0,
        tremor_hz=None,
        technique="effleurage",
        return_style="lifted",
    )

    def hf_energy(s: SimulatedSession) -> float:
        t = s.samples.t_s
        m = np.zeros(len(t), dtype=bool)
        for st in s.labels.strokes:
            m |= (t > st.onset_s + 0.3 * st.duration_s) & (t < st.end_s - 0.3 * st.duration_s)
        d = np.diff(s.samples.acc_mps2, 2, axis=0)  # emphasises > 30 Hz
        return float(np.sqrt(np.mean(d[m[1:-1]] ** 2)))

    assert hf_energy(rough) > 2.0 * hf_energy(smooth)


def test_every_condition_is_described_and_recorded() -> None:
    s = session(35)
    for key in CONDITIONS:
        if key != "ideal":
            assert key in s.conditions or key == "clock", key
    assert s.conditions["clock"] in ("device", "host")
    assert s.device["profile"] == "simulated"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"posture": "upside_down"}, "posture"),
        ({"device": "tricorder"}, "device"),
        ({"colour": "red"}, "colour"),
        ({"rate_hz": 5.0}, "rate"),
        ({"minutes": 0.1}, "minutes"),
        ({"technique": "karate"}, "technique"),
    ],
)
def test_bad_conditions_are_refused_with_a_reason(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_session(1, **kwargs)  # type: ignore[arg-type]


def test_rest_after_sensor_errors_is_still_about_one_g() -> None:
    s = session(36, device="witmotion")
    rest = s.labels.others[0]
    sel = (s.samples.t_s > rest.onset_s + 0.2) & (s.samples.t_s < rest.onset_s + rest.duration_s)
    assert np.linalg.norm(s.samples.acc_mps2[sel].mean(axis=0)) == pytest.approx(G, abs=0.35)


def test_asking_for_a_gyroscope_never_gives_an_accelerometer_only_device() -> None:
    for seed in range(40, 60):
        s = simulate_session(seed, 0.5, has_gyro=True, truth=False)
        assert s.samples.gyro_radps is not None
        assert DEVICES[s.conditions["device"]].has_gyro
    with pytest.raises(ValueError, match="no gyroscope"):
        simulate_session(1, 0.5, device="microbit", has_gyro=True)
