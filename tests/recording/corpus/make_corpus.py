"""Writes the recording test corpus: tiny malformed and damaged-but-readable recordings.

The files are committed; this script documents how each one was made and regenerates them:

    uv run python tests/recording/corpus/make_corpus.py [OUT_DIR]

Every case is a directory under ``malformed/`` (the reader must refuse it) or ``readable/`` (it must
read, possibly with a warning). The expectations live in the tests, not here.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

META = {"format": "massage-recording", "version": 1, "sample_rate_hz": 100}
HEADER = "t,ax,ay,az,gx,gy,gz\n"
ROWS = [
    "0.00,0.12,-0.05,9.81,0.010,-0.020,0.003\n",
    "0.01,0.15,-0.02,9.79,0.012,-0.018,0.001\n",
    "0.02,0.11,-0.07,9.83,0.009,-0.021,0.004\n",
    "0.03,0.14,-0.04,9.80,0.011,-0.019,0.002\n",
    "0.04,0.13,-0.06,9.82,0.010,-0.020,0.003\n",
]
GOOD = HEADER + "".join(ROWS)
LABELS = (
    "onset,duration,label,direction,technique,force,cue\n"
    "0.00,0.02,stroke,up,lymphatic,4.5,\n"
    "0.02,0.01,stroke,down,lymphatic,,\n"
    "0.03,,cue,,lymphatic,,switch_up\n"
    "0.035,0.005,rest,,,,\n"
)


def _meta(**changes: object) -> str:
    meta = dict(META)
    meta.update(changes)
    return json.dumps(meta) + "\n"


def _rows(replace: dict[int, str]) -> str:
    """GOOD with data rows (0-based) replaced; row i is file line i + 2."""
    rows = list(ROWS)
    for i, row in replace.items():
        rows[i] = row
    return HEADER + "".join(rows)


def _gzip(text: str) -> bytes:
    return gzip.compress(text.encode(), mtime=0)


# case name -> {file name: contents, or None for a file left out on purpose}; meta.json and
# samples.csv default to a valid one
MALFORMED: dict[str, dict[str, str | bytes | None]] = {
    "missing_column_az": {"samples.csv": "t,ax,ay,gx\n0,1,2,3\n0.01,1,2,3\n"},
    "missing_column_t": {"samples.csv": "time,ax,ay,az\n0,1,2,3\n0.01,1,2,3\n"},
    "non_numeric_value": {"samples.csv": _rows({1: "0.01,0.15,abc,9.79,0.012,-0.018,0.001\n"})},
    "empty_value": {"samples.csv": _rows({2: "0.02,,-0.07,9.83,0.009,-0.021,0.004\n"})},
    "nan_value": {"samples.csv": _rows({2: "0.02,0.11,-0.07,NaN,0.009,-0.021,0.004\n"})},
    "inf_value": {"samples.csv": _rows({3: "0.03,0.14,-0.04,9.80,0.011,inf,0.002\n"})},
    "t_backwards": {"samples.csv": _rows({3: "0.015,0.14,-0.04,9.80,0.011,-0.019,0.002\n"})},
    "t_duplicate": {"samples.csv": _rows({2: "0.01,0.11,-0.07,9.83,0.009,-0.021,0.004\n"})},
    "empty_samples": {"samples.csv": ""},
    "header_only": {"samples.csv": HEADER},
    "binary_garbage": {"samples.csv": bytes(range(256)) * 4},
    "corrupt_gzip": {"samples.csv.gz": b"\x1f\x8b\x08\x00" + bytes(range(200))},
    "truncated_gzip": {"samples.csv.gz": _gzip(GOOD * 20)[:60]},
    "not_gzip_at_all": {"samples.csv.gz": GOOD},
    "nan_inside_gzip": {
        "samples.csv.gz": _gzip(_rows({4: "0.04,0.13,-0.06,9.82,nan,-0.020,0.003\n"}))
    },
    "short_row_middle": {"samples.csv": _rows({1: "0.01,0.15,-0.02\n"})},
    "long_row_middle": {"samples.csv": _rows({2: "0.02,0.11,-0.07,9.83,0.009,-0.021,0.004,7\n"})},
    "blank_line_middle": {"samples.csv": _rows({2: "\n"})},
    "invalid_utf8": {
        "samples.csv": _rows({3: "0.03,0.14,-0.04,9.80,0.011,-0.019,0.002\n"})
        .encode()
        .replace(b"-0.04,9.80", b"-0.04,9.\xff0")
    },
    "nul_bytes": {"samples.csv": GOOD.replace("9.83", "9\x0083")},
    "gyro_partial": {"samples.csv": "t,ax,ay,az,gx\n0,1,2,3,4\n0.01,1,2,3,4\n"},
    "duplicate_column": {"samples.csv": "t,ax,ay,az,ax\n0,1,2,3,4\n0.01,1,2,3,4\n"},
    "missing_meta": {"meta.json": None},
    "meta_not_json": {"meta.json": '{"format": "massage-recording", "version": 1,\n  rate: 100}'},
    "meta_not_object": {"meta.json": "[1, 2, 3]\n"},
    "meta_wrong_format": {"meta.json": _meta(format="csv-recording")},
    "meta_missing_format": {"meta.json": json.dumps({"version": 1, "sample_rate_hz": 100})},
    "meta_unknown_version": {"meta.json": _meta(version=2)},
    "meta_missing_rate": {
        "meta.json": json.dumps({"format": "massage-recording", "version": 1}) + "\n"
    },
    "meta_negative_rate": {"meta.json": _meta(sample_rate_hz=-200)},
    "meta_rate_not_number": {"meta.json": _meta(sample_rate_hz="200 Hz")},
    "meta_bad_gaps": {"meta.json": _meta(gaps=[[0.01, 0.02], [0.03]])},
    "meta_gap_reversed": {"meta.json": _meta(gaps=[[0.03, 0.02]])},
    "meta_bad_calibration": {"meta.json": _meta(calibration={"onset": "soon", "duration": 3})},
    "meta_complete_not_bool": {"meta.json": _meta(complete="yes")},
    "meta_invalid_utf8": {
        "meta.json": _meta(limb="left_leg").encode().replace(b"left", b"l\xe9ft")
    },
    "no_samples_file": {"samples.csv": None},
    "both_samples_files": {"samples.csv.gz": _gzip(GOOD)},
    "labels_bad_direction": {"labels.csv": LABELS.replace("stroke,down", "stroke,sideways")},
    "labels_non_numeric_onset": {"labels.csv": LABELS.replace("0.02,0.01,", "soon,0.01,")},
    "labels_missing_onset": {"labels.csv": LABELS.replace("onset,", "start,", 1)},
    "labels_stroke_without_duration": {"labels.csv": LABELS.replace("0.02,0.01,", "0.02,,")},
    "labels_short_row": {"labels.csv": LABELS + "0.04,0.01\n"},
}

READABLE: dict[str, dict[str, str | bytes | None]] = {
    "truncated_last_line": {"samples.csv": GOOD + "0.05,0.12,-0.0"},
    "truncated_last_number": {"samples.csv": GOOD + "0.05,0.12,-0.05,9.81,0.010,-0.020,-"},
    "last_line_whole_without_newline": {"samples.csv": GOOD.rstrip("\n")},
    "incomplete": {"meta.json": _meta(complete=False), "samples.csv": GOOD + "0.05,0.1"},
    "extra_columns_and_keys": {
        "meta.json": _meta(
            operator="hand-labelled", simulation={"seed": 3}, device={"name": "Bench IMU"}
        ),
        "samples.csv": "t,ax,ay,az,temp_c,note\n"
        "0.0,0.1,0.2,9.8,31.5,start\n0.01,0.1,0.2,9.8,31.5,\n0.02,0.1,0.2,9.8,oops,x\n",
        "notes.txt": "other files are allowed and ignored\n",
    },
    "gzipped": {"samples.csv.gz": _gzip(GOOD)},
    "column_order_shuffled": {
        "samples.csv": "gz,az,t,gx,ay,ax,gy\n"
        "0.003,9.81,0.00,0.010,-0.05,0.12,-0.020\n0.001,9.79,0.01,0.012,-0.02,0.15,-0.018\n"
    },
    "force_only": {"samples.csv": "t,ax,ay,az,force\n0,0.1,0.2,9.8,4.5\n0.01,0.1,0.2,9.8,5.25\n"},
    "acc_only": {"samples.csv": "t,ax,ay,az\n0,0.1,0.2,9.8\n0.01,0.1,0.2,9.8\n0.02,0.1,0.2,9.8\n"},
    "with_labels": {
        "meta.json": _meta(
            technique="lymphatic",
            calibration={"onset": 0.0, "duration": 0.02},
            gaps=[[0.02, 0.03]],
            device={"name": "Polar Sense 1A2B3C4D", "profile": "polar-pmd"},
        ),
        "labels.csv": LABELS,
    },
    "crlf_line_endings": {"samples.csv": GOOD.replace("\n", "\r\n")},
    "trailing_blank_lines": {"samples.csv": GOOD + "\n\n"},
    "quoted_header": {"samples.csv": '"t","ax","ay","az"\n0,1,2,3\n0.01,1,2,3\n'},
}


def write_case(directory: Path, files: dict[str, str | bytes | None]) -> None:
    directory.mkdir(parents=True)
    contents: dict[str, str | bytes | None] = {"meta.json": _meta(), "samples.csv": GOOD}
    if "samples.csv.gz" in files and directory.name != "both_samples_files":
        del contents["samples.csv"]
    contents.update(files)
    for name, data in contents.items():
        if data is None:  # the case is about this file being absent
            continue
        path = directory / name
        if isinstance(data, str):
            path.write_bytes(data.encode("utf-8"))
        else:
            path.write_bytes(data)


def write_corpus(root: Path) -> None:
    for kind, cases in (("malformed", MALFORMED), ("readable", READABLE)):
        for name, files in cases.items():
            write_case(root / kind / name, files)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for kind in ("malformed", "readable"):
        shutil.rmtree(out / kind, ignore_errors=True)
    write_corpus(out)
