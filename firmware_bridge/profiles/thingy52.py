"""Nordic Thingy:52 motion service: raw accelerometer and gyroscope, and the RGB LED.

Facts from NordicSemiconductor/Nordic-Thingy52-FW (``ble_tms.h``, ``ble_uis.h``):

* Motion service ``EF680400-9B35-4933-9B10-52FFA9740042``. Configuration ``EF680401`` (read,
  write): 9 bytes LE — u16 pedometer interval ms (100–5000), u16 temperature interval ms
  (100–5000), u16 compass interval ms (100–5000), u16 motion processing frequency Hz (1–200),
  u8 wake-on-motion (0/1).
* Raw data ``EF680406`` (notify), one sample per notification: 9 × int16 LE — accelerometer xyz
  in Q6.10 (÷1024 → g), gyroscope xyz in Q11.5 (÷32 → °/s), compass xyz in Q12.4 (÷16 → µT).
* UI service ``EF680300``; LED ``EF680301`` (write): ``[0]`` off, ``[1, r, g, b]`` constant.

Native units: g and °/s.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from firmware_bridge.profiles._units import imu_packet_g_dps
from firmware_bridge.profiles.base import DecodedPacket, DecodeError, ProfileConfigError

_BASE: Final = "-9b35-4933-9b10-52ffa9740042"
MOTION_SERVICE_UUID: Final = "ef680400" + _BASE
MOTION_CONFIG_UUID: Final = "ef680401" + _BASE
RAW_DATA_UUID: Final = "ef680406" + _BASE
UI_SERVICE_UUID: Final = "ef680300" + _BASE
LED_UUID: Final = "ef680301" + _BASE

ACC_LSB_PER_G: Final = 1024.0
"""Q6.10 fixed point."""
GYRO_LSB_PER_DPS: Final = 32.0
"""Q11.5 fixed point."""
COMPASS_LSB_PER_UT: Final = 16.0
"""Q12.4 fixed point."""

RAW_BYTES: Final = 18
CONFIG_BYTES: Final = 9
_CONFIG: Final = struct.Struct("<HHHHB")

MOTION_FREQ_MIN_HZ: Final = 1
MOTION_FREQ_MAX_HZ: Final = 200
INTERVAL_MIN_MS: Final = 100
INTERVAL_MAX_MS: Final = 5000

LED_MODE_OFF: Final = 0
LED_MODE_CONSTANT: Final = 1


@dataclass(frozen=True)
class MotionConfig:
    """The motion service's configuration characteristic."""

    pedometer_interval_ms: int = 1000
    temperature_interval_ms: int = 1000
    compass_interval_ms: int = 1000
    motion_freq_hz: int = 100
    wake_on_motion: bool = False


def encode_motion_config(config: MotionConfig) -> bytes:
    """The 9 bytes to write to ``EF680401``; :class:`ProfileConfigError` if out of range."""
    if not MOTION_FREQ_MIN_HZ <= config.motion_freq_hz <= MOTION_FREQ_MAX_HZ:
        raise ProfileConfigError(
            f"Thingy:52 motion rate must be {MOTION_FREQ_MIN_HZ}–{MOTION_FREQ_MAX_HZ} Hz, "
            f"not {config.motion_freq_hz}"
        )
    for label, value in (
        ("pedometer", config.pedometer_interval_ms),
        ("temperature", config.temperature_interval_ms),
        ("compass", config.compass_interval_ms),
    ):
        if not INTERVAL_MIN_MS <= value <= INTERVAL_MAX_MS:
            raise ProfileConfigError(
                f"Thingy:52 {label} interval must be {INTERVAL_MIN_MS}–{INTERVAL_MAX_MS} ms, "
                f"not {value}"
            )
    return _CONFIG.pack(
        config.pedometer_interval_ms,
        config.temperature_interval_ms,
        config.compass_interval_ms,
        config.motion_freq_hz,
        int(config.wake_on_motion),
    )


def decode_motion_config(data: bytes) -> MotionConfig:
    """Parse the configuration read back from the device."""
    if len(data) != CONFIG_BYTES:
        raise DecodeError(f"Thingy:52 motion config is {CONFIG_BYTES} bytes, not {len(data)}")
    pedo, temp, compass, freq, wom = _CONFIG.unpack(data)
    return MotionConfig(pedo, temp, compass, freq, bool(wom))


@dataclass(frozen=True, eq=False)
class ThingyRawSample:
    """One raw-data notification in native units: acc in g, gyro in °/s, compass in µT."""

    acc_g: NDArray[np.float64]
    gyro_dps: NDArray[np.float64]
    compass_ut: NDArray[np.float64]


def parse_raw(payload: bytes) -> ThingyRawSample:
    """Decode one raw-data notification; :class:`DecodeError` unless it is 18 bytes."""
    if len(payload) != RAW_BYTES:
        raise DecodeError(f"Thingy:52 raw data is {RAW_BYTES} bytes, not {len(payload)}")
    raw = np.frombuffer(payload, dtype="<i2").astype(np.float64)
    return ThingyRawSample(
        acc_g=raw[0:3] / ACC_LSB_PER_G,
        gyro_dps=raw[3:6] / GYRO_LSB_PER_DPS,
        compass_ut=raw[6:9] / COMPASS_LSB_PER_UT,
    )


def _fixed(values: ArrayLike, scale: float) -> NDArray[np.int64]:
    ints = np.rint(np.asarray(values, dtype=np.float64).reshape(3) * scale).astype(np.int64)
    if ints.min() < -32768 or ints.max() > 32767:
        raise ValueError("value outside the int16 fixed-point range")
    return ints


def encode_raw(
    acc_g: ArrayLike, gyro_dps: ArrayLike, compass_ut: ArrayLike = (0.0, 0.0, 0.0)
) -> bytes:
    """One raw-data notification (acc ±32 g, gyro ±1024 °/s, compass ±2048 µT)."""
    ints = np.concatenate(
        [
            _fixed(acc_g, ACC_LSB_PER_G),
            _fixed(gyro_dps, GYRO_LSB_PER_DPS),
            _fixed(compass_ut, COMPASS_LSB_PER_UT),
        ]
    )
    return ints.astype("<i2").tobytes()


def led_constant(red: int, green: int, blue: int) -> bytes:
    """The LED command for a constant colour (each channel 0–255)."""
    for value in (red, green, blue):
        if not 0 <= value <= 255:
            raise ProfileConfigError(f"Thingy:52 LED channel must be 0–255, not {value}")
    return bytes([LED_MODE_CONSTANT, red, green, blue])


LED_GREEN: Final = bytes([LED_MODE_CONSTANT, 0, 255, 0])
"""The LED lit green: the user is doing what the technique asks."""
LED_RED: Final = bytes([LED_MODE_CONSTANT, 255, 0, 0])
"""The LED lit red: a corrective cue is showing."""
LED_OFF: Final = bytes([LED_MODE_OFF])


def led_for_cue(cue: str | None) -> bytes:
    """LED bytes for the current cue: green when none is due, red while a cue shows."""
    return LED_GREEN if cue is None else LED_RED


class Thingy52Profile:
    """The ``thingy52`` profile: raw motion data, one acc+gyro sample per notification."""

    name = "thingy52"
    service_uuid = MOTION_SERVICE_UUID

    def decode(self, characteristic_uuid: str, payload: bytes) -> DecodedPacket:
        if characteristic_uuid.lower() != RAW_DATA_UUID:
            raise DecodeError(f"{characteristic_uuid} is not the Thingy:52 raw data characteristic")
        sample = parse_raw(payload)
        return imu_packet_g_dps(sample.acc_g.reshape(1, 3), sample.gyro_dps.reshape(1, 3))
