"""The one BlueZ D-Bus call the project makes itself (bleak makes all the others)."""

from __future__ import annotations

from typing import Any

from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus


async def managed_objects(bus: MessageBus) -> dict[str, dict[str, dict[str, Any]]]:
    """BlueZ's object tree (``org.freedesktop.DBus.ObjectManager.GetManagedObjects`` on
    ``org.bluez``): path → interface → property → ``Variant``; empty when BlueZ does not
    answer."""
    reply = await bus.call(
        Message(
            destination="org.bluez",
            path="/",
            interface="org.freedesktop.DBus.ObjectManager",
            member="GetManagedObjects",
        )
    )
    if reply is None or reply.message_type != MessageType.METHOD_RETURN:
        return {}
    objects: dict[str, dict[str, dict[str, Any]]] = reply.body[0]
    return objects
