"""`massage-coach evaluate` on real recordings and predictions files on disk.

The set (expected figures by hand from the spec's "Cues" and "Scoring"):

alpha  lymphatic (C = 36, F = 10), force channel, 20 Hz, polar-pmd, posture seated.
       Labels: 8 linear strokes onset 3k, 1 s, U U U D D U U U; force 5 N except k5 = 12 N.
       switch_up owed at k4 (L4, L3 down, L2 up): window [12, max(end_5 16, end_4 + 4 = 17)].
       lighter owed at k5 (12 > 10, k4 not): window [15, max(end_6 19, end_5 + 4 = 20)].
       cadence 180/9 = 20 spm everywhere: no slow_down owed.
       Predictions (hand-written CSV): k1 dropped, k6 flipped to down, an invented up at 30 s;
       switch_up at 14 (hit, latency 14 - end_4 13 = 1), switch_up at 23 (last three up: false
       alarm), lighter at 21 (after the window: missed; last two strokes k6, k7 at 5 N < 8: false
       alarm). -> labelled 8, detected 8, matched 7; linear 6/7 right; cadence errors at k5, k6, k7
       (k-3..k all matched) all 0.
beta   effleurage (up rule, C = 60, no F), no force, 50 Hz, thingy52, posture lying.
       Labels: D D D U at 0, 2, 4, 6 (1 s) and cross at 10, 12 (1.5 s): switch_up owed at k1.
       Predictions file malformed -> failed: 6 labelled strokes missed, 1 switch_up missed.
gamma  no technique in meta.json (lymphatic), no force, 20 Hz, no device, posture seated.
       Labels: cross, cross, circular, circular at 0, 3, 6, 9 (2 s). Predictions: all found, the
       last circular taken for cross; a slow_down at 5 (no cadence at all: not a false alarm).

Pooled: labelled 8 + 6 + 4 = 18, detected 8 + 0 + 4 = 12, matched 7 + 0 + 4 = 11;
precision 11/12, recall 11/18, F1 = 22/30; up/down 6/7; other 3/4; cadence median 0;
switch_up 1/2 (latency 1, 1 false alarm); slow_down owed 0 -> null, 0 false; lighter 0/1, 1 false.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from analysis.evaluation import SPEC_SUMMARY_KEYS
from analysis.events import Cue, EventTable, Stroke
from firmware_bridge.recordings.events_csv import write_events
from tui import evaluation_runner
from tui.cli import main


def s(
    onset_s: float, duration_s: float, direction: str = "up", force_n: float | None = None
) -> Stroke:
    return Stroke(onset_s=onset_s, duration_s=duration_s, direction=direction, force_n=force_n)


ALPHA_PREDICTIONS = """onset,duration,label,direction,technique,force,cue,emitted
0,1,stroke,up,,,,1.2
6,1,stroke,up,,,,7.2
9,1,stroke,down,,,,10.2
12,1,stroke,down,,,,13.2
15,1,stroke,up,,,,16.2
18,1,stroke,down,,,,19.2
21,1,stroke,up,,,,22.2
30,1,stroke,up,,,,31.2
14,,cue,,,,switch_up,
21,,cue,,,,lighter,
23,,cue,,,,switch_up,
"""


@pytest.fixture
def labelled_set(tmp_path: Path, make_recording: Callable[..., Path]) -> tuple[Path, Path]:
    recordings = tmp_path / "recordings"
    predictions = tmp_path / "predictions"
    predictions.mkdir()
    alpha = [
        s(3.0 * k, 1.0, "down" if d == "D" else "up", 12.0 if k == 5 else 5.0)
        for k, d in enumerate("UUUDDUUU")
    ]
    make_recording(
        recordings / "alpha", EventTable(strokes=tuple(alpha)), technique="lymphatic", force=True,
        device_profile="polar-pmd", simulation={"posture": "seated"},
    )  # fmt: skip
    (predictions / "alpha.csv").write_text(ALPHA_PREDICTIONS, encoding="utf-8")
    beta = [s(0.0, 1.0, "down"), s(2.0, 1.0, "down"), s(4.0, 1.0, "down"), s(6.0, 1.0, "up")]
    beta += [s(10.0, 1.5, "cross"), s(12.0, 1.5, "cross")]
    make_recording(
        recordings / "beta", EventTable(strokes=tuple(beta)), technique="effleurage", rate_hz=50.0,
        device_profile="thingy52", simulation={"posture": "lying"},
    )  # fmt: skip
    (predictions / "beta.csv").write_text(
        "onset,duration,label,direction\n0,1,stroke,sideways\n", encoding="utf-8"
    )
    gamma = (
        s(0.0, 2.0, "cross"),
        s(3.0, 2.0, "cross"),
        s(6.0, 2.0, "circular"),
        s(9.0, 2.0, "circular"),
    )
    make_recording(
        recordings / "nested" / "gamma",
        EventTable(strokes=gamma),
        technique=None,
        simulation={"posture": "seated"},
    )
    gamma_found = (*gamma[:3], s(9.0, 2.0, "cross"))
    write_events(
        predictions / "gamma.csv", EventTable(strokes=gamma_found, cues=(Cue(5.0, "slow_down"),))
    )
    return recordings, predictions


def evaluate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["evaluate", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_malformed_predictions_fail_one_recording_the_others_are_scored(
    labelled_set: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recordings, predictions = labelled_set
    out_json = tmp_path / "figures.json"
    status, out, err = evaluate(
        capsys, str(recordings), "--predictions", str(predictions), "--json", str(out_json)
    )
    assert status == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "beta.csv" in lines[0]
    assert lines[0].startswith("massage-coach: error:")
    assert "Traceback" not in err

    doc = json.loads(out_json.read_text(encoding="utf-8"))
    summary = doc["summary"]
    assert set(SPEC_SUMMARY_KEYS) <= set(summary)
    assert summary["detect_precision"] == pytest.approx(11 / 12)
    assert summary["detect_recall"] == pytest.approx(11 / 18)
    assert summary["detect_f1"] == pytest.approx(22 / 30)
    assert summary["direction_acc_linear"] == pytest.approx(6 / 7)
    assert summary["other_acc"] == pytest.approx(3 / 4)
    assert summary["cadence_err_median"] == pytest.approx(0.0)
    assert summary["switch_up_recall"] == pytest.approx(0.5)
    assert summary["switch_up_false"] == 1
    assert summary["switch_up_latency_median"] == pytest.approx(1.0)
    assert summary["slow_down_recall"] is None
    assert summary["slow_down_false"] == 0
    assert summary["lighter_recall"] == pytest.approx(0.0)
    assert summary["lighter_false"] == 1
    assert summary["emit_latency_median_s"] == pytest.approx(0.2)  # emitted - end, alpha only

    recs = doc["recordings"]
    assert set(recs) == {"alpha", "beta", "gamma"}
    assert recs["beta"]["failed"] is True
    assert "beta.csv" in recs["beta"]["error"]
    assert (recs["beta"]["detect_recall"], recs["beta"]["detect_precision"]) == (0.0, None)
    assert recs["beta"]["switch_up_recall"] == 0.0
    assert recs["alpha"]["failed"] is False
    assert recs["alpha"]["detect_precision"] == pytest.approx(7 / 8)
    assert recs["gamma"]["technique"] == "lymphatic"  # meta.json without technique

    breakdown = doc["breakdown"]
    assert set(breakdown) == {"technique", "sample_rate_hz", "device_profile", "simulation.posture"}
    assert breakdown["technique"]["lymphatic"]["detect_precision"] == pytest.approx(11 / 12)
    assert breakdown["technique"]["effleurage"]["detect_recall"] == 0.0
    assert breakdown["sample_rate_hz"]["50"]["recordings"] == 1
    assert breakdown["device_profile"]["(absent)"]["recordings"] == 1
    assert breakdown["simulation.posture"]["seated"]["recordings"] == 2

    # the table: overall first, then the breakdowns, then the recordings
    assert (
        out.index("Overall")
        < out.index("By technique")
        < out.index("By simulation.posture")
        < out.index("Recordings")
    )
    assert "0.917" in out  # precision 11/12
    beta_row = next(line for line in out.splitlines() if line.strip().startswith("beta"))
    assert beta_row.rstrip().endswith("FAILED")


def test_missing_predictions_file_is_named_and_fails_only_that_recording(
    labelled_set: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recordings, predictions = labelled_set
    (predictions / "beta.csv").unlink()
    (predictions / "gamma.csv").unlink()
    out_json = tmp_path / "f.json"
    status, _, err = evaluate(
        capsys, str(recordings), "--predictions", str(predictions), "--json", str(out_json)
    )
    assert status == 2
    assert sorted(line.split("/")[-1].split(":")[0] for line in err.splitlines()) == [
        "beta.csv",
        "gamma.csv",
    ]
    summary = json.loads(out_json.read_text())["summary"]
    # only alpha's 7 matches remain, over all 18 labelled strokes
    assert summary["detect_recall"] == pytest.approx(7 / 18)
    assert summary["failed_recordings"] == 2


def test_technique_option_overrides_meta(
    labelled_set: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recordings, predictions = labelled_set
    out_json = tmp_path / "f.json"
    evaluate(
        capsys,
        str(recordings),
        "--predictions",
        str(predictions),
        "--technique",
        "trigger_point",
        "--json",
        str(out_json),
    )
    summary = json.loads(out_json.read_text())["summary"]
    # trigger_point: any direction, no limits -> no cue rules at all
    assert (summary["switch_up_recall"], summary["switch_up_false"]) == (None, 0)
    assert (summary["lighter_recall"], summary["lighter_false"]) == (None, 0)
    assert summary["detect_precision"] == pytest.approx(11 / 12)  # strokes do not care


def test_jobs_give_the_same_figures_as_one_process(
    labelled_set: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recordings, predictions = labelled_set
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    assert (
        evaluate(capsys, str(recordings), "--predictions", str(predictions), "--json", str(one))[0]
        == 2
    )
    status, _, err = evaluate(
        capsys,
        str(recordings),
        "--predictions",
        str(predictions),
        "--json",
        str(two),
        "--jobs",
        "2",
    )
    assert status == 2
    assert len(err.splitlines()) == 1
    assert json.loads(one.read_text()) == json.loads(two.read_text())


def test_dask_cluster_gives_the_same_figures(
    labelled_set: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    distributed = pytest.importorskip("distributed")
    recordings, predictions = labelled_set
    local, remote = tmp_path / "local.json", tmp_path / "dask.json"
    evaluate(capsys, str(recordings), "--predictions", str(predictions), "--json", str(local))
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        status, _, err = evaluate(
            capsys, str(recordings), "--predictions", str(predictions), "--json", str(remote),
            "--scheduler", cluster.scheduler_address,
        )  # fmt: skip
    assert status == 2
    assert "beta.csv" in err
    assert json.loads(local.read_text()) == json.loads(remote.read_text())


def test_unreachable_scheduler_is_one_line(
    labelled_set: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(evaluation_runner, "SCHEDULER_TIMEOUT_S", 1.0)
    recordings, predictions = labelled_set
    status, _, err = evaluate(
        capsys,
        str(recordings),
        "--predictions",
        str(predictions),
        "--scheduler",
        "tcp://127.0.0.1:9",
    )
    assert status == 2
    assert len(err.splitlines()) == 1
    assert "127.0.0.1:9" in err


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_report_writes_confusion_matrix_and_timelines(
    labelled_set: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recordings, predictions = labelled_set
    report = tmp_path / "report"
    evaluate(capsys, str(recordings), "--predictions", str(predictions), "--report", str(report))
    names = sorted(p.name for p in report.iterdir())
    assert names == [
        "confusion_matrix.png",
        "timeline_alpha.png",
        "timeline_beta.png",
        "timeline_gamma.png",
    ]
    for png in report.iterdir():
        width, height = _png_size(png)
        assert width >= 600
        assert height >= 300
        assert png.stat().st_size > 15_000  # a drawn figure, not an empty canvas
    # the picture has colour in it: strokes are drawn coloured by direction
    from matplotlib.image import imread

    pixels = imread(report / "timeline_alpha.png")
    saturation = pixels[..., :3].max(axis=-1) - pixels[..., :3].min(axis=-1)
    assert (saturation > 0.3).mean() > 0.01


def test_bad_inputs_are_one_line_and_exit_2(
    tmp_path: Path, labelled_set: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    recordings, predictions = labelled_set
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        [str(empty), "--predictions", str(predictions)],  # no labelled recordings
        [str(tmp_path / "nowhere"), "--predictions", str(predictions)],  # no such path
        [str(recordings), "--predictions", str(tmp_path / "nope")],  # no predictions dir
        [str(recordings), "--predictions", str(predictions), "--technique", "tai_chi"],
        [str(recordings), "--predictions", str(predictions), "--jobs", "0"],
    ]
    for argv in cases:
        status, out, err = evaluate(capsys, *argv)
        assert status == 2, argv
        assert len(err.splitlines()) == 1, (argv, err)
        assert err.startswith("massage-coach: error:"), (argv, err)
        assert out == ""


def test_without_predictions_the_project_pipeline_runs_or_is_named(
    labelled_set: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recordings, _ = labelled_set
    out_json = tmp_path / "f.json"
    status, _, err = evaluate(capsys, str(recordings / "alpha"), "--json", str(out_json))
    if not evaluation_runner.pipeline_available():
        assert status == 2
        assert len(err.splitlines()) == 1
        assert "--predictions" in err
        assert not out_json.exists()
    else:
        # a sensor lying still makes no strokes: every labelled stroke of alpha is missed
        assert status == 0, err
        summary = json.loads(out_json.read_text())["summary"]
        assert summary["labelled_strokes"] == 8
        assert summary["detect_recall"] == pytest.approx(summary["matched_strokes"] / 8)


def test_progress_lines_only_for_long_runs_without_a_terminal(
    labelled_set: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recordings, predictions = labelled_set
    (predictions / "beta.csv").write_text(ALPHA_PREDICTIONS)  # all readable: stderr stays quiet
    status, _, err = evaluate(capsys, str(recordings), "--predictions", str(predictions))
    assert (status, err) == (0, "")
    monkeypatch.setattr(evaluation_runner, "LONG_RUN_S", 0.0)
    status, _, err = evaluate(capsys, str(recordings), "--predictions", str(predictions))
    assert status == 0
    assert err.splitlines()[-1].startswith("evaluated 3/3 recordings")
    status, _, err = evaluate(
        capsys, str(recordings), "--predictions", str(predictions), "--no-progress"
    )
    assert err == ""


def test_progress_bar_on_a_real_terminal_and_clean_stdout(labelled_set: tuple[Path, Path]) -> None:
    import os
    import pty
    import subprocess
    import sys

    recordings, predictions = labelled_set
    (predictions / "beta.csv").write_text(ALPHA_PREDICTIONS)
    controller, terminal = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}
    command = [
        sys.executable,
        "-m",
        "tui.cli",
        "evaluate",
        str(recordings),
        "--predictions",
        str(predictions),
    ]
    done = subprocess.run(
        command, stdout=subprocess.PIPE, stderr=terminal, env=env, timeout=120, check=False
    )
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO once the terminal side is closed and drained
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    assert done.returncode == 0
    assert b"evaluating" in seen
    assert b"3/3" in seen
    # the bar goes to the terminal on stderr; the table on stdout stays plain text
    assert done.stdout.startswith(b"Evaluated 3 recordings")
    assert b"\x1b" not in done.stdout


def test_unreadable_recording_is_named_and_the_others_scored(
    labelled_set: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recordings, predictions = labelled_set
    (predictions / "beta.csv").write_text(ALPHA_PREDICTIONS)
    (recordings / "beta" / "labels.csv").write_text(
        "onset,duration,label,direction\n0,x,stroke,up\n"
    )
    out_json = tmp_path / "f.json"
    status, _, err = evaluate(
        capsys, str(recordings), "--predictions", str(predictions), "--json", str(out_json)
    )
    assert status == 2
    assert len(err.splitlines()) == 1
    assert "beta" in err
    assert "labels.csv" in err
    doc = json.loads(out_json.read_text())
    assert doc["recordings"]["beta"]["failed"] is True
    # beta's labels cannot be counted; alpha and gamma are pooled as before: 11 of 12 labelled
    assert doc["summary"]["detect_recall"] == pytest.approx(11 / 12)


def test_calibrations_in_doubt_are_named_in_the_report_and_the_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A recording whose calibration glides and returns looked alike is scored like any other,
    and named: in a line of the report and as ``calibration_doubt`` in the JSON."""
    from analysis.events import CalibrationWindow
    from firmware_bridge.recordings.model import RecordingMeta
    from firmware_bridge.recordings.writer import write_recording
    from tests.pipeline.synth import reciprocating

    if not evaluation_runner.pipeline_available():
        pytest.skip("the project pipeline is not installed")
    corpus = tmp_path / "set"
    users: dict[str, dict[str, object]] = {
        "clear": {"force_n": 12.0},
        "alike": {"glide_s": 0.9, "return_s": 0.9, "lift_m": 0.0, "force_n": None},
    }
    for name, synth in users.items():
        samples, truth = reciprocating([1, -1, 1, 1], **synth)  # type: ignore[arg-type]
        c0, c1 = truth.calibration
        labels = EventTable(
            strokes=tuple(
                Stroke(a, b - a, "up" if sign > 0 else "down") for a, b, sign in truth.loaded
            )
        )
        meta = RecordingMeta(
            sample_rate_hz=100.0, technique="lymphatic", calibration=CalibrationWindow(c0, c1 - c0)
        )
        write_recording(corpus / name, meta, samples, labels)
    out_json = tmp_path / "f.json"
    status, out, err = evaluate(capsys, str(corpus), "--json", str(out_json))
    assert status == 0, err
    line = next(x for x in out.splitlines() if x.startswith("Calibration in doubt"))
    assert line.startswith("Calibration in doubt in 1 of 2 recordings")
    assert line.endswith(": alike")
    recordings = json.loads(out_json.read_text())["recordings"]
    assert recordings["clear"]["calibration_doubt"] is None
    assert "glides and returns looked alike" in recordings["alike"]["calibration_doubt"]
    assert recordings["alike"]["labelled_strokes"] == recordings["clear"]["labelled_strokes"]
    # and the figures are broken down by it
    by_calibration = json.loads(out_json.read_text())["breakdown"]["calibration"]
    assert by_calibration["in doubt"]["recordings"] == 1
    assert by_calibration["clear"]["recordings"] == 1
    assert "By calibration" in out
