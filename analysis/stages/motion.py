"""Motion signals from linear acceleration: hand velocity and friction vibration.

Velocity is the linear acceleration passed through ``s / (s + a)²`` (a = 2π·0.1 Hz: a high-pass
that removes what is left of gravity and sensor bias, then a leaky integrator) and a 5 Hz low-pass
(tremor is 8–12 Hz and is not the stroke). Integrated tilt error would otherwise grow without bound
(1° ≈ 0.17 m/s²); the leak forgets it within ~2 s, and the segmenter further integrates position
only within one stroke. Below 0.1 Hz the hand is not stroking anyway.

Vibration is the power of the accelerometer above 15 Hz, or above 30 Hz from 100 Hz sampling on
(fourth-order high-pass, :func:`vibration_corner_hz`): skin friction during a pressed glide is
broadband stick-slip, while a lifted hand carries only tremor (below 12 Hz). At sample rates under
45 Hz (:data:`VIBRATION_MIN_RATE_HZ`) there is no usable band above 15 Hz and vibration is ``None``.
Why fourth order: the high-pass also passes a little of the stroke's own acceleration, (f / 15 Hz)
to the power of twice its order, and a half of duration T has its acceleration at f ≈ 1/T; at
second order a quick return's own motion leaked as much "friction" as a slow glide's rubbing (the
leak grows as T⁻⁴), and the quicker half of a pair looked the rougher one. Fourth order cuts that
leak by 30× for a 0.3 s half and 3000× for a 1 s one (measured on smooth strokes).
Why higher where the rate allows: a brisk return still reaches the 15–30 Hz band, its
turn-arounds abrupt (the jerk changes within a few samples) and a lifted one landing on the skin.
Measured on simulated brisk strokes at 100–416 Hz, a return's own motion carried 10–40× a glide's
above 15 Hz, as much as the glide's rubbing, and 8–15× less of it above 30 Hz, while the broadband
stick-slip kept 60–90 %: the friction contrast between glide and return rose from about 2× to
about 15×.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import bilinear_zpk, butter, sosfilt, sosfilt_zi, zpk2sos

from analysis.samples import FloatArray

VELOCITY_HIGHPASS_HZ = 0.1
VELOCITY_LOWPASS_HZ = 5.0
VIBRATION_HIGHPASS_HZ = 15.0
VIBRATION_HIGH_BAND_HZ = 30.0
"""The vibration band's corner where the sample rate leaves room above it (see
:func:`vibration_corner_hz`), Hz."""
VIBRATION_HIGHPASS_ORDER = 4
VIBRATION_MIN_RATE_HZ = 45.0
"""Below this sample rate there is no usable band above :data:`VIBRATION_HIGHPASS_HZ` (its
Nyquist is under 22.5 Hz) and vibration is ``None``, Hz."""
STROKE_BAND_HZ = (0.3, 5.0)


def vibration_corner_hz(rate_hz: float) -> float:
    """Corner of the vibration high-pass at ``rate_hz``: :data:`VIBRATION_HIGH_BAND_HZ` where it
    is at most 0.3 of the rate (the band up to Nyquist is then at least 0.2 of the rate wide,
    clear of an accelerometer's anti-alias roll-off near Nyquist), else
    :data:`VIBRATION_HIGHPASS_HZ`."""
    return (
        VIBRATION_HIGH_BAND_HZ if 0.3 * rate_hz >= VIBRATION_HIGH_BAND_HZ else VIBRATION_HIGHPASS_HZ
    )


def undo_phase_lead(v_mps: FloatArray, rate_hz: float) -> FloatArray:
    """Velocity (n, 3) from :meth:`MotionFilter.velocity` with the high-pass's phase lead undone
    by running the high-pass once more backwards in time (net: zero phase). Only for a finished
    stretch of samples, such as a calibration window learnt at its end; never in the live path.
    """
    a = 2.0 * np.pi * VELOCITY_HIGHPASS_HZ
    z, p, k = bilinear_zpk(np.array([0.0, 0.0]), np.array([-a, -a]), 1.0, rate_hz)
    sos = zpk2sos(z, p, k)
    backward: FloatArray = sosfilt(sos, v_mps[::-1], axis=0)[::-1]
    return backward


class MotionFilter:
    """Causal velocity (m/s, sensor frame) and vibration power ((m/s²)²) from linear acceleration.

    Parameters
    ----------
    rate_hz:
        Sample rate in Hz the filters are designed for.
    """

    def __init__(self, rate_hz: float) -> None:
        self.rate_hz = float(rate_hz)
        a = 2.0 * np.pi * VELOCITY_HIGHPASS_HZ
        z, p, k = bilinear_zpk(np.array([0.0]), np.array([-a, -a]), 1.0, self.rate_hz)
        lp_hz = min(VELOCITY_LOWPASS_HZ, 0.35 * self.rate_hz)
        zl, pl, kl = butter(2, lp_hz, fs=self.rate_hz, output="zpk")
        self._sos_v = zpk2sos(np.concatenate((z, zl)), np.concatenate((p, pl)), k * kl)
        self._sos_vib = (
            butter(
                VIBRATION_HIGHPASS_ORDER,
                vibration_corner_hz(self.rate_hz),
                btype="highpass",
                fs=self.rate_hz,
                output="sos",
            )
            if self.rate_hz >= VIBRATION_MIN_RATE_HZ
            else None
        )
        self._zi_v = np.zeros((self._sos_v.shape[0], 2, 3))
        # stroke-band acceleration, 0.3–5 Hz: lifts and glides, not drift, tilt error or tremor
        hp = butter(2, STROKE_BAND_HZ[0], btype="highpass", fs=self.rate_hz, output="zpk")
        lp = butter(2, min(STROKE_BAND_HZ[1], 0.35 * self.rate_hz), fs=self.rate_hz, output="zpk")
        self._sos_a = zpk2sos(
            np.concatenate((hp[0], lp[0])), np.concatenate((hp[1], lp[1])), hp[2] * lp[2]
        )
        self._zi_a = np.zeros((self._sos_a.shape[0], 2, 3))
        self._zi_vib: FloatArray | None = None

    @property
    def has_vibration(self) -> bool:
        return self._sos_vib is not None

    def reset(self) -> None:
        """Start again from a hand at rest."""
        self._zi_v[...] = 0.0
        self._zi_a[...] = 0.0
        self._zi_vib = None

    def velocity(self, lin_mps2: FloatArray) -> FloatArray:
        """Band-limited hand velocity in m/s, same frame as ``lin_mps2``, shape ``(n, 3)``.

        No zero-velocity update at pauses: an accelerometer cannot tell rest from the constant
        speed of a slow sustained glide (myofascial strokes glide for seconds); resetting on
        quiet acceleration split such glides more often than it removed drift (measured).
        """
        v, self._zi_v = sosfilt(self._sos_v, lin_mps2, axis=0, zi=self._zi_v)
        return v

    def stroke_acceleration(self, lin_mps2: FloatArray) -> FloatArray:
        """Linear acceleration band-passed to 0.3–5 Hz, m/s², shape ``(n, 3)``."""
        a, self._zi_a = sosfilt(self._sos_a, lin_mps2, axis=0, zi=self._zi_a)
        return a

    def vibration(self, acc_mps2: FloatArray) -> FloatArray | None:
        """Power above :func:`vibration_corner_hz` in (m/s²)², shape ``(n,)``; ``None`` at low
        sample rates."""
        if self._sos_vib is None:
            return None
        if self._zi_vib is None:
            # steady state for the first sample: gravity is not a vibration
            self._zi_vib = sosfilt_zi(self._sos_vib)[:, :, None] * acc_mps2[0][None, None, :]
        hp, self._zi_vib = sosfilt(self._sos_vib, acc_mps2, axis=0, zi=self._zi_vib)
        power: FloatArray = np.einsum("ij,ij->i", hp, hp)
        return power
