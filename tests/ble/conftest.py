"""The real BLE stack without a radio: a private D-Bus, BlueZoo with two adapters, and the
project's simulated peripheral on hci1; the code under test uses the real bleak on hci0.

BlueZoo (GPL) runs as a separate process from its console script; nothing of it is imported.
Every wait has a timeout; every process is started in its own process group and killed with it.
The tests skip only when ``dbus-daemon`` is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CENTRAL = "hci0"
PERIPHERAL = "hci1"
PERIPHERAL_ADDRESS = "00:AA:BB:CC:DD:EE"
START_TIMEOUT_S = 20.0


@dataclass
class BluezStack:
    """A running private bus + BlueZoo; ``env`` is what a child process needs to use it."""

    address: str
    env: dict[str, str]
    tmp: Path
    central: str = CENTRAL
    peripheral_address: str = PERIPHERAL_ADDRESS


@pytest.fixture
def bluez(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BluezStack]:
    """A private dbus-daemon and BlueZoo with adapters hci0 (central) and hci1 (peripheral)."""
    from firmware_bridge.peripheral.stack import BlueZooStack

    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed (Debian package dbus-daemon)")
    with (tmp_path / "bluezoo.log").open("w") as log, BlueZooStack(log) as stack:
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", stack.address)
        monkeypatch.setenv("MASSAGE_COACH_BLE_ADAPTER", CENTRAL)
        yield BluezStack(address=stack.address, env=stack.env, tmp=tmp_path)


@dataclass
class Peripheral:
    """A running simulated peripheral process and its notification log."""

    proc: subprocess.Popen[str]
    log: Path
    name: str
    rate_hz: float

    def records(self) -> list[dict[str, Any]]:
        from firmware_bridge.peripheral.server import read_log

        return read_log(self.log)


@pytest.fixture
def start_peripheral(bluez: BluezStack) -> Iterator[Callable[..., Peripheral]]:
    """Start ``python -m firmware_bridge.peripheral`` on hci1; waits for its ``ready`` line."""
    from firmware_bridge.peripheral.stack import kill_group

    started: list[subprocess.Popen[str]] = []

    def start(
        *,
        name: str = "MC Test",
        profile: str = "massage-coach",
        rate_hz: float = 208.0,
        extra: tuple[str, ...] = (),
    ) -> Peripheral:
        log = bluez.tmp / f"peripheral-{len(started)}.jsonl"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "firmware_bridge.peripheral",
                "--name",
                name,
                "--profile",
                profile,
                "--rate",
                str(rate_hz),
                "--adapter",
                PERIPHERAL,
                "--signal",
                "simple",
                "--log",
                str(log),
                *extra,
            ],
            cwd=REPO,
            env=bluez.env,
            stdout=subprocess.PIPE,
            stderr=(bluez.tmp / f"peripheral-{len(started)}.err").open("w"),
            text=True,
            start_new_session=True,
        )
        started.append(proc)
        assert proc.stdout is not None
        os.set_blocking(proc.stdout.fileno(), False)
        deadline = time.monotonic() + START_TIMEOUT_S
        line = ""
        while not line.startswith("ready"):
            line += proc.stdout.readline() or ""
            if proc.poll() is not None or time.monotonic() > deadline:
                err = (bluez.tmp / f"peripheral-{len(started) - 1}.err").read_text()
                raise RuntimeError(f"peripheral did not start: {line!r} {err[-2000:]}")
            time.sleep(0.05)
        return Peripheral(proc=proc, log=log, name=name, rate_hz=rate_hz)

    yield start
    for proc in started:
        kill_group(proc)
