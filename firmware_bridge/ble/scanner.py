"""Finding supported sensors: a bleak scan, each device's profile told from its advertised
service UUIDs.

Two details matter on Linux:

* The detection callback is given to :class:`bleak.BleakScanner` before the scan starts. A device
  that BlueZ reports once, right when discovery starts (a slow advertiser, or BlueZoo in the
  tests), is otherwise missed by ``BleakScanner.find_device_by_*``, which subscribes only after
  starting.
* BlueZ reports a device it already knows only when something about it changes. While
  discovering, BlueZ keeps an ``RSSI`` on the devices it currently hears, so known devices that
  carry one are counted as seen too (read through ``org.freedesktop.DBus.ObjectManager``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from firmware_bridge.ble.errors import SourceUnavailableError
from firmware_bridge.profiles import profile_for_services

logger = logging.getLogger(__name__)

DEFAULT_SCAN_S: Final = 5.0


@dataclass(frozen=True)
class FoundDevice:
    """One sensor heard while scanning.

    Attributes
    ----------
    name:
        Advertised local name (or BlueZ's alias), ``None`` when it has none.
    address:
        Bluetooth address (a UUID on macOS).
    profile:
        Profile detected from the advertised services, ``None`` for unsupported devices.
    rssi_dbm:
        Signal strength in dBm, ``None`` when unknown.
    service_uuids:
        The advertised service UUIDs (lower case).
    """

    name: str | None
    address: str
    profile: str | None
    rssi_dbm: int | None
    service_uuids: tuple[str, ...] = ()
    ble_device: BLEDevice | None = field(default=None, compare=False, repr=False)

    def matches(self, target: str) -> bool:
        """``target`` is this device's address (any case) or its exact name."""
        return target.lower() == self.address.lower() or target == self.name


def _found(device: BLEDevice, adv: AdvertisementData) -> FoundDevice:
    uuids = tuple(u.lower() for u in adv.service_uuids)
    return FoundDevice(
        name=adv.local_name or device.name,
        address=device.address,
        profile=profile_for_services(uuids),
        rssi_dbm=adv.rssi,
        service_uuids=uuids,
        ble_device=device,
    )


def _bluez_args(adapter: str | None) -> dict[str, Any]:
    return {"bluez": {"adapter": adapter}} if adapter else {}


async def _known_devices(adapter: str | None) -> list[FoundDevice]:
    """Devices BlueZ already knows and currently hears (``RSSI`` present); Linux only."""
    if not sys.platform.startswith("linux"):
        return []
    from dbus_fast import BusType
    from dbus_fast.aio import MessageBus

    from firmware_bridge.ble.bluez import managed_objects

    adapter_path = f"/org/bluez/{adapter or 'hci0'}"
    bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
    try:
        objects = await managed_objects(bus)
    finally:
        bus.disconnect()
    out = []
    for path, interfaces in objects.items():
        props = interfaces.get("org.bluez.Device1")
        if props is None:
            continue
        values = {k: v.value for k, v in props.items()}
        if values.get("Adapter") != adapter_path or "RSSI" not in values:
            continue
        uuids = tuple(str(u).lower() for u in values.get("UUIDs", []))
        name = values.get("Name") or values.get("Alias")
        out.append(
            FoundDevice(
                name=name,
                address=values["Address"],
                profile=profile_for_services(uuids),
                rssi_dbm=int(values["RSSI"]),
                service_uuids=uuids,
                ble_device=BLEDevice(values["Address"], name, {"path": path, "props": values}),
            )
        )
    return out


async def _scan(
    timeout_s: float, adapter: str | None, stop_when: Callable[[FoundDevice], bool] | None
) -> dict[str, FoundDevice]:
    found: dict[str, FoundDevice] = {}
    done = asyncio.Event()

    def add(device: FoundDevice) -> None:
        found[device.address] = device
        if stop_when is not None and stop_when(device):
            done.set()

    def on_advertisement(device: BLEDevice, adv: AdvertisementData) -> None:
        add(_found(device, adv))

    scanner = BleakScanner(detection_callback=on_advertisement, **_bluez_args(adapter))
    try:
        await scanner.start()
    except (BleakError, OSError, EOFError) as exc:
        raise SourceUnavailableError(
            f"cannot scan for BLE devices: {exc or type(exc).__name__}"
        ) from None
    try:
        try:
            for device in await _known_devices(adapter):
                if device.address not in found:
                    add(device)
        except Exception as exc:  # the listing is a shortcut; the scan still runs
            logger.debug("could not list known BlueZ devices: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout_s)
    finally:
        with contextlib.suppress(BleakError, OSError, EOFError):
            await scanner.stop()
    return found


async def scan(
    timeout_s: float = DEFAULT_SCAN_S, *, adapter: str | None = None, supported_only: bool = True
) -> list[FoundDevice]:
    """Scan for ``timeout_s`` seconds; supported sensors (or all devices) by falling RSSI."""
    found = await _scan(timeout_s, adapter, None)
    devices = [d for d in found.values() if d.profile is not None or not supported_only]
    return sorted(
        devices, key=lambda d: (-(d.rssi_dbm if d.rssi_dbm is not None else -999), d.address)
    )


async def find_device(
    target: str, *, timeout_s: float = 10.0, adapter: str | None = None
) -> FoundDevice | None:
    """The device whose address or name is ``target``, or ``None`` if not heard in time."""
    found = await _scan(timeout_s, adapter, lambda d: d.matches(target))
    for device in found.values():
        if device.matches(target):
            return device
    return None
