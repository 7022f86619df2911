"""Sample batches: the one shape in which sensor data travels from sources to the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

STANDARD_GRAVITY_MPS2 = 9.80665
"""Standard gravity in m/s²; accelerometers in g or mG are converted with it."""


@dataclass(frozen=True, eq=False)
class SampleBatch:
    """A run of consecutive sensor samples in SI units on the recording's clock.

    Attributes
    ----------
    t_s:
        Sample times in seconds from the recording's start, shape ``(n,)``, strictly increasing.
    acc_mps2:
        Accelerometer specific force in m/s², sensor frame, shape ``(n, 3)``. At rest the axis
        pointing up reads about +9.81.
    gyro_radps:
        Gyroscope in rad/s, sensor frame, right-hand rule, shape ``(n, 3)``; ``None`` for
        accelerometer-only devices.
    force_n:
        Contact force in newtons, shape ``(n,)``; ``None`` without a force sensor.
    """

    t_s: FloatArray
    acc_mps2: FloatArray
    gyro_radps: FloatArray | None = None
    force_n: FloatArray | None = None

    def __post_init__(self) -> None:
        n = self.t_s.shape[0]
        if self.t_s.ndim != 1:
            raise ValueError("t_s must be one-dimensional")
        if self.acc_mps2.shape != (n, 3):
            raise ValueError(f"acc_mps2 must have shape ({n}, 3), not {self.acc_mps2.shape}")
        if self.gyro_radps is not None and self.gyro_radps.shape != (n, 3):
            raise ValueError(f"gyro_radps must have shape ({n}, 3), not {self.gyro_radps.shape}")
        if self.force_n is not None and self.force_n.shape != (n,):
            raise ValueError(f"force_n must have shape ({n},), not {self.force_n.shape}")

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def has_gyro(self) -> bool:
        return self.gyro_radps is not None

    @property
    def has_force(self) -> bool:
        return self.force_n is not None

    def slice(self, start: int, stop: int) -> SampleBatch:
        """The samples ``start:stop`` as a new batch (views, not copies)."""
        return SampleBatch(
            t_s=self.t_s[start:stop],
            acc_mps2=self.acc_mps2[start:stop],
            gyro_radps=None if self.gyro_radps is None else self.gyro_radps[start:stop],
            force_n=None if self.force_n is None else self.force_n[start:stop],
        )

    def chunks(self, size: int) -> list[SampleBatch]:
        """Split into consecutive batches of at most ``size`` samples, in order."""
        if size < 1:
            raise ValueError("chunk size must be at least 1")
        return [self.slice(i, i + size) for i in range(0, len(self), size)]
