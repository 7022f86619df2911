"""``massage-coach simulate``, and an independent check of its output against the spec with
nothing but ``csv``, ``gzip`` and ``json`` (none of the project's readers)."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import math
from pathlib import Path

import pytest

from analysis.simulation.posture import POSTURES
from analysis.simulation.sensor import DEVICES
from tui.cli import main
from tui.commands import simulate as simulate_command

G = 9.80665


def _read_samples(directory: Path) -> tuple[list[str], list[list[float]]]:
    plain, packed = directory / "samples.csv", directory / "samples.csv.gz"
    if plain.exists():
        text = plain.read_text(encoding="utf-8")
    else:
        text = gzip.decompress(packed.read_bytes()).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [[float(v) for v in row] for row in rows[1:]]


def _check_recording_against_the_spec(directory: Path) -> None:
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    assert meta["format"] == "massage-recording"
    assert meta["version"] == 1
    assert meta["sample_rate_hz"] > 0
    assert meta["complete"] is True
    header, rows = _read_samples(directory)
    assert header[0] == "t"
    assert {"t", "ax", "ay", "az"} <= set(header)
    gyro = {"gx", "gy", "gz"} & set(header)
    assert gyro in (set(), {"gx", "gy", "gz"})
    sim = meta["simulation"]
    assert bool(gyro) == sim["has_gyro"]
    assert ("force" in header) == sim["has_force"]
    assert all(len(r) == len(header) for r in rows)
    col = {name: i for i, name in enumerate(header)}
    t = [r[col["t"]] for r in rows]
    assert all(math.isfinite(v) for r in rows for v in r)
    assert all(b > a for a, b in itertools.pairwise(t)), "t strictly increasing"
    # Units: m/s² — the first second is a rest on the leg, so |acc| ≈ g.
    first = [r for r in rows if r[col["t"]] < 1.0]
    norms = [math.sqrt(sum(r[col[a]] ** 2 for a in ("ax", "ay", "az"))) for r in first]
    assert abs(sum(norms) / len(norms) - G) < 0.4
    if gyro:
        # rad/s: a hand at rest turns ≪ 1 rad/s; strokes never reach 35 rad/s (2000 °/s).
        rest_rate = [math.sqrt(sum(r[col[g]] ** 2 for g in ("gx", "gy", "gz"))) for r in first]
        assert max(rest_rate) < 0.5
        peak = max(abs(r[col[g]]) for r in rows for g in ("gx", "gy", "gz"))
        assert 0.05 < peak < 20.0
    # Measured rate near nominal (clock drift ≤ 1 %, lost packets excepted).
    duration = t[-1] - t[0]
    lost = sum(b - a for a, b in meta["gaps"])
    measured = (len(t) - 1) / (duration - lost)
    assert measured == pytest.approx(meta["sample_rate_hz"], rel=0.05)
    # Gaps inside the recording; labels inside and in the spec's schema.
    for before, after in meta["gaps"]:
        assert t[0] < before < after < t[-1]
    with (directory / "labels.csv").open(encoding="utf-8", newline="") as f:
        labels = list(csv.DictReader(f))
    assert {"onset", "duration", "label", "direction"} <= set(labels[0])
    strokes = [row for row in labels if row["label"] == "stroke"]
    assert strokes
    for row in labels:
        onset, dur = float(row["onset"]), float(row["duration"])
        assert t[0] - 1e-6 <= onset <= onset + dur <= t[-1] + 1e-6
    assert {row["direction"] for row in strokes} <= {"up", "down", "cross", "circular"}
    for row in strokes:
        assert (row["force"] != "") == sim["has_force"]
    cal = meta["calibration"]
    ups_in = [
        row
        for row in strokes
        if cal["onset"] <= float(row["onset"])
        and float(row["onset"]) + float(row["duration"]) <= cal["onset"] + cal["duration"]
    ]
    assert len(ups_in) >= 3
    assert all(row["direction"] == "up" for row in ups_in)


def test_simulate_writes_recordings_that_pass_an_independent_check_of_the_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["simulate", str(tmp_path), "--n", "3", "--seed", "7", "--minutes", "1"])
    assert status == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["sim-7-000", "sim-7-001", "sim-7-002"]
    for name in names:
        _check_recording_against_the_spec(tmp_path / name)
        assert (tmp_path / name / "meta.json").stat().st_mode & 0o077 == 0
    out = capsys.readouterr().out
    assert out.count("strokes") == 3


def test_acc_only_gzip_and_forced_options(tmp_path: Path) -> None:
    args = [
        "simulate",
        str(tmp_path),
        "--seed",
        "3",
        "--minutes",
        "1",
        "--acc-only",
        "--force",
        "--gzip",
        "--technique",
        "lymphatic",
        "--rate",
        "25",
        "--quiet",
    ]
    assert main(args) == 0
    rec = tmp_path / "sim-3-000"
    assert (rec / "samples.csv.gz").exists()
    assert not (rec / "samples.csv").exists()
    header, _ = _read_samples(rec)
    assert header == ["t", "ax", "ay", "az", "force"]
    meta = json.loads((rec / "meta.json").read_text(encoding="utf-8"))
    assert meta["technique"] == "lymphatic"
    assert meta["sample_rate_hz"] == 25
    assert meta["device"]["profile"] == "simulated"
    for key in (
        "seed",
        "posture",
        "mounting",
        "device",
        "rate_hz",
        "has_gyro",
        "has_force",
        "return_style",
        "symmetric",
    ):
        assert key in meta["simulation"]
    _check_recording_against_the_spec(rec)


def test_the_same_command_writes_the_same_bytes_and_seeds_differ_per_recording(
    tmp_path: Path,
) -> None:
    for out in ("a", "b"):
        assert (
            main(
                [
                    "simulate",
                    str(tmp_path / out),
                    "--n",
                    "2",
                    "--seed",
                    "4",
                    "--minutes",
                    "0.5",
                    "--gzip",
                    "--quiet",
                ]
            )
            == 0
        )
    for name in ("sim-4-000", "sim-4-001"):
        for file in ("samples.csv.gz", "labels.csv", "meta.json"):
            a = (tmp_path / "a" / name / file).read_bytes()
            assert a == (tmp_path / "b" / name / file).read_bytes()
    m0 = json.loads((tmp_path / "a" / "sim-4-000" / "meta.json").read_text())
    m1 = json.loads((tmp_path / "a" / "sim-4-001" / "meta.json").read_text())
    assert m0["simulation"]["seed"] != m1["simulation"]["seed"]
    assert m0["simulation"]["seed"] == simulate_command.recording_seed(4, 0)


def test_simulated_recordings_read_back_with_the_project_reader(tmp_path: Path) -> None:
    from firmware_bridge.recordings.reader import read_recording

    assert (
        main(["simulate", str(tmp_path), "--seed", "9", "--minutes", "0.5", "--quiet", "--force"])
        == 0
    )
    rec = read_recording(tmp_path / "sim-9-000")
    assert rec.labels is not None
    assert rec.labels.strokes
    assert rec.meta.calibration is not None
    assert rec.meta.extra["simulation"]["has_force"] is True
    assert all(s.force_n is not None for s in rec.labels.strokes)


@pytest.mark.parametrize(
    "argv",
    [
        ["--n", "0"],
        ["--n", "two"],
        ["--seed", "-1"],
        ["--minutes", "0.1"],
        ["--minutes", "nan"],
        ["--rate", "5"],
        ["--technique", "karate"],
        ["--posture", "upside_down"],
        ["--device", "tricorder"],
        ["--force", "--no-force"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert main(["simulate", str(tmp_path / "out"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("massage-coach: error:")
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_an_out_dir_that_is_a_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["simulate", str(target), "--minutes", "0.5"]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_the_command_offers_exactly_the_simulators_postures_and_devices() -> None:
    assert set(simulate_command.POSTURE_CHOICES) == set(POSTURES)
    assert set(simulate_command.DEVICE_CHOICES) == set(DEVICES)


def test_flat_writes_one_recording_into_out_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "demo"
    argv = [
        "simulate",
        str(target),
        "--flat",
        "--seed",
        "2",
        "--minutes",
        "0.5",
        "--technique",
        "lymphatic",
        "--device",
        "polar-verity",
        "--quiet",
    ]
    assert main(argv) == 0
    assert (target / "meta.json").exists()
    _check_recording_against_the_spec(target)
    assert main(["simulate", str(tmp_path / "x"), "--flat", "--n", "2"]) == 2
    assert "--flat" in capsys.readouterr().err


def test_any_condition_can_be_fixed_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "simulate",
        str(tmp_path),
        "--minutes",
        "0.5",
        "--quiet",
        "--condition",
        "symmetric=true",
        "--condition",
        "tremor_hz=9.5",
        "--condition",
        "grip=across",
        "--condition",
        "friction_vibration=0",
    ]
    assert main(argv) == 0
    sim = json.loads((tmp_path / "sim-0-000" / "meta.json").read_text())["simulation"]
    assert sim["symmetric"] is True
    assert sim["tremor_hz"] == 9.5
    assert sim["grip"] == "across"
    assert sim["friction_vibration"] == 0
    for bad in (
        "colour=red",
        "grip=sideways",
        "nonsense",
        "tremor_hz=100",
        "has_force=no",
        "clock_drift=fast",
        "friction_vibration=-1",
    ):
        assert main(["simulate", str(tmp_path / "bad"), "--condition", bad]) == 2
        err = capsys.readouterr().err
        assert err.startswith("massage-coach: error:")
        assert err.count("\n") == 1
