"""Fuzzing the command line: whatever the arguments or the files, a documented exit code and no traceback.

Hypothesis draws argument lists for every subcommand (flags, numbers, names, junk) and
game and scenario files, valid and broken (truncated, with bytes changed, or random
text), and runs ``negsim.cli.main`` in-process. Every run must end with 0, 1, 2 or 130
(the exit codes the CLI documents) and print no traceback; an exception escaping
``main`` fails the test. Example counts are modest so that the suite stays fast.

The ``stress`` test checks the memory bound of a Monte Carlo: peak traced memory must
not grow with the number of draws beyond a few numbers per draw.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from negsim.cli import main

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
DOCUMENTED = {0, 1, 2, 130}
GAMES = ["kuhn-poker", "matching-pennies", "battle-of-the-sexes", "prisoners-dilemma", "ultimatum"]
METHODS = ["auto", "cfr+", "lp", "lemke", "support", "vertex", "lemke-howson", "pure", "qre", "correlated", "spe",
           "backward", "replicator", "fictitious", "nonsense"]
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _status(capsys, argv: list[str]) -> tuple[int, str]:
    try:
        status = main(argv)
    except SystemExit as stop:  # argparse's usage errors
        status = stop.code if isinstance(stop.code, int) else 2
    _, err = capsys.readouterr()
    return status, err


def _assert_clean(status: int, err: str) -> None:
    assert status in DOCUMENTED, (status, err)
    assert "Traceback" not in err, err


numbers = st.one_of(st.integers(-5, 50).map(str), st.sampled_from(["0", "-1", "1e400", "nan", "x", "", "3.5"]))


@FUZZ
@given(game=st.sampled_from(GAMES), method=st.sampled_from(METHODS),
       extra=st.lists(st.sampled_from(["--json", "--full", "--iterations", "-n", "--progress", "--bogus"]) | numbers,
                      max_size=3))
def test_solve_arguments(capsys, game, method, extra):
    _assert_clean(*_status(capsys, ["solve", game, "--method", method, *extra]))


@FUZZ
@given(draws=numbers, seed=numbers, param=st.sampled_from(
    ["secondary_tariff=1:5:3", "secondary_tariff=5:1:0", "nope=1:2:3", "secondary_tariff=a:b:c", "x", "=1:2:3"]),
    mode=st.sampled_from(["draws", "param", "both", "neither"]), fmt=st.sampled_from([[], ["--json"], ["--csv"]]))
def test_sweep_arguments(capsys, draws, seed, param, mode, fmt):
    argv = ["sweep", "istanbul-2025", *fmt]
    if mode in ("draws", "both"):
        argv += ["--draws", draws, "--seed", seed]
    if mode in ("param", "both"):
        argv += ["--param", param]
    if mode == "draws" and draws.isdigit() and int(draws) > 20:
        return  # keep the run short: large sweeps are the stress test's business
    _assert_clean(*_status(capsys, argv))


@FUZZ
@given(command=st.sampled_from(["run", "check", "info", "list", "games", "plot", "solve", "sweep", "frobnicate"]),
       args=st.lists(st.one_of(st.text(max_size=12), st.sampled_from(["--set", "a=1", "--method", "--kind", "-o"])),
                     max_size=4))
def test_any_arguments(capsys, command, args):
    if command in ("run", "check", "plot", "sweep"):
        args = [a for a in args if not a.startswith("istanbul")]  # no full solves of real scenarios here
    _assert_clean(*_status(capsys, [command, *args]))


def _mutations(text: str) -> st.SearchStrategy[str]:
    cut = st.integers(0, len(text)).map(lambda k: text[:k])
    def replace(args):
        k, junk = args
        return text[:k] + junk + text[k + len(junk):]
    changed = st.tuples(st.integers(0, len(text)), st.text(min_size=1, max_size=6)).map(replace)
    return st.one_of(st.just(text), cut, changed, st.text(max_size=200))


@FUZZ
@given(data=st.data(), name=st.sampled_from(["payoffs.nfg", "outcomes.nfg", "signaling.efg", "openspiel_style.efg"]))
def test_gambit_files_valid_and_broken(capsys, tmp_path, data, name):
    text = data.draw(_mutations((DATA / name).read_text(encoding="utf-8")))
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    command = data.draw(st.sampled_from([["info"], ["solve", "--method", "auto"], ["solve", "--method", "pure"]]))
    _assert_clean(*_status(capsys, [command[0], str(path), *command[1:]]))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_scenario_files_valid_and_broken(capsys, tmp_path, data):
    text = (REPO / "scenarios" / "sanctions_escalation_2025.toml").read_text(encoding="utf-8")
    head, body = text[:4000], text[4000:]  # break the definitions more often than the facts
    path = tmp_path / "fuzzed.toml"
    path.write_text(data.draw(_mutations(head)) + body, encoding="utf-8")
    _assert_clean(*_status(capsys, ["run", str(path)]))


@pytest.mark.stress
def test_monte_carlo_memory_does_not_grow_with_draws():
    from negsim.analysis import monte_carlo
    from negsim.scenarios import load_scenario

    scenario = load_scenario("istanbul-2025").compile()
    budget = 2 * 2**20  # small chunks, so that both runs stream through many of them

    def peak(draws: int) -> int:
        tracemalloc.start()
        monte_carlo(scenario, draws=draws, seed=1, chunk_bytes=budget)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(40), peak(240)
    # the summaries kept per draw are a few hundred bytes; everything else is per chunk
    assert large - small <= 200 * 2048 + budget, (small, large)
