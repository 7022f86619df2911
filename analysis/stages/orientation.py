"""Orientation and gravity removal: specific force in, linear acceleration (sensor frame) out.

With a gyroscope the x-io Fusion AHRS (``imufusion``) tracks the sensor's attitude: the gyro
carries it through vigorous strokes and the accelerometer pulls it back, gently (``AHRS_GAIN``):
within a stroke the accelerometer's tilt is off by the stroke's acceleration. Fusion's
acceleration rejection stays inert here (its ``rejection_timeout`` is left at 0): switching it on
was measured worse on simulated sessions (stroke detection and direction). The
specific force is rotated into the earth frame and gravity subtracted there. Why the earth frame:
the attitude estimate is off by a degree or two (gyro bias against the filter's gain), and that
error is a slowly changing *earth-frame* offset (≈ 0.17 m/s² per degree) that the velocity
filter's high-pass removes; in the sensor frame the same error would turn with every roll of the
hand and land right in the stroke band. The velocity is then rotated back into the hand's frame
(:func:`earth_to_sensor`), where the limb axis lives; any yaw error of the estimate (no
magnetometer: yaw drifts) cancels on the way in and out. Which attitude it is rotated back with
matters: the wrist flexes and rolls with every brisk stroke (measured on simulated hands: the limb
axis turned up to 30° in the sensor frame at a stroke's peak speed) while the limb does not turn
at all, so rotating back with the instantaneous attitude would sweep the glide's own motion into
the directions across the axis, in time with the stroke. It is rotated back with the hand's
*steady* attitude instead, the attitude averaged over about a second (:class:`SteadyHandFrame`):
still fixed to the hand's grip and following its slow changes and the yaw drift, but no longer
swinging with each stroke.

``imufusion`` updates one sample per call; measured at about 1 µs per sample (update + quaternion),
well inside the 5 µs budget, so it runs sample by sample — which also makes the output identical
however the stream is batched.

Without a gyroscope (micro:bit) gravity is the accelerometer's low-pass (second-order Butterworth,
0.2 Hz): any tilt of the hand during a stroke then reads as motion. That is physics, not a bug;
only a gyroscope can tell rotation from translation. Measured against the simulator's truth, the
velocity error across gravity is 2–6× the true horizontal velocity (the wrist flexes with speed
and lift), while along gravity it is 0.1–0.6×: a tilt keeps ``|f| = g``, so only the vertical part
of the motion is tilt-free. Gating the gravity estimate on ``|f| ≈ g`` (updating it only at
"quiet" samples) cannot help: a horizontal acceleration a changes ``|f|`` only by a²/2g (0.05 m/s²
for 1 m/s²), so strokes along a horizontal limb look quiet throughout (measured: worse). Weighting
the vertical part up helps a raised or standing leg and hurts a horizontal one by as much, so it
is done only where the calibration shows a climbing limb (:func:`emphasize_vertical`, decided in
:func:`analysis.stages.limb_axis.horizontal_weight_for`).
"""

from __future__ import annotations

import imufusion
import numpy as np
from scipy.signal import butter, lfilter, sosfilt, sosfilt_zi

from analysis.samples import STANDARD_GRAVITY_MPS2, FloatArray

_RAD_TO_DEG = 180.0 / np.pi
QUIET_ACC_TOLERANCE = 0.02
"""Relative deviation of the specific force from 1 g below which a sample may be still."""
QUIET_GYRO_RADPS = 0.2
"""Turn rate below which the hand may be still, rad/s."""
AHRS_GAIN = 0.2
"""Weight of the accelerometer's tilt in the AHRS while it tracks the hand. The accelerometer reads
gravity plus the stroke's acceleration (1–2 m/s² is 6–12° of apparent tilt), and every stroke
pulls the attitude toward that wrong tilt at a rate set by the gain; the gyro's bias pulls the
other way, about bias/gain at equilibrium (0.4 °/s at 0.2 is 2°, a slow earth-frame offset the
velocity high-pass removes). Measured on simulated sessions: 0.2 detects strokes better than
Fusion's 0.5 (fewer tilt leaks of 0.1–0.3 m/s after brisk moves) and than 0.1 (bias)."""
AHRS_SETTLE_GAIN = 0.5
AHRS_SETTLE_S = 3.0
"""After a reset (start, gap) the attitude is a guess (the tilt of one sample, or the attitude held
before the gap, while the hand may have turned 20° in a 0.3 s gap): the AHRS runs at the higher
``AHRS_SETTLE_GAIN`` for this long, s, to pull a wrong start in quickly, then at ``AHRS_GAIN``."""


class GravityRemover:
    """Removes gravity from accelerometer samples, causally, carrying its state across calls.

    Parameters
    ----------
    rate_hz:
        Sample rate in Hz the filters are designed for.
    has_gyro:
        Whether gyroscope samples will be supplied (AHRS) or not (low-pass gravity).
    lowpass_hz:
        Corner of the gravity low-pass for accelerometer-only devices, Hz.
    """

    def __init__(self, rate_hz: float, has_gyro: bool, lowpass_hz: float = 0.2) -> None:
        self.rate_hz = float(rate_hz)
        self.has_gyro = has_gyro
        self._ahrs: imufusion.Ahrs | None = None
        self._ahrs_started = False
        self._sos = butter(2, lowpass_hz, fs=self.rate_hz, output="sos")
        self._zi: FloatArray | None = None
        self.rejected_samples = 0
        self._q_last: FloatArray | None = None
        self._settle_left = 0
        self.reset()

    def _settings(self, gain: float) -> imufusion.AhrsSettings:
        settings = imufusion.AhrsSettings()
        settings.convention = imufusion.CONVENTION_NWU
        settings.gain = gain
        settings.gyroscope_range = 2000.0
        settings.acceleration_rejection = 10.0
        settings.magnetic_rejection = 0.0
        settings.sample_rate = self.rate_hz
        return settings

    def reset(self) -> None:
        """Forget the attitude (after a gap the hand may be anywhere).

        Without a gyro the gravity low-pass keeps its estimate: a gap usually falls mid-stroke,
        where restarting from the first sample would take that sample's stroke acceleration
        (1–2 m/s²) for gravity and integrate it into a velocity of the size of a stroke for the
        next second or two, while the hand's tilt changes little in a gap of a fraction of a
        second (measured: a calibration with a few gaps no longer learns a wrong axis)."""
        if self.has_gyro:
            ahrs = imufusion.Ahrs()
            ahrs.set_settings(self._settings(AHRS_SETTLE_GAIN))
            ahrs.set_sample_period(1.0 / self.rate_hz)
            self._ahrs = ahrs
            self._ahrs_started = False
            self._settle_left = round(AHRS_SETTLE_S * self.rate_hz)
            if self._settle_left <= 0:
                ahrs.set_settings(self._settings(AHRS_GAIN))

    def process(
        self, acc_mps2: FloatArray, gyro_radps: FloatArray | None
    ) -> tuple[FloatArray, FloatArray | None]:
        """Linear acceleration in m/s², shape ``(n, 3)``, and the attitude quaternions ``(w, x, y,
        z)`` (sensor → earth), shape ``(n, 4)``. With a gyro the acceleration is in the earth frame;
        without one it is in the sensor frame and the quaternions are ``None``."""
        if self._ahrs is not None and gyro_radps is not None:
            return self._process_ahrs(self._ahrs, acc_mps2, gyro_radps)
        return self._process_lowpass(acc_mps2), None

    def _process_ahrs(
        self, ahrs: imufusion.Ahrs, acc_mps2: FloatArray, gyro_radps: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        acc_g = np.ascontiguousarray(acc_mps2 / STANDARD_GRAVITY_MPS2)
        gyro_dps = np.ascontiguousarray(gyro_radps * _RAD_TO_DEG)
        if not self._ahrs_started:
            # Start level with the first sample's gravity instead of Fusion's 3 s high-gain
            # start-up: that ramp pulls the attitude toward every stroke's acceleration and its
            # tilt error becomes a velocity drift of 0.1–0.3 m/s in the first strokes.
            ahrs.set_quaternion(self._start_attitude(acc_mps2[0], gyro_radps[0]))
            ahrs.skip_startup()
            self._ahrs_started = True
        update = ahrs.update_no_magnetometer
        quaternion = ahrs.get_quaternion
        # the settling stretch ends at a sample count, wherever the batches are cut
        k = min(self._settle_left, acc_g.shape[0])
        q = np.array(
            [(update(w, a), quaternion())[1] for w, a in zip(gyro_dps[:k], acc_g[:k], strict=True)]
        ).reshape(-1, 4)
        if k > 0:
            self._settle_left -= k
            if self._settle_left == 0:
                ahrs.set_settings(self._settings(AHRS_GAIN))
        if k < acc_g.shape[0]:
            rest = np.array(
                [
                    (update(w, a), quaternion())[1]
                    for w, a in zip(gyro_dps[k:], acc_g[k:], strict=True)
                ]
            ).reshape(-1, 4)
            q = rest if k == 0 else np.concatenate((q, rest))
        self._q_last = q[-1].copy()
        earth = rotate(q, acc_mps2)
        earth[:, 2] -= STANDARD_GRAVITY_MPS2
        return earth, q

    def _start_attitude(self, acc_mps2: FloatArray, gyro_radps: FloatArray) -> FloatArray:
        """The attitude to start from after a reset: the tilt of the first sample when the hand
        is quiet (specific force within ``QUIET_ACC_TOLERANCE`` of 1 g and turning slower than
        ``QUIET_GYRO_RADPS``), otherwise the attitude held before the gap. A gap (lost packets)
        usually falls mid-stroke, where one sample's tilt is off by the stroke's acceleration
        (2 m/s² ≈ 12°), while the hand's tilt changes little in the fraction of a second a gap
        lasts."""
        quiet = (
            abs(float(np.linalg.norm(acc_mps2)) / STANDARD_GRAVITY_MPS2 - 1.0) < QUIET_ACC_TOLERANCE
            and float(np.linalg.norm(gyro_radps)) < QUIET_GYRO_RADPS
        )
        if quiet or self._q_last is None:
            return tilt_quaternion(acc_mps2)
        return self._q_last

    def _process_lowpass(self, acc_mps2: FloatArray) -> FloatArray:
        if self._zi is None:
            # start at rest on the first sample: no transient from a zero initial state
            self._zi = sosfilt_zi(self._sos)[:, :, None] * acc_mps2[0][None, None, :]
        gravity, self._zi = sosfilt(self._sos, acc_mps2, axis=0, zi=self._zi)
        return acc_mps2 - gravity


STEADY_FRAME_S = 1.0
"""Time constant of the hand's steady attitude, s: longer than a stroke's wrist flex (strokes of
0.3–3 s, the flex at their own rhythm), shorter than a change of grip. Measured on simulated
sessions with a gyroscope: stroke F1 0.922 → 0.926 (seeds 0:100), alike from 0.5 s to 4 s."""


class SteadyHandFrame:
    """The hand's attitude averaged over :data:`STEADY_FRAME_S`, causally: quaternions ``(w, x,
    y, z)`` (sensor → earth) in, unit quaternions out, one per sample.

    A one-pole low-pass of the quaternion's components, normalised: for the turns of a flexing
    wrist (tens of degrees) that is the average rotation to well within a degree. Restarted with
    the AHRS after a gap, whose new attitude may differ in yaw from the old one.
    """

    def __init__(self, rate_hz: float) -> None:
        self._alpha = min(1.0, 1.0 / (STEADY_FRAME_S * rate_hz))
        self._zi: FloatArray | None = None
        self._last: FloatArray | None = None

    def reset(self) -> None:
        """Start again from the next attitude."""
        self._zi = None
        self._last = None

    def process(self, q: FloatArray) -> FloatArray:
        """The steady attitudes (n, 4) for the attitudes ``q`` (n, 4)."""
        # q and -q are one attitude: flip signs so that each quaternion continues the last one
        # before averaging their components
        prev = q[0] if self._last is None else self._last
        dots = np.einsum("ij,ij->i", q, np.vstack((prev[None, :], q[:-1])))
        q = q * (1.0 - 2.0 * (np.cumsum(dots < 0.0) % 2))[:, None]
        self._last = q[-1].copy()
        a = self._alpha
        if self._zi is None:
            self._zi = ((1.0 - a) * q[0])[None, :]
        out, self._zi = lfilter([a], [1.0, a - 1.0], q, axis=0, zi=self._zi)
        norm = np.linalg.norm(out, axis=1, keepdims=True)
        result: FloatArray = out / norm
        return result


def gravity_direction(specific_force_mps2: FloatArray, linear_mps2: FloatArray) -> FloatArray:
    """Unit vectors (n, 3) toward "up" in the sensor frame: the gravity estimate the linear
    acceleration was taken from (specific force minus linear acceleration)."""
    gravity = specific_force_mps2 - linear_mps2
    norm = np.linalg.norm(gravity, axis=1, keepdims=True)
    unit: FloatArray = gravity / np.where(norm > 0.0, norm, 1.0)
    return unit


def emphasize_vertical(x: FloatArray, up: FloatArray, horizontal_weight: float) -> FloatArray:
    """Vectors ``x`` (n, 3) with their part across gravity scaled by ``horizontal_weight`` and
    their part along the unit vector(s) ``up`` ((3,) or (n, 3)) kept.

    Without a gyroscope the part across gravity carries the wrist's tilt leak (several times the
    hand's true horizontal velocity), while the part along it is nearly tilt-free (a tilt keeps
    ``|f| = g``). Where the limb axis climbs, the stroke shows in the tilt-free vertical part and
    the leak-laden horizontal part is better trusted less (:mod:`analysis.stages.limb_axis`).
    """
    vertical = np.einsum("ij,ij->i", x, np.broadcast_to(up, x.shape))[:, None] * up
    result: FloatArray = vertical + horizontal_weight * (x - vertical)
    return result


def tilt_quaternion(acc_mps2: FloatArray) -> FloatArray:
    """The attitude ``(w, x, y, z)`` (sensor → earth, yaw 0) that puts the measured specific force
    ``acc_mps2`` (3,) on the earth's up axis."""
    norm = float(np.linalg.norm(acc_mps2))
    if not norm > 0:
        return np.array([1.0, 0.0, 0.0, 0.0])
    g = acc_mps2 / norm
    # half-way vector between g and up gives the shortest-arc quaternion
    w = 1.0 + g[2]
    axis = np.array([g[1], -g[0], 0.0])  # g × up
    q = np.array([w, *axis])
    if w < 1e-9:  # upside down: any half-turn about a horizontal axis
        q = np.array([0.0, 1.0, 0.0, 0.0])
    unit: FloatArray = q / np.linalg.norm(q)
    return unit


def _cross(a: FloatArray, b: FloatArray) -> FloatArray:
    """Row-wise cross product of (n, 3) arrays (``np.cross`` costs ~40 µs a call in overhead)."""
    ax, ay, az = a[:, 0], a[:, 1], a[:, 2]
    bx, by, bz = b[:, 0], b[:, 1], b[:, 2]
    return np.column_stack((ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx))


def rotate(q: FloatArray, v: FloatArray) -> FloatArray:
    """Rotate vectors ``v`` (n, 3) by unit quaternions ``q`` (n, 4) ``(w, x, y, z)``."""
    w = q[:, :1]
    u = q[:, 1:]
    t = 2.0 * _cross(u, v)
    result: FloatArray = v + w * t + _cross(u, t)
    return result


def earth_to_sensor(q: FloatArray, v: FloatArray) -> FloatArray:
    """Express earth-frame vectors ``v`` (n, 3) in the sensor frame of attitudes ``q`` (n, 4)."""
    w = q[:, :1]
    u = -q[:, 1:]
    t = 2.0 * _cross(u, v)
    result: FloatArray = v + w * t + _cross(u, t)
    return result
