"""``python -m firmware_bridge.peripheral``: run a simulated BLE sensor on a BlueZ adapter.

Example (against BlueZoo on a private bus, see ``firmware_bridge/README.md``)::

    python -m firmware_bridge.peripheral --name "MC Sensor" --profile massage-coach --rate 208

Prints ``ready NAME ADDRESS`` on stdout once it advertises; stops on SIGINT/SIGTERM or after
``--duration`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from firmware_bridge.peripheral.server import SERVED_PROFILES, SimulatedPeripheral, served_profile
from firmware_bridge.peripheral.signal import session_signal, simple_signal


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m firmware_bridge.peripheral",
        description="A simulated BLE sensor serving a profile's real wire format over BlueZ.",
    )
    parser.add_argument("--name", default="MC Sensor", help="advertised local name")
    parser.add_argument("--profile", choices=SERVED_PROFILES, default="massage-coach")
    parser.add_argument("--rate", type=float, default=208.0, help="sample rate, Hz")
    parser.add_argument("--adapter", default="hci1", help="BlueZ adapter to serve on")
    parser.add_argument(
        "--signal",
        choices=("session", "simple"),
        default="session",
        help="a simulated massage session (default) or a plain sine signal that starts at once",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated session")
    parser.add_argument("--technique", help="technique of the simulated session")
    parser.add_argument("--force", action="store_true", help="with --signal simple: add force")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument(
        "--disconnect-at",
        type=float,
        metavar="S",
        help="drop the connection S seconds after the first notification",
    )
    parser.add_argument(
        "--corrupt-every",
        type=int,
        default=0,
        metavar="N",
        help="cut every Nth data notification short (the client must count and skip it)",
    )
    parser.add_argument("--log", type=Path, help="append a JSON line per notification here")
    return parser


async def serve(args: argparse.Namespace) -> int:
    if args.signal == "simple":
        source = simple_signal(args.rate, force=args.force)
    else:
        source = session_signal(args.rate, seed=args.seed, technique=args.technique)
    profile = served_profile(args.profile, source, args.rate)
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(args.log.open("a")) if args.log else None
        peripheral = SimulatedPeripheral(
            profile, name=args.name, adapter=args.adapter, log=log, corrupt_every=args.corrupt_every
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, peripheral.stop)
        await peripheral.start()
        print(f"ready {args.name} {peripheral.address}", flush=True)
        try:
            await peripheral.run(duration_s=args.duration, disconnect_at_s=args.disconnect_at)
        finally:
            await peripheral.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(serve(args))
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"peripheral: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
