"""Tests of negsim.io.openspiel: OpenSpiel games as ExtensiveFormGame.

The oracle is negsim's own library, whose poker games and Liar's dice deal card by card
as OpenSpiel does, so the two trees must agree node by node; and OpenSpiel's own Gambit
export read with :func:`negsim.io.read_efg`.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

from negsim import GameError, NegsimWarning
from negsim.games import ExtensiveFormGame, library
from negsim.io import from_openspiel, read_efg, write_efg

pyspiel = pytest.importorskip("pyspiel", reason="needs OpenSpiel (pip install open-spiel; in the test extra)")


def sizes(game: ExtensiveFormGame) -> tuple:
    return (game.num_nodes, game.num_terminals, game.num_infosets, game.num_sequences)


def assert_same_tree(a: ExtensiveFormGame, b: ExtensiveFormGame) -> None:
    """Same nodes in the same order, same information sets, payoffs and probabilities."""
    assert sizes(a) == sizes(b)
    for name in ("parent", "kind", "player", "infoset", "payoffs"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.allclose(a.chance_prob, b.chance_prob, rtol=0, atol=1e-15)
    assert np.array_equal(a.infosets.num_actions, b.infosets.num_actions)


def test_kuhn_sizes_and_tree():
    game = from_openspiel(pyspiel.load_game("kuhn_poker"))
    assert sizes(game) == (58, 30, (6, 6), (12, 12))
    assert game.players == ("Player 1", "Player 2")
    assert game.title == "kuhn_poker()"
    assert game.infosets.actions[0] == ("Pass", "Bet")
    assert game.chance_infosets.actions[0] == ("Deal:0", "Deal:1", "Deal:2")
    assert game.infosets.number.tolist() == [1, 2, 3, 4, 5, 6] * 2
    assert game.is_zero_sum() and game.has_perfect_recall
    assert_same_tree(game, library.kuhn_poker())


def test_leduc_sizes_and_tree():
    game = from_openspiel("leduc_poker")
    assert sizes(game) == (9457, 5520, (468, 468), (1092, 1092))
    assert_same_tree(game, library.leduc_poker())


@pytest.mark.slow
def test_liars_dice_matches_the_library():
    game = from_openspiel("liars_dice")
    reference = library.liars_dice()
    assert sizes(game)[:3] == (294_883, 147_420, (12_288, 12_288))
    assert_same_tree(game, reference)


@pytest.mark.parametrize("sides", [2, 3])
def test_small_liars_dice_matches_the_library(sides):
    assert_same_tree(from_openspiel(f"liars_dice(dice_sides={sides})"), library.liars_dice(sides))


@pytest.mark.parametrize("name", ["kuhn_poker", "leduc_poker"])
def test_agrees_with_openspiels_gambit_export(name):
    from open_spiel.python.algorithms.gambit import export_gambit

    game = pyspiel.load_game(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegsimWarning)
        exported = read_efg(export_gambit(game))
    ours = from_openspiel(game)
    # the export numbers information sets in preorder, we in breadth-first order; the
    # trees, the partition of the nodes into information sets and the numbers agree
    assert sizes(exported) == sizes(ours)
    for name_ in ("parent", "kind", "player", "payoffs"):
        assert np.array_equal(getattr(exported, name_), getattr(ours, name_))
    assert np.allclose(exported.chance_prob, ours.chance_prob, rtol=0, atol=1e-15)
    decision = ours.kind == 0
    pairs = set(zip(exported.infoset[decision].tolist(), ours.infoset[decision].tolist(), strict=True))
    assert len(pairs) == len(ours.infosets)  # a bijection between information sets


def test_round_trip_through_efg():
    game = from_openspiel("kuhn_poker")
    back = read_efg(write_efg(game))
    assert back.equals(game)
    assert np.array_equal(back.infosets.number, game.infosets.number)


def test_perfect_information_games():
    nim = from_openspiel("nim(pile_sizes=1;2;3)")
    assert (nim.num_nodes, nim.num_terminals) == (447, 182)
    assert nim.is_perfect_information and nim.is_zero_sum()
    # catch has chance but no information-state strings: every node is its own infoset
    catch = from_openspiel("catch(rows=4,columns=3)")
    assert (catch.num_nodes, catch.num_terminals, catch.num_infosets) == (121, 81, (39,))
    assert catch.is_perfect_information
    assert catch.chance_prob[1:4].tolist() == [1 / 3] * 3


def test_sampled_chance_is_refused():
    with pytest.raises(GameError, match="sampled"):
        from_openspiel("stones_and_gems")


def test_node_limit():
    with pytest.raises(GameError, match="more than 1,000 histories"):
        from_openspiel("tic_tac_toe", max_nodes=1000)


def test_simultaneous_games_are_refused():
    with pytest.raises(GameError, match="turn-based"):
        from_openspiel("matrix_rps")


def test_unknown_game_name():
    with pytest.raises(GameError, match="cannot load"):
        from_openspiel("no_such_game_xyz")


def test_wrong_argument_type():
    with pytest.raises(GameError, match="pyspiel.Game"):
        from_openspiel(42)


def test_missing_pyspiel(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspiel", None)
    with pytest.raises(GameError, match="pip install open_spiel"):
        from_openspiel("kuhn_poker")
