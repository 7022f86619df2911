"""What the ``live``, ``replay`` and ``demo`` commands share: profiles, sources, recording,
running the app and saying how the session went."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analysis.events import CalibrationWindow, Cue, OtherEvent, Stroke
from analysis.samples import SampleBatch
from analysis.techniques import DEFAULT_TECHNIQUE, TechniqueProfile, get_profile
from firmware_bridge.recordings.model import RecordingMeta
from firmware_bridge.source import SampleSource, SourceInfo
from tui.config import UserConfig
from tui.errors import UsageError
from tui.session import (
    SUMMARY_FILE,
    FeedbackSink,
    RecordingSink,
    SessionController,
    SessionSummary,
    SourceStatus,
)

SPEED_RANGE = (0.5, 20.0)


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a number") from None
    if not (value > 0 and value != float("inf")):
        raise UsageError(f"{text!r} must be a positive number")
    return value


def check_speed(speed: float) -> float:
    low, high = SPEED_RANGE
    if not low <= speed <= high:
        raise UsageError(f"--speed must be between {low:g} and {high:g}, not {speed:g}")
    return speed


def resolve_profile(
    name: str | None, profiles: dict[str, TechniqueProfile]
) -> TechniqueProfile | None:
    """The profile called ``name`` (with the user's overrides), or ``None`` for no name."""
    return None if name is None else get_profile(name, profiles)


def default_profile(name: str | None, profiles: dict[str, TechniqueProfile]) -> TechniqueProfile:
    """``name`` when known to the profiles, else the default technique."""
    return get_profile(name if name in profiles else DEFAULT_TECHNIQUE, profiles)


def check_record_dir(path: Path | None) -> None:
    """Refuse a ``--record`` directory that already holds a recording (never overwrite one)."""
    if path is None:
        return
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path}: --record needs a directory, and this is a file")
    for name in ("meta.json", "samples.csv", "samples.csv.gz"):
        if (path / name).exists():
            raise UsageError(f"{path}: already holds a recording; choose a new directory")


def status_of(info: SourceInfo) -> SourceStatus:
    return SourceStatus(name=info.name, profile=info.profile, nominal_rate_hz=info.sample_rate_hz)


def device_of(info: SourceInfo) -> dict[str, Any]:
    """``meta.json`` ``device`` from a source's description (keys without a value left out)."""
    device: dict[str, Any] = {"name": info.name, "profile": info.profile}
    if info.address:
        device["address"] = info.address
    if info.firmware:
        device["firmware"] = info.firmware
    return device


class LazyWriter:
    """Opens the recording at the first sample, so a session stopped before any sample arrived
    leaves no empty (unreadable) recording behind."""

    def __init__(self, open_: Callable[[], RecordingSink]) -> None:
        self._open = open_
        self._writer: RecordingSink | None = None
        self._calibration: CalibrationWindow | None = None

    def _get(self) -> RecordingSink:
        if self._writer is None:
            self._writer = self._open()
            if self._calibration is not None:
                self._writer.set_calibration(self._calibration)
        return self._writer

    def append(self, batch: SampleBatch) -> None:
        self._get().append(batch)

    def add_gap(self, before_s: float, after_s: float) -> None:
        self._get().add_gap(before_s, after_s)

    def add_event(self, event: Stroke | Cue | OtherEvent) -> None:
        if self._writer is not None:  # events before the first sample have nothing to mark
            self._writer.add_event(event)

    def set_calibration(self, window: CalibrationWindow) -> None:
        # Kept until the recording opens: a window is never lost for want of a sample.
        self._calibration = window
        if self._writer is not None:
            self._writer.set_calibration(window)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def open_writer(
    record_dir: Path,
    info: SourceInfo,
    profile: TechniqueProfile,
    *,
    calibration: CalibrationWindow | None = None,
    extra: dict[str, Any] | None = None,
) -> RecordingSink:
    """A streaming :class:`RecordingWriter` for a live session from ``info``."""
    from firmware_bridge.recordings.writer import RecordingWriter

    meta = RecordingMeta(
        sample_rate_hz=info.sample_rate_hz,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        device=device_of(info),
        technique=profile.name,
        calibration=calibration,
        extra=extra or {},
    )
    try:
        return RecordingWriter(record_dir, meta, has_gyro=info.has_gyro, has_force=info.has_force)
    except (FileExistsError, OSError) as exc:
        raise UsageError(f"{record_dir}: cannot record there: {exc}") from None


def controller_factory(
    info: SourceInfo,
    *,
    record_dir: Path | None,
    calibration: CalibrationWindow | None,
    extra: dict[str, Any] | None = None,
    feedback: FeedbackSink | None = None,
) -> Callable[[TechniqueProfile], SessionController]:
    """Builds the session's controller once the technique is known (after the picker);
    ``feedback`` shows the coaching on the sensor (``live --device-feedback``)."""

    def make(profile: TechniqueProfile) -> SessionController:
        writer = (
            LazyWriter(
                lambda: open_writer(record_dir, info, profile, calibration=calibration, extra=extra)
            )
            if record_dir is not None
            else None
        )
        return SessionController(
            profile,
            info.sample_rate_hz,
            status_of(info),
            calibration=calibration,
            writer=writer,
            feedback=feedback,
            has_force=info.has_force,
        )

    return make


def open_live_source(
    *,
    device: str | None,
    url: str | None,
    simulate: bool,
    profile: str | None,
    seed: int,
    technique: str | None,
    rate_hz: float | None = None,
) -> SampleSource:
    """The source the user asked for, from the one source factory (BLE, phone, simulated).

    A source that cannot be opened raises ``SourceUnavailableError``, which the command line
    reports in one line with exit status 2.
    """
    from firmware_bridge.sources import open_source

    return open_source(
        device=device,
        url=url,
        simulate=simulate,
        profile=profile,
        seed=seed,
        technique=technique,
        rate_hz=rate_hz,
    )


def run_app(app: Any, close: Callable[[], Any] | None = None) -> SessionSummary | None:
    """Run the Textual app, then close the source on the same event loop."""

    async def main() -> SessionSummary | None:
        try:
            result: SessionSummary | None = await app.run_async()
        finally:
            if close is not None:
                await close()
        return result

    return asyncio.run(main())


def report(summary: SessionSummary | None, record_dir: Path | None) -> None:
    """The summary on stdout after the screen is gone (the stop key skips the summary screen)."""
    if summary is None:
        return
    for line in summary.lines():
        sys.stdout.write(line + "\n")
    if record_dir is not None:
        sys.stdout.write(f"Summary saved in {record_dir / SUMMARY_FILE}\n")


def user_config() -> UserConfig:
    return UserConfig()
