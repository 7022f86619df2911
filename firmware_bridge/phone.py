"""A phone as the sensor, over the local network: SensorServer (WebSocket) and phyphox (HTTP).

SensorServer (Android, umer0586/SensorServer), ``ws://HOST:PORT``
    One WebSocket per sensor: ``/sensor/connect?type=android.sensor.accelerometer`` and
    ``…gyroscope``. Each message is ``{"accuracy": 2, "timestamp": <ns>, "values": [x, y, z]}``
    in m/s² (specific force, gravity included) and rad/s; ``timestamp`` is Android's sensor
    event time in ns (one clock for both sensors).

phyphox remote access (Android, iOS), ``phyphox://HOST:PORT``
    HTTP: ``/control?cmd=start`` starts the experiment; ``/get?accX=T|acc_time&accY=T|acc_time&
    accZ=T|acc_time&acc_time=T`` returns, per buffer, the values whose ``acc_time`` is greater
    than ``T`` (experiment seconds) — polled with ``T`` = the newest time already seen, so each
    sample arrives once. The response is ``{"buffer": {"accX": {"buffer": [...], ...}, ...},
    "status": {"measuring": true, ...}}``. Acceleration buffers ``accX/Y/Z`` and ``acc_time``
    come from the "Acceleration with g" experiment (m/s²); a gyroscope is read from
    ``gyrX/Y/Z`` and ``gyr_time`` (rad/s) when the experiment has them (a custom experiment with
    both sensors).

Both phones sample acc and gyro on separate schedules: each accelerometer sample gets the
gyroscope linearly interpolated at its time, once a gyroscope sample at or after it has arrived
(causal: nothing waits longer than one gyroscope period). Times go through the same
:class:`~firmware_bridge.ble.timeline.SessionTimeline` as BLE sensors (drift correction, gaps
from jumps in the phone's timestamps). A dropped connection is retried with backoff like a BLE
link.

``open_phone_source`` first probes the phone for a second (synchronously, before any session
loop runs) to learn which sensors it streams and at what rate, so the source's info is right
before a recording opens.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import numpy as np

from analysis.samples import SampleBatch
from firmware_bridge.ble.errors import SourceUnavailableError
from firmware_bridge.ble.feed import BatchFeed
from firmware_bridge.ble.timeline import SampleRun
from firmware_bridge.source import SourceInfo, SourceStats

logger = logging.getLogger(__name__)

ACCELEROMETER: Final = "android.sensor.accelerometer"
GYROSCOPE: Final = "android.sensor.gyroscope"
PROBE_S: Final = 1.0
POLL_S: Final = 0.05
"""phyphox polling interval (its own remote page polls every 0.1 s)."""
BACKOFF_FIRST_S: Final = 0.1
BACKOFF_MAX_S: Final = 2.0
GIVE_UP_S: Final = 60.0
PHYPHOX_ACC: Final = ("accX", "accY", "accZ", "acc_time")
PHYPHOX_GYRO: Final = ("gyrX", "gyrY", "gyrZ", "gyr_time")


class AccGyroPairer:
    """Joins separately timed acc and gyro samples: gyro interpolated at each acc time."""

    def __init__(self, has_gyro: bool) -> None:
        self.has_gyro = has_gyro
        self._acc: deque[tuple[float, tuple[float, float, float]]] = deque()
        self._gyro: deque[tuple[float, tuple[float, float, float]]] = deque()
        self._last_acc_s = -np.inf

    def add_acc(self, t_s: float, xyz: tuple[float, float, float]) -> None:
        # A sample at or before the newest one is a repeat (a resent message), not news.
        if t_s > self._last_acc_s:
            self._acc.append((t_s, xyz))
            self._last_acc_s = t_s

    def add_gyro(self, t_s: float, xyz: tuple[float, float, float]) -> None:
        if not self._gyro or t_s > self._gyro[-1][0]:
            self._gyro.append((t_s, xyz))

    def take(self) -> SampleRun | None:
        """The acc samples that can be completed now, as one run with device times (s)."""
        rows_t: list[float] = []
        rows_a: list[tuple[float, float, float]] = []
        rows_g: list[Any] = []
        while self._acc:
            t, a = self._acc[0]
            if rows_t and t <= rows_t[-1]:
                self._acc.popleft()  # a repeated or stale timestamp
                continue
            if not self.has_gyro:
                self._acc.popleft()
                rows_t.append(t)
                rows_a.append(a)
                continue
            if not self._gyro or self._gyro[-1][0] < t:
                break  # wait for the gyroscope to catch up
            if self._gyro[0][0] > t:
                self._acc.popleft()  # before the first gyro sample: cannot be completed
                continue
            while len(self._gyro) >= 2 and self._gyro[1][0] <= t:
                self._gyro.popleft()
            t0, g0 = self._gyro[0]
            if len(self._gyro) >= 2 and t > t0:
                t1, g1 = self._gyro[1]
                w = (t - t0) / (t1 - t0)
                g = tuple(g0[i] + w * (g1[i] - g0[i]) for i in range(3))
            else:
                g = g0
            self._acc.popleft()
            rows_t.append(t)
            rows_a.append(a)
            rows_g.append(g)
        if not rows_t:
            return None
        return SampleRun(
            acc_mps2=np.array(rows_a, dtype=np.float64),
            gyro_radps=np.array(rows_g, dtype=np.float64) if self.has_gyro else None,
            device_time_s=np.array(rows_t, dtype=np.float64),
        )


class _PhoneSource:
    """What both phone sources share: info, stats, the batch queue, reconnects, close."""

    kind: str = "phone"

    def __init__(self, base: str, *, name: str, rate_hz: float, has_gyro: bool) -> None:
        self._base = base
        self._info = SourceInfo(
            name=name, profile=self.kind, sample_rate_hz=rate_hz, has_gyro=has_gyro, has_force=False
        )
        self._feed = BatchFeed(rate_hz)
        self._stats = self._feed.stats
        self._timeline = self._feed.timeline
        self._pairer = AccGyroPairer(has_gyro)
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._ever_connected = False

    @property
    def info(self) -> SourceInfo:
        return self._info

    @property
    def stats(self) -> SourceStats:
        return self._stats

    async def batches(self) -> AsyncIterator[SampleBatch]:
        if self._task is None and not self._closing:
            self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            async for batch in self._feed.items():
                yield batch
        finally:
            await self.close()

    async def close(self) -> None:
        self._closing = True
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 3.0)
        self._stats.connected = False
        self._feed.end()

    def _emit(self) -> None:
        run = self._pairer.take()
        if run is None:
            return
        self._feed.deliver(run, time.monotonic())

    async def _run(self) -> None:
        delay_s = BACKOFF_FIRST_S
        lost_since: float | None = None
        while not self._closing:
            first = not self._ever_connected
            try:
                await self._stream(first)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self._ever_connected:
                    self._feed.fail(SourceUnavailableError(f"{self._info.name}: {exc}".rstrip()))
                    return
                self._stats.last_error = f"{type(exc).__name__}: {exc}"
            self._stats.connected = False
            if self._closing:
                return
            now = time.monotonic()
            lost_since = lost_since or now
            if now - lost_since > GIVE_UP_S:
                self._feed.fail(
                    SourceUnavailableError(f"lost {self._info.name} and could not reconnect")
                )
                return
            self._timeline.mark_discontinuity()
            await asyncio.sleep(delay_s)
            delay_s = min(2 * delay_s, BACKOFF_MAX_S)

    def _connected(self, reconnect: bool) -> None:
        self._ever_connected = True
        self._stats.connected = True
        self._stats.last_error = None
        if reconnect:
            self._stats.reconnects += 1

    async def _stream(self, first: bool) -> None:
        raise NotImplementedError


def _xyz(values: Any) -> tuple[float, float, float]:
    if not isinstance(values, list) or len(values) < 3:
        raise ValueError("values must hold x, y, z")
    x, y, z = (float(v) for v in values[:3])
    if not all(np.isfinite((x, y, z))):
        raise ValueError("non-finite value")
    return (x, y, z)


class SensorServerSource(_PhoneSource):
    """The SensorServer app's accelerometer and gyroscope WebSockets."""

    kind = "sensorserver"

    async def _stream(self, first: bool) -> None:
        from websockets.asyncio.client import connect

        async def read(sensor: str, gyro: bool) -> None:
            url = f"{self._base}/sensor/connect?type={sensor}"
            async with connect(url, open_timeout=5, close_timeout=1) as ws:
                async for message in ws:
                    try:
                        event = json.loads(message)
                        t_s = int(event["timestamp"]) * 1e-9
                        xyz = _xyz(event["values"])
                    except (ValueError, KeyError, TypeError) as exc:
                        self._stats.corrupt_packets += 1
                        logger.debug("skipped a SensorServer message: %s", exc)
                        continue
                    if gyro:
                        self._pairer.add_gyro(t_s, xyz)
                    else:
                        self._pairer.add_acc(t_s, xyz)
                    self._emit()
            raise ConnectionError(f"{sensor} stream ended")

        readers = [asyncio.create_task(read(ACCELEROMETER, False))]
        if self._info.has_gyro:
            readers.append(asyncio.create_task(read(GYROSCOPE, True)))
        self._connected(reconnect=not first)
        try:
            done, _pending = await asyncio.wait(readers, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            for task in readers:
                task.cancel()
            await asyncio.gather(*readers, return_exceptions=True)


class PhyphoxSource(_PhoneSource):
    """phyphox remote access, polled incrementally."""

    kind = "phyphox"

    def __init__(self, base: str, *, name: str, rate_hz: float, has_gyro: bool) -> None:
        super().__init__(base, name=name, rate_hz=rate_hz, has_gyro=has_gyro)
        self._last_acc_t = -1.0
        self._last_gyro_t = -1.0

    def _query(self) -> str:
        parts = [f"{b}={self._last_acc_t!r}|acc_time" for b in PHYPHOX_ACC[:3]]
        parts.append(f"acc_time={self._last_acc_t!r}")
        if self._info.has_gyro:
            parts += [f"{b}={self._last_gyro_t!r}|gyr_time" for b in PHYPHOX_GYRO[:3]]
            parts.append(f"gyr_time={self._last_gyro_t!r}")
        return "&".join(parts)

    async def _stream(self, first: bool) -> None:
        import aiohttp

        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(f"{self._base}/control?cmd=start") as response:
                response.raise_for_status()
            self._connected(reconnect=not first)
            while not self._closing:
                async with session.get(f"{self._base}/get?{self._query()}") as response:
                    response.raise_for_status()
                    body = await response.json(content_type=None)
                self._take(body)
                await asyncio.sleep(POLL_S)

    def _take(self, body: Any) -> None:
        try:
            buffers = body["buffer"]
            acc = [np.asarray(buffers[b]["buffer"], dtype=np.float64) for b in PHYPHOX_ACC]
            gyro = (
                [np.asarray(buffers[b]["buffer"], dtype=np.float64) for b in PHYPHOX_GYRO]
                if self._info.has_gyro
                else None
            )
        except (KeyError, TypeError, ValueError) as exc:
            self._stats.corrupt_packets += 1
            logger.debug("skipped a phyphox reply: %s", exc)
            return
        if gyro is not None:
            for x, y, z, t in _rows(gyro):
                if t > self._last_gyro_t:
                    self._pairer.add_gyro(t, (x, y, z))
                    self._last_gyro_t = t
        for x, y, z, t in _rows(acc):
            if t > self._last_acc_t:
                self._pairer.add_acc(t, (x, y, z))
                self._last_acc_t = t
        self._emit()


def _rows(columns: list[Any]) -> list[tuple[float, float, float, float]]:
    # Buffers read mid-update may differ in length: take the common (oldest) part; the rest
    # comes with the next poll, whose threshold is the newest time taken.
    n = min(len(c) for c in columns)
    stacked = np.column_stack([c[:n] for c in columns]) if n else np.empty((0, 4))
    finite = np.isfinite(stacked).all(axis=1)
    return [(float(r[0]), float(r[1]), float(r[2]), float(r[3])) for r in stacked[finite]]


# -- opening ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneProbe:
    """What a short look at the phone found."""

    rate_hz: float
    has_gyro: bool


def _rate_from(times_s: list[float]) -> float:
    if len(times_s) < 3:
        raise SourceUnavailableError("the phone sent too few samples to tell its rate")
    step = float(np.median(np.diff(np.sort(np.asarray(times_s)))))
    if not step > 0:
        raise SourceUnavailableError("the phone's sample times do not increase")
    return round(1.0 / step, 1)


async def _probe_sensorserver(base: str) -> PhoneProbe:
    from websockets.asyncio.client import connect

    async def times(sensor: str) -> list[float]:
        out: list[float] = []
        async with connect(f"{base}/sensor/connect?type={sensor}", open_timeout=5) as ws:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PROBE_S):
                    async for message in ws:
                        with contextlib.suppress(ValueError, KeyError, TypeError):
                            out.append(int(json.loads(message)["timestamp"]) * 1e-9)
        return out

    acc = await times(ACCELEROMETER)
    try:
        gyro = await times(GYROSCOPE)
    except Exception as exc:
        logger.info("no gyroscope stream: %s", exc)
        gyro = []
    return PhoneProbe(rate_hz=_rate_from(acc), has_gyro=len(gyro) >= 3)


async def _probe_phyphox(base: str) -> PhoneProbe:
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        async with session.get(f"{base}/control?cmd=start") as response:
            response.raise_for_status()
        await asyncio.sleep(PROBE_S)
        names = "&".join([*PHYPHOX_ACC, *PHYPHOX_GYRO])
        async with session.get(f"{base}/get?{names}") as response:
            response.raise_for_status()
            body = await response.json(content_type=None)
    buffers = body.get("buffer", {}) if isinstance(body, dict) else {}
    if not all(b in buffers for b in PHYPHOX_ACC):
        raise SourceUnavailableError(
            "the phyphox experiment has no accX/accY/accZ/acc_time buffers "
            "(start 'Acceleration with g' or an experiment with both sensors)"
        )
    has_gyro = all(b in buffers for b in PHYPHOX_GYRO)
    return PhoneProbe(rate_hz=_rate_from(list(buffers["acc_time"]["buffer"])), has_gyro=has_gyro)


def open_phone_source(url: str) -> SensorServerSource | PhyphoxSource:
    """A phone source for ``ws://HOST:PORT`` (SensorServer) or ``phyphox://HOST:PORT``.

    Raises
    ------
    SourceUnavailableError
        Another scheme, or the phone does not answer as that app does.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "phyphox") or not parts.hostname:
        raise SourceUnavailableError(
            f"{url!r}: use ws://HOST:PORT (SensorServer) or phyphox://HOST:PORT (phyphox)"
        )
    port = f":{parts.port}" if parts.port else ""
    if parts.scheme == "ws":
        base = f"ws://{parts.hostname}{port}"
        probe_fn = _probe_sensorserver(base)
    else:
        base = f"http://{parts.hostname}{port}"
        probe_fn = _probe_phyphox(base)
    # A private loop in a worker thread: the caller may or may not be inside one.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        try:
            probe = pool.submit(asyncio.run, probe_fn).result()
        except SourceUnavailableError:
            raise
        except Exception as exc:
            raise SourceUnavailableError(f"{url}: the phone does not answer ({exc})") from None
    name = f"{parts.hostname}{port}"
    if parts.scheme == "ws":
        return SensorServerSource(base, name=name, rate_hz=probe.rate_hz, has_gyro=probe.has_gyro)
    return PhyphoxSource(base, name=name, rate_hz=probe.rate_hz, has_gyro=probe.has_gyro)
