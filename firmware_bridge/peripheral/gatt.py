"""BlueZ GATT server objects (``org.bluez.GattService1``, ``GattCharacteristic1``,
``LEAdvertisement1``) exported over D-Bus with dbus-fast.

These are what a peripheral application hands to BlueZ (or to BlueZoo, the user-space BlueZ the
tests run) through ``GattManager1.RegisterApplication`` and
``LEAdvertisingManager1.RegisterAdvertisement``. The application root needs
``org.freedesktop.DBus.ObjectManager.GetManagedObjects``: dbus-fast answers it for every exported
path, so the root needs no object of its own.
"""

# No ``from __future__ import annotations``: dbus-fast reads the D-Bus signatures from the
# annotations, and the string "None" would not parse as "no return value".
from collections.abc import Callable
from typing import Annotated, Any

from dbus_fast.annotations import (
    DBusBool,
    DBusBytes,
    DBusObjectPath,
    DBusSignature,
    DBusStr,
)
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_method, dbus_property

OptionsDict = Annotated[dict[str, Any], DBusSignature("a{sv}")]
StrList = Annotated[list[str], DBusSignature("as")]

WriteHandler = Callable[[bytes], None]
"""Called with the bytes a client wrote to a characteristic."""

NotifyHandler = Callable[[bool], None]
"""Called with ``True`` when a client starts notifications, ``False`` when it stops."""


class GattService(ServiceInterface):
    """A primary GATT service (``org.bluez.GattService1``)."""

    def __init__(self, uuid: str) -> None:
        super().__init__("org.bluez.GattService1")
        self._uuid = uuid

    @dbus_property(access=PropertyAccess.READ, name="UUID")
    def uuid(self) -> DBusStr:
        return self._uuid

    @dbus_property(access=PropertyAccess.READ, name="Primary")
    def primary(self) -> DBusBool:
        return True


class GattCharacteristic(ServiceInterface):
    """A GATT characteristic (``org.bluez.GattCharacteristic1``).

    A notification is a change of the ``Value`` property (``PropertiesChanged``), which BlueZ
    turns into an ATT notification. BlueZoo calls ``Confirm`` after each one; the number of
    confirmations is kept in :attr:`confirmed` (a test can wait for the client to have got
    everything).
    """

    def __init__(
        self,
        uuid: str,
        service_path: str,
        flags: list[str],
        *,
        value: bytes = b"",
        on_write: WriteHandler | None = None,
        on_notify: NotifyHandler | None = None,
    ) -> None:
        super().__init__("org.bluez.GattCharacteristic1")
        self._uuid = uuid
        self.char_uuid = uuid
        self._service_path = service_path
        self._flags = list(flags)
        self._value = value
        self._on_write = on_write
        self._on_notify = on_notify
        self.notifying = False
        self.confirmed = 0

    def set_value(self, value: bytes) -> None:
        """Change the value silently (what a later ``ReadValue`` returns)."""
        self._value = bytes(value)

    def notify(self, value: bytes) -> None:
        """Send ``value`` as a notification to subscribed clients."""
        self._value = bytes(value)
        self.emit_properties_changed({"Value": self._value})

    @dbus_method(name="ReadValue")
    def read_value(self, options: OptionsDict) -> DBusBytes:
        del options
        return self._value

    @dbus_method(name="WriteValue")
    def write_value(self, value: DBusBytes, options: OptionsDict) -> None:
        del options
        self._value = bytes(value)
        if self._on_write is not None:
            self._on_write(bytes(value))

    @dbus_method(name="StartNotify")
    def start_notify(self) -> None:
        self.notifying = True
        if self._on_notify is not None:
            self._on_notify(True)

    @dbus_method(name="StopNotify")
    def stop_notify(self) -> None:
        self.notifying = False
        if self._on_notify is not None:
            self._on_notify(False)

    @dbus_method(name="Confirm")
    def confirm(self) -> None:
        self.confirmed += 1

    @dbus_property(access=PropertyAccess.READ, name="UUID")
    def uuid(self) -> DBusStr:
        return self._uuid

    @dbus_property(access=PropertyAccess.READ, name="Service")
    def service(self) -> DBusObjectPath:
        return self._service_path

    @dbus_property(access=PropertyAccess.READ, name="Flags")
    def flags(self) -> StrList:
        return self._flags

    @dbus_property(access=PropertyAccess.READ, name="Value")
    def value(self) -> DBusBytes:
        return self._value

    @dbus_property(access=PropertyAccess.READ, name="Notifying")
    def notifying_property(self) -> DBusBool:
        return self.notifying


class LEAdvertisement(ServiceInterface):
    """A connectable, discoverable LE advertisement (``org.bluez.LEAdvertisement1``)."""

    def __init__(self, local_name: str, service_uuids: list[str]) -> None:
        super().__init__("org.bluez.LEAdvertisement1")
        self._local_name = local_name
        self._service_uuids = list(service_uuids)
        self.released = False

    @dbus_method(name="Release")
    def release(self) -> None:
        self.released = True

    @dbus_property(access=PropertyAccess.READ, name="Type")
    def type_(self) -> DBusStr:
        return "peripheral"

    @dbus_property(access=PropertyAccess.READ, name="ServiceUUIDs")
    def service_uuids(self) -> StrList:
        return self._service_uuids

    @dbus_property(access=PropertyAccess.READ, name="LocalName")
    def local_name(self) -> DBusStr:
        return self._local_name

    @dbus_property(access=PropertyAccess.READ, name="Discoverable")
    def discoverable(self) -> DBusBool:
        return True
