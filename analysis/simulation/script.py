"""The session script: what the simulated user does, second by second, and what was labelled.

A :class:`ScriptBuilder` lays down :class:`~analysis.simulation.kinematics.Segment` s in true
time — calibration strokes, technique blocks, the user's mistakes at known places, rests and
repositioning — and keeps, for every labelled stroke, its truth and why it is there (``tags``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from analysis.simulation.kinematics import Choreography, Segment, Vec3
from analysis.techniques import TechniqueProfile

S_MIN_M: Final = 0.04
"""Lowest ``s`` a stroke may reach (just above the ankle), m."""
LIMB_LENGTH_M: Final = 0.78
"""Highest ``s`` a stroke may reach (the top of the thigh), m."""
HAND_ACC_MAX_MPS2: Final = 20.0
"""Peak acceleration of the hand along the skin in a stroke's glide or return, m/s²."""


@dataclass(frozen=True)
class PlannedStroke:
    """A labelled stroke in true time (s): the loaded glide, one cross cycle or one revolution.

    ``tags`` say why it is there: ``calibration``, ``normal``, ``down_run``, ``down_single``,
    ``burst``, ``heavy``, ``cross``, ``circle``, ``any``.
    """

    direction: str
    onset_s: float
    duration_s: float
    tags: tuple[str, ...]
    episode: int


@dataclass(frozen=True)
class PlannedOther:
    """A labelled non-stroke stretch in true time (s): ``rest`` or ``reposition``."""

    label: str
    onset_s: float
    duration_s: float


@dataclass(frozen=True)
class TechniqueStyle:
    """How one technique is performed (ranges are drawn uniformly per stroke or block).

    Cadences in strokes/min, lengths in m, forces in N.
    """

    spm: tuple[float, float]
    length_m: tuple[float, float]
    force_n: tuple[float, float]
    load_fraction: tuple[float, float]
    down_share: float
    block_weights: tuple[float, float, float]
    """Relative weights of linear, cross and circle blocks (any-rule techniques)."""
    burst_factor: tuple[float, float] = (1.45, 1.7)
    """Cadence of a too-fast burst as a multiple of the profile's limit."""
    heavy_force_n: tuple[float, float] = (13.0, 20.0)
    cross_force_n: tuple[float, float] = (8.0, 25.0)
    circle_radius_m: tuple[float, float] = (0.015, 0.035)


STYLES: Final[dict[str, TechniqueStyle]] = {
    "lymphatic": TechniqueStyle(
        (18.0, 27.0),
        (0.10, 0.22),
        (3.0, 7.5),
        (0.42, 0.52),
        0.0,
        (1.0, 0.0, 0.0),
        cross_force_n=(3.0, 7.0),
    ),
    "effleurage": TechniqueStyle(
        (36.0, 47.0), (0.15, 0.30), (8.0, 25.0), (0.40, 0.50), 0.0, (1.0, 0.0, 0.0)
    ),
    "warmup": TechniqueStyle(
        (42.0, 55.0), (0.12, 0.25), (5.0, 15.0), (0.40, 0.50), 0.0, (1.0, 0.0, 0.0)
    ),
    "trigger_point": TechniqueStyle(
        (50.0, 80.0),
        (0.03, 0.06),
        (10.0, 30.0),
        (0.40, 0.50),
        0.5,
        (0.5, 0.2, 0.3),
        circle_radius_m=(0.01, 0.02),
    ),
    "cross_friction": TechniqueStyle(
        (40.0, 60.0),
        (0.08, 0.18),
        (10.0, 30.0),
        (0.40, 0.50),
        0.5,
        (0.3, 0.7, 0.0),
        cross_force_n=(15.0, 35.0),
    ),
    "myofascial": TechniqueStyle(
        (6.0, 10.0), (0.08, 0.20), (15.0, 35.0), (0.55, 0.65), 0.5, (0.85, 0.0, 0.15)
    ),
    "deep_tissue": TechniqueStyle(
        (12.0, 20.0), (0.15, 0.30), (20.0, 45.0), (0.45, 0.55), 0.45, (0.8, 0.0, 0.2)
    ),
}

RETURN_STYLES: Final = ("lifted", "gliding", "mixed")


class ScriptBuilder:
    """Lays down segments one after another and records the labelled strokes.

    Parameters
    ----------
    rng:
        The generator for every choice the user makes.
    profile:
        The session's technique profile (its limits decide the mistakes).
    return_style:
        ``lifted`` (1–5 cm off the skin), ``gliding`` (light contact, no lift) or ``mixed``.
    symmetric:
        Loaded glide and return take nearly the same time (no speed cue).
    """

    def __init__(
        self,
        rng: np.random.Generator,
        profile: TechniqueProfile,
        return_style: str,
        symmetric: bool,
    ) -> None:
        if return_style not in RETURN_STYLES:
            raise ValueError(f"unknown return style {return_style!r} (known: {RETURN_STYLES})")
        self.rng = rng
        self.profile = profile
        self.style = STYLES[profile.name]
        self.return_style = return_style
        self.symmetric = symmetric
        self.t_s = 0.0
        self.s_m = float(rng.uniform(0.10, 0.25))
        self.q_m = 0.0
        self.segments: list[Segment] = []
        self.strokes: list[PlannedStroke] = []
        self.others: list[PlannedOther] = []
        self.episode = 0

    # -- primitives --------------------------------------------------------------------------

    def _here(self, h_m: float = 0.0) -> Vec3:
        return (self.s_m, self.q_m, h_m)

    def _append(self, seg: Segment) -> None:
        self.segments.append(seg)
        self.t_s = seg.end_s

    def hold(self, duration_s: float, force_n: float, label: str | None = None) -> None:
        """Keep the hand still on the skin pressing ``force_n``."""
        if label is not None:
            self.others.append(PlannedOther(label, self.t_s, duration_s))
        self._append(Segment("hold", self.t_s, duration_s, self._here(), self._here(), force_n))

    def reposition(self, s_m: float, q_m: float | None = None) -> None:
        """Lift the hand, move it to ``(s, q)``, put it down: not a stroke."""
        q_m = self.q_m if q_m is None else q_m
        dist = float(np.hypot(s_m - self.s_m, q_m - self.q_m))
        duration = 0.45 + 1.6 * dist + float(self.rng.uniform(0.0, 0.3))
        start = self._here()
        self.others.append(PlannedOther("reposition", self.t_s, duration))
        self.s_m, self.q_m = s_m, q_m
        lift = float(self.rng.uniform(0.03, 0.08))
        self._append(Segment("glide", self.t_s, duration, start, self._here(), 0.6, lift_m=lift))

    def rest(self, lo_s: float = 1.5, hi_s: float = 4.0) -> None:
        self.hold(float(self.rng.uniform(lo_s, hi_s)), float(self.rng.uniform(0.5, 2.0)), "rest")

    def linear_stroke(
        self,
        direction: str,
        cycle_s: float,
        length_m: float,
        force_n: float,
        tags: tuple[str, ...],
        anchor_m: float,
    ) -> None:
        """One reciprocating stroke: a loaded glide in ``direction`` from ``anchor_m`` then a
        return (lifted or gliding) back near ``anchor_m``, with pauses; ``cycle_s`` in all."""
        rng = self.rng
        load_fraction = float(rng.uniform(*self.style.load_fraction))
        ratio = float(rng.uniform(0.9, 1.1)) if self.symmetric else float(rng.uniform(0.5, 0.85))
        t_load = cycle_s * load_fraction
        t_ret = t_load * ratio
        pauses = cycle_s - t_load - t_ret
        if pauses < 0.1:
            shrink = (cycle_s - 0.1) / (t_load + t_ret)
            t_load, t_ret, pauses = t_load * shrink, t_ret * shrink, 0.1
        # A hand does not exceed ~2 g along the skin: fast strokes are shorter strokes
        # (a minimum-jerk move of length L in T peaks at 5.77 L / T²).
        length_m = min(length_m, max(0.03, HAND_ACC_MAX_MPS2 * min(t_load, t_ret) ** 2 / 5.77))
        p_after_load = pauses * float(rng.uniform(0.25, 0.45))
        p_after_return = pauses - p_after_load
        sign = 1.0 if direction == "up" else -1.0
        start = self._here()
        end = (self.s_m + sign * length_m, self.q_m + float(rng.normal(0.0, 0.004)), 0.0)
        edge = 0.8
        self.strokes.append(PlannedStroke(direction, self.t_s, t_load, tags, self.episode))
        self._append(Segment("glide", self.t_s, t_load, start, end, force_n, edge_force_n=edge))
        self.s_m, self.q_m = end[0], end[1]
        self.hold(p_after_load, edge)
        lifted = self.return_style == "lifted" or (
            self.return_style == "mixed" and rng.random() < 0.5
        )
        back = (anchor_m + float(rng.normal(0.0, 0.006)), self.q_m, 0.0)
        if lifted:
            # The lift bump peaks at 24 h / T² of acceleration: quick returns lift less.
            lift = min(float(rng.uniform(0.01, 0.05)), HAND_ACC_MAX_MPS2 * t_ret**2 / 24.0)
            seg = Segment("glide", self.t_s, t_ret, self._here(), back, edge, lift_m=lift)
        else:
            light = float(rng.uniform(0.3, 1.5))
            seg = Segment("glide", self.t_s, t_ret, self._here(), back, light, edge_force_n=light)
        self._append(seg)
        self.s_m = back[0]
        self.hold(p_after_return, edge)

    def _periodic_block(
        self, segment: Segment, direction: str, cycles: int, tags: tuple[str, ...]
    ) -> None:
        """Append an oscillation or circle segment; each of its cycles is one stroke."""
        period = segment.duration_s / cycles
        for k in range(cycles):
            self.strokes.append(
                PlannedStroke(direction, self.t_s + k * period, period, tags, self.episode)
            )
        self._append(segment)

    def cross_block(self, cycles: int, force_n: float, tags: tuple[str, ...]) -> None:
        """Friction across the limb axis: ``cycles`` back-and-forth cycles at 1.5–3 Hz,
        1–2 cm peak to peak; each cycle is one ``cross`` stroke."""
        rng = self.rng
        freq = float(rng.uniform(1.5, 3.0))
        amp = float(rng.uniform(0.005, 0.01))
        along = float(rng.normal(0.0, 0.1)) * amp  # a slightly slanted path
        here = self._here()
        seg = Segment(
            "oscillation",
            self.t_s,
            cycles / freq,
            here,
            here,
            force_n,
            edge_force_n=0.8,
            amplitude=(along, amp, 0.0),
            cycles=cycles,
        )
        self._periodic_block(seg, "cross", cycles, tags)

    def circle_block(self, revolutions: int, force_n: float, tags: tuple[str, ...]) -> None:
        """Kneading: ``revolutions`` circles of 1–3.5 cm radius at 0.6–1.2 rev/s; each
        revolution is one ``circular`` stroke."""
        rng = self.rng
        freq = float(rng.uniform(0.6, 1.2))
        radius = float(rng.uniform(*self.style.circle_radius_m))
        sense = float(rng.choice([-1.0, 1.0]))
        here = self._here()
        seg = Segment(
            "circle",
            self.t_s,
            revolutions / freq,
            here,
            here,
            force_n,
            edge_force_n=0.8,
            amplitude=(radius, 0.0, 0.0),
            cycles=revolutions,
            sense=sense,
        )
        self._periodic_block(seg, "circular", revolutions, tags)

    # -- episodes ----------------------------------------------------------------------------

    def _anchor_for(self, direction: str, length_m: float) -> float:
        """Where a run of strokes in ``direction`` can start; repositions the hand if the
        stroke would leave the limb from here."""
        margin = 0.02
        if direction == "up":
            ok = self.s_m >= S_MIN_M and self.s_m + length_m + margin <= LIMB_LENGTH_M
            if not ok:
                hi = max(S_MIN_M + 0.01, LIMB_LENGTH_M - length_m - margin)
                self.reposition(float(self.rng.uniform(S_MIN_M, min(hi, S_MIN_M + 0.2))))
        else:
            ok = self.s_m - length_m - margin >= S_MIN_M and self.s_m <= LIMB_LENGTH_M
            if not ok:
                lo = min(LIMB_LENGTH_M - 0.01, S_MIN_M + length_m + margin)
                self.reposition(
                    float(self.rng.uniform(max(lo, LIMB_LENGTH_M - 0.2), LIMB_LENGTH_M))
                )
        return self.s_m

    def linear_run(
        self,
        directions: list[str],
        spm: float,
        force_n: tuple[float, float],
        length_m: tuple[float, float],
        tags: tuple[str, ...],
    ) -> None:
        """Consecutive linear strokes in one place at ``spm`` (±5 % per stroke)."""
        self.episode += 1
        longest = length_m[1]
        anchor = self._anchor_for(directions[0], longest)
        for direction in directions:
            if direction != directions[0] and direction == "up":
                anchor = self._anchor_for("up", longest)
            elif direction != directions[0]:
                anchor = self._anchor_for("down", longest)
            cycle = 60.0 / spm * float(np.clip(self.rng.normal(1.0, 0.05), 0.88, 1.12))
            self.linear_stroke(
                direction,
                cycle,
                float(self.rng.uniform(*length_m)),
                float(self.rng.uniform(*force_n)),
                tags,
                anchor,
            )

    def normal_run(self, n: int) -> None:
        """Strokes as the technique asks: up for up-rule techniques."""
        st = self.style
        dirs = ["up"] * n
        if not self.profile.wants_upward:
            dirs = ["down" if self.rng.random() < st.down_share else "up" for _ in range(n)]
        self.linear_run(
            dirs, float(self.rng.uniform(*st.spm)), st.force_n, st.length_m, ("normal",)
        )
        # Vodder: a few repetitions in one place, then move on up the limb.
        if self.rng.random() < 0.5:
            step = float(self.rng.uniform(0.08, 0.2))
            target = self.s_m + step
            if target + st.length_m[1] + 0.02 > LIMB_LENGTH_M:
                target = float(self.rng.uniform(S_MIN_M, S_MIN_M + 0.15))
            self.reposition(target, float(self.rng.normal(0.0, 0.02)))

    def calibration(self) -> tuple[float, float]:
        """Three or four slow upward strokes, as the app asks; returns the window (true s)."""
        self.episode += 1
        n = int(self.rng.integers(3, 5))
        spm = float(self.rng.uniform(15.0, 22.0))
        anchor = self._anchor_for("up", 0.22)
        start = self.t_s - 0.3
        for _ in range(n):
            cycle = 60.0 / spm * float(self.rng.uniform(0.95, 1.05))
            self.linear_stroke(
                "up",
                cycle,
                float(self.rng.uniform(0.12, 0.22)),
                float(self.rng.uniform(3.0, 7.0)),
                ("calibration",),
                anchor,
            )
        return start, self.t_s + 0.3 - start

    def mistake(self, kind: str) -> None:
        """One of the user's mistakes, at the current time."""
        st = self.style
        rng = self.rng
        spm = float(rng.uniform(*st.spm))
        if kind == "down_run":
            n = int(rng.integers(2, 5))
            self.linear_run(["down"] * n, spm, st.force_n, st.length_m, ("down_run",))
        elif kind == "down_single":
            self.linear_run(["down"], spm, st.force_n, st.length_m, ("down_single",))
        elif kind == "burst":
            limit = self.profile.slow_down_above_spm or 60.0
            fast = limit * float(rng.uniform(*st.burst_factor))
            length = (st.length_m[0] * 0.7, st.length_m[1] * 0.7)
            n = int(rng.integers(5, 8))
            self.linear_run(["up"] * n, fast, st.force_n, length, ("burst",))
        elif kind == "heavy":
            n = int(rng.integers(1, 4))
            self.linear_run(["up"] * n, spm, st.heavy_force_n, st.length_m, ("heavy",))
        elif kind == "cross":
            self.episode += 1
            self.cross_block(
                int(rng.integers(6, 15)), float(rng.uniform(*st.cross_force_n)), ("cross",)
            )
        elif kind == "circle":
            self.episode += 1
            self.circle_block(
                int(rng.integers(3, 7)), float(rng.uniform(*st.force_n)) + 2.0, ("circle",)
            )
        else:
            raise ValueError(f"unknown episode {kind!r}")

    def any_rule_block(self, budget_s: float) -> None:
        """A block of a multidirectional technique — linear strokes, friction or kneading —
        that fits in about ``budget_s`` seconds."""
        st = self.style
        w = np.asarray(st.block_weights)
        kind = ["linear", "cross", "circle"][int(self.rng.choice(3, p=w / w.sum()))]
        rng = self.rng
        if kind == "linear":
            stroke_s = 60.0 / st.spm[0] * 1.15
            n = min(int(rng.integers(3, 8)), int(budget_s / stroke_s))
            if n >= 1:
                self.normal_run(n)
        elif kind == "cross":
            self.episode += 1
            n = min(int(rng.integers(8, 30)), int(budget_s * 1.5))
            if n >= 2:
                self.cross_block(n, float(rng.uniform(*st.cross_force_n)), ("any",))
        else:
            self.episode += 1
            n = min(int(rng.integers(3, 8)), int(budget_s * 0.6))
            if n >= 2:
                self.circle_block(n, float(rng.uniform(*st.force_n)), ("any",))

    def choreography(self) -> Choreography:
        return Choreography(self.segments)


def required_mistakes(profile: TechniqueProfile) -> list[str]:
    """The mistakes every session of this technique shows at least once (when time allows)."""
    kinds: list[str] = []
    if profile.wants_upward:
        kinds += ["down_run", "down_single"]
    if profile.slow_down_above_spm is not None:
        kinds.append("burst")
    if profile.lighter_above_n is not None:
        kinds.append("heavy")
    if profile.wants_upward:
        kinds += ["cross", "circle"]
    return kinds


def build_script(
    rng: np.random.Generator,
    profile: TechniqueProfile,
    duration_s: float,
    return_style: str,
    symmetric: bool,
) -> tuple[ScriptBuilder, tuple[float, float]]:
    """Script a whole session of about ``duration_s`` true seconds.

    Layout: a rest, the calibration window, a rest, then technique blocks with the required
    mistakes in random order — each linear mistake between runs of correct strokes so a single
    downward stroke stays isolated and a run of downward strokes starts after an upward one —
    and a closing rest. Returns the builder and the calibration window ``(onset, duration)``.
    """
    b = ScriptBuilder(rng, profile, return_style, symmetric)
    b.rest(1.5, 3.0)
    window = b.calibration()
    b.rest(1.5, 3.0)
    end_reserve = 2.0
    linear_kinds = [k for k in required_mistakes(profile) if k not in ("cross", "circle")]
    other_kinds = [k for k in required_mistakes(profile) if k in ("cross", "circle")]
    rng.shuffle(linear_kinds)
    rng.shuffle(other_kinds)
    # Linear mistakes first (they need correct strokes around them), friction and kneading
    # slotted in between.
    pending: list[str] = []
    for i, kind in enumerate(linear_kinds):
        pending.append(kind)
        if i < len(other_kinds):
            pending.append(other_kinds[i])
    pending += other_kinds[len(linear_kinds) :]
    spm_mean = float(np.mean(b.style.spm))
    stroke_s = 60.0 / spm_mean * 1.15

    def room() -> float:
        return duration_s - end_reserve - b.t_s

    while room() > 0:
        if profile.wants_upward:
            n_normal = int(rng.integers(2, 5)) if pending else int(rng.integers(3, 7))
            if room() < (n_normal + 1) * stroke_s:
                n_normal = max(0, int(room() / stroke_s) - 1)
                if n_normal < 2:
                    break
            b.normal_run(n_normal)
            while pending and pending[0] in ("cross", "circle"):
                if room() < _episode_estimate_s(pending[0], stroke_s) + 2 * stroke_s:
                    break
                b.mistake(pending.pop(0))
            if pending:
                kind = pending[0]
                if room() < _episode_estimate_s(kind, stroke_s) + 2 * stroke_s:
                    continue
                pending.pop(0)
            else:
                kind = str(
                    rng.choice(
                        [
                            "down_run",
                            "down_single",
                            "burst",
                            "cross",
                            "circle",
                            "rest",
                            "none",
                            "none",
                        ]
                    )
                )
                if kind == "burst" and profile.slow_down_above_spm is None:
                    kind = "none"
                if room() < _episode_estimate_s(kind, stroke_s) + 2 * stroke_s:
                    continue
            if kind == "rest":
                b.rest()
            elif kind != "none":
                b.mistake(kind)
            if not pending and rng.random() < 0.25 and room() > 8.0:
                b.rest(1.0, 3.0)
        else:
            if room() < 3.0 * stroke_s:
                break
            before = b.t_s
            b.any_rule_block(room())
            if b.t_s == before:
                b.rest(1.0, 2.0)
            if rng.random() < 0.3 and room() > 8.0:
                b.rest(1.0, 3.0)
    b.hold(max(duration_s - b.t_s, end_reserve), float(rng.uniform(0.5, 2.0)), "rest")
    return b, window


def _episode_estimate_s(kind: str, stroke_s: float) -> float:
    """A generous bound on an episode's length, to decide whether it still fits."""
    return {
        "down_run": 4.5 * stroke_s + 1.5,
        "down_single": 1.2 * stroke_s + 1.5,
        "burst": 7.0 * stroke_s,
        "heavy": 3.3 * stroke_s + 1.5,
        "cross": 10.0,
        "circle": 11.0,
        "rest": 4.0,
        "none": 0.0,
    }[kind]
