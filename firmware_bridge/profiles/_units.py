"""Unit conversions shared by the profiles (native device units to SI)."""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from analysis.samples import STANDARD_GRAVITY_MPS2
from firmware_bridge.profiles.base import DecodedPacket

G_TO_MPS2: Final = STANDARD_GRAVITY_MPS2
"""One g in m/s²."""
MG_TO_MPS2: Final = STANDARD_GRAVITY_MPS2 / 1000.0
"""One milli-g in m/s²."""
DEG_TO_RAD: Final = math.pi / 180.0
"""One degree (per second) in radians (per second)."""


def imu_packet_g_dps(acc_g: NDArray[np.float64], gyro_dps: NDArray[np.float64]) -> DecodedPacket:
    """An ``"imu"`` packet from acc in g and gyro in °/s (native), both shape ``(n, 3)``."""
    return DecodedPacket(
        channel="imu",
        native=acc_g,
        native_unit="g",
        acc_mps2=acc_g * G_TO_MPS2,
        gyro_radps=gyro_dps * DEG_TO_RAD,
        native_gyro=gyro_dps,
        native_gyro_unit="deg/s",
    )
