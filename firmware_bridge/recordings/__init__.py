"""Recording format v1: reading, streaming writing, events CSV (spec: recording-format.md)."""

from firmware_bridge.recordings.model import (
    FORMAT_NAME,
    FORMAT_VERSION,
    CalibrationWindow,
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
