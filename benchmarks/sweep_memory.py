"""Peak memory of ``negsim sweep SCENARIO --draws N`` against N, one fresh process per point.

Each run is the real command (``python -m negsim sweep ... --json``) in its own process;
its peak resident set size comes from ``os.wait4`` (the kernel's high-water mark of that
child alone), so the figure includes the interpreter, numpy and scipy. The command keeps
only statistics over the draws (``monte_carlo(..., keep="summary")``): each chunk of
draws (``negsim.analysis._sweep.CHUNK_BYTES`` of work) is made, solved, reduced to a few
numbers per column and merged, so the curve should be flat -- the interpreter and
libraries plus one chunk, whatever the number of draws.

Run from the repository root::

    python -m benchmarks.sweep_memory                      # istanbul-2025, 1e3 .. 1e5 draws
    python -m benchmarks.sweep_memory --draws 1000 10000 --scenario path/to/file.toml
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peak(draws: int, scenario: str, seed: int = 1) -> tuple[float, float, int]:
    """``(peak RSS in MiB, seconds, exit status)`` of one sweep of ``draws`` draws."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    command = [sys.executable, "-m", "negsim", "sweep", scenario, "--draws", str(draws), "--seed", str(seed), "--json"]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stderr.close()
    return usage.ru_maxrss / 1024, seconds, child.returncode  # ru_maxrss is in KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="istanbul-2025")
    parser.add_argument("--draws", type=int, nargs="+", default=[1_000, 10_000, 30_000, 100_000])
    args = parser.parse_args(argv)
    print(f"| draws | peak RSS (MiB) | seconds | exit |  ({args.scenario})")
    print("|---:|---:|---:|---:|")
    for n in args.draws:
        mib, secs, code = peak(n, args.scenario)
        print(f"| {n:,} | {mib:.0f} | {secs:.1f} | {code} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
