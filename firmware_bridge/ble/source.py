"""A BLE sensor as a :class:`~firmware_bridge.source.SampleSource`, on bleak.

Life of a session:

1. **find** the device by name or address (:func:`~firmware_bridge.ble.scanner.find_device`)
   and tell its profile from the advertised services (or take ``profile``);
2. **connect** with ``bleak_retry_connector.establish_connection`` (it retries the transient
   BlueZ failures a first connection often meets), **configure** and **subscribe** through the
   profile's driver (:mod:`firmware_bridge.ble.drivers`);
3. every notification is decoded on the event loop as it arrives; a packet the profile's decoder
   rejects is counted in ``stats.corrupt_packets`` and skipped; good samples are put on the
   session clock by :class:`~firmware_bridge.ble.timeline.SessionTimeline` (device timestamps
   with drift correction; counters or timestamps reveal lost samples, recorded in
   ``stats.gaps`` before the batch after the gap is handed out);
4. on an unrequested **disconnect** the session goes on: the source reconnects with exponential
   backoff (0.1 s doubling to 2 s; the device is looked for again each time), re-configures and
   re-subscribes; the samples lost meanwhile become a gap;
5. :meth:`BleSampleSource.close` (also run when the consumer stops iterating, on Ctrl-C and when
   the UI fails) stops the stream, unsubscribes and disconnects, each step bounded in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, Final

from bleak import BleakClient
from bleak_retry_connector import establish_connection

from analysis.samples import SampleBatch
from firmware_bridge.ble.drivers import ProfileDriver, make_driver
from firmware_bridge.ble.errors import SourceUnavailableError
from firmware_bridge.ble.feed import BatchFeed
from firmware_bridge.ble.scanner import FoundDevice, find_device
from firmware_bridge.ble.timeline import SessionTimeline
from firmware_bridge.profiles.base import DecodeError
from firmware_bridge.source import SourceInfo, SourceStats

logger = logging.getLogger(__name__)

BACKOFF_FIRST_S: Final = 0.1
BACKOFF_MAX_S: Final = 2.0
RECONNECT_GIVE_UP_S: Final = 120.0
"""After this long without a connection the session ends with an error."""
RESCAN_S: Final = 3.0
STALL_S: Final = 2.0
"""A connected link that delivers nothing for this long (and 20 sample periods) is dropped and
reconnected: BLE links can stall silently (a lost subscription, a half-dead connection)."""
"""How long each reconnect attempt listens for the device."""
CLOSE_STEP_S: Final = 3.0
"""Upper bound of each step of :meth:`BleSampleSource.close`."""


class BleSampleSource:
    """Samples from a BLE sensor (see the module docstring).

    Parameters
    ----------
    found:
        The device as heard by the scanner (its profile, address and name).
    profile:
        Profile name overriding the detected one.
    adapter:
        BlueZ adapter (``"hci0"``); ``None`` for the default.
    sample_rate_hz:
        Wanted rate; the driver snaps it to what the device offers.
    """

    def __init__(
        self,
        found: FoundDevice,
        *,
        profile: str | None = None,
        adapter: str | None = None,
        sample_rate_hz: float | None = None,
        has_gyro: bool | None = None,
        has_force: bool | None = None,
        probed: bool = False,
    ) -> None:
        name = profile or found.profile
        if name is None:
            raise SourceUnavailableError(
                f"{found.name or found.address} advertises no supported service; "
                "name its profile with --profile"
            )
        self.driver: ProfileDriver = make_driver(
            name, sample_rate_hz=sample_rate_hz, has_gyro=has_gyro, has_force=has_force
        )
        self._found = found
        self._adapter = adapter
        # A probe connected from another event loop; BlueZ may have changed the device since.
        self._rescan_first = probed
        self._info = SourceInfo(
            name=found.name or found.address,
            profile=name,
            sample_rate_hz=self.driver.sample_rate_hz,
            has_gyro=self.driver.has_gyro,
            has_force=self.driver.has_force,
            address=found.address,
        )
        self._feed = BatchFeed(self.driver.sample_rate_hz)
        self._stats = self._feed.stats
        self._timeline = self._feed.timeline
        self._client: BleakClient | None = None
        self._connect_lock = asyncio.Lock()
        self._reconnect_task: asyncio.Task[None] | None = None
        self._watchdog_task: asyncio.Task[None] | None = None
        self._last_payload_s = 0.0
        self._closing = False
        self._close_task: asyncio.Future[None] | None = None
        self.disconnected_at: float | None = None
        self.reconnected_at: float | None = None

    @classmethod
    async def open(
        cls,
        target: str,
        *,
        profile: str | None = None,
        adapter: str | None = None,
        sample_rate_hz: float | None = None,
        scan_timeout_s: float = 10.0,
    ) -> BleSampleSource:
        """Find ``target`` (name or address) and make its source (not yet connected)."""
        found = await find_device(target, timeout_s=scan_timeout_s, adapter=adapter)
        if found is None:
            raise SourceUnavailableError(
                f"no BLE device {target!r} heard in {scan_timeout_s:g} s "
                "(is it on, in range and not connected to another app?)"
            )
        return cls(found, profile=profile, adapter=adapter, sample_rate_hz=sample_rate_hz)

    @classmethod
    async def probe(
        cls,
        target: str,
        *,
        profile: str | None = None,
        adapter: str | None = None,
        sample_rate_hz: float | None = None,
        scan_timeout_s: float = 10.0,
    ) -> BleSampleSource:
        """Find ``target``, connect once to learn what it offers (rate, gyroscope, force:
        :meth:`ProfileDriver.probe`), disconnect, and make its source. The source's ``info`` is
        then exact before anything streams; it connects again on ``batches()`` (on whichever
        event loop that runs)."""
        first = await cls.open(
            target,
            profile=profile,
            adapter=adapter,
            sample_rate_hz=sample_rate_hz,
            scan_timeout_s=scan_timeout_s,
        )
        driver = first.driver
        assert first._found.ble_device is not None
        try:
            client = await establish_connection(
                BleakClient,
                first._found.ble_device,
                first.info.name,
                max_attempts=3,
                use_services_cache=False,
                **first._bluez(),
            )
        except Exception as exc:
            raise SourceUnavailableError(f"cannot connect to {first.info.name}: {exc}") from None
        try:
            await asyncio.wait_for(driver.probe(client), CLOSE_STEP_S * 3)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), CLOSE_STEP_S)
        return cls(
            first._found,
            profile=driver.name,
            adapter=adapter,
            sample_rate_hz=driver.sample_rate_hz,
            has_gyro=driver.has_gyro,
            has_force=driver.has_force,
            probed=True,
        )

    @property
    def info(self) -> SourceInfo:
        return self._info

    @property
    def stats(self) -> SourceStats:
        return self._stats

    @property
    def timeline(self) -> SessionTimeline:
        """The session clock (its ``clock.skew`` is the device clock's estimated rate error)."""
        return self._timeline

    @property
    def client(self) -> BleakClient | None:
        """The live bleak client (``None`` while disconnected); feedback writes go through it."""
        return self._client

    async def connect(self) -> None:
        """Connect, configure and subscribe (once; later calls return at once)."""
        if self._client is not None or self._closing:
            return
        await self._connect_once(rescan=self._rescan_first)

    async def batches(self) -> AsyncIterator[SampleBatch]:
        try:
            await self.connect()
            async for batch in self._feed.items():
                yield batch
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop the stream, unsubscribe and disconnect (idempotent, each step bounded).

        Every caller returns only once the device is disconnected, also when a second caller
        (the consumer's generator being finalised) arrives while the first is still closing."""
        if self._close_task is None:
            self._closing = True
            self._close_task = asyncio.ensure_future(self._close())
        await asyncio.shield(self._close_task)

    async def _close(self) -> None:
        for task in (self._watchdog_task, self._reconnect_task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, CLOSE_STEP_S)
        client = self._client
        self._client = None
        if client is not None:
            if client.is_connected:
                try:
                    await asyncio.wait_for(self.driver.stop(client), CLOSE_STEP_S)
                except Exception as exc:  # a dying link must not keep the disconnect from running
                    logger.info("stopping %s: %s", self._info.name, exc)
            try:
                await asyncio.wait_for(client.disconnect(), CLOSE_STEP_S)
            except Exception as exc:
                logger.warning("disconnecting %s: %s", self._info.name, exc)
        self._stats.connected = False
        self._feed.end()

    # -- connection --------------------------------------------------------------------------

    def _bluez(self) -> dict[str, Any]:
        return {"bluez": {"adapter": self._adapter}} if self._adapter else {}

    async def _connect_once(self, *, rescan: bool) -> None:
        async with self._connect_lock:
            if self._closing:
                return
            found = self._found
            if rescan or found.ble_device is None:
                again = await find_device(found.address, timeout_s=RESCAN_S, adapter=self._adapter)
                if again is None:
                    raise SourceUnavailableError(f"{self._info.name} is not advertising")
                found = self._found = again
            assert found.ble_device is not None
            client = await establish_connection(
                BleakClient,
                found.ble_device,
                self._info.name,
                disconnected_callback=self._on_disconnect,
                max_attempts=3,
                use_services_cache=False,
                **self._bluez(),
            )
            try:
                await self.driver.start(client, self._on_payload)
            except BaseException:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.disconnect(), CLOSE_STEP_S)
                raise
            if self._closing:
                await client.disconnect()
                return
            self._client = client
            self._stats.connected = True
            self._stats.last_error = None
            self._last_payload_s = time.monotonic()
            if self._watchdog_task is None:
                self._watchdog_task = asyncio.get_running_loop().create_task(self._watch_stall())
            if self.driver.sample_rate_hz != self._info.sample_rate_hz:
                self._info = dataclasses.replace(
                    self._info, sample_rate_hz=self.driver.sample_rate_hz
                )
                self._timeline.nominal_rate_hz = self.driver.sample_rate_hz

    def _on_disconnect(self, client: BleakClient) -> None:
        if self._closing or client is not self._client:
            return
        logger.info("%s disconnected; reconnecting", self._info.name)
        self.disconnected_at = time.monotonic()
        self._client = None
        self._stats.connected = False
        self._timeline.mark_discontinuity()
        forget = getattr(self.driver, "forget_stream", None)
        if forget is not None:
            forget()
        self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay_s = BACKOFF_FIRST_S
        give_up = time.monotonic() + RECONNECT_GIVE_UP_S
        while not self._closing:
            # Wait before every attempt, the first too: the device (and BlueZ) need a moment to
            # settle after a link loss, and an immediate retry often meets the old link.
            await asyncio.sleep(delay_s)
            delay_s = min(2 * delay_s, BACKOFF_MAX_S)
            try:
                await self._connect_once(rescan=True)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._stats.last_error = f"reconnecting: {exc}"
                logger.info("reconnecting %s: %s", self._info.name, exc)
                if time.monotonic() > give_up:
                    self._feed.fail(
                        SourceUnavailableError(
                            f"lost {self._info.name} and could not reconnect: {exc}"
                        )
                    )
                    return
            else:
                self._stats.reconnects += 1
                self.reconnected_at = time.monotonic()
                return

    async def _watch_stall(self) -> None:
        """Drop a connection that has gone quiet, so the reconnect logic takes over."""
        quiet_s = max(STALL_S, 20.0 / self.driver.sample_rate_hz)
        while not self._closing:
            await asyncio.sleep(quiet_s / 4)
            client = self._client
            if client is None or time.monotonic() - self._last_payload_s < quiet_s:
                continue
            logger.info("%s sent nothing for %.1f s; reconnecting", self._info.name, quiet_s)
            self._stats.last_error = "the link went quiet"
            try:
                await asyncio.wait_for(client.disconnect(), CLOSE_STEP_S)
            except Exception as exc:
                logger.info("dropping the quiet link: %s", exc)
            if self._client is client:  # no disconnect callback came: reconnect anyway
                self._on_disconnect(client)

    # -- data --------------------------------------------------------------------------------

    def _on_payload(self, uuid: str, payload: bytes) -> None:
        host_time_s = time.monotonic()
        self._last_payload_s = host_time_s
        try:
            runs = self.driver.decode(uuid, payload)
        except DecodeError as exc:
            self._stats.corrupt_packets += 1
            logger.debug("skipped a corrupt %s packet: %s", self._info.profile, exc)
            return
        for run in runs:
            self._feed.deliver(run, host_time_s)
