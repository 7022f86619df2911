"""`massage-coach devices`: scan for supported BLE sensors and list them."""

from __future__ import annotations

import argparse
import asyncio

from tui.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout", type=float, default=5.0, metavar="S", help="scan this long (default 5 s)"
    )
    parser.add_argument(
        "--adapter",
        help="BlueZ adapter (hci0 …; default $MASSAGE_COACH_BLE_ADAPTER or the system's)",
    )
    parser.add_argument("--all", action="store_true", help="list unsupported devices too")


def run(args: argparse.Namespace) -> int:
    if not 0 < args.timeout <= 120:
        raise UsageError(f"--timeout must be between 0 and 120 s, not {args.timeout:g}")
    from firmware_bridge.ble.scanner import scan
    from firmware_bridge.sources import ble_adapter

    adapter = args.adapter or ble_adapter()
    # Bluetooth missing or off ends as a one-line SourceUnavailableError (exit 2).
    devices = asyncio.run(scan(args.timeout, adapter=adapter, supported_only=not args.all))
    if not devices:
        print(f"no supported sensors heard in {args.timeout:g} s")
        return 0
    rows = [("NAME", "ADDRESS", "PROFILE", "RSSI")]
    for d in devices:
        rssi = "" if d.rssi_dbm is None else f"{d.rssi_dbm} dBm"
        rows.append((d.name or "?", d.address, d.profile or "-", rssi))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0
