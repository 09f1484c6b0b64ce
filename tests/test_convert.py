"""Tests of negsim.games.convert: reduced strategies, the reduced normal form, to_extensive."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from negsim.errors import GameError
from negsim.games import DECISION, GameBuilder, NormalFormGame, library
from negsim.games.convert import reduced_normal_form, reduced_strategies, to_extensive
from tests.gamegen import (
    efg_text,
    expected_payoffs_by_walk,
    extensive_games,
    matrix_game_value,
    normal_form_games,
)

small_games = extensive_games(max_depth=4, max_actions=3, min_players=1, max_players=3)
MAX_PROFILES = 4_000


def reduced_strategy_count_by_walk(game, player: int) -> int:
    """Number of reduced pure strategies, from own-move histories found by walking paths."""
    below: dict[tuple | None, set[int]] = {}
    for h in np.flatnonzero((game.kind == DECISION) & (game.player == player)):
        path = game.path(int(h))
        own = [
            (int(game.infoset[a]), int(game.action[b]))
            for a, b in zip(path[:-1], path[1:], strict=True)
            if game.kind[a] == DECISION and game.player[a] == player
        ]
        below.setdefault(own[-1] if own else None, set()).add(int(game.infoset[h]))

    def count(seq) -> int:
        total = 1
        for i in sorted(below.get(seq, ())):
            total *= sum(count((i, a)) for a in range(len(game.infosets.actions[i])))
        return total

    return count(None)


def pure_behaviour(game, labels: list[str]) -> list:
    """A behaviour profile from one reduced strategy label per player (None where ``*``)."""
    behaviour: list = [None] * len(game.infosets)
    for p, label in enumerate(labels):
        parts = label.split("/") if game.num_infosets[p] else []
        assert len(parts) == game.num_infosets[p]
        for local, part in enumerate(parts):
            g = game.infoset_offset[p] + local
            if part != "*":
                acts = game.infosets.actions[g]
                behaviour[g] = np.eye(len(acts))[acts.index(part)]
    return behaviour


def small_normal_form(game):
    counts = [reduced_strategy_count_by_walk(game, p) for p in range(game.num_players)]
    assume(int(np.prod(counts)) <= MAX_PROFILES)
    return counts, reduced_normal_form(game, max_profiles=MAX_PROFILES)


# ---------------------------------------------------------------------------- Kuhn poker
def test_kuhn_reduced_normal_form_and_value():
    nfg = reduced_normal_form(library.kuhn_poker())
    assert nfg.shape == (27, 64)
    assert nfg.is_zero_sum()
    assert matrix_game_value(nfg.payoffs[0]) == pytest.approx(-1 / 18, abs=1e-9)
    assert matrix_game_value(nfg.payoffs[1].T) == pytest.approx(1 / 18, abs=1e-9)


def test_kuhn_reduced_strategies():
    game = library.kuhn_poker()
    labels, plans = reduced_strategies(game, 0)
    assert len(labels) == len(set(labels)) == 27
    assert plans.shape == (27, 13)
    assert all(len(lab.split("/")) == 6 for lab in labels)
    # a player-1 strategy that bets at the start never reaches "pass, bet" with that card
    assert "bet/bet/bet/*/*/*" in labels
    labels2, plans2 = reduced_strategies(game, 1)
    assert len(labels2) == 64 and plans2.shape == (64, 13)
    # always passing: both check, the higher card wins 1; by symmetry the value is 0
    nfg = reduced_normal_form(game)
    i = labels.index("pass/pass/pass/pass/pass/pass")
    j = labels2.index("pass/pass/pass/pass/pass/pass")
    assert nfg.payoffs[:, i, j].tolist() == pytest.approx([0.0, 0.0])
    # player 1 always bets, player 2 always calls: showdown for 2 each, value 0 again
    i = labels.index("bet/bet/bet/*/*/*")
    j = labels2.index("bet/bet/bet/bet/bet/bet")
    assert nfg.payoffs[:, i, j].tolist() == pytest.approx([0.0, 0.0])
    # player 1 always bets, player 2 always folds: player 1 wins the ante
    j = labels2.index("pass/pass/pass/pass/pass/pass")
    assert nfg.payoffs[:, i, j].tolist() == pytest.approx([1.0, -1.0])


# ---------------------------------------------------------------------------- random games
@given(small_games)
def test_reduced_plans_are_pure_realization_plans(game):
    sf = game.sequence_form
    for p in range(game.num_players):
        labels, plans = reduced_strategies(game, p)
        assert len(labels) == len(set(labels)) == plans.shape[0]
        assert len(labels) == reduced_strategy_count_by_walk(game, p)
        assert plans.shape[1] == game.num_sequences[p] + 1
        assert set(np.unique(plans)) <= {0.0, 1.0}
        assert np.all(plans[:, 0] == 1)
        assert len({row.tobytes() for row in plans}) == len(labels)
        start, parent = sf.sequence_start[p], sf.infoset_parent[p]
        for i in range(game.num_infosets[p]):
            # the realization constraint: an information set's sequences sum to its parent's
            np.testing.assert_array_equal(plans[:, start[i] : start[i + 1]].sum(axis=1), plans[:, parent[i]])
        # labels name the chosen action where the plan reaches the information set
        for label, row in zip(labels, plans, strict=True):
            parts = label.split("/") if game.num_infosets[p] else []
            for i, part in enumerate(parts):
                acts = game.infosets.actions[sf.infoset_offset[p] + i]
                chosen = row[start[i] : start[i + 1]]
                if part == "*":
                    assert chosen.sum() == 0
                else:
                    assert chosen[acts.index(part)] == 1 and chosen.sum() == 1


@given(small_games, st.integers(0, 2**32 - 1))
def test_reduced_normal_form_payoffs_match_tree_walk(game, seed):
    counts, nfg = small_normal_form(game)
    assert nfg.shape == tuple(counts)
    assert nfg.players == game.players
    profiles = list(itertools.product(*(range(k) for k in counts)))
    if len(profiles) > 200:
        rng = np.random.default_rng(seed)
        profiles = [profiles[i] for i in rng.choice(len(profiles), 200, replace=False)]
    for pure in profiles:
        labels = [nfg.strategies[p][s] for p, s in enumerate(pure)]
        by_walk = expected_payoffs_by_walk(game, pure_behaviour(game, labels))
        np.testing.assert_allclose(nfg.payoff(pure), by_walk, rtol=1e-9, atol=1e-9)


def gambit_game(game):
    gbt = pytest.importorskip("pygambit")
    return gbt.read_efg(io.StringIO(efg_text(game)))


def gambit_to_ours(game, gambit_player, player: int, gambit_label: str) -> str:
    """Translate a Gambit strategy label (1-based action digits or ``*``, one per information
    set in Gambit's order) into ours (action labels joined by ``/`` in local order)."""
    isets = [int(inf.label[1:]) for inf in gambit_player.infosets]  # efg_text labels them "i<g>"
    parts = ["?"] * game.num_infosets[player]
    for g, ch in zip(isets, gambit_label, strict=True):
        local = g - game.infoset_offset[player]
        parts[local] = "*" if ch == "*" else game.infosets.actions[g][int(ch) - 1]
    return "/".join(parts)


@given(small_games)
def test_strategy_counts_and_payoffs_match_pygambit(game):
    counts, nfg = small_normal_form(game)
    g = gambit_game(game)
    assert g.is_perfect_recall
    gambit_players = list(g.players)
    assert [len(pl.strategies) for pl in gambit_players] == counts
    # the same strategies (labels translated) and the same payoff tensor
    order = []
    for p, pl in enumerate(gambit_players):
        if game.num_infosets[p] == 0:
            order.append([0])
            continue
        ours = [gambit_to_ours(game, pl, p, s.label) for s in pl.strategies]
        assert sorted(ours) == sorted(nfg.strategies[p])
        order.append([nfg.strategies[p].index(lab) for lab in ours])
    arrays = g.to_arrays()
    for p in range(game.num_players):
        theirs = np.array(arrays[p], dtype=float).reshape(counts)
        mine = nfg.payoffs[p][np.ix_(*order)]
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-9)


def test_kuhn_matches_pygambit():
    game = library.kuhn_poker()
    g = gambit_game(game)
    assert [len(pl.strategies) for pl in g.players] == [27, 64]


# ---------------------------------------------------------------------------- to_extensive
@given(normal_form_games(min_players=1, max_players=4, max_actions=3))
def test_to_extensive_and_back(nfg):
    efg = to_extensive(nfg)
    assert efg.num_terminals == nfg.num_profiles
    assert efg.num_infosets == (1,) * nfg.num_players
    assert efg.has_perfect_recall
    back = reduced_normal_form(efg)
    assert back.equals(nfg)
    np.testing.assert_array_equal(back.payoffs, nfg.payoffs)


def test_library_matrix_games_in_extensive_form():
    efg = library.prisoners_dilemma(form="extensive")
    assert efg.infosets.actions == (("cooperate", "defect"),) * 2
    assert reduced_normal_form(efg).equals(library.prisoners_dilemma())


# ---------------------------------------------------------------------------- errors
def test_conversion_errors():
    kuhn = library.kuhn_poker()
    with pytest.raises(GameError, match="batch"):
        reduced_normal_form(kuhn.with_batch(payoffs=np.stack([kuhn.payoffs] * 2)))
    with pytest.raises(GameError):
        reduced_normal_form(kuhn, max_profiles=27 * 64 - 1)
    assert reduced_normal_form(kuhn, max_profiles=27 * 64).shape == (27, 64)
    with pytest.raises(GameError):
        reduced_strategies(kuhn, 1, max_strategies=63)
    batch = NormalFormGame(np.zeros((2, 2, 2, 2)), batched=True)
    with pytest.raises(GameError, match="batch"):
        to_extensive(batch)


def test_reduced_normal_form_needs_perfect_recall():
    b = GameBuilder(["A", "B"])
    for first in b.root.decision("A", ["l", "r"]):
        x, y = first.decision("A", ["x", "y"], infoset="forgot")
        x.terminal([1, 0])
        y.terminal([0, 1])
    with pytest.raises(GameError, match="perfect recall"):
        reduced_normal_form(b.build())
    with pytest.raises(GameError, match="perfect recall"):
        reduced_strategies(b.build(), 0)
