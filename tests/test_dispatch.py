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
