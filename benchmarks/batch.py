"""Section ``batch``: B payoff variants solved in one ``cfr`` call versus a loop of single solves.

The variants (:func:`benchmarks.games.payoff_variants`) multiply player 1's payoff at
every terminal by a random factor and keep the game zero-sum. Both ways run the same
CFR+ iterations; the loop is timed on the first few variants and extrapolated linearly to
all B, and its answers are compared with the batched ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks import games
from benchmarks.common import Config, Report, Table, clock, number, ratio, seconds
from benchmarks.peers import Peers
from negsim.solvers import cfr

ITERATIONS = {"kuhn": (200, 20), "leduc": (50, 5)}
LOOPED = {"kuhn": (50, 10), "leduc": (10, 3)}
"""How many variants the loop solves (full run, --quick); the rest is extrapolated."""


def run(config: Config, report: Report, peers: Peers) -> None:
    out = report.section("batch")
    for key in ("kuhn", "leduc"):
        base = games.game(key)
        n = config.count(*ITERATIONS[key])
        # a quick run keeps Leduc's batches small (B = 1,000 alone takes about 10 s at 50 iterations)
        sizes = tuple(b for b in config.batch_sizes if not (config.quick and key == "leduc" and b > 100))
        payoffs = games.payoff_variants(base, max(sizes))
        looped_count = min(max(sizes), LOOPED[key][1] if config.quick else LOOPED[key][0])
        # the loop: one single-game solve per variant (structure cache warm, as for the batch)
        cfr(base, variant="cfr+", iterations=2, track_every=0)
        started = clock()
        singles = [
            cfr(base.with_batch(payoffs=payoffs[b]), variant="cfr+", iterations=n, track_every=0)
            for b in range(looped_count)
        ]
        per_variant_loop = (clock() - started) / looped_count
        rows = []
        for size in sizes:
            batch = base.with_batch(payoffs=payoffs[:size])
            cfr(batch, variant="cfr+", iterations=1, track_every=0)  # the batch's own sequence form
            started = clock()
            solved = cfr(batch, variant="cfr+", iterations=n, track_every=0)
            elapsed = clock() - started
            check = min(size, looped_count)
            values = np.asarray(solved.values)[:check]
            nash = np.asarray(solved.nash_conv)[:check]
            rows.append(
                {
                    "batch": size,
                    "iterations": n,
                    "batched_seconds": elapsed,
                    "batched_per_variant": elapsed / size,
                    "loop_per_variant": per_variant_loop,
                    "loop_measured": looped_count,
                    "speedup": per_variant_loop / (elapsed / size),
                    "max_value_difference": float(
                        max(np.max(np.abs(values[b] - singles[b].values)) for b in range(check))
                    ),
                    "max_nash_conv_difference": float(
                        max(abs(float(nash[b]) - float(singles[b].nash_conv)) for b in range(check))
                    ),
                }
            )
        out[key] = rows
        report.say(f"  batch: {games.title(key)} done")
    report.table(_table(out))


def _table(out: dict[str, Any]) -> Table:
    table = Table(
        "Batch of payoff variants in one cfr call vs a loop of single solves (CFR+)",
        [
            "game",
            "B",
            "iterations",
            "batched: total",
            "batched: per variant",
            "loop: per variant",
            "speedup",
            "max |value diff|",
            "max |NashConv diff|",
        ],
    )
    for key, rows in out.items():
        for r in rows:
            loop = seconds(r["loop_per_variant"])
            if r["loop_measured"] < r["batch"]:
                loop += f" (from {r['loop_measured']}, extrapolated)"
            table.add(
                games.title(key),
                f"{r['batch']:,}",
                r["iterations"],
                seconds(r["batched_seconds"]),
                seconds(r["batched_per_variant"]),
                loop,
                ratio(r["speedup"]),
                number(r["max_value_difference"], 2),
                number(r["max_nash_conv_difference"], 2),
            )
    table.notes += [
        "Loop: cfr(game.with_batch(payoffs=variant)) for each variant; timed on the first variants only and "
        "extrapolated linearly (its per-variant time does not depend on B).",
        "Differences: batched vs looped answers of the variants both solved (values of both players, NashConv).",
    ]
    return table
