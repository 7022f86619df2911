"""Every malformed recording of the corpus: exit 2 and one line naming file, line and column.

The expectations are written from the spec and the corpus script's description of each case,
not from the reader's output: the file the defect is in, and where it is.
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main

CORPUS = Path(__file__).resolve().parent / "corpus"
MALFORMED = CORPUS / "malformed"
READABLE = CORPUS / "readable"

# case -> (file named in the message, further substrings the message must contain)
MALFORMED_EXPECTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "binary_garbage": ("samples.csv", ("line 1",)),
    "blank_line_middle": ("samples.csv", ("line 4",)),
    "both_samples_files": ("both_samples_files", ("samples.csv.gz",)),
    "corrupt_gzip": ("samples.csv.gz", ("gzip",)),
    "duplicate_column": ("samples.csv", ("line 1", "column 5", "'ax'")),
    "empty_samples": ("samples.csv", ("line 1", "empty")),
    "empty_value": ("samples.csv", ("line 4", "column 2 (ax)")),
    "gyro_partial": ("samples.csv", ("line 1", "gy", "gz")),
    "header_only": ("samples.csv", ("line 2", "no samples")),
    "inf_value": ("samples.csv", ("line 5", "column 6 (gy)", "inf")),
    "invalid_utf8": ("samples.csv", ("line 5", "column 4 (az)", "UTF-8")),
    "labels_bad_direction": ("labels.csv", ("line 3", "column 4 (direction)", "sideways")),
    "labels_missing_onset": ("labels.csv", ("line 1", "'onset'")),
    "labels_non_numeric_onset": ("labels.csv", ("line 3", "column 1 (onset)", "soon")),
    "labels_short_row": ("labels.csv", ("line 6",)),
    "labels_stroke_without_duration": ("labels.csv", ("line 3", "column 2 (duration)")),
    "long_row_middle": ("samples.csv", ("line 4", "8 fields")),
    "meta_bad_calibration": ("meta.json", ("calibration",)),
    "meta_bad_gaps": ("meta.json", ("gaps[1]",)),
    "meta_complete_not_bool": ("meta.json", ("complete",)),
    "meta_gap_reversed": ("meta.json", ("gaps[0]",)),
    "meta_invalid_utf8": ("meta.json", ("line 1", "UTF-8")),
    "meta_missing_format": ("meta.json", ("'format'",)),
    "meta_missing_rate": ("meta.json", ("sample_rate_hz",)),
    "meta_negative_rate": ("meta.json", ("sample_rate_hz", "positive")),
    "meta_not_json": ("meta.json", ("line 2", "JSON")),
    "meta_not_object": ("meta.json", ("object",)),
    "meta_rate_not_number": ("meta.json", ("sample_rate_hz",)),
    "meta_unknown_version": ("meta.json", ("version 2",)),
    "meta_wrong_format": ("meta.json", ("format", "csv-recording")),
    "missing_column_az": ("samples.csv", ("line 1", "'az'")),
    "missing_column_t": ("samples.csv", ("line 1", "'t'")),
    "missing_meta": ("missing_meta", ("meta.json",)),
    "nan_inside_gzip": ("samples.csv.gz", ("line 6", "column 5 (gx)", "nan")),
    "nan_value": ("samples.csv", ("line 4", "column 4 (az)", "NaN")),
    "no_samples_file": ("no_samples_file", ("samples.csv",)),
    "non_numeric_value": ("samples.csv", ("line 3", "column 3 (ay)", "abc")),
    "not_gzip_at_all": ("samples.csv.gz", ("gzip",)),
    "nul_bytes": ("samples.csv", ("line 4",)),
    "short_row_middle": ("samples.csv", ("line 3", "3 fields")),
    "t_backwards": ("samples.csv", ("line 5", "column 1 (t)")),
    "t_duplicate": ("samples.csv", ("line 4", "column 1 (t)")),
    "truncated_gzip": ("samples.csv.gz", ("truncated",)),
}

# case -> (samples, channels, warnings, complete)
READABLE_EXPECTED: dict[str, tuple[int, str, int, bool]] = {
    "acc_only": (3, "acc", 0, True),
    "column_order_shuffled": (2, "acc, gyro", 0, True),
    "crlf_line_endings": (5, "acc, gyro", 0, True),
    "extra_columns_and_keys": (3, "acc", 0, True),
    "force_only": (2, "acc, force", 0, True),
    "gzipped": (5, "acc, gyro", 0, True),
    "incomplete": (5, "acc, gyro", 1, False),
    "last_line_whole_without_newline": (5, "acc, gyro", 0, True),
    "quoted_header": (2, "acc", 0, True),
    "trailing_blank_lines": (5, "acc, gyro", 0, True),
    "truncated_last_line": (5, "acc, gyro", 1, True),
    "truncated_last_number": (5, "acc, gyro", 1, True),
    "with_labels": (5, "acc, gyro", 0, True),
}


def _cases(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def test_corpus_is_large_enough_and_every_case_has_an_expectation() -> None:
    assert len(_cases(MALFORMED)) >= 20
    assert _cases(MALFORMED) == sorted(MALFORMED_EXPECTED)
    assert _cases(READABLE) == sorted(READABLE_EXPECTED)


def test_committed_corpus_is_what_the_script_makes(tmp_path: Path) -> None:
    script = CORPUS / "make_corpus.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True)
    for kind in ("malformed", "readable"):
        for case in _cases(tmp_path / kind):
            made, committed = tmp_path / kind / case, CORPUS / kind / case
            names = sorted(os.listdir(made))
            assert names == sorted(os.listdir(committed)), case
            _, mismatch, errors = filecmp.cmpfiles(made, committed, names, shallow=False)
            assert not mismatch, (case, mismatch)
            assert not errors, (case, errors)


@pytest.mark.parametrize("case", sorted(MALFORMED_EXPECTED))
def test_malformed_recording_exits_2_with_one_line(
    case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["info", str(MALFORMED / case)])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    file_name, fragments = MALFORMED_EXPECTED[case]
    assert lines[0].startswith("massage-coach: error: ")
    assert file_name in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.mark.parametrize("case", sorted(READABLE_EXPECTED))
def test_readable_recording_exits_0(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["info", str(READABLE / case)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert err == ""
    n_samples, channels, n_warnings, complete = READABLE_EXPECTED[case]
    fields = dict(line.split(None, 1) for line in out.splitlines() if not line.startswith(" "))
    assert fields["duration"].split("(")[1].startswith(f"{n_samples} samples")
    assert fields["channels"] == channels
    assert fields["complete"].startswith("yes" if complete else "no")
    assert fields["warnings"] == (str(n_warnings) if n_warnings else "none")


@pytest.mark.parametrize(
    ("case", "status"),
    [("malformed/t_backwards", 2), ("readable/incomplete", 0)],
)
def test_installed_console_script(case: str, status: int) -> None:
    """The real ``massage-coach`` executable of this environment, as a user runs it."""
    script = Path(sys.executable).with_name("massage-coach")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "tui.cli"]
    result = subprocess.run(
        [*command, "info", str(CORPUS / case)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == status, result.stderr
    if status == 2:
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1
        assert result.stderr.startswith("massage-coach: error: ")
    else:
        assert result.stderr == ""  # the cut-short warning is in the summary, not on stderr
        assert "dropped the final line" in result.stdout
