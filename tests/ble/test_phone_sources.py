"""Phone sources against local fake servers on 127.0.0.1 that speak the apps' formats:
SensorServer's WebSockets and phyphox's remote-access HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed

from firmware_bridge.ble.errors import SourceUnavailableError
from firmware_bridge.phone import AccGyroPairer, open_phone_source
from firmware_bridge.sources import open_source

RATE_HZ = 100.0


def acc_at(t_s: float) -> list[float]:
    return [0.5 * np.sin(t_s), 0.25 * np.cos(2 * t_s), 9.81 + 0.1 * np.sin(3 * t_s)]


def gyro_at(t_s: float) -> list[float]:
    return [0.3 * t_s, -0.2 * t_s, 0.1 * t_s]  # linear: interpolation is exact


class FakePhone:
    """A phone's sensors: acc samples at k/100 s, gyro at k/100 + 0.004 s (device clock),
    produced in real time from the server's start."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.t0 = 1000.0  # device clock at start

    def samples(self, offset_s: float, after_s: float) -> list[float]:
        now = self.t0 + time.monotonic() - self.started
        k0 = max(int(np.floor((after_s - offset_s - self.t0) * RATE_HZ + 1e-6)) + 1, 0)
        k1 = int(np.floor((now - offset_s - self.t0) * RATE_HZ))
        return [self.t0 + offset_s + k / RATE_HZ for k in range(k0, k1 + 1)]


class ServerThread:
    """Runs an asyncio server in its own thread and loop (the source probes synchronously)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture
def server_thread() -> Iterator[ServerThread]:
    thread = ServerThread()
    yield thread
    thread.stop()


class SensorServerFake:
    def __init__(self) -> None:
        self.phone = FakePhone()
        self.sent_acc: list[float] = []
        self.connections = 0
        self.dropped = False

    async def handler(self, ws: Any) -> None:
        path = ws.request.path
        gyro = "gyroscope" in path
        offset = 0.004 if gyro else 0.0
        self.connections += 1
        # The first two connections are the source's probe; drop the session's first one.
        drop_at = time.monotonic() + 1.0 if self.connections == 3 else None
        # Like the app: a new socket streams events from now on, no history.
        last = self.phone.t0 + time.monotonic() - self.phone.started
        with contextlib.suppress(ConnectionClosed):
            await self._stream(ws, gyro, offset, last, drop_at)

    async def _stream(
        self, ws: Any, gyro: bool, offset: float, last: float, drop_at: float | None
    ) -> None:
        while True:
            for t in self.phone.samples(offset, last):
                values = gyro_at(t) if gyro else acc_at(t)
                await ws.send(
                    json.dumps({"accuracy": 2, "timestamp": round(t * 1e9), "values": values})
                )
                if not gyro:
                    self.sent_acc.append(t)
                last = t
            if drop_at is not None and time.monotonic() > drop_at:
                self.dropped = True
                await ws.close()
                return
            await asyncio.sleep(0.01)


def test_pairer_interpolates_gyro_at_acc_times_causally() -> None:
    pairer = AccGyroPairer(has_gyro=True)
    pairer.add_gyro(1.0, (0.0, 0.0, 0.0))
    pairer.add_acc(0.5, (9.0, 0.0, 0.0))  # before any gyro: cannot be completed, dropped
    pairer.add_acc(1.25, (1.0, 2.0, 3.0))
    assert pairer.take() is None  # waits for a gyro sample at or after 1.25
    pairer.add_gyro(2.0, (4.0, -4.0, 8.0))
    run = pairer.take()
    assert run is not None
    assert run.gyro_radps is not None
    assert run.device_time_s is not None
    np.testing.assert_allclose(run.acc_mps2, np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(run.gyro_radps, np.array([[1.0, -1.0, 2.0]]))
    np.testing.assert_allclose(run.device_time_s, np.array([1.25]))


async def test_sensorserver_pairs_streams_and_survives_a_dropped_socket(
    server_thread: ServerThread,
) -> None:
    from websockets.asyncio.server import serve

    fake = SensorServerFake()
    server = server_thread.run(_start_ws(serve, fake.handler))
    port = server.sockets[0].getsockname()[1]
    try:
        source = open_source(url=f"ws://127.0.0.1:{port}")
        assert source.info.has_gyro
        assert source.info.sample_rate_hz == pytest.approx(RATE_HZ, rel=0.02)
        batches: list[Any] = []

        async def collect() -> None:
            after_reconnect: int | None = None
            async for batch in source.batches():
                batches.append(batch)
                n = sum(len(b) for b in batches)
                if source.stats.reconnects >= 1 and after_reconnect is None:
                    after_reconnect = n
                if after_reconnect is not None and n >= after_reconnect + 50:
                    return

        await asyncio.wait_for(collect(), 20)
        await source.close()
    finally:
        server_thread.run(_close(server))
    t = np.concatenate([b.t_s for b in batches])
    acc = np.concatenate([b.acc_mps2 for b in batches])
    gyro = np.concatenate([b.gyro_radps for b in batches])
    assert np.all(np.diff(t) > 0)
    # Each sample is one the phone sent, in order; gyro interpolated exactly (it is linear).
    # Index every sample the phone produced (sent or not) by its device time.
    sent_t = (
        fake.phone.t0
        + np.arange(round((max(fake.sent_acc) - fake.phone.t0) * RATE_HZ) + 1) / RATE_HZ
    )
    sent_acc = np.array([acc_at(x) for x in sent_t])
    index = np.array([int(np.argmin(np.abs(sent_acc - row).sum(axis=1))) for row in acc])
    received_t = sent_t[index]
    np.testing.assert_allclose(acc, sent_acc[index], atol=1e-9)
    np.testing.assert_allclose(gyro, [gyro_at(x) for x in received_t], atol=1e-9)
    # In order, each once; consecutive except across the dropped socket, which is the one gap.
    steps = np.diff(index)
    assert steps.min() >= 1
    assert (steps > 1).sum() == 1
    assert len(source.stats.gaps) == 1
    k = int(np.flatnonzero(steps > 1)[0])
    before, after = source.stats.gaps[0]
    assert (before, after) == (t[k], t[k + 1])
    assert after - before == pytest.approx(received_t[k + 1] - received_t[k], rel=0.01)
    assert fake.dropped
    assert source.stats.reconnects == 1


async def _start_ws(serve: Any, handler: Any) -> Any:
    return await serve(handler, "127.0.0.1", 0)


async def _close(server: Any) -> None:
    server.close()
    await server.wait_closed()


class PhyphoxFake:
    """phyphox's remote interface: /control?cmd=start and incremental /get."""

    def __init__(self, *, gyro: bool) -> None:
        self.phone = FakePhone()
        self.phone.t0 = 0.0  # experiment time starts at 0
        self.gyro = gyro
        self.started = False
        self.queries: list[str] = []

    async def control(self, request: Any) -> Any:
        from aiohttp import web

        if request.query.get("cmd") == "start":
            self.started = True
        return web.json_response({"result": True})

    async def get(self, request: Any) -> Any:
        from aiohttp import web

        self.queries.append(request.query_string)
        buffers: dict[str, Any] = {}
        for name, value in parse_qsl(request.query_string, keep_blank_values=True):
            threshold = float(value.split("|")[0]) if value and value != "full" else -1.0
            sensor_gyro = name.startswith("gyr")
            if sensor_gyro and not self.gyro:
                continue
            offset = 0.004 if sensor_gyro else 0.0
            times = self.phone.samples(offset, threshold) if self.started else []
            if name.endswith("_time"):
                column = times
            else:
                axis = "XYZ".index(name[-1])
                column = [(gyro_at(x) if sensor_gyro else acc_at(x))[axis] for x in times]
            buffers[name] = {"size": 0, "updateMode": "partial", "buffer": column}
        return web.json_response(
            {"buffer": buffers, "status": {"session": "fake", "measuring": self.started}}
        )


async def _start_http(fake: PhyphoxFake) -> Any:
    from aiohttp import web

    app = web.Application()
    app.router.add_get("/control", fake.control)
    app.router.add_get("/get", fake.get)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner


@pytest.mark.parametrize("gyro", [True, False])
async def test_phyphox_polls_incrementally_and_delivers_each_sample_once(
    server_thread: ServerThread, gyro: bool
) -> None:
    fake = PhyphoxFake(gyro=gyro)
    runner = server_thread.run(_start_http(fake))
    port = runner.addresses[0][1]
    try:
        source = open_source(url=f"phyphox://127.0.0.1:{port}")
        assert source.info.has_gyro is gyro
        assert source.info.sample_rate_hz == pytest.approx(RATE_HZ, rel=0.02)
        batches: list[Any] = []

        async def collect() -> None:
            async for batch in source.batches():
                batches.append(batch)
                if len(batches) >= 6:  # several polls after the first
                    return

        await asyncio.wait_for(collect(), 20)
        await source.close()
    finally:
        server_thread.run(runner.cleanup())
    assert fake.started
    acc = np.concatenate([b.acc_mps2 for b in batches])
    t = np.concatenate([b.t_s for b in batches])
    # Incremental: later polls ask only for samples after the newest one seen.
    last = dict(parse_qsl(fake.queries[-1]))
    assert last["accX"].endswith("|acc_time")
    assert float(last["accX"].split("|")[0]) == pytest.approx(float(last["acc_time"]))
    assert float(last["acc_time"]) > 0.5  # the newest experiment time already received
    # Every sample once and consecutive (no duplicates, no holes): the k-th is the phone's
    # sample at experiment time (k0 + k) / rate.
    grid = np.arange(0, 3000) / RATE_HZ
    k0 = int(np.argmin(np.abs(np.array([acc_at(x)[0] for x in grid]) - acc[0, 0])))
    expected = grid[k0 : k0 + len(acc)]
    np.testing.assert_allclose(acc, [acc_at(x) for x in expected], atol=1e-9)
    np.testing.assert_allclose(np.diff(t), 1.0 / RATE_HZ, rtol=0.02)
    assert source.stats.gaps == []
    if gyro:
        g = np.concatenate([b.gyro_radps for b in batches])
        # gyro is linear in device time: consecutive differences are constant.
        np.testing.assert_allclose(np.diff(g[:, 0]), 0.3 / RATE_HZ, rtol=1e-6)


def test_unknown_scheme_and_silent_phone_are_one_line_errors() -> None:
    with pytest.raises(SourceUnavailableError, match="ws://HOST:PORT"):
        open_phone_source("http://127.0.0.1:1")
    with pytest.raises(SourceUnavailableError, match="does not answer"):
        open_phone_source("ws://127.0.0.1:1")
