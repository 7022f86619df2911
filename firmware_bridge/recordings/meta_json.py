"""``meta.json`` of recording format v1: validation on the way in, serialisation on the way out.

Keys this version does not know are kept in :attr:`RecordingMeta.extra` and written back, so a
recording made by another tool survives a read-modify-write unchanged apart from key order.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Final

from analysis.events import CalibrationWindow
from firmware_bridge.recordings.model import (
    FORMAT_NAME,
    FORMAT_VERSION,
    RecordingError,
    RecordingMeta,
)

META_FILE: Final = "meta.json"

_KNOWN_KEYS: Final = frozenset(
    {
        "format",
        "version",
        "sample_rate_hz",
        "started_at",
        "device",
        "sensor_location",
        "limb",
        "technique",
        "calibration",
        "gaps",
        "complete",
    }
)


def _is_number(value: object) -> bool:
    # bool is an int subclass in Python but never a number in meta.json
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite_number(value: object, where: str, source: str) -> float:
    if not _is_number(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise RecordingError(f"{source}: {where} must be a finite number, not {value!r}")
    return float(value)  # type: ignore[arg-type]


def _optional_str(obj: dict[str, Any], key: str, source: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise RecordingError(f"{source}: {key!r} must be a string, not {value!r}")


def parse_meta(text: str, source: str) -> RecordingMeta:
    """Validate the text of a ``meta.json`` and return it as a :class:`RecordingMeta`.

    Parameters
    ----------
    text:
        The file's contents.
    source:
        The file's name as the user should read it in error messages.

    Raises
    ------
    RecordingError
        Not JSON, not an object, wrong ``format``, unknown ``version``, a ``sample_rate_hz`` that is
        not a positive number, or a malformed optional key (``calibration``, ``gaps`` …).
    """
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordingError(
            f"{source}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})"
        ) from None
    except RecursionError:
        raise RecordingError(f"{source}: not valid JSON (nested too deeply)") from None
    if not isinstance(obj, dict):
        raise RecordingError(f"{source}: must hold a JSON object, not {type(obj).__name__}")

    if "format" not in obj:
        raise RecordingError(f"{source}: missing required key 'format'")
    if obj["format"] != FORMAT_NAME:
        raise RecordingError(
            f"{source}: 'format' is {obj['format']!r}, a recording says {FORMAT_NAME!r}"
        )
    if "version" not in obj:
        raise RecordingError(f"{source}: missing required key 'version'")
    version = obj["version"]
    if not _is_number(version) or version != FORMAT_VERSION:
        raise RecordingError(
            f"{source}: unsupported format version {version!r} (this reader knows {FORMAT_VERSION})"
        )
    if "sample_rate_hz" not in obj:
        raise RecordingError(f"{source}: missing required key 'sample_rate_hz'")
    rate_hz = _finite_number(obj["sample_rate_hz"], "'sample_rate_hz'", source)
    if rate_hz <= 0:
        raise RecordingError(f"{source}: 'sample_rate_hz' must be positive, not {rate_hz:g}")

    device = obj.get("device")
    if device is None:
        device = {}
    elif not isinstance(device, dict):
        raise RecordingError(f"{source}: 'device' must be an object, not {device!r}")

    complete = obj.get("complete", True)
    if not isinstance(complete, bool):
        raise RecordingError(f"{source}: 'complete' must be true or false, not {complete!r}")

    return RecordingMeta(
        sample_rate_hz=rate_hz,
        started_at=_optional_str(obj, "started_at", source),
        device=device,
        sensor_location=_optional_str(obj, "sensor_location", source),
        limb=_optional_str(obj, "limb", source),
        technique=_optional_str(obj, "technique", source),
        calibration=_parse_calibration(obj.get("calibration"), source),
        gaps=_parse_gaps(obj.get("gaps"), source),
        complete=complete,
        extra={k: v for k, v in obj.items() if k not in _KNOWN_KEYS},
    )


def _parse_calibration(value: object, source: str) -> CalibrationWindow | None:
    if value is None:
        return None
    if not isinstance(value, dict) or "onset" not in value or "duration" not in value:
        raise RecordingError(
            f"{source}: 'calibration' must be an object with 'onset' and 'duration', not {value!r}"
        )
    onset_s = _finite_number(value["onset"], "'calibration.onset'", source)
    duration_s = _finite_number(value["duration"], "'calibration.duration'", source)
    if duration_s <= 0:
        raise RecordingError(
            f"{source}: 'calibration.duration' must be positive, not {duration_s:g}"
        )
    return CalibrationWindow(onset_s=onset_s, duration_s=duration_s)


def _parse_gaps(value: object, source: str) -> tuple[tuple[float, float], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RecordingError(f"{source}: 'gaps' must be a list of [before, after], not {value!r}")
    gaps = []
    for i, gap in enumerate(value):
        where = f"'gaps[{i}]'"
        if not isinstance(gap, list) or len(gap) != 2:
            raise RecordingError(f"{source}: {where} must be [last t before, first t after]")
        before_s = _finite_number(gap[0], where, source)
        after_s = _finite_number(gap[1], where, source)
        if after_s <= before_s:
            raise RecordingError(
                f"{source}: {where} ends ({after_s:g}) before it starts ({before_s:g})"
            )
        gaps.append((before_s, after_s))
    return tuple(gaps)


def _plain_number(value: float) -> int | float:
    # 200 rather than 200.0 for a rate given as a whole number; both are valid JSON numbers
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def meta_to_json(meta: RecordingMeta) -> dict[str, Any]:
    """The JSON object of ``meta.json`` for ``meta``; keys in ``extra`` come last.

    Raises
    ------
    ValueError
        A ``sample_rate_hz`` that is not a positive finite number (the reader would reject it).
    """
    if not (math.isfinite(meta.sample_rate_hz) and meta.sample_rate_hz > 0):
        raise ValueError(f"sample_rate_hz must be positive and finite, not {meta.sample_rate_hz}")
    obj: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "sample_rate_hz": _plain_number(meta.sample_rate_hz),
    }
    optional: dict[str, Any] = {
        "started_at": meta.started_at,
        "device": meta.device or None,
        "sensor_location": meta.sensor_location,
        "limb": meta.limb,
        "technique": meta.technique,
    }
    obj.update({k: v for k, v in optional.items() if v is not None})
    if meta.calibration is not None:
        obj["calibration"] = {
            "onset": meta.calibration.onset_s,
            "duration": meta.calibration.duration_s,
        }
    obj["gaps"] = [[before_s, after_s] for before_s, after_s in meta.gaps]
    obj["complete"] = meta.complete
    obj.update({k: v for k, v in meta.extra.items() if k not in _KNOWN_KEYS})
    return obj


def meta_to_text(meta: RecordingMeta) -> str:
    """``meta.json``'s text for ``meta``: indented JSON ending in a newline."""
    return json.dumps(meta_to_json(meta), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def read_meta(directory: Path) -> RecordingMeta:
    """Read and validate ``directory/meta.json``.

    Raises
    ------
    RecordingError
        No ``meta.json``, unreadable, not UTF-8, or invalid (see :func:`parse_meta`).
    """
    path = directory / META_FILE
    if not path.is_file():
        raise RecordingError(f"{directory}: no {META_FILE}, not a recording directory")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise RecordingError(f"{path}: line {line}: not valid UTF-8") from None
    return parse_meta(text, str(path))
