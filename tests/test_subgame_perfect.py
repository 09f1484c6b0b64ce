"""Subgames, subgame-perfect equilibria and non-credible threats, checked on independently built subgames."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negsim.errors import SolverError
from negsim.games import BehaviorProfile, GameBuilder, library
from negsim.games.extensive import CHANCE, DECISION, TERMINAL
from negsim.solvers import nash_conv
from negsim.solvers.backward_induction import backward_induction
from negsim.solvers.sequence_lp import sequence_lp
from negsim.solvers.subgame_perfect import non_credible_threats, spe, subgames
from tests.gamegen import extensive_games, perfect_information_games, random_chance_probs


# ---------------------------------------------------------------------------- independent helpers
def descendants(game, h: int) -> set[int]:
    out, stack = set(), [h]
    while stack:
        v = stack.pop()
        out.add(v)
        stack.extend(int(c) for c in game.children(v))
    return out


def brute_force_subgames(game) -> list[int]:
    members: dict[int, set[int]] = {}
    for h in np.flatnonzero(game.kind == DECISION):
        members.setdefault(int(game.infoset[h]), set()).add(int(h))
    roots = []
    for h in range(game.num_nodes):
        if game.kind[h] == TERMINAL:
            continue
        below = descendants(game, h)
        if all(nodes <= below or not (nodes & below) for nodes in members.values()):
            roots.append(h)
    return roots


def behaviour_of(game, profile) -> list[np.ndarray]:
    """Probabilities per global information set from a BehaviorProfile (or its arrays)."""
    probs = profile.probabilities if isinstance(profile, BehaviorProfile) else profile
    out = []
    for p in range(game.num_players):
        starts = game.sequence_form.sequence_start[p]
        out.extend(np.asarray(probs[p])[starts[i] - 1 : starts[i + 1] - 1] for i in range(len(starts) - 1))
    return out


def restrict(game, root: int, behaviour):
    """The subgame at ``root`` rebuilt node by node with GameBuilder, and the profile on it."""
    b = GameBuilder(game.players)

    def grow(node, h):
        k = int(game.kind[h])
        if k == TERMINAL:
            node.terminal(game.payoffs[int(game.terminal_index[h])].tolist())
            return
        kids = game.children(h)
        if k == CHANCE:
            probs = [Fraction(float(game.chance_prob[c])).limit_denominator(10**9) for c in kids]
            probs[-1] = 1 - sum(probs[:-1])
            children = node.chance([(f"c{j}", q) for j, q in enumerate(probs)])
        else:
            i = int(game.infoset[h])
            children = node.decision(int(game.player[h]), game.infosets.actions[i], infoset=f"g{i}")
        for child, c in zip(children, kids, strict=True):
            grow(child, int(c))

    grow(b.root, root)
    sub = b.build()
    probs = []
    for p in range(sub.num_players):
        parts = [behaviour[int(sub.infosets.labels[g][1:])] for g in sub.player_infosets(p)]
        probs.append(np.concatenate(parts) if parts else np.zeros(0))
    return sub, BehaviorProfile(sub, probs)


def subgame_gains(game, profile) -> dict[int, float]:
    behaviour = behaviour_of(game, profile)
    return {h: nash_conv(*restrict(game, h, behaviour)) for h in brute_force_subgames(game)}


def entry_game():
    b = GameBuilder(["Entrant", "Incumbent"])
    out, enter = b.root.decision("Entrant", ["out", "enter"])
    out.terminal([0, 2])
    fight, accommodate = enter.decision("Incumbent", ["fight", "accommodate"])
    fight.terminal([-1, -1])
    accommodate.terminal([1, 1])
    return b.build()


def entry_with_price_war():
    """Entry, then a simultaneous pricing game (a proper subgame with imperfect information)."""
    b = GameBuilder(["Entrant", "Incumbent"])
    out, enter = b.root.decision("Entrant", ["out", "enter"])
    out.terminal([0, 4])
    # (entrant, incumbent) payoffs; pricing high is dominant for the incumbent
    table = {("high", "high"): (3, 3), ("high", "low"): (-2, 2), ("low", "high"): (2, 1), ("low", "low"): (-1, -1)}
    for e_price, node in zip(["high", "low"], enter.decision("Entrant", ["high", "low"], infoset="entrant price"),
                             strict=True):
        for i_price, leaf in zip(["high", "low"], node.decision("Incumbent", ["high", "low"], infoset="war"),
                                 strict=True):
            leaf.terminal(list(table[e_price, i_price]))
    return b.build()


# ---------------------------------------------------------------------------- subgames
@settings(max_examples=40)
@given(extensive_games(min_players=1, max_players=3, max_depth=4, perfect_recall=False))
def test_subgames_match_brute_force(game):
    roots = subgames(game)
    assert roots.tolist() == brute_force_subgames(game)
    assert roots.size == 0 or roots[0] == 0  # the root, unless the game is a single terminal


def test_subgames_of_known_games():
    assert subgames(library.kuhn_poker()).tolist() == [0]
    game = entry_with_price_war()
    assert subgames(game).tolist() == [0, 2]  # the root, and the pricing subgame after entry
    ultimatum = library.ultimatum(pie=3)
    assert subgames(ultimatum).tolist() == np.flatnonzero(ultimatum.kind != TERMINAL).tolist()


# ---------------------------------------------------------------------------- spe
def test_entry_deterrence():
    game = entry_game()
    threat = BehaviorProfile(game, [[1.0, 0.0], [1.0, 0.0]])
    assert nash_conv(game, threat) == 0.0  # (out, fight) is a Nash equilibrium ...
    found = non_credible_threats(game, threat)
    assert found == [
        {"subgame": 2, "player": "Incumbent", "infoset": 1, "label": "", "action": "fight", "probability": 1.0,
         "loss": 2.0}
    ]  # ... resting on a threat to fight
    solution = spe(game)
    assert solution.method == "spe"
    assert solution.values.tolist() == [1.0, 1.0]
    assert non_credible_threats(game, solution.profile) == []


def test_entry_with_a_price_war_subgame():
    game = entry_with_price_war()
    solution = spe(game)
    # the pricing subgame has the unique equilibrium (high, high), worth 3 > 0 to the entrant
    regions = {s["root"]: s for s in solution.info["subgames"]}
    assert set(regions) == {0, 2} and regions[2]["method"] == "lemke" and regions[0]["method"] == "backward"
    assert solution.profile.action_probabilities(0, 0) == {"out": 0.0, "enter": 1.0}
    assert solution.values == pytest.approx([3.0, 3.0])
    assert solution.nash_conv < 1e-9
    assert non_credible_threats(game, solution.profile) == []
    assert solution.info["subgame_perfect"] is True
    # staying out for fear of a price war (low, low) is Nash, but the incumbent would not price low
    war = BehaviorProfile(game, [[1.0, 0.0, 0.0, 1.0], [0.0, 1.0]])
    assert nash_conv(game, war) == 0.0
    threats = non_credible_threats(game, war)
    assert [(t["subgame"], t["player"], t["label"], t["action"], t["loss"]) for t in threats] == [
        (2, "Incumbent", "war", "low", 2.0)
    ]
    assert subgame_gains(game, war)[2] == pytest.approx(2.0)


def test_many_subgames_with_imperfect_information_under_a_perfect_information_root():
    rng = np.random.default_rng(7)
    b = GameBuilder(["A", "B"])
    for i, market in enumerate(b.root.decision("A", 4)):
        for row in market.decision("A", ["x", "y"], infoset=f"row {i}"):
            for column in row.decision("B", ["x", "y"], infoset=f"column {i}"):
                for leaf in column.decision("B", ["keep", "quit"]):  # perfect information below
                    leaf.terminal(rng.integers(-5, 6, 2).tolist())
    game = b.build()
    solution = spe(game)
    methods = {r["root"]: r["method"] for r in solution.info["subgames"]}
    # the 16 choices to keep or quit form one forest; each pricing game is a region; then the root
    assert list(methods.values()).count("backward") == 17
    assert [methods[h] for h in (1, 2, 3, 4)] == ["lemke"] * 4
    for root, gain in subgame_gains(game, solution.profile).items():
        assert gain <= 1e-9, root
    assert non_credible_threats(game, solution.profile) == []
    assert len(subgames(game)) == 1 + 4 + 16


@settings(max_examples=25)
@given(perfect_information_games(min_players=1, max_players=3, max_depth=4))
def test_equals_backward_induction_on_perfect_information_games(game):
    solution = spe(game)
    reference = backward_induction(game)
    assert np.allclose(solution.values, reference.values)
    for a, b in zip(solution.profile.probabilities, reference.profile.probabilities, strict=True):
        assert np.array_equal(a, b)
    assert non_credible_threats(game, solution.profile) == []


@settings(max_examples=30)
@given(extensive_games(zero_sum=True, max_depth=4, max_nodes=80))
def test_zero_sum_restrictions_to_every_subgame_are_equilibria(game):
    solution = spe(game)
    scale = max(1.0, float(np.abs(game.payoffs).max()))
    assert solution.info["subgame_perfect"] is True
    for root, gain in subgame_gains(game, solution.profile).items():
        assert gain <= 1e-6 * scale, root
    assert non_credible_threats(game, solution.profile, tol=1e-6 * scale) == []
    assert solution.nash_conv == pytest.approx(nash_conv(game, solution.profile))


@settings(max_examples=20)
@given(extensive_games(min_players=2, max_players=2, max_depth=4, max_nodes=60))
def test_two_player_general_sum_restrictions_are_equilibria(game):
    solution = spe(game)
    scale = max(1.0, float(np.abs(game.payoffs).max()))
    for root, gain in subgame_gains(game, solution.profile).items():
        assert gain <= 1e-6 * scale, root
    assert non_credible_threats(game, solution.profile, tol=1e-6 * scale) == []


@settings(max_examples=10)
@given(extensive_games(min_players=3, max_players=3, max_depth=3, max_nodes=50))
def test_three_players_run_region_by_region(game):
    solution = spe(game, iterations=300)
    assert BehaviorProfile(game, solution.profile.probabilities)  # a valid profile
    regions = solution.info["subgames"]
    assert {r["root"] for r in regions} <= set(brute_force_subgames(game)) | {0}
    assert sum(r["nodes"] for r in regions) == game.num_nodes + len(regions) - 1
    assert solution.nash_conv == pytest.approx(nash_conv(game, solution.profile))
    exact = all(r["method"] in ("backward", "best response") for r in regions)
    if exact:
        for gain in subgame_gains(game, solution.profile).values():
            assert gain <= 1e-9 * max(1.0, np.abs(game.payoffs).max())


@settings(max_examples=25)
@given(extensive_games(zero_sum=True, max_depth=4, max_nodes=60))
def test_threats_are_reported_exactly_when_a_subgame_restriction_is_not_an_equilibrium(game):
    # a Nash equilibrium of the whole game, which may rest on non-credible threats
    profile = sequence_lp(game).profile
    scale = max(1.0, float(np.abs(game.payoffs).max()))
    gains = subgame_gains(game, profile)
    threats = non_credible_threats(game, profile, tol=1e-7 * scale)
    worst = max(gains.values(), default=0.0)
    if worst > 1e-5 * scale:
        assert threats
    if not threats:
        assert worst <= 1e-5 * scale
    for t in threats:
        assert t["loss"] > 1e-7 * scale and t["probability"] > 0
        assert t["subgame"] in gains


@settings(max_examples=20)
@given(extensive_games(min_players=2, max_players=3, max_depth=4, max_nodes=60), st.integers(0, 2**16))
def test_threats_of_random_profiles(game, seed):
    rng = np.random.default_rng(seed)
    probs = []
    for p in range(game.num_players):
        starts = game.sequence_form.sequence_start[p]
        parts = [rng.dirichlet(np.ones(starts[i + 1] - starts[i])) for i in range(len(starts) - 1)]
        probs.append(np.concatenate(parts) if parts else np.zeros(0))
    gains = subgame_gains(game, probs)
    threats = non_credible_threats(game, probs, tol=1e-9)
    worst = max(gains.values(), default=0.0)
    if worst > 1e-9:
        assert threats
    if threats:
        assert worst > 1e-13


@settings(max_examples=10)
@given(extensive_games(zero_sum=True, max_depth=3, max_nodes=50), st.integers(0, 2**16))
def test_batched_equals_looped(game, seed):
    rng = np.random.default_rng(seed)
    payoffs = rng.integers(-5, 6, size=(3, game.num_terminals, 1)) * np.array([1.0, -1.0])
    batch = game.with_batch(payoffs=payoffs, chance_prob=random_chance_probs(game, rng, 3))
    together = spe(batch)
    threats = non_credible_threats(batch, together.profile, tol=1e-6)
    assert threats == [[], [], []]
    for b in range(3):
        single = spe(batch.batch_item(b))
        assert np.allclose(together.values[b], single.values, atol=1e-7)


def test_errors():
    with pytest.raises(SolverError):
        spe(library.prisoners_dilemma())
    with pytest.raises(SolverError):
        spe(library.kuhn_poker(), method="magic")
    with pytest.raises(SolverError):
        spe(entry_with_price_war(), method="lp")  # general-sum
    b = GameBuilder(["A", "B"])
    for node in b.root.decision("A", ["l", "r"]):
        for leaf in node.decision("A", ["x", "y"], infoset="forgot"):
            leaf.terminal([0, 0])
    with pytest.raises(SolverError, match="perfect recall"):
        spe(b.build())
    with pytest.raises(SolverError):
        non_credible_threats(entry_game(), [[1.0, 0.0]])
