"""The ``massage-coach`` command: one sub-command per module in :mod:`tui.commands`.

Each command module defines ``add_arguments(parser)`` and ``run(args) -> int``. Modules are
imported only when their command runs, so ``info`` does not pay for Textual or bleak.
Bad input anywhere ends in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Final

from tui.errors import EXIT_BAD_INPUT, UsageError, is_bad_input

COMMANDS: Final[dict[str, str]] = {
    "demo": "a simulated live session through the whole pipeline, no sensor needed",
    "live": "a live coaching session from a sensor, a phone or the simulated sensor",
    "replay": "replay a recorded session on the session screen (or --headless)",
    "info": "validate a recording and summarise it",
    "simulate": "write simulated labelled recordings",
    "classify": "run the live pipeline causally over a recording; write the events CSV",
    "evaluate": "score the classifier (or another's predictions) against labelled recordings",
    "decode": "decode one captured BLE notification of a device profile to CSV",
    "devices": "scan for supported BLE sensors nearby",
    "import": "convert a generic IMU CSV log (time, accelerometer, gyroscope) into a recording",
}

_MODULE_OF_COMMAND: Final[dict[str, str]] = {"import": "import_csv"}
"""Commands whose module name differs (``import`` is a Python keyword)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit status 2 like every other bad input."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported and given its arguments (every command
    is listed in the help either way), so one command does not pay for the others' imports."""
    parser = _Parser(
        prog="massage-coach",
        description="Sensor-guided self-massage feedback.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, help_text in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            _command_module(name).add_arguments(command_parser)
    return parser


def _requested_command(argv: Sequence[str]) -> str | None:
    return next((arg for arg in argv if arg in COMMANDS), None)


def _command_module(name: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"tui.commands.{_MODULE_OF_COMMAND.get(name, name)}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(_requested_command(argv)).parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return EXIT_BAD_INPUT
        status = _command_module(args.command).run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if not is_bad_input(exc):
            raise
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"massage-coach: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return int(status or 0)


if __name__ == "__main__":
    sys.exit(main())
