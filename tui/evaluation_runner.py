"""Running an evaluation: find labelled recordings, classify them (or read another classifier's
predictions), score each with :mod:`analysis.evaluation`, pool, and break the figures down by
``meta.json`` keys.

One recording is one task (:func:`evaluate_recording`, a picklable top-level function over a frozen
:class:`RecordingTask`), so the same code runs in-process, in a process pool (``--jobs``) or on a
Dask cluster (``--scheduler``). Workers read the recordings themselves: on a cluster every worker
must see the paths (a shared file system).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from analysis.evaluation import EvaluationSummary, RecordingScore, score_recording, summarize
from analysis.events import EventTable
from analysis.techniques import DEFAULT_TECHNIQUE, TechniqueProfile, get_profile
from firmware_bridge.recordings.model import Recording, RecordingError, RecordingMeta
from firmware_bridge.recordings.reader import LABELS_FILE, find_recordings, read_recording
from tui.errors import UsageError

PREDICTIONS_SUFFIX: Final = ".csv"
ABSENT: Final = "(absent)"
"""The breakdown value of a recording whose ``meta.json`` lacks the key."""

LONG_RUN_S: Final = 5.0
"""Without a terminal, progress lines are written only once a run has lasted this long."""

BREAKDOWN_KEYS: Final = ("technique", "sample_rate_hz", "device_profile", "calibration")
"""Breakdown keys that come first: technique, rate and device profile (every recording has them)
and ``calibration`` (``clear`` or ``in doubt``: only when the project's pipeline made the
predictions); ``simulation.<key>`` keys follow, one per condition."""

SCHEDULER_TIMEOUT_S: Final = 10.0
"""How long to try to reach a Dask scheduler before giving up."""

MAX_GROUPS: Final = 8
"""A breakdown key with more distinct values than this is binned (numbers) or left out."""

NOT_CONDITIONS: Final = frozenset({"seed", "base_seed", "index"})
"""``simulation`` keys that identify a recording rather than describe a condition."""


@dataclass(frozen=True)
class RecordingTask:
    """What one worker needs to score one recording.

    Attributes
    ----------
    path:
        The recording directory (it holds ``labels.csv``).
    name:
        The recording's name in results (its directory name, made unique by the caller).
    predictions_path:
        The events CSV to score; ``None`` runs the project pipeline instead.
    technique:
        A technique overriding ``meta.json``'s (``--technique``), or ``None``.
    timeline_png:
        Where to draw this recording's timeline (``--report``), or ``None``.
    """

    path: Path
    name: str
    predictions_path: Path | None = None
    technique: str | None = None
    timeline_png: Path | None = None


@dataclass(frozen=True)
class RecordingOutcome:
    """The result of one task.

    ``score`` is ``None`` only when the recording itself (or its technique) could not be read;
    a recording whose predictions could not be had is scored as failed (nothing detected) and
    carries ``error`` too. ``groups`` holds its breakdown values as (key, value) pairs.
    """

    name: str
    path: Path
    technique: str | None
    groups: tuple[tuple[str, str], ...]
    score: RecordingScore | None
    error: str | None = None
    calibration_doubt: str = ""
    """Why the pipeline's directions on this recording deserve doubt (its calibration failed, or
    its glides and returns looked alike), or ``""``; always ``""`` for ``--predictions``."""


@dataclass(frozen=True)
class BreakdownGroup:
    """The pooled figures of the recordings sharing one value of one breakdown key."""

    key: str
    value: str
    summary: EvaluationSummary


@dataclass(frozen=True)
class EvaluationRun:
    """Everything ``evaluate`` learned: per recording, pooled, and broken down."""

    outcomes: tuple[RecordingOutcome, ...]
    summary: EvaluationSummary
    breakdown: tuple[BreakdownGroup, ...]
    elapsed_s: float
    breakdown_skipped: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(o.error for o in self.outcomes if o.error is not None)

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` document: ``summary`` (spec keys first), ``recordings``, ``breakdown``."""
        recordings: dict[str, Any] = {}
        for outcome in self.outcomes:
            entry: dict[str, Any] = {} if outcome.score is None else outcome.score.summary_dict()
            entry.update(
                path=str(outcome.path),
                technique=outcome.technique,
                failed=outcome.score is None or outcome.score.failed,
                error=outcome.error,
                calibration_doubt=outcome.calibration_doubt or None,
                groups=dict(outcome.groups),
            )
            recordings[outcome.name] = entry
        breakdown: dict[str, dict[str, Any]] = {}
        for group in self.breakdown:
            breakdown.setdefault(group.key, {})[group.value] = group.summary.summary_dict()
        return {
            "summary": self.summary.summary_dict(),
            "recordings": recordings,
            "breakdown": breakdown,
            "confusion": self.summary.confusion.as_dict(),
            "breakdown_skipped": list(self.breakdown_skipped),
        }


def pipeline_available() -> bool:
    """Whether :class:`analysis.pipeline.StrokePipeline` is implemented yet."""
    from analysis.pipeline import StrokePipeline

    try:
        StrokePipeline(get_profile(DEFAULT_TECHNIQUE), 100.0)
    except NotImplementedError:
        return False
    return True


def labelled_recordings(paths: Iterable[Path]) -> list[Path]:
    """Recording directories at or under ``paths`` that hold ``labels.csv``, sorted."""
    return [p for p in find_recordings(paths) if (p / LABELS_FILE).is_file()]


def unique_names(directories: Sequence[Path]) -> list[str]:
    """Each directory's name, or its full path where two recordings share a name."""
    names = [d.name for d in directories]
    return [str(d) if names.count(d.name) > 1 else d.name for d in directories]


def breakdown_values(meta: RecordingMeta, technique: str) -> tuple[tuple[str, str], ...]:
    """The recording's value for every breakdown key: technique, nominal rate, device profile
    and each ``simulation`` condition (``simulation.<key>``)."""
    device_profile = meta.device.get("profile") if isinstance(meta.device, dict) else None
    values = [
        ("technique", technique),
        ("sample_rate_hz", f"{meta.sample_rate_hz:g}"),
        ("device_profile", _as_text(device_profile)),
    ]
    conditions = meta.extra.get("simulation")
    if isinstance(conditions, dict):
        values += [(f"simulation.{k}", _as_text(v)) for k, v in sorted(conditions.items())]
    return tuple(values)


def _as_text(value: object) -> str:
    if value is None:
        return ABSENT
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value, sort_keys=True)


def _read(path: Path) -> Recording:
    with warnings.catch_warnings():
        # A cut-short last line and similar notes are for `info`; scoring goes on regardless.
        warnings.simplefilter("ignore")
        return read_recording(path)


def _predictions(
    task: RecordingTask, recording: Recording, profile: TechniqueProfile
) -> tuple[EventTable, str | None, str]:
    """The events to score; when they could not be had, the one-line reason; and why the
    pipeline's directions deserve doubt (:attr:`CalibrationStatus.doubt`, "" when clear)."""
    if task.predictions_path is None:
        from analysis.pipeline import classify_samples_with_calibration

        try:
            with warnings.catch_warnings():
                # stderr carries one line per failed recording; numeric warnings of the
                # pipeline's stages would drown them (run `classify` to see those).
                warnings.simplefilter("ignore")
                events, calibration = classify_samples_with_calibration(
                    recording.samples,
                    profile,
                    recording.meta.sample_rate_hz,
                    recording.meta.calibration,
                )
        except Exception as exc:  # one recording's crash must not lose a whole corpus run
            reason = f"{task.path}: the pipeline failed: {type(exc).__name__}: {exc}"
            return EventTable(), reason, ""
        return events, None, calibration.doubt
    from firmware_bridge.recordings.events_csv import read_events

    if not task.predictions_path.is_file():
        return EventTable(), f"{task.predictions_path}: no predictions file for {task.name}", ""
    try:
        return read_events(task.predictions_path), None, ""
    except RecordingError as exc:
        return EventTable(), str(exc), ""


def evaluate_recording(task: RecordingTask) -> RecordingOutcome:
    """Read one recording, get its predictions, score them. Never raises for bad input: the
    problem comes back as the outcome's one-line ``error``."""
    try:
        recording = _read(task.path)
        technique = task.technique or recording.meta.technique or DEFAULT_TECHNIQUE
        profile = get_profile(technique)
    except ValueError as exc:  # RecordingError and ProfileError
        return RecordingOutcome(task.name, task.path, None, (), None, " ".join(str(exc).split()))
    groups = breakdown_values(recording.meta, technique)
    labels = recording.labels if recording.labels is not None else EventTable()
    predictions, error, doubt = _predictions(task, recording, profile)
    if task.predictions_path is None and error is None:
        groups += (("calibration", "in doubt" if doubt else "clear"),)
    score = score_recording(
        labels,
        predictions,
        profile,
        has_force=recording.samples.has_force,
        name=task.name,
        failed=error is not None,
    )
    if task.timeline_png is not None:
        from tui.report import timeline_png

        timeline_png(task.timeline_png, task.name, labels, predictions, score, recording.duration_s)
    error = None if error is None else " ".join(error.split())
    return RecordingOutcome(task.name, task.path, technique, groups, score, error, doubt)


def pool(outcomes: Sequence[RecordingOutcome]) -> EvaluationSummary:
    return summarize(o.score for o in outcomes if o.score is not None)


def breakdown(
    outcomes: Sequence[RecordingOutcome],
) -> tuple[tuple[BreakdownGroup, ...], tuple[str, ...]]:
    """Pooled figures per value of each breakdown key, and the keys left out.

    Keys come in :data:`BREAKDOWN_KEYS` order, then the simulation conditions alphabetically;
    values sorted. A condition with more than :data:`MAX_GROUPS` distinct values is grouped into
    quartile ranges when its values are numbers (a continuous condition such as a limb angle)
    and left out otherwise (vectors, quaternions), as are identifiers (:data:`NOT_CONDITIONS`).
    """
    scored = [o for o in outcomes if o.score is not None]
    seen = {k for o in scored for k, _ in o.groups}
    keys = [k for k in BREAKDOWN_KEYS if k in seen] + sorted(seen - set(BREAKDOWN_KEYS))
    groups: list[BreakdownGroup] = []
    skipped: list[str] = []
    for key in keys:
        if key.rpartition(".")[2] in NOT_CONDITIONS:
            skipped.append(key)
            continue
        values = [dict(o.groups).get(key, ABSENT) for o in scored]
        if len(set(values)) > MAX_GROUPS and key not in BREAKDOWN_KEYS:
            binned = quartile_labels(values)
            if binned is None:
                skipped.append(key)
                continue
            values = binned
        by_value: dict[str, list[RecordingOutcome]] = {}
        for outcome, value in zip(scored, values, strict=True):
            by_value.setdefault(value, []).append(outcome)
        groups += [
            BreakdownGroup(key, value, pool(by_value[value]))
            for value in sorted(by_value, key=_value_order)
        ]
    return tuple(groups), tuple(skipped)


def _value_order(value: str) -> tuple[int, float, str]:
    """Numbers (and quartile ranges by their lower end) in numeric order, then text."""
    head = value[1:].split(",")[0] if value.startswith("[") else value
    try:
        return (0, float(head), value)
    except ValueError:
        return (1, 0.0, value)


def quartile_labels(values: Sequence[str]) -> list[str] | None:
    """Each value replaced by its quartile range ``[lo, hi)`` (the last closed), or ``None``
    when some value is not a number."""
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        return None
    ordered = sorted(numbers)
    edges = [ordered[round(q * (len(ordered) - 1))] for q in (0.0, 0.25, 0.5, 0.75, 1.0)]
    edges = sorted(set(edges))
    labels = []
    for x in numbers:
        i = max(j for j in range(len(edges) - 1) if x >= edges[j]) if len(edges) > 1 else 0
        lo, hi = edges[i], edges[min(i + 1, len(edges) - 1)]
        closing = "]" if i >= len(edges) - 2 else ")"
        labels.append(f"[{lo:.3g}, {hi:.3g}{closing}")
    return labels


class Progress:
    """Progress of a run on stderr: a bar on a terminal; otherwise, once the run has lasted
    :data:`LONG_RUN_S`, a line at every tenth of the recordings."""

    def __init__(self, total: int, *, enabled: bool = True) -> None:
        self._total = total
        self._done = 0
        self._started = time.monotonic()
        self._tty = enabled and sys.stderr.isatty()
        self._lines = enabled and not self._tty
        self._step = max(1, total // 10)
        self._bar: Any = None
        self._bar_task: Any = None

    def __enter__(self) -> Progress:
        if self._tty:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("evaluating"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._bar_task = self._bar.add_task("evaluate", total=self._total)
        return self

    def advance(self) -> None:
        self._done += 1
        if self._bar is not None:
            self._bar.advance(self._bar_task)
        elif self._lines and (self._done % self._step == 0 or self._done == self._total):
            elapsed_s = time.monotonic() - self._started
            if elapsed_s < LONG_RUN_S:
                return
            sys.stderr.write(
                f"evaluated {self._done}/{self._total} recordings ({elapsed_s:.0f} s)\n"
            )
            sys.stderr.flush()

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _in_process(tasks: Sequence[RecordingTask], bar: Progress) -> list[RecordingOutcome]:
    outcomes = []
    with bar:
        for task in tasks:
            outcomes.append(evaluate_recording(task))
            bar.advance()
    return outcomes


def _in_process_pool(
    tasks: Sequence[RecordingTask], jobs: int, bar: Progress
) -> list[RecordingOutcome]:
    results: list[RecordingOutcome | None] = [None] * len(tasks)
    with ProcessPoolExecutor(max_workers=jobs) as executor:
        futures: dict[Future[RecordingOutcome], int] = {
            executor.submit(evaluate_recording, task): i for i, task in enumerate(tasks)
        }
        # Workers are forked by now; only now may the bar start its refresh thread (forking a
        # process that runs threads can deadlock the child).
        with bar:
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.advance()
    return [r for r in results if r is not None]


def _on_dask(tasks: Sequence[RecordingTask], address: str, bar: Progress) -> list[RecordingOutcome]:
    try:
        distributed: Any = importlib.import_module("distributed")
    except ImportError:
        raise UsageError(
            "--scheduler needs Dask: install the optional extra (pip install 'massage-coach[dask]')"
        ) from None
    try:
        client = distributed.Client(address, timeout=f"{SCHEDULER_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        futures = client.map(evaluate_recording, list(tasks), pure=False)
        with bar:
            for _ in distributed.as_completed(futures):
                bar.advance()
        results: list[RecordingOutcome] = client.gather(futures)
    finally:
        client.close()
    return results


def run_evaluation(
    paths: Sequence[Path],
    *,
    predictions_dir: Path | None = None,
    technique: str | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    report_dir: Path | None = None,
    progress: bool = True,
) -> EvaluationRun:
    """Evaluate every labelled recording under ``paths``.

    Parameters
    ----------
    paths:
        Recording directories or directories searched recursively.
    predictions_dir:
        Score ``predictions_dir/<recording name>.csv`` instead of running the project pipeline.
    technique:
        Score every recording under this technique's profile instead of its ``meta.json``'s.
    jobs:
        Worker processes (1 runs in this process).
    scheduler:
        A Dask scheduler address; recordings are mapped onto that cluster instead.
    report_dir:
        Where each recording's timeline PNG is drawn (by the worker that scored it).
    progress:
        Show progress on stderr (a bar on a terminal; lines on long runs otherwise).

    Raises
    ------
    UsageError, RecordingError, ProfileError
        Bad command-line input: nothing to evaluate, an unknown technique, a missing
        predictions directory, the pipeline not built yet, an unreachable scheduler.
    """
    started = time.monotonic()
    if technique is not None:
        get_profile(technique)
    if predictions_dir is not None and not predictions_dir.is_dir():
        raise UsageError(f"{predictions_dir}: no such predictions directory")
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    directories = labelled_recordings(paths)
    if not directories:
        shown = " ".join(str(p) for p in paths)
        raise UsageError(
            f"no labelled recordings (directories with meta.json and {LABELS_FILE}) under {shown}"
        )
    if predictions_dir is None and not pipeline_available():
        raise UsageError(
            "the project pipeline is not built yet; score another classifier's events with "
            "--predictions DIR"
        )
    names = unique_names(directories)
    tasks = [
        RecordingTask(
            path=directory,
            name=name,
            predictions_path=None
            if predictions_dir is None
            else predictions_dir / f"{directory.name}{PREDICTIONS_SUFFIX}",
            technique=technique,
            timeline_png=None if report_dir is None else report_dir / timeline_file_name(name),
        )
        for directory, name in zip(directories, names, strict=True)
    ]
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
    bar = Progress(len(tasks), enabled=progress)
    if scheduler is not None:
        outcomes = _on_dask(tasks, scheduler, bar)
    elif jobs > 1 and len(tasks) > 1:
        outcomes = _in_process_pool(tasks, min(jobs, len(tasks)), bar)
    else:
        outcomes = _in_process(tasks, bar)
    groups, skipped = breakdown(outcomes)
    return EvaluationRun(
        outcomes=tuple(outcomes),
        summary=pool(outcomes),
        breakdown=groups,
        elapsed_s=time.monotonic() - started,
        breakdown_skipped=skipped,
    )


def timeline_file_name(name: str) -> str:
    """A file name for a recording's timeline PNG (path separators of unique names flattened)."""
    safe = name.strip(os.sep).replace(os.sep, "_") or "recording"
    return f"timeline_{safe}.png"
