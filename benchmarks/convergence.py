"""Section ``convergence``: how exploitable CFR+'s average is after 100 and 1,000 iterations.

Both conventions are shown: NashConv (the sum of the players' best-response gains,
negsim's ``Solution.nash_conv`` and LiteEFG's summed ``exploitability``) and
exploitability = NashConv / 2 (OpenSpiel's ``pyspiel.exploitability`` for two players).
The section also checks that OpenSpiel's ``exploitability`` is its ``nash_conv`` / 2.
"""

from __future__ import annotations

from benchmarks import games
from benchmarks.common import Config, Report, Table, number
from benchmarks.peers import LiteRun, Peers, openspiel_game, openspiel_solver
from negsim.solvers import cfr, nash_conv

REFERENCE_EXPLOITABILITY = {("leduc", 100): 0.0134, ("leduc", 1000): 2.4e-4}
"""OpenSpiel-convention exploitability of CFR+ on Leduc quoted in PEERS.md (±5% with rounding)."""


def checkpoints(config: Config) -> tuple[int, ...]:
    if config.iterations is not None:
        cap = max(2, config.iterations)
        return (cap // 2, cap)
    return (10, 50) if config.quick else (100, 1000)


def run(config: Config, report: Report, peers: Peers) -> None:
    out = report.section("convergence")
    points = checkpoints(config)
    out["checkpoints"] = list(points)
    identity_gaps = []
    for key in ("kuhn", "leduc"):
        game = games.game(key)
        rows: dict[int, dict] = {t: {} for t in points}
        for t in points:
            solution = cfr(game, variant="cfr+", iterations=t, track_every=0)
            rows[t]["negsim"] = float(solution.nash_conv)
            # the same number from the public best-response code, as a consistency check
            rows[t]["negsim_recomputed"] = float(nash_conv(game, solution.profile))
        if peers.has("openspiel"):
            pyspiel = peers.pyspiel
            solver = openspiel_solver(peers, key, "cfr+")
            done = 0
            for t in points:
                for _ in range(t - done):
                    solver.evaluate_and_update_policy()
                done = t
                policy = solver.average_policy()
                conv = float(pyspiel.nash_conv(openspiel_game(peers, key), policy))
                expl = float(pyspiel.exploitability(openspiel_game(peers, key), policy))
                rows[t]["openspiel"] = conv
                rows[t]["openspiel_exploitability"] = expl
                identity_gaps.append(abs(expl - conv / 2))
        if peers.has("liteefg"):
            lite = LiteRun(peers, key, "cfr+")
            done = 0
            for t in points:
                lite.step(t - done)
                done = t
                rows[t]["liteefg"] = lite.nash_conv()
        out[key] = {str(t): v for t, v in rows.items()}
    if identity_gaps:
        out["openspiel_exploitability_is_half_nash_conv"] = max(identity_gaps) < 1e-12
        out["openspiel_identity_max_gap"] = max(identity_gaps)
    report.table(_table(out, points, peers))


def _table(out: dict, points: tuple[int, ...], peers: Peers) -> Table:
    table = Table(
        "Exploitability of the CFR+ average (NashConv; exploitability = NashConv / 2)",
        [
            "game",
            "iterations",
            "negsim NashConv",
            "negsim expl.",
            "OpenSpiel NashConv",
            "OpenSpiel expl.",
            "LiteEFG NashConv",
            "reference expl.",
        ],
    )
    for key in ("kuhn", "leduc"):
        for t in points:
            row = out[key][str(t)]
            ref = REFERENCE_EXPLOITABILITY.get((key, t))
            table.add(
                games.title(key),
                f"{t:,}",
                number(row["negsim"]),
                number(row["negsim"] / 2),
                number(row.get("openspiel")),
                number(row.get("openspiel_exploitability")),
                number(row.get("liteefg")),
                number(ref) if ref is not None else "-",
            )
    if "openspiel_identity_max_gap" in out:
        verdict = "yes" if out["openspiel_exploitability_is_half_nash_conv"] else "NO"
        table.notes.append(
            f"pyspiel.exploitability(game, solver.average_policy()) == pyspiel.nash_conv(...) / 2: {verdict} "
            f"(largest difference {out['openspiel_identity_max_gap']:.1e})."
        )
    worst = max(
        abs(out[k][str(t)]["negsim"] - out[k][str(t)]["negsim_recomputed"]) for k in ("kuhn", "leduc") for t in points
    )
    table.notes.append(f"negsim's Solution.nash_conv agrees with nash_conv(game, solution.profile) to {worst:.1e}.")
    if peers.has("liteefg"):
        table.notes.append(
            "LiteEFG: sum of env.exploitability(strategy, 'linear-avg-iterate'); its average weights the "
            "strategies recorded after each update, so it is not the same sequence of profiles as OpenSpiel's."
        )
    table.notes.append("Reference: PEERS.md, OpenSpiel convention (NashConv / 2).")
    return table
