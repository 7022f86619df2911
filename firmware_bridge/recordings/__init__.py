"""Recording format v1: reading, streaming writing, events CSV (spec: recording-format.md)."""

from analysis.events import CalibrationWindow
from firmware_bridge.recordings.model import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Recording,
    RecordingError,
    RecordingMeta,
)

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "CalibrationWindow",
    "Recording",
    "RecordingError",
    "RecordingMeta",
]

# Recording I/O (engineer A): reading, writing, the events CSV.
from firmware_bridge.recordings.events_csv import read_events, write_events
from firmware_bridge.recordings.reader import (
    RecordingWarning,
    find_recordings,
    read_recording,
)
from firmware_bridge.recordings.writer import RecordingWriter, write_recording

__all__ += [
    "RecordingWarning",
    "RecordingWriter",
    "find_recordings",
    "read_events",
    "read_recording",
    "write_events",
    "write_recording",
]
