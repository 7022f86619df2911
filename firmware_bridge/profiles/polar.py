"""Polar Measurement Data (PMD): Verity Sense, H10, OH1 accelerometer and gyroscope.

Facts from the vendor's public SDK (polarofficial/polar-ble-sdk) as summarised in
``shared/notes/devices.md``:

* Service ``FB005C80-02E7-F387-1CAD-8ACD2D8DF0C8``; control point ``FB005C81-…`` (read, notify,
  write); data ``FB005C82-…`` (notify). Enable notifications on both before writing commands.
* Commands ``[opcode, params…]``: 1 get settings, 2 start, 3 stop. Start's first parameter is
  ``(recording_type << 7) | measurement_type`` (2 ACC, 5 GYRO), then settings
  ``[setting_type, 1, value LE]``: SAMPLE_RATE 0 (u16), RESOLUTION 1 (u16), RANGE 2 (u16),
  CHANNELS 4 (**u8**). Responses ``F0 opcode type status more params…``; a start response may
  carry setting 5 FACTOR (float32 LE), the scale of the data that follows.
* Data frame: ``[0]`` measurement type (low 6 bits), ``[1..8]`` u64 LE nanoseconds since
  2000-01-01 UTC stamping the **last** sample, ``[9]`` frame type (bit 7 = delta-compressed),
  then the payload.

Native units: ACC in milli-g (mG), GYRO in degrees per second. The decoder returns floats so a
non-unit FACTOR keeps its precision.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from firmware_bridge.profiles._units import DEG_TO_RAD, MG_TO_MPS2
from firmware_bridge.profiles.base import DecodedPacket, DecodeError, ProfileConfigError

PMD_SERVICE_UUID: Final = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL_POINT_UUID: Final = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA_UUID: Final = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

# Measurement types (PmdMeasurementType); only ACC and GYRO carry what the coach needs.
MEASUREMENT_ACC: Final = 2
MEASUREMENT_GYRO: Final = 5
MEASUREMENT_NAMES: Final[Mapping[int, str]] = {
    0: "ECG",
    1: "PPG",
    2: "ACC",
    3: "PPI",
    5: "GYRO",
    6: "MAGNETOMETER",
}

# Control-point opcodes (client to service).
OP_GET_SETTINGS: Final = 0x01
OP_START: Final = 0x02
OP_STOP: Final = 0x03
CONTROL_POINT_RESPONSE: Final = 0xF0

# Setting types and their field sizes in bytes (PmdSetting.typeToFieldSize).
SETTING_SAMPLE_RATE: Final = 0
SETTING_RESOLUTION: Final = 1
SETTING_RANGE: Final = 2
SETTING_RANGE_MILLIUNIT: Final = 3
SETTING_CHANNELS: Final = 4
SETTING_FACTOR: Final = 5
SETTING_FIELD_BYTES: Final[Mapping[int, int]] = {0: 2, 1: 2, 2: 2, 3: 4, 4: 1, 5: 4}

STATUS_SUCCESS: Final = 0
STATUS_MESSAGES: Final[Mapping[int, str]] = {
    1: "invalid op code",
    2: "invalid measurement type",
    3: "not supported",
    4: "invalid length",
    5: "invalid parameter",
    6: "already in that state (the stream is already running or already stopped)",
    7: "invalid resolution: the device does not offer that resolution",
    8: "invalid sample rate: the device does not offer that rate",
    9: "invalid range: the device does not offer that range",
    10: "invalid MTU",
    11: "invalid number of channels",
    12: "invalid state",
    13: "the device is in its charger; take it out to stream",
    14: "disk full",
}

FRAME_HEADER_BYTES: Final = 10
_COMPRESSED_BIT: Final = 0x80


# --------------------------------------------------------------------------------------------
# Control point: commands, responses, settings
# --------------------------------------------------------------------------------------------


class PolarControlPointError(ProfileConfigError):
    """The device answered a control-point command with an error status.

    Attributes
    ----------
    opcode, measurement_type, status:
        The response's fields; ``status`` is the PMD error code (e.g. 8 = invalid sample rate).
    """

    def __init__(self, opcode: int, measurement_type: int, status: int) -> None:
        self.opcode = opcode
        self.measurement_type = measurement_type
        self.status = status
        what = {OP_GET_SETTINGS: "get settings", OP_START: "start", OP_STOP: "stop"}.get(
            opcode, f"command {opcode}"
        )
        measurement = MEASUREMENT_NAMES.get(measurement_type & 0x3F, f"type {measurement_type}")
        reason = STATUS_MESSAGES.get(status, "unknown error")
        super().__init__(f"Polar refused {what} {measurement}: error {status}, {reason}")


@dataclass(frozen=True)
class ControlPointResponse:
    """One control-point notification ``F0 opcode type status more params…``.

    ``more`` is true when the device continues the parameters in further notifications (their
    bytes after the fifth are appended to ``params``).
    """

    opcode: int
    measurement_type: int
    status: int
    more: bool
    params: bytes

    @property
    def ok(self) -> bool:
        return self.status == STATUS_SUCCESS


@dataclass(frozen=True)
class PmdSettings:
    """Settings offered by (get-settings response) or selected on (start response) a stream.

    Each field holds the values in the order the device listed them; empty when absent.
    """

    sample_rates_hz: tuple[int, ...] = ()
    resolutions_bits: tuple[int, ...] = ()
    ranges: tuple[int, ...] = ()
    ranges_milliunit: tuple[int, ...] = ()
    channels: tuple[int, ...] = ()
    factors: tuple[float, ...] = ()

    @property
    def factor(self) -> float | None:
        """The FACTOR of a start response (the data's scale), or ``None``."""
        return self.factors[0] if self.factors else None


@dataclass(frozen=True)
class PmdCommand:
    """A parsed control-point command (what a simulated Polar peripheral receives)."""

    opcode: int
    measurement_type: int
    recording_type: int
    settings: Mapping[int, int] = field(default_factory=dict)


def get_settings_command(measurement_type: int) -> bytes:
    """The command asking which settings a stream offers: ``01 type``."""
    return bytes([OP_GET_SETTINGS, _check_measurement(measurement_type)])


def stop_command(measurement_type: int) -> bytes:
    """The command stopping a stream: ``03 type``."""
    return bytes([OP_STOP, _check_measurement(measurement_type)])


def start_command(
    measurement_type: int,
    *,
    sample_rate_hz: int,
    resolution_bits: int = 16,
    range_value: int | None = None,
    channels: int | None = 3,
    recording_type: int = 0,
) -> bytes:
    """The command starting a stream with its settings.

    Parameters
    ----------
    measurement_type:
        :data:`MEASUREMENT_ACC` or :data:`MEASUREMENT_GYRO`.
    sample_rate_hz:
        One of the rates the device offers (Verity 26/52/104/208/416 Hz, H10 25/50/100/200).
    resolution_bits:
        Sample resolution, 16 on the current devices.
    range_value:
        Full-scale range in the stream's unit (g for ACC, °/s for GYRO); ``None`` omits it.
    channels:
        Number of channels (a **one**-byte setting); ``None`` omits it (the H10 has none).
    recording_type:
        0 online streaming, 1 offline recording.

    Examples
    --------
    >>> start_command(MEASUREMENT_ACC, sample_rate_hz=52, resolution_bits=16, range_value=8).hex(" ")
    '02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03'
    """
    if recording_type not in (0, 1):
        raise ProfileConfigError(f"Polar recording type must be 0 or 1, not {recording_type}")
    first = (recording_type << 7) | _check_measurement(measurement_type)
    out = bytearray([OP_START, first])
    selected: list[tuple[int, int | None]] = [
        (SETTING_SAMPLE_RATE, sample_rate_hz),
        (SETTING_RESOLUTION, resolution_bits),
        (SETTING_RANGE, range_value),
        (SETTING_CHANNELS, channels),
    ]
    for setting, value in selected:
        if value is not None:
            out += _encode_setting(setting, (value,))
    return bytes(out)


def _check_measurement(measurement_type: int) -> int:
    if not 0 <= measurement_type <= 0x3F:
        raise ProfileConfigError(f"Polar measurement type must be 0..63, not {measurement_type}")
    return measurement_type


def _encode_setting(setting: int, values: Iterable[int]) -> bytes:
    size = SETTING_FIELD_BYTES[setting]
    items = list(values)
    if not 0 < len(items) < 256:
        raise ProfileConfigError(f"Polar setting {setting} needs 1..255 values")
    out = bytearray([setting, len(items)])
    for value in items:
        if not 0 <= value < 1 << (8 * size):
            raise ProfileConfigError(
                f"Polar setting {setting} value {value} does not fit in {size} byte(s)"
            )
        out += int(value).to_bytes(size, "little")
    return bytes(out)


def parse_control_point_response(data: bytes) -> ControlPointResponse:
    """Parse one control-point notification; raise :class:`DecodeError` if it is not one."""
    if len(data) < 4 or data[0] != CONTROL_POINT_RESPONSE:
        raise DecodeError(f"not a Polar control-point response: {bytes(data[:8]).hex(' ')}")
    status = data[3]
    more = status == STATUS_SUCCESS and len(data) > 4 and data[4] != 0
    params = bytes(data[5:]) if status == STATUS_SUCCESS else b""
    return ControlPointResponse(
        opcode=data[1], measurement_type=data[2], status=status, more=more, params=params
    )


def check_control_point_response(data: bytes) -> ControlPointResponse:
    """Parse a control-point notification and raise :class:`PolarControlPointError` (a
    :class:`ProfileConfigError` with a message in words) unless its status is success."""
    response = parse_control_point_response(data)
    if not response.ok:
        raise PolarControlPointError(response.opcode, response.measurement_type, response.status)
    return response


def continue_control_point_response(
    response: ControlPointResponse, continuation: bytes
) -> ControlPointResponse:
    """Append a continuation notification (sent while ``response.more``) to a response: its
    bytes after the fifth are more parameters, and its own ``more`` says whether others follow."""
    nxt = check_control_point_response(continuation)
    return ControlPointResponse(
        opcode=response.opcode,
        measurement_type=response.measurement_type,
        status=response.status,
        more=nxt.more,
        params=response.params + nxt.params,
    )


def encode_control_point_response(
    opcode: int, measurement_type: int, status: int = 0, params: bytes = b"", *, more: bool = False
) -> bytes:
    """A control-point notification as a Polar device sends it (for simulated peripherals)."""
    return bytes([CONTROL_POINT_RESPONSE, opcode, measurement_type, status, int(more)]) + params


def parse_settings(params: bytes) -> PmdSettings:
    """Parse settings ``[type, count, value × count]…`` from a get-settings or start response.

    Examples
    --------
    >>> s = parse_settings(bytes.fromhex("00013400010110000204F500F401E803D007040103"))
    >>> s.sample_rates_hz, s.resolutions_bits, s.ranges, s.channels
    ((52,), (16,), (245, 500, 1000, 2000), (3,))
    """
    found: dict[int, list[int | float]] = {k: [] for k in SETTING_FIELD_BYTES}
    offset = 0
    end = len(params)
    while offset < end:
        if offset + 2 > end:
            raise DecodeError("Polar settings end in the middle of a setting header")
        setting, count = params[offset], params[offset + 1]
        offset += 2
        size = SETTING_FIELD_BYTES.get(setting)
        if size is None:
            raise DecodeError(f"unknown Polar setting type {setting}")
        if offset + size * count > end:
            raise DecodeError(f"Polar setting {setting} is truncated")
        for _ in range(count):
            raw = params[offset : offset + size]
            offset += size
            if setting == SETTING_FACTOR:
                found[setting].append(struct.unpack("<f", raw)[0])
            else:
                found[setting].append(int.from_bytes(raw, "little"))
    return PmdSettings(
        sample_rates_hz=tuple(int(v) for v in found[SETTING_SAMPLE_RATE]),
        resolutions_bits=tuple(int(v) for v in found[SETTING_RESOLUTION]),
        ranges=tuple(int(v) for v in found[SETTING_RANGE]),
        ranges_milliunit=tuple(int(v) for v in found[SETTING_RANGE_MILLIUNIT]),
        channels=tuple(int(v) for v in found[SETTING_CHANNELS]),
        factors=tuple(float(v) for v in found[SETTING_FACTOR]),
    )


def encode_settings(settings: PmdSettings) -> bytes:
    """The inverse of :func:`parse_settings` (a simulated device's get-settings or start reply)."""
    out = bytearray()
    for setting, values in (
        (SETTING_SAMPLE_RATE, settings.sample_rates_hz),
        (SETTING_RESOLUTION, settings.resolutions_bits),
        (SETTING_RANGE, settings.ranges),
        (SETTING_RANGE_MILLIUNIT, settings.ranges_milliunit),
        (SETTING_CHANNELS, settings.channels),
    ):
        if values:
            out += _encode_setting(setting, values)
    if settings.factors:
        out += bytes([SETTING_FACTOR, len(settings.factors)])
        out += b"".join(struct.pack("<f", f) for f in settings.factors)
    return bytes(out)


def parse_start_response_factor(params: bytes) -> float | None:
    """The FACTOR (setting 5, float32 LE) in a start response's parameters, if any."""
    return parse_settings(params).factor


def parse_command(data: bytes) -> PmdCommand:
    """Parse a command a client wrote to the control point (for simulated peripherals)."""
    if len(data) < 2:
        raise DecodeError("Polar command too short")
    opcode, first = data[0], data[1]
    selected: dict[int, int] = {}
    if opcode == OP_START:
        settings = parse_settings(bytes(data[2:]))
        pairs = (
            (SETTING_SAMPLE_RATE, settings.sample_rates_hz),
            (SETTING_RESOLUTION, settings.resolutions_bits),
            (SETTING_RANGE, settings.ranges),
            (SETTING_RANGE_MILLIUNIT, settings.ranges_milliunit),
            (SETTING_CHANNELS, settings.channels),
        )
        selected = {k: v[0] for k, v in pairs if v}
    return PmdCommand(
        opcode=opcode,
        measurement_type=first & 0x3F,
        recording_type=first >> 7,
        settings=selected,
    )


# --------------------------------------------------------------------------------------------
# Data frames
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PmdFrame:
    """One parsed data frame.

    Attributes
    ----------
    measurement_type:
        :data:`MEASUREMENT_ACC` or :data:`MEASUREMENT_GYRO`.
    timestamp_ns:
        Device time of the **last** sample, nanoseconds since 2000-01-01 UTC.
    frame_type:
        Low 7 bits of the frame-type byte.
    compressed:
        Whether the frame was delta-compressed.
    values:
        Samples in native units (mG for ACC, °/s for GYRO), shape ``(n, 3)``.
    """

    measurement_type: int
    timestamp_ns: int
    frame_type: int
    compressed: bool
    values: NDArray[np.float64]

    @property
    def native_unit(self) -> str:
        return "mG" if self.measurement_type == MEASUREMENT_ACC else "deg/s"


# Raw ACC frame type -> bytes per axis.
_RAW_ACC_BYTES: Final[Mapping[int, int]] = {0: 1, 1: 2, 2: 3}


def parse_frame(frame: bytes, *, factor: float = 1.0) -> PmdFrame:
    """Decode one PMD data notification (ACC or GYRO) into native units.

    Parameters
    ----------
    frame:
        The notification's bytes.
    factor:
        The FACTOR from the start response (1.0 when the device sent none). ACC compressed
        type 0 becomes ``value × factor × 1000`` mG, ACC compressed type 1 ``value × factor`` mG,
        GYRO compressed ``value × factor`` °/s; raw ACC frames are mG and take no factor.

    Raises
    ------
    DecodeError
        For anything that is not a well-formed ACC or GYRO frame.
    """
    if len(frame) <= FRAME_HEADER_BYTES:
        raise DecodeError(f"Polar data frame too short ({len(frame)} bytes)")
    if not math.isfinite(factor):
        raise DecodeError("Polar factor must be finite")
    measurement = frame[0] & 0x3F
    timestamp_ns = int.from_bytes(frame[1:9], "little")
    type_byte = frame[9]
    compressed = bool(type_byte & _COMPRESSED_BIT)
    frame_type = type_byte & 0x7F
    content = bytes(frame[FRAME_HEADER_BYTES:])
    values: NDArray[np.float64]
    if measurement == MEASUREMENT_ACC:
        if compressed and frame_type == 0:
            values = _delta_decode(content, 16).astype(np.float64) * (float(factor) * 1000.0)
        elif compressed and frame_type == 1:
            values = _delta_decode(content, 16).astype(np.float64)
            if factor != 1.0:
                values = values * float(factor)
        elif not compressed and frame_type in _RAW_ACC_BYTES:
            values = _raw_decode(content, _RAW_ACC_BYTES[frame_type]).astype(np.float64)
        else:
            raise DecodeError(f"Polar ACC frame type 0x{type_byte:02x} is not supported")
    elif measurement == MEASUREMENT_GYRO:
        if compressed and frame_type == 0:
            values = _delta_decode(content, 16).astype(np.float64)
        elif compressed and frame_type == 1:
            bits = _delta_decode(content, 32).astype("<i4")
            with np.errstate(invalid="ignore"):  # NaN patterns are rejected just below
                values = bits.view("<f4").astype(np.float64)
            if not np.isfinite(values).all():
                raise DecodeError("Polar GYRO frame holds non-finite floats")
        else:
            raise DecodeError(f"Polar GYRO frame type 0x{type_byte:02x} is not supported")
        if factor != 1.0:
            values = values * float(factor)
    else:
        name = MEASUREMENT_NAMES.get(measurement, "unknown")
        raise DecodeError(f"Polar measurement type {measurement} ({name}) is not supported")
    return PmdFrame(measurement, timestamp_ns, frame_type, compressed, values)


def _raw_decode(content: bytes, width: int) -> NDArray[np.int64]:
    """Raw frame: 3 little-endian signed integers of ``width`` bytes per sample."""
    sample_bytes = 3 * width
    if len(content) % sample_bytes:
        raise DecodeError(
            f"Polar raw frame payload of {len(content)} bytes is not whole {sample_bytes}-byte samples"
        )
    if width == 1:
        return np.frombuffer(content, dtype=np.int8).astype(np.int64).reshape(-1, 3)
    if width == 2:
        return np.frombuffer(content, dtype="<i2").astype(np.int64).reshape(-1, 3)
    b = np.frombuffer(content, dtype=np.uint8).astype(np.int64).reshape(-1, 3)
    value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
    value = value - ((value & 0x800000) << 1)
    return value.reshape(-1, 3)


def _signed_fields(block: bytes, bits: int, n_fields: int) -> NDArray[np.int64]:
    """``n_fields`` signed integers of ``bits`` bits packed LSB-first in ``block``."""
    raw = np.frombuffer(block, dtype=np.uint8)
    flat = np.unpackbits(raw, bitorder="little")[: n_fields * bits].reshape(n_fields, bits)
    weights = np.left_shift(np.int64(1), np.arange(bits, dtype=np.int64))
    values = flat.astype(np.int64) @ weights
    sign = np.int64(1) << np.int64(bits - 1)
    return np.asarray(values - ((values & sign) << np.int64(1)), dtype=np.int64)


def _delta_decode(content: bytes, resolution_bits: int, channels: int = 3) -> NDArray[np.int64]:
    """Delta-compressed payload: a reference sample, then ``[bits][count]`` blocks of deltas.

    Accumulation wraps at 32 bits like the vendor's ``Int`` arithmetic, which is what makes
    float32 bit patterns (GYRO type 1) round-trip.
    """
    ref_width = (resolution_bits + 7) // 8
    ref_bytes = ref_width * channels
    end = len(content)
    if end < ref_bytes:
        raise DecodeError("Polar compressed frame shorter than its reference sample")
    ref = np.frombuffer(content[:ref_bytes], dtype=np.uint8).astype(np.int64)
    ref = ref.reshape(channels, ref_width) @ (np.int64(1) << (8 * np.arange(ref_width)))
    if resolution_bits < 32:
        sign = np.int64(1) << np.int64(resolution_bits - 1)
        ref = ref - ((ref & sign) << np.int64(1))
    parts: list[NDArray[np.int64]] = [ref.reshape(1, channels)]
    offset = ref_bytes
    while offset < end:
        if offset + 2 > end:
            raise DecodeError("Polar compressed frame ends inside a block header")
        bits, count = content[offset], content[offset + 1]
        offset += 2
        if bits > 32:
            raise DecodeError(f"Polar delta width of {bits} bits is impossible")
        n_fields = count * channels
        length = (bits * n_fields + 7) // 8
        if offset + length > end:
            raise DecodeError("Polar compressed frame is truncated inside a delta block")
        if bits and count:
            deltas = _signed_fields(content[offset : offset + length], bits, n_fields)
            parts.append(deltas.reshape(count, channels))
        offset += length
    stacked = np.concatenate(parts) if len(parts) > 1 else parts[0]
    summed = np.cumsum(stacked, axis=0)
    wrapped = ((summed + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)
    return np.asarray(wrapped, dtype=np.int64)


def sample_times_ns(
    timestamp_ns: int,
    n: int,
    *,
    previous_timestamp_ns: int | None = None,
    sample_rate_hz: float | None = None,
) -> NDArray[np.float64] | None:
    """Device time of each of a frame's ``n`` samples, nanoseconds since 2000-01-01.

    The frame's timestamp stamps its last sample; the spacing is ``(timestamp − previous
    frame's timestamp) / n`` when a previous frame of the stream is known and earlier, else
    ``1e9 / sample_rate_hz``. ``None`` when neither is known.
    """
    if n <= 0:
        return None
    if previous_timestamp_ns is not None and timestamp_ns > previous_timestamp_ns:
        step_ns = (timestamp_ns - previous_timestamp_ns) / n
    elif sample_rate_hz is not None and sample_rate_hz > 0:
        step_ns = 1e9 / sample_rate_hz
    else:
        return None
    back = np.arange(n - 1, -1, -1, dtype=np.float64)
    return float(timestamp_ns) - back * step_ns


class PolarStreamDecoder:
    """Decodes the frames of one PMD stream (ACC or GYRO), remembering the previous frame's
    timestamp so every sample gets its own device time.

    Parameters
    ----------
    measurement_type:
        :data:`MEASUREMENT_ACC` or :data:`MEASUREMENT_GYRO`.
    sample_rate_hz:
        The rate the stream was started with (spaces the first frame's samples).
    factor:
        The FACTOR of the start response (1.0 when there was none).
    """

    def __init__(
        self, measurement_type: int, *, sample_rate_hz: float | None = None, factor: float = 1.0
    ) -> None:
        self.measurement_type = measurement_type
        self.sample_rate_hz = sample_rate_hz
        self.factor = factor
        self.previous_timestamp_ns: int | None = None

    def reset(self) -> None:
        """Forget the previous frame (after a stop, a restart or a reconnect)."""
        self.previous_timestamp_ns = None

    def decode(self, frame: bytes) -> DecodedPacket:
        """Decode one frame of this stream; raise :class:`DecodeError` on bad bytes."""
        parsed = parse_frame(frame, factor=self.factor)
        if parsed.measurement_type != self.measurement_type:
            raise DecodeError(
                f"Polar frame of type {parsed.measurement_type} given to the "
                f"{MEASUREMENT_NAMES.get(self.measurement_type)} stream"
            )
        times = sample_times_ns(
            parsed.timestamp_ns,
            parsed.values.shape[0],
            previous_timestamp_ns=self.previous_timestamp_ns,
            sample_rate_hz=self.sample_rate_hz,
        )
        self.previous_timestamp_ns = parsed.timestamp_ns
        return frame_to_packet(parsed, None if times is None else times * 1e-9)


def frame_to_packet(parsed: PmdFrame, device_time_s: NDArray[np.float64] | None) -> DecodedPacket:
    """A parsed frame as the profile-independent :class:`DecodedPacket` (native and SI)."""
    if parsed.measurement_type == MEASUREMENT_ACC:
        return DecodedPacket(
            channel="acc",
            native=parsed.values,
            native_unit="mG",
            acc_mps2=parsed.values * MG_TO_MPS2,
            device_time_s=device_time_s,
        )
    return DecodedPacket(
        channel="gyro",
        native=parsed.values,
        native_unit="deg/s",
        gyro_radps=parsed.values * DEG_TO_RAD,
        device_time_s=device_time_s,
    )


class PolarPmdProfile:
    """The ``polar-pmd`` profile: routes data frames to one :class:`PolarStreamDecoder` per
    measurement type. Call :meth:`configure` with each stream's rate and FACTOR after its
    start response."""

    name = "polar-pmd"
    service_uuid = PMD_SERVICE_UUID

    def __init__(self) -> None:
        self.streams: dict[int, PolarStreamDecoder] = {
            MEASUREMENT_ACC: PolarStreamDecoder(MEASUREMENT_ACC),
            MEASUREMENT_GYRO: PolarStreamDecoder(MEASUREMENT_GYRO),
        }

    def configure(
        self, measurement_type: int, *, sample_rate_hz: float | None, factor: float | None
    ) -> None:
        """Set a stream's rate and FACTOR (``None`` FACTOR means 1.0) and forget its history."""
        stream = self.streams[measurement_type]
        stream.sample_rate_hz = sample_rate_hz
        stream.factor = 1.0 if factor is None else factor
        stream.reset()

    def decode(self, characteristic_uuid: str, payload: bytes) -> DecodedPacket:
        """Decode a notification of the PMD data characteristic."""
        if characteristic_uuid.lower() != PMD_DATA_UUID:
            raise DecodeError(f"{characteristic_uuid} is not the Polar PMD data characteristic")
        if not payload:
            raise DecodeError("empty Polar data frame")
        stream = self.streams.get(payload[0] & 0x3F)
        if stream is None:
            raise DecodeError(f"Polar measurement type {payload[0] & 0x3F} is not supported")
        return stream.decode(payload)


# --------------------------------------------------------------------------------------------
# Encoders (round-trip tests and simulated peripherals)
# --------------------------------------------------------------------------------------------


def _header(measurement_type: int, timestamp_ns: int, type_byte: int) -> bytes:
    if not 0 <= timestamp_ns < 1 << 64:
        raise ValueError("Polar timestamp must fit in an unsigned 64-bit integer")
    return bytes([measurement_type]) + int(timestamp_ns).to_bytes(8, "little") + bytes([type_byte])


def encode_raw_frame(
    measurement_type: int, frame_type: int, values: ArrayLike, timestamp_ns: int
) -> bytes:
    """A raw (uncompressed) frame of integer samples, shape ``(n, 3)``: type 0/1/2 = int8/16/24."""
    width = _RAW_ACC_BYTES[frame_type]
    ints = np.asarray(values, dtype=np.int64).reshape(-1, 3)
    lo, hi = -(1 << (8 * width - 1)), (1 << (8 * width - 1)) - 1
    if ints.size and (ints.min() < lo or ints.max() > hi):
        raise ValueError(f"raw frame type {frame_type} holds {8 * width}-bit values only")
    unsigned = ints.reshape(-1) & ((1 << (8 * width)) - 1)
    payload = b"".join(int(v).to_bytes(width, "little") for v in unsigned)
    return _header(measurement_type, timestamp_ns, frame_type) + payload


def _bits_needed(deltas: NDArray[np.int64]) -> int:
    """Smallest signed width holding every delta (at least 1 bit)."""
    if deltas.size == 0:
        return 1
    hi = int(deltas.max())
    lo = int(deltas.min())
    bits = 1
    while not (-(1 << (bits - 1)) <= lo and hi <= (1 << (bits - 1)) - 1):
        bits += 1
    return bits


def _pack_fields(fields: NDArray[np.int64], bits: int) -> bytes:
    unsigned = fields.astype(np.int64) & ((1 << bits) - 1)
    bit_matrix = (unsigned[:, None] >> np.arange(bits, dtype=np.int64)) & 1
    return bytes(np.packbits(bit_matrix.astype(np.uint8).reshape(-1), bitorder="little"))


def encode_compressed_frame(
    measurement_type: int,
    frame_type: int,
    values: ArrayLike,
    timestamp_ns: int,
    *,
    resolution_bits: int = 16,
    max_block_samples: int = 255,
) -> bytes:
    """A delta-compressed frame of integer samples (float32 bit patterns for GYRO type 1).

    Parameters
    ----------
    values:
        Integer samples, shape ``(n, 3)`` with ``n ≥ 1``; the first is the reference sample.
    resolution_bits:
        Width of the reference sample (16, or 32 for float bit patterns).
    max_block_samples:
        Deltas per block (at most 255; each block takes the smallest width that fits).
    """
    ints = np.asarray(values, dtype=np.int64).reshape(-1, 3)
    if ints.shape[0] < 1:
        raise ValueError("a compressed frame needs at least the reference sample")
    if not 1 <= max_block_samples <= 255:
        raise ValueError("a block holds 1..255 samples")
    ref_width = (resolution_bits + 7) // 8
    half = 1 << (resolution_bits - 1)
    if resolution_bits < 32 and (ints[0].min() < -half or ints[0].max() >= half):
        raise ValueError(f"the reference sample must fit in {resolution_bits} signed bits")
    out = bytearray(_header(measurement_type, timestamp_ns, _COMPRESSED_BIT | frame_type))
    for v in ints[0]:
        out += (int(v) & ((1 << (8 * ref_width)) - 1)).to_bytes(ref_width, "little")
    # Deltas wrap at 32 bits, as the decoder accumulates them.
    deltas = ((np.diff(ints, axis=0) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)
    for start in range(0, deltas.shape[0], max_block_samples):
        block = deltas[start : start + max_block_samples]
        bits = _bits_needed(block)
        out += bytes([bits, block.shape[0]])
        out += _pack_fields(block.reshape(-1), bits)
    return bytes(out)


def encode_acc_frame(
    acc_mg: ArrayLike,
    timestamp_ns: int,
    *,
    compressed: bool = True,
    factor: float = 1.0,
    raw_frame_type: int = 1,
) -> bytes:
    """ACC samples in mG as a Verity (compressed type 1, ``value × factor`` mG) or H10 (raw,
    ``raw_frame_type`` 0/1/2 = int8/16/24 mG) frame. Values are rounded to the frame's step."""
    mg = np.asarray(acc_mg, dtype=np.float64).reshape(-1, 3)
    if compressed:
        ints = np.rint(mg / factor).astype(np.int64)
        return encode_compressed_frame(MEASUREMENT_ACC, 1, ints, timestamp_ns)
    return encode_raw_frame(MEASUREMENT_ACC, raw_frame_type, np.rint(mg), timestamp_ns)


def encode_gyro_frame(
    gyro_dps: ArrayLike, timestamp_ns: int, *, factor: float = 1.0, float_bits: bool = False
) -> bytes:
    """GYRO samples in °/s as a compressed type 0 (int16 × factor) or, with ``float_bits``,
    type 1 (float32 bit patterns × factor) frame."""
    dps = np.asarray(gyro_dps, dtype=np.float64).reshape(-1, 3)
    if float_bits:
        patterns = (dps / factor).astype("<f4").view("<i4").astype(np.int64)
        return encode_compressed_frame(
            MEASUREMENT_GYRO, 1, patterns, timestamp_ns, resolution_bits=32
        )
    ints = np.rint(dps / factor).astype(np.int64)
    return encode_compressed_frame(MEASUREMENT_GYRO, 0, ints, timestamp_ns)
