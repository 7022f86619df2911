"""The error a source raises when it cannot be opened or is lost for good."""

from __future__ import annotations

from firmware_bridge.profiles.base import ProfileConfigError


class SourceUnavailableError(ProfileConfigError):
    """A source that cannot be opened or was lost for good (no such device, Bluetooth off or
    absent, a phone not answering). A :class:`ProfileConfigError`, so the command line reports it
    like bad input: one line, exit status 2."""
