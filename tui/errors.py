"""Which exceptions mean "bad input" (one line on stderr, exit 2) rather than a bug."""

from __future__ import annotations

from typing import Final

EXIT_BAD_INPUT: Final = 2


class UsageError(Exception):
    """A command line or input the user must fix; the message is the whole explanation."""


def _bad_input_types() -> tuple[type[BaseException], ...]:
    from analysis.techniques import ProfileError
    from firmware_bridge.recordings.model import RecordingError

    types: list[type[BaseException]] = [UsageError, ProfileError, RecordingError]
    try:
        from firmware_bridge.profiles.base import DecodeError, ProfileConfigError
    except ImportError:  # the BLE profiles are optional at this stage of the build
        pass
    else:
        types += [DecodeError, ProfileConfigError]
    return tuple(types)


def is_bad_input(exc: BaseException) -> bool:
    return isinstance(exc, _bad_input_types())
