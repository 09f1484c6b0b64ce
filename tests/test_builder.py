"""Tests of negsim.games.builder: GameBuilder, Node and game_from_tree."""

from __future__ import annotations

from collections import deque
from fractions import Fraction

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
)
from tests.gamegen import extensive_games


def matching_pennies_tree() -> ExtensiveFormGame:
    b = GameBuilder(["Row", "Column"], title="Matching pennies", comment="a comment")
    for row_node, sign in zip(b.root.decision("Row", ["H", "T"]), (1, -1), strict=True):
        heads, tails = row_node.decision("Column", ["H", "T"], infoset="column")
        heads.terminal([sign, -sign])
        tails.terminal([-sign, sign])
    return b.build()


def test_matching_pennies_tree():
    game = matching_pennies_tree()
    assert game.players == ("Row", "Column")
    assert game.title == "Matching pennies" and game.comment == "a comment"
    assert list(game.parent) == [-1, 0, 0, 1, 1, 2, 2]
    assert list(game.kind) == [DECISION, DECISION, DECISION] + [TERMINAL] * 4
    assert list(game.player) == [0, 1, 1, -1, -1, -1, -1]
    assert list(game.infoset) == [0, 1, 1, -1, -1, -1, -1]
    assert game.infosets.labels == ("", "column")
    assert game.infosets.actions == (("H", "T"), ("H", "T"))
    assert game.payoffs.tolist() == [[1, -1], [-1, 1], [-1, 1], [1, -1]]
    assert game.is_zero_sum() and not game.is_perfect_information and game.has_perfect_recall


def test_children_come_in_action_order_with_histories():
    b = GameBuilder(["A"])
    kids = b.root.decision("A", ["x", "y", "z"], label="start")
    assert [k.history for k in kids] == [("x",), ("y",), ("z",)]
    assert b.root.history == ()
    assert "open" in repr(kids[0]) and "decision" in repr(b.root)
    grand = kids[1].chance({"u": 0.25, "v": 0.75})
    assert grand[1].history == ("y", "v")
    for node in (kids[0], kids[2], *grand):
        node.terminal([0])
    assert len(b) == 6
    game = b.build()
    assert game.node_labels[0] == "start"
    assert game.node_actions(0) == ("x", "y", "z")
    assert game.node_actions(2) == ("u", "v")
    assert game.chance_prob.tolist() == [1, 1, 1, 1, 0.25, 0.75]


def test_integer_actions_are_numbered():
    b = GameBuilder(["A"])
    for child in b.root.decision(0, 3):
        child.terminal([1])
    assert b.build().infosets.actions == (("0", "1", "2"),)


@pytest.mark.parametrize(
    "probabilities",
    [
        {"a": Fraction(1, 3), "b": Fraction(2, 3)},
        [("a", "1/3"), ("b", "2/3")],
        {"a": 1 / 3, "b": 2 / 3},
        {"a": "1/3", "b": "0.6666666666666666"},
    ],
    ids=["fractions", "pairs of strings", "floats", "decimal string"],
)
def test_chance_probability_forms(probabilities):
    b = GameBuilder(["A"])
    for child in b.root.chance(probabilities):
        child.terminal([0])
    game = b.build()
    assert game.chance_infosets.actions == (("a", "b"),)
    np.testing.assert_allclose(game.chance_prob[1:], [1 / 3, 2 / 3], rtol=1e-15)


def test_chance_sequence_of_numbers_is_labelled_by_position():
    b = GameBuilder(["A"])
    for child in b.root.chance([0.5, 0.5]):
        child.terminal([0])
    assert b.build().chance_infosets.actions == (("0", "1"),)


def test_terminal_payoffs_by_name_default_to_zero():
    b = GameBuilder(["A", "B", "C"])
    x, y = b.root.decision("B", ["x", "y"])
    x.terminal({"C": 2, "A": "1/2"})
    y.terminal([1, 2, 3])
    assert b.build().payoffs.tolist() == [[0.5, 0, 2], [1, 2, 3]]


def test_same_label_for_two_players_gives_two_infosets():
    b = GameBuilder(["A", "B"])
    x, y = b.root.decision("A", ["x", "y"], infoset="same")
    x.terminal([0, 0])
    for t in y.decision("B", ["l", "r"], infoset="same"):
        t.terminal([1, 1])
    game = b.build()
    assert game.num_infosets == (1, 1)
    assert game.infosets.labels == ("same", "same")


def test_shared_chance_infoset():
    b = GameBuilder(["A"])
    for node in b.root.decision("A", ["x", "y"]):
        for t in node.chance({"h": 0.3, "t": 0.7}, infoset="coin"):
            t.terminal([1])
    game = b.build()
    assert len(game.chance_infosets) == 1
    assert game.chance_infosets.labels == ("coin",)


def test_infoset_numbering_follows_breadth_first_order():
    b = GameBuilder(["A", "B"])
    left, right = b.root.decision("B", ["l", "r"])
    deep, other = left.decision("B", ["a", "b"])
    for t in deep.decision("A", ["p", "q"], infoset="deep"):
        t.terminal([0, 0])
    other.terminal([0, 0])
    for t in right.decision("A", ["s", "t"], infoset="shallow"):
        t.terminal([1, 1])
    game = b.build()
    mine = game.player_infosets(0)
    assert [game.infosets.labels[i] for i in mine] == ["shallow", "deep"]
    assert list(game.infosets.number[mine]) == [1, 2]


# ---------------------------------------------------------------------------- build order
def rebuild(game: ExtensiveFormGame, order: str) -> ExtensiveFormGame:
    """The same game grown through a GameBuilder, visiting nodes breadth- or depth-first."""
    b = GameBuilder(game.players, title=game.title, comment=game.comment)
    todo = deque([(0, b.root)])
    while todo:
        h, handle = todo.popleft() if order == "bfs" else todo.pop()
        k = game.kind[h]
        if k == TERMINAL:
            handle.terminal(game.payoffs[game.terminal_index[h]].tolist(), label=game.node_labels[h])
            continue
        if k == CHANCE:
            acts = game.chance_infosets.actions[game.infoset[h]]
            probs = [(a, game.chance_prob[c]) for a, c in zip(acts, game.children(h), strict=True)]
            label = game.chance_infosets.labels[game.infoset[h]] or None
            kids = handle.chance(probs, infoset=label, label=game.node_labels[h])
        else:
            i = game.infoset[h]
            label = game.infosets.labels[i] or None
            kids = handle.decision(
                int(game.player[h]), game.infosets.actions[i], infoset=label, label=game.node_labels[h]
            )
        pairs = list(zip(game.children(h), kids, strict=True))
        todo.extend(pairs if order == "bfs" else pairs[::-1] if order == "dfs" else pairs)
    return b.build()


def same_game_up_to_chance_numbering(a: ExtensiveFormGame, b: ExtensiveFormGame) -> bool:
    """``a.equals(b)``, except that chance information sets may be numbered differently."""
    dec = a.kind == DECISION
    chance = np.flatnonzero(a.kind == CHANCE)
    same_chance = all(
        a.chance_infosets.actions[a.infoset[h]] == b.chance_infosets.actions[b.infoset[h]]
        and a.chance_infosets.labels[a.infoset[h]] == b.chance_infosets.labels[b.infoset[h]]
        for h in chance
    )
    # the same partition of chance nodes into information sets
    pairs = {(int(a.infoset[h]), int(b.infoset[h])) for h in chance}
    partition = len(pairs) == len({x for x, _ in pairs}) == len({y for _, y in pairs})
    return (
        a.players == b.players
        and np.array_equal(a.parent, b.parent)
        and np.array_equal(a.kind, b.kind)
        and np.array_equal(a.player, b.player)
        and np.array_equal(a.infoset[dec], b.infoset[dec])
        and a.infosets.actions == b.infosets.actions
        and a.infosets.labels == b.infosets.labels
        and np.array_equal(a.infosets.player, b.infosets.player)
        and np.array_equal(a.infosets.number, b.infosets.number)
        and np.array_equal(a.chance_prob, b.chance_prob)
        and np.array_equal(a.payoffs, b.payoffs)
        and a.node_labels == b.node_labels
        and same_chance
        and partition
    )


@given(extensive_games(perfect_recall=False, min_players=1))
@pytest.mark.parametrize("order", ["bfs", "dfs", "reversed-dfs"])
def test_build_order_does_not_matter(order, game):
    again = rebuild(game, order)
    assert same_game_up_to_chance_numbering(again, game)
    if order == "bfs" and len(game.chance_infosets) <= 1:
        assert again.equals(game)


def two_chance_nodes(first: str) -> ExtensiveFormGame:
    """A decision with a 2-outcome and a 3-outcome chance node below; one is grown first."""
    b = GameBuilder(["A"])
    left, right = b.root.decision("A", ["l", "r"])
    grow = {
        "left": lambda: [t.terminal([0]) for t in left.chance([0.5, 0.5])],
        "right": lambda: [t.terminal([1]) for t in right.chance([0.2, 0.3, 0.5])],
    }
    grow[first]()
    grow["right" if first == "left" else "left"]()
    return b.build()


def test_chance_infoset_numbering_is_independent_of_build_order():
    assert two_chance_nodes("right").equals(two_chance_nodes("left"))


def test_equals_notices_differences():
    game = matching_pennies_tree()
    assert game.equals(matching_pennies_tree())
    assert not game.equals(game.with_batch(payoffs=2 * game.payoffs))
    b = GameBuilder(["Row", "Column"])
    for row_node in b.root.decision("Row", ["H", "T"]):
        for t in row_node.decision("Column", ["H", "T"]):  # Column now sees Row's coin
            t.terminal([0, 0])
    assert not game.structurally_equal(b.build())


# ---------------------------------------------------------------------------- game_from_tree
def test_game_from_tree_reorders_depth_first_input():
    # depth first: root(0) -> a(1) -> [t(2), t(3)], then b(4) terminal
    game = game_from_tree(
        ["A", "B"],
        parent=[-1, 0, 1, 1, 0],
        kind=[DECISION, DECISION, TERMINAL, TERMINAL, TERMINAL],
        player=[0, 1, -1, -1, -1],
        infoset=[0, 1, -1, -1, -1],
        edge_prob=[1, 1, 1, 1, 1],
        node_payoffs=[[0, 0], [0, 0], [1, 1], [2, 2], [3, 3]],
        infosets=Infosets(player=[0, 1], number=[0, 0], labels=["", ""], actions=[("a", "b"), ("c", "d")]),
        node_labels=["r", "a", "ac", "ad", "b"],
    )
    assert list(game.parent) == [-1, 0, 0, 1, 1]
    assert game.node_labels == ("r", "a", "b", "ac", "ad")
    assert game.payoffs.tolist() == [[3, 3], [1, 1], [2, 2]]


def test_game_from_tree_sums_outcomes_along_paths():
    game = game_from_tree(
        ["A"],
        parent=[-1, 0, 0],
        kind=[DECISION, TERMINAL, TERMINAL],
        player=[0, -1, -1],
        infoset=[0, -1, -1],
        edge_prob=[1, 1, 1],
        node_payoffs=np.zeros((3, 1)),
        infosets=Infosets(player=[0], number=[1], labels=[""], actions=[("x", "y")]),
        outcomes=(["toll", "prize"], [[-1], [5]], [0, 1, -1]),
    )
    assert game.payoffs.tolist() == [[4], [-1]]


@pytest.mark.parametrize(
    "parent",
    [[-1, 2, 0], [0, 0, 0], [-1, 0, -1], []],
    ids=["parent after child", "root with parent", "second root", "empty"],
)
def test_game_from_tree_refuses_bad_parents(parent):
    n = len(parent)
    with pytest.raises(GameError):
        game_from_tree(
            ["A"],
            parent=parent,
            kind=[DECISION] + [TERMINAL] * (n - 1),
            player=[0] + [-1] * (n - 1),
            infoset=[0] + [-1] * (n - 1),
            edge_prob=[1] * n,
            node_payoffs=np.zeros((n, 1)),
            infosets=Infosets(player=[0], number=[1], labels=[""], actions=[("x", "y")]),
        )


# ---------------------------------------------------------------------------- errors
def one_open_node() -> tuple[GameBuilder, list]:
    b = GameBuilder(["A", "B"])
    return b, list(b.root.decision("A", ["x", "y"], infoset="I"))


BUILDER_ERRORS = {
    "node set twice": lambda b, kids: b.root.decision("A", ["x"]),
    "terminal set twice": lambda b, kids: (kids[0].terminal([0, 0]), kids[0].terminal([0, 0])),
    "unknown player name": lambda b, kids: kids[0].decision("Nobody", ["x"]),
    "player index too large": lambda b, kids: kids[0].decision(2, ["x"]),
    "negative player index": lambda b, kids: kids[0].decision(-1, ["x"]),
    "no actions": lambda b, kids: kids[0].decision("A", []),
    "zero actions": lambda b, kids: kids[0].decision("A", 0),
    "infoset with other actions": lambda b, kids: kids[0].decision("A", ["x", "z"], infoset="I"),
    "infoset with more actions": lambda b, kids: kids[0].decision("A", ["x", "y", "z"], infoset="I"),
    "negative probability": lambda b, kids: kids[0].chance({"h": 1.5, "t": -0.5}),
    "probabilities sum below 1": lambda b, kids: kids[0].chance({"h": 0.5, "t": 0.4}),
    "probabilities sum above 1": lambda b, kids: kids[0].chance(["1/2", "2/3"]),
    "NaN probability": lambda b, kids: kids[0].chance({"h": float("nan"), "t": 1.0}),
    "infinite probability": lambda b, kids: kids[0].chance({"h": float("inf"), "t": 1.0}),
    "probability not a number": lambda b, kids: kids[0].chance({"h": "half", "t": "1/2"}),
    "probability None": lambda b, kids: kids[0].chance({"h": None, "t": 1.0}),
    "probability 1/0": lambda b, kids: kids[0].chance({"h": "1/0", "t": 1.0}),
    "no chance outcomes": lambda b, kids: kids[0].chance({}),
    "chance infoset with other probabilities": lambda b, kids: (
        kids[0].chance({"h": 0.5, "t": 0.5}, infoset="coin"),
        kids[1].chance({"h": 0.25, "t": 0.75}, infoset="coin"),
    ),
    "chance infoset with other actions": lambda b, kids: (
        kids[0].chance({"h": 0.5, "t": 0.5}, infoset="coin"),
        kids[1].chance({"h": 0.5, "e": 0.5}, infoset="coin"),
    ),
    "too few payoffs": lambda b, kids: kids[0].terminal([1]),
    "too many payoffs": lambda b, kids: kids[0].terminal([1, 2, 3]),
    "NaN payoff": lambda b, kids: kids[0].terminal([float("nan"), 0]),
    "infinite payoff": lambda b, kids: kids[0].terminal([0, float("-inf")]),
    "huge payoff string": lambda b, kids: kids[0].terminal(["1e400", 0]),
    "huge integer payoff": lambda b, kids: kids[0].terminal([10**400, 0]),
    "payoff not a number": lambda b, kids: kids[0].terminal(["much", 0]),
    "payoff None": lambda b, kids: kids[0].terminal([None, 0]),
    "payoff for unknown player": lambda b, kids: kids[0].terminal({"Nobody": 1}),
    "open nodes at build": lambda b, kids: b.build(),
    "one open node at build": lambda b, kids: (kids[0].terminal([0, 0]), b.build()),
}


@pytest.mark.parametrize("action", BUILDER_ERRORS.values(), ids=BUILDER_ERRORS.keys())
def test_builder_errors_are_game_errors(action):
    b, kids = one_open_node()
    with pytest.raises(GameError):
        action(b, kids)


def test_open_node_message_names_the_node_and_count():
    b, kids = one_open_node()
    kids[0].decision("B", ["l", "r"])[0].terminal([0, 0])
    with pytest.raises(GameError, match=r"history 'y' was never set .2 open node"):
        b.build()


@pytest.mark.parametrize("players", [["A", "A"], []], ids=["duplicate", "none"])
def test_builder_refuses_bad_player_lists(players):
    with pytest.raises(GameError):
        GameBuilder(players)


@given(st.integers(1, 30))
def test_node_limit(limit):
    """A tree of exactly ``max_nodes`` nodes builds; growing it by one more node fails."""
    b = GameBuilder(["A"], max_nodes=limit)
    open_nodes, size = [b.root], 1
    with pytest.raises(GameError, match="limit"):
        while True:
            node = open_nodes.pop(0)
            children = node.decision("A", ["x", "y"])
            size += 2
            open_nodes.extend(children)
    assert size <= limit < size + 2
    # the same growth stopped in time builds a game of at most `limit` nodes
    b = GameBuilder(["A"], max_nodes=limit)
    open_nodes, size = [b.root], 1
    while size + 2 <= limit:
        node = open_nodes.pop(0)
        open_nodes.extend(node.decision("A", ["x", "y"]))
        size += 2
    for node in open_nodes:
        node.terminal([0])
    game = b.build()
    assert game.num_nodes == size <= limit


def test_node_limit_counts_all_nodes():
    b = GameBuilder(["A"], max_nodes=4)
    x, y, z = b.root.decision("A", ["x", "y", "z"])
    with pytest.raises(GameError, match="4 nodes"):
        x.chance([1.0])
