"""How long the simulator takes: a 2-minute session at 25, 200 and 416 Hz (with and without hand
tremor, the costliest condition) and, with ``--long``, one hour at 200 Hz.

    uv run python bench/bench_simulate.py [--repeat 5] [--long]

Prints the best wall time of ``--repeat`` runs per case (the machine is shared; the best run is
the least disturbed one).
"""

from __future__ import annotations

import argparse
import time

from analysis.simulation import simulate_session


def best_of(repeat: int, minutes: float, rate_hz: float, **kw: object) -> tuple[float, int]:
    best = float("inf")
    n = 0
    for i in range(repeat):
        start = time.perf_counter()
        session = simulate_session(100 + i, minutes, "lymphatic", rate_hz, **kw)  # type: ignore[arg-type]
        best = min(best, time.perf_counter() - start)
        n = len(session.samples)
    return best, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--long", action="store_true", help="also one hour at 200 Hz")
    args = parser.parse_args()
    simulate_session(0, 0.5)  # imports and first-call costs out of the way
    cases: list[tuple[str, float, float, dict[str, object]]] = [
        ("2 min  25 Hz", 2.0, 25.0, {"tremor_hz": None}),
        ("2 min 200 Hz", 2.0, 200.0, {"tremor_hz": None}),
        ("2 min 200 Hz, tremor", 2.0, 200.0, {"tremor_hz": 10.0}),
        ("2 min 200 Hz, no truth", 2.0, 200.0, {"tremor_hz": 10.0, "truth": False}),
        ("2 min 416 Hz, tremor", 2.0, 416.0, {"tremor_hz": 10.0}),
    ]
    if args.long:
        cases.append(("60 min 200 Hz, no truth", 60.0, 200.0, {"truth": False}))
    for name, minutes, rate, kw in cases:
        repeat = 1 if minutes > 10 else args.repeat
        seconds, n = best_of(repeat, minutes, rate, **kw)
        print(f"{name:26s} {n:8d} samples  {seconds:7.3f} s  (best of {repeat})")


if __name__ == "__main__":
    main()
