"""Enumeration of the game tree: the arrays of an EnumeratedTree, read-only, and observation histories."""

from __future__ import annotations

import dataclasses
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from negsim import ScenarioError
from negsim.games.extensive import CHANCE, DECISION, TERMINAL
from negsim.negotiation import Agent, Chance, Issue, Move, Negotiation, Stage
from negsim.negotiation.tree import enumerate_tree
from negsim.negotiation.validation import check_values, validate


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


# ---------------------------------------------------------------------------- deep protocols
def _chain(stages: int) -> Negotiation:
    """Two agents alternating ``stages`` times: go on, or stop the talks with a deal."""
    return Negotiation(
        title="chain",
        issues=(Issue("deal", [False, True]),),
        agents=(Agent("A", payoff="1 * deal"), Agent("B", payoff="-1 * deal")),
        stages=tuple(
            Stage(f"s{i}", "AB"[i % 2], [Move(f"go{i}"), Move(f"stop{i}", set={"deal": True}, end=True)])
            for i in range(stages)
        ),
        max_nodes=4 * stages + 10,
    )


def _chain_toml(stages: int) -> str:
    head = (
        '[scenario]\nname = "chain"\ntitle = "chain"\ndescription = "A long chain."\n'
        f'sources = ["assumption: test"]\nmax_nodes = {4 * stages + 10}\n'
        '[[issues]]\nname = "deal"\nvalues = [false, true]\n'
        '[[agents]]\nname = "A"\n[agents.payoff]\nx = "1 * deal"\n'
        '[[agents]]\nname = "B"\n[agents.payoff]\nx = "-1 * deal"\n'
    )
    body = "".join(
        f'[[stages]]\nname = "s{i}"\nagent = "{"AB"[i % 2]}"\n[[stages.moves]]\nname = "go{i}"\n'
        f'[[stages.moves]]\nname = "stop{i}"\nset = {{ deal = true }}\nend = true\n'
        for i in range(stages)
    )
    return head + body


def test_a_long_chain_keeps_every_code_and_the_labels_of_its_histories():
    tree = enumerate_tree(validate(_chain(200)))
    assert tree.num_nodes == 401 and tree.num_terminals == 201
    # the last terminal went on 199 times and stopped at the last stage: 'go' is code 1, 'stop' 2
    assert tree.terminal_codes[-1, 1:].tolist() == [1] * 199 + [2]
    # an information set's label and key list the whole history, oldest first, in full
    last = tree.infosets.labels[-1]
    assert last.startswith("s199 | s0=go0, s1=go1,") and last.endswith("s198=go198")
    assert [item for item in tree.infoset_keys[-1][2] if not item[0].startswith("\x00")][:2] == [
        ("s0", "go0"), ("s1", "go1")]


def test_a_protocol_too_deep_for_the_memory_limit_is_refused_while_walking(monkeypatch):
    monkeypatch.setenv("NEGSIM_MEMORY_LIMIT", "8M")
    with pytest.raises(ScenarioError, match=r"more than 8 MiB of memory.*NEGSIM_MEMORY_LIMIT") as info:
        enumerate_tree(validate(_chain(2000)))
    assert info.value.key == "stages"
    monkeypatch.setenv("NEGSIM_MEMORY_LIMIT", "1G")
    assert enumerate_tree(validate(_chain(300))).num_nodes == 601


def test_max_nodes_has_a_ceiling():
    with pytest.raises(ScenarioError, match="at most 100,000,000") as info:
        check_values(dataclasses.replace(_talks(), max_nodes=10**12))
    assert info.value.key == "scenario.max_nodes"
    check_values(dataclasses.replace(_talks(), max_nodes=10**8))


def _limited_cli(tmp_path, *argv: str, memory_limit: str | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]), OPENBLAS_NUM_THREADS="1")
    env.pop("NEGSIM_MEMORY_LIMIT", None)
    if memory_limit:
        env["NEGSIM_MEMORY_LIMIT"] = memory_limit
    return subprocess.run([sys.executable, "-m", "negsim", *argv], capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=60, preexec_fn=limit)


@pytest.mark.stress
def test_five_thousand_chained_stages_compile_under_two_gib(tmp_path):
    # once 1.3 GB for the walk alone (every prefix of every history was kept), now about 1 GB in all
    path = tmp_path / "chain.toml"
    path.write_text(_chain_toml(5000))
    done = _limited_cli(tmp_path, "info", str(path))
    assert done.returncode == 0, done.stderr
    assert "histories            10,001" in done.stdout and "terminals            5,001" in done.stdout, done.stdout


@pytest.mark.stress
def test_twenty_thousand_chained_stages_are_refused_in_one_line(tmp_path):
    path = tmp_path / "chain.toml"
    path.write_text(_chain_toml(20000))
    done = _limited_cli(tmp_path, "info", str(path), memory_limit="1G")
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "chain.toml: stages:" in done.stderr and "NEGSIM_MEMORY_LIMIT" in done.stderr
