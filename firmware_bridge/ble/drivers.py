"""Per-profile connection logic: what to write to start a device, what to subscribe to, and how
its notifications become :class:`~firmware_bridge.ble.timeline.SampleRun` s.

The byte-level work (decoding frames, encoding commands) is the pure code of
:mod:`firmware_bridge.profiles`; a driver only sequences it over a live GATT connection and keeps
the per-stream state a reconnect must carry over (sample counters, Polar timestamps).

A driver promises its channels (``has_gyro``, ``has_force``) before it connects, so a recording
can be opened with the right columns; it then delivers exactly those channels (an extra channel
the device sends is dropped, a missing promised one is a :class:`ProfileConfigError`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, Final, Protocol

import numpy as np

from firmware_bridge.ble.timeline import SampleRun
from firmware_bridge.profiles import microbit, open_profile, polar, thingy52, witmotion
from firmware_bridge.profiles._units import DEG_TO_RAD, G_TO_MPS2, MG_TO_MPS2
from firmware_bridge.profiles.base import DecodeError, ProfileConfigError

logger = logging.getLogger(__name__)

PayloadHandler = Callable[[str, bytes], None]
"""Called with (characteristic UUID, payload) for every data notification."""

COMMAND_TIMEOUT_S: Final = 5.0
"""How long a device may take to answer a control-point command."""


class GattClient(Protocol):
    """The part of :class:`bleak.BleakClient` a driver uses."""

    async def start_notify(self, char_specifier: Any, callback: Any, **kwargs: Any) -> None: ...

    async def stop_notify(self, char_specifier: Any) -> None: ...

    async def write_gatt_char(
        self, char_specifier: Any, data: Any, response: bool | None = None
    ) -> None: ...

    async def read_gatt_char(self, char_specifier: Any, **kwargs: Any) -> bytearray: ...


class ProfileDriver:
    """Base of the drivers: one per connection target, kept across reconnects.

    Parameters
    ----------
    sample_rate_hz:
        Wanted rate; drivers snap it to what the device offers (see :attr:`sample_rate_hz`).
    has_gyro, has_force:
        Channels to deliver (``None``: the profile's usual ones).
    """

    name: ClassVar[str]
    default_rate_hz: ClassVar[float]
    offers_gyro: ClassVar[bool] = True
    offers_force: ClassVar[bool] = False
    data_uuids: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        sample_rate_hz: float | None = None,
        *,
        has_gyro: bool | None = None,
        has_force: bool | None = None,
    ) -> None:
        self.sample_rate_hz = self.snap_rate(sample_rate_hz or self.default_rate_hz)
        self.rate_requested = sample_rate_hz is not None
        self.has_gyro = self.offers_gyro if has_gyro is None else has_gyro and self.offers_gyro
        self.has_force = self.offers_force if has_force is None else has_force
        if self.has_force and not self.offers_force:
            raise ProfileConfigError(f"{self.name} devices have no force sensor")

    def snap_rate(self, rate_hz: float) -> float:
        """The supported rate nearest ``rate_hz`` (before asking the device)."""
        return float(rate_hz)

    async def start(self, client: GattClient, on_payload: PayloadHandler) -> None:
        """Configure the device and subscribe to its data (called on every (re)connect)."""
        await self.configure(client)
        for uuid in self.data_uuids:
            await client.start_notify(characteristic(client, uuid), _forward(uuid, on_payload))

    async def probe(self, client: GattClient) -> None:
        """Learn what the device offers (rate, channels) without starting it, so the source's
        info is right before the session connects (default: nothing to learn)."""
        del client

    async def configure(self, client: GattClient) -> None:
        """Write the device's configuration (default: nothing)."""
        del client

    async def stop(self, client: GattClient) -> None:
        """Unsubscribe (and stop the device's stream where it has a command for it)."""
        for uuid in self.data_uuids:
            await client.stop_notify(characteristic(client, uuid))

    def decode(self, uuid: str, payload: bytes) -> list[SampleRun]:
        """Runs of samples in one notification; :class:`DecodeError` on bad bytes."""
        raise NotImplementedError

    def _channels(
        self, acc_mps2: np.ndarray[Any, Any], gyro: Any, force: Any
    ) -> tuple[Any, Any, Any]:
        if self.has_gyro and gyro is None:
            raise DecodeError(f"{self.name} packet without the gyroscope this session records")
        if self.has_force and force is None:
            raise DecodeError(f"{self.name} packet without the force this session records")
        return (
            acc_mps2,
            gyro if self.has_gyro else None,
            force if self.has_force else None,
        )


def characteristic(client: GattClient, uuid: str) -> Any:
    """The characteristic ``uuid`` of ``client``'s services, for bleak calls.

    BlueZ can list a characteristic twice (a device that rebuilt its GATT table while BlueZ
    kept the old objects; BlueZoo keeps a finished connection's objects): the newest, with the
    highest handle, is the live one. Falls back to the UUID string (bleak resolves it)."""
    services = getattr(client, "services", None)
    chars = getattr(services, "characteristics", None)
    if not chars:
        return uuid
    matches = [c for c in chars.values() if str(c.uuid).lower() == uuid]
    return max(matches, key=lambda c: c.handle) if matches else uuid


async def read_value(client: GattClient, uuid: str) -> bytes:
    """The current value of the characteristic ``uuid``."""
    return bytes(await client.read_gatt_char(characteristic(client, uuid)))


async def write_value(client: GattClient, uuid: str, data: bytes) -> None:
    """Write ``data`` to the characteristic ``uuid`` and wait for the device's response (each
    setting must land before the next one is sent or read back)."""
    await client.write_gatt_char(characteristic(client, uuid), data, response=True)


def _forward(uuid: str, on_payload: PayloadHandler) -> Callable[[Any, bytearray], None]:
    def callback(_characteristic: Any, data: bytearray) -> None:
        on_payload(uuid, bytes(data))

    return callback


class OpenProfileDriver(ProfileDriver):
    """The project's ``massage-coach`` profile: config write + read-back, one data stream with a
    sample counter and µs device time."""

    name = "massage-coach"
    default_rate_hz = 208.0
    offers_force = True
    data_uuids = (open_profile.DATA_UUID,)

    def __init__(
        self,
        sample_rate_hz: float | None = None,
        *,
        has_gyro: bool | None = None,
        has_force: bool | None = None,
    ) -> None:
        super().__init__(sample_rate_hz, has_gyro=has_gyro, has_force=bool(has_force))
        self._stream = open_profile.OpenProfileStream()

    async def probe(self, client: GattClient) -> None:
        got = open_profile.decode_config(await read_value(client, open_profile.CONFIG_UUID))
        if not self.rate_requested:
            self.sample_rate_hz = float(got.sample_rate_hz)
        self.has_gyro = self.has_gyro and got.gyro
        self.has_force = got.force

    async def configure(self, client: GattClient) -> None:
        wanted = open_profile.OpenConfig(
            sample_rate_hz=round(self.sample_rate_hz), gyro=self.has_gyro, force=self.has_force
        )
        await write_value(client, open_profile.CONFIG_UUID, open_profile.encode_config(wanted))
        # The device snaps values to what its sensor offers: believe the read-back.
        got = open_profile.decode_config(await read_value(client, open_profile.CONFIG_UUID))
        if self.has_gyro and not got.gyro:
            raise ProfileConfigError("this massage-coach sensor has no gyroscope")
        if self.has_force and not got.force:
            raise ProfileConfigError("this massage-coach sensor has no force sensor")
        self.sample_rate_hz = float(got.sample_rate_hz)

    def decode(self, uuid: str, payload: bytes) -> list[SampleRun]:
        step = self._stream.push(payload)
        packet = step.packet
        assert packet.acc_mps2 is not None
        acc, gyro, force = self._channels(packet.acc_mps2, packet.gyro_radps, packet.force_n)
        return [SampleRun(acc, gyro, force, step.device_time_s, step.lost_samples)]


class PolarPmdDriver(ProfileDriver):
    """Polar PMD (Verity Sense, H10): ACC and GYRO started through the control point, frames
    paired by their device timestamps into acc+gyro runs."""

    name = "polar-pmd"
    default_rate_hz = 52.0
    data_uuids = (polar.PMD_DATA_UUID,)
    offered_rates_hz: ClassVar[tuple[int, ...]] = (26, 52, 104, 208, 416)

    def __init__(
        self,
        sample_rate_hz: float | None = None,
        *,
        has_gyro: bool | None = None,
        has_force: bool | None = None,
    ) -> None:
        super().__init__(sample_rate_hz, has_gyro=has_gyro, has_force=has_force)
        self._responses: asyncio.Queue[bytes] = asyncio.Queue()
        self._factors: dict[int, float] = {}
        self._last_ts_ns: dict[int, int] = {}
        self._period_ns: dict[int, float] = {}
        self._pending: dict[int, deque[tuple[float, np.ndarray[Any, Any]]]] = {
            polar.MEASUREMENT_ACC: deque(),
            polar.MEASUREMENT_GYRO: deque(),
        }

    def snap_rate(self, rate_hz: float) -> float:
        return float(min(self.offered_rates_hz, key=lambda r: abs(r - rate_hz)))

    def _measurements(self) -> list[int]:
        return [polar.MEASUREMENT_ACC] + ([polar.MEASUREMENT_GYRO] if self.has_gyro else [])

    async def start(self, client: GattClient, on_payload: PayloadHandler) -> None:
        # Both notifications must be on before the first command (the SDK's order).
        self._responses = asyncio.Queue()
        await client.start_notify(
            characteristic(client, polar.PMD_CONTROL_POINT_UUID), self._on_control_point
        )
        await client.start_notify(
            characteristic(client, polar.PMD_DATA_UUID), _forward(polar.PMD_DATA_UUID, on_payload)
        )
        for measurement in self._measurements():
            await self._start_stream(client, measurement)

    def _on_control_point(self, _characteristic: Any, data: bytearray) -> None:
        self._responses.put_nowait(bytes(data))

    async def _command(self, client: GattClient, command: bytes) -> polar.ControlPointResponse:
        await write_value(client, polar.PMD_CONTROL_POINT_UUID, command)
        while True:
            data = await asyncio.wait_for(self._responses.get(), COMMAND_TIMEOUT_S)
            response = polar.check_control_point_response(data)
            if response.opcode == command[0]:
                return response

    async def probe(self, client: GattClient) -> None:
        self._responses = asyncio.Queue()
        await client.start_notify(
            characteristic(client, polar.PMD_CONTROL_POINT_UUID), self._on_control_point
        )
        try:
            acc = polar.parse_settings(
                (
                    await self._command(client, polar.get_settings_command(polar.MEASUREMENT_ACC))
                ).params
            )
            if acc.sample_rates_hz:
                self.sample_rate_hz = float(
                    min(acc.sample_rates_hz, key=lambda r: abs(r - self.sample_rate_hz))
                )
            if self.has_gyro:
                try:
                    await self._command(client, polar.get_settings_command(polar.MEASUREMENT_GYRO))
                except polar.PolarControlPointError:
                    self.has_gyro = False  # the H10 has no gyroscope
        finally:
            await client.stop_notify(characteristic(client, polar.PMD_CONTROL_POINT_UUID))

    async def _start_stream(self, client: GattClient, measurement: int) -> None:
        offered = polar.parse_settings(
            (await self._command(client, polar.get_settings_command(measurement))).params
        )
        rates = offered.sample_rates_hz or (round(self.sample_rate_hz),)
        if round(self.sample_rate_hz) not in rates:
            raise ProfileConfigError(
                f"this Polar device offers {polar.MEASUREMENT_NAMES.get(measurement)} at "
                f"{', '.join(map(str, rates))} Hz, not {self.sample_rate_hz:g}"
            )
        wanted_range = 8 if measurement == polar.MEASUREMENT_ACC else 2000
        ranges = offered.ranges
        range_value = (
            None if not ranges else (wanted_range if wanted_range in ranges else max(ranges))
        )
        start = polar.start_command(
            measurement,
            sample_rate_hz=round(self.sample_rate_hz),
            resolution_bits=offered.resolutions_bits[0] if offered.resolutions_bits else 16,
            range_value=range_value,
            channels=3 if offered.channels else None,
        )
        try:
            response = await self._command(client, start)
        except polar.PolarControlPointError as exc:
            if exc.status != 6:  # 6 = already in state: a stream left running by a lost link
                raise
            await self._command(client, polar.stop_command(measurement))
            response = await self._command(client, start)
        factor = polar.parse_start_response_factor(response.params) if response.params else None
        self._factors[measurement] = 1.0 if factor is None else factor

    async def stop(self, client: GattClient) -> None:
        for measurement in self._measurements():
            try:
                await self._command(client, polar.stop_command(measurement))
            except (ProfileConfigError, DecodeError, TimeoutError) as exc:
                logger.info("Polar stop %s: %s", measurement, exc)
        await client.stop_notify(characteristic(client, polar.PMD_DATA_UUID))
        await client.stop_notify(characteristic(client, polar.PMD_CONTROL_POINT_UUID))

    def decode(self, uuid: str, payload: bytes) -> list[SampleRun]:
        if not payload:
            raise DecodeError("empty Polar data frame")
        measurement = payload[0] & 0x3F
        if measurement not in self._measurements():
            raise DecodeError(f"Polar frame of measurement type {measurement} was not started")
        frame = polar.parse_frame(payload, factor=self._factors.get(measurement, 1.0))
        values = frame.values
        n = values.shape[0]
        nominal_ns = 1e9 / self.sample_rate_hz
        last = self._last_ts_ns.get(measurement)
        period = self._period_ns.get(measurement, nominal_ns)
        if last is not None and frame.timestamp_ns > last:
            spacing = (frame.timestamp_ns - last) / n
            # Without loss, learn the device's true period (its clock's view of the rate). After
            # lost frames this frame is spaced by the period known; the session timeline sees
            # the jump in device time and records the gap.
            if spacing < 1.5 * period:
                period = 0.9 * period + 0.1 * spacing
        self._period_ns[measurement] = period
        self._last_ts_ns[measurement] = frame.timestamp_ns
        back = np.arange(n - 1, -1, -1, dtype=np.float64)
        times_s = (frame.timestamp_ns - back * period) * 1e-9
        pending = self._pending[measurement]
        for i in range(n):
            pending.append((float(times_s[i]), values[i]))
        return self._pair(period * 1e-9)

    def _pair(self, period_s: float) -> list[SampleRun]:
        acc_q = self._pending[polar.MEASUREMENT_ACC]
        if not self.has_gyro:
            return self._emit([(t, a, None) for t, a in self._drain(acc_q)])
        gyro_q = self._pending[polar.MEASUREMENT_GYRO]
        rows: list[tuple[float, Any, Any]] = []
        while acc_q and gyro_q:
            ta, a = acc_q[0]
            tg, g = gyro_q[0]
            # The two streams sample together; a head more than half a period older than the
            # other's is a sample whose partner was lost.
            if ta < tg - period_s / 2:
                acc_q.popleft()
                continue
            if tg < ta - period_s / 2:
                gyro_q.popleft()
                continue
            acc_q.popleft()
            gyro_q.popleft()
            rows.append((ta, a, g))
        return self._emit(rows)

    @staticmethod
    def _drain(q: deque[tuple[float, Any]]) -> list[tuple[float, Any]]:
        out = list(q)
        q.clear()
        return out

    def _emit(self, rows: list[tuple[float, Any, Any]]) -> list[SampleRun]:
        if not rows:
            return []
        times = np.array([r[0] for r in rows], dtype=np.float64)
        acc = np.array([r[1] for r in rows], dtype=np.float64) * MG_TO_MPS2
        gyro = (
            np.array([r[2] for r in rows], dtype=np.float64) * DEG_TO_RAD if self.has_gyro else None
        )
        return [SampleRun(acc, gyro, None, times)]

    def forget_stream(self) -> None:
        """After a reconnect the device restarts its streams; unpaired halves are stale."""
        for q in self._pending.values():
            q.clear()


class Thingy52Driver(ProfileDriver):
    """Nordic Thingy:52 raw motion data: one acc+gyro sample per notification, no timestamp."""

    name = "thingy52"
    default_rate_hz = 100.0
    data_uuids = (thingy52.RAW_DATA_UUID,)

    def snap_rate(self, rate_hz: float) -> float:
        return float(min(max(round(rate_hz), 1), 200))

    async def probe(self, client: GattClient) -> None:
        got = thingy52.decode_motion_config(await read_value(client, thingy52.MOTION_CONFIG_UUID))
        if not self.rate_requested:
            self.sample_rate_hz = float(got.motion_freq_hz)

    async def configure(self, client: GattClient) -> None:
        config = thingy52.MotionConfig(motion_freq_hz=round(self.sample_rate_hz))
        await write_value(
            client, thingy52.MOTION_CONFIG_UUID, thingy52.encode_motion_config(config)
        )
        got = thingy52.decode_motion_config(await read_value(client, thingy52.MOTION_CONFIG_UUID))
        self.sample_rate_hz = float(got.motion_freq_hz)

    def decode(self, uuid: str, payload: bytes) -> list[SampleRun]:
        sample = thingy52.parse_raw(payload)
        acc = sample.acc_g.reshape(1, 3) * G_TO_MPS2
        gyro = sample.gyro_dps.reshape(1, 3) * DEG_TO_RAD
        a, g, f = self._channels(acc, gyro, None)
        return [SampleRun(a, g, f)]


class MicrobitDriver(ProfileDriver):
    """BBC micro:bit accelerometer service: period write + read-back, no gyroscope."""

    name = "microbit"
    default_rate_hz = 50.0
    offers_gyro = False
    data_uuids = (microbit.ACCELEROMETER_DATA_UUID,)

    def snap_rate(self, rate_hz: float) -> float:
        return 1000.0 / microbit.period_for_rate(rate_hz)

    async def probe(self, client: GattClient) -> None:
        got = microbit.decode_period(await read_value(client, microbit.ACCELEROMETER_PERIOD_UUID))
        if not self.rate_requested:
            self.sample_rate_hz = 1000.0 / got

    async def configure(self, client: GattClient) -> None:
        period_ms = microbit.period_for_rate(self.sample_rate_hz)
        await write_value(
            client, microbit.ACCELEROMETER_PERIOD_UUID, microbit.encode_period(period_ms)
        )
        got = microbit.decode_period(await read_value(client, microbit.ACCELEROMETER_PERIOD_UUID))
        self.sample_rate_hz = 1000.0 / got

    def decode(self, uuid: str, payload: bytes) -> list[SampleRun]:
        acc = microbit.decode_acc(payload) * MG_TO_MPS2
        return [SampleRun(acc)]


class WitMotionDriver(ProfileDriver):
    """WitMotion BWT901BLE: unlock, rate register, save; 20-byte acc+gyro+angle frames."""

    name = "witmotion"
    default_rate_hz = 50.0
    data_uuids = (witmotion.NOTIFY_UUID,)

    def snap_rate(self, rate_hz: float) -> float:
        return float(min(witmotion.RATE_CODES, key=lambda r: abs(r - rate_hz)))

    async def configure(self, client: GattClient) -> None:
        # The vendor SDK forgets to await these writes; each one must land before the next.
        for command in witmotion.rate_commands(self.sample_rate_hz):
            await write_value(client, witmotion.WRITE_UUID, command)

    def decode(self, uuid: str, payload: bytes) -> list[SampleRun]:
        values = witmotion.parse_frames(payload)
        acc = values[:, 0:3] * G_TO_MPS2
        gyro = values[:, 3:6] * DEG_TO_RAD
        a, g, f = self._channels(acc, gyro, None)
        return [SampleRun(a, g, f)]


DRIVERS: Final[dict[str, type[ProfileDriver]]] = {
    driver.name: driver
    for driver in (
        OpenProfileDriver,
        PolarPmdDriver,
        Thingy52Driver,
        MicrobitDriver,
        WitMotionDriver,
    )
}
"""Profile name → driver class."""


def make_driver(
    profile: str,
    *,
    sample_rate_hz: float | None = None,
    has_gyro: bool | None = None,
    has_force: bool | None = None,
) -> ProfileDriver:
    """A driver for ``profile``; :class:`ProfileConfigError` naming the known profiles."""
    driver = DRIVERS.get(profile)
    if driver is None:
        raise ProfileConfigError(f"unknown device profile {profile!r}; known: {', '.join(DRIVERS)}")
    return driver(sample_rate_hz, has_gyro=has_gyro, has_force=has_force)
