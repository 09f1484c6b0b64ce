"""Tests of negsim.games.extensive: the flat tree, its sequence-form view, recall, batches."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from negsim.errors import GameError
from negsim.games import (
    CHANCE,
    DECISION,
    TERMINAL,
    ExtensiveFormGame,
    GameBuilder,
    Infosets,
    game_from_tree,
    library,
)
from tests.gamegen import (
    efg_text,
    expected_payoffs_by_walk,
    extensive_games,
    random_behaviour,
    random_chance_probs,
    realization_plans_by_walk,
    sequence_numbering,
)

seeds = st.integers(0, 2**32 - 1)
any_games = extensive_games(perfect_recall=False, min_players=1)
recall_games = extensive_games()

ARRAY_FIELDS = (
    "parent",
    "kind",
    "player",
    "infoset",
    "action",
    "first_child",
    "num_children",
    "depth",
    "level_offsets",
    "chance_prob",
    "payoffs",
    "terminals",
    "terminal_index",
)


def raw_arrays(game: ExtensiveFormGame) -> dict:
    """The constructor arguments that rebuild ``game`` (without payoffs and probabilities)."""
    return dict(
        parent=game.parent,
        kind=game.kind,
        player=game.player,
        infoset=game.infoset,
        infosets=game.infosets,
        chance_infosets=game.chance_infosets,
        node_labels=game.node_labels,
        title=game.title,
        comment=game.comment,
    )


# ---------------------------------------------------------------------------- slow references
def walk_last_sequences(game: ExtensiveFormGame) -> tuple[np.ndarray, np.ndarray]:
    """Each player's last sequence at each terminal, and chance reach, by recursion."""
    first = sequence_numbering(game)
    last = np.full((game.num_players, game.num_terminals), -1, np.int64)
    reach = np.full(game.num_terminals, np.nan)

    def walk(h: int, seqs: tuple[int, ...], prob: float) -> None:
        k = game.kind[h]
        if k == TERMINAL:
            z = game.terminal_index[h]
            last[:, z] = seqs
            reach[z] = prob
            return
        for a, child in enumerate(game.children(h)):
            new, p_new = list(seqs), prob
            if k == DECISION:
                new[game.player[h]] = first[game.infoset[h]] + a
            else:
                p_new = prob * game.chance_prob[child]
            walk(int(child), tuple(new), p_new)

    walk(0, (0,) * game.num_players, 1.0)
    return last, reach


def own_histories(game: ExtensiveFormGame) -> dict[int, tuple]:
    """For every decision node, the acting player's own (information set, action) history."""
    out = {}
    for h in np.flatnonzero(game.kind == DECISION):
        p = game.player[h]
        path = game.path(int(h))
        out[int(h)] = tuple(
            (int(game.infoset[a]), int(game.action[b]))
            for a, b in zip(path[:-1], path[1:], strict=True)
            if game.kind[a] == DECISION and game.player[a] == p
        )
    return out


def slow_perfect_recall(game: ExtensiveFormGame) -> bool:
    hist = own_histories(game)
    seen: dict[int, tuple] = {}
    for h, own in hist.items():
        i = int(game.infoset[h])
        if seen.setdefault(i, own) != own:
            return False
    return True


# ---------------------------------------------------------------------------- structure
@given(any_games)
def test_nodes_are_in_breadth_first_order(game):
    n = game.num_nodes
    assert game.parent[0] == -1
    assert np.all(game.parent[1:] >= 0)
    assert np.all(game.parent[1:] < np.arange(1, n))
    assert np.all(np.diff(game.parent[1:]) >= 0)
    offs = game.level_offsets
    assert offs[0] == 0 and offs[-1] == n and np.all(np.diff(offs) > 0)
    for d in range(len(offs) - 1):
        assert np.all(game.depth[offs[d] : offs[d + 1]] == d)
    assert np.all(game.depth[1:] == game.depth[game.parent[1:]] + 1)


@given(any_games)
def test_children_are_contiguous_and_numbered(game):
    assert game.num_children.sum() == game.num_nodes - 1
    for h in range(game.num_nodes):
        kids = game.children(h)
        assert len(kids) == game.num_children[h] == len(game.node_actions(h))
        assert np.all(game.parent[kids] == h)
        assert list(game.action[kids]) == list(range(len(kids)))
        assert (len(kids) == 0) == (game.kind[h] == TERMINAL)
    assert game.action[0] == -1
    # every non-root node appears as exactly one node's child
    counted = np.bincount(np.concatenate([game.children(h) for h in range(game.num_nodes)] + [[0]]))
    assert np.all(counted == 1)


@given(any_games)
def test_terminals_and_terminal_index_agree(game):
    expected = np.flatnonzero(game.kind == TERMINAL)
    assert np.array_equal(game.terminals, expected)
    assert game.num_terminals == expected.size == game.payoffs.shape[0]
    assert np.array_equal(game.terminal_index[game.terminals], np.arange(expected.size))
    assert np.all(game.terminal_index[game.kind != TERMINAL] == -1)


@given(any_games)
def test_node_kinds_players_and_infosets(game):
    dec = game.kind == DECISION
    assert np.all(game.player[~dec] == -1)
    assert np.all(game.infoset[game.kind == TERMINAL] == -1)
    assert np.array_equal(game.infosets.player[game.infoset[dec]], game.player[dec])
    assert np.all(game.infosets.num_actions[game.infoset[dec]] == game.num_children[dec])
    chance = game.kind == CHANCE
    assert np.all(game.chance_infosets.num_actions[game.infoset[chance]] == game.num_children[chance])
    # information sets are grouped by player, numbered 1.. in order of first appearance
    assert np.all(np.diff(game.infosets.player) >= 0)
    for p in range(game.num_players):
        isets = game.player_infosets(p)
        first_node = [int(np.flatnonzero(dec & (game.infoset == i))[0]) for i in isets]
        assert first_node == sorted(first_node)
        assert list(game.infosets.number[isets]) == list(range(1, len(isets) + 1))
        assert game.num_infosets[p] == np.unique(game.infoset[dec & (game.player == p)]).size
        assert game.num_sequences[p] == sum(len(game.infosets.actions[i]) for i in isets)


@given(any_games)
def test_path_runs_from_root_through_parents(game):
    for h in range(game.num_nodes):
        path = game.path(h)
        assert path[0] == 0 and path[-1] == h and len(path) == game.depth[h] + 1
        assert all(game.parent[b] == a for a, b in zip(path[:-1], path[1:], strict=True))


@given(any_games)
def test_arrays_are_read_only(game):
    for name in ARRAY_FIELDS:
        arr = getattr(game, name)
        assert not arr.flags.writeable, name
        with pytest.raises(ValueError):
            arr[...] = 0
    for arr in (game.infosets.player, game.infosets.number, game.infosets.num_actions):
        assert not arr.flags.writeable


def test_game_is_immutable():
    game = library.kuhn_poker()
    for name in ("players", "parent", "payoffs", "title", "infosets"):
        with pytest.raises(AttributeError):
            setattr(game, name, None)
    with pytest.raises(AttributeError):
        game.new_attribute = 1
    with pytest.raises(AttributeError):
        game.infosets.player = np.zeros(12, np.int64)


def test_game_attributes_cannot_be_deleted():
    game = library.kuhn_poker()
    with pytest.raises(AttributeError):
        del game.parent


def test_constructor_copies_its_inputs():
    game = library.kuhn_poker()
    parent = np.array(game.parent)
    payoffs = np.array(game.payoffs)
    chance = np.array(game.chance_prob)
    args = raw_arrays(game) | {"parent": parent}
    copy = ExtensiveFormGame(game.players, chance_prob=chance, payoffs=payoffs, **args)
    payoffs[:] = 99.0
    chance[:] = 0.0
    parent[1:] = 0
    assert copy.equals(game)


def test_summary_and_repr():
    game = library.kuhn_poker()
    s = game.summary()
    assert s["histories"] == 58 and s["terminals"] == 30 and s["infosets"] == [6, 6]
    assert s["chance_nodes"] == 4 and s["decision_nodes"] == 24 and s["depth"] == 5
    assert s["perfect_recall"] and not s["perfect_information"] and s["zero_sum"]
    assert s["batch"] is None
    assert "nodes=58" in repr(game)


def test_player_index():
    game = library.kuhn_poker()
    assert game.player_index("Player 2") == 1 and game.player_index(0) == 0
    for bad in ("Nobody", 2, -1):
        with pytest.raises(GameError):
            game.player_index(bad)


def test_zero_sum_and_constant_sum():
    b = GameBuilder(["A", "B"])
    x, y = b.root.decision("A", ["x", "y"])
    x.terminal([3, 2])
    y.terminal([1, 4])
    game = b.build()
    assert game.is_constant_sum() and not game.is_zero_sum()
    shifted = game.with_batch(payoffs=game.payoffs - 2.5)
    assert shifted.is_zero_sum()
    assert not game.with_batch(payoffs=[[3, 2], [1, 5]]).is_constant_sum()


# ---------------------------------------------------------------------------- sequence form
@given(recall_games)
def test_sequence_form_counts(game):
    sf = game.sequence_form
    assert sf.num_players == game.num_players
    assert sf.num_sequences == game.num_sequences
    assert sf.num_infosets == game.num_infosets
    assert sf.last_sequence.shape == (game.num_players, game.num_terminals)
    for p in range(game.num_players):
        isets = game.player_infosets(p)
        counts = [len(game.infosets.actions[i]) for i in isets]
        assert sf.infoset_offset[p] == game.infoset_offset[p] == sum(game.num_infosets[:p])
        assert list(isets) == list(np.flatnonzero(game.infosets.player == p))
        assert list(sf.sequence_start[p]) == list(1 + np.concatenate(([0], np.cumsum(counts))))
        assert list(sf.sequence_infoset[p]) == [-1] + [i for i, c in enumerate(counts) for _ in range(c)]
        assert len(sf.sequence_labels(game, p)) == game.num_sequences[p] + 1
    assert sf.chance_reach.shape == (game.num_terminals,)
    assert np.array_equal(sf.payoffs, game.payoffs)


@given(recall_games)
def test_last_sequence_and_chance_reach_match_a_tree_walk(game):
    last, reach = walk_last_sequences(game)
    sf = game.sequence_form
    assert np.array_equal(sf.last_sequence, last)
    np.testing.assert_allclose(sf.chance_reach, reach, rtol=1e-12, atol=0)


@given(recall_games)
def test_chance_reach_is_product_along_path(game):
    sf = game.sequence_form
    for z, h in enumerate(game.terminals):
        path = game.path(int(h))
        expected = math.prod(
            float(game.chance_prob[b]) for a, b in zip(path[:-1], path[1:], strict=True) if game.kind[a] == CHANCE
        )
        assert sf.chance_reach[z] == pytest.approx(expected, rel=1e-12, abs=0)


@given(recall_games)
def test_treeplex_parents_depths_and_levels(game):
    sf = game.sequence_form
    first = sequence_numbering(game)
    hist = own_histories(game)
    for p in range(game.num_players):
        isets = game.player_infosets(p)
        parent = sf.infoset_parent[p]
        depth = sf.infoset_depth[p]
        for local, i in enumerate(isets):
            nodes = np.flatnonzero((game.infoset == i) & (game.kind == DECISION))
            own = hist[int(nodes[0])]
            expected_parent = 0 if not own else int(first[own[-1][0]] + own[-1][1])
            assert parent[local] == expected_parent
            assert depth[local] == len(own)
        # levels partition the information sets by depth, in increasing order
        levels = sf.levels[p]
        assert len(levels) == (int(depth.max()) + 1 if len(isets) else 0)
        for d, level in enumerate(levels):
            assert list(level) == list(np.flatnonzero(depth == d))
        # a parent sequence belongs to an information set one level up
        for local in range(len(isets)):
            if parent[local]:
                assert depth[sf.sequence_infoset[p][parent[local]]] == depth[local] - 1


def treeplex_realization(game, behaviour):
    """Realization plans computed top-down over the sequence form's treeplex levels."""
    sf = game.sequence_form
    plans = []
    for p in range(game.num_players):
        x = np.zeros(sf.num_sequences[p] + 1)
        x[0] = 1.0
        start = sf.sequence_start[p]
        for level in sf.levels[p]:
            for i in level:
                x[start[i] : start[i + 1]] = x[sf.infoset_parent[p][i]] * behaviour[sf.infoset_offset[p] + i]
        plans.append(x)
    return plans


@given(recall_games, seeds)
def test_realization_plan_identity(game, seed):
    rng = np.random.default_rng(seed)
    behaviour = random_behaviour(game, rng)
    sf = game.sequence_form
    walked = realization_plans_by_walk(game, behaviour)
    topdown = treeplex_realization(game, behaviour)
    for x_walk, x_tree in zip(walked, topdown, strict=True):
        reached = ~np.isnan(x_walk)  # sequences whose information set is in the tree
        assert reached.all()
        np.testing.assert_allclose(x_tree, x_walk, rtol=1e-12, atol=1e-15)
    weight = sf.chance_reach.copy()
    for p, x in enumerate(topdown):
        weight = weight * x[sf.last_sequence[p]]
    from_sequence_form = weight @ sf.payoffs
    by_walk = expected_payoffs_by_walk(game, behaviour)
    np.testing.assert_allclose(from_sequence_form, by_walk, rtol=1e-9, atol=1e-9)


def test_realization_identity_detects_a_wrong_payoff():
    """The walk and the sequence form differ once a payoff moves (the check can fail)."""
    game = library.kuhn_poker()
    behaviour = random_behaviour(game, np.random.default_rng(1), zeros=False)
    sf = game.sequence_form
    weight = sf.chance_reach.copy()
    for p, x in enumerate(treeplex_realization(game, behaviour)):
        weight = weight * x[sf.last_sequence[p]]
    assert np.allclose(weight @ sf.payoffs, expected_payoffs_by_walk(game, behaviour))
    bumped = np.array(game.payoffs)
    bumped[7, 0] += 1.0
    other = game.with_batch(payoffs=bumped)
    assert not np.allclose(weight @ sf.payoffs, expected_payoffs_by_walk(other, behaviour))


def test_kuhn_sequence_form_known_values():
    game = library.kuhn_poker()
    sf = game.sequence_form
    np.testing.assert_allclose(sf.chance_reach, np.full(30, 1 / 6))
    assert [len(level) for level in sf.levels[0]] == [3, 3]
    assert [len(level) for level in sf.levels[1]] == [6]
    assert sf.sequence_labels(game, 0)[:3] == ["(empty)", "J: pass", "J: bet"]
    # uniform play: player 1's expected payoff in Kuhn poker is 1/8
    uniform = [np.full(2, 0.5)] * 12
    assert expected_payoffs_by_walk(game, uniform)[0] == pytest.approx(0.125)


def test_sequence_form_is_cached_and_read_only():
    game = library.kuhn_poker()
    sf = game.sequence_form
    assert game.sequence_form is sf
    arrays = [sf.last_sequence, sf.chance_reach, sf.payoffs]
    for p in range(2):
        arrays += [sf.sequence_start[p], sf.sequence_infoset[p], sf.infoset_parent[p], sf.infoset_depth[p]]
        arrays += list(sf.levels[p])
    for arr in arrays:
        assert not arr.flags.writeable


# ---------------------------------------------------------------------------- perfect recall
@given(recall_games)
def test_generated_games_have_perfect_recall(game):
    assert game.has_perfect_recall
    game.require_perfect_recall()
    assert slow_perfect_recall(game)


@given(extensive_games(perfect_recall=False))
def test_perfect_recall_agrees_with_slow_check(game):
    expected = slow_perfect_recall(game)
    assert game.has_perfect_recall == expected
    if not expected:
        with pytest.raises(GameError, match="perfect recall"):
            _ = game.sequence_form
        with pytest.raises(GameError, match="perfect recall"):
            game.require_perfect_recall("CFR")


def forgetful_game() -> ExtensiveFormGame:
    """Player A moves, then moves again without remembering the first move."""
    b = GameBuilder(["A", "B"])
    for first in b.root.decision("A", ["l", "r"], infoset="first"):
        x, y = first.decision("A", ["x", "y"], infoset="second")
        x.terminal([1, 0])
        y.terminal([0, 1])
    return b.build()


def absent_minded_game() -> ExtensiveFormGame:
    """The absent-minded driver: the same information set twice on one path."""
    b = GameBuilder(["Driver"])
    exit_, go_on = b.root.decision("Driver", ["exit", "continue"], infoset="junction")
    exit_.terminal([0])
    exit2, go_on2 = go_on.decision("Driver", ["exit", "continue"], infoset="junction")
    exit2.terminal([4])
    go_on2.terminal([1])
    return b.build()


def forgets_what_it_knew_game() -> ExtensiveFormGame:
    """A sees the coin, moves, then forgets which coin she saw (the same action labels)."""
    b = GameBuilder(["A", "B"])
    for coin in b.root.chance({"h": 0.5, "t": 0.5}):
        (move,) = coin.decision("A", ["go"], infoset=f"saw {coin.history[0]}")
        x, y = move.decision("A", ["x", "y"], infoset="later")
        x.terminal([1, 0])
        y.terminal([0, 1])
    return b.build()


def forgets_other_player_game() -> ExtensiveFormGame:
    """Perfect recall holds: A forgets nothing of her own, only B's move is hidden."""
    b = GameBuilder(["A", "B"])
    for first in b.root.decision("B", ["l", "r"]):
        x, y = first.decision("A", ["x", "y"], infoset="blind")
        x.terminal([1, 0])
        y.terminal([0, 1])
    return b.build()


@pytest.mark.parametrize("make", [forgetful_game, absent_minded_game, forgets_what_it_knew_game])
def test_recall_violations_are_detected(make):
    game = make()
    assert not game.has_perfect_recall
    assert not slow_perfect_recall(game)
    with pytest.raises(GameError, match="perfect recall"):
        _ = game.sequence_form
    assert game.summary()["perfect_recall"] is False


def test_hidden_moves_of_others_keep_perfect_recall():
    game = forgets_other_player_game()
    assert game.has_perfect_recall and not game.is_perfect_information
    assert game.sequence_form.num_infosets == (1, 1)
    assert library.kuhn_poker().has_perfect_recall


# ---------------------------------------------------------------------------- validation
def base_arrays() -> dict:
    """A valid raw game: chance picks h/t; player A moves at one information set of 2 nodes."""
    return dict(
        parent=[-1, 0, 0, 1, 1, 2, 2],
        kind=[CHANCE, DECISION, DECISION, TERMINAL, TERMINAL, TERMINAL, TERMINAL],
        player=[-1, 0, 0, -1, -1, -1, -1],
        infoset=[0, 0, 0, -1, -1, -1, -1],
        chance_prob=[1.0, 0.5, 0.5, 1, 1, 1, 1],
        payoffs=[[1, -1], [0, 0], [-1, 1], [2, -2]],
        infosets=Infosets(player=[0], number=[1], labels=["I"], actions=[("l", "r")]),
        chance_infosets=Infosets(player=[-1], number=[1], labels=[""], actions=[("h", "t")]),
    )


def build_raw(players=("A", "B"), **changes) -> ExtensiveFormGame:
    args = base_arrays() | changes
    return ExtensiveFormGame(players, **args)


def test_base_raw_game_is_valid():
    game = build_raw()
    assert game.num_terminals == 4 and game.has_perfect_recall
    assert game.sequence_form.num_sequences == (2, 0)


two_players_one_infoset_each = Infosets(player=[0, 1], number=[1, 1], labels=["", ""], actions=[("l", "r")] * 2)

RAW_ERRORS = {
    "negative chance probability": dict(chance_prob=[1, 1.5, -0.5, 1, 1, 1, 1]),
    "chance does not sum to 1": dict(chance_prob=[1, 0.5, 0.4, 1, 1, 1, 1]),
    "NaN chance probability": dict(chance_prob=[1, np.nan, 0.5, 1, 1, 1, 1]),
    "infinite chance probability": dict(chance_prob=[1, np.inf, 0.5, 1, 1, 1, 1]),
    "probability off a chance edge": dict(chance_prob=[1, 0.5, 0.5, 0.5, 1, 1, 1]),
    "NaN payoff": dict(payoffs=[[1, -1], [0, np.nan], [-1, 1], [2, -2]]),
    "infinite payoff": dict(payoffs=[[1, -1], [0, 0], [-np.inf, 1], [2, -2]]),
    "payoff shape": dict(payoffs=[[1, -1], [0, 0], [-1, 1]]),
    "payoff dimension": dict(payoffs=[1, 0, -1, 2]),
    "chance_prob shape": dict(chance_prob=[1.0, 0.5, 0.5]),
    "infoset mixes players": dict(player=[-1, 0, 1, -1, -1, -1, -1]),
    "infoset mixes players in the table": dict(
        player=[-1, 0, 1, -1, -1, -1, -1], infosets=two_players_one_infoset_each, infoset=[0, 0, 0, -1, -1, -1, -1]
    ),
    "infoset action count differs": dict(
        parent=[-1, 0, 0, 1, 1, 2, 2, 2],
        kind=[CHANCE, DECISION, DECISION] + [TERMINAL] * 5,
        player=[-1, 0, 0] + [-1] * 5,
        infoset=[0, 0, 0] + [-1] * 5,
        chance_prob=[1.0, 0.5, 0.5] + [1] * 5,
        payoffs=[[0, 0]] * 5,
    ),
    "parents not non-decreasing": dict(parent=[-1, 0, 0, 2, 2, 1, 1]),
    "parent after child": dict(parent=[-1, 0, 0, 1, 1, 2, 7]),
    "self parent": dict(parent=[-1, 0, 0, 1, 1, 5, 5]),
    "root has a parent": dict(parent=[0, 0, 0, 1, 1, 2, 2]),
    "two roots": dict(parent=[-1, -1, 0, 1, 1, 2, 2]),
    "terminal with children": dict(kind=[CHANCE, TERMINAL, DECISION, TERMINAL, TERMINAL, TERMINAL, TERMINAL]),
    "decision without children": dict(kind=[CHANCE, DECISION, DECISION, DECISION, TERMINAL, TERMINAL, TERMINAL]),
    "unknown kind": dict(kind=[CHANCE, DECISION, DECISION, 3, TERMINAL, TERMINAL, TERMINAL]),
    "negative kind": dict(kind=[CHANCE, DECISION, DECISION, -1, TERMINAL, TERMINAL, TERMINAL]),
    "decision without player": dict(player=[-1, 0, -1, -1, -1, -1, -1]),
    "player out of range": dict(player=[-1, 0, 2, -1, -1, -1, -1]),
    "terminal names a player": dict(player=[-1, 0, 0, 1, -1, -1, -1]),
    "infoset out of range": dict(infoset=[0, 0, 1, -1, -1, -1, -1]),
    "chance infoset out of range": dict(infoset=[1, 0, 0, -1, -1, -1, -1]),
    "kind array length": dict(kind=[CHANCE, DECISION, DECISION, TERMINAL]),
    "empty tree": dict(parent=[], kind=[], player=[], infoset=[], chance_prob=[], payoffs=np.zeros((0, 2))),
    "two-dimensional parent": dict(parent=[[-1, 0, 0, 1, 1, 2, 2]]),
    "node labels length": dict(node_labels=["root"]),
    "infosets not ordered by player": dict(
        infosets=Infosets(player=[1, 0], number=[1, 1], labels=["", ""], actions=[("l", "r")] * 2),
        infoset=[0, 1, 1, -1, -1, -1, -1],
    ),
    "chance infoset action count": dict(
        chance_infosets=Infosets(player=[-1], number=[1], labels=[""], actions=[("h", "t", "e")])
    ),
}


@pytest.mark.parametrize("changes", RAW_ERRORS.values(), ids=RAW_ERRORS.keys())
def test_raw_constructor_refuses_invalid_games(changes):
    with pytest.raises(GameError):
        build_raw(**changes)


@pytest.mark.parametrize("players", [("A", "A"), ()], ids=["duplicate names", "no players"])
def test_raw_constructor_refuses_bad_players(players):
    with pytest.raises(GameError):
        build_raw(players=players)


def test_infoset_table_must_be_consistent():
    with pytest.raises(GameError):
        Infosets(player=[0, 0], number=[1], labels=["", ""], actions=[("a",), ("b",)])
    with pytest.raises(GameError):
        Infosets(player=[0], number=[1], labels=[""], actions=[()])


def test_large_kind_value_is_a_game_error():
    with pytest.raises(GameError):
        build_raw(kind=[CHANCE, DECISION, DECISION, 300, TERMINAL, TERMINAL, TERMINAL])


def test_chance_infoset_nodes_must_agree():
    # two chance nodes in one chance information set with different probabilities
    args = dict(
        parent=[-1, 0, 0, 1, 1, 2, 2],
        kind=[DECISION, CHANCE, CHANCE, TERMINAL, TERMINAL, TERMINAL, TERMINAL],
        player=[0, -1, -1, -1, -1, -1, -1],
        infoset=[0, 0, 0, -1, -1, -1, -1],
        chance_prob=[1, 1, 1, 0.5, 0.5, 0.25, 0.75],
        payoffs=[[1, -1], [0, 0], [-1, 1], [2, -2]],
        infosets=Infosets(player=[0], number=[1], labels=[""], actions=[("l", "r")]),
        chance_infosets=Infosets(player=[-1], number=[1], labels=[""], actions=[("h", "t")]),
    )
    with pytest.raises(GameError, match="chance information set"):
        ExtensiveFormGame(["A", "B"], **args)
    args["chance_prob"] = [1, 1, 1, 0.25, 0.75, 0.25, 0.75]
    assert ExtensiveFormGame(["A", "B"], **args).num_terminals == 4


@st.composite
def garbage_arrays(draw):
    n = draw(st.integers(1, 7))
    ints = lambda lo, hi: st.lists(st.integers(lo, hi), min_size=n, max_size=n)  # noqa: E731
    num_isets = draw(st.integers(0, 3))
    infosets = Infosets(
        player=draw(st.lists(st.integers(-1, 2), min_size=num_isets, max_size=num_isets)),
        number=list(range(1, num_isets + 1)),
        labels=[""] * num_isets,
        actions=[("a",) * draw(st.integers(1, 3)) for _ in range(num_isets)],
    )
    num_chance = draw(st.integers(0, 2))
    chance_infosets = Infosets(
        player=[-1] * num_chance,
        number=list(range(1, num_chance + 1)),
        labels=[""] * num_chance,
        actions=[("c",) * draw(st.integers(1, 3)) for _ in range(num_chance)],
    )
    return dict(
        players=["A", "B"][: draw(st.integers(1, 2))],
        parent=[-1] + draw(st.lists(st.integers(-1, n), min_size=n - 1, max_size=n - 1)),
        kind=draw(ints(-1, 3)),
        player=draw(ints(-1, 2)),
        infoset=draw(ints(-1, 3)),
        chance_prob=draw(st.lists(st.sampled_from([1.0, 0.5, 0.0, -0.5, np.nan]), min_size=n, max_size=n)),
        terminals=draw(st.integers(0, n)),
        infosets=infosets,
        chance_infosets=chance_infosets,
    )


@given(garbage_arrays())
def test_raw_constructor_raises_only_game_errors(args):
    players = args.pop("players")
    args["payoffs"] = np.zeros((args.pop("terminals"), len(players)))
    try:
        game = ExtensiveFormGame(players, **args)
    except GameError:
        return
    assert np.all(np.diff(game.parent[1:]) >= 0)
    assert game.num_terminals == np.count_nonzero(game.kind == TERMINAL)


@given(garbage_arrays())
def test_game_from_tree_raises_only_game_errors(args):
    players = args.pop("players")
    args.pop("terminals")
    n = len(args["parent"])
    try:
        game = game_from_tree(
            players,
            edge_prob=args.pop("chance_prob"),
            node_payoffs=np.zeros((n, len(players))),
            **args,
        )
    except GameError:
        return
    assert game.num_nodes == n


# ---------------------------------------------------------------------------- batches
@given(recall_games, st.integers(1, 4), seeds)
def test_batch_items_equal_rebuilt_games(game, size, seed):
    rng = np.random.default_rng(seed)
    payoffs = rng.normal(size=(size, game.num_terminals, game.num_players))
    chance = random_chance_probs(game, rng, size)
    batch = game.with_batch(payoffs=payoffs, chance_prob=chance)
    assert batch.batch_size == size
    assert batch.structurally_equal(game)
    for b in range(size):
        item = batch.batch_item(b)
        assert item.batch_size is None
        rebuilt = ExtensiveFormGame(game.players, chance_prob=chance[b], payoffs=payoffs[b], **raw_arrays(game))
        assert item.equals(rebuilt)
        assert not item.equals(game) or np.allclose(payoffs[b], game.payoffs)


@given(recall_games, st.integers(1, 3), seeds)
def test_batched_sequence_form_equals_items(game, size, seed):
    rng = np.random.default_rng(seed)
    payoffs = rng.normal(size=(size, game.num_terminals, game.num_players))
    chance = random_chance_probs(game, rng, size)
    batch = game.with_batch(payoffs=payoffs, chance_prob=chance)
    sf = batch.sequence_form
    assert sf.chance_reach.shape == (size, game.num_terminals)
    assert sf.payoffs.shape == (size, game.num_terminals, game.num_players)
    assert np.array_equal(sf.last_sequence, game.sequence_form.last_sequence)
    behaviour = random_behaviour(game, rng)
    by_walk = expected_payoffs_by_walk(batch, behaviour)
    assert by_walk.shape == (size, game.num_players)
    for b in range(size):
        item_sf = batch.batch_item(b).sequence_form
        np.testing.assert_allclose(sf.chance_reach[b], item_sf.chance_reach, rtol=1e-12)
        np.testing.assert_array_equal(sf.payoffs[b], item_sf.payoffs)
        np.testing.assert_allclose(by_walk[b], expected_payoffs_by_walk(batch.batch_item(b), behaviour), atol=1e-12)


def test_batch_of_payoffs_only_and_of_chance_only():
    game = library.kuhn_poker()
    rng = np.random.default_rng(0)
    payoffs = rng.normal(size=(3, 30, 2))
    by_payoffs = game.with_batch(payoffs=payoffs)
    assert by_payoffs.batch_size == 3
    sf = by_payoffs.sequence_form
    reach = np.broadcast_to(sf.chance_reach, (3, 30))
    for b in range(3):
        item = by_payoffs.batch_item(b)
        np.testing.assert_allclose(reach[b], item.sequence_form.chance_reach)
        np.testing.assert_array_equal(item.payoffs, payoffs[b])
    chance = random_chance_probs(game, rng, 2)
    by_chance = game.with_batch(chance_prob=chance)
    assert by_chance.batch_size == 2
    assert by_chance.sequence_form.chance_reach.shape == (2, 30)
    for b in range(2):
        item = by_chance.batch_item(b)
        np.testing.assert_array_equal(item.chance_prob, chance[b])
        np.testing.assert_allclose(by_chance.sequence_form.chance_reach[b], item.sequence_form.chance_reach)


def test_with_batch_keeps_the_original_and_is_a_new_game():
    game = library.kuhn_poker()
    batch = game.with_batch(payoffs=np.stack([game.payoffs, -game.payoffs]))
    assert game.batch_size is None and batch.batch_size == 2
    assert batch.batch_item(0).equals(game)
    assert not batch.batch_item(1).equals(game)
    assert batch.batch_item(1).equals(game.with_batch(payoffs=-game.payoffs))
    assert not batch.payoffs.flags.writeable and not batch.chance_prob.flags.writeable


def kuhn_bad_batches():
    game = library.kuhn_poker()
    t, n, nodes = game.num_terminals, game.num_players, game.num_nodes
    good_chance = np.stack([game.chance_prob] * 2)
    bad_sum = good_chance.copy()
    bad_sum[1, 1] = 0.5  # first deal of item 1 no longer sums to 1
    negative = good_chance.copy()
    negative[0, 1:4] = [1.5, -0.25, -0.25]
    off_edge = good_chance.copy()
    off_edge[1, game.terminals[0]] = 0.5
    return {
        "payoffs with too many players": dict(payoffs=np.zeros((2, t, n + 1))),
        "payoffs with too few terminals": dict(payoffs=np.zeros((2, t - 1, n))),
        "four-dimensional payoffs": dict(payoffs=np.zeros((2, 1, t, n))),
        "one-dimensional payoffs": dict(payoffs=np.zeros(t)),
        "chance with too many nodes": dict(chance_prob=np.ones((2, nodes + 1))),
        "three-dimensional chance": dict(chance_prob=good_chance[:, None, :]),
        "batch sizes differ": dict(payoffs=np.zeros((3, t, n)), chance_prob=good_chance),
        "a batch item does not sum to 1": dict(chance_prob=bad_sum),
        "negative batched probability": dict(chance_prob=negative),
        "batched probability off a chance edge": dict(chance_prob=off_edge),
        "NaN in batched payoffs": dict(payoffs=np.full((2, t, n), np.nan)),
    }


@pytest.mark.parametrize("kwargs", kuhn_bad_batches().values(), ids=kuhn_bad_batches().keys())
def test_invalid_batches_are_refused(kwargs):
    with pytest.raises(GameError):
        library.kuhn_poker().with_batch(**kwargs)


def test_batch_item_of_a_single_game_is_an_error():
    with pytest.raises(GameError):
        library.kuhn_poker().batch_item(0)


@given(extensive_games(perfect_recall=False))
def test_perfect_recall_agrees_with_pygambit(game):
    gbt = pytest.importorskip("pygambit")
    assert gbt.read_efg(io.StringIO(efg_text(game))).is_perfect_recall == game.has_perfect_recall
