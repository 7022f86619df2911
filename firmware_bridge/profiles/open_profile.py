"""The project's own open GATT profile for DIY sensors (``massage-coach``).

A small, fixed layout any microcontroller can send: a 16-byte header, then samples of int16
accelerometer, optional int16 gyroscope and optional uint16 force. The reference firmware in
``firmware_bridge/firmware/`` implements it; ``firmware_bridge/README.md`` documents it for people
writing their own.

UUIDs (base ``d9a9xxxx-fae7-4fe1-88bb-ff8af6691504``)
    service ``d9a90001``; data ``d9a90002`` (notify); config ``d9a90003`` (read, write);
    feedback ``d9a90004`` (write without response).

Data notification, little-endian::

    offset  size  field
    0       u8    version = 1
    1       u8    flags: bit 0 gyro present, bit 1 force present, bits 2-7 zero
    2       u8    n, samples in this packet (>= 1)
    3       u8    reserved, sent as 0, ignored by readers
    4       u32   sample counter of the first sample (wraps at 2**32)
    8       u32   device time of the first sample, microseconds (wraps every ~71.6 min)
    12      u32   sample period, microseconds (> 0)
    16      n x   acc x,y,z int16 mG | gyro x,y,z int16 0.1 deg/s (if bit 0) | force u16 0.01 N (if bit 1)

A 247-byte ATT MTU (244-byte notifications) carries 38 acc-only, 19 acc+gyro or 16
acc+gyro+force samples. Sample ``i`` has counter ``counter + i`` and device time
``time + i × period``; a jump in the counter between packets is the number of samples lost.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from firmware_bridge.profiles._units import DEG_TO_RAD, MG_TO_MPS2
from firmware_bridge.profiles.base import DecodedPacket, DecodeError, ProfileConfigError

_BASE: Final = "-fae7-4fe1-88bb-ff8af6691504"
SERVICE_UUID: Final = "d9a90001" + _BASE
DATA_UUID: Final = "d9a90002" + _BASE
CONFIG_UUID: Final = "d9a90003" + _BASE
FEEDBACK_UUID: Final = "d9a90004" + _BASE

VERSION: Final = 1
FLAG_GYRO: Final = 0x01
FLAG_FORCE: Final = 0x02
_KNOWN_FLAGS: Final = FLAG_GYRO | FLAG_FORCE
HEADER: Final = struct.Struct("<BBBBIII")
HEADER_BYTES: Final = HEADER.size
MAX_NOTIFICATION_BYTES: Final = 244
"""ATT MTU 247 (LE Data Length Extension) minus the 3-byte notification header."""

ACC_LSB_PER_MG: Final = 1.0
GYRO_LSB_PER_DPS: Final = 10.0
FORCE_LSB_PER_N: Final = 100.0
COUNTER_MODULUS: Final = 1 << 32
TIME_MODULUS_US: Final = 1 << 32

CONFIG: Final = struct.Struct("<BBHBBH")
ACC_RANGES_G: Final = (2, 4, 8, 16)
GYRO_RANGES_DPS: Final = (250, 500, 1000, 2000)

FEEDBACK_CODES: Final = {None: 0, "switch_up": 1, "slow_down": 2, "lighter": 3}
"""Feedback byte per cue (``None`` = no cue showing)."""


def sample_bytes(has_gyro: bool, has_force: bool) -> int:
    """Bytes per sample for the given channels."""
    return 6 + (6 if has_gyro else 0) + (2 if has_force else 0)


def max_samples_per_packet(
    has_gyro: bool, has_force: bool, payload_bytes: int = MAX_NOTIFICATION_BYTES
) -> int:
    """How many samples fit one notification of ``payload_bytes`` (at most 255)."""
    return min(255, (payload_bytes - HEADER_BYTES) // sample_bytes(has_gyro, has_force))


@dataclass(frozen=True, eq=False)
class OpenPacket:
    """One data notification in native units.

    Attributes
    ----------
    counter:
        Sample counter of the first sample (mod 2**32).
    time_us:
        Device time of the first sample, µs (mod 2**32).
    period_us:
        Sample period, µs.
    acc_mg, gyro_dps, force_n:
        Samples: ``(n, 3)`` mG, ``(n, 3)`` °/s or ``None``, ``(n,)`` N or ``None``.
    """

    counter: int
    time_us: int
    period_us: int
    acc_mg: NDArray[np.float64]
    gyro_dps: NDArray[np.float64] | None
    force_n: NDArray[np.float64] | None

    def __len__(self) -> int:
        return int(self.acc_mg.shape[0])


def parse_packet(payload: bytes) -> OpenPacket:
    """Decode one data notification; :class:`DecodeError` on anything malformed."""
    if len(payload) < HEADER_BYTES:
        raise DecodeError(f"open-profile packet of {len(payload)} bytes is shorter than its header")
    version, flags, n, _reserved, counter, time_us, period_us = HEADER.unpack_from(payload)
    if version != VERSION:
        raise DecodeError(f"open-profile version {version} is not supported (only {VERSION})")
    if flags & ~_KNOWN_FLAGS:
        raise DecodeError(f"open-profile flags 0x{flags:02x} set unknown bits")
    if n == 0:
        raise DecodeError("open-profile packet holds no samples")
    if period_us == 0:
        raise DecodeError("open-profile sample period is zero")
    has_gyro = bool(flags & FLAG_GYRO)
    has_force = bool(flags & FLAG_FORCE)
    size = sample_bytes(has_gyro, has_force)
    if len(payload) != HEADER_BYTES + n * size:
        raise DecodeError(
            f"open-profile packet of {n} samples must be {HEADER_BYTES + n * size} bytes, "
            f"not {len(payload)}"
        )
    # Each sample is int16 words, then the optional u16 force; read all words signed first.
    words = np.frombuffer(payload, dtype="<i2", offset=HEADER_BYTES).reshape(n, size // 2)
    acc = words[:, 0:3].astype(np.float64) / ACC_LSB_PER_MG
    gyro = words[:, 3:6].astype(np.float64) / GYRO_LSB_PER_DPS if has_gyro else None
    force = None
    if has_force:
        force = words[:, -1].astype(np.uint16).astype(np.float64) / FORCE_LSB_PER_N
    return OpenPacket(counter, time_us, period_us, acc, gyro, force)


def packet_to_decoded(packet: OpenPacket) -> DecodedPacket:
    """An :class:`OpenPacket` as the profile-independent :class:`DecodedPacket`.

    ``device_time_s`` counts on from the packet's (wrapping) first-sample time without wrapping
    inside the packet; :class:`OpenProfileStream` unwraps across packets.
    """
    n = len(packet)
    times_s = (packet.time_us + packet.period_us * np.arange(n, dtype=np.float64)) * 1e-6
    return DecodedPacket(
        channel="imu" if packet.gyro_dps is not None or packet.force_n is not None else "acc",
        native=packet.acc_mg,
        native_unit="mG",
        acc_mps2=packet.acc_mg * MG_TO_MPS2,
        gyro_radps=None if packet.gyro_dps is None else packet.gyro_dps * DEG_TO_RAD,
        force_n=packet.force_n,
        device_time_s=times_s,
        sequence=packet.counter,
        native_gyro=packet.gyro_dps,
        native_gyro_unit=None if packet.gyro_dps is None else "deg/s",
    )


def _quantize(values: ArrayLike, scale: float, lo: int, hi: int) -> NDArray[np.int64]:
    # Out-of-range values saturate, as a sensor's output does at full scale.
    return np.clip(np.rint(np.asarray(values, dtype=np.float64) * scale), lo, hi).astype(np.int64)


def encode_packet(
    acc_mg: ArrayLike,
    gyro_dps: ArrayLike | None = None,
    force_n: ArrayLike | None = None,
    *,
    counter: int,
    time_us: int,
    period_us: int,
) -> bytes:
    """One data notification.

    Parameters
    ----------
    acc_mg:
        Accelerometer, shape ``(n, 3)``, mG (1 mG steps, saturating at ±32767).
    gyro_dps:
        Gyroscope, shape ``(n, 3)``, °/s (0.1 °/s steps, ±3276.7), or ``None``.
    force_n:
        Force, shape ``(n,)``, N (0.01 N steps, 0–655.35), or ``None``.
    counter, time_us, period_us:
        First sample's counter and device time (both taken mod 2**32) and the period in µs.
    """
    acc = _quantize(acc_mg, ACC_LSB_PER_MG, -32768, 32767).reshape(-1, 3)
    n = acc.shape[0]
    if not 1 <= n <= 255:
        raise ValueError(f"a packet holds 1..255 samples, not {n}")
    if not 0 < period_us < 1 << 32:
        raise ValueError("period_us must be a positive 32-bit value")
    columns = [acc]
    flags = 0
    if gyro_dps is not None:
        flags |= FLAG_GYRO
        columns.append(_quantize(gyro_dps, GYRO_LSB_PER_DPS, -32768, 32767).reshape(n, 3))
    if force_n is not None:
        flags |= FLAG_FORCE
        force = _quantize(force_n, FORCE_LSB_PER_N, 0, 65535).reshape(n, 1)
        columns.append(np.where(force > 32767, force - 65536, force))
    body = np.concatenate(columns, axis=1).astype("<i2").tobytes()
    header = HEADER.pack(
        VERSION, flags, n, 0, counter % COUNTER_MODULUS, time_us % TIME_MODULUS_US, period_us
    )
    return header + body


def encode_packets(
    acc_mg: ArrayLike,
    gyro_dps: ArrayLike | None = None,
    force_n: ArrayLike | None = None,
    *,
    first_counter: int = 0,
    start_time_us: int = 0,
    period_us: int,
    payload_bytes: int = MAX_NOTIFICATION_BYTES,
) -> list[bytes]:
    """A run of samples as consecutive notifications, each as full as ``payload_bytes`` allows."""
    acc = np.asarray(acc_mg, dtype=np.float64).reshape(-1, 3)
    gyro = None if gyro_dps is None else np.asarray(gyro_dps, dtype=np.float64).reshape(-1, 3)
    force = None if force_n is None else np.asarray(force_n, dtype=np.float64).reshape(-1)
    per = max_samples_per_packet(gyro is not None, force is not None, payload_bytes)
    packets = []
    for start in range(0, acc.shape[0], per):
        stop = start + per
        packets.append(
            encode_packet(
                acc[start:stop],
                None if gyro is None else gyro[start:stop],
                None if force is None else force[start:stop],
                counter=first_counter + start,
                time_us=start_time_us + start * period_us,
                period_us=period_us,
            )
        )
    return packets


@dataclass(frozen=True)
class OpenConfig:
    """The config characteristic (8 bytes: u8 version, u8 channel flags, u16 rate Hz, u8 acc
    range g, u8 reserved, u16 gyro range °/s). The device snaps each value to what its sensor
    offers; read it back after writing."""

    sample_rate_hz: int = 208
    acc_range_g: int = 8
    gyro_range_dps: int = 1000
    gyro: bool = True
    force: bool = False


def encode_config(config: OpenConfig) -> bytes:
    """The 8 config bytes; :class:`ProfileConfigError` for values the profile cannot carry."""
    if not 1 <= config.sample_rate_hz <= 0xFFFF:
        raise ProfileConfigError(f"sample rate must be 1–65535 Hz, not {config.sample_rate_hz}")
    if config.acc_range_g not in ACC_RANGES_G:
        raise ProfileConfigError(f"accelerometer range must be one of {ACC_RANGES_G} g")
    if config.gyro_range_dps not in GYRO_RANGES_DPS:
        raise ProfileConfigError(f"gyroscope range must be one of {GYRO_RANGES_DPS} °/s")
    flags = (FLAG_GYRO if config.gyro else 0) | (FLAG_FORCE if config.force else 0)
    return CONFIG.pack(
        VERSION, flags, config.sample_rate_hz, config.acc_range_g, 0, config.gyro_range_dps
    )


def decode_config(data: bytes) -> OpenConfig:
    """Parse the config read back from the device."""
    if len(data) != CONFIG.size:
        raise DecodeError(f"open-profile config is {CONFIG.size} bytes, not {len(data)}")
    version, flags, rate, acc_range, _reserved, gyro_range = CONFIG.unpack(data)
    if version != VERSION:
        raise DecodeError(f"open-profile config version {version} is not supported")
    return OpenConfig(
        rate, acc_range, gyro_range, bool(flags & FLAG_GYRO), bool(flags & FLAG_FORCE)
    )


def encode_feedback(cue: str | None) -> bytes:
    """The feedback byte for the cue showing (``None`` clears it)."""
    try:
        return bytes([FEEDBACK_CODES[cue]])
    except KeyError:
        raise ProfileConfigError(f"no open-profile feedback code for cue {cue!r}") from None


@dataclass(frozen=True, eq=False)
class StreamStep:
    """What :meth:`OpenProfileStream.push` learnt from one notification.

    Attributes
    ----------
    packet:
        The decoded notification.
    lost_samples:
        Samples missing between the previous notification and this one (by the counter).
    device_time_s:
        Device time of each sample in seconds, unwrapped across the 32-bit µs rollover.
    """

    packet: DecodedPacket
    lost_samples: int
    device_time_s: NDArray[np.float64]


class OpenProfileStream:
    """Follows one device's notifications: counts lost samples and unwraps device time."""

    def __init__(self) -> None:
        self._next_counter: int | None = None
        self._last_time_us: int | None = None
        self._wraps = 0

    def push(self, payload: bytes) -> StreamStep:
        """Decode a notification; raise :class:`DecodeError` (state unchanged) on bad bytes."""
        packet = parse_packet(payload)
        lost = 0
        restarted = False
        if self._next_counter is not None:
            gap = (packet.counter - self._next_counter) % COUNTER_MODULUS
            # A "negative" jump is a device restart, not 4 billion lost samples.
            restarted = gap >= COUNTER_MODULUS // 2
            lost = 0 if restarted else gap
        if restarted:
            self._wraps = 0
        elif self._last_time_us is not None and packet.time_us < self._last_time_us:
            self._wraps += 1
        self._last_time_us = packet.time_us
        self._next_counter = (packet.counter + len(packet)) % COUNTER_MODULUS
        decoded = packet_to_decoded(packet)
        assert decoded.device_time_s is not None
        unwrapped = decoded.device_time_s + self._wraps * (TIME_MODULUS_US * 1e-6)
        return StreamStep(decoded, lost, unwrapped)


class OpenProfile:
    """The ``massage-coach`` profile (DIY sensors running the reference firmware)."""

    name = "massage-coach"
    service_uuid = SERVICE_UUID

    def decode(self, characteristic_uuid: str, payload: bytes) -> DecodedPacket:
        if characteristic_uuid.lower() != DATA_UUID:
            raise DecodeError(f"{characteristic_uuid} is not the open-profile data characteristic")
        return packet_to_decoded(parse_packet(payload))
