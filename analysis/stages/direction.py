"""Stroke direction: linear (up/down along the limb axis), cross-friction, circular kneading.

- A *linear* half-stroke moves mostly along the limb axis (motion across it — a lift — is smaller
  than along it) and its velocity does not turn: a glide is straight.
- *Cross-friction* is a fast oscillation across the limb axis (1.5–3 Hz, 1–2 cm): the velocity
  across the axis, along its locally dominant direction, swings back and forth with little motion
  along the axis. One back-and-forth cycle is one stroke; a run needs at least three swings so a
  single sideways repositioning move is not mistaken for friction.
- *Circular* kneading turns the velocity vector continuously in the plane of the axis and the
  dominant cross direction without stopping; each full turn (2π) is one stroke. A reciprocating
  stroke with a lifted return traces a loop too, but it stops at every turn-around, and the turn
  is only counted while the hand keeps moving briskly, so it never accumulates to a revolution;
  and it is long: a revolution travelling further along the axis than a palm-sized circle can
  (``CIRCLE_MAX_AXIAL_PATH_M``) is not kneading.

A circle's velocity also swings back and forth across the axis, so the friction detector fires
during kneading too. A revolution (the velocity turning through 2π at speed) is the more specific
evidence: a friction line does not turn. Friction cycles are therefore held until no revolution
can still cover them, and dropped when one does. Neither drives a cue, so the hold (at most one
revolution's time) costs the user nothing.

Repositioning (lift, move, put down) is neither: it either becomes a linear half judged a return
by the loaded-phase stage, or a lone swing that never completes a cross run.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

from analysis.samples import FloatArray
from analysis.stages.segmentation import HalfStroke, HalfStrokeSegmenter

LINEAR_MAX_ACC_RATIO = 1.0
"""A linear half accelerates less across the axis than along it (a circle: equally, ≥ 1)."""
SLOW_HALF_S = 1.0
"""A half this long or longer accelerates along the axis mostly below the stroke band (0.3 Hz:
half a cycle of 1 s), so its acceleration ratio overstates the motion across; it must also move
across the axis (``LINEAR_MAX_LIFT_RATIO``) to be judged not linear, s."""
LINEAR_MAX_LIFT_RATIO = 0.7
"""Path across the axis per path along it below which a slow half is a glide."""
CIRCLE_MIN_TURN_RAD = 0.6 * np.pi
CIRCLE_MIN_ACC_RATIO = 0.5
CIRCLE_MIN_LIFT_RATIO = 0.5
"""A half that turns more than ``CIRCLE_MIN_TURN_RAD`` while accelerating across the axis at least
half as hard as along it, on a round path (across at least half as far as along), is part of a
circle, not a glide. The path matters: a straight glide whose small cross-axis velocity (drift,
tilt error) changes sign mid-glide also turns through ~π while it moves briskly."""
CROSS_MAX_AXIAL_RATIO = 0.6
"""A cross-friction swing moves along the axis less than this share of its motion across it."""
CROSS_MAX_SWING_S = 0.5
"""Longest swing of cross-friction, s (1 Hz and faster: friction is 1.5–3 Hz)."""
CROSS_MIN_SWINGS = 3
CROSS_LEAD_MAX_AXIAL_RATIO = 3.0
"""Swings just before a run, moving along the axis at most this share of their motion across it,
can be the run's ramp (see ``OtherStrokeDetector._on_swing``): the first swings after a glide are
small while the glide's velocity along the axis still dies away, so they look slanted."""
CROSS_MAX_LEAD_SWINGS = 3
"""At most this many such swings (a ramp lasts about a cycle) ..."""
CROSS_LEAD_MAX_STRETCH = 1.6
"""... and each lasting at most this multiple of the run's typical swing (at least 0.6 of it)."""
CROSS_MAX_PAUSE_S = 0.25
"""Swings further apart than this belong to different runs, s."""
CROSS_RECENT_SWINGS = 8
"""Swings remembered to look back from a run's start for its hidden first swing (a run's lead
is at most ``CROSS_MAX_LEAD_SWINGS`` long)."""

CROSS_HIGHPASS_HZ = 0.6
CIRCLE_HIGHPASS_HZ = 0.3
CIRCLE_MIN_SPEED_SHARE = 1.5
"""Counting the turn starts when the speed rises above this multiple of the dead band."""
CIRCLE_KEEP_SPEED_SHARE = 0.75
"""Once started, it goes on while the speed stays above this multiple of the dead band (a slow
kneading circle's speed swings around the start threshold without stopping) ..."""
CIRCLE_STOP_SHARE = 0.25
"""... and above this share of the recent peak speed: a reciprocating stroke stops at each
turn-around, where its velocity swings round through (near) zero; a circle never slows that
much (an ellipse of 2:1 halves its speed)."""
CIRCLE_PEAK_MEMORY_S = 1.0
"""Time constant of the recent peak speed, s (about one stroke)."""
CIRCLE_SLOW_SHARE = 0.5
CIRCLE_MAX_SLOW_TURN = 0.25
"""A revolution makes at most this share of its turn while the speed is below
``CIRCLE_SLOW_SHARE`` of its recent peak: a kneading hand turns as it moves, a reciprocating one
turns round where it (nearly) stops."""
CIRCLE_MIN_ROUNDNESS = 0.5
"""Path across the axis per path along it in one revolution, at least: a reciprocating stroke
with a lifted return loops too, but long and flat along the axis."""
CIRCLE_MAX_ROUNDNESS = 3.0
"""... and at most, with a gyroscope. The sensor rides on the hand 5–10 cm from the fingertips,
and the wrist turns with each kneading circle: the lever arm adds velocity the skin does not
have, so a round circle on the skin reads as an ellipse up to about 2.5:1 on the sensor. Nothing
else loops mostly across the axis without stopping (friction is a line that stops at each
turn). Without a gyroscope the bound stays at ``1 / CIRCLE_MIN_ROUNDNESS``: the tilt leak rocks
a glide's velocity into a loop, and an oblong one must not pass for a circle."""
CIRCLE_LAST_MIN_TURN_RAD = 1.5 * np.pi
"""When kneading slows to a stop after at least one revolution, a last turn of this much (the
rest was made too slowly to count) is its last revolution."""
CIRCLE_MAX_REV_S = 2.5
"""Longest revolution counted as kneading, s (kneading circles run at 0.5–2 Hz)."""
CIRCLE_MAX_AXIAL_PATH_M = 0.3
"""Longest path along the axis in one revolution counted as kneading, m. A circle of radius r
travels 4r along the axis per turn: 0.2 m at the largest, a palm's width (5 cm radius); the
sensor rides 5–10 cm from the fingertips on a wrist that turns with the circle and moves up to
about half as much again. A reciprocating stroke travels twice its length per cycle (2 × 15–40
cm), and without a gyroscope the wrist's tilt leaks a cross-axis swing a quarter cycle behind its
velocity that turns it into a loop (measured on simulated micro:bit sessions, seeds 0–199: 1056
revolutions counted on strokes that were no circles, 0.50 m along the axis at the median and
0.17 m at the 5th percentile; the 72 true ones 0.11 m at the median, 0.23 m at the 95th)."""
CROSS_MAX_REV_OVERLAP = 0.5
"""A friction cycle that shares more than this share of its time with a revolution was part of
the circle."""
REV_MEMORY_S = 10.0
"""Revolutions kept to test friction cycles against, s (longer than any hold)."""

_E0 = np.array([1.0, 0.0, 0.0])
_E1 = np.array([0.0, 1.0, 0.0])


def _cross3(a: FloatArray, b: FloatArray) -> FloatArray:
    """Cross product of two 3-vectors (``np.cross`` spends ~20 µs a call on axis handling, twice
    per batch here)."""
    return np.array(
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    )


class HalfKind(enum.Enum):
    """What an axial half-stroke looks like."""

    LINEAR = "linear"
    OTHER = "other"


def classify_half(half: HalfStroke) -> HalfKind:
    """Linear when the half accelerates mainly along the axis and does not turn like a circle.

    Acceleration rather than velocity: stroke-band acceleration is free of the drift that
    integration accumulates, so the ratio of cross-axis to axial acceleration is a clean measure
    of how straight the movement was."""
    ratio = half.lift_acc_ratio
    lift = half.lift_ratio
    if ratio >= LINEAR_MAX_ACC_RATIO and (
        half.duration_s < SLOW_HALF_S or lift >= LINEAR_MAX_LIFT_RATIO
    ):
        return HalfKind.OTHER
    if (
        abs(half.rotation_rad) >= CIRCLE_MIN_TURN_RAD
        and ratio >= CIRCLE_MIN_ACC_RATIO
        and lift >= CIRCLE_MIN_LIFT_RATIO
    ):
        return HalfKind.OTHER
    return HalfKind.LINEAR


class LimbFrame:
    """Expresses the velocity in the limb's frame: along the axis, along the dominant direction
    across it (a running principal direction of the cross-axis velocity, ~0.5 s memory), and the
    rest. Returns columns ``(v_axial, v_cross, v_rest)`` in m/s.

    The principal direction is that of the velocity's running *covariance* (moments about the
    running mean): the direction the hand swings in. Raw moments would instead follow a slow
    offset of the integrated velocity (drift, a tilt error after a gap), which points anywhere,
    and split a friction swing between the cross and rest columns.

    Parameters
    ----------
    rate_hz:
        Sample rate, Hz.
    """

    def __init__(self, rate_hz: float) -> None:
        self._alpha = 1.0 / max(0.5 * rate_hz, 2.0)
        self._zi = np.zeros((5, 1))
        self._last_dir = (1.0, 0.0)
        self._parity = 0
        self._cos: FloatArray = np.ones(0)
        self._sin: FloatArray = np.zeros(0)

    def restart(self) -> None:
        self._zi[...] = 0.0
        self._last_dir = (1.0, 0.0)
        self._parity = 0

    def project(self, v_mps: FloatArray, axis: FloatArray, cross: FloatArray) -> FloatArray:
        """Velocity (n, 3) in the limb frame; remembers the cross directions it used."""
        normal = _cross3(axis, cross)
        v_ax = v_mps @ axis
        p1 = v_mps @ cross
        p2 = v_mps @ normal
        moments = np.stack((p1 * p1, p2 * p2, p1 * p2, p1, p2))
        a = self._alpha
        m, self._zi = lfilter([a], [1.0, a - 1.0], moments, axis=1, zi=self._zi)
        c11 = m[0] - m[3] * m[3]
        c22 = m[1] - m[4] * m[4]
        c12 = m[2] - m[3] * m[4]
        # a direction has no sign: take the turn of the axis that is continuous with the last
        # one (modulo π), or the cross velocity would flip sign whenever the direction passes
        # ±90°, which reads as a spurious swing
        angle = 0.5 * np.arctan2(2.0 * c12, c11 - c22)
        ca, sa = np.cos(angle), np.sin(angle)
        prev_c = np.concatenate(([self._last_dir[0]], ca[:-1]))
        prev_s = np.concatenate(([self._last_dir[1]], sa[:-1]))
        flips = np.cumsum(ca * prev_c + sa * prev_s < 0.0) + self._parity
        self._last_dir = (float(ca[-1]), float(sa[-1]))
        self._parity = int(flips[-1] % 2)
        sign = 1.0 - 2.0 * (flips % 2)
        ca, sa = ca * sign, sa * sign
        self._cos, self._sin = ca, sa
        return np.column_stack((v_ax, p1 * ca + p2 * sa, p2 * ca - p1 * sa))

    def rotate_like_last(self, x: FloatArray, axis: FloatArray, cross: FloatArray) -> FloatArray:
        """Other vectors (n, 3) in the limb frame of the last :meth:`project` call."""
        normal = _cross3(axis, cross)
        p1 = x @ cross
        p2 = x @ normal
        ca, sa = self._cos, self._sin
        return np.column_stack((x @ axis, p1 * ca + p2 * sa, p2 * ca - p1 * sa))


@dataclass(frozen=True)
class OtherStroke:
    """A cross-friction cycle or a circular revolution, times in s, force in N."""

    onset_s: float
    duration_s: float
    direction: str
    force_n: float | None
    decided_s: float


class OtherStrokeDetector:
    """Finds cross-friction cycles and circular revolutions, causally, in the limb frame.

    Parameters
    ----------
    rate_hz:
        Sample rate, Hz.
    dead_band_mps:
        Dead band of the cross swings; the revolution counter runs above this speed, m/s.
    has_gyro:
        Whether the velocity came from a gyro-tracked attitude (no tilt leak): decides how
        oblong a revolution may be (``CIRCLE_MAX_ROUNDNESS``).

    Both look only at the velocity's own band: friction swings above ``CROSS_HIGHPASS_HZ`` and
    kneading circles above ``CIRCLE_HIGHPASS_HZ``; the slow drift of integrated velocity is below
    both and would otherwise merge swings or fake a turn. Friction swings are also taken along
    the principal direction across the axis of that band, not the limb frame's cross column.
    """

    def __init__(
        self, rate_hz: float = 100.0, dead_band_mps: float = 0.02, has_gyro: bool = True
    ) -> None:
        self._max_roundness = CIRCLE_MAX_ROUNDNESS if has_gyro else 1.0 / CIRCLE_MIN_ROUNDNESS
        self._sos_cross = butter(2, CROSS_HIGHPASS_HZ, "highpass", fs=rate_hz, output="sos")
        self._sos_circle = butter(2, CIRCLE_HIGHPASS_HZ, "highpass", fs=rate_hz, output="sos")
        self._zi_cross = np.zeros((self._sos_cross.shape[0], 2, 3))
        self._zi_circle = np.zeros((self._sos_circle.shape[0], 2, 3))
        # the swing direction is found again in the friction band itself (see ``process``)
        self._swing_frame = LimbFrame(rate_hz)
        self._swings = HalfStrokeSegmenter(
            dead_band_mps=dead_band_mps, merge_s=0.05, max_half_s=2.0, min_disp_m=0.004
        )
        self._min_speed = CIRCLE_MIN_SPEED_SHARE * dead_band_mps
        self._keep_speed = CIRCLE_KEEP_SPEED_SHARE * dead_band_mps
        self._run: list[HalfStroke] = []
        self._run_emitted = 0
        self._run_confirmed = False
        # swings that may be the ramp of a run to come, and those kept for the run starting now
        self._lead: list[HalfStroke] = []
        self._lead_in: list[HalfStroke] = []
        # the latest swings of any kind, to find the one a run's first swing hid in
        self._recent: list[HalfStroke] = []
        # running totals (sequential sums carried across batches) and the revolution's start
        self._g_total = 0.0
        self._s_total = np.zeros(5)
        self._n_total = 0
        self._rev: tuple[float, float, FloatArray, int] | None = None  # (t, turn, sums, index)
        self._sense = 0.0  # sense of the last revolution counted in this run of motion (0: none)
        self._last_phase: float | None = None
        self._brisk = False
        # log of the decaying peak speed, kept as max(log speed + t/τ) from a reference time
        self._peak_log = -np.inf
        self._t_ref: float | None = None
        # friction cycles waiting until no revolution can cover them, the recent revolutions
        # (onset, end) they are tested against, and the newest sample time seen
        self._held: list[OtherStroke] = []
        self._revs: list[tuple[float, float]] = []
        self._t_last = -np.inf

    @property
    def dead_band_mps(self) -> float:
        return self._swings.dead_band_mps

    def set_dead_band(self, dead_band_mps: float) -> None:
        self._swings.dead_band_mps = dead_band_mps
        self._min_speed = CIRCLE_MIN_SPEED_SHARE * dead_band_mps
        self._keep_speed = CIRCLE_KEEP_SPEED_SHARE * dead_band_mps

    def restart(self) -> None:
        """Forget the motion (a gap in the stream); call :meth:`flush` first to keep the friction
        cycles still held."""
        self._zi_cross[...] = 0.0
        self._zi_circle[...] = 0.0
        self._swing_frame.restart()
        self._swings.restart()
        self._run = []
        self._run_emitted = 0
        self._run_confirmed = False
        self._lead = []
        self._lead_in = []
        self._recent = []
        self._rev = None
        self._sense = 0.0
        self._last_phase = None
        self._held = []
        self._brisk = False
        self._peak_log = -np.inf

    def flush(self) -> list[OtherStroke]:
        """Decide the held friction cycles now (end of stream, or before a gap): no revolution
        can continue across either."""
        out = [self._released(c, self._t_last) for c in self._held if not self._on_a_circle(c)]
        self._held = []
        return out

    def process(
        self, t_s: FloatArray, frame_mps: FloatArray, force_n: FloatArray | None
    ) -> list[OtherStroke]:
        """Feed a run of samples (velocity in the limb frame); return strokes decided in it."""
        if t_s.shape[0] == 0:
            return []
        fast, self._zi_cross = sosfilt(self._sos_cross, frame_mps, axis=0, zi=self._zi_cross)
        turn, self._zi_circle = sosfilt(self._sos_circle, frame_mps, axis=0, zi=self._zi_circle)
        # cross swings: the segmenter's "axis" is the cross direction, its "cross" the limb axis
        # The limb frame's cross direction follows the whole velocity; right after a glide its
        # slow tail (the integrated velocity settling back to rest) outweighs the small, fast
        # friction swings and turns the cross column away from them. Swings are sought along the
        # principal direction of the velocity in the friction band instead.
        swapped = self._swing_frame.project(fast, _E0, _E1)[:, [1, 0, 2]]
        for swing in self._swings.process(t_s, swapped, _E0, _E1, None, force_n):
            self._held.extend(self._on_swing(swing))
        open_from: list[tuple[int, float | None]] = []
        out = self._circles(t_s, turn[:, 0], turn[:, 1], force_n, open_from)
        self._revs.extend((o.onset_s, o.onset_s + o.duration_s) for o in out)
        out.extend(self._release(t_s, open_from))
        out.sort(key=lambda o: o.decided_s)  # stable: the order a stream of single samples gives
        self._t_last = float(t_s[-1])
        horizon = self._t_last - REV_MEMORY_S
        self._revs = [r for r in self._revs if r[1] > horizon]
        return out

    def _on_a_circle(self, cycle: OtherStroke) -> bool:
        """Whether a revolution covers most of the friction cycle ``cycle``."""
        a, b = cycle.onset_s, cycle.onset_s + cycle.duration_s
        need = CROSS_MAX_REV_OVERLAP * cycle.duration_s
        return any(min(b, r1) - max(a, r0) > need for r0, r1 in self._revs)

    @staticmethod
    def _released(cycle: OtherStroke, at_s: float) -> OtherStroke:
        return OtherStroke(
            cycle.onset_s,
            cycle.duration_s,
            cycle.direction,
            cycle.force_n,
            max(at_s, cycle.decided_s),
        )

    def _release(
        self, t_s: FloatArray, open_from: list[tuple[int, float | None]]
    ) -> list[OtherStroke]:
        """Friction cycles no revolution can cover any more, decided at the first sample where
        that became true; those a revolution covered are dropped.

        ``open_from`` lists from which sample on (after processing it) a revolution was open
        since the given time (``None``: none open). A revolution yet to end starts no earlier
        than the one open now, and one open longer than ``CIRCLE_MAX_REV_S`` is no kneading
        circle, so a cycle is safe once the open revolution began late in it or is that old."""
        n = t_s.shape[0]
        starts = [i for i, _ in open_from] + [n]
        out: list[OtherStroke] = []
        keep: list[OtherStroke] = []
        for cycle in self._held:
            end = cycle.onset_s + cycle.duration_s
            need = CROSS_MAX_REV_OVERLAP * cycle.duration_s
            first = int(np.searchsorted(t_s, cycle.decided_s, side="left"))
            at: int | None = None
            for j, (lo, t0) in enumerate(open_from):
                lo = max(lo, first)
                hi = starts[j + 1]
                if lo >= hi:
                    continue
                if t0 is None or end - t0 <= need:
                    at = lo
                else:
                    k = lo + int(np.searchsorted(t_s[lo:hi], t0 + CIRCLE_MAX_REV_S, side="right"))
                    at = k if k < hi else None
                if at is not None:
                    break
            if at is None:
                keep.append(cycle)
            elif not self._on_a_circle(cycle):
                out.append(self._released(cycle, float(t_s[at])))
        self._held = keep
        return out

    def _on_swing(self, swing: HalfStroke) -> list[OtherStroke]:
        self._recent = [*self._recent[1 - CROSS_RECENT_SWINGS :], swing]
        short = swing.duration_s <= CROSS_MAX_SWING_S
        axial = swing.path_perp_m / max(swing.path_axial_m, 1e-12)
        is_cross = short and axial <= CROSS_MAX_AXIAL_RATIO
        if not is_cross or (self._run and swing.onset_s - self._run[-1].end_s > CROSS_MAX_PAUSE_S):
            self._run = []
            self._run_emitted = 0
            self._run_confirmed = False
        lead_goes_on = bool(self._lead) and (
            swing.onset_s - self._lead[-1].end_s <= CROSS_MAX_PAUSE_S
        )
        if not is_cross:
            if short and axial <= CROSS_LEAD_MAX_AXIAL_RATIO:
                self._lead = [*(self._lead if lead_goes_on else []), swing][-CROSS_MAX_LEAD_SWINGS:]
            else:
                self._lead = []
            return []
        if not self._run:
            self._lead_in = self._lead if lead_goes_on else []
            self._lead = []
        self._run.append(swing)
        out: list[OtherStroke] = []
        if not self._run_confirmed:
            if len(self._run) < CROSS_MIN_SWINGS:
                return out
            self._run_confirmed = True
            # friction starts with a ramp: its first swings are small, and what is left of the
            # previous stroke in the velocity along the axis makes them look slanted. Swings
            # just before the run, of its rhythm and not clearly along the axis, were its start.
            typical = float(np.median([w.duration_s for w in self._run]))
            lead: list[HalfStroke] = []
            for w in reversed(self._lead_in):
                if not 0.6 * typical <= w.duration_s <= CROSS_LEAD_MAX_STRETCH * typical:
                    break
                lead.insert(0, w)
            hidden = self._hidden_first_swing((lead + self._run)[0], typical)
            if hidden is not None:
                lead.insert(0, hidden)
            self._run = lead + self._run
            self._lead_in = []
        while 2 * (self._run_emitted + 1) <= len(self._run):
            a = self._run[2 * self._run_emitted]
            b = self._run[2 * self._run_emitted + 1]
            force = None
            if a.force_n is not None and b.force_n is not None:
                force = 0.5 * (a.force_n + b.force_n)
            out.append(OtherStroke(a.onset_s, b.end_s - a.onset_s, "cross", force, swing.decided_s))
            self._run_emitted += 1
        if len(self._run) > 16:  # a bounded ring: keep only what is not paired yet
            drop = 2 * self._run_emitted
            self._run = self._run[drop:]
            self._run_emitted = 0
        return out

    def _hidden_first_swing(self, first: HalfStroke, typical_s: float) -> HalfStroke | None:
        """The run's first swing where it hid in the end of a longer one, else ``None``.

        Friction often starts right after a repositioning carry or a glide. Their velocity
        takes a few tenths of a second to settle in the friction band (the high-pass's own
        response), longer than the first swing of friction, which starts small: the two read
        as one long swing. That swing ends at a turn-around in the run's rhythm (the next swing
        turns back right after it), so its last ``typical_s`` were the run's first swing.
        """
        before = [w for w in self._recent if w.end_s <= first.onset_s]
        if not before:
            return None
        w = before[-1]
        if (
            first.onset_s - w.end_s > CROSS_MAX_PAUSE_S
            or w.duration_s <= CROSS_LEAD_MAX_STRETCH * typical_s
            or np.sign(w.disp_m) == np.sign(first.disp_m)
        ):
            return None
        return dataclasses.replace(w, onset_s=w.end_s - typical_s)

    def _revolution(
        self, t0: float, end_t: float, d: FloatArray, count: int, force_n: FloatArray | None
    ) -> OtherStroke | None:
        """The revolution from ``t0`` to ``end_t`` (s) if it was kneading; ``d`` holds its sums
        (force, path along and across the axis, turn, turn made slowly) over ``count`` samples."""
        # a kneading circle is round: as much motion across the axis as along it (a stroke with
        # a lifted return loops too, but long and flat) ...
        round_enough = CIRCLE_MIN_ROUNDNESS <= d[2] / max(d[1], 1e-9) <= self._max_roundness
        # ... and it turns while it moves: a reciprocating stroke turns at its stops
        steady = d[4] <= CIRCLE_MAX_SLOW_TURN * d[3]
        # ... and small: its path along the axis is the mean axial speed times its time
        small = count > 0 and d[1] / count * (end_t - t0) <= CIRCLE_MAX_AXIAL_PATH_M
        if end_t - t0 > CIRCLE_MAX_REV_S or not round_enough or not steady or not small:
            return None
        force = None if force_n is None or count <= 0 else float(d[0] / count)
        return OtherStroke(t0, end_t - t0, "circular", force, end_t)

    def _moving(self, t_s: FloatArray, speed: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Whether the turn counts at each sample: a Schmitt trigger on the speed (start above
        ``CIRCLE_MIN_SPEED_SHARE``, stop below ``CIRCLE_KEEP_SPEED_SHARE`` dead bands) that also
        stops where the speed falls below ``CIRCLE_STOP_SHARE`` of its recent peak. Also returns
        that recent peak, m/s."""
        if self._t_ref is None:
            self._t_ref = float(t_s[0])
        # decaying peak: max_k speed_k·exp(-(t - t_k)/τ), as a running max in the log domain
        age = (t_s - self._t_ref) / CIRCLE_PEAK_MEMORY_S
        logs = np.log(np.maximum(speed, 1e-12)) + age
        run = np.maximum.accumulate(np.concatenate(([self._peak_log], logs)))[1:]
        self._peak_log = float(run[-1])
        peak = np.exp(run - age)
        stop_speed = CIRCLE_STOP_SHARE * peak
        start = speed > np.maximum(self._min_speed, stop_speed)
        stop = speed <= np.maximum(self._keep_speed, stop_speed)
        # the state follows the last sample that decided it (start or stop), else the carried one
        decided = np.where(start | stop, np.arange(speed.shape[0]), -1)
        last = np.maximum.accumulate(decided)
        brisk = np.where(last >= 0, start[np.maximum(last, 0)], self._brisk)
        self._brisk = bool(brisk[-1])
        return brisk, peak

    def _circles(
        self,
        t_s: FloatArray,
        v_ax: FloatArray,
        v_cross: FloatArray,
        force_n: FloatArray | None,
        open_from: list[tuple[int, float | None]],
    ) -> list[OtherStroke]:
        """Revolutions completed in the run; appends to ``open_from`` where the open revolution
        changed (sample index, its start time or ``None``), from the first sample on."""
        n = t_s.shape[0]
        phase = np.arctan2(v_cross, v_ax)
        prev = phase[0] if self._last_phase is None else self._last_phase
        self._last_phase = float(phase[-1])
        dphi = np.diff(np.concatenate(([prev], phase)))
        dphi = (dphi + np.pi) % (2.0 * np.pi) - np.pi
        speed = np.hypot(v_ax, v_cross)
        brisk, peak = self._moving(t_s, speed)
        dphi = np.where(brisk, dphi, 0.0)
        slow_turn = np.where(speed < CIRCLE_SLOW_SHARE * peak, np.abs(dphi), 0.0)
        f = np.zeros(n) if force_n is None else force_n
        # totals after each sample, summed sequentially from the carried totals: the turn, and
        # force, path along and across the axis, the turn's size and the part of it made slowly
        g_after = np.cumsum(np.concatenate(([self._g_total], dphi)))[1:]
        x = np.column_stack((f, np.abs(v_ax), np.abs(v_cross), np.abs(dphi), slow_turn))
        s_after = np.cumsum(np.vstack((self._s_total[None, :], x)), axis=0)[1:]
        out: list[OtherStroke] = []
        edges = np.flatnonzero(np.diff(brisk.astype(np.int8))) + 1
        bounds = [0, *edges.tolist(), n]
        for lo, hi in itertools.pairwise(bounds):
            if not brisk[lo]:
                if self._rev is not None and self._sense != 0.0:
                    # kneading that slows to a stop: its last turn, nearly whole, was a circle
                    # too (the turn made while slowing under the gates is not counted)
                    g_end = float(g_after[lo - 1]) if lo > 0 else self._g_total
                    s_end = s_after[lo - 1] if lo > 0 else self._s_total
                    t0, g0, s0, i0 = self._rev
                    if self._sense * (g_end - g0) >= CIRCLE_LAST_MIN_TURN_RAD:
                        last = self._revolution(
                            t0, float(t_s[lo]), s_end - s0, self._n_total + lo - i0, force_n
                        )
                        if last is not None:
                            out.append(last)
                self._rev = None  # the hand slowed: whatever turned so far is not a circle
                self._sense = 0.0
                open_from.append((lo, None))
                continue
            if self._rev is None:
                # the first brisk sample's step came from a slow one: start counting after it
                self._rev = (float(t_s[lo]), float(g_after[lo]), s_after[lo], self._n_total + lo)
            open_from.append((lo, self._rev[0]))
            rel = g_after[lo:hi] - self._rev[1]
            hits = np.flatnonzero(np.abs(rel) >= 2.0 * np.pi)
            while hits.size:
                k = int(hits[0]) + lo
                t0, g0, s0, i0 = self._rev
                end_t = float(t_s[k])
                rev = self._revolution(t0, end_t, s_after[k] - s0, self._n_total + k - i0, force_n)
                if rev is not None:
                    out.append(rev)
                    self._sense = float(np.sign(rel[k - lo]))
                    g_next = g0 + self._sense * 2.0 * np.pi
                else:
                    # a slow drift of the turn over many strokes is not a kneading circle
                    self._sense = 0.0
                    g_next = float(g_after[k])
                self._rev = (end_t, float(g_next), s_after[k], self._n_total + k)
                open_from.append((k, end_t))
                rel = g_after[lo:hi] - g_next
                hits = np.flatnonzero(np.abs(rel[k - lo + 1 :]) >= 2.0 * np.pi) + (k - lo + 1)
        self._g_total = float(g_after[-1])
        self._s_total = s_after[-1].copy()
        self._n_total += n
        return out
