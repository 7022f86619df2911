"""PNG plots of an evaluation (``evaluate --report DIR``), drawn with matplotlib's Agg backend.

- :func:`confusion_matrix_png`: labelled against detected direction, with missed and invented
  strokes, counts written in every cell and colour by share of the row.
- :func:`timeline_png`: one recording, cut into rows of a minute: labelled strokes above detected
  strokes, coloured by direction; unmatched strokes hatched; each cue's owed windows shaded (green
  when a cue came inside, red when missed) with the issued cues as ticks and false alarms as
  crosses.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Final

from analysis.evaluation import ConfusionMatrix, CueScore, RecordingScore
from analysis.evaluation.matching import Match
from analysis.events import EventTable, Stroke

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

DIRECTION_COLOURS: Final = {
    "up": "#2a9d8f",
    "down": "#e76f51",
    "cross": "#8d6cc4",
    "circular": "#e9c46a",
    "unknown": "#9e9e9e",
}
OTHER_COLOUR: Final = "#5c5c5c"
HIT_COLOUR: Final = "#b7e4c7"
MISS_COLOUR: Final = "#f4a6a6"
CUE_COLOURS: Final = {"switch_up": "#1d3557", "slow_down": "#6a4c93", "lighter": "#bc4749"}
ROW_SPAN_S: Final = 60.0
"""A timeline row covers this much recording; longer recordings get more rows."""
MAX_ROWS: Final = 12
"""Beyond this many rows, rows get longer instead, so the picture stays readable."""


def _pyplot() -> ModuleType:
    import matplotlib

    matplotlib.use("Agg")  # no display: files only, also in worker processes
    import matplotlib.pyplot as plt

    return plt


def confusion_matrix_png(path: Path, confusion: ConfusionMatrix, title: str = "") -> Path:
    """Draw ``confusion`` to ``path`` (PNG) and return the path.

    Rows are labelled directions plus ``invented`` (detected strokes matching no label); columns
    are detected directions plus ``missed`` (labels matching nothing).
    """
    plt = _pyplot()
    rows = [*confusion.rows, "invented"]
    columns = [*confusion.columns, "missed"]
    counts = [[*row, miss] for row, miss in zip(confusion.counts, confusion.missed, strict=True)]
    counts.append([*confusion.invented, 0])
    shares = [[c / max(1, sum(row)) for c in row] for row in counts]

    fig, ax = plt.subplots(figsize=(1.2 * len(columns) + 2.5, 0.8 * len(rows) + 2.0), dpi=110)
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    for i, row in enumerate(counts):
        for j, count in enumerate(row):
            if i == len(rows) - 1 and j == len(columns) - 1:
                continue  # "invented" and "missed" do not meet
            dark = shares[i][j] > 0.55
            ax.text(
                j, i, str(count), ha="center", va="center", fontsize=11,
                color="white" if dark else "black",
            )  # fmt: skip
    ax.set_xticks(range(len(columns)), columns)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("detected direction")
    ax.set_ylabel("labelled direction")
    ax.axhline(len(rows) - 1.5, color="black", linewidth=1.0)
    ax.axvline(len(columns) - 1.5, color="black", linewidth=1.0)
    matched = sum(map(sum, confusion.counts))
    ax.set_title(title or f"Stroke directions ({matched} matched strokes)")
    fig.colorbar(image, ax=ax, label="share of the row")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def timeline_png(
    path: Path,
    name: str,
    labels: EventTable,
    predictions: EventTable,
    score: RecordingScore,
    duration_s: float,
) -> Path:
    """Draw one recording's labelled vs detected strokes and its cues to ``path`` (PNG).

    Parameters
    ----------
    labels, predictions:
        The recording's ground truth and the classifier's events (seconds on the recording clock).
    score:
        The recording's score: which strokes matched, each cue's owed windows and false alarms.
    duration_s:
        The recording's length; the time axis covers at least this.
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    labelled = sorted(labels.strokes, key=lambda s: (s.onset_s, s.duration_s))
    detected = sorted(predictions.strokes, key=lambda s: (s.onset_s, s.duration_s))
    last_s = max(
        [duration_s, *(s.end_s for s in labelled), *(s.end_s for s in detected)]
        + [c.onset_s for c in predictions.cues]
    )
    n_rows = max(1, math.ceil(last_s / ROW_SPAN_S))
    span_s = ROW_SPAN_S if n_rows <= MAX_ROWS else last_s / MAX_ROWS
    n_rows = min(n_rows, MAX_ROWS)
    cue_lanes = [c for c in score.cues if c.applies or c.issued]

    fig, axes = plt.subplots(
        n_rows, 1, figsize=(16, 0.5 * (2 + len(cue_lanes)) * n_rows + 2.0), dpi=100, squeeze=False
    )
    lanes = ["labelled", "detected", *(c.cue for c in cue_lanes)]
    for row, ax in enumerate(axes[:, 0]):
        start_s = row * span_s
        _strokes_lane(ax, labelled, score.matches, 0, matched_side="label")
        _strokes_lane(ax, detected, score.matches, 1, matched_side="detected")
        _mark_wrong_directions(ax, labelled, detected, score.matches)
        for lane, cue in enumerate(cue_lanes, start=2):
            _cue_lane(ax, cue, [c.onset_s for c in predictions.cues if c.cue == cue.cue], lane)
        ax.set_xlim(start_s, start_s + span_s)
        ax.set_ylim(len(lanes) - 0.4, -0.6)
        ax.set_yticks(range(len(lanes)), lanes)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    axes[-1, 0].set_xlabel("recording time (s)")

    summary = score.summary_dict()
    headline = (
        f"{name}: F1 {_figure(summary['detect_f1'])}, "
        f"up/down accuracy {_figure(summary['direction_acc_linear'])}, "
        f"{score.matched}/{score.labelled} labelled strokes matched, {score.detected} detected"
        + ("  [FAILED: nothing detected]" if score.failed else "")
    )
    fig.suptitle(headline, fontsize=12, x=0.01, ha="left")
    legend: list[Artist] = [
        Patch(facecolor=c, edgecolor="black", label=d) for d, c in DIRECTION_COLOURS.items()
    ]
    legend += [
        Patch(facecolor="white", edgecolor="black", hatch="///", label="unmatched stroke"),
        Patch(facecolor="white", edgecolor="red", linewidth=2, label="wrong direction"),
        Patch(facecolor=HIT_COLOUR, label="cue owed, given in time"),
        Patch(facecolor=MISS_COLOUR, label="cue owed, missed"),
        Line2D([], [], color="black", marker="|", linestyle="", markersize=12, label="cue issued"),
        Line2D([], [], color="red", marker="x", linestyle="", markersize=8, label="false alarm"),
    ]
    fig.legend(
        handles=legend, loc="lower center", ncol=6, fontsize=9, frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )  # fmt: skip
    legend_in = 0.55
    fig.tight_layout(rect=(0, legend_in / fig.get_figheight(), 1, 0.97))
    fig.savefig(path)
    plt.close(fig)
    return path


def _figure(value: float | int | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _strokes_lane(
    ax: Axes, strokes: list[Stroke], matches: tuple[Match, ...], lane: int, *, matched_side: str
) -> None:
    matched = {m.label_index if matched_side == "label" else m.detected_index for m in matches}
    for i, stroke in enumerate(strokes):
        ax.broken_barh(
            [(stroke.onset_s, max(stroke.duration_s, 0.05))],
            (lane - 0.35, 0.7),
            facecolors=DIRECTION_COLOURS.get(stroke.direction, OTHER_COLOUR),
            edgecolors="black",
            linewidth=0.4,
            hatch=None if i in matched else "///",
        )


def _mark_wrong_directions(
    ax: Axes, labelled: list[Stroke], detected: list[Stroke], matches: tuple[Match, ...]
) -> None:
    for m in matches:
        label, found = labelled[m.label_index], detected[m.detected_index]
        if label.direction != found.direction:
            ax.broken_barh(
                [(found.onset_s, max(found.duration_s, 0.05))],
                (1 - 0.35, 0.7),
                facecolors="none",
                edgecolors="red",
                linewidth=2.0,
            )


def _cue_lane(ax: Axes, cue_score: CueScore, issued_s: list[float], lane: int) -> None:
    for window, hit_s in zip(cue_score.windows, cue_score.hit_times_s, strict=True):
        ax.broken_barh(
            [(window.start_s, window.end_s - window.start_s)],
            (lane - 0.4, 0.8),
            facecolors=HIT_COLOUR if hit_s is not None else MISS_COLOUR,
        )
    colour = CUE_COLOURS.get(cue_score.cue, OTHER_COLOUR)
    ax.plot(issued_s, [lane] * len(issued_s), "|", color=colour, markersize=14, markeredgewidth=2)
    false_s = list(cue_score.false_alarm_times_s)
    ax.plot(false_s, [lane] * len(false_s), "x", color="red", markersize=9, markeredgewidth=2)
