"""Scoring one recording's detected events against its labels, and pooling over recordings
(spec: "Scoring").

Per recording, :func:`score_recording` keeps counts and the individual errors, not ratios, so that
:func:`summarize` can pool exactly as the spec says: sums of counts, then ratios; medians over all
pooled errors. A ratio whose denominator is zero is ``None``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from analysis.evaluation.cues import SCORED_CUES, CueScore, score_cues
from analysis.evaluation.matching import Match, match_strokes
from analysis.events import (
    CUE_LIGHTER,
    CUE_SLOW_DOWN,
    CUE_SWITCH_UP,
    DIRECTIONS,
    LINEAR_DIRECTIONS,
    OTHER_DIRECTIONS,
    EventTable,
    Stroke,
)
from analysis.techniques import TechniqueProfile

UNKNOWN_DIRECTION: Final = "unknown"
"""What the pipeline emits when it cannot tell a stroke's direction; a column of the matrix."""

SPEC_SUMMARY_KEYS: Final = (
    "detect_precision",
    "detect_recall",
    "detect_f1",
    "direction_acc_linear",
    "other_acc",
    "cadence_err_median",
    "switch_up_recall",
    "switch_up_false",
    "switch_up_latency_median",
    "slow_down_recall",
    "slow_down_false",
    "lighter_recall",
    "lighter_false",
)
"""The keys the spec requires in ``evaluate --json``'s ``summary``, in the spec's order."""


def ratio(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``, or ``None`` when the denominator is zero (spec)."""
    return numerator / denominator if denominator else None


def f1_score(precision: float | None, recall: float | None) -> float | None:
    """Harmonic mean of precision and recall; ``None`` when either is undefined, 0 when both are 0."""
    if precision is None or recall is None:
        return None
    total = precision + recall
    return 2.0 * precision * recall / total if total > 0.0 else 0.0


def median_or_none(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass(frozen=True)
class ConfusionMatrix:
    """Labelled direction (rows) against detected direction (columns) over matched strokes.

    ``missed[i]`` counts labelled strokes of row i that matched nothing; ``invented[j]`` counts
    detected strokes of column j that matched no label. Rows are the spec's four directions (plus
    any other labelled direction met); columns add ``unknown`` and any other detected direction.
    """

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    missed: tuple[int, ...]
    invented: tuple[int, ...]

    def count(self, label: str, detected: str) -> int:
        if label not in self.rows or detected not in self.columns:
            return 0
        return self.counts[self.rows.index(label)][self.columns.index(detected)]

    @classmethod
    def build(
        cls,
        pairs: Iterable[tuple[str, str]],
        missed: Iterable[str] = (),
        invented: Iterable[str] = (),
    ) -> ConfusionMatrix:
        """From (label direction, detected direction) pairs and the unmatched strokes' directions."""
        pairs = list(pairs)
        missed = list(missed)
        invented = list(invented)
        rows = _ordered(DIRECTIONS, [p[0] for p in pairs] + missed)
        columns = _ordered((*DIRECTIONS, UNKNOWN_DIRECTION), [p[1] for p in pairs] + invented)
        counts = [[0] * len(columns) for _ in rows]
        for label, detected in pairs:
            counts[rows.index(label)][columns.index(detected)] += 1
        return cls(
            rows,
            columns,
            tuple(tuple(r) for r in counts),
            tuple(missed.count(r) for r in rows),
            tuple(invented.count(c) for c in columns),
        )

    @classmethod
    def combine(cls, matrices: Iterable[ConfusionMatrix]) -> ConfusionMatrix:
        """The sum of several matrices (rows and columns united)."""
        pairs: list[tuple[str, str]] = []
        missed: list[str] = []
        invented: list[str] = []
        for m in matrices:
            for i, row in enumerate(m.rows):
                for j, column in enumerate(m.columns):
                    pairs += [(row, column)] * m.counts[i][j]
                missed += [row] * m.missed[i]
            for j, column in enumerate(m.columns):
                invented += [column] * m.invented[j]
        return cls.build(pairs, missed, invented)

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": list(self.rows),
            "columns": list(self.columns),
            "counts": [list(r) for r in self.counts],
            "missed": list(self.missed),
            "invented": list(self.invented),
        }


def _ordered(first: Sequence[str], seen: Iterable[str]) -> tuple[str, ...]:
    extra = sorted(set(seen) - set(first))
    return (*first, *extra)


@dataclass(frozen=True)
class RecordingScore:
    """Counts and errors of one recording, before pooling.

    Attributes
    ----------
    name:
        The recording's name (its directory name).
    labelled, detected, matched:
        Labelled strokes, detected strokes, matched pairs.
    linear_matched, linear_correct:
        Matched pairs whose label is ``up``/``down``, and of those, with the same detected direction.
    other_matched, other_correct:
        Likewise for ``cross``/``circular``.
    confusion:
        The direction confusion matrix with missed and invented strokes.
    cadence_errors:
        The relative cadence errors (dimensionless) of every labelled linear stroke k ≥ 3 whose
        strokes k−3…k are all matched.
    force_errors_n:
        ``|detected force − labelled force|`` in N over matched strokes where both carry force.
    emit_latencies_s:
        ``emitted − end`` of detected strokes that carry ``emitted`` (the decision delay).
    cues:
        One :class:`CueScore` per scored cue, in :data:`SCORED_CUES` order.
    matches:
        The matched pairs, indices into the labelled and detected strokes sorted by onset.
    failed:
        The recording could not be classified (or its predictions read); scored as if nothing
        had been detected.
    """

    name: str
    labelled: int
    detected: int
    matched: int
    linear_matched: int
    linear_correct: int
    other_matched: int
    other_correct: int
    confusion: ConfusionMatrix
    cadence_errors: tuple[float, ...]
    force_errors_n: tuple[float, ...]
    emit_latencies_s: tuple[float, ...]
    cues: tuple[CueScore, ...]
    matches: tuple[Match, ...] = ()
    failed: bool = False

    def cue(self, name: str) -> CueScore:
        for score in self.cues:
            if score.cue == name:
                return score
        raise KeyError(name)

    def summary(self) -> EvaluationSummary:
        """This recording's figures on their own."""
        return summarize([self])

    def summary_dict(self) -> dict[str, float | int | None]:
        return self.summary().summary_dict()


def by_onset(strokes: Iterable[Stroke]) -> tuple[Stroke, ...]:
    return tuple(sorted(strokes, key=lambda s: (s.onset_s, s.duration_s)))


def cadence_errors(
    labelled_linear_indices: Sequence[int],
    labelled: Sequence[Stroke],
    detected: Sequence[Stroke],
    detected_for_label: Mapping[int, int],
) -> tuple[float, ...]:
    """Relative cadence error at each labelled linear stroke k ≥ 3 with k−3…k all matched.

    ``|(onset_k − onset_{k−3}) / (pred onset_k − pred onset_{k−3}) − 1|``; a predicted interval of
    zero gives an infinite error (the prediction has no cadence at all there).
    """
    errors = []
    for position in range(3, len(labelled_linear_indices)):
        window = labelled_linear_indices[position - 3 : position + 1]
        if not all(i in detected_for_label for i in window):
            continue
        first, last = window[0], window[-1]
        true_s = labelled[last].onset_s - labelled[first].onset_s
        pred_s = (
            detected[detected_for_label[last]].onset_s - detected[detected_for_label[first]].onset_s
        )
        errors.append(abs(true_s / pred_s - 1.0) if pred_s != 0.0 else math.inf)
    return tuple(errors)


def score_recording(
    labels: EventTable,
    predictions: EventTable,
    profile: TechniqueProfile,
    *,
    has_force: bool,
    name: str = "",
    failed: bool = False,
) -> RecordingScore:
    """Score one recording's predicted strokes and cues against its labels (spec: "Scoring").

    Parameters
    ----------
    labels:
        The ground truth (``labels.csv``).
    predictions:
        The classifier's events. A failed recording is scored with an empty table: every
        labelled stroke missed, every owed cue missed.
    profile:
        The technique profile whose cue rules apply to the recording.
    has_force:
        Whether the recording has a ``force`` channel (the ``lighter`` rule needs it).
    name:
        The recording's name, carried into the result.
    failed:
        Marks the result as a failed recording.
    """
    labelled = by_onset(labels.strokes)
    detected = by_onset(predictions.strokes)
    matches = match_strokes(labelled, detected)
    detected_for_label = {m.label_index: m.detected_index for m in matches}

    pairs = [
        (labelled[m.label_index].direction, detected[m.detected_index].direction) for m in matches
    ]
    linear_pairs = [(a, b) for a, b in pairs if a in LINEAR_DIRECTIONS]
    other_pairs = [(a, b) for a, b in pairs if a in OTHER_DIRECTIONS]
    matched_detected = set(detected_for_label.values())
    confusion = ConfusionMatrix.build(
        pairs,
        missed=[s.direction for i, s in enumerate(labelled) if i not in detected_for_label],
        invented=[s.direction for j, s in enumerate(detected) if j not in matched_detected],
    )

    linear_indices = [i for i, s in enumerate(labelled) if s.is_linear]
    force_errors = tuple(
        abs(d.force_n - s.force_n)
        for m in matches
        if (s := labelled[m.label_index]).force_n is not None
        and (d := detected[m.detected_index]).force_n is not None
    )
    emit_latencies = tuple(s.emitted_s - s.end_s for s in detected if s.emitted_s is not None)
    cues = score_cues(
        [labelled[i] for i in linear_indices], predictions.cues, profile, has_force=has_force
    )
    return RecordingScore(
        name=name,
        labelled=len(labelled),
        detected=len(detected),
        matched=len(matches),
        linear_matched=len(linear_pairs),
        linear_correct=sum(a == b for a, b in linear_pairs),
        other_matched=len(other_pairs),
        other_correct=sum(a == b for a, b in other_pairs),
        confusion=confusion,
        cadence_errors=cadence_errors(linear_indices, labelled, detected, detected_for_label),
        force_errors_n=force_errors,
        emit_latencies_s=emit_latencies,
        cues=cues,
        matches=matches,
        failed=failed,
    )


@dataclass(frozen=True)
class CueSummary:
    """One cue's figures pooled over recordings.

    ``recall`` is hits / owed (``None`` when nothing was owed); ``latency_median_s`` is the median
    of first-cue-in-window minus ``end_k`` over all hit windows.
    """

    cue: str
    owed: int
    hits: int
    issued: int
    false_alarms: int
    repeats: int
    latency_median_s: float | None

    @property
    def recall(self) -> float | None:
        return ratio(self.hits, self.owed)


@dataclass(frozen=True)
class EvaluationSummary:
    """Figures pooled over recordings: sums of counts, then ratios (spec: "Scoring").

    Ratios are ``None`` where their denominator is zero. Medians are over all the recordings'
    individual errors together.
    """

    recordings: int
    failed: int
    labelled: int
    detected: int
    matched: int
    linear_matched: int
    linear_correct: int
    other_matched: int
    other_correct: int
    cadence_err_median: float | None
    cadence_err_count: int
    force_err_median_n: float | None
    force_err_count: int
    emit_latency_median_s: float | None
    confusion: ConfusionMatrix
    cues: tuple[CueSummary, ...]

    @property
    def detect_precision(self) -> float | None:
        return ratio(self.matched, self.detected)

    @property
    def detect_recall(self) -> float | None:
        return ratio(self.matched, self.labelled)

    @property
    def detect_f1(self) -> float | None:
        return f1_score(self.detect_precision, self.detect_recall)

    @property
    def direction_acc_linear(self) -> float | None:
        return ratio(self.linear_correct, self.linear_matched)

    @property
    def other_acc(self) -> float | None:
        return ratio(self.other_correct, self.other_matched)

    def cue(self, name: str) -> CueSummary:
        for summary in self.cues:
            if summary.cue == name:
                return summary
        raise KeyError(name)

    def summary_dict(self) -> dict[str, float | int | None]:
        """The spec's ``summary`` keys first, in its order, then extra figures.

        Non-finite values (an infinite cadence error) become ``None`` so the dict is valid JSON.
        """
        switch_up = self.cue(CUE_SWITCH_UP)
        slow_down = self.cue(CUE_SLOW_DOWN)
        lighter = self.cue(CUE_LIGHTER)
        figures: dict[str, float | int | None] = {
            "detect_precision": self.detect_precision,
            "detect_recall": self.detect_recall,
            "detect_f1": self.detect_f1,
            "direction_acc_linear": self.direction_acc_linear,
            "other_acc": self.other_acc,
            "cadence_err_median": self.cadence_err_median,
            "switch_up_recall": switch_up.recall,
            "switch_up_false": switch_up.false_alarms,
            "switch_up_latency_median": switch_up.latency_median_s,
            "slow_down_recall": slow_down.recall,
            "slow_down_false": slow_down.false_alarms,
            "lighter_recall": lighter.recall,
            "lighter_false": lighter.false_alarms,
            # Extras beyond the spec's list.
            "recordings": self.recordings,
            "failed_recordings": self.failed,
            "labelled_strokes": self.labelled,
            "detected_strokes": self.detected,
            "matched_strokes": self.matched,
            "linear_matched": self.linear_matched,
            "other_matched": self.other_matched,
            "cadence_err_count": self.cadence_err_count,
            "force_err_median_n": self.force_err_median_n,
            "force_err_count": self.force_err_count,
            "emit_latency_median_s": self.emit_latency_median_s,
        }
        for cue in self.cues:
            figures[f"{cue.cue}_owed"] = cue.owed
            figures[f"{cue.cue}_hits"] = cue.hits
            figures[f"{cue.cue}_issued"] = cue.issued
            figures[f"{cue.cue}_repeats_within_5s"] = cue.repeats
            if cue.cue != CUE_SWITCH_UP:
                figures[f"{cue.cue}_latency_median"] = cue.latency_median_s
        return {
            k: None if isinstance(v, float) and not math.isfinite(v) else v
            for k, v in figures.items()
        }


def summarize(scores: Iterable[RecordingScore]) -> EvaluationSummary:
    """Pool recordings' scores: sums of counts, then ratios; medians over all pooled errors."""
    scores = list(scores)
    cue_summaries = []
    for name in SCORED_CUES:
        per_recording = [s.cue(name) for s in scores]
        latencies = [t for c in per_recording for t in c.latencies_s]
        cue_summaries.append(
            CueSummary(
                cue=name,
                owed=sum(c.owed for c in per_recording),
                hits=sum(c.hits for c in per_recording),
                issued=sum(c.issued for c in per_recording),
                false_alarms=sum(c.false_alarms for c in per_recording),
                repeats=sum(c.repeats for c in per_recording),
                latency_median_s=median_or_none(latencies),
            )
        )
    cadence = [e for s in scores for e in s.cadence_errors]
    force = [e for s in scores for e in s.force_errors_n]
    emit = [e for s in scores for e in s.emit_latencies_s]
    return EvaluationSummary(
        recordings=len(scores),
        failed=sum(s.failed for s in scores),
        labelled=sum(s.labelled for s in scores),
        detected=sum(s.detected for s in scores),
        matched=sum(s.matched for s in scores),
        linear_matched=sum(s.linear_matched for s in scores),
        linear_correct=sum(s.linear_correct for s in scores),
        other_matched=sum(s.other_matched for s in scores),
        other_correct=sum(s.other_correct for s in scores),
        cadence_err_median=median_or_none(cadence),
        cadence_err_count=len(cadence),
        force_err_median_n=median_or_none(force),
        force_err_count=len(force),
        emit_latency_median_s=median_or_none(emit),
        confusion=ConfusionMatrix.combine(s.confusion for s in scores),
        cues=tuple(cue_summaries),
    )
