"""Coaching feedback on the sensor itself, for devices that can show it (switched on by a flag).

* BBC micro:bit: the LED matrix shows an up arrow while "Switch to upward strokes" is due, and
  otherwise the direction of the last stroke (up/down arrow, blank for cross/circular);
* Nordic Thingy:52: the LED is green while the user does what the technique asks, red while a
  corrective cue shows;
* the project's open profile: the cue's code on the feedback characteristic (the reference
  firmware drives an LED or a vibration motor with it).

The bytes come from the profiles' pure encoders; this module only writes them, once per change
of what is shown (a BLE write per sample would starve the data stream).
"""

from __future__ import annotations

import logging
from typing import Final

from firmware_bridge.ble.drivers import characteristic
from firmware_bridge.ble.source import BleSampleSource
from firmware_bridge.profiles import microbit, open_profile, thingy52

logger = logging.getLogger(__name__)

FEEDBACK_PROFILES: Final = ("microbit", "thingy52", "massage-coach")


def feedback_bytes(
    profile: str, cue: str | None, direction: str | None
) -> tuple[str, bytes] | None:
    """(characteristic UUID, bytes) showing ``cue`` (or, on a micro:bit without a cue, the last
    stroke's ``direction``); ``None`` for profiles without a display."""
    if profile == "microbit":
        shown = (
            microbit.matrix_for_cue(cue) if cue is not None else microbit.matrix_arrow(direction)
        )
        return microbit.LED_MATRIX_UUID, shown
    if profile == "thingy52":
        return thingy52.LED_UUID, thingy52.led_for_cue(cue)
    if profile == "massage-coach":
        return open_profile.FEEDBACK_UUID, open_profile.encode_feedback(cue)
    return None


class DeviceFeedback:
    """Writes what the coach says to a connected BLE sensor.

    Parameters
    ----------
    source:
        The live BLE source (writes go through its current connection; while it reconnects,
        the next change is shown once it is back).
    """

    def __init__(self, source: BleSampleSource) -> None:
        self.source = source
        self._shown: tuple[str, bytes] | None = None
        self.writes = 0

    async def show(self, cue: str | None, direction: str | None = None) -> bool:
        """Show the cue now due (``None``: none) and the last stroke's direction; ``True`` when
        something was written."""
        wanted = feedback_bytes(self.source.info.profile, cue, direction)
        client = self.source.client
        if wanted is None or client is None or wanted == self._shown:
            return False
        uuid, data = wanted
        try:
            # Without response where the profile allows it: feedback must never stall the data.
            await client.write_gatt_char(
                characteristic(client, uuid), data, response=uuid != open_profile.FEEDBACK_UUID
            )
        except Exception as exc:  # a lost link: the source reconnects, feedback tries again later
            logger.info("feedback to %s failed: %s", self.source.info.name, exc)
            self._shown = None
            return False
        self._shown = wanted
        self.writes += 1
        return True


def feedback_for(source: object) -> DeviceFeedback | None:
    """A :class:`DeviceFeedback` when ``source`` is a BLE sensor that can show feedback."""
    if isinstance(source, BleSampleSource) and source.info.profile in FEEDBACK_PROFILES:
        return DeviceFeedback(source)
    return None
