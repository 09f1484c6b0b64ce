"""Start :mod:`benchmarks.worker` in a fresh Python process, watch it, and read back its result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Outcome:
    """What a worker reported: its result, its progress steps, or why it has none."""

    result: dict[str, Any] | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    timed_out: bool = False


def _parse(line: str, outcome: Outcome) -> None:
    tag, _, payload = line.strip().partition(" ")
    if tag == "RESULT":
        outcome.result = json.loads(payload)
    elif tag == "STEP":
        outcome.steps.append(json.loads(payload))


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a running process (Linux ``/proc``), or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_case(spec: dict[str, Any], timeout: float, *, cpu_limit: float | None = None) -> Outcome:
    """Run one case; stop it after ``timeout`` wall-clock seconds, or ``cpu_limit`` CPU seconds.

    The CPU limit counts from the worker's first ``STEP`` line that reports ``"cpu"`` (its
    CPU time when the measured work starts), so that interpreter start-up and reading the
    game do not count. A stopped worker is reported with ``timed_out`` and an ``error`` of
    the form "no answer in N s".
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    command = [sys.executable, "-m", "benchmarks.worker", json.dumps(spec)]
    outcome = Outcome()
    stderr: list[str] = []
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        readers = [
            threading.Thread(target=lambda: [_parse(line, outcome) for line in proc.stdout], daemon=True),
            threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True),
        ]
        for reader in readers:
            reader.start()
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            time.sleep(0.05)
            started = next((s["cpu"] for s in outcome.steps if "cpu" in s), None)
            used = _cpu_seconds(proc.pid) if cpu_limit is not None and started is not None else None
            if used is not None and used - started > cpu_limit:
                outcome.error = f"no answer in {cpu_limit:g} s (CPU time)"
            elif time.monotonic() > deadline:
                outcome.error = f"no answer in {timeout:g} s"
            else:
                continue
            proc.kill()
            outcome.timed_out = True
            break
        proc.wait()
        for reader in readers:
            reader.join(timeout=5)
    if outcome.timed_out:
        outcome.result = None
    elif proc.returncode != 0 or outcome.result is None:
        tail = "".join(stderr).strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        outcome.error = tail[0]
    return outcome
