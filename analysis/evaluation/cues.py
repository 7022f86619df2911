"""Owed cue windows and false-alarm rules (spec: "Cues: what the user must be told, and when").

Everything here is computed from the labelled linear strokes L (``up``/``down``, time order) and
the technique profile; the classifier's cues are then held against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

from analysis.events import CUE_LIGHTER, CUE_SLOW_DOWN, CUE_SWITCH_UP, Cue, Stroke
from analysis.techniques import TechniqueProfile

SCORED_CUES: Final = (CUE_SWITCH_UP, CUE_SLOW_DOWN, CUE_LIGHTER)
"""The cues the spec defines owed windows and false alarms for, in report order."""

MIN_WINDOW_S: Final = 4.0
"""An owed window lasts at least until the owing stroke's end + 4 s."""

CADENCE_OWED_FACTOR: Final = 1.25
CADENCE_CALM_FACTOR: Final = 0.85
CADENCE_CALM_RECENT_S: Final = 10.0
FORCE_CALM_FACTOR: Final = 0.8
REPEAT_INTERVAL_S: Final = 5.0
"""A cue is not repeated for the same condition more than once every 5 s."""


@dataclass(frozen=True)
class OwedWindow:
    """A stretch of time in which a cue was owed to the user.

    Attributes
    ----------
    cue:
        The cue's name (``switch_up`` …).
    stroke_index:
        k, the index into the labelled linear strokes L of the stroke that made the cue owed.
    start_s, end_s:
        The window, inclusive at both ends, seconds on the recording clock.
    stroke_end_s:
        ``end_k`` of the stroke that made the cue owed (latency is measured from here).
    """

    cue: str
    stroke_index: int
    start_s: float
    end_s: float
    stroke_end_s: float

    def contains(self, t_s: float) -> bool:
        return self.start_s <= t_s <= self.end_s


@dataclass(frozen=True)
class CueScore:
    """How one recording's cues of one name compare with what was owed.

    Attributes
    ----------
    cue:
        The cue's name.
    applies:
        Whether the profile (and, for ``lighter``, the recording) makes this cue's rules apply.
        When not, nothing is owed and nothing is a false alarm.
    windows:
        The owed windows, in time order.
    hit_times_s:
        For each window, the time of the first issued cue inside it, or ``None`` (missed).
    issued:
        How many cues of this name the classifier issued.
    false_alarm_times_s:
        When the issued cues that meet the false-alarm rule were issued.
    repeats:
        How many were issued less than 5 s after the previous cue of the same name (the spec
        forbids that; an extra figure, not a spec one).
    """

    cue: str
    applies: bool
    windows: tuple[OwedWindow, ...]
    hit_times_s: tuple[float | None, ...]
    issued: int
    false_alarm_times_s: tuple[float, ...]
    repeats: int

    @property
    def false_alarms(self) -> int:
        """How many issued cues meet the false-alarm rule."""
        return len(self.false_alarm_times_s)

    @property
    def owed(self) -> int:
        return len(self.windows)

    @property
    def hits(self) -> int:
        return sum(t is not None for t in self.hit_times_s)

    @property
    def latencies_s(self) -> tuple[float, ...]:
        """First cue inside each hit window minus ``end_k`` of the stroke that made it owed."""
        return tuple(
            t - w.stroke_end_s
            for w, t in zip(self.windows, self.hit_times_s, strict=True)
            if t is not None
        )


def cadences_spm(linear: Sequence[Stroke]) -> tuple[float | None, ...]:
    """``cadence_k = 180 / (onset_k − onset_{k−3})`` strokes/min for k ≥ 3, ``None`` before.

    A non-positive interval (strokes labelled at the same onset) has no cadence.
    """
    result: list[float | None] = []
    for k, stroke in enumerate(linear):
        interval_s = stroke.onset_s - linear[k - 3].onset_s if k >= 3 else 0.0
        result.append(180.0 / interval_s if interval_s > 0.0 else None)
    return tuple(result)


def _window_end(linear: Sequence[Stroke], k: int, ahead: int) -> float:
    """The later of ``end_{k+ahead}`` (when that stroke exists) and ``end_k + 4 s``."""
    end_s = linear[k].end_s + MIN_WINDOW_S
    if k + ahead < len(linear):
        end_s = max(end_s, linear[k + ahead].end_s)
    return end_s


def _window(cue: str, linear: Sequence[Stroke], k: int, ahead: int) -> OwedWindow:
    return OwedWindow(cue, k, linear[k].onset_s, _window_end(linear, k, ahead), linear[k].end_s)


def switch_up_windows(linear: Sequence[Stroke]) -> tuple[OwedWindow, ...]:
    """Owed at each k where L_k and L_{k−1} are ``down`` and L_{k−2} is not (or does not exist)."""
    windows = []
    for k in range(1, len(linear)):
        if linear[k].direction != "down" or linear[k - 1].direction != "down":
            continue
        if k >= 2 and linear[k - 2].direction == "down":
            continue
        windows.append(_window(CUE_SWITCH_UP, linear, k, ahead=1))
    return tuple(windows)


def slow_down_windows(linear: Sequence[Stroke], limit_spm: float) -> tuple[OwedWindow, ...]:
    """Owed at the first k of each run of consecutive k with ``cadence_k > 1.25 C``."""
    windows = []
    previous_fast = False
    for k, cadence in enumerate(cadences_spm(linear)):
        fast = cadence is not None and cadence > CADENCE_OWED_FACTOR * limit_spm
        if fast and not previous_fast:
            windows.append(_window(CUE_SLOW_DOWN, linear, k, ahead=2))
        previous_fast = fast
    return tuple(windows)


def _exceeds(stroke: Stroke, limit_n: float) -> bool:
    return stroke.force_n is not None and stroke.force_n > limit_n


def lighter_windows(linear: Sequence[Stroke], limit_n: float) -> tuple[OwedWindow, ...]:
    """Owed at each stroke whose force exceeds F while the previous stroke's did not.

    The first stroke has no previous stroke, so it is owed when it exceeds F. A stroke labelled
    without force does not exceed F.
    """
    windows = []
    for k, stroke in enumerate(linear):
        if _exceeds(stroke, limit_n) and (k == 0 or not _exceeds(linear[k - 1], limit_n)):
            windows.append(_window(CUE_LIGHTER, linear, k, ahead=1))
    return tuple(windows)


def _last_index_at_or_before(linear: Sequence[Stroke], t_s: float) -> int:
    """Index of the last stroke of L with onset ≤ t, or −1."""
    last = -1
    for k, stroke in enumerate(linear):
        if stroke.onset_s > t_s:
            break
        last = k
    return last


def is_switch_up_false_alarm(linear: Sequence[Stroke], t_s: float) -> bool:
    """The last three strokes of L with onset ≤ t are all ``up``."""
    last = _last_index_at_or_before(linear, t_s)
    if last < 2:
        return False
    return all(linear[k].direction == "up" for k in range(last - 2, last + 1))


def is_slow_down_false_alarm(linear: Sequence[Stroke], t_s: float, limit_spm: float) -> bool:
    """For the last two k with onset ≤ t that have a cadence, both cadences are below 0.85 C and
    the later stroke ended less than 10 s before t."""
    cadences = cadences_spm(linear)
    last = _last_index_at_or_before(linear, t_s)
    with_cadence = [k for k in range(last + 1) if cadences[k] is not None][-2:]
    if len(with_cadence) < 2:
        return False
    calm = all(
        (c := cadences[k]) is not None and c < CADENCE_CALM_FACTOR * limit_spm for k in with_cadence
    )
    return calm and t_s - linear[with_cadence[-1]].end_s < CADENCE_CALM_RECENT_S


def is_lighter_false_alarm(linear: Sequence[Stroke], t_s: float, limit_n: float) -> bool:
    """The last two strokes of L with onset ≤ t both have force below 0.8 F."""
    last = _last_index_at_or_before(linear, t_s)
    if last < 1:
        return False
    return all(
        (f := linear[k].force_n) is not None and f < FORCE_CALM_FACTOR * limit_n
        for k in (last - 1, last)
    )


def score_cues(
    labelled_linear: Sequence[Stroke],
    issued: Sequence[Cue],
    profile: TechniqueProfile,
    *,
    has_force: bool,
) -> tuple[CueScore, ...]:
    """Owed windows, hits, false alarms and repeats of each scored cue, in :data:`SCORED_CUES` order.

    Parameters
    ----------
    labelled_linear:
        L, the labelled ``up``/``down`` strokes in time order.
    issued:
        The classifier's cues (any names; unknown names are ignored).
    profile:
        The technique profile of the recording: its direction rule and limits decide which rules
        apply.
    has_force:
        Whether the recording has a ``force`` channel (``lighter`` applies only then).
    """
    linear = sorted(labelled_linear, key=lambda s: s.onset_s)
    scores = []
    for name in SCORED_CUES:
        times = sorted(c.onset_s for c in issued if c.cue == name)
        windows: tuple[OwedWindow, ...] = ()
        false_alarms: tuple[float, ...] = ()
        applies = False
        if name == CUE_SWITCH_UP and profile.wants_upward:
            applies = True
            windows = switch_up_windows(linear)
            false_alarms = tuple(t for t in times if is_switch_up_false_alarm(linear, t))
        elif name == CUE_SLOW_DOWN and profile.slow_down_above_spm is not None:
            applies = True
            limit_spm = profile.slow_down_above_spm
            windows = slow_down_windows(linear, limit_spm)
            false_alarms = tuple(t for t in times if is_slow_down_false_alarm(linear, t, limit_spm))
        elif name == CUE_LIGHTER and profile.lighter_above_n is not None and has_force:
            applies = True
            limit_n = profile.lighter_above_n
            windows = lighter_windows(linear, limit_n)
            false_alarms = tuple(t for t in times if is_lighter_false_alarm(linear, t, limit_n))
        hit_times = tuple(next((t for t in times if w.contains(t)), None) for w in windows)
        repeats = sum(b - a < REPEAT_INTERVAL_S for a, b in pairwise(times))
        scores.append(
            CueScore(name, applies, windows, hit_times, len(times), false_alarms, repeats)
        )
    return tuple(scores)
