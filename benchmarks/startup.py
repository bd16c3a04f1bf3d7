"""Start-up cost of the `labcheck` CLI: wall time of `--help` and `list`, and which heavy modules they import.

Run: .venv/bin/python benchmarks/startup.py [--runs 15]

Each command runs as a fresh `python -m labcheck` subprocess, after one untimed warm-up run that also
writes the bytecode caches. `python -c pass` gives the interpreter's own floor. The import check runs the
same commands in a child that then reports which of boto3, botocore and rich are in sys.modules (no
-X importtime needed). Prints figures; never asserts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

TARGET_S = 0.15
HEAVY = ("boto3", "botocore", "rich")
COMMANDS = (("--help",), ("list",))
_PROBE = """
import sys
from labcheck.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(",".join(m for m in {heavy!r} if m in sys.modules) or "none", file=sys.stderr)
"""


def child_env() -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)  # the warm-up writes .pyc files, as an install does
    return environment


def wall_times(command: list[str], runs: int) -> list[float]:
    subprocess.run(command, env=child_env(), capture_output=True, check=False)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=child_env(), capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def heavy_imports(args: tuple[str, ...]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY), *args],
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else "? (probe printed nothing)"


def row(label: str, times: list[float], verdict: str, note: str) -> str:
    median = statistics.median(times)
    return f"{label:<16} {median:>9.3f} {min(times):>7.3f} {max(times):>7.3f}  {verdict:<6} {note}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Start-up cost of the labcheck CLI.")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command (default 15)")
    runs = parser.parse_args().runs
    print(f"labcheck start-up: {runs} runs each; target: median <= {TARGET_S:.2f} s; {sys.executable}")
    print(f"{'command':<16} {'median s':>9} {'min s':>7} {'max s':>7}  {'target':<6} heavy modules imported")
    print(row("python -c pass", wall_times([sys.executable, "-c", "pass"], runs), "", "(interpreter floor)"))
    for args in COMMANDS:
        times = wall_times([sys.executable, "-m", "labcheck", *args], runs)
        verdict = "ok" if statistics.median(times) <= TARGET_S else "OVER"
        print(row("labcheck " + " ".join(args), times, verdict, heavy_imports(args)))


if __name__ == "__main__":
    main()
