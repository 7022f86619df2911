"""Scoring a classifier's strokes and cues against labelled recordings (spec: "Cues", "Scoring").

Pure functions over :mod:`analysis.events` types; no file or terminal I/O. The ``evaluate``
command (:mod:`tui.evaluation_runner`) reads recordings and predictions and calls these.
"""

from analysis.evaluation.cues import (
    SCORED_CUES,
    CueScore,
    OwedWindow,
    cadences_spm,
    is_lighter_false_alarm,
    is_slow_down_false_alarm,
    is_switch_up_false_alarm,
    lighter_windows,
    score_cues,
    slow_down_windows,
    switch_up_windows,
)
from analysis.evaluation.matching import MIN_IOU, Match, match_strokes, temporal_iou
from analysis.evaluation.scoring import (
    SPEC_SUMMARY_KEYS,
    UNKNOWN_DIRECTION,
    ConfusionMatrix,
    CueSummary,
    EvaluationSummary,
    RecordingScore,
    f1_score,
    ratio,
    score_recording,
    summarize,
)

__all__ = [
    "MIN_IOU",
    "SCORED_CUES",
    "SPEC_SUMMARY_KEYS",
    "UNKNOWN_DIRECTION",
    "ConfusionMatrix",
    "CueScore",
    "CueSummary",
    "EvaluationSummary",
    "Match",
    "OwedWindow",
    "RecordingScore",
    "cadences_spm",
    "f1_score",
    "is_lighter_false_alarm",
    "is_slow_down_false_alarm",
    "is_switch_up_false_alarm",
    "lighter_windows",
    "match_strokes",
    "ratio",
    "score_cues",
    "score_recording",
    "slow_down_windows",
    "summarize",
    "switch_up_windows",
    "temporal_iou",
]
