"""What the simulated peripheral measures: a simulated self-massage session, or a plain
deterministic signal that starts instantly (tests, benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.samples import STANDARD_GRAVITY_MPS2, FloatArray

_MPS2_TO_MG = 1000.0 / STANDARD_GRAVITY_MPS2
_RADPS_TO_DPS = 180.0 / np.pi


@dataclass(frozen=True, eq=False)
class SensorSignal:
    """Samples in the devices' native units, indexed by sample number (looped when exhausted).

    Attributes
    ----------
    acc_mg:
        Accelerometer, shape ``(n, 3)``, milli-g.
    gyro_dps:
        Gyroscope, shape ``(n, 3)``, °/s.
    force_n:
        Force, shape ``(n,)``, N, or ``None``.
    """

    acc_mg: FloatArray
    gyro_dps: FloatArray
    force_n: FloatArray | None

    def __len__(self) -> int:
        return int(self.acc_mg.shape[0])

    def take(self, start: int, count: int) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        """Samples ``start … start + count − 1`` (wrapping around the end)."""
        idx = (start + np.arange(count)) % len(self)
        force = None if self.force_n is None else self.force_n[idx]
        return self.acc_mg[idx], self.gyro_dps[idx], force


def simple_signal(rate_hz: float, *, seconds: float = 60.0, force: bool = False) -> SensorSignal:
    """A hand stroking at 0.5 Hz with gravity on +z: smooth, deterministic, instant."""
    n = max(1, round(rate_hz * seconds))
    t = np.arange(n) / rate_hz
    phase = 2 * np.pi * 0.5 * t
    acc = np.column_stack(
        [300 * np.sin(phase), 120 * np.sin(2 * phase + 0.3), 1000 + 80 * np.cos(phase)]
    )
    gyro = np.column_stack([40 * np.cos(phase), -25 * np.sin(phase), 10 * np.sin(3 * phase)])
    force_n = 6 + 4 * np.sin(phase) ** 2 if force else None
    return SensorSignal(acc, gyro, force_n)


def session_signal(
    rate_hz: float, *, seed: int = 0, minutes: float = 1.0, technique: str | None = None
) -> SensorSignal:
    """A session from :func:`analysis.simulation.simulate_session` (no link loss: the BLE stack
    under test is where losses must come from)."""
    from analysis.simulation import simulate_session

    session = simulate_session(
        seed,
        minutes=minutes,
        technique=technique,
        rate_hz=rate_hz,
        has_gyro=True,
        packet_loss=False,
        truth=False,
    )
    samples = session.samples
    gyro = samples.gyro_radps if samples.gyro_radps is not None else np.zeros((len(samples), 3))
    return SensorSignal(samples.acc_mps2 * _MPS2_TO_MG, gyro * _RADPS_TO_DPS, samples.force_n)
