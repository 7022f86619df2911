"""Headless sessions: one line per stroke and per cue on stdout, for scripts and plain terminals.

Line formats (times in seconds on the session clock, fields space-separated, ``key=value``)::

    12.340 stroke up duration_s=0.812 force_n=7.10 cadence_spm=33.5 confidence=0.91 emitted_s=13.200
    13.205 cue switch_up "Switch to upward strokes"

A field the pipeline did not give is left out. Calibration and end-of-session notes go to
stderr, so stdout stays one event per line.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from pathlib import Path
from typing import TextIO

from analysis.events import Cue, Stroke
from firmware_bridge.source import SampleSource
from tui.feeds import PlaybackFeed, SourceFeed
from tui.screens.calibration import CALIBRATION_TIMEOUT_S, STROKES_WANTED
from tui.session import CUE_WORDS, FeedbackSink, SessionController, SessionSummary, SessionView


def stroke_line(stroke: Stroke) -> str:
    """One stroke as a stdout line."""
    fields = [f"{stroke.onset_s:.3f}", "stroke", stroke.direction]
    fields.append(f"duration_s={stroke.duration_s:.3f}")
    for name, value, digits in (
        ("force_n", stroke.force_n, 2),
        ("cadence_spm", stroke.cadence_spm, 1),
        ("confidence", stroke.confidence, 2),
        ("emitted_s", stroke.emitted_s, 3),
    ):
        if value is not None:
            fields.append(f"{name}={value:.{digits}f}")
    return " ".join(fields)


def cue_line(cue: Cue) -> str:
    """One cue as a stdout line, with its words."""
    return f'{cue.onset_s:.3f} cue {cue.cue} "{CUE_WORDS.get(cue.cue, cue.cue)}"'


class LinePrinter:
    """Prints the strokes and cues of each :class:`SessionView`, in time order."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lines = 0

    def print_view(self, view: SessionView) -> None:
        events: list[tuple[float, int, str]] = [
            (s.emitted_s if s.emitted_s is not None else s.end_s, 0, stroke_line(s))
            for s in view.new_strokes
        ]
        events += [(c.onset_s, 1, cue_line(c)) for c in view.new_cues]
        for _, _, line in sorted(events, key=lambda e: (e[0], e[1])):
            self.out.write(line + "\n")
            self.lines += 1
        if events:
            self.out.flush()


def run_playback(
    controller: SessionController, feed: PlaybackFeed, out: TextIO | None = None
) -> SessionSummary:
    """Run a whole recording through the session as fast as possible, printing each event.

    The same chunks as the replay screen, so the lines are what the screen showed.
    """
    printer = LinePrinter(out if out is not None else sys.stdout)
    status, gaps = feed.status()
    controller.set_source_status(status, gaps)
    printer.print_view(controller.step(feed.take_until(feed.end_s)))
    summary = controller.finish()
    printer.print_view(controller.view_of_finish())
    return summary


async def run_live(
    controller: SessionController,
    source: SampleSource,
    *,
    duration_s: float | None,
    record_dir: Path | None,
    calibrate: bool,
    feedback: FeedbackSink | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> SessionSummary:
    """Read ``source`` for ``duration_s`` wall seconds (until it ends when ``None``), recording
    and printing as it goes. The recording is closed however the loop ends (Ctrl+C included).

    ``feedback`` is the controller's device feedback, if any: its last write is let finish
    before the source closes."""
    printer = LinePrinter(out if out is not None else sys.stdout)
    err = err if err is not None else sys.stderr
    feed = SourceFeed(source)
    calibrating = False
    opened_at_s = 0.0
    if calibrate:
        controller.begin_calibration()
        calibrating = True
        err.write(f"calibration: make {STROKES_WANTED} slow strokes toward your heart\n")
    started = time.monotonic()
    feed.start()
    try:
        while not feed.ended:
            if duration_s is not None and time.monotonic() - started >= duration_s:
                break
            await asyncio.sleep(1 / 30)
            status, gaps = feed.status()
            controller.set_source_status(status, gaps)
            view = controller.step(feed.take(0.0))
            printer.print_view(view)
            if calibrating and view.calibration.state == "collecting":
                seen = view.calibration.strokes_seen
                if seen >= STROKES_WANTED or view.t_s - opened_at_s > CALIBRATION_TIMEOUT_S:
                    calibrating = False
                    result = controller.end_calibration()
                    err.write(f"calibration: {result.state} {result.message}".rstrip() + "\n")
                    if result.advice:
                        err.write(f"calibration advice: {result.advice}\n")
    finally:
        with contextlib.suppress(Exception):
            if feedback is not None:
                await feedback.aclose()
        with contextlib.suppress(Exception):
            await feed.close()
        # Whatever the source delivered before the stop is still recorded.
        status, gaps = feed.status()
        controller.set_source_status(status, gaps)
        printer.print_view(controller.step(feed.take(0.0)))
        summary = controller.finish(record_dir)
        printer.print_view(controller.view_of_finish())
    for line in summary.lines():
        err.write(line + "\n")
    return summary
