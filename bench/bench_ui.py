"""Benchmark: CPU and memory of the coaching app at 400 Hz input, on a real terminal.

The parent starts the real app (the ``demo`` plan over the simulated sensor at 400 Hz, the full
live path: source task → buffer → 30 Hz UI timer → pipeline → widgets) inside a detached tmux
terminal of 80×24, then samples that process with psutil: CPU time over wall time (percent of
one core) and resident memory. Memory growth is fitted as a line over the run after a warm-up and
extrapolated to 30 minutes.

    uv run python bench/bench_ui.py                # 120 s run
    uv run python bench/bench_ui.py --seconds 600  # longer
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(rate_hz: float, minutes: float, pid_file: Path) -> None:
    """The measured process: the app as ``massage-coach demo`` builds it, at ``rate_hz``."""
    from datetime import date

    from analysis.techniques import DEFAULT_PROFILES
    from firmware_bridge.simulated import SimulatedSensor
    from tui.app import CoachApp, SessionPlan
    from tui.config import UserConfig
    from tui.feeds import SourceFeed
    from tui.launch import run_app, status_of
    from tui.session import SessionController

    sensor = SimulatedSensor(
        seed=7,
        technique="lymphatic",
        rate_hz=rate_hz,
        minutes=minutes,
        has_force=True,
        device="polar-verity",
    )
    info = sensor.info

    def make_controller(profile):  # type: ignore[no-untyped-def]
        return SessionController(
            profile,
            info.sample_rate_hz,
            status_of(info),
            calibration=sensor.session.calibration,
            has_force=info.has_force,
        )

    feed = SourceFeed(sensor)
    plan = SessionPlan(
        mode="demo",
        profiles=dict(DEFAULT_PROFILES),
        profile=DEFAULT_PROFILES["lymphatic"],
        calibration="known",
        config=UserConfig(Path(tempfile.mkdtemp())),
        today=date.today(),
        show_safety=False,
    )
    pid_file.write_text(str(os.getpid()))
    run_app(CoachApp(plan, feed, make_controller), feed.close)


def measure(seconds: float, rate_hz: float, warmup_s: float) -> int:
    import numpy as np
    import psutil

    if shutil.which("tmux") is None:
        print("tmux is needed for the terminal run", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp())
    pid_file = tmp / "pid"
    socket = f"mc-bench-{os.getpid()}"
    minutes = max(1.0, (seconds + warmup_s + 30) / 60)
    command = (
        f"{sys.executable} {Path(__file__).resolve()} --child --rate {rate_hz} "
        f"--minutes {minutes} --pid-file {pid_file}"
    )
    subprocess.run(
        ["tmux", "-L", socket, "new-session", "-d", "-x", "80", "-y", "24", command], check=True
    )
    try:
        deadline = time.monotonic() + 120
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        process = psutil.Process(int(pid_file.read_text()))
        time.sleep(warmup_s)
        start_cpu = process.cpu_times()
        start_wall = time.monotonic()
        times, rss = [], []
        while time.monotonic() - start_wall < seconds:
            times.append(time.monotonic() - start_wall)
            rss.append(process.memory_info().rss / 2**20)
            time.sleep(1.0)
        end_cpu = process.cpu_times()
        wall = time.monotonic() - start_wall
        screen = subprocess.run(
            ["tmux", "-L", socket, "capture-pane", "-p"], capture_output=True, text=True
        ).stdout
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], check=False)
    cpu_s = (end_cpu.user - start_cpu.user) + (end_cpu.system - start_cpu.system)
    slope_mb_per_min = float(np.polyfit(np.array(times), np.array(rss), 1)[0]) * 60
    print(f"input rate            {rate_hz:.0f} Hz (simulated sensor, polar-verity packets)")
    print(f"measured              {wall:.0f} s after {warmup_s:.0f} s warm-up, 80x24 tmux")
    print(f"CPU                   {100 * cpu_s / wall:.1f} % of one core")
    print(f"RSS start / end / max {rss[0]:.1f} / {rss[-1]:.1f} / {max(rss):.1f} MiB")
    print(f"RSS slope             {slope_mb_per_min:+.3f} MiB/min")
    print(f"extrapolated 30 min   {slope_mb_per_min * 30:+.1f} MiB")
    last = [line for line in screen.splitlines() if "Hz" in line]
    if last:
        print(f"status line           {last[-1].strip()}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--rate", type=float, default=400.0)
    parser.add_argument("--warmup", type=float, default=20.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--minutes", type=float, default=3.0, help=argparse.SUPPRESS)
    parser.add_argument("--pid-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        assert args.pid_file is not None
        child(args.rate, args.minutes, args.pid_file)
        return 0
    return measure(args.seconds, args.rate, args.warmup)


if __name__ == "__main__":
    sys.exit(main())
