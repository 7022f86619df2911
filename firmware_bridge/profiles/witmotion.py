"""WitMotion BWT901BLE5.0 / WT901BLECL: accelerometer, gyroscope and angles in one frame.

Facts from WITMOTION/WitBluetooth_BWT901BLE5_0:

* Service ``0000ffe5-0000-1000-8000-00805f9a34fb``, notify ``0000ffe4-…``, write ``0000ffe9-…``.
  The base ends ``9a34fb``, **not** the Bluetooth base ``9b34fb``: always use the full strings.
* Frame of 20 bytes: ``55 61`` then 9 × int16 LE — acc xyz (v / 32768 × 16 g), gyro xyz
  (v / 32768 × 2000 °/s), angle xyz (v / 32768 × 180°).
* Register write ``FF AA reg lo hi``; unlock ``FF AA 69 88 B5``; save ``FF AA 00 00 00``; output
  rate register ``0x03``.

Native units: g and °/s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from firmware_bridge.profiles._units import imu_packet_g_dps
from firmware_bridge.profiles.base import DecodedPacket, DecodeError, ProfileConfigError

SERVICE_UUID: Final = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_UUID: Final = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_UUID: Final = "0000ffe9-0000-1000-8000-00805f9a34fb"

FRAME_BYTES: Final = 20
FRAME_HEADER: Final = b"\x55\x61"
ACC_FULL_SCALE_G: Final = 16.0
GYRO_FULL_SCALE_DPS: Final = 2000.0
ANGLE_FULL_SCALE_DEG: Final = 180.0
_LSB: Final = 32768.0

REGISTER_SAVE: Final = 0x00
REGISTER_RATE: Final = 0x03
UNLOCK: Final = bytes.fromhex("FFAA6988B5")
SAVE: Final = bytes.fromhex("FFAA000000")
RATE_CODES: Final[Mapping[float, int]] = {
    1.0: 0x03,
    2.0: 0x04,
    5.0: 0x05,
    10.0: 0x06,
    20.0: 0x07,
    50.0: 0x08,
    100.0: 0x09,
    200.0: 0x0B,
}
"""Output rates (Hz) and their code in register 0x03."""


def write_register(register: int, value: int) -> bytes:
    """The command writing a 16-bit value to a register: ``FF AA reg lo hi``."""
    if not 0 <= register <= 0xFF or not 0 <= value <= 0xFFFF:
        raise ProfileConfigError("WitMotion register is one byte and its value two")
    return bytes([0xFF, 0xAA, register, value & 0xFF, value >> 8])


def parse_register_write(command: bytes) -> tuple[int, int]:
    """``(register, value)`` of a register write (for simulated peripherals)."""
    if len(command) != 5 or command[:2] != b"\xff\xaa":
        raise DecodeError(f"not a WitMotion register write: {command.hex(' ')}")
    return command[2], command[3] | (command[4] << 8)


def rate_commands(rate_hz: float) -> list[bytes]:
    """Commands to set the output rate and keep it: unlock, write register 0x03, save.

    Raises
    ------
    ProfileConfigError
        If the device offers no such rate.
    """
    code = RATE_CODES.get(float(rate_hz))
    if code is None:
        offered = ", ".join(f"{r:g}" for r in RATE_CODES)
        raise ProfileConfigError(f"WitMotion offers {offered} Hz, not {rate_hz:g}")
    return [UNLOCK, write_register(REGISTER_RATE, code), SAVE]


def parse_frames(payload: bytes) -> NDArray[np.float64]:
    """The frames of a notification (one or more 20-byte ``55 61`` frames), native units.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 9)``: acc xyz in g, gyro xyz in °/s, angle xyz in degrees.
    """
    if not payload or len(payload) % FRAME_BYTES:
        raise DecodeError(f"WitMotion notification of {len(payload)} bytes is not 20-byte frames")
    raw = np.frombuffer(payload, dtype=np.uint8).reshape(-1, FRAME_BYTES)
    if not ((raw[:, 0] == 0x55) & (raw[:, 1] == 0x61)).all():
        raise DecodeError("WitMotion frame does not start with 55 61")
    values = raw[:, 2:].copy().view("<i2").astype(np.float64)
    scale = np.repeat([ACC_FULL_SCALE_G, GYRO_FULL_SCALE_DPS, ANGLE_FULL_SCALE_DEG], 3) / _LSB
    return np.asarray(values * scale, dtype=np.float64)


def _scaled(values: ArrayLike, full_scale: float) -> NDArray[np.int64]:
    ints = np.rint(np.asarray(values, dtype=np.float64).reshape(3) / full_scale * _LSB)
    return np.clip(ints, -32768, 32767).astype(np.int64)


def encode_frame(
    acc_g: ArrayLike, gyro_dps: ArrayLike, angle_deg: ArrayLike = (0.0, 0.0, 0.0)
) -> bytes:
    """One 20-byte frame (values beyond full scale saturate as the sensor's would)."""
    ints = np.concatenate(
        [
            _scaled(acc_g, ACC_FULL_SCALE_G),
            _scaled(gyro_dps, GYRO_FULL_SCALE_DPS),
            _scaled(angle_deg, ANGLE_FULL_SCALE_DEG),
        ]
    )
    return FRAME_HEADER + ints.astype("<i2").tobytes()


class WitMotionProfile:
    """The ``witmotion`` profile: acc+gyro(+angle) frames on ``0000ffe4``."""

    name = "witmotion"
    service_uuid = SERVICE_UUID

    def decode(self, characteristic_uuid: str, payload: bytes) -> DecodedPacket:
        if characteristic_uuid.lower() != NOTIFY_UUID:
            raise DecodeError(f"{characteristic_uuid} is not the WitMotion notify characteristic")
        values = parse_frames(payload)
        return imu_packet_g_dps(values[:, 0:3], values[:, 3:6])
