"""Section ``scaling``: cost of one CFR+ iteration against the number of terminals.

Games from 30 to 147,420 terminals (Kuhn, Liar's dice with 2 to 6 sides, Leduc). The
cost is fitted as ``a + b T`` (a fixed Python overhead per iteration plus a cost per
terminal); the exponent between the two largest games says whether the growth is
linear (1) or worse.
"""

from __future__ import annotations

import math
import statistics
from functools import partial

import numpy as np

from benchmarks import games
from benchmarks.common import Config, Report, Table, timed
from negsim.solvers import cfr

FULL = ("kuhn", "liars_dice_2", "liars_dice_3", "liars_dice_4", "leduc", "liars_dice_5", "liars_dice")
QUICK = ("kuhn", "leduc")


def _iterations(config: Config, terminals: int) -> int:
    """About 1 s per timing (0.2 s with --quick), from a rough cost model."""
    estimate = 8e-5 + 4e-8 * terminals
    target = 0.2 if config.quick else 1.0
    return config.count(max(3, min(20_000, int(target / estimate))), max(2, min(2_000, int(target / estimate))))


def run(config: Config, report: Report) -> None:
    out = report.section("scaling")
    measures = {}
    for key in QUICK if config.quick else FULL:
        game = games.game(key)
        n = _iterations(config, game.num_terminals)
        cfr(game, variant="cfr+", iterations=2, track_every=0)  # warm the structure cache
        measures[key] = (n, timed(partial(cfr, game, variant="cfr+", iterations=n, track_every=0)))
    # round robin over the games, so that a change in the machine's load spreads over all sizes
    times: dict[str, list[float]] = {key: [] for key in measures}
    for _ in range(config.repeats):
        for key, (_n, measure) in measures.items():
            times[key].append(measure())
    points = [
        {
            "game": key,
            "terminals": games.game(key).num_terminals,
            "iterations": n,
            "seconds_per_iteration": statistics.median(times[key]) / n,
            "structure": _structure(games.game(key)),
        }
        for key, (n, _measure) in measures.items()
    ]
    points.sort(key=lambda p: p["terminals"])
    out["points"] = points
    out.update(fit(points))
    report.table(_table(out, config))


def _structure(game: object) -> list[list[int]] | None:
    """Per player: (information sets, treeplex depth); the depth sets the Python-level steps of one iteration.

    Read from negsim's private kernel (``negsim.solvers._plex``); None if it has changed.
    """
    try:
        from negsim.solvers._plex import plex_of

        return [[int(p.counts.size), len(p.levels)] for p in plex_of(game).players]
    except Exception:
        return None


def fit(points: list[dict]) -> dict:
    """Fit ``t = a + b T`` (least squares on relative errors) and the log-log slope of the two largest games."""
    T = np.array([p["terminals"] for p in points], float)
    t = np.array([p["seconds_per_iteration"] for p in points], float)
    result: dict = {}
    if len(points) >= 2:
        design = np.stack([np.ones_like(T), T], axis=1) / t[:, None]
        (a, b), *_ = np.linalg.lstsq(design, np.ones_like(t), rcond=None)
        result.update(overhead_seconds=float(a), seconds_per_terminal=float(b))
        (T1, t1), (T2, t2) = (T[-2], t[-2]), (T[-1], t[-1])
        result["exponent_largest_two"] = math.log(t2 / t1) / math.log(T2 / T1) if T2 != T1 else None
        result["largest_two"] = [points[-2]["game"], points[-1]["game"]]
    return result


def _table(out: dict, config: Config) -> Table:
    table = Table(
        f"Cost per CFR+ iteration vs number of terminals (negsim, alternating; median of {config.repeats})",
        [
            "game",
            "terminals",
            "infosets, depth",
            "iterations timed",
            "ms / iteration",
            "µs / iteration / terminal",
            "fit a + bT (ms)",
        ],
    )
    a, b = out.get("overhead_seconds"), out.get("seconds_per_terminal")
    for p in out["points"]:
        t = p["seconds_per_iteration"]
        table.add(
            games.title(p["game"]),
            f"{p['terminals']:,}",
            " / ".join(f"{g}, {d}" for g, d in p["structure"]) if p.get("structure") else "-",
            f"{p['iterations']:,}",
            f"{t * 1e3:.4g}",
            f"{t * 1e6 / p['terminals']:.4g}",
            f"{(a + b * p['terminals']) * 1e3:.4g}" if a is not None else "-",
        )
    if a is not None:
        table.notes.append(
            f"Fit (least squares on relative errors): {a * 1e6:.1f} µs fixed per iteration "
            f"+ {b * 1e9:.2f} ns per terminal."
        )
    table.notes.append(
        "infosets, depth (player 1 / player 2): information sets and treeplex depth; the depth sets the number "
        "of numpy calls per iteration (negsim's fixed cost), so the fixed cost differs between games and the "
        "one-line fit is only a guide."
    )
    if out.get("exponent_largest_two") is not None:
        g1, g2 = (games.title(k) for k in out["largest_two"])
        table.notes.append(
            f"Growth exponent between {g1} and {g2}: {out['exponent_largest_two']:.2f} "
            "(1 = linear in terminals; below 1 while fixed overhead still counts)."
        )
    return table
