"""What every BLE device profile provides: a pure decoder and its configuration commands.

A profile knows bytes, not radios: the transport (:mod:`firmware_bridge.ble`) finds the device,
writes the profile's configuration, subscribes to its characteristics and hands each notification
to :meth:`DeviceProfile.decode`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray


class DecodeError(ValueError):
    """A notification that is not a valid packet of the profile. The transport counts and skips it."""


class ProfileConfigError(ValueError):
    """The device refused a configuration (e.g. a Polar control-point error status), in words."""


@dataclass(frozen=True, eq=False)
class DecodedPacket:
    """The samples of one notification.

    Attributes
    ----------
    channel:
        ``"acc"``, ``"gyro"``, ``"force"`` or ``"imu"`` (acc and gyro together, and force if any).
    native:
        Samples in the device's native units, shape ``(n, 3)`` (``(n, 1)`` for force), for
        ``massage-coach decode``.
    native_unit:
        The unit of ``native`` in words: ``"mG"``, ``"deg/s"``, ``"g"``, ``"N"`` …
    acc_mps2, gyro_radps, force_n:
        The same samples in SI units (``None`` where the packet does not carry that channel).
    device_time_s:
        Device timestamp of each sample in seconds on the device's clock, shape ``(n,)``, when the
        packet carries one; ``None`` otherwise.
    sequence:
        The packet's sample counter, when the profile has one (loss detection).
    native_gyro:
        For an ``"imu"`` packet that carries a gyroscope: the gyro samples in native units
        (``native_gyro_unit``), shape ``(n, 3)``; ``native`` then holds the accelerometer.
    native_gyro_unit:
        The unit of ``native_gyro`` in words (``"deg/s"``), or ``None``.
    """

    channel: str
    native: NDArray[np.float64]
    native_unit: str
    acc_mps2: NDArray[np.float64] | None = None
    gyro_radps: NDArray[np.float64] | None = None
    force_n: NDArray[np.float64] | None = None
    device_time_s: NDArray[np.float64] | None = None
    sequence: int | None = None
    native_gyro: NDArray[np.float64] | None = None
    native_gyro_unit: str | None = None

    def __len__(self) -> int:
        return int(self.native.shape[0])


class DeviceProfile(Protocol):
    """A supported device family (``polar-pmd``, ``thingy52``, ``microbit``, ``witmotion``,
    ``massage-coach``)."""

    name: str
    service_uuid: str

    def decode(self, characteristic_uuid: str, payload: bytes) -> DecodedPacket:
        """Decode one notification; raise :class:`DecodeError` (and nothing else) on bad bytes."""
        ...
