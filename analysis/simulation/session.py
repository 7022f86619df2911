"""``simulate_session``: a labelled session from physics, deterministic per seed.

Order of work: draw the conditions (posture, grip, mounting, device, …); script the user's
movements in true time; sample the smooth trajectory exactly at the device's sample instants;
turn position and orientation into specific force and angular velocity in the sensor frame; pass
them through the sensor's imperfections; packetize, lose and stamp; express the labels on the
recording's clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, sosfilt

from analysis.events import CalibrationWindow, EventTable, OtherEvent, Stroke
from analysis.samples import STANDARD_GRAVITY_MPS2, FloatArray, SampleBatch
from analysis.simulation.kinematics import SkinState
from analysis.simulation.orientation import (
    Factor,
    Turn,
    apply_chain,
    axis_aligned_rotation,
    compose,
    matrix_to_quaternion,
    random_rotation,
)
from analysis.simulation.posture import POSTURES, LimbPose, sample_limb_pose
from analysis.simulation.script import RETURN_STYLES, PlannedOther, PlannedStroke, build_script
from analysis.simulation.sensor import (
    DEVICES,
    LinkModel,
    SensorErrors,
    deliver,
    fsr_readings,
    imu_readings,
    strictly_increasing,
)
from analysis.techniques import DEFAULT_PROFILES, get_profile

GRAVITY_WORLD_MPS2: Final = np.array([0.0, 0.0, -STANDARD_GRAVITY_MPS2])
_LEVER_STEP_S: Final = 1e-3
_CHUNK: Final = 50_000

CONDITIONS: Final[dict[str, str]] = {
    "technique": "technique profile; drawn (lymphatic 30 %, effleurage 20 %, warmup 10 %, each "
    "any-rule technique 10 %) unless given",
    "posture": "; ".join(f"{k}: {v}" for k, v in POSTURES.items()) + " (35/25/15/25 %)",
    "grip": "fingers along the limb toward the heart (45 %), toward the foot (15 %) or across "
    "it (40 %), turned ±25° on the skin",
    "mounting": "aligned (a strap or case put on any of the 24 axis-aligned ways, tilted ≤ 12°; "
    "60 %) or arbitrary (uniform over all rotations; 40 %, always for a phone)",
    "device": "polar-verity 35 %, thingy52 20 %, witmotion 15 %, microbit (no gyro) 15 %, "
    "phone 15 %; see sensor.DEVICES",
    "rate_hz": "one of the device's rates unless given (any 20–500 Hz accepted)",
    "has_force": "an FSR force channel: 50 % for lymphatic, 30 % otherwise",
    "return_style": "lifted 1–5 cm (50 %), gliding with light contact (25 %), mixed (25 %)",
    "symmetric": "loaded glide and return nearly equally fast (15 %); else return 1.25–2.2× faster",
    "tremor_hz": "hand tremor 8–12 Hz, 0.02–0.12 mm and 0.03–0.15° per axis (35 %); else none",
    "friction_vibration": "high-frequency vibration while sliding in contact, ∝ force × speed "
    "(scale 0.3–1.5; 0 for well-lubricated skin, 20 %)",
    "clock": "device (own sample clock) or host (receive-time stamps with jitter) per device",
    "clock_drift": "device clock rate error against the host, uniform ±1 %",
    "packet_loss": "bursty loss of BLE packets (70 %), sometimes a 1–3 s reconnect",
    "ideal": "override only: no noise, bias, scale error, drift, jitter or loss",
}
"""Every condition the simulator draws, with its mix; all can be given as overrides."""

_TECHNIQUE_WEIGHTS: Final[dict[str, float]] = {
    "lymphatic": 0.3,
    "effleurage": 0.2,
    "warmup": 0.1,
    "trigger_point": 0.1,
    "cross_friction": 0.1,
    "myofascial": 0.1,
    "deep_tissue": 0.1,
}
_POSTURE_WEIGHTS: Final = {
    "seated_extended": 0.35,
    "foot_on_chair": 0.25,
    "standing": 0.15,
    "lying_leg_raised": 0.25,
}
_DEVICE_WEIGHTS: Final = {
    "polar-verity": 0.35,
    "thingy52": 0.2,
    "witmotion": 0.15,
    "microbit": 0.15,
    "phone": 0.15,
}
_OVERRIDES: Final = frozenset(
    {
        "posture",
        "grip",
        "mounting",
        "device",
        "has_gyro",
        "has_force",
        "return_style",
        "symmetric",
        "tremor_hz",
        "friction_vibration",
        "packet_loss",
        "clock_drift",
        "ideal",
        "truth",
    }
)


@dataclass(frozen=True)
class SessionConditions:
    """The conditions of one session (see :data:`CONDITIONS`), drawn from the seed with the
    caller's overrides applied. Every draw is made whatever is overridden, in a fixed order,
    so fixing one condition leaves the others as the seed drew them."""

    technique: str
    posture: str
    grip: str
    grip_yaw_deg: float
    mounting: str
    device: str
    rate_hz: float
    has_gyro: bool
    has_force: bool
    return_style: str
    symmetric: bool
    tremor_hz: float | None
    friction_vibration: float
    packet_loss: bool
    ideal: bool
    limb: str

    @staticmethod
    def draw(
        rng: np.random.Generator,
        technique: str | None,
        rate_hz: float | None,
        overrides: dict[str, Any],
    ) -> SessionConditions:
        drawn_technique = _pick(rng, _TECHNIQUE_WEIGHTS)
        posture = _pick(rng, _POSTURE_WEIGHTS)
        grip_u = rng.random()
        grip = "along" if grip_u < 0.45 else "along_reversed" if grip_u < 0.6 else "across"
        grip_yaw = float(rng.uniform(-25.0, 25.0))
        mounting = "aligned" if rng.random() < 0.6 else "arbitrary"
        device_key = _pick(rng, _DEVICE_WEIGHTS)
        rate_u = rng.random()  # a uniform draw: the same stream whatever the device offers
        force_u = rng.random()
        ret_u = rng.random()
        return_style = "lifted" if ret_u < 0.5 else "gliding" if ret_u < 0.75 else "mixed"
        symmetric = bool(rng.random() < 0.15)
        tremor_on = rng.random() < 0.35
        tremor_f = float(rng.uniform(8.0, 12.0))
        vib_scale = 0.0 if rng.random() < 0.2 else float(rng.uniform(0.3, 1.5))
        lossy = bool(rng.random() < 0.7)
        limb = "left_leg" if rng.random() < 0.5 else "right_leg"

        technique = technique or drawn_technique
        if "device" in overrides:
            device_key = overrides["device"]
        elif overrides.get("has_gyro") and not DEVICES[device_key].has_gyro:
            device_key = "polar-verity"  # a gyroscope was asked for: the commonest with one
        device = DEVICES[device_key]
        if overrides.get("has_gyro") and not device.has_gyro:
            raise ValueError(f"device {device_key!r} has no gyroscope")
        rates = device.rates_hz
        drawn_rate = rates[min(int(rate_u * len(rates)), len(rates) - 1)]
        if device_key == "phone":
            mounting = "arbitrary"  # a phone is held in any grip
        tremor_hz: float | None = overrides.get("tremor_hz", tremor_f if tremor_on else None)
        if tremor_hz is not None and not 1.0 <= float(tremor_hz) <= 30.0:
            raise ValueError(f"tremor_hz must be between 1 and 30, not {tremor_hz}")
        ideal = bool(overrides.get("ideal", False))
        return SessionConditions(
            technique=technique,
            posture=overrides.get("posture", posture),
            grip=overrides.get("grip", grip),
            grip_yaw_deg=grip_yaw,
            mounting=overrides.get("mounting", mounting),
            device=device_key,
            rate_hz=float(rate_hz if rate_hz is not None else drawn_rate),
            has_gyro=bool(overrides.get("has_gyro", device.has_gyro)),
            has_force=bool(
                overrides.get("has_force", force_u < (0.5 if technique == "lymphatic" else 0.3))
            ),
            return_style=overrides.get("return_style", return_style),
            symmetric=bool(overrides.get("symmetric", symmetric)),
            tremor_hz=None if tremor_hz is None else float(tremor_hz),
            friction_vibration=float(overrides.get("friction_vibration", vib_scale)),
            packet_loss=bool(overrides.get("packet_loss", lossy)) and not ideal,
            ideal=ideal,
            limb=limb,
        )


@dataclass(frozen=True)
class TruthStroke:
    """A labelled stroke with its truth: true-time span (s) and why it is there (``tags``:
    ``calibration``, ``normal``, ``down_run``, ``down_single``, ``burst``, ``heavy``, ``cross``,
    ``circle``, ``any``). ``force_n`` is the true mean contact force over the stroke."""

    label: Stroke
    onset_true_s: float
    duration_true_s: float
    force_n: float
    tags: tuple[str, ...]
    episode: int


@dataclass(frozen=True, eq=False)
class SessionTruth:
    """What really happened, per delivered sample (rows match ``samples``).

    Attributes
    ----------
    true_t_s:
        True (host) time of each sample, s.
    position_m:
        World position of the sensor, m, (n, 3).
    skin_m:
        Skin coordinates ``(s, q, h)`` of the hand's contact point, m, (n, 3).
    orientation:
        Quaternion ``(w, x, y, z)`` of ``R`` (sensor → world), (n, 4).
    specific_force_mps2:
        True specific force in the sensor frame, before any sensor error, (n, 3).
    gyro_radps:
        True body angular velocity in the sensor frame, (n, 3).
    force_n:
        True contact force, N, (n,).
    limb:
        The limb in the world (axis toward the heart, skin normal, radius).
    strokes:
        Every labelled stroke with its truth.
    clock_scale, clock_offset_s:
        Recording time = ``clock_scale × true time + clock_offset_s``.
    """

    true_t_s: FloatArray
    position_m: FloatArray
    skin_m: FloatArray
    orientation: FloatArray
    specific_force_mps2: FloatArray
    gyro_radps: FloatArray
    force_n: FloatArray
    limb: LimbPose
    strokes: tuple[TruthStroke, ...]
    clock_scale: float
    clock_offset_s: float

    def to_recording_time(self, true_t_s: FloatArray | float) -> FloatArray:
        return np.asarray(true_t_s) * self.clock_scale + self.clock_offset_s


@dataclass(frozen=True, eq=False)
class SimulatedSession:
    """A simulated, labelled session ready to be written as a recording.

    Attributes
    ----------
    samples:
        What the device delivered, recording clock (s), SI units.
    labels:
        Ground-truth strokes (``force`` only when the recording has a force channel) and
        ``rest``/``reposition`` rows.
    sample_rate_hz:
        Nominal rate.
    technique:
        The technique profile's name.
    calibration:
        The calibration window on the recording clock.
    gaps:
        Lost stretches as ``(last t before, first t after)``, recording clock.
    device:
        ``{"name", "profile", "emulates"}`` for ``meta.json``.
    conditions:
        Everything drawn for this session (JSON-ready), written to ``meta.json`` ``simulation``.
    truth:
        The ground truth behind the samples, or ``None`` when not kept.
    packet_starts:
        Index into ``samples`` of the first sample of every BLE packet that arrived, (p,).
    arrival_s:
        When each of those packets reached the host, seconds of host time after the first
        sample was taken, (p,) non-decreasing (the live simulated sensor plays them at these
        times).
    """

    samples: SampleBatch
    labels: EventTable
    sample_rate_hz: float
    technique: str
    calibration: CalibrationWindow
    gaps: tuple[tuple[float, float], ...]
    device: dict[str, Any]
    conditions: dict[str, Any]
    truth: SessionTruth | None
    seed: int
    packet_starts: NDArray[np.int64]
    arrival_s: FloatArray
    sensor_location: str = "back_of_hand"
    limb: str = "left_leg"

    @property
    def duration_s(self) -> float:
        t = self.samples.t_s
        return float(t[-1] - t[0])


@dataclass(frozen=True)
class _Motion:
    """The true motion at a run of sample instants (see :class:`SessionTruth` for units)."""

    specific_force_mps2: FloatArray
    gyro_radps: FloatArray
    position_m: FloatArray
    skin_m: FloatArray
    force_n: FloatArray
    slide_speed_mps: FloatArray
    orientation: FloatArray | None

    @staticmethod
    def concatenate(parts: list[_Motion]) -> _Motion:
        def cat(name: str) -> FloatArray:
            return np.concatenate([getattr(p, name) for p in parts])

        return _Motion(
            cat("specific_force_mps2"),
            cat("gyro_radps"),
            cat("position_m"),
            cat("skin_m"),
            cat("force_n"),
            cat("slide_speed_mps"),
            None if parts[0].orientation is None else cat("orientation"),
        )


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.asarray([weights[k] for k in keys])
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


@dataclass(frozen=True)
class _Sines:
    """A sum of sinusoids per axis: amplitudes (3, K), frequencies (K,) Hz, phases (3, K)."""

    amp: FloatArray
    freq_hz: FloatArray
    phase: FloatArray

    def evaluate(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Values, first and second time derivatives, each (n, axes)."""
        w = 2.0 * np.pi * self.freq_hz
        # sin(ωt + φ) = sin ωt cos φ + cos ωt sin φ: one sin/cos per frequency, not per axis.
        swt, cwt = np.sin(np.outer(t_s, w)), np.cos(np.outer(t_s, w))
        a_sin = (self.amp * np.cos(self.phase)).T  # (K, axes)
        a_cos = (self.amp * np.sin(self.phase)).T
        n, axes = t_s.shape[0], a_sin.shape[1]
        x, dx, ddx = np.zeros((n, axes)), np.zeros((n, axes)), np.zeros((n, axes))
        # A few frequencies: plain products (a tall-thin BLAS matmul is slower here).
        for k in range(w.shape[0]):
            s_k, c_k = swt[:, k : k + 1], cwt[:, k : k + 1]
            x += s_k * a_sin[k] + c_k * a_cos[k]
            dx += w[k] * (c_k * a_sin[k] - s_k * a_cos[k])
            ddx -= w[k] ** 2 * (s_k * a_sin[k] + c_k * a_cos[k])
        return x, dx, ddx


def _tremor(rng: np.random.Generator, f0_hz: float, amplitude: float) -> _Sines:
    """Narrow-band tremor around ``f0_hz``: four close sinusoids per axis (beats like the real
    thing), total amplitude about ``amplitude`` per axis."""
    k = 4
    freq = f0_hz + rng.normal(0.0, 0.4, k)
    amp = amplitude / 2.0 * rng.uniform(0.5, 1.0, (3, k))
    return _Sines(amp, freq, rng.uniform(0.0, 2.0 * np.pi, (3, k)))


_FLAGS: Final = ("has_gyro", "has_force", "symmetric", "packet_loss", "ideal", "truth")
_NUMBERS: Final = ("friction_vibration", "clock_drift")


def _validate(overrides: dict[str, Any]) -> None:
    unknown = set(overrides) - _OVERRIDES
    if unknown:
        raise ValueError(
            f"unknown simulation condition(s) {sorted(unknown)} (known: {sorted(_OVERRIDES)})"
        )
    for key in _FLAGS:
        if key in overrides and not isinstance(overrides[key], bool | np.bool_):
            raise ValueError(f"{key} must be true or false, not {overrides[key]!r}")
    for key in (*_NUMBERS, "tremor_hz"):
        value = overrides.get(key, 0.0)
        if key == "tremor_hz" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key} must be a number, not {value!r}")
    if not 0.0 <= overrides.get("friction_vibration", 0.0) <= 10.0:
        raise ValueError("friction_vibration must be between 0 and 10")
    if "posture" in overrides and overrides["posture"] not in POSTURES:
        raise ValueError(f"unknown posture {overrides['posture']!r} (known: {', '.join(POSTURES)})")
    if "device" in overrides and overrides["device"] not in DEVICES:
        raise ValueError(f"unknown device {overrides['device']!r} (known: {', '.join(DEVICES)})")
    if "return_style" in overrides and overrides["return_style"] not in RETURN_STYLES:
        raise ValueError(
            f"unknown return style {overrides['return_style']!r} (known: {', '.join(RETURN_STYLES)})"
        )
    if "grip" in overrides and overrides["grip"] not in ("along", "along_reversed", "across"):
        raise ValueError("grip must be 'along', 'along_reversed' or 'across'")
    if "mounting" in overrides and overrides["mounting"] not in (
        "aligned",
        "arbitrary",
        "identity",
    ):
        raise ValueError("mounting must be 'aligned', 'arbitrary' or 'identity'")


def simulate_session(
    seed: int,
    minutes: float = 2.0,
    technique: str | None = None,
    rate_hz: float | None = None,
    **overrides: Any,
) -> SimulatedSession:
    """Simulate one labelled self-massage session of the leg.

    Parameters
    ----------
    seed:
        Everything is drawn from ``numpy.random.default_rng`` streams spawned from this seed;
        the same arguments give the same arrays.
    minutes:
        Session length in minutes (at least 0.5).
    technique:
        A technique profile name; drawn when ``None``.
    rate_hz:
        Nominal sample rate (20–500 Hz); one of the device's rates when ``None``.
    **overrides:
        Fix any condition of :data:`CONDITIONS` (``posture``, ``device``, ``has_force``,
        ``has_gyro=False`` for accelerometer-only, ``return_style``, ``symmetric``,
        ``tremor_hz`` (``None`` for none), ``friction_vibration``, ``packet_loss``,
        ``clock_drift``, ``grip``, ``mounting``, ``ideal``) and ``truth=False`` to drop the
        per-sample ground truth (saves memory on long sessions).

    Raises
    ------
    ValueError
        On an unknown technique, condition or value out of range.
    """
    _validate(overrides)
    if not minutes >= 0.5:
        raise ValueError(f"minutes must be at least 0.5, not {minutes}")
    if rate_hz is not None and not 20.0 <= rate_hz <= 500.0:
        raise ValueError(f"rate must be between 20 and 500 Hz, not {rate_hz}")
    if technique is not None and technique not in DEFAULT_PROFILES:
        get_profile(technique)  # raises ProfileError naming the known ones
    streams = np.random.SeedSequence(seed).spawn(6)
    r_cond, r_script, r_body, r_sensor, r_link, r_noise = (
        np.random.default_rng(s) for s in streams
    )

    cond = SessionConditions.draw(r_cond, technique, rate_hz, overrides)
    technique = cond.technique
    profile = get_profile(technique)
    device = DEVICES[cond.device]
    device_key, rate, posture, grip = cond.device, cond.rate_hz, cond.posture, cond.grip
    mounting, has_gyro, has_force = cond.mounting, cond.has_gyro, cond.has_force
    return_style, symmetric, tremor_hz = cond.return_style, cond.symmetric, cond.tremor_hz
    vib_scale, ideal, lossy = cond.friction_vibration, cond.ideal, cond.packet_loss
    keep_truth = bool(overrides.get("truth", True))
    grip_yaw = cond.grip_yaw_deg

    # -- the body: limb, grip, mounting, wrist, tremor ---------------------------------------
    limb = sample_limb_pose(posture, r_body)
    u, n0, c0 = limb.toward_heart, limb.normal, limb.across
    yaw = np.radians(grip_yaw)
    fingers = {"along": u, "along_reversed": -u, "across": c0}[grip]
    thumb = np.cross(n0, fingers)
    fingers_t = np.cos(yaw) * fingers + np.sin(yaw) * thumb
    hand0 = np.column_stack([fingers_t, np.cross(n0, fingers_t), n0])  # hand → world at q = 0
    if mounting == "aligned":
        mount = axis_aligned_rotation(r_body, 12.0)
    elif mounting == "arbitrary":
        mount = random_rotation(r_body)
    else:
        mount = np.eye(3)
        r_body.random(4)
    flex_speed = float(r_body.uniform(0.15, 0.5)) * float(r_body.choice([-1.0, 1.0]))
    flex_lift = float(r_body.uniform(1.5, 4.0))
    flex_cross = float(r_body.uniform(0.3, 1.0)) * float(r_body.choice([-1.0, 1.0]))
    lever = np.array(
        [r_body.uniform(-0.02, 0.04), r_body.uniform(-0.02, 0.02), r_body.uniform(0.015, 0.03)]
    )
    if device_key == "phone":
        lever = lever * 2.0
    wander = _Sines(
        np.radians(r_body.uniform(0.5, 2.5, (1, 3))),
        r_body.uniform(0.02, 0.1, 3),
        r_body.uniform(0.0, 2.0 * np.pi, (1, 3)),
    )
    tremor_pos = _tremor(r_body, tremor_hz or 10.0, float(r_body.uniform(0.02e-3, 0.12e-3)))
    tremor_ang = _tremor(r_body, tremor_hz or 10.0, np.radians(float(r_body.uniform(0.03, 0.15))))
    hand_axes = (hand0.T @ c0, hand0.T @ u, hand0.T @ n0)  # in the hand frame

    # -- the script --------------------------------------------------------------------------
    builder, (cal_on, cal_dur) = build_script(
        r_script, profile, minutes * 60.0, return_style, symmetric
    )
    chor = builder.choreography()

    # -- sample instants: the device's clock runs (1 + drift) × true time --------------------
    errors = SensorErrors.ideal() if ideal else SensorErrors.draw(r_sensor)
    drift = float(overrides.get("clock_drift", errors.clock_drift))
    if not -0.05 <= drift <= 0.05:
        raise ValueError(f"clock_drift must be within ±0.05, not {drift}")
    n_samples = int(np.floor(chor.duration_s * rate * (1.0 + drift))) + 1
    true_t = np.arange(n_samples) / (rate * (1.0 + drift))

    def hand_factors(t: FloatArray, skin: SkinState) -> list[Factor]:
        """The hand's orientation (hand → world) as a chain: roll around the limb with the
        position, the grip, wrist flex with speed and lift, slow yaw wander, tremor."""
        phi = skin.pos_m[:, 1] / limb.radius_m
        dphi = skin.vel_mps[:, 1] / limb.radius_m
        theta_f = flex_speed * skin.drive_mps[:, 0] + flex_lift * skin.pos_m[:, 2]
        dtheta_f = flex_speed * skin.drive_rate_mps2[:, 0] + flex_lift * skin.vel_mps[:, 2]
        theta_c = flex_cross * skin.drive_mps[:, 1]
        dtheta_c = flex_cross * skin.drive_rate_mps2[:, 1]
        psi, dpsi, _ = wander.evaluate(t)
        factors: list[Factor] = [
            Turn(u, phi, dphi),
            hand0,
            Turn(hand_axes[0], theta_f, dtheta_f),
            Turn(hand_axes[1], theta_c, dtheta_c),
            Turn(hand_axes[2], psi[:, 0], dpsi[:, 0]),
        ]
        if tremor_hz is not None:
            ang, dang, _ = tremor_ang.evaluate(t)
            factors += [Turn(np.eye(3)[k], ang[:, k], dang[:, k]) for k in range(3)]
        return factors

    def physics(t: FloatArray) -> _Motion:
        """The true motion at true times ``t``: specific force and angular velocity in the
        sensor frame, and what the truth keeps."""
        n = t.shape[0]
        skin = chor.evaluate(t)
        rot, omega = compose([*hand_factors(t, skin), mount], n)
        acc_world = limb.world_acceleration_mps2(skin.pos_m, skin.vel_mps, skin.acc_mps2)
        pos_world = limb.world_position_m(skin.pos_m[:, 0], skin.pos_m[:, 1], skin.pos_m[:, 2])
        if tremor_hz is not None:
            tp, _, tacc = tremor_pos.evaluate(t)
            pos_world = pos_world + tp
            acc_world = acc_world + tacc
        # Lever arm: the sensor sits off the contact point, so hand rotation moves it too. Its
        # acceleration is the exact second difference of the smooth R_hand(t)·r (step 1 ms).
        h = _LEVER_STEP_S
        lever_pos = []
        for dt in (-h, 0.0, h):
            at = skin if dt == 0.0 else chor.evaluate(t + dt)
            lever_pos.append(apply_chain(hand_factors(t + dt, at), lever, n))
        acc_world = acc_world + (lever_pos[0] - 2.0 * lever_pos[1] + lever_pos[2]) / h**2
        spec_world = acc_world - GRAVITY_WORLD_MPS2
        return _Motion(
            specific_force_mps2=np.einsum("nji,nj->ni", rot, spec_world),
            gyro_radps=omega,
            position_m=pos_world + lever_pos[1],
            skin_m=skin.pos_m,
            force_n=skin.force_n,
            slide_speed_mps=np.hypot(skin.vel_mps[:, 0], skin.vel_mps[:, 1]),
            orientation=matrix_to_quaternion(rot) if keep_truth else None,
        )

    # In chunks, so an hour at 416 Hz does not need gigabytes of rotation matrices.
    motion = _Motion.concatenate(
        [physics(true_t[i : i + _CHUNK]) for i in range(0, n_samples, _CHUNK)]
    )
    spec_sensor = motion.specific_force_mps2
    if vib_scale > 0.0 and not ideal:
        # Stick-slip vibration while sliding in contact; the chip's filter keeps it below
        # Nyquist, so it is drawn band-limited at the sample rate.
        env = (
            vib_scale
            * 0.15
            * (motion.force_n / 10.0)
            * np.minimum(motion.slide_speed_mps / 0.2, 2.0)
        )
        cutoff = min(25.0, 0.3 * rate)
        sos = butter(2, cutoff, btype="highpass", fs=rate, output="sos")
        vib = sosfilt(sos, r_noise.normal(0.0, 1.0, (n_samples, 3)), axis=0)
        spec_sensor = spec_sensor + vib * env[:, None]

    acc_read, gyro_read = imu_readings(
        spec_sensor,
        motion.gyro_radps if has_gyro else None,
        device,
        errors,
        rate,
        r_noise,
        noise=not ideal,
    )
    force_read = (
        fsr_readings(motion.force_n, errors, r_noise, noise=not ideal) if has_force else None
    )

    # -- delivery: packets, loss, stamps ------------------------------------------------------
    link = LinkModel.draw(r_link, chor.duration_s, lossy)
    dl = deliver(true_t, rate, device, drift, link, r_link, jitter=not ideal)
    stamps = dl.stamp_s if device.own_clock else strictly_increasing(dl.stamp_s)
    kept = dl.kept
    t_rec = stamps[kept] - stamps[0]
    true_kept = true_t[kept]
    # Recording time as an affine function of true time (exact for a device clock; the mean
    # latency for host stamps) so labels land where the samples are.
    scale, offset = np.polyfit(true_kept, t_rec, 1)
    scale, offset = float(scale), float(offset)

    def rec(x: float) -> float:
        return scale * x + offset

    packets = dl.packet_of_sample[kept]
    jumps = np.nonzero(np.diff(packets) > 1)[0]
    packet_starts = np.flatnonzero(np.diff(packets, prepend=-1) != 0).astype(np.int64)
    arrival = dl.arrival_s[packets[packet_starts]] - true_t[0]
    gaps = tuple((round(float(t_rec[i]), 6), round(float(t_rec[i + 1]), 6)) for i in jumps)

    samples = SampleBatch(
        t_s=t_rec,
        acc_mps2=acc_read[kept],
        gyro_radps=None if gyro_read is None else gyro_read[kept],
        force_n=None if force_read is None else force_read[kept],
    )

    forces = chor.mean_forces_n([(p.onset_s, p.onset_s + p.duration_s) for p in builder.strokes])
    truth_strokes = tuple(
        _truth_stroke(p, float(f), rec, scale, technique, has_force)
        for p, f in zip(builder.strokes, forces, strict=True)
    )
    others = tuple(_clipped_other(o, rec, float(t_rec[-1])) for o in builder.others)
    labels = EventTable(
        strokes=tuple(ts.label for ts in truth_strokes),
        others=tuple(sorted(others, key=lambda o: o.onset_s)),
    )
    calibration = CalibrationWindow(round(rec(cal_on), 6), round(cal_dur * scale, 6))

    truth = None
    if keep_truth:
        assert motion.orientation is not None
        truth = SessionTruth(
            true_t_s=true_kept,
            position_m=motion.position_m[kept],
            skin_m=motion.skin_m[kept],
            orientation=motion.orientation[kept],
            specific_force_mps2=motion.specific_force_mps2[kept],
            gyro_radps=motion.gyro_radps[kept],
            force_n=motion.force_n[kept],
            limb=limb,
            strokes=truth_strokes,
            clock_scale=scale,
            clock_offset_s=offset,
        )

    conditions: dict[str, Any] = {
        "seed": int(seed),
        "minutes": float(minutes),
        "technique": technique,
        "posture": posture,
        "limb_elevation_deg": round(limb.elevation_deg, 2),
        "toward_heart_world": [round(float(v), 5) for v in u],
        "limb_radius_m": round(limb.radius_m, 4),
        "grip": grip,
        "grip_yaw_deg": round(grip_yaw, 2),
        "mounting": mounting,
        "mounting_quaternion": [round(float(v), 6) for v in matrix_to_quaternion(mount)[0]],
        "lever_arm_m": [round(float(v), 4) for v in lever],
        "device": device_key,
        "rate_hz": rate,
        "has_gyro": has_gyro,
        "has_force": has_force,
        "return_style": return_style,
        "symmetric": symmetric,
        "tremor_hz": None if tremor_hz is None else round(float(tremor_hz), 2),
        "friction_vibration": round(vib_scale, 3),
        "clock": "device" if device.own_clock else "host",
        "clock_drift": round(drift, 9),
        "samples_per_packet": device.samples_per_packet(rate),
        "packet_loss": lossy,
        "lost_samples": int(n_samples - int(np.count_nonzero(kept))),
        "ideal": ideal,
    }
    return SimulatedSession(
        samples=samples,
        labels=labels,
        sample_rate_hz=rate,
        technique=technique,
        calibration=calibration,
        gaps=gaps,
        device={"name": "Simulated sensor", "profile": "simulated", "emulates": device_key},
        conditions=conditions,
        truth=truth,
        seed=int(seed),
        packet_starts=packet_starts,
        arrival_s=arrival,
        sensor_location="in_hand" if device_key == "phone" else "back_of_hand",
        limb=cond.limb,
    )


def _truth_stroke(
    p: PlannedStroke,
    force: float,
    rec: Callable[[float], float],
    scale: float,
    technique: str,
    has_force: bool,
) -> TruthStroke:
    label = Stroke(
        onset_s=round(float(rec(p.onset_s)), 6),
        duration_s=round(p.duration_s * scale, 6),
        direction=p.direction,
        force_n=round(force, 3) if has_force else None,
        technique=technique,
    )
    return TruthStroke(label, p.onset_s, p.duration_s, force, p.tags, p.episode)


def _clipped_other(o: PlannedOther, rec: Callable[[float], float], last_s: float) -> OtherEvent:
    """A rest or repositioning row on the recording clock, kept inside the recording."""
    onset = min(max(rec(o.onset_s), 0.0), last_s)
    end = min(max(rec(o.onset_s + o.duration_s), onset), last_s)
    return OtherEvent(round(onset, 6), round(end - onset, 6), o.label)
