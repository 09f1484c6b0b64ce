"""Run the benchmark sections, print their tables and the targets, optionally save JSON.

``python -m benchmarks`` runs everything; see ``--help`` and ``benchmarks/README.md``.
From Python, :func:`run` does the same and returns the raw results.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import scipy

from benchmarks import batch, bench_estimate, cfr_speed, convergence, evaluation, lp, memory, scaling, targets
from benchmarks.common import SECTIONS, Config, Report, Table, use_clock
from benchmarks.peers import Peers, detect

ROOT = Path(__file__).resolve().parent.parent
_CLOCK_TEXT = {
    "cpu": "CPU time of this process (time.process_time): steady when other processes load the machine",
    "wall": "wall clock (time.perf_counter)",
}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load() -> str:
    """The 1, 5 and 15 minute load averages: on a shared machine, how busy it was."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "-"


def _git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
        return done.stdout.strip() or "-"
    except (OSError, subprocess.SubprocessError):
        return "-"


def machine(peers: Peers) -> dict[str, Any]:
    import negsim

    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "load_average": _load(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "negsim": f"{negsim.__version__} ({_git_commit()})",
        "peers": dict(peers.versions),
        "missing_peers": dict(peers.missing),
    }


def _header(info: dict[str, Any]) -> str:
    lines = [
        "negsim benchmarks",
        f"  date      {info['date']}",
        f"  machine   {info['cpu']}, {info['cpu_count']} CPUs, {info['platform']}",
        f"  load      {info['load_average']} (1, 5, 15 min averages at the start)",
        f"  python    {info['python']}, numpy {info['numpy']}, scipy {info['scipy']}, negsim {info['negsim']}",
    ]
    for name, version in info["peers"].items():
        lines.append(f"  peer      {name} {version}")
    for name, why in info["missing_peers"].items():
        lines.append(f"  skipped   {name}: {why}")
    return "\n".join(lines)


def run(
    *,
    quick: bool = False,
    sections: Sequence[str] | None = None,
    iterations: int | None = None,
    repeats: int | None = None,
    lp_timeout: float = 60.0,
    peers: Sequence[str] | None = None,
    batch_sizes: Sequence[int] | None = None,
    markdown: bool = False,
    clock: str = "cpu",
    json_path: str | os.PathLike[str] | None = None,
    stream: TextIO | None = None,
) -> dict[str, Any]:
    """Run the chosen sections and return the raw results (also printed as tables).

    Parameters
    ----------
    quick : bool
        Small iteration counts, Kuhn and Leduc only, LP timeout at most 5 s.
    sections : sequence of str, optional
        Any of ``cfr, convergence, evaluation, lp, memory, batch, scaling`` (default: all).
    iterations : int, optional
        Cap on every iteration count (for smoke tests of the harness itself).
    repeats : int, optional
        Timings per measurement; the median is reported (default 3, 1 with ``quick``).
    lp_timeout : float
        Seconds pygambit's LP may run before it is stopped.
    peers : sequence of str, optional
        Peers to use among ``openspiel, liteefg, pygambit, cvxpy`` (default: all installed).
    batch_sizes : sequence of int, optional
        Batch sizes of the batch section (default 1, 10, 100, 1000).
    markdown : bool
        Print tables as Markdown.
    clock : {"cpu", "wall"}
        Time with the process's CPU time (default; steadier on a shared machine) or the
        wall clock (see :func:`benchmarks.common.use_clock`).
    json_path : path, optional
        Also save the raw results there as JSON.
    stream : file, optional
        Where to print (default standard output).
    """
    chosen = tuple(SECTIONS if sections is None else sections)
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    config = Config(
        quick=quick,
        sections=chosen,
        iterations=iterations,
        repeats=repeats if repeats is not None else (1 if quick else 3),
        lp_timeout=lp_timeout,
        peers=None if peers is None else frozenset(peers),
        markdown=markdown,
        batch_sizes=tuple(batch_sizes) if batch_sizes is not None else Config.batch_sizes,
    )
    use_clock(clock)
    report = Report(config, stream)
    found = detect(config.peers)
    info = machine(found)
    report.results["machine"] = info
    report.results["config"] = {
        "quick": quick,
        "sections": list(chosen),
        "iterations": iterations,
        "repeats": config.repeats,
        "lp_timeout": config.timeout,
        "batch_sizes": list(config.batch_sizes),
        "clock": clock,
    }
    text = _header(info) + "\n  clock     " + _CLOCK_TEXT[clock]
    report.say(f"```\n{text}\n```" if markdown else text)
    started = time.perf_counter()
    for name in chosen:
        report.say(f"[{name}] ...")
        section_started = time.perf_counter()
        if name == "cfr":
            cfr_speed.run(config, report, found)
        elif name == "convergence":
            convergence.run(config, report, found)
        elif name == "evaluation":
            evaluation.run(config, report, found)
        elif name == "lp":
            lp.run(config, report, found)
        elif name == "memory":
            memory.run(config, report, found)
        elif name == "batch":
            batch.run(config, report, found)
        elif name == "scaling":
            scaling.run(config, report)
        elif name == "estimate":
            bench_estimate.run(config, report)
        report.section("seconds")[name] = time.perf_counter() - section_started
    judged = targets.judge(report.results)
    report.results["targets"] = judged
    report.table(targets.table(judged))
    report.results["seconds"]["total"] = time.perf_counter() - started
    info["load_average_at_end"] = _load()
    total = report.results["seconds"]["total"]
    report.say(f"total {total:.1f} s; load average at the end {info['load_average_at_end']}")
    report.results["tables"] = [t.to_dict() for t in report.tables]
    if json_path is not None:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(report.results, indent=2, default=_plain) + "\n")
        report.say(f"raw results saved to {json_path}")
    return report.results


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Table):
        return value.to_dict()
    return str(value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time negsim's solvers beside OpenSpiel, LiteEFG and pygambit (see benchmarks/README.md).",
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny iteration counts, Kuhn and Leduc only, LP timeout 5 s (< 60 s)"
    )
    parser.add_argument("--only", metavar="SECTION[,SECTION]", help=f"run only these sections: {', '.join(SECTIONS)}")
    parser.add_argument("--json", metavar="PATH", help="save the raw results as JSON")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--lp-timeout", type=float, default=60.0, metavar="S", help="pygambit LP timeout (60 s)")
    parser.add_argument("--repeats", type=int, metavar="N", help="timings per measurement (3; 1 with --quick)")
    parser.add_argument("--iterations", type=int, metavar="N", help="cap every iteration count (smoke runs)")
    parser.add_argument(
        "--clock", choices=("cpu", "wall"), default="cpu", help="time with process CPU time (default) or wall clock"
    )
    parser.add_argument(
        "--peers", metavar="NAME[,NAME]", help="peers to use: openspiel,liteefg,pygambit,cvxpy or none (default: all)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sections = None if not args.only else [s.strip() for s in args.only.split(",") if s.strip()]
    peers = None
    if args.peers is not None:
        peers = [] if args.peers.strip() == "none" else [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = [s for s in sections or () if s not in SECTIONS]
    if unknown:
        print(f"error: unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    run(
        quick=args.quick,
        sections=sections,
        iterations=args.iterations,
        repeats=args.repeats,
        lp_timeout=args.lp_timeout,
        peers=peers,
        markdown=args.markdown,
        clock=args.clock,
        json_path=args.json,
    )
    return 0
