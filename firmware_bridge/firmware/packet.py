"""Open-profile packet encoder for the reference firmware (MicroPython, no numpy).

The same wire format as ``firmware_bridge/profiles/open_profile.py`` — MicroPython cannot import
the project's package, so the firmware carries this small copy. Tests run it under CPython and
decode its packets with the project's decoder.

Data notification, little-endian: header ``<BBBBIII`` = version 1, flags (bit 0 gyro, bit 1
force), sample count n, reserved 0, counter of the first sample, device time of the first sample
in µs, sample period in µs; then per sample acc x,y,z int16 mG, gyro x,y,z int16 0.1 deg/s (if
flagged), force uint16 0.01 N (if flagged).
"""

import struct

SERVICE_UUID = "d9a90001-fae7-4fe1-88bb-ff8af6691504"
DATA_UUID = "d9a90002-fae7-4fe1-88bb-ff8af6691504"
CONFIG_UUID = "d9a90003-fae7-4fe1-88bb-ff8af6691504"
FEEDBACK_UUID = "d9a90004-fae7-4fe1-88bb-ff8af6691504"

VERSION = 1
FLAG_GYRO = 0x01
FLAG_FORCE = 0x02
HEADER_FORMAT = "<BBBBIII"
HEADER_BYTES = 16
CONFIG_FORMAT = "<BBHBBH"
CONFIG_BYTES = 8
MASK32 = 0xFFFFFFFF
PREFERRED_MTU = 247  # 244-byte notifications with LE Data Length Extension


def sample_bytes(has_gyro, has_force):
    return 6 + (6 if has_gyro else 0) + (2 if has_force else 0)


def samples_per_packet(mtu, has_gyro, has_force):
    """How many samples fit one notification at the negotiated ATT MTU (at least 1)."""
    n = (mtu - 3 - HEADER_BYTES) // sample_bytes(has_gyro, has_force)
    return max(1, min(255, n))


def _clamp_round(value, scale, lo, hi):
    v = int(round(value * scale))
    if v < lo:
        return lo
    if v > hi:
        return hi
    return v


class PacketBuilder:
    """Collects samples and packs them into one notification.

    ``add`` takes acc in mG, gyro in deg/s and force in N (floats or ints); values beyond the
    format's range saturate.
    """

    def __init__(self, capacity, has_gyro, has_force):
        self.capacity = capacity
        self.has_gyro = has_gyro
        self.has_force = has_force
        self.size = sample_bytes(has_gyro, has_force)
        self.buffer = bytearray(HEADER_BYTES + capacity * self.size)
        self.count = 0
        self.first_counter = 0
        self.first_time_us = 0

    def add(self, counter, time_us, acc_mg, gyro_dps=None, force_n=None):
        if self.count == 0:
            self.first_counter = counter
            self.first_time_us = time_us
        offset = HEADER_BYTES + self.count * self.size
        struct.pack_into(
            "<hhh",
            self.buffer,
            offset,
            _clamp_round(acc_mg[0], 1, -32768, 32767),
            _clamp_round(acc_mg[1], 1, -32768, 32767),
            _clamp_round(acc_mg[2], 1, -32768, 32767),
        )
        offset += 6
        if self.has_gyro:
            struct.pack_into(
                "<hhh",
                self.buffer,
                offset,
                _clamp_round(gyro_dps[0], 10, -32768, 32767),
                _clamp_round(gyro_dps[1], 10, -32768, 32767),
                _clamp_round(gyro_dps[2], 10, -32768, 32767),
            )
            offset += 6
        if self.has_force:
            struct.pack_into("<H", self.buffer, offset, _clamp_round(force_n, 100, 0, 65535))
        self.count += 1
        return self.count >= self.capacity

    def take(self, period_us):
        """The finished packet (``None`` if empty); the builder starts over."""
        if self.count == 0:
            return None
        flags = (FLAG_GYRO if self.has_gyro else 0) | (FLAG_FORCE if self.has_force else 0)
        struct.pack_into(
            HEADER_FORMAT,
            self.buffer,
            0,
            VERSION,
            flags,
            self.count,
            0,
            self.first_counter & MASK32,
            self.first_time_us & MASK32,
            period_us,
        )
        packet = bytes(self.buffer[: HEADER_BYTES + self.count * self.size])
        self.count = 0
        return packet


def encode_packet(counter, time_us, period_us, acc_mg, gyro_dps=None, force_n=None):
    """One notification from lists of samples (acc ``[(x, y, z), …]`` mG, gyro deg/s, force N)."""
    builder = PacketBuilder(len(acc_mg), gyro_dps is not None, force_n is not None)
    for i in range(len(acc_mg)):
        builder.add(
            counter + i,
            time_us + i * period_us,
            acc_mg[i],
            None if gyro_dps is None else gyro_dps[i],
            None if force_n is None else force_n[i],
        )
    return builder.take(period_us)


def encode_config(rate_hz, acc_range_g, gyro_range_dps, has_gyro, has_force):
    flags = (FLAG_GYRO if has_gyro else 0) | (FLAG_FORCE if has_force else 0)
    return struct.pack(CONFIG_FORMAT, VERSION, flags, rate_hz, acc_range_g, 0, gyro_range_dps)


def decode_config(data):
    """``(rate_hz, acc_range_g, gyro_range_dps, has_gyro, has_force)`` or ``None`` if malformed."""
    if len(data) != CONFIG_BYTES:
        return None
    version, flags, rate, acc_range, _reserved, gyro_range = struct.unpack(CONFIG_FORMAT, data)
    if version != VERSION:
        return None
    return rate, acc_range, gyro_range, bool(flags & FLAG_GYRO), bool(flags & FLAG_FORCE)


def uuid_le_bytes(uuid):
    """A 128-bit UUID string as the 16 little-endian bytes advertisements carry."""
    import binascii

    return bytes(reversed(binascii.unhexlify(uuid.replace("-", ""))))


def advertising_payloads(name, service_uuid):
    """``(adv_data, resp_data)``: flags (LE general discoverable, no BR/EDR) and the complete
    128-bit service UUID in the advertisement; the complete name in the scan response (both
    would not fit the 31-byte advertisement together)."""

    def field(kind, value):
        return bytes((len(value) + 1, kind)) + value

    adv = field(0x01, b"\x06") + field(0x07, uuid_le_bytes(service_uuid))
    resp = field(0x09, name.encode())
    if len(resp) > 31:
        raise ValueError("device name longer than 29 bytes")
    return adv, resp
