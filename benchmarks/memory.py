"""Section ``memory``: peak memory of each measured solve, one fresh process per case.

See :mod:`benchmarks.worker` for the method: the extra peak RSS of building the game
and of the solve, each measured from a reset high-water mark, plus ``tracemalloc``'s
peak for negsim (numpy's arrays report to it; the peers' C++ allocations do not).
"""

from __future__ import annotations

from typing import Any

from benchmarks import games
from benchmarks.common import Config, Report, Table, megabytes, seconds
from benchmarks.lp import LP_GAMES, load_sequence_lp
from benchmarks.peers import Peers
from benchmarks.subprocesses import run_case

CFR_ITERATIONS = {"kuhn": (1000, 50), "leduc": (200, 10), "liars_dice": (20, 2)}
WORKER_TIMEOUT = 600.0


def cases(config: Config, peers: Peers) -> list[tuple[str, str, dict[str, Any]]]:
    """``(label, library, spec)`` of every case this run measures."""
    out = []
    # a quick run measures Leduc only: each case costs a fresh interpreter
    for key in ("leduc",) if config.quick else config.games:
        n = config.count(*CFR_ITERATIONS[key])
        title = games.title(key)
        out.append((f"{title}: CFR+ x {n}", "negsim", {"kind": "negsim_cfr", "game": key, "iterations": n}))
        if peers.has("openspiel"):
            out.append((f"{title}: CFR+ x {n}", "OpenSpiel", {"kind": "openspiel_cfr", "game": key, "iterations": n}))
        if peers.has("liteefg"):
            out.append((f"{title}: CFR+ x {n}", "LiteEFG", {"kind": "liteefg_cfr", "game": key, "iterations": n}))
        out.append((f"{title}: nash_conv(uniform)", "negsim", {"kind": "negsim_nash_conv", "game": key}))
    if load_sequence_lp() is not None:
        for key in ("leduc",) if config.quick else LP_GAMES:
            out.append((f"{games.title(key)}: sequence_lp", "negsim", {"kind": "negsim_lp", "game": key}))
    for key, batch, n in (("kuhn", max(config.batch_sizes), 200), ("leduc", min(100, max(config.batch_sizes)), 50)):
        n = config.count(n, 10)
        out.append(
            (
                f"{games.title(key)}: batch of {batch}, CFR+ x {n}",
                "negsim",
                {"kind": "negsim_cfr", "game": key, "iterations": n, "batch": batch},
            )
        )
    return out


def run(config: Config, report: Report, peers: Peers) -> None:
    out = report.section("memory")
    rows = []
    for label, library, spec in cases(config, peers):
        outcome = run_case(spec, WORKER_TIMEOUT)
        record = {"case": label, "library": library, "spec": spec, "error": outcome.error, **(outcome.result or {})}
        rows.append(record)
        report.say(f"  memory: {library} {label} done" + (f" ({outcome.error})" if outcome.error else ""))
    out["cases"] = rows
    report.table(_table(rows))


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table(
        "Peak memory of each solve (MiB, fresh process per case)",
        ["case", "library", "game: retained", "game: peak", "solve: peak", "solve: tracemalloc peak", "solve time"],
    )
    exact = True
    for r in rows:
        if r.get("error"):
            table.add(r["case"], r["library"], r["error"], "", "", "", "")
            continue
        exact = exact and r.get("exact_reset", False)
        table.add(
            r["case"],
            r["library"],
            megabytes(r.get("game_retained")),
            megabytes(r.get("game_peak")),
            megabytes(r.get("solve_peak")),
            megabytes(r.get("tracemalloc_peak")),
            seconds(r.get("seconds")),
        )
    table.notes += [
        "game: building the game after the imports (negsim: library builder plus its cached sequence form; "
        "OpenSpiel: load_game; LiteEFG: load_game plus OpenSpielEnv, read from its cache). "
        "retained = RSS after minus before; peak = extra high-water RSS during the phase.",
        "solve: extra high-water RSS (VmHWM, the figure getrusage's ru_maxrss reports) during the solve above the "
        "RSS at its start"
        + (
            ", the high-water mark being reset first via /proc/self/clear_refs."
            if exact
            else "; the high-water mark could not be reset, so this is a lower bound."
        ),
        "tracemalloc peak: Python and numpy allocations during the solve (negsim only; C++ peers are invisible "
        "to it). It can exceed the RSS peak when the solve reuses heap pages the game build left resident. "
        "Solve time: CPU time with tracemalloc on (negsim), so slower than in the other sections.",
    ]
    return table
