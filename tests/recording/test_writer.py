"""RecordingWriter (streaming) and write_recording (offline) against the spec and the issue."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from analysis.events import CalibrationWindow, Cue, EventTable, OtherEvent, Stroke
from analysis.samples import SampleBatch
from firmware_bridge.recordings.events_csv import read_events
from firmware_bridge.recordings.model import RecordingMeta
from firmware_bridge.recordings.reader import read_recording
from firmware_bridge.recordings.writer import RecordingWriter, write_recording


def batch(
    start: int, n: int, *, gyro: bool = True, force: bool = False, rate_hz: float = 100.0
) -> SampleBatch:
    i = np.arange(start, start + n, dtype=np.float64)
    return SampleBatch(
        t_s=i / rate_hz,
        acc_mps2=np.column_stack([i, -i, np.full(n, 9.80665)]),
        gyro_radps=np.column_stack([0.001 * i, i, -i]) if gyro else None,
        force_n=0.5 * i if force else None,
    )


def meta_json(directory: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((directory / "meta.json").read_text())
    return data


META = RecordingMeta(
    sample_rate_hz=100.0,
    started_at="2026-11-23T18:30:00+00:00",
    device={"name": "Simulated", "profile": "simulated"},
    technique="lymphatic",
    calibration=CalibrationWindow(0.0, 0.3),
    extra={"simulation": {"seed": 4}},
)


def test_streaming_lifecycle(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "session"
    writer = RecordingWriter(out, META, has_gyro=True, has_force=True)
    # meta.json first, complete: false, private files
    meta = meta_json(out)
    assert meta["complete"] is False
    assert meta["format"] == "massage-recording"
    assert meta["version"] == 1
    assert meta["simulation"] == {"seed": 4}
    assert out.stat().st_mode & 0o777 == 0o700
    for name in ("meta.json", "samples.csv"):
        assert (out / name).stat().st_mode & 0o777 == 0o600

    writer.append(batch(0, 30, force=True))
    # readable while open, with everything appended so far, before any flush()
    live = read_recording(out)
    assert len(live.samples) == 30
    assert live.meta.complete is False

    writer.add_gap(0.29, 0.35)
    assert read_recording(out).meta.gaps == ((0.29, 0.35),)
    writer.append(batch(35, 20, force=True))
    writer.add_event(OtherEvent(0.1, 0.0, "mark"))
    writer.add_event(Stroke(0.2, 0.1, "up", emitted_s=0.4, confidence=0.8))
    writer.add_event(Cue(0.45, "switch_up", "lymphatic"))
    assert (out / "events.csv").stat().st_mode & 0o777 == 0o600
    writer.close()
    writer.close()  # idempotent

    rec = read_recording(out)
    assert rec.meta.complete is True
    assert rec.meta.gaps == ((0.29, 0.35),)
    assert rec.meta.technique == "lymphatic"
    assert rec.meta.extra == {"simulation": {"seed": 4}}
    assert rec.labels is None  # events are not ground truth
    expected = batch(0, 30, force=True), batch(35, 20, force=True)
    np.testing.assert_allclose(rec.t_s, np.concatenate([b.t_s for b in expected]), atol=5e-7)
    np.testing.assert_allclose(
        rec.samples.acc_mps2, np.concatenate([b.acc_mps2 for b in expected]), atol=5e-5
    )
    events = read_events(out / "events.csv")
    assert events.strokes == (Stroke(0.2, 0.1, "up", emitted_s=0.4, confidence=0.8),)
    assert events.cues == (Cue(0.45, "switch_up", "lymphatic"),)
    assert events.others == (OtherEvent(0.1, 0.0, "mark"),)
    assert not list(out.glob(".*.tmp"))  # atomic replacements leave no temp files
    with pytest.raises(ValueError, match="closed"):
        writer.append(batch(60, 1))


def test_context_manager_closes_complete_and_accelerometer_only(tmp_path: Path) -> None:
    with RecordingWriter(
        tmp_path / "r", RecordingMeta(50.0), has_gyro=False, has_force=False
    ) as writer:
        writer.append(batch(0, 5, gyro=False))
        writer.append(batch(5, 0, gyro=False))  # empty batches are fine
        assert writer.n_samples == 5
    rec = read_recording(tmp_path / "r")
    assert rec.meta.complete is True
    assert not rec.samples.has_gyro
    assert not rec.samples.has_force
    assert (tmp_path / "r" / "samples.csv").read_text().splitlines()[0] == "t,ax,ay,az"


def test_streaming_writer_refuses_bad_batches(tmp_path: Path) -> None:
    with RecordingWriter(tmp_path / "r", META, has_gyro=True, has_force=False) as writer:
        writer.append(batch(0, 5))
        with pytest.raises(ValueError, match="channels"):
            writer.append(batch(5, 5, gyro=False))
        with pytest.raises(ValueError, match="channels"):
            writer.append(batch(5, 5, force=True))
        with pytest.raises(ValueError, match="increase"):
            writer.append(batch(4, 2))  # overlaps the last sample
        bad = batch(5, 3)
        bad.acc_mps2[1, 0] = np.nan
        with pytest.raises(ValueError, match="not finite"):
            writer.append(bad)
        with pytest.raises(ValueError, match="gap"):
            writer.add_gap(2.0, 1.0)
        writer.append(batch(5, 5))
    assert len(read_recording(tmp_path / "r").samples) == 10  # the refused ones left no trace


def test_streaming_calibration_is_on_disk_at_once_and_kept_at_close(tmp_path: Path) -> None:
    out = tmp_path / "r"
    writer = RecordingWriter(
        out, RecordingMeta(100.0, gaps=((0.01, 0.02),)), has_gyro=True, has_force=False
    )
    writer.append(batch(0, 200))
    assert read_recording(out).meta.calibration is None
    window = CalibrationWindow(0.25, 1.5)
    writer.set_calibration(window)
    # What a process killed now leaves behind: the window, still incomplete, nothing else lost.
    live = read_recording(out)
    assert (live.meta.calibration, live.meta.complete) == (window, False)
    assert live.meta.gaps == ((0.01, 0.02),)
    assert meta_json(out)["calibration"] == {"onset": 0.25, "duration": 1.5}
    for bad in (CalibrationWindow(0.25, 0.0), CalibrationWindow(float("nan"), 1.0)):
        with pytest.raises(ValueError, match="calibration"):
            writer.set_calibration(bad)
    recalibrated = CalibrationWindow(0.5, 1.25)  # a second try replaces the first
    writer.set_calibration(recalibrated)
    writer.append(batch(200, 10))
    writer.close()
    rec = read_recording(out)
    assert (rec.meta.calibration, rec.meta.complete) == (recalibrated, True)
    assert writer.calibration == recalibrated
    assert not list(out.glob(".*.tmp"))
    with pytest.raises(ValueError, match="closed"):
        writer.set_calibration(window)


def test_streaming_writer_never_overwrites_a_recording(tmp_path: Path) -> None:
    write_recording(tmp_path / "r", META, batch(0, 3))
    with pytest.raises(FileExistsError):
        RecordingWriter(tmp_path / "r", META, has_gyro=True, has_force=False)


def test_write_recording_round_trip_with_labels(tmp_path: Path) -> None:
    samples = batch(0, 40, force=True)
    labels = EventTable(
        strokes=(Stroke(0.05, 0.1, "up", force_n=3.0),),
        cues=(Cue(0.2, "lighter"),),
        others=(OtherEvent(0.3, 0.05, "rest"),),
    )
    write_recording(tmp_path / "r", META, samples, labels)
    rec = read_recording(tmp_path / "r")
    assert rec.labels == labels
    assert rec.meta == META  # every field and the extra keys survive
    assert rec.samples.force_n is not None
    assert samples.force_n is not None
    np.testing.assert_allclose(rec.samples.force_n, samples.force_n, atol=5e-4)
    for name in ("meta.json", "samples.csv", "labels.csv"):
        assert (tmp_path / "r" / name).stat().st_mode & 0o777 == 0o600


def test_write_recording_compressed_replaces_plain_and_stale_labels(tmp_path: Path) -> None:
    out = tmp_path / "r"
    write_recording(out, META, batch(0, 10), EventTable(strokes=(Stroke(0.0, 0.05, "up"),)))
    write_recording(out, META, batch(0, 12), compress=True)
    assert sorted(p.name for p in out.iterdir()) == ["meta.json", "samples.csv.gz"]
    assert gzip.decompress((out / "samples.csv.gz").read_bytes()).startswith(b"t,ax,ay,az,gx")
    rec = read_recording(out)
    assert len(rec.samples) == 12
    assert rec.labels is None
    # the same input gives the same bytes (the simulator is deterministic per seed)
    first = (out / "samples.csv.gz").read_bytes()
    write_recording(out, META, batch(0, 12), compress=True)
    assert (out / "samples.csv.gz").read_bytes() == first


def test_write_recording_refuses_what_the_reader_would_refuse(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one sample"):
        write_recording(tmp_path / "a", META, batch(0, 0))
    twins = SampleBatch(t_s=np.array([1.0, 1.0000001]), acc_mps2=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="increase"):
        write_recording(tmp_path / "b", META, twins)  # equal once written with 1 µs resolution
    with pytest.raises(ValueError, match="sample_rate_hz"):
        write_recording(tmp_path / "c", RecordingMeta(0.0), batch(0, 2))
    assert not (tmp_path / "a").exists()
    assert not (tmp_path / "c").exists()


def test_written_numbers_are_short(tmp_path: Path) -> None:
    samples = SampleBatch(
        t_s=np.array([0.0, 1 / 3]),
        acc_mps2=np.array([[9.80665, -0.1 + 0.2, 1e-9], [123.456789, -1e-9, -2.5]]),
    )
    write_recording(tmp_path / "r", RecordingMeta(3.0), samples)
    assert (tmp_path / "r" / "samples.csv").read_text().splitlines() == [
        "t,ax,ay,az",
        "0,9.8066,0.1,0",
        "0.333333,123.4568,0,-2.5",
    ]
