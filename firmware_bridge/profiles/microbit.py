"""BBC micro:bit accelerometer service (no gyroscope) and its LED matrix.

Facts from lancaster-university/codal-microbit-v2 (``MicroBitAccelerometerService``,
``MicroBitLEDService``): UUID base ``E95Dxxxx-251D-470A-A062-FA1922DFA9A8``.

* Accelerometer service ``E95D0753``; data ``E95DCA4B`` (read, notify) = 3 × int16 LE in mG;
  period ``E95DFB24`` (read, write) = u16 ms — the device snaps to a period it supports, so read
  it back.
* LED service ``E95DD91D``; matrix state ``E95D7B77`` (read, write) = 5 bytes, one per row from
  the top, bit 4 = leftmost column; text ``E95D93EE`` (write) scrolls a UTF-8 string.

Native unit: mG.
"""

from __future__ import annotations

import struct
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from analysis.events import CUE_SWITCH_UP
from firmware_bridge.profiles._units import MG_TO_MPS2
from firmware_bridge.profiles.base import DecodedPacket, DecodeError, ProfileConfigError

_BASE: Final = "-251d-470a-a062-fa1922dfa9a8"
ACCELEROMETER_SERVICE_UUID: Final = "e95d0753" + _BASE
ACCELEROMETER_DATA_UUID: Final = "e95dca4b" + _BASE
ACCELEROMETER_PERIOD_UUID: Final = "e95dfb24" + _BASE
LED_SERVICE_UUID: Final = "e95dd91d" + _BASE
LED_MATRIX_UUID: Final = "e95d7b77" + _BASE
LED_TEXT_UUID: Final = "e95d93ee" + _BASE

DATA_BYTES: Final = 6
SUPPORTED_PERIODS_MS: Final = (1, 2, 5, 10, 20, 80, 160, 640)
"""Periods the micro:bit's accelerometer driver offers; a written period snaps to one of them."""
TEXT_MAX_BYTES: Final = 20

# Rows from the top, bit 4 = leftmost LED: an arrow with its head in the top row.
ARROW_UP: Final = bytes([0b00100, 0b01110, 0b10101, 0b00100, 0b00100])
"""LED matrix bytes of an arrow pointing up (toward the heart)."""
ARROW_DOWN: Final = bytes(reversed(ARROW_UP))
"""LED matrix bytes of an arrow pointing down."""
MATRIX_CLEAR: Final = bytes(5)


def decode_acc(payload: bytes) -> NDArray[np.float64]:
    """One accelerometer notification as mG floats, shape ``(1, 3)``."""
    if len(payload) != DATA_BYTES:
        raise DecodeError(f"micro:bit accelerometer data is {DATA_BYTES} bytes, not {len(payload)}")
    return np.frombuffer(payload, dtype="<i2").astype(np.float64).reshape(1, 3)


def encode_acc(acc_mg: ArrayLike) -> bytes:
    """One accelerometer notification from a sample in mG (rounded to whole mG)."""
    ints = np.rint(np.asarray(acc_mg, dtype=np.float64).reshape(3)).astype(np.int64)
    if ints.min() < -32768 or ints.max() > 32767:
        raise ValueError("micro:bit accelerometer values are int16 mG")
    return ints.astype("<i2").tobytes()


def encode_period(period_ms: int) -> bytes:
    """The u16 LE period to write to ``E95DFB24``."""
    if not 1 <= period_ms <= 0xFFFF:
        raise ProfileConfigError(f"micro:bit period must be 1–65535 ms, not {period_ms}")
    return struct.pack("<H", period_ms)


def decode_period(data: bytes) -> int:
    """The period read back from ``E95DFB24``, in ms."""
    if len(data) != 2:
        raise DecodeError(f"micro:bit period is 2 bytes, not {len(data)}")
    value: int = struct.unpack("<H", data)[0]
    return value


def period_for_rate(rate_hz: float) -> int:
    """The supported period closest to a wanted sample rate, in ms."""
    if rate_hz <= 0:
        raise ProfileConfigError(f"sample rate must be positive, not {rate_hz}")
    wanted_ms = 1000.0 / rate_hz
    return min(SUPPORTED_PERIODS_MS, key=lambda p: abs(p - wanted_ms))


def matrix_arrow(direction: str | None) -> bytes:
    """LED matrix bytes of an arrow for a stroke direction (``"up"`` toward the heart or
    ``"down"``); a blank matrix for anything else."""
    if direction == "up":
        return ARROW_UP
    if direction == "down":
        return ARROW_DOWN
    return MATRIX_CLEAR


def matrix_for_cue(cue: str | None) -> bytes:
    """LED matrix bytes for the cue showing: the up arrow for "Switch to upward strokes",
    blank when no cue (or a cue without a direction) shows."""
    return ARROW_UP if cue == CUE_SWITCH_UP else MATRIX_CLEAR


def encode_text(text: str) -> bytes:
    """Bytes for the scrolling-text characteristic (UTF-8, at most 20 bytes)."""
    data = text.encode("utf-8")
    if len(data) > TEXT_MAX_BYTES:
        raise ProfileConfigError(f"micro:bit text is at most {TEXT_MAX_BYTES} bytes")
    return data


class MicrobitProfile:
    """The ``microbit`` profile: one accelerometer sample per notification, no gyroscope."""

    name = "microbit"
    service_uuid = ACCELEROMETER_SERVICE_UUID

    def decode(self, characteristic_uuid: str, payload: bytes) -> DecodedPacket:
        if characteristic_uuid.lower() != ACCELEROMETER_DATA_UUID:
            raise DecodeError(
                f"{characteristic_uuid} is not the micro:bit accelerometer data characteristic"
            )
        acc = decode_acc(payload)
        return DecodedPacket(channel="acc", native=acc, native_unit="mG", acc_mps2=acc * MG_TO_MPS2)
