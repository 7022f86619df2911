"""One factory for every live source: a BLE sensor, a phone on the network, the simulated sensor.

``open_source`` is synchronous and may be called before the session's event loop exists: for a
BLE device it scans and connects once to probe the device (on a private event loop in a worker
thread), so the source's :class:`~firmware_bridge.source.SourceInfo` — name, address, profile,
rate, channels — is exact before a recording opens with its columns. The session's connection
is made on the session's loop when ``batches()`` is first iterated.

The BlueZ adapter is the system default, or ``$MASSAGE_COACH_BLE_ADAPTER`` (``hci1`` …) when set.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from typing import Final

from firmware_bridge.ble.errors import SourceUnavailableError
from firmware_bridge.source import SampleSource

ADAPTER_ENV: Final = "MASSAGE_COACH_BLE_ADAPTER"
SCAN_TIMEOUT_S: Final = 10.0


def ble_adapter() -> str | None:
    """The BlueZ adapter chosen through ``$MASSAGE_COACH_BLE_ADAPTER`` (``None``: default)."""
    return os.environ.get(ADAPTER_ENV) or None


def open_source(
    *,
    device: str | None = None,
    url: str | None = None,
    simulate: bool = False,
    profile: str | None = None,
    seed: int = 0,
    technique: str | None = None,
    rate_hz: float | None = None,
) -> SampleSource:
    """The source the user asked for; exactly one of ``device``, ``url``, ``simulate``.

    Parameters
    ----------
    device:
        A BLE sensor's name or address.
    url:
        ``ws://HOST:PORT`` (SensorServer) or ``phyphox://HOST:PORT`` (phyphox remote access).
    simulate:
        The simulated sensor (engineer B's :class:`~firmware_bridge.simulated.SimulatedSensor`).
    profile:
        BLE profile name when it cannot be told from the advertisement.
    seed, technique:
        Of the simulated session.
    rate_hz:
        Wanted sample rate (BLE: snapped to what the device offers; simulated: its rate).

    Raises
    ------
    SourceUnavailableError
        The device is not heard, the URL is not one of the supported kinds (one line, exit 2).
    """
    chosen = [x for x in (device is not None, url is not None, simulate) if x]
    if len(chosen) != 1:
        raise SourceUnavailableError("choose exactly one source: a device, a URL or simulate")
    if simulate:
        from firmware_bridge.simulated import SimulatedSensor

        return SimulatedSensor(seed=seed, technique=technique, rate_hz=rate_hz)
    if url is not None:
        from firmware_bridge.phone import open_phone_source

        return open_phone_source(url)
    assert device is not None
    return _open_ble(device, profile=profile, rate_hz=rate_hz)


def _open_ble(device: str, *, profile: str | None, rate_hz: float | None) -> SampleSource:
    from firmware_bridge.ble.source import BleSampleSource

    adapter = ble_adapter()
    # A worker thread with its own loop: bleak binds its D-Bus connection to the loop it runs
    # on, and the caller may or may not be inside one.
    probe = BleSampleSource.probe(
        device,
        profile=profile,
        adapter=adapter,
        sample_rate_hz=rate_hz,
        scan_timeout_s=SCAN_TIMEOUT_S,
    )
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, probe).result()
