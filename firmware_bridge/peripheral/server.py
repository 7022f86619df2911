"""A simulated BLE sensor: a BlueZ GATT application plus an LE advertisement that streams a
simulated session in a profile's real wire format.

It runs against any BlueZ D-Bus API — in the tests BlueZoo, a user-space BlueZ with virtual
adapters — so the real bleak client, the real BlueZ D-Bus protocol and the real profile bytes are
all exercised without a radio. The sensor keeps sampling at its rate whether or not anyone
listens: samples due while no client is subscribed are lost (their counters and timestamps are
skipped), as on a real device.

Every notification sent is appended to a JSON-lines log (``--log``): what the tests compare the
received samples with, and what the benchmark counts. Lines are
``{"t": host monotonic s, "uuid": characteristic, "hex": payload, "first": sample index, "n":
samples}`` and events ``{"t": …, "event": "disconnect-injected" | "connected" | "feedback" …}``.

BlueZoo quirk handled here (not needed with a real BlueZ): after a connection ends BlueZoo keeps
that connection's GATT objects on the central's side and cannot connect the same pair again. So
after every disconnect the peripheral re-registers its GATT application (new handles, new object
paths) and asks the central's adapter to forget the device (``Adapter1.RemoveDevice``); the
central finds it again at its next scan, as it would find a device that went out of range.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Final

import numpy as np
from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus

from firmware_bridge.ble.bluez import managed_objects
from firmware_bridge.peripheral.gatt import GattCharacteristic, GattService, LEAdvertisement
from firmware_bridge.peripheral.signal import SensorSignal
from firmware_bridge.profiles import microbit, open_profile, polar, thingy52
from firmware_bridge.profiles.base import DecodeError

logger = logging.getLogger(__name__)

TICK_S: Final = 0.01
"""How often the sensor checks for due samples."""
MAX_HOLD_S: Final = 0.05
"""Longest a due sample waits for its packet to fill."""
POLAR_EPOCH_NS: Final = 800_000_000 * 10**9
"""Device clock at sample 0 (ns since 2000-01-01: mid-2025)."""
POLAR_FRAME_SAMPLES: Final = 36
POLAR_GYRO_FACTOR: Final = 0.0625
"""GYRO scale the simulated Polar announces in its start response (°/s per LSB, exact in f32)."""
SERVED_PROFILES: Final = ("massage-coach", "polar-pmd", "thingy52", "microbit")

Send = Callable[[GattCharacteristic, bytes, int, int], None]
"""Sends one notification: (characteristic, payload, first sample index, sample count)."""


class CharSpec:
    """A characteristic to create in each GATT application generation."""

    def __init__(self, uuid: str, flags: list[str], value: bytes = b"") -> None:
        self.uuid = uuid
        self.flags = flags
        self.value = value


class ServedProfile:
    """What one profile looks like on the air, and how it packs samples."""

    name: str
    advertised: tuple[str, ...]
    rate_hz: float
    batch_samples: int = 1

    def __init__(self, signal: SensorSignal, rate_hz: float) -> None:
        self.signal = signal
        self.rate_hz = rate_hz
        self.chars: dict[str, GattCharacteristic] = {}
        self.send: Send | None = None
        self.log_event: Callable[..., None] = lambda **_: None

    def services(self) -> dict[str, list[CharSpec]]:
        raise NotImplementedError

    def on_write(self, uuid: str, value: bytes) -> None:
        """A client wrote ``value`` to ``uuid``."""
        if uuid in self.feedback_uuids():
            self.log_event(event="feedback", uuid=uuid, hex=value.hex())

    def feedback_uuids(self) -> tuple[str, ...]:
        return ()

    def data_uuids(self) -> tuple[str, ...]:
        """The characteristics carrying samples."""
        return ()

    def streaming(self) -> bool:
        """Whether a client is listening to the sample stream."""
        raise NotImplementedError

    def emit(self, first: int, count: int) -> None:
        """Send samples ``first … first + count − 1`` (only called while :meth:`streaming`)."""
        raise NotImplementedError

    def link_lost(self) -> None:
        """The connection ended: drop any per-connection state."""


class OpenServed(ServedProfile):
    name = "massage-coach"
    advertised = (open_profile.SERVICE_UUID,)

    def __init__(self, signal: SensorSignal, rate_hz: float) -> None:
        super().__init__(signal, rate_hz)
        self.period_us = round(1e6 / rate_hz)
        self.gyro = True
        self.force = signal.force_n is not None
        self.batch_samples = open_profile.max_samples_per_packet(self.gyro, self.force)

    def _config(self) -> bytes:
        config = open_profile.OpenConfig(
            sample_rate_hz=round(self.rate_hz), gyro=self.gyro, force=self.force
        )
        return open_profile.encode_config(config)

    def services(self) -> dict[str, list[CharSpec]]:
        return {
            open_profile.SERVICE_UUID: [
                CharSpec(open_profile.DATA_UUID, ["notify"]),
                CharSpec(open_profile.CONFIG_UUID, ["read", "write"], self._config()),
                CharSpec(open_profile.FEEDBACK_UUID, ["write-without-response", "write"]),
            ]
        }

    def feedback_uuids(self) -> tuple[str, ...]:
        return (open_profile.FEEDBACK_UUID,)

    def data_uuids(self) -> tuple[str, ...]:
        return (open_profile.DATA_UUID,)

    def on_write(self, uuid: str, value: bytes) -> None:
        if uuid == open_profile.CONFIG_UUID:
            try:
                wanted = open_profile.decode_config(value)
            except DecodeError as exc:
                logger.info("bad config write: %s", exc)
            else:
                # Snap to what this sensor has: its one rate, force only if it has an FSR.
                self.gyro = wanted.gyro
                self.force = wanted.force and self.signal.force_n is not None
                self.batch_samples = open_profile.max_samples_per_packet(self.gyro, self.force)
                self.log_event(event="config", hex=value.hex())
            self.chars[open_profile.CONFIG_UUID].set_value(self._config())
            return
        super().on_write(uuid, value)

    def streaming(self) -> bool:
        return self.chars[open_profile.DATA_UUID].notifying

    def emit(self, first: int, count: int) -> None:
        assert self.send is not None
        acc, gyro, force = self.signal.take(first, count)
        for start in range(0, count, self.batch_samples):
            n = min(self.batch_samples, count - start)
            payload = open_profile.encode_packet(
                acc[start : start + n],
                gyro[start : start + n] if self.gyro else None,
                force[start : start + n] if self.force and force is not None else None,
                counter=first + start,
                time_us=(first + start) * self.period_us,
                period_us=self.period_us,
            )
            self.send(self.chars[open_profile.DATA_UUID], payload, first + start, n)


class PolarServed(ServedProfile):
    """A Verity Sense: ACC (compressed type 1, mG) and GYRO (compressed type 0) started and
    stopped through the control point, each stream with its own frames."""

    name = "polar-pmd"
    advertised = (polar.PMD_SERVICE_UUID,)
    batch_samples = POLAR_FRAME_SAMPLES

    def __init__(self, signal: SensorSignal, rate_hz: float) -> None:
        super().__init__(signal, rate_hz)
        self.period_ns = 1e9 / rate_hz
        self.running: set[int] = set()

    def services(self) -> dict[str, list[CharSpec]]:
        return {
            polar.PMD_SERVICE_UUID: [
                CharSpec(polar.PMD_CONTROL_POINT_UUID, ["read", "write", "notify", "indicate"]),
                CharSpec(polar.PMD_DATA_UUID, ["notify"]),
            ]
        }

    def _respond(self, opcode: int, measurement: int, status: int, params: bytes = b"") -> None:
        payload = polar.encode_control_point_response(opcode, measurement, status, params)
        self.chars[polar.PMD_CONTROL_POINT_UUID].notify(payload)

    def on_write(self, uuid: str, value: bytes) -> None:
        if uuid != polar.PMD_CONTROL_POINT_UUID:
            return
        try:
            command = polar.parse_command(value)
        except DecodeError:
            self._respond(value[0] if value else 0, 0, 4)
            return
        m = command.measurement_type
        self.log_event(event="polar-command", hex=value.hex())
        if m not in (polar.MEASUREMENT_ACC, polar.MEASUREMENT_GYRO):
            self._respond(command.opcode, m, 2)
        elif command.opcode == polar.OP_GET_SETTINGS:
            settings = polar.PmdSettings(
                sample_rates_hz=(round(self.rate_hz),),
                resolutions_bits=(16,),
                ranges=(8,) if m == polar.MEASUREMENT_ACC else (2000,),
                channels=(3,),
            )
            self._respond(command.opcode, m, 0, polar.encode_settings(settings))
        elif command.opcode == polar.OP_START:
            rate = command.settings.get(polar.SETTING_SAMPLE_RATE)
            if rate != round(self.rate_hz):
                self._respond(command.opcode, m, 8)
            elif m in self.running:
                self._respond(command.opcode, m, 6)
            else:
                self.running.add(m)
                factor = 1.0 if m == polar.MEASUREMENT_ACC else POLAR_GYRO_FACTOR
                params = polar.encode_settings(polar.PmdSettings(factors=(factor,)))
                self._respond(command.opcode, m, 0, params)
        elif command.opcode == polar.OP_STOP:
            status = 0 if m in self.running else 6
            self.running.discard(m)
            self._respond(command.opcode, m, status)
        else:
            self._respond(command.opcode, m, 1)

    def data_uuids(self) -> tuple[str, ...]:
        return (polar.PMD_DATA_UUID,)

    def streaming(self) -> bool:
        return bool(self.running) and self.chars[polar.PMD_DATA_UUID].notifying

    def emit(self, first: int, count: int) -> None:
        assert self.send is not None
        acc, gyro, _force = self.signal.take(first, count)
        for start in range(0, count, self.batch_samples):
            n = min(self.batch_samples, count - start)
            last = first + start + n - 1
            ts = POLAR_EPOCH_NS + round(last * self.period_ns)
            # Both streams are sampled together; ACC goes first, as the Verity sends them.
            if polar.MEASUREMENT_ACC in self.running:
                frame = polar.encode_acc_frame(acc[start : start + n], ts)
                self.send(self.chars[polar.PMD_DATA_UUID], frame, first + start, n)
            if polar.MEASUREMENT_GYRO in self.running:
                frame = polar.encode_gyro_frame(
                    gyro[start : start + n], ts, factor=POLAR_GYRO_FACTOR
                )
                self.send(self.chars[polar.PMD_DATA_UUID], frame, first + start, n)

    def link_lost(self) -> None:
        self.running.clear()


class ThingyServed(ServedProfile):
    name = "thingy52"
    advertised = (thingy52.MOTION_SERVICE_UUID,)

    def services(self) -> dict[str, list[CharSpec]]:
        config = thingy52.encode_motion_config(
            thingy52.MotionConfig(motion_freq_hz=round(self.rate_hz))
        )
        return {
            thingy52.MOTION_SERVICE_UUID: [
                CharSpec(thingy52.MOTION_CONFIG_UUID, ["read", "write"], config),
                CharSpec(thingy52.RAW_DATA_UUID, ["notify"]),
            ],
            thingy52.UI_SERVICE_UUID: [CharSpec(thingy52.LED_UUID, ["read", "write"])],
        }

    def feedback_uuids(self) -> tuple[str, ...]:
        return (thingy52.LED_UUID,)

    def data_uuids(self) -> tuple[str, ...]:
        return (thingy52.RAW_DATA_UUID,)

    def on_write(self, uuid: str, value: bytes) -> None:
        if uuid == thingy52.MOTION_CONFIG_UUID:
            # This sensor has one rate: read-back shows it whatever was asked.
            config = thingy52.encode_motion_config(
                thingy52.MotionConfig(motion_freq_hz=round(self.rate_hz))
            )
            self.chars[uuid].set_value(config)
            return
        super().on_write(uuid, value)

    def streaming(self) -> bool:
        return self.chars[thingy52.RAW_DATA_UUID].notifying

    def emit(self, first: int, count: int) -> None:
        assert self.send is not None
        acc, gyro, _force = self.signal.take(first, count)
        for i in range(count):
            payload = thingy52.encode_raw(acc[i] / 1000.0, gyro[i])
            self.send(self.chars[thingy52.RAW_DATA_UUID], payload, first + i, 1)


class MicrobitServed(ServedProfile):
    name = "microbit"
    advertised = (microbit.ACCELEROMETER_SERVICE_UUID,)

    def services(self) -> dict[str, list[CharSpec]]:
        period = microbit.encode_period(microbit.period_for_rate(self.rate_hz))
        return {
            microbit.ACCELEROMETER_SERVICE_UUID: [
                CharSpec(microbit.ACCELEROMETER_DATA_UUID, ["read", "notify"]),
                CharSpec(microbit.ACCELEROMETER_PERIOD_UUID, ["read", "write"], period),
            ],
            microbit.LED_SERVICE_UUID: [
                CharSpec(microbit.LED_MATRIX_UUID, ["read", "write"], microbit.MATRIX_CLEAR),
                CharSpec(microbit.LED_TEXT_UUID, ["write"]),
            ],
        }

    def feedback_uuids(self) -> tuple[str, ...]:
        return (microbit.LED_MATRIX_UUID, microbit.LED_TEXT_UUID)

    def data_uuids(self) -> tuple[str, ...]:
        return (microbit.ACCELEROMETER_DATA_UUID,)

    def on_write(self, uuid: str, value: bytes) -> None:
        if uuid == microbit.ACCELEROMETER_PERIOD_UUID:
            period = microbit.encode_period(microbit.period_for_rate(self.rate_hz))
            self.chars[uuid].set_value(period)
            return
        super().on_write(uuid, value)

    def streaming(self) -> bool:
        return self.chars[microbit.ACCELEROMETER_DATA_UUID].notifying

    def emit(self, first: int, count: int) -> None:
        assert self.send is not None
        acc, _gyro, _force = self.signal.take(first, count)
        for i in range(count):
            payload = microbit.encode_acc(acc[i])
            self.send(self.chars[microbit.ACCELEROMETER_DATA_UUID], payload, first + i, 1)


def served_profile(name: str, signal: SensorSignal, rate_hz: float) -> ServedProfile:
    """The served form of a profile; :class:`ValueError` for the ones not simulated."""
    kinds: dict[str, type[ServedProfile]] = {
        "massage-coach": OpenServed,
        "polar-pmd": PolarServed,
        "thingy52": ThingyServed,
        "microbit": MicrobitServed,
    }
    kind = kinds.get(name)
    if kind is None:
        raise ValueError(f"the simulated peripheral serves {', '.join(kinds)}, not {name!r}")
    return kind(signal, rate_hz)


class SimulatedPeripheral:
    """The peripheral process's state: bus objects, the stream clock and the sent-log.

    Parameters
    ----------
    profile:
        What to serve (:func:`served_profile`).
    name:
        Advertised local name.
    adapter:
        BlueZ adapter to serve on (``"hci1"``).
    log:
        Where to append the JSON-lines log of notifications and events, or ``None``.
    """

    def __init__(
        self,
        profile: ServedProfile,
        *,
        name: str,
        adapter: str = "hci1",
        log: IO[str] | None = None,
        corrupt_every: int = 0,
    ) -> None:
        self.profile = profile
        self.corrupt_every = corrupt_every
        self._data_notifications = 0
        self.name = name
        self.adapter_path = f"/org/bluez/{adapter}"
        self._log = log
        self.bus: MessageBus | None = None
        self.generation = 0
        self.app_path = ""
        self.address = ""
        self.next_index = 0
        self.sent_samples = 0
        self.sent_packets = 0
        self._t0 = 0.0
        self._resetting: asyncio.Task[None] | None = None
        self._exported: list[str] = []
        self._stopped = asyncio.Event()
        profile.send = self._send
        profile.log_event = self._log_event

    # -- log -----------------------------------------------------------------------------------

    def _write(self, record: dict[str, Any]) -> None:
        if self._log is not None:
            self._log.write(json.dumps(record) + "\n")
            self._log.flush()

    def _log_event(self, **fields: Any) -> None:
        self._write({"t": time.monotonic(), **fields})

    def _bind_notify(self, uuid: str) -> Callable[[bool], None]:
        def on_notify(on: bool) -> None:
            self._log_event(event="subscribe" if on else "unsubscribe", uuid=uuid)

        return on_notify

    def _send(self, char: GattCharacteristic, payload: bytes, first: int, n: int) -> None:
        if char.char_uuid in self.profile.data_uuids():
            self._data_notifications += 1
            if self.corrupt_every and self._data_notifications % self.corrupt_every == 0:
                # A packet the profile's decoder must reject (tests of count-and-skip).
                payload = corrupt(payload)
                self._write(
                    {
                        "t": time.monotonic(),
                        "event": "corrupted",
                        "uuid": char.char_uuid,
                        "hex": payload.hex(),
                        "first": first,
                        "n": n,
                    }
                )
                char.notify(payload)
                return
        char.notify(payload)
        self.sent_packets += 1
        self.sent_samples += n
        self._write(
            {
                "t": time.monotonic(),
                "uuid": char.char_uuid,
                "hex": payload.hex(),
                "first": first,
                "n": n,
            }
        )

    # -- D-Bus ---------------------------------------------------------------------------------

    async def _call(
        self,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
    ) -> Any:
        assert self.bus is not None
        reply = await self.bus.call(
            Message(
                destination="org.bluez",
                path=path,
                interface=interface,
                member=member,
                signature=signature,
                body=body or [],
            )
        )
        if reply is None or reply.message_type == MessageType.ERROR:
            detail = None if reply is None else (reply.error_name, reply.body)
            raise RuntimeError(f"{interface}.{member} on {path} failed: {detail}")
        return reply.body

    async def start(self) -> None:
        """Connect to the system bus, register the GATT application and the advertisement."""
        self.bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
        props = await self._call(
            self.adapter_path,
            "org.freedesktop.DBus.Properties",
            "Get",
            "ss",
            ["org.bluez.Adapter1", "Address"],
        )
        self.address = str(props[0].value)
        await self._register_application()
        advertisement = LEAdvertisement(self.name, list(self.profile.advertised))
        self.bus.export("/massage_coach/advertisement0", advertisement)
        await self._call(
            self.adapter_path,
            "org.bluez.LEAdvertisingManager1",
            "RegisterAdvertisement",
            "oa{sv}",
            ["/massage_coach/advertisement0", {}],
        )
        # Watch the peripheral-side device objects for the end of a connection.
        await self.bus.call(
            Message(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member="AddMatch",
                signature="s",
                body=[
                    "type='signal',interface='org.freedesktop.DBus.Properties',"
                    f"member='PropertiesChanged',path_namespace='{self.adapter_path}'"
                ],
            )
        )
        self.bus.add_message_handler(self._on_message)
        self._t0 = time.monotonic()
        self._log_event(event="advertising", name=self.name, address=self.address)

    async def _register_application(self) -> None:
        assert self.bus is not None
        self.generation += 1
        self.app_path = f"/massage_coach/app{self.generation}"
        self.profile.chars = {}
        for i, (service_uuid, chars) in enumerate(self.profile.services().items()):
            service_path = f"{self.app_path}/service{i}"
            self.bus.export(service_path, GattService(service_uuid))
            self._exported.append(service_path)
            for j, spec in enumerate(chars):
                char = GattCharacteristic(
                    spec.uuid,
                    service_path,
                    spec.flags,
                    value=spec.value,
                    on_write=_bind_write(self.profile, spec.uuid),
                    on_notify=self._bind_notify(spec.uuid),
                )
                self.bus.export(f"{service_path}/char{j}", char)
                self._exported.append(f"{service_path}/char{j}")
                self.profile.chars[spec.uuid] = char
        await self._call(
            self.adapter_path,
            "org.bluez.GattManager1",
            "RegisterApplication",
            "oa{sv}",
            [self.app_path, {}],
        )

    async def _unregister_application(self) -> None:
        assert self.bus is not None
        old = self.app_path
        try:
            await self._call(
                self.adapter_path, "org.bluez.GattManager1", "UnregisterApplication", "o", [old]
            )
        except RuntimeError as exc:
            logger.info("%s", exc)
        for path in self._exported:
            self.bus.unexport(path)
        self._exported = []

    def _on_message(self, message: Message) -> bool:
        if (
            message.message_type == MessageType.SIGNAL
            and message.member == "PropertiesChanged"
            and message.path is not None
            and message.path.startswith(self.adapter_path + "/dev_")
            and message.body
            and message.body[0] == "org.bluez.Device1"
        ):
            changed = message.body[1]
            if "Connected" in changed:
                connected = bool(changed["Connected"].value)
                self._log_event(
                    event="connected" if connected else "disconnected", path=message.path
                )
                if not connected and (self._resetting is None or self._resetting.done()):
                    self._resetting = asyncio.get_running_loop().create_task(self._reset_link())
        return False

    async def _central_devices(self) -> list[str]:
        """Object paths of the device objects other adapters hold for this peripheral."""
        assert self.bus is not None
        paths = []
        for path, interfaces in (await managed_objects(self.bus)).items():
            device = interfaces.get("org.bluez.Device1")
            if (
                device is not None
                and device["Address"].value == self.address
                and device["Adapter"].value != self.adapter_path
            ):
                paths.append(path)
        return paths

    async def _own_devices(self) -> list[str]:
        """Object paths of the centrals this peripheral's adapter has seen."""
        assert self.bus is not None
        return [
            path
            for path, interfaces in (await managed_objects(self.bus)).items()
            if "org.bluez.Device1" in interfaces
            and interfaces["org.bluez.Device1"]["Adapter"].value == self.adapter_path
        ]

    async def _reset_link(self) -> None:
        """After a disconnect: fresh GATT objects, and make the central forget the old ones
        (the BlueZoo quirk in the module docstring)."""
        try:
            await self._refresh()
        except (OSError, RuntimeError, EOFError) as exc:  # the bus went away: shutting down
            logger.info("could not refresh the GATT application: %s", exc)

    async def _refresh(self) -> None:
        self.profile.link_lost()
        await self._unregister_application()
        # BlueZoo exports a central's device object once and later only updates it, so it
        # would never show the next connection's end: forget it too.
        for path in [*await self._central_devices(), *await self._own_devices()]:
            adapter = path.rsplit("/", 1)[0]
            try:
                await self._call(adapter, "org.bluez.Adapter1", "RemoveDevice", "o", [path])
            except RuntimeError as exc:
                logger.info("%s", exc)
        await self._register_application()
        self._log_event(event="ready", generation=self.generation)

    async def inject_disconnect(self) -> None:
        """Drop every connection to this peripheral (a link loss), from the central's side."""
        self._log_event(event="disconnect-injected")
        for path in await self._central_devices():
            await self._call(path, "org.bluez.Device1", "Disconnect")

    # -- streaming -----------------------------------------------------------------------------

    async def run(
        self, *, duration_s: float | None = None, disconnect_at_s: float | None = None
    ) -> None:
        """Sample at the profile's rate until ``duration_s`` (or :meth:`stop`); optionally
        inject a disconnect ``disconnect_at_s`` seconds after the first notification."""
        rate = self.profile.rate_hz
        start = time.monotonic()
        first_sent_at: float | None = None
        injected = False
        pending_since: float | None = None
        while not self._stopped.is_set():
            now = time.monotonic()
            if duration_s is not None and now - start >= duration_s:
                break
            due = math.floor((now - self._t0) * rate) + 1
            if due > self.next_index:
                if not self.profile.streaming():
                    # Nobody listens: the sensor samples anyway; these samples are lost.
                    self.next_index = due
                    pending_since = None
                else:
                    pending_since = pending_since or now
                    count = due - self.next_index
                    full = count >= self.profile.batch_samples
                    if full or now - pending_since >= MAX_HOLD_S:
                        send = count - count % self.profile.batch_samples if full else count
                        self.profile.emit(self.next_index, send)
                        self.next_index += send
                        pending_since = None if self.next_index >= due else now
                        first_sent_at = first_sent_at or now
            if (
                disconnect_at_s is not None
                and not injected
                and first_sent_at is not None
                and now - first_sent_at >= disconnect_at_s
            ):
                injected = True
                await self.inject_disconnect()
            await asyncio.sleep(TICK_S)

    def stop(self) -> None:
        self._stopped.set()

    async def close(self) -> None:
        if self.bus is not None:
            self.bus.disconnect()
            self.bus = None


def _bind_write(profile: ServedProfile, uuid: str) -> Callable[[bytes], None]:
    def on_write(value: bytes) -> None:
        profile.on_write(uuid, value)

    return on_write


def corrupt(payload: bytes) -> bytes:
    """``payload`` cut short by one byte (or a single 0xFF byte if it was one byte long)."""
    return payload[:-1] if len(payload) > 1 else b"\xff"


def read_log(path: Path) -> list[dict[str, Any]]:
    """The records of a peripheral log (a cut-off last line is ignored)."""
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def expected_counts(records: list[dict[str, Any]]) -> tuple[int, int]:
    """(notifications, samples) the log says were sent."""
    sent = [r for r in records if "hex" in r and "n" in r]
    return len(sent), int(np.sum([r["n"] for r in sent])) if sent else 0
