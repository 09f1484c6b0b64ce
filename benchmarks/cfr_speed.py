"""Section ``cfr``: CFR and CFR+ iterations per second, negsim beside OpenSpiel C++ and LiteEFG.

negsim is timed around the whole ``cfr(...)`` call (its set-up and the final NashConv of
the average included; the game's structure is cached by a warm-up call). The peers'
solver construction is left out of their time. OpenSpiel's solvers update the players in
turn (alternating). LiteEFG's CFR+ alternates too, its CFR updates both players at once;
so each ratio to LiteEFG compares negsim with the same update scheme.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from functools import partial

from benchmarks import games
from benchmarks.common import Config, Report, Table, clock, rate, ratio
from benchmarks.peers import LITEEFG_UPDATES, LiteRun, Peers, openspiel_iterations
from negsim.games import ExtensiveFormGame
from negsim.solvers import cfr

# iterations per timing, chosen so that one timing takes about 0.2-1 s on the reference machine;
# (full run, --quick)
ITERATIONS = {
    "negsim": {"kuhn": (6_000, 300), "leduc": (2_000, 60), "liars_dice": (300, 3)},
    "openspiel": {"kuhn": (8_000, 300), "leduc": (40, 5), "liars_dice": (2, 1)},
    "liteefg": {"kuhn": (15_000, 300), "leduc": (150, 10), "liars_dice": (2, 1)},
}
VARIANTS = ("cfr+", "cfr")
ROUNDS_PER_REPEAT = 3
"""Rounds of timings per ``--repeats``: many short rounds follow a shared machine's changing speed."""


def run(config: Config, report: Report, peers: Peers) -> None:
    out = report.section("cfr")
    for key in config.games:
        game = games.game(key)
        for variant in VARIANTS:
            runners: dict[str, tuple[int, Callable[[], float]]] = {}
            n = config.count(*ITERATIONS["negsim"][key])
            for alternating in (True, False):
                negsim_seconds(game, variant, 2, alternating)  # warm the structure caches
                name = "negsim_alternating" if alternating else "negsim_simultaneous"
                runners[name] = (n, partial(negsim_seconds, game, variant, n, alternating))
            if peers.has("openspiel"):
                n = config.count(*ITERATIONS["openspiel"][key])
                runners["openspiel"] = (n, partial(openspiel_iterations, peers, key, variant, n))
            if peers.has("liteefg"):
                n = config.count(*ITERATIONS["liteefg"][key])
                runners["liteefg"] = (n, partial(_liteefg_seconds, peers, key, variant, n))
            # round robin: each round times every library once, back to back, so that a change
            # in the machine's speed between rounds touches all of them, not one; the ratios
            # are medians of the rounds' own ratios
            times: dict[str, list[float]] = {name: [] for name in runners}
            for _ in range(config.repeats * ROUNDS_PER_REPEAT):
                for name, (_n, measure) in runners.items():
                    times[name].append(measure())
            entry: dict = {}
            for name, (n, _measure) in runners.items():
                entry[name] = {"iterations": n, "seconds": times[name], "it_per_s": n / statistics.median(times[name])}
            if "liteefg" in entry:
                entry["liteefg"]["updates"] = LITEEFG_UPDATES[variant]
            out.setdefault(key, {})[variant] = entry
            report.say(f"  cfr: {games.title(key)} {variant} done")
    report.table(_table(config, out, peers))


def negsim_seconds(game: ExtensiveFormGame, variant: str, iterations: int, alternating: bool) -> float:
    """Wall time of one whole ``cfr`` call."""
    started = clock()
    cfr(game, variant=variant, iterations=iterations, alternating=alternating, track_every=0)
    return clock() - started


def _liteefg_seconds(peers: Peers, key: str, variant: str, iterations: int) -> float:
    return LiteRun(peers, key, variant).step(iterations)


def paired_ratio(entry: dict, mine: str, peer: str) -> float:
    """Median over the rounds of (negsim's it/s) / (the peer's it/s) within the same round."""
    a, b = entry[mine], entry[peer]
    per_round = [
        (a["iterations"] / ta) / (b["iterations"] / tb) for ta, tb in zip(a["seconds"], b["seconds"], strict=False)
    ]
    return statistics.median(per_round)


def ratios(entry: dict, variant: str) -> tuple[float | None, float | None]:
    """negsim / OpenSpiel (both alternating) and negsim / LiteEFG (same update scheme)."""
    to_openspiel = paired_ratio(entry, "negsim_alternating", "openspiel") if "openspiel" in entry else None
    to_lite = None
    if "liteefg" in entry:
        like = "negsim_alternating" if LITEEFG_UPDATES[variant] == "alternating" else "negsim_simultaneous"
        to_lite = paired_ratio(entry, like, "liteefg")
    return to_openspiel, to_lite


def _table(config: Config, out: dict, peers: Peers) -> Table:
    table = Table(
        f"CFR iterations per second (median of {config.repeats * ROUNDS_PER_REPEAT} rounds, libraries timed in turn)",
        [
            "game",
            "variant",
            "negsim alt.",
            "negsim simult.",
            "OpenSpiel C++ (alt.)",
            "LiteEFG",
            "negsim / OpenSpiel",
            "negsim / LiteEFG",
        ],
    )
    for key, by_variant in out.items():
        for variant, entry in by_variant.items():
            to_os, to_lite = ratios(entry, variant)
            lite = entry.get("liteefg")
            table.add(
                games.title(key),
                variant.upper(),
                rate(entry["negsim_alternating"]["it_per_s"]),
                rate(entry["negsim_simultaneous"]["it_per_s"]),
                rate(entry["openspiel"]["it_per_s"]) if "openspiel" in entry else "-",
                f"{rate(lite['it_per_s'])} ({lite['updates'][:6]}.)" if lite else "-",
                ratio(to_os),
                ratio(to_lite),
            )
    table.notes += [
        "negsim: time of the whole cfr(variant, iterations=N, alternating, track_every=0) call, "
        "set-up and final NashConv included; peers: iteration loop only (solver construction untimed).",
        "negsim / OpenSpiel compares alternating updates (OpenSpiel's CFRSolver and CFRPlusSolver alternate).",
        "Ratios: the median over the rounds of each round's own ratio (the libraries run back to back in a round).",
        "LiteEFG: one iteration = baseline update_graph(env) + env.update_strategy(strategy); its CFR+ "
        "alternates players, its CFR updates both at once; negsim / LiteEFG uses negsim's matching scheme "
        "(alternating for CFR+, simultaneous for CFR).",
        "Iterations per timing: "
        + "; ".join(
            f"{games.title(k)}: negsim {v['cfr+']['negsim_alternating']['iterations']:,}"
            + (f", OpenSpiel {v['cfr+']['openspiel']['iterations']:,}" if "openspiel" in v["cfr+"] else "")
            + (f", LiteEFG {v['cfr+']['liteefg']['iterations']:,}" if "liteefg" in v["cfr+"] else "")
            for k, v in out.items()
        ),
    ]
    if peers.has("liteefg"):
        threads = peers.liteefg.get_threads()
        table.notes.append(f"LiteEFG runs with {threads} native thread{'s' if threads != 1 else ''} (its default).")
    return table
