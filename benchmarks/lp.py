"""Section ``lp``: the sequence-form LP, negsim's ``sequence_lp`` beside pygambit and OpenSpiel.

pygambit runs in a subprocess (``lp_solve`` on the tree, floating point) that is stopped
after ``--lp-timeout`` seconds of CPU time (of wall-clock time with ``--clock wall``). Its
game comes from the first ``.efg`` it accepts among negsim's ``write_efg``, OpenSpiel's
Gambit export, and :mod:`benchmarks.efg`.
OpenSpiel's Python ``sequence_form_lp`` needs cvxpy and is skipped without it.
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks import games
from benchmarks.common import Config, Report, Table, clock_name, median_seconds, number, ratio, seconds, timed
from benchmarks.efg import efg_text
from benchmarks.peers import Peers, openspiel_game
from benchmarks.subprocesses import run_case

LP_GAMES = ("kuhn", "leduc")
_PYGAMBIT_FIELDS = ("source", "rejected", "read_seconds", "seconds", "value", "max_rss")


def load_sequence_lp() -> Any:
    """negsim's ``sequence_lp``, or ``None`` if this negsim does not have it yet."""
    try:
        from negsim.solvers.sequence_lp import sequence_lp
    except ImportError:
        return None
    return sequence_lp


def efg_candidates(key: str, folder: Path, peers: Peers) -> list[list[str]]:
    """``[source, path]`` pairs of ``.efg`` files for pygambit to try, best first."""
    game = games.game(key)
    out = []
    try:
        import warnings

        from negsim.io import write_efg

        path = folder / f"{key}-negsim.efg"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # label changes for Gambit are expected and harmless
            write_efg(game, path)
        out.append(["negsim.io.write_efg", str(path)])
    except Exception:  # missing or failing writer: the next candidate will do
        pass
    if peers.has("openspiel"):
        try:
            from open_spiel.python.algorithms import gambit

            path = folder / f"{key}-openspiel.efg"
            path.write_text(gambit.export_gambit(openspiel_game(peers, key)))
            out.append(["OpenSpiel export_gambit", str(path)])
        except Exception:
            pass
    path = folder / f"{key}-benchmarks.efg"
    path.write_text(efg_text(game))
    out.append(["benchmarks.efg", str(path)])
    return out


def run(config: Config, report: Report, peers: Peers) -> None:
    out = report.section("lp")
    sequence_lp = load_sequence_lp()
    if sequence_lp is None:
        report.say("  lp: negsim.solvers.sequence_lp is not available yet; negsim's column is skipped.")
    if not peers.has("pygambit"):
        report.say(f"  lp: pygambit skipped ({peers.missing.get('pygambit', 'not available')}).")
    if not peers.has("cvxpy"):
        why = peers.missing.get("cvxpy", "not available")
        report.say(f"  lp: OpenSpiel's sequence_form_lp skipped: it needs cvxpy ({why}).")
    with tempfile.TemporaryDirectory(prefix="negsim-bench-") as tmp:
        for key in LP_GAMES:
            game = games.game(key)
            entry: dict[str, Any] = {"reference_value": games.REFERENCE_VALUES[key]}
            out[key] = entry
            if sequence_lp is not None:
                sequence_lp(game)  # warm the cached sequence form
                median, times = median_seconds(timed(partial(sequence_lp, game)), config.repeats)
                solution = sequence_lp(game)
                entry["negsim"] = {
                    "seconds": median,
                    "times": times,
                    "value": float(solution.values[0]),
                    "nash_conv": float(solution.nash_conv),
                }
            if peers.has("pygambit"):
                spec = {"kind": "pygambit_lp", "candidates": efg_candidates(key, Path(tmp), peers)}
                if clock_name() == "cpu":
                    # a CPU-time limit, like every other time here; the wall-clock limit is a backstop
                    outcome = run_case(spec, 3 * config.timeout + 30, cpu_limit=config.timeout)
                else:
                    outcome = run_case(spec, config.timeout)
                known = outcome.result or (outcome.steps[0] if outcome.steps else {})
                entry["pygambit"] = {
                    "timeout": config.timeout,
                    "timed_out": outcome.timed_out,
                    "error": outcome.error,
                    **{k: known[k] for k in _PYGAMBIT_FIELDS if k in known},
                }
            if peers.has("openspiel") and peers.has("cvxpy"):
                entry["openspiel"] = _openspiel_lp(peers, key, config.repeats)
            report.say(f"  lp: {games.title(key)} done")
    report.table(_table(out, config))


def _openspiel_lp(peers: Peers, key: str, repeats: int) -> dict[str, Any]:
    """OpenSpiel's Python sequence-form LP (cvxpy with ECOS): median time, value for player 1."""
    try:
        from open_spiel.python.algorithms import sequence_form_lp

        game = openspiel_game(peers, key)
        values: list[float] = []

        def solve() -> None:
            values.append(float(sequence_form_lp.solve_zero_sum_game(game)[0]))

        median, times = median_seconds(timed(solve), repeats)
        return {"seconds": median, "times": times, "value": values[-1]}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}


def _table(out: dict, config: Config) -> Table:
    table = Table(
        "Sequence-form LP (two-player zero-sum): time and game value for player 1",
        [
            "game",
            "negsim sequence_lp",
            "negsim value",
            "negsim NashConv",
            "pygambit lp_solve",
            "pygambit value",
            "OpenSpiel sequence_form_lp",
            "OpenSpiel value",
            "reference value",
            "pygambit / negsim",
            "OpenSpiel / negsim",
        ],
    )
    sources = set()
    for key, e in out.items():
        mine = e.get("negsim", {})
        gambit = e.get("pygambit")
        if gambit is None:
            gambit_time = gambit_value = "-"
        elif "seconds" in gambit:
            gambit_time, gambit_value = seconds(gambit["seconds"]), number(gambit["value"], 10)
        else:
            gambit_time, gambit_value = gambit.get("error") or "failed", "-"
        if gambit and gambit.get("source"):
            sources.add(gambit["source"])
        for name, why in (gambit or {}).get("rejected", []):
            table.notes.append(f"pygambit rejected the {name} file of {games.title(key)}: {why}")
        speed = None
        if gambit and "seconds" in gambit and "seconds" in mine:
            speed = gambit["seconds"] / mine["seconds"]
        elif gambit and gambit.get("timed_out") and "seconds" in mine:
            speed = None
        os_lp = e.get("openspiel")
        table.add(
            games.title(key),
            seconds(mine.get("seconds")),
            number(mine.get("value"), 10),
            number(mine.get("nash_conv")),
            gambit_time,
            gambit_value,
            (seconds(os_lp["seconds"]) if "seconds" in os_lp else os_lp["error"]) if os_lp else "skipped",
            number(os_lp.get("value"), 10) if os_lp else "-",
            number(e["reference_value"], 10),
            ratio(speed)
            if speed is not None
            else (
                f"> {gambit['timeout'] / mine['seconds']:,.0f}x"
                if gambit and gambit.get("timed_out") and "seconds" in mine
                else "-"
            ),
            ratio(os_lp["seconds"] / mine["seconds"]) if os_lp and "seconds" in os_lp and "seconds" in mine else "-",
        )
    table.notes += [
        f"negsim: median of {config.repeats} calls of sequence_lp(game) (scipy HiGHS), NashConv of its answer.",
        f"pygambit: pygambit.nash.lp_solve(game, rational=False) in a subprocess, stopped after {config.timeout:g} s "
        f"({'CPU time' if clock_name() == 'cpu' else 'wall clock'}); "
        "time of the solve only (reading the .efg excluded); .efg from "
        + (", ".join(sorted(sources)) if sources else "-")
        + ".",
    ]
    if any("openspiel" in e for e in out.values()):
        table.notes.append(
            f"OpenSpiel: median of {config.repeats} calls of "
            "open_spiel.python.algorithms.sequence_form_lp.solve_zero_sum_game (cvxpy with ECOS), game loaded once."
        )
    else:
        table.notes.append(
            "OpenSpiel's open_spiel.python.algorithms.sequence_form_lp needs cvxpy: skipped where cvxpy is missing."
        )
    return table
