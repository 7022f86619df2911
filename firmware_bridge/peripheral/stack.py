"""A BLE stack without a radio: a private ``dbus-daemon`` and BlueZoo with two adapters.

BlueZoo (PyPI ``bluezoo``, GPL-2.0) is a user-space BlueZ; it runs here as a separate process
from its console script, nothing of it is imported. bleak (and the simulated peripheral) reach
it through ``DBUS_SYSTEM_BUS_ADDRESS``.

``python -m firmware_bridge.peripheral.stack`` starts one and prints the shell lines that point a
terminal at it (for trying ``massage-coach devices`` and ``live --device`` without hardware);
Ctrl-C stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

CENTRAL: Final = "hci0"
PERIPHERAL: Final = "hci1"
CENTRAL_ADDRESS: Final = "00:11:22:33:44:55"
PERIPHERAL_ADDRESS: Final = "00:AA:BB:CC:DD:EE"
START_TIMEOUT_S: Final = 20.0


def bluezoo_command() -> str:
    """The ``bluezoo`` console script next to this Python (a venv), else from ``PATH``."""
    script = Path(sys.executable).with_name("bluezoo")
    return str(script) if script.exists() else "bluezoo"


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """Stop a process started with ``start_new_session=True`` and all its children."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


async def _adapters_powered(bus_address: str) -> int:
    from dbus_fast.aio import MessageBus

    from firmware_bridge.ble.bluez import managed_objects

    bus = await MessageBus(bus_address=bus_address).connect()
    try:
        objects = await managed_objects(bus)
    finally:
        bus.disconnect()
    adapters = [o.get("org.bluez.Adapter1") for o in objects.values()]
    return sum(1 for a in adapters if a is not None and a["Powered"].value)


class BlueZooStack:
    """Start with ``with BlueZooStack() as stack:``; ``stack.env`` is the environment for
    processes that should use it (``DBUS_SYSTEM_BUS_ADDRESS``, ``MASSAGE_COACH_BLE_ADAPTER``).

    Raises
    ------
    FileNotFoundError
        ``dbus-daemon`` is not installed.
    RuntimeError
        BlueZoo did not come up within :data:`START_TIMEOUT_S`.
    """

    def __init__(self, log: IO[str] | None = None, *, scan_interval_s: int = 1) -> None:
        self.address = ""
        self.env: dict[str, str] = {}
        self._log = log
        self._scan_interval_s = scan_interval_s
        self._procs: list[subprocess.Popen[Any]] = []

    def __enter__(self) -> BlueZooStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        if shutil.which("dbus-daemon") is None:
            raise FileNotFoundError("dbus-daemon is not installed (Debian package dbus-daemon)")
        dbus = subprocess.Popen(
            ["dbus-daemon", "--session", "--print-address", "--nofork", "--nopidfile"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self._procs.append(dbus)
        assert dbus.stdout is not None
        self.address = dbus.stdout.readline().strip()
        if not self.address.startswith("unix:"):
            raise RuntimeError(f"dbus-daemon printed {self.address!r}, not a bus address")
        self.env = {
            **os.environ,
            "DBUS_SYSTEM_BUS_ADDRESS": self.address,
            "MASSAGE_COACH_BLE_ADAPTER": CENTRAL,
        }
        zoo = subprocess.Popen(
            [
                bluezoo_command(),
                "-v",
                "--auto-enable",
                "--scan-interval",
                str(self._scan_interval_s),
                "-a",
                CENTRAL_ADDRESS,
                "-a",
                PERIPHERAL_ADDRESS,
            ],
            env=self.env,
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._procs.append(zoo)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                powered = asyncio.run(asyncio.wait_for(_adapters_powered(self.address), 2.0))
            except Exception:
                powered = 0
            if powered >= 2:
                return
            if zoo.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("BlueZoo did not come up (is the bluezoo package installed?)")
            time.sleep(0.1)

    def stop(self) -> None:
        for proc in reversed(self._procs):
            kill_group(proc)
        self._procs.clear()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main() -> int:
    # SIGTERM (``timeout``, ``kill``) must also stop BlueZoo and the bus, not orphan them.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with BlueZooStack() as stack:
        print(f"export DBUS_SYSTEM_BUS_ADDRESS='{stack.address}'")
        print(f"export MASSAGE_COACH_BLE_ADAPTER={CENTRAL}")
        print(
            f"# then: python -m firmware_bridge.peripheral --adapter {PERIPHERAL} &  "
            "massage-coach devices",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
