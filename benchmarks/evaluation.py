"""Section ``evaluation``: the time of one NashConv / exploitability evaluation of a fixed profile.

The profile is each library's own CFR+ average after 100 iterations on Kuhn and Leduc
(the three run the same algorithm, so the NashConv they report should agree, which the
table shows) and the uniform profile on Liar's dice (100 OpenSpiel iterations there
would take half a minute).

negsim is timed twice: the public ``nash_conv(game, profile)``, which builds its kernel
(``Evaluator``) on every call, and the kernel the CFR solver reuses across checkpoints
(``Evaluator`` built once, then its best-response pass): that second path is private API,
shown to separate set-up from the evaluation itself.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from functools import partial
from typing import Any

from benchmarks import games
from benchmarks.common import Config, Report, Table, clock, number, ratio, seconds
from benchmarks.peers import LiteRun, Peers, openspiel_game, openspiel_solver
from negsim.games import BehaviorProfile
from negsim.solvers import cfr, nash_conv


def profile_iterations(config: Config, key: str) -> int:
    """CFR+ iterations behind the evaluated profile (0: the uniform profile)."""
    if key == "liars_dice":
        return 0
    return config.count(100, 20)


def _kernel_path(game: Any, profile: BehaviorProfile) -> tuple[Callable[[], float], float] | None:
    """The private reuse path, if this negsim has it: (one evaluation, its NashConv)."""
    try:
        from negsim.solvers._cfr import _values_and_gains
        from negsim.solvers._plex import Evaluator
    except ImportError:
        return None
    evaluator = Evaluator(game)
    plans = [
        evaluator.plan(p, evaluator.kernel_from_public(p, profile.probabilities[p])) for p in range(game.num_players)
    ]

    def evaluate() -> float:
        return float(_values_and_gains(evaluator, plans)[1].sum())

    return evaluate, evaluate()


def interleaved(calls: dict[str, Callable[[], Any]], *, rounds: int, quick: bool) -> dict[str, float]:
    """Median seconds per call of each function, the functions taking turns round by round.

    In each round a function is called often enough to fill about 50 ms (10 ms with
    ``quick``), once if one call takes longer; turns keep a change in the machine's load
    from favouring one library. Functions slower than a second get 3 rounds, the others
    ``rounds``.
    """
    target = 0.01 if quick else 0.05
    counts, wanted = {}, {}
    for name, fn in calls.items():
        started = clock()
        fn()  # warm-up, and the size of a round
        once = max(clock() - started, 1e-7)
        counts[name] = max(1, min(1000, int(target / once)))
        wanted[name] = rounds if once < 1.0 else min(rounds, 3)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for turn in range(max(wanted.values(), default=0)):
        for name, fn in calls.items():
            if turn >= wanted[name]:
                continue
            started = clock()
            for _ in range(counts[name]):
                fn()
            samples[name].append((clock() - started) / counts[name])
    return {name: statistics.median(times) for name, times in samples.items()}


def run(config: Config, report: Report, peers: Peers) -> None:
    out = report.section("evaluation")
    for key in config.games:
        game = games.game(key)
        k = profile_iterations(config, key)
        entry: dict[str, Any] = {"profile_iterations": k}
        out[key] = entry
        calls: dict[str, Callable[[], Any]] = {}
        profile = cfr(game, variant="cfr+", iterations=k, track_every=0).profile if k else BehaviorProfile.uniform(game)
        entry["negsim_nash_conv"] = float(nash_conv(game, profile))
        calls["negsim"] = partial(nash_conv, game, profile)
        try:
            kernel = _kernel_path(game, profile)
        except Exception as error:  # private API: report, do not fail the run
            kernel = None
            report.say(f"  evaluation: negsim kernel path unavailable ({type(error).__name__}: {error})")
        if kernel is not None:
            calls["negsim_kernel"], entry["negsim_kernel_nash_conv"] = kernel
        if peers.has("openspiel"):
            pyspiel = peers.pyspiel
            os_game = openspiel_game(peers, key)
            if k:
                solver = openspiel_solver(peers, key, "cfr+")
                for _ in range(k):
                    solver.evaluate_and_update_policy()
                policy = solver.average_policy()
            else:
                policy = pyspiel.UniformRandomPolicy(os_game)
            entry["openspiel_nash_conv"] = 2 * float(pyspiel.exploitability(os_game, policy))
            calls["openspiel"] = partial(pyspiel.exploitability, os_game, policy)
        if peers.has("liteefg"):
            lite = LiteRun(peers, key, "cfr+")
            which = "default"  # the current (uniform) strategy when no iteration was run
            if k:
                lite.step(k)
                which = lite.average
            entry["liteefg_nash_conv"] = lite.nash_conv(which)
            calls["liteefg"] = partial(lite.nash_conv, which)
        for name, per_call in interleaved(calls, rounds=max(5, config.repeats), quick=config.quick).items():
            entry[f"{name}_seconds"] = per_call
        report.say(f"  evaluation: {games.title(key)} done")
    report.table(_table(out))


def _table(out: dict) -> Table:
    table = Table(
        "Time of one exploitability evaluation (median per call, libraries timed in turn)",
        [
            "game",
            "profile",
            "negsim nash_conv()",
            "negsim kernel reused",
            "OpenSpiel C++",
            "LiteEFG",
            "OpenSpiel / negsim",
            "LiteEFG / negsim",
            "NashConv: negsim / OpenSpiel / LiteEFG",
        ],
    )
    for key, e in out.items():
        mine = e["negsim_seconds"]
        os_s, lite_s = e.get("openspiel_seconds"), e.get("liteefg_seconds")
        table.add(
            games.title(key),
            f"CFR+ avg. after {e['profile_iterations']}" if e["profile_iterations"] else "uniform",
            seconds(mine),
            seconds(e.get("negsim_kernel_seconds")),
            seconds(os_s),
            seconds(lite_s),
            ratio(os_s / mine) if os_s else "-",
            ratio(lite_s / mine) if lite_s else "-",
            " / ".join(number(e.get(f"{lib}_nash_conv")) for lib in ("negsim", "openspiel", "liteefg")),
        )
    table.notes += [
        "negsim nash_conv(): the public function (builds the evaluator each call); kernel reused: "
        "negsim.solvers._plex.Evaluator built once, then one best-response pass per player (private API, "
        "what cfr's tracking uses).",
        "OpenSpiel: pyspiel.exploitability(game, policy) (C++); LiteEFG: env.exploitability(strategy, ...) "
        "summed over players (includes its conversion of the strategy to sequence form).",
        "Ratios > 1 mean negsim's public nash_conv() is faster. NashConv of each library's own profile; "
        "OpenSpiel's exploitability is doubled to NashConv.",
    ]
    return table
