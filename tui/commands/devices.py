"""`massage-coach devices` (not built yet)."""

from __future__ import annotations

import argparse

from tui.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser


def run(args: argparse.Namespace) -> int:
    raise UsageError("'devices' is not built yet")
