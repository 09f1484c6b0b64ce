"""negsim.solve: method names, the automatic choice, and refusals when a method does not fit."""

from __future__ import annotations

import numpy as np
import pytest

import negsim
from negsim.games import GameBuilder, NormalFormGame, library
from negsim.solvers.dispatch import choose_method, methods


def _forgetful():
    b = GameBuilder(["A", "B"])
    for node in b.root.decision("A", ["l", "r"]):
        for leaf_parent in node.decision("B", ["l", "r"], infoset="b"):
            for leaf in leaf_parent.decision("A", ["l", "r"], infoset="forgot"):
                leaf.terminal([1, -1])
    return b.build()


def _general_sum_tree():
    b = GameBuilder(["A", "B"])
    for i, node in enumerate(b.root.decision("A", ["x", "y"])):
        for j, leaf in enumerate(node.decision("B", ["x", "y"], infoset="b")):
            leaf.terminal([i + j, 2 * i * j])
    return b.build()


def test_method_table_is_documented():
    table = methods()
    for name in ("auto", "cfr", "cfr+", "lcfr", "dcfr", "lp", "backward"):
        assert name in table and table[name]


def test_help_of_solve_names_a_methods_function_that_exists():
    # help(negsim.solve) sends the reader to methods(): it must be there, under the name shown
    assert ":func:`negsim.methods`" in negsim.solve.__doc__
    assert negsim.methods() == methods() and "methods" in negsim.__all__


@pytest.mark.parametrize(
    ("game", "expected"),
    [
        (library.kuhn_poker(), "lp"),
        (library.ultimatum(), "backward"),
        (library.matching_pennies(), "lp"),
    ],
)
def test_auto_choice(game, expected):
    assert choose_method(game) == expected
    assert negsim.solve(game).method == expected


def test_solutions_from_every_named_method_on_kuhn():
    kuhn = library.kuhn_poker()
    for method in ("cfr", "cfr+", "lcfr", "dcfr"):
        solution = negsim.solve(kuhn, method=method, iterations=2000)
        assert solution.values[0] == pytest.approx(-1 / 18, abs=3e-3)
    lp = negsim.solve(kuhn, method="lp")
    assert lp.values[0] == pytest.approx(-1 / 18, abs=1e-9)


def test_aliases_and_case():
    kuhn = library.kuhn_poker()
    assert negsim.solve(kuhn, method="CFR+", iterations=10).method == "cfr+"
    assert negsim.solve(kuhn, method="sequence-lp").method == "lp"


def test_refusals():
    with pytest.raises(negsim.SolverError, match="zero-sum"):
        negsim.solve(_general_sum_tree(), method="lp")
    with pytest.raises(negsim.SolverError, match="perfect information"):
        negsim.solve(library.kuhn_poker(), method="backward")
    with pytest.raises(negsim.SolverError, match="perfect recall"):
        negsim.solve(_forgetful(), method="cfr+")
    with pytest.raises(negsim.SolverError, match="did you mean"):
        negsim.solve(library.kuhn_poker(), method="cfr++")
    with pytest.raises(negsim.SolverError):
        negsim.solve("kuhn", method="cfr")


def test_normal_form_games_are_converted_where_needed():
    pd = library.prisoners_dilemma()
    solution = negsim.solve(pd, method="cfr+", iterations=500)
    assert solution.values == pytest.approx([1.0, 1.0], abs=1e-2)
    zero_sum = NormalFormGame.zero_sum([[1.0, -1.0], [-1.0, 1.0]])
    lp = negsim.solve(zero_sum, method="lp")
    assert np.asarray(lp.values)[0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(
    ("method", "count"),
    [("support", 3), ("vertex", 3), ("lemke-howson", None), ("pure", 2)],
)
def test_enumerating_methods_find_every_equilibrium_of_battle_of_the_sexes(method, count):
    solution = negsim.solve(library.battle_of_the_sexes(), method=method)
    assert solution.method == method
    # Lemke-Howson from every label need not reach every equilibrium
    count = count or len(solution.equilibria)
    assert 1 <= len(solution.equilibria) == count
    for eq in solution.equilibria:
        assert eq.nash_conv <= 1e-9
    data = solution.to_dict()
    assert len(data["equilibria"]) == count and {"profile", "values"} <= set(data["equilibria"][0])


@pytest.mark.parametrize("method", ["replicator", "fictitious", "qre", "correlated"])
def test_normal_form_methods_run_through_solve(method):
    solution = negsim.solve(library.prisoners_dilemma(), method=method)
    assert solution.method == method
    assert solution.values == pytest.approx([1.0, 1.0], abs=0.05)


@pytest.mark.parametrize("method", ["lemke", "spe"])
def test_exact_tree_methods_on_kuhn(method):
    solution = negsim.solve(library.kuhn_poker(), method=method)
    assert solution.values[0] == pytest.approx(-1 / 18, abs=1e-9)
    assert solution.nash_conv <= 1e-9


def test_issue_four_refusals():
    with pytest.raises(negsim.SolverError, match="two-player"):
        negsim.solve(NormalFormGame(np.zeros((3, 2, 2, 2))), method="vertex")
    with pytest.raises(negsim.SolverError, match="normal-form"):
        negsim.solve(library.kuhn_poker(), method="replicator")


def test_auto_for_general_sum_and_many_players():
    assert choose_method(library.battle_of_the_sexes()) == "support"
    assert choose_method(_general_sum_tree()) == "lemke"
    three = NormalFormGame(np.random.default_rng(0).normal(size=(3, 2, 2, 2)))
    assert choose_method(three) in ("pure", "qre")


def test_auto_runs_a_direct_method_without_the_time_limit_and_says_so():
    exact = negsim.solve(library.kuhn_poker(), time_limit=5)
    assert exact.method == "lp" and "time_limit_ignored" in exact.info
    assert exact.values[0] == pytest.approx(-1 / 18, abs=1e-9)
    with pytest.raises(negsim.SolverError, match="time_limit"):
        negsim.solve(library.kuhn_poker(), time_limit=0)  # checked even when it would not apply
    with pytest.raises(negsim.SolverError, match="time_limit"):
        negsim.solve(library.kuhn_poker(), method="lp", time_limit=5)  # asked for by name: refused
    timed = negsim.solve(library.battle_of_the_sexes(), time_limit=5)  # support enumeration takes it
    assert timed.method == "support" and "time_limit_ignored" not in timed.info
