"""``massage-coach decode PROFILE HEX [--factor F] [--channel acc|gyro|force]``.

Decodes one captured BLE notification and prints CSV, one row per sample, columns ``x,y,z`` in
the device's native units (mG and °/s for Polar, g and °/s for Thingy:52 and WitMotion, mG for
the micro:bit and the open profile). For people debugging their own sensor.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import sys

from tui.errors import UsageError

_SEPARATORS = re.compile(r"[\s:,\-]+")

# Spelled out here so building the parser does not import the profiles (tests check they match
# firmware_bridge.profiles.native).
DECODE_PROFILES = (
    "massage-coach",
    "polar-pmd",
    "thingy52",
    "microbit",
    "witmotion",
    "polar-acc",
    "polar-gyro",
)
CHANNELS = ("acc", "gyro", "force")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "profile",
        metavar="PROFILE",
        help=f"device profile: {', '.join(DECODE_PROFILES)}",
    )
    parser.add_argument(
        "hex",
        metavar="HEX",
        nargs="+",
        help="the notification's bytes in hex (spaces, colons or a 0x prefix are fine)",
    )
    parser.add_argument(
        "--factor",
        type=float,
        default=None,
        help="Polar: the FACTOR from the stream's start response (default 1.0)",
    )
    parser.add_argument(
        "--channel",
        "--characteristic",
        dest="channel",
        choices=CHANNELS,
        default=None,
        help="which triple to print for packets carrying several (default acc; Polar: the "
        "frame's type byte decides)",
    )


def parse_hex(parts: list[str]) -> bytes:
    """Join hex words into bytes; :class:`UsageError` for anything that is not hex."""
    text = "".join(_SEPARATORS.sub("", p.removeprefix("0x").removeprefix("0X")) for p in parts)
    if not text:
        raise UsageError("decode: HEX is empty")
    if len(text) % 2:
        raise UsageError(f"decode: HEX has an odd number of digits ({len(text)})")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise UsageError("decode: HEX holds characters that are not hex digits") from None


def _format(value: float) -> str:
    """Shortest exact text of a value: whole numbers without a decimal point."""
    if value == 0:
        return "0"
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def run(args: argparse.Namespace) -> int:
    from firmware_bridge.profiles.native import decode_native

    if args.profile not in DECODE_PROFILES:
        raise UsageError(
            f"decode: unknown profile {args.profile!r}; known: {', '.join(DECODE_PROFILES)}"
        )
    if args.factor is not None and not math.isfinite(args.factor):
        raise UsageError("decode: --factor must be a finite number")
    payload = parse_hex(args.hex)
    samples = decode_native(args.profile, payload, channel=args.channel, factor=args.factor)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(samples.columns)
    for row in samples.values:
        writer.writerow([_format(float(v)) for v in row])
    return 0
