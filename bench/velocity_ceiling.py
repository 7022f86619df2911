"""How much of the stroke F1 the hand's velocity estimate costs, on simulated gyro sessions.

The pipeline integrates the linear acceleration into a velocity through a 0.1 Hz high-pass
(:mod:`analysis.stages.motion`); everything after it (segmentation, the loaded phase, the
calibration) works on that velocity. This script runs the same sessions four times, changing
only what reaches the stages after the velocity filter, and scores each with the spec's rules:

- ``pipeline``: as shipped;
- ``true acceleration``: the simulator's true acceleration of the sensor (no sensor error, no
  attitude error) through the same filter, so what is left is the high-pass's own distortion;
- ``true velocity``: the simulator's true velocity of the sensor, with no high-pass and so no
  phase lead to undo (the segmenter's re-timing and the calibration's zero-phase pass are off);
- ``zeroed at pauses``: the pipeline's own linear acceleration integrated without the high-pass,
  the velocity set to zero wherever the hand truly rests for at least ``PAUSE_S`` (known from the
  simulator, which no causal detector could match) and the acceleration read there taken as the
  bias: the best an integrator bounded by pauses could do with these sensors. It also prints how
  far the acceleration's error moves between two pauses, which is what such an integrator
  integrates.

The true acceleration and velocity are expressed in the pipeline's own earth frame (its AHRS attitude, yaw
included) so that its steady hand frame and limb axis apply unchanged. Gyro sessions only: without
a gyro there is no earth frame to express them in. This is a measurement, not a mode of the
product: it swaps the pipeline's velocity filter for an oracle inside a ``with`` block.

``--ideal`` simulates error-free sensors (no noise, bias, scale error, clock drift or loss) and
``--ahrs-gain`` sets the AHRS's accelerometer gain (:data:`analysis.stages.orientation.AHRS_GAIN`;
0 trusts the gyro alone).

Usage::

    uv run python bench/velocity_ceiling.py --seeds 0:40 --minutes 2 [--ideal] [--ahrs-gain G]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, sosfilt

import analysis.pipeline as pipeline_module
import analysis.stages.limb_axis as limb_axis_module
import analysis.stages.orientation as orientation_module
from analysis.evaluation.scoring import RecordingScore, score_recording, summarize
from analysis.pipeline import StrokePipeline, classify_samples_with_calibration
from analysis.samples import FloatArray
from analysis.simulation import SimulatedSession, simulate_session
from analysis.stages.motion import VELOCITY_LOWPASS_HZ, MotionFilter
from analysis.stages.orientation import GravityRemover, earth_to_sensor, rotate
from analysis.techniques import get_profile

MODES = ("pipeline", "true acceleration", "true velocity", "zeroed at pauses")
PAUSE_S = 0.1
"""Shortest true rest of the hand at which ``zeroed at pauses`` zeroes the velocity, s."""
PAUSE_SPEED_MPS = 0.01
"""Speed below which the hand counts as resting, m/s (above the 2–8 mm/s of a resting hand's
tremor; a stroke passes it only at its turn-arounds)."""
BIAS_TIME_S = 0.2
"""Time constant of the bias read during pauses, s."""
LEAK_HZ = 0.02
"""A slow leak on the integrated velocity, Hz (a bound between distant pauses)."""


class _Oracle:
    """The session's truth, and where the pipeline is in it (times of the current run, the
    attitude its AHRS gave those samples)."""

    def __init__(self, session: SimulatedSession, mode: str) -> None:
        truth = session.truth
        assert truth is not None
        self.mode = mode
        self.sample_t_s = session.samples.t_s
        velocity = np.gradient(truth.position_m, truth.true_t_s, axis=0)
        self.velocity_world = velocity
        self.acceleration_world = np.gradient(velocity, truth.true_t_s, axis=0)
        self.orientation = truth.orientation  # sensor → world
        self.run_t_s: FloatArray = np.zeros(0)
        self.attitude: FloatArray | None = None
        self.paused = _pauses(truth.true_t_s, np.linalg.norm(velocity, axis=1))
        # the pipeline's linear-acceleration error at each sample, m/s² (NaN where not seen)
        self.acceleration_error = np.full((len(self.sample_t_s), 3), np.nan)

    def note_error(self, lin_mps2: FloatArray) -> None:
        """Keep the error of the pipeline's linear acceleration at the current run's samples."""
        self.acceleration_error[self.run_indices()] = lin_mps2 - self.in_pipeline_earth(
            self.acceleration_world
        )

    def error_changes(self) -> list[tuple[float, float]]:
        """Between each two pauses after the first 15 s (the AHRS settled, the calibration
        done): the time between them, s, and the rms of the acceleration error's change since the
        earlier pause, m/s²."""
        edges = np.flatnonzero(np.diff(np.concatenate(([0], self.paused.astype(int), [0]))))
        starts, stops = edges[::2], edges[1::2]
        changes = []
        for k in range(len(starts) - 1):
            if self.sample_t_s[starts[k]] < 15.0:
                continue
            at_pause = np.nanmean(self.acceleration_error[starts[k] : stops[k]], axis=0)
            between = self.acceleration_error[stops[k] : starts[k + 1]] - at_pause
            between = between[np.isfinite(between).all(axis=1)]
            if len(between) >= 3 and np.isfinite(at_pause).all():
                gap_s = float(self.sample_t_s[starts[k + 1]] - self.sample_t_s[stops[k] - 1])
                changes.append((gap_s, float(np.sqrt(np.mean(np.sum(between**2, axis=1))))))
        return changes

    def run_indices(self) -> NDArray[np.intp]:
        """Index into the session's samples of each sample of the current run."""
        i = np.searchsorted(self.sample_t_s, self.run_t_s)
        return np.clip(i, 0, len(self.sample_t_s) - 1)

    def in_pipeline_earth(self, world: FloatArray) -> FloatArray:
        """``world`` vectors at the current run's samples, in the pipeline's earth frame."""
        assert self.attitude is not None
        i = self.run_indices()
        return rotate(self.attitude, earth_to_sensor(self.orientation[i], world[i]))


def _pauses(t_s: FloatArray, speed_mps: FloatArray) -> NDArray[np.bool_]:
    """Whether the hand rests at each sample, in a rest of at least :data:`PAUSE_S`."""
    still = speed_mps < PAUSE_SPEED_MPS
    paused = np.zeros_like(still)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], still.astype(int), [0]))))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if t_s[stop - 1] - t_s[start] >= PAUSE_S:
            paused[start:stop] = True
    return paused


class _PauseBoundedIntegrator:
    """Velocity (m/s) integrated from linear acceleration without a high-pass: zero and the
    bias re-read wherever ``paused``, a slow leak elsewhere, then the pipeline's 5 Hz low-pass.
    The bias starts at the first sample's acceleration and jumps to the first pause's (a session
    starts with the hand still; the calibration strokes come before the bias could settle)."""

    def __init__(self, rate_hz: float) -> None:
        self.dt_s = 1.0 / rate_hz
        self.bias_gain = self.dt_s / BIAS_TIME_S
        self.leak = 1.0 - 2.0 * np.pi * LEAK_HZ * self.dt_s
        self.v = np.zeros(3)
        self.bias: FloatArray | None = None
        self._settled = False
        self._sos = butter(2, min(VELOCITY_LOWPASS_HZ, 0.35 * rate_hz), fs=rate_hz, output="sos")
        self._zi = np.zeros((1, 2, 3))

    def process(self, lin_mps2: FloatArray, paused: NDArray[np.bool_]) -> FloatArray:
        out = np.empty_like(lin_mps2)
        v = self.v
        bias = lin_mps2[0].copy() if self.bias is None else self.bias
        for k in range(lin_mps2.shape[0]):
            if paused[k]:
                gain = self.bias_gain if self._settled else 1.0
                self._settled = True
                bias = bias + gain * (lin_mps2[k] - bias)
                v = np.zeros(3)
            else:
                v = self.leak * v + (lin_mps2[k] - bias) * self.dt_s
            out[k] = v
        self.v, self.bias = v, bias
        smooth, self._zi = sosfilt(self._sos, out, axis=0, zi=self._zi)
        return smooth


@contextmanager
def _substituted(oracle: _Oracle) -> Iterator[None]:
    """Inside the block, pipelines get the oracle's velocity in place of their filter's."""
    original_run = StrokePipeline._process_run

    def process_run(self: StrokePipeline, run: Any) -> None:
        oracle.run_t_s = run.samples.t_s
        original_run(self, run)

    class RecordingGravityRemover(GravityRemover):
        def process(
            self, acc_mps2: FloatArray, gyro_radps: FloatArray | None
        ) -> tuple[FloatArray, FloatArray | None]:
            lin, attitude = super().process(acc_mps2, gyro_radps)
            oracle.attitude = attitude
            return lin, attitude

    class OracleMotionFilter(MotionFilter):
        def __init__(self, rate_hz: float) -> None:
            super().__init__(rate_hz)
            self._integrator = _PauseBoundedIntegrator(rate_hz)

        def reset(self) -> None:
            super().reset()
            self._integrator = _PauseBoundedIntegrator(self.rate_hz)

        def velocity(self, lin_mps2: FloatArray) -> FloatArray:
            if oracle.attitude is None:  # no gyro: nothing to express the truth in
                return super().velocity(lin_mps2)
            if oracle.mode == "true acceleration":
                return super().velocity(oracle.in_pipeline_earth(oracle.acceleration_world))
            if oracle.mode == "zeroed at pauses":
                oracle.note_error(lin_mps2)
                return self._integrator.process(lin_mps2, oracle.paused[oracle.run_indices()])
            return oracle.in_pipeline_earth(oracle.velocity_world)

    with ExitStack() as stack:
        if oracle.mode != "pipeline":
            stack.enter_context(mock.patch.object(StrokePipeline, "_process_run", process_run))
            stack.enter_context(
                mock.patch.object(pipeline_module, "GravityRemover", RecordingGravityRemover)
            )
            stack.enter_context(
                mock.patch.object(pipeline_module, "MotionFilter", OracleMotionFilter)
            )
        if oracle.mode in ("true velocity", "zeroed at pauses"):
            # no high-pass, so no phase lead for the segmenter and the calibration to undo
            stack.enter_context(mock.patch.object(pipeline_module, "VELOCITY_HIGHPASS_HZ", 0.0))
            stack.enter_context(
                mock.patch.object(limb_axis_module, "undo_phase_lead", lambda v, _rate: v)
            )
        yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="0:40")
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--ideal", action="store_true", help="error-free sensors")
    parser.add_argument("--ahrs-gain", type=float, default=None)
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="stroke F1 per session and mode (* where the calibration failed)",
    )
    args = parser.parse_args()
    if args.ahrs_gain is not None:
        orientation_module.AHRS_GAIN = args.ahrs_gain
    lo, hi = (int(x) for x in args.seeds.split(":"))
    scores: dict[str, list[RecordingScore]] = defaultdict(list)
    by_technique: dict[tuple[str, str], list[RecordingScore]] = defaultdict(list)
    error_changes: list[tuple[float, float]] = []
    for seed in range(lo, hi):
        conditions: dict[str, Any] = {"has_gyro": True}
        if args.ideal:
            conditions["ideal"] = True
        session = simulate_session(seed, args.minutes, **conditions)
        profile = get_profile(session.technique)
        f1_by_mode: list[str] = []
        for mode in MODES:
            oracle = _Oracle(session, mode)
            with _substituted(oracle):
                events, calibration = classify_samples_with_calibration(
                    session.samples, profile, session.sample_rate_hz, session.calibration
                )
            score = score_recording(
                session.labels, events, profile, has_force=session.samples.has_force
            )
            scores[mode].append(score)
            by_technique[mode, session.technique].append(score)
            if mode == "zeroed at pauses":
                error_changes += oracle.error_changes()
            f1 = summarize([score]).detect_f1 or 0.0
            f1_by_mode.append(f"{f1:.3f}{'' if calibration.state == 'learned' else '*'}")
        if args.verbose:
            print(
                f"seed {seed:5d} {session.technique:15s} {session.sample_rate_hz:5.0f} Hz  "
                + " ".join(f1_by_mode)
            )
    sensors = "error-free sensors" if args.ideal else "simulated sensor errors"
    gain = "" if args.ahrs_gain is None else f", AHRS gain {args.ahrs_gain:g}"
    print(
        f"{hi - lo} simulated gyro sessions of {args.minutes:g} min (seeds {lo}:{hi}),"
        f" {sensors}{gain}\n"
    )
    print(f"  {'velocity':18s} {'prec':>6s} {'recall':>6s} {'F1':>6s} {'up/down':>7s} {'su':>6s}")
    for mode in MODES:
        s = summarize(scores[mode]).summary_dict()
        su = s["switch_up_recall"]
        print(
            f"  {mode:18s} {s['detect_precision']:6.3f} {s['detect_recall']:6.3f}"
            f" {s['detect_f1']:6.3f} {s['direction_acc_linear']:7.3f}"
            f" {'  -   ' if su is None else f'{su:6.3f}'}"
        )
    print(f"\n  stroke F1 by technique {''.join(f'{m:>19s}' for m in MODES)}")
    for technique in sorted({t for _, t in by_technique}):
        row = [summarize(by_technique[m, technique]).summary_dict()["detect_f1"] for m in MODES]
        print(f"  {technique:22s}{''.join(f'{x:19.3f}' for x in row)}")
    gaps, changes = np.array(error_changes).T
    print(
        f"\n  between two pauses ({len(changes)} stretches, {np.median(gaps):.1f} s apart at the"
        f" median) the linear acceleration's error moves by {np.median(changes):.3f} m/s² rms at"
        f" the median, {np.percentile(changes, 75):.3f} at the 75th percentile"
        f" (1° of tilt: 0.171 m/s²)"
    )


if __name__ == "__main__":
    main()
