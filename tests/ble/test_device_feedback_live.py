"""On-device feedback in a live session (``massage-coach live --device-feedback``).

The command runs against BlueZoo and the simulated peripheral, which logs every write to its
display characteristic; :meth:`DeviceFeedback.post` is checked against a client whose writes the
test holds in flight, since it must never make the sample stream wait.
"""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from firmware_bridge.ble import feedback as feedback_module
from firmware_bridge.ble.feedback import DeviceFeedback, feedback_bytes
from firmware_bridge.profiles import microbit, open_profile, thingy52
from firmware_bridge.source import SourceInfo

MASSAGE_COACH = str(Path(sys.executable).with_name("massage-coach"))


def test_live_headless_device_feedback_writes_the_display_once_without_stalling_the_data(
    bluez: Any, start_peripheral: Any, tmp_path: Path
) -> None:
    from firmware_bridge.recordings.reader import read_recording

    rate = 50.0
    peripheral = start_peripheral(profile="microbit", rate_hz=rate)
    record = tmp_path / "session"
    options = "--headless --device-feedback --no-calibration --technique lymphatic --duration 5"
    argv = [MASSAGE_COACH, "live", "--device", peripheral.name, "--record", str(record)]
    done = subprocess.run(
        [*argv, *options.split()], env=bluez.env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    records = peripheral.records()
    subscribed_at = next(r["t"] for r in records if r.get("event") == "subscribe")
    sent_at = [r["t"] for r in records if "hex" in r and "event" not in r]
    shown = [r for r in records if r.get("event") == "feedback"]
    # The display is set at the first tick of the stream (no cue, no stroke yet: blank), then
    # only when what it shows changes, although the session posts it at every tick (30 Hz):
    # at most once per stroke or cue printed.
    assert {r["uuid"] for r in shown} == {microbit.LED_MATRIX_UUID}
    matrices = [bytes.fromhex(r["hex"]) for r in shown]
    assert matrices[0] == microbit.MATRIX_CLEAR
    assert 0 <= shown[0]["t"] - subscribed_at < 1.0
    assert set(matrices) <= {microbit.MATRIX_CLEAR, microbit.ARROW_UP, microbit.ARROW_DOWN}
    assert all(a != b for a, b in itertools.pairwise(matrices))
    assert len(matrices) <= 1 + _events_printed(done.stdout)
    # The samples went on arriving meanwhile: the recording holds every one sent before the
    # session stopped, with no lost stretch.
    recording = read_recording(record)
    assert recording.meta.gaps == ()
    assert len(recording.samples) >= sum(t < sent_at[-1] - 1.0 for t in sent_at)
    assert len(recording.samples) >= 2 * rate


def _events_printed(stdout: str) -> int:
    """Strokes and cues among the headless lines."""
    return sum(line.split()[1:2] in (["stroke"], ["cue"]) for line in stdout.splitlines())


class _HeldClient:
    """A bleak client whose writes stay in flight until the test releases them."""

    def __init__(self) -> None:
        self.started: list[bytes] = []
        self.written: list[bytes] = []
        self.release = asyncio.Event()
        self.fail = False
        self.in_flight = 0
        self.most_in_flight = 0

    async def write_gatt_char(self, char: Any, data: bytes, response: bool = True) -> None:
        self.started.append(bytes(data))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.release.wait()
            if self.fail:
                raise OSError("link lost")
            self.written.append(bytes(data))
        finally:
            self.in_flight -= 1


def _feedback(profile: str, client: _HeldClient | None) -> DeviceFeedback:
    info = SourceInfo(
        name="MC Test", profile=profile, sample_rate_hz=50.0, has_gyro=False, has_force=False
    )
    return DeviceFeedback(cast(Any, SimpleNamespace(info=info, client=client)))


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_post_never_waits_keeps_one_write_in_flight_and_shows_the_newest() -> None:
    client = _HeldClient()
    feedback = _feedback("microbit", client)
    feedback.post(None, "up")  # returns at once although the write cannot finish
    await _settle()
    assert client.started == [microbit.ARROW_UP]
    for direction in ("down", "up", "down"):
        feedback.post(None, direction)
    await _settle()
    assert client.most_in_flight == 1
    client.release.set()
    await _settle()
    # The write in flight, then only the newest wish: the intermediate ones are skipped.
    assert client.written == [microbit.ARROW_UP, microbit.ARROW_DOWN]
    assert client.most_in_flight == 1
    for _ in range(10):
        feedback.post(None, "down")  # unchanged: nothing to write
    # A cue with a direction wins over the last stroke; one without leaves the arrow.
    feedback.post("slow_down", "down")
    await _settle()
    assert feedback.writes == 2
    feedback.post("switch_up", "down")
    await _settle()
    assert client.written[-1] == microbit.ARROW_UP
    assert feedback.writes == 3


async def test_a_failed_write_is_retried_after_a_pause_and_close_ends_the_last_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = _HeldClient()
    client.release.set()
    client.fail = True
    feedback = _feedback("thingy52", client)
    feedback.post("lighter", None)
    await _settle()
    assert client.started == [thingy52.LED_RED]
    assert client.written == []
    feedback.post("lighter", None)  # at once again: the link is not hammered
    await _settle()
    assert len(client.started) == 1
    monkeypatch.setattr(feedback_module, "RETRY_AFTER_FAILURE_S", 0.0)
    client.fail = False
    feedback.post("lighter", None)
    await _settle()
    assert client.written == [thingy52.LED_RED]

    client.release.clear()
    feedback.post(None, None)
    await _settle()
    closing = asyncio.create_task(feedback.aclose())
    await _settle()
    assert not closing.done()  # waits for the write in flight before the link closes
    client.release.set()
    await asyncio.wait_for(closing, 1.0)
    assert client.written == [thingy52.LED_RED, thingy52.LED_GREEN]
    feedback.post("lighter", None)  # closed: nothing more is written
    await _settle()
    assert len(client.started) == 3


async def test_nothing_is_written_while_disconnected_or_for_a_cue_without_a_code() -> None:
    feedback = _feedback("massage-coach", None)
    feedback.post("switch_up", None)
    await _settle()
    assert feedback.writes == 0
    assert feedback_bytes("massage-coach", "breathe", None) is None
    assert feedback_bytes("massage-coach", "slow_down", None) == (
        open_profile.FEEDBACK_UUID,
        open_profile.encode_feedback("slow_down"),
    )
    assert feedback_bytes("polar-pmd", "switch_up", "up") is None
