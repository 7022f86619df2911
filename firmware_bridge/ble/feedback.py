"""Coaching feedback on the sensor itself, for devices that can show it (switched on by a flag).

* BBC micro:bit: the LED matrix shows an up arrow while "Switch to upward strokes" is due, and
  otherwise the direction of the last stroke (up/down arrow, blank for cross/circular);
* Nordic Thingy:52: the LED is green while the user does what the technique asks, red while a
  corrective cue shows;
* the project's open profile: the cue's code on the feedback characteristic (the reference
  firmware drives an LED or a vibration motor with it).

The bytes come from the profiles' pure encoders; this module only writes them, once per change
of what is shown (a BLE write per sample would starve the data stream), from a task of its own
with at most one write in flight, so the samples never wait for a write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Final

from analysis.events import CUE_SWITCH_UP
from firmware_bridge.ble.drivers import characteristic
from firmware_bridge.ble.source import BleSampleSource
from firmware_bridge.profiles import microbit, open_profile, thingy52

logger = logging.getLogger(__name__)

FEEDBACK_PROFILES: Final = ("microbit", "thingy52", "massage-coach")

RETRY_AFTER_FAILURE_S: Final = 1.0
"""After a failed write, wait this long (wall time) before writing the same thing again: a link
that is going down must not be hammered at every UI tick."""

CLOSE_TIMEOUT_S: Final = 1.0
"""How long :meth:`DeviceFeedback.aclose` lets a write in flight finish."""


def feedback_bytes(
    profile: str, cue: str | None, direction: str | None
) -> tuple[str, bytes] | None:
    """(characteristic UUID, bytes) showing ``cue`` (or, on a micro:bit without a cue, the last
    stroke's ``direction``); ``None`` for profiles without a display."""
    if profile == "microbit":
        # A 5×5 matrix shows arrows only: the cue that has a direction wins, any other cue
        # leaves the last stroke's arrow showing.
        shown = (
            microbit.matrix_for_cue(cue)
            if cue == CUE_SWITCH_UP
            else microbit.matrix_arrow(direction)
        )
        return microbit.LED_MATRIX_UUID, shown
    if profile == "thingy52":
        return thingy52.LED_UUID, thingy52.led_for_cue(cue)
    if profile == "massage-coach" and cue in open_profile.FEEDBACK_CODES:
        # A cue without a code (a user's own) leaves the device as it is.
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
        self._wanted: tuple[str | None, str | None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._failed_at_s: float | None = None
        self._closed = False
        self.writes = 0

    def _changes(self, cue: str | None, direction: str | None) -> bool:
        wanted = feedback_bytes(self.source.info.profile, cue, direction)
        return wanted is not None and wanted != self._shown

    def post(self, cue: str | None, direction: str | None) -> None:
        """Ask for ``cue`` and ``direction`` to be shown, without waiting (call it from the
        event loop, as often as you like).

        Nothing is written when the device already shows them; otherwise one task writes
        them. While a write is in flight, newer requests only replace what it writes next, so
        at most one write is ever in flight and the newest request is the one shown.
        """
        if self._closed:
            return
        self._wanted = (cue, direction)
        if self._task is not None and not self._task.done():
            return
        if not self._changes(cue, direction) or self.source.client is None:
            return
        if (
            self._failed_at_s is not None
            and time.monotonic() - self._failed_at_s < RETRY_AFTER_FAILURE_S
        ):
            return
        self._task = asyncio.get_running_loop().create_task(self._write_wanted())

    async def _write_wanted(self) -> None:
        try:
            while (wanted := self._wanted) is not None:
                await self.show(*wanted)
                if self._failed_at_s is not None or self._wanted == wanted:
                    return  # shown, or failed: a later post tries again after the pause
        except Exception:  # a fire-and-forget task must not fail unseen, nor stop the session
            logger.exception("feedback to %s failed", self.source.info.name)

    async def aclose(self) -> None:
        """Wait (at most :data:`CLOSE_TIMEOUT_S`) for a write in flight, before the source
        disconnects; no write is started afterwards."""
        self._closed = True
        task, self._task = self._task, None
        self._wanted = None
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), CLOSE_TIMEOUT_S)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

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
            self._failed_at_s = time.monotonic()
            return False
        self._failed_at_s = None
        self._shown = wanted
        self.writes += 1
        return True


def feedback_for(source: object) -> DeviceFeedback | None:
    """A :class:`DeviceFeedback` when ``source`` is a BLE sensor that can show feedback."""
    if isinstance(source, BleSampleSource) and source.info.profile in FEEDBACK_PROFILES:
        return DeviceFeedback(source)
    return None
