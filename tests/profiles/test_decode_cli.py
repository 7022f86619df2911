"""``massage-coach decode PROFILE HEX [--factor F]`` per the spec: CSV ``x,y,z`` in native units,
one row per sample; bad input → one line on stderr, exit 2."""

from __future__ import annotations

import struct
import subprocess
import sys

import pytest

from firmware_bridge.profiles import native
from tui.cli import main
from tui.commands import decode as decode_command

ACC_TYPE1 = "02650000000000000081F1FF1400F00306017B0F08"
GYRO_TYPE0 = "05 FF FF FF FF FF FF FF 7F 80 EA FF 08 00 0D 00 03 01 DF 00"
H10 = "02 00 94 35 77 00 00 00 00 01 F7FFFFFFE703 F8FFFEFFE503 F9FFFFFFE503"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["decode", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_polar_acc_compressed_vector(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "polar-pmd", ACC_TYPE1)
    assert status == 0
    assert out == "x,y,z\n-15,20,1008\n-20,17,1008\n"


def test_polar_gyro_compressed_vector_given_as_spaced_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = _run(capsys, "polar-pmd", *GYRO_TYPE0.split(), "--factor", "1.0")
    assert status == 0
    assert out == "x,y,z\n-22,8,13\n-23,11,16\n"


def test_hex_split_anywhere_is_joined(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(capsys, "polar-pmd", ACC_TYPE1[:19], ACC_TYPE1[19:])
    assert out == "x,y,z\n-15,20,1008\n-20,17,1008\n"
    _, out, _ = _run(capsys, "polar-pmd", "0x" + ACC_TYPE1)
    assert out == "x,y,z\n-15,20,1008\n-20,17,1008\n"


def test_polar_gyro_factor(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(capsys, "polar-gyro", GYRO_TYPE0, "--factor", "0.5")
    assert out == "x,y,z\n-11,4,6.5\n-11.5,5.5,8\n"


def test_polar_h10_raw_vector(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(capsys, "polar-acc", H10)
    assert out == "x,y,z\n-9,-1,999\n-8,-2,997\n-7,-1,997\n"


def test_polar_alias_insists_on_the_type_byte(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "polar-gyro", ACC_TYPE1)
    assert status == 2
    assert out == ""
    assert err.startswith("massage-coach: error:")
    assert err.count("\n") == 1


def test_thingy_acc_and_gyro_columns(capsys: pytest.CaptureFixture[str]) -> None:
    payload = "0004 00FC 0002 2000 E0FF 4006 1000 F0FF 2003"
    _, out, _ = _run(capsys, "thingy52", payload)
    assert out == "x,y,z\n1,-1,0.5\n"
    _, out, _ = _run(capsys, "thingy52", payload, "--characteristic", "gyro")
    assert out == "x,y,z\n1,-1,50\n"


def test_microbit_witmotion_and_open_profile(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(capsys, "microbit", "E8 03 18 FC 00 00")
    assert out == "x,y,z\n1000,-1000,0\n"
    _, out, _ = _run(capsys, "witmotion", "5561 0008 0000 00F8 0040 0000 00C0 0000 0000 00C0")
    assert out == "x,y,z\n1,0,-1\n"
    raw = struct.pack("<BBBBIII", 1, 3, 1, 0, 0, 0, 5000) + struct.pack(
        "<hhhhhhH", 1, 2, 3, 15, 0, -7, 250
    )
    _, out, _ = _run(capsys, "massage-coach", raw.hex())
    assert out == "x,y,z\n1,2,3\n"
    _, out, _ = _run(capsys, "massage-coach", raw.hex(), "--channel", "gyro")
    assert out == "x,y,z\n1.5,0,-0.7\n"
    _, out, _ = _run(capsys, "massage-coach", raw.hex(), "--channel", "force")
    assert out == "force\n2.5\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["polar-pmd", "026"],  # odd digits
        ["polar-pmd", "zz"],
        ["polar-pmd", "0265"],  # too short
        ["fitbit", "00"],
        ["thingy52", "00" * 18, "--factor", "2"],
        ["microbit", "E803 18FC 0000", "--channel", "gyro"],
        ["polar-pmd", ACC_TYPE1, "--factor", "nan"],
        ["polar-pmd", ACC_TYPE1, "--channel", "force"],
        ["witmotion", "5571" + "00" * 18],
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    status, out, err = _run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert err.startswith("massage-coach: error: ")
    assert err.count("\n") == 1


def test_console_script_reproduces_the_vector_in_a_real_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "decode", "polar-pmd", ACC_TYPE1],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "x,y,z\n-15,20,1008\n-20,17,1008\n"


def test_the_parser_lists_match_the_profiles() -> None:
    assert decode_command.DECODE_PROFILES == native.DECODE_PROFILES
    assert decode_command.CHANNELS == native.CHANNELS


def test_readme_decode_examples_print_what_the_readme_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pathlib import Path

    readme = Path(__file__).resolve().parents[2] / "firmware_bridge" / "README.md"
    lines = readme.read_text(encoding="utf-8").splitlines()
    examples = 0
    for i, line in enumerate(lines):
        if line.startswith("$ massage-coach decode "):
            expected = []
            for following in lines[i + 1 :]:
                if following.startswith(("$", "```")):
                    break
                expected.append(following)
            status, out, _ = _run(capsys, *line.split()[3:])
            assert status == 0
            assert out.splitlines() == expected
            examples += 1
    assert examples >= 2
