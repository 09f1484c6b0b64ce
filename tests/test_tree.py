"""Enumeration of the game tree: the arrays of an EnumeratedTree, read-only, and observation histories."""

from __future__ import annotations

import numpy as np
import pytest

from negsim import ScenarioError
from negsim.games.extensive import CHANCE, DECISION, TERMINAL
from negsim.negotiation import Agent, Chance, Issue, Move, Negotiation, Stage
from negsim.negotiation.tree import enumerate_tree
from negsim.negotiation.validation import validate


def _talks(max_nodes: int = 1000) -> Negotiation:
    return Negotiation(
        title="truce",
        issues=(Issue("truce", [False, True]),),
        agents=(Agent("Kyiv"), Agent("Moscow")),
        chance=(Chance("mood", {"calm": 0.5, "angry": 0.5}, observed_by=["Moscow"]),),
        stages=(
            Stage("offer", "Kyiv", [Move("propose"), Move("wait", end=True)]),
            Stage("answer", "Moscow", [Move("accept", set={"truce": True}), Move("refuse")], when="offer == 'propose'"),
        ),
        max_nodes=max_nodes,
    )


def test_tree_arrays_describe_the_protocol_breadth_first():
    tree = enumerate_tree(validate(_talks()))
    # root chance, two offers, then per mood: an answer with two terminals, or wait (a terminal)
    assert tree.kind.tolist() == [CHANCE, DECISION, DECISION] + [DECISION, TERMINAL] * 2 + [TERMINAL] * 4
    assert tree.parent.tolist() == [-1, 0, 0, 1, 1, 2, 2, 3, 3, 5, 5]
    assert tree.labels == ("", "calm", "angry", "propose", "wait", "propose", "wait") + ("accept", "refuse") * 2
    assert tree.step.tolist() == [0, 1, 1, 2, -1, 2, -1, -1, -1, -1, -1]
    assert tree.edge_outcome[:3].tolist() == [[-1, -1], [0, 0], [0, 1]]
    assert tree.num_nodes == 11 and tree.num_terminals == 6
    # Kyiv does not see the mood: one information set over both offers; Moscow sees it: two
    assert tree.infoset[[1, 2]].tolist() == [0, 0]
    assert tree.infosets.labels == (
        "offer | start",
        "answer | mood=calm, offer=propose",
        "answer | mood=angry, offer=propose",
    )
    assert tree.infoset_keys[1][:2] == (1, "answer")
    assert tree.infoset_keys[1][2][0] == ("mood", "calm")
    assert tree.chance_infosets.actions == (("calm", "angry"),)
    # variable codes: truce, offer, answer, mood
    assert tree.terminal_codes.tolist()[-2:] == [[1, 1, 1, 2], [0, 1, 2, 2]]
    assert tree.node_codes[0].tolist() == [0, 0, 0, 0]


def test_tree_is_frozen_and_read_only():
    tree = enumerate_tree(validate(_talks()))
    with pytest.raises(AttributeError):
        tree.parent = tree.parent.copy()
    for array in (tree.parent, tree.kind, tree.infoset, tree.node_codes, tree.terminal_codes, tree.edge_outcome):
        with pytest.raises(ValueError, match="read-only"):
            array[...] = 0


def test_size_limit_is_checked_during_the_walk():
    with pytest.raises(ScenarioError, match="more than 5 nodes") as info:
        enumerate_tree(validate(_talks(max_nodes=5)))
    assert info.value.key == "scenario.max_nodes"
    assert enumerate_tree(validate(_talks(max_nodes=11))).num_nodes == 11


def test_effect_outside_the_domain_names_the_move():
    neg = Negotiation(
        title="t",
        issues=(Issue("level", [0, 1]),),
        agents=(Agent("A"),),
        stages=(Stage("s", "A", [Move("up", set={"level": "level + 2"})]),),
    )
    with pytest.raises(ScenarioError, match="sets level to 2, which is not one of its values") as info:
        enumerate_tree(validate(neg))
    assert info.value.key == "stages[0].moves[0].set.level"
    np.testing.assert_array_equal(validate(neg).initial, [0, 0])
