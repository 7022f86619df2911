"""Files of a recording are health data: created readable by their owner only, replaced atomically."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Final

FILE_MODE: Final = 0o600
DIRECTORY_MODE: Final = 0o700


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700; an existing directory is kept as is."""
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)


def open_private(path: Path, *, exclusive: bool = False) -> int:
    """Open ``path`` for appending, created with mode 0600; returns the OS file descriptor.

    With ``exclusive`` an existing file is an error (``FileExistsError``).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
    flags |= os.O_EXCL if exclusive else os.O_TRUNC
    return os.open(path, flags, FILE_MODE)


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is out (a regular file may accept a write only in part)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable; a no-op where directories cannot sync."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with ``data``: a 0600 temp file beside it, fsync, rename.

    A reader sees either the old file or the new one, never a half-written one.
    """
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()  # a stale temp file from a crash might carry a wider mode
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(temp, flags, FILE_MODE)
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    fsync_dir(path.parent)
