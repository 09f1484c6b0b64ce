"""Tests of negsim.solvers.backward_induction: closed forms, an independent recursive check of
subgame perfection on random trees, batches, invariances and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from negsim.errors import SolverError
from negsim.games import CHANCE, TERMINAL, ExtensiveFormGame, GameBuilder, library
from negsim.games.profile import BehaviorProfile
from negsim.solvers.backward_induction import backward_induction
from tests.gamegen import perfect_information_games, random_chance_probs, rebuild, sequence_numbering

seeds = st.integers(0, 2**32 - 1)
rules = st.sampled_from(["first", "uniform"])
pi_games = perfect_information_games(min_players=2, max_players=4, max_nodes=120)


# ---------------------------------------------------------------------------- slow references
def behaviour_by_infoset(game: ExtensiveFormGame, profile: BehaviorProfile, b: int | None = None) -> list[np.ndarray]:
    """``out[g]``: the action probabilities at global information set ``g``."""
    first = sequence_numbering(game)
    out = []
    for g, acts in enumerate(game.infosets.actions):
        p = int(game.infosets.player[g])
        probs = profile.probabilities[p] if b is None else profile.probabilities[p][b]
        out.append(np.asarray(probs[first[g] - 1 : first[g] - 1 + len(acts)]))
    return out


def check_subgame_perfect(game: ExtensiveFormGame, profile: BehaviorProfile, values, b: int | None = None) -> None:
    """One-shot deviation check at every decision node, by a plain recursion.

    In a finite game of perfect information a profile is subgame perfect iff at every
    decision node every action played with positive probability maximizes the mover's
    continuation value (given the profile below). Also checks the reported root values.
    """
    behaviour = behaviour_by_infoset(game, profile, b)
    payoffs = game.payoffs if game.payoffs.ndim == 2 else game.payoffs[b]
    chance = game.chance_prob if game.chance_prob.ndim == 1 else game.chance_prob[b]
    spread = payoffs.max(axis=0) - payoffs.min(axis=0)
    slack = 1e-9 * spread + 1e-12 * (1 + np.abs(payoffs).max(axis=0))

    def value(h: int) -> np.ndarray:
        kind = int(game.kind[h])
        if kind == TERMINAL:
            return payoffs[int(game.terminal_index[h])]
        kids = [int(c) for c in game.children(h)]
        below = [value(c) for c in kids]
        if kind == CHANCE:
            return sum(chance[c] * v for c, v in zip(kids, below, strict=True))
        p = int(game.player[h])
        sigma = behaviour[int(game.infoset[h])]
        assert sigma.sum() == pytest.approx(1.0)
        best = max(v[p] for v in below)
        for a, v in enumerate(below):
            if sigma[a] > 0:
                assert v[p] >= best - slack[p], f"node {h}: action {a} is not a best reply for player {p}"
        return sum(s * v for s, v in zip(sigma, below, strict=True))

    np.testing.assert_allclose(value(0), values, rtol=0, atol=1e-9 * (1 + np.abs(payoffs).max()))


def tied_by_recursion(game: ExtensiveFormGame) -> dict[int, list[int]]:
    """Under ``ties="first"``: ``{decision node: actions within tolerance of the best}``, by recursion."""
    payoffs, chance = game.payoffs, game.chance_prob
    tol = 1e-9 * (payoffs.max(axis=0) - payoffs.min(axis=0)) + 1e-13 * np.abs(payoffs).max(axis=0)
    out = {}

    def value(h: int) -> np.ndarray:
        kind = int(game.kind[h])
        if kind == TERMINAL:
            return payoffs[int(game.terminal_index[h])]
        kids = [int(c) for c in game.children(h)]
        below = [value(c) for c in kids]
        if kind == CHANCE:
            return sum(chance[c] * v for c, v in zip(kids, below, strict=True))
        p = int(game.player[h])
        best = max(v[p] for v in below)
        out[h] = [a for a, v in enumerate(below) if v[p] >= best - tol[p]]
        return below[out[h][0]]

    value(0)
    return out


def by_label(profile: BehaviorProfile) -> dict[tuple[str, str], float]:
    return {
        (entry["label"], a): p
        for entry in profile.to_list()
        for a, p in zip(entry["actions"], entry["probabilities"], strict=True)
    }


# ---------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("pie", [1, 2, 5, 10])
def test_ultimatum(pie):
    game = library.ultimatum(pie=pie)
    first = backward_induction(game)
    # at offer 0 the responder is indifferent; "first" takes her first action, accept
    assert first.profile.action_probabilities(0, 0)["offer 0"] == 1.0
    np.testing.assert_array_equal(first.values, [pie, 0])
    for k in range(pie + 1):
        assert first.profile.action_probabilities(1, k)["accept"] == 1.0
    assert first.info == {"ties": "first", "subgame_perfect": True, "tied_infosets": 1}
    assert first.method == "backward" and first.nash_conv == 0.0
    # mixing over the tie she accepts 0 half the time, so offering 1 is better (for a pie
    # of 2 the proposer is indifferent between offering 0 and 1, mixes, and the responder
    # gets the average: the others' values average over a mover's tie)
    uniform = backward_induction(game, ties="uniform")
    expected = {1: [0.5, 0.0], 2: [1.0, 0.5]}.get(pie, [pie - 1, 1])
    np.testing.assert_allclose(uniform.values, expected)
    assert uniform.profile.action_probabilities(1, 0) == {"accept": 0.5, "reject": 0.5}
    assert uniform.nash_conv <= 1e-12
    listed = backward_induction(game, all_ties=True).info["tied_actions"]
    assert listed == [{"player": "Responder", "infoset": 1, "label": "offer 0", "actions": ["accept", "reject"]}]


def finite_horizon_share(rounds: int, d1: float, d2: float, shares: int | None = None) -> float:
    """Player 1's first-round share in the SPE of ``rounds`` rounds of alternating offers.

    With ``shares`` the offers lie on the grid ``k / shares``: the proposer keeps the largest
    share that leaves the responder at least the responder's continuation value.
    """
    grid = (lambda s: math.floor(s * shares + 1e-9) / shares) if shares else (lambda s: s)
    keep = 1.0  # what the proposer keeps when one round is left
    for left in range(2, rounds + 1):
        # with `left` rounds to go, player 2 responds when left and rounds have the same parity
        responder_discount = d2 if left % 2 == rounds % 2 else d1
        keep = grid(1.0 - responder_discount * keep)
    return keep


@pytest.mark.parametrize("discount", [(0.5, 0.5), (0.6, 0.4), (0.3, 0.3)])
def test_alternating_offers_approach_rubinstein(discount):
    d1, d2 = discount
    shares = 6
    rubinstein = (1 - d2) / (1 - d1 * d2)
    for rounds in range(1, 5):
        game = library.alternating_offers(rounds=rounds, shares=shares, discount=discount)
        solution = backward_induction(game)
        share = float(solution.values[0])
        picked = [a for a, p in solution.profile.action_probabilities(0, 0).items() if p == 1.0]
        assert picked == [f"{round(share * shares)}/{shares}"]  # player 1's first offer is accepted
        assert share == pytest.approx(finite_horizon_share(rounds, d1, d2, shares), abs=1e-12)
        continuous = finite_horizon_share(rounds, d1, d2)
        assert abs(continuous - rubinstein) <= (d1 * d2) ** ((rounds - 1) // 2)
        assert abs(share - continuous) <= (1 / shares) / (1 - max(discount)) + 1e-12
        assert solution.nash_conv <= 1e-12
        check_subgame_perfect(game, solution.profile, solution.values)


def test_chance_nodes_are_averaged():
    b = GameBuilder(["A", "B"])
    safe, risky = b.root.decision("A", ["safe", "risky"])
    safe.terminal([1, 0])
    win, lose = risky.chance({"win": "1/4", "lose": "3/4"})
    win.terminal([3, 0])
    give, keep = lose.decision("B", ["give", "keep"])
    give.terminal([1, -1])
    keep.terminal([0, 0])
    solution = backward_induction(b.build())
    # B keeps (0 > -1), so risky is worth 3/4 < 1 to A
    np.testing.assert_allclose(solution.values, [1.0, 0.0])
    assert solution.profile.action_probabilities(0, 0) == {"safe": 1.0, "risky": 0.0}
    assert solution.profile.action_probabilities(1, 0) == {"give": 0.0, "keep": 1.0}


def test_trivial_games():
    b = GameBuilder(["A", "B"])
    b.root.terminal([1, 2])
    solution = backward_induction(b.build())
    np.testing.assert_array_equal(solution.values, [1, 2])
    assert [p.shape for p in solution.profile.probabilities] == [(0,), (0,)]


# ---------------------------------------------------------------------------- random games
@given(pi_games, rules)
def test_random_games_are_subgame_perfect(game, ties):
    solution = backward_induction(game, ties=ties)
    assert solution.nash_conv <= 1e-9
    check_subgame_perfect(game, solution.profile, solution.values)
    if ties == "first":
        assert all(np.isin(p, (0.0, 1.0)).all() for p in solution.profile.probabilities)


@given(pi_games)
def test_tied_actions_match_a_recursion(game):
    solution = backward_induction(game, all_ties=True)
    tied = tied_by_recursion(game)
    expected = {}
    for h, actions in tied.items():
        g = int(game.infoset[h])
        if len(actions) > 1:
            expected[(game.players[int(game.player[h])], int(game.infosets.number[g]))] = [
                game.infosets.actions[g][a] for a in actions
            ]
        # "first" picks the first tied action
        p = int(game.player[h])
        local = g - game.infoset_offset[p]
        probs = list(solution.profile.action_probabilities(p, local).values())
        assert probs.index(1.0) == actions[0]
    listed = {(e["player"], e["infoset"]): e["actions"] for e in solution.info["tied_actions"]}
    assert listed == expected
    assert solution.info["tied_infosets"] == len(expected)


@given(pi_games, seeds, st.integers(1, 4), rules)
def test_batched_equals_looped(game, seed, size, ties):
    rng = np.random.default_rng(seed)
    payoffs = rng.integers(-4, 5, size=(size, game.num_terminals, game.num_players)) / 2
    which = rng.integers(3)  # batch the payoffs, the chance probabilities, or both
    batch = game.with_batch(
        payoffs=payoffs if which != 1 else None,
        chance_prob=random_chance_probs(game, rng, size) if which != 0 else None,
    )
    together = backward_induction(batch, ties=ties, all_ties=True)
    assert together.values.shape == (size, game.num_players)
    assert np.shape(together.nash_conv) == (size,)
    for b in range(size):
        alone = backward_induction(batch.batch_item(b), ties=ties, all_ties=True)
        np.testing.assert_array_equal(together.values[b], alone.values)
        for x, y in zip(together.profile.probabilities, alone.profile.probabilities, strict=True):
            np.testing.assert_array_equal(x[b], y)
        assert together.info["tied_actions"][b] == alone.info["tied_actions"]
        assert together.info["tied_infosets"][b] == alone.info["tied_infosets"]
        check_subgame_perfect(batch, together.profile, together.values[b], b)
    assert np.all(together.nash_conv <= 1e-9)


@given(pi_games, st.data(), rules)
def test_positive_affine_change_keeps_the_choices(game, data, ties):
    player = data.draw(st.integers(0, game.num_players - 1))
    scale = data.draw(st.floats(0.01, 100.0))
    shift = data.draw(st.floats(-100.0, 100.0))
    payoffs = game.payoffs.copy()
    payoffs[:, player] = scale * payoffs[:, player] + shift
    base = backward_induction(game, ties=ties)
    moved = backward_induction(game.with_batch(payoffs=payoffs), ties=ties)
    for x, y in zip(base.profile.probabilities, moved.profile.probabilities, strict=True):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-12)
    expected = base.values.copy()
    expected[player] = scale * expected[player] + shift
    np.testing.assert_allclose(moved.values, expected, rtol=1e-9, atol=1e-9)


@given(pi_games, seeds)
def test_permuting_actions_permutes_the_profile(game, seed):
    rng = np.random.default_rng(seed)
    perms = [list(rng.permutation(len(acts))) for acts in game.infosets.actions]
    original, permuted = rebuild(game), rebuild(game, perms)
    # mixing over ties does not depend on the order of the actions
    a = backward_induction(original, ties="uniform")
    b = backward_induction(permuted, ties="uniform")
    np.testing.assert_allclose(b.values, a.values, rtol=0, atol=1e-9)
    pa, pb = by_label(a.profile), by_label(b.profile)
    assert pa.keys() == pb.keys()
    for key, prob in pa.items():
        assert pb[key] == pytest.approx(prob, abs=1e-12), key
    # with payoffs that never tie, "first" has nothing to break either
    u = rng.normal(size=(game.num_terminals, game.num_players))
    a = backward_induction(rebuild(game.with_batch(payoffs=u)), ties="first")
    b = backward_induction(rebuild(game.with_batch(payoffs=u), perms), ties="first")
    assert by_label(a.profile) == by_label(b.profile)


def test_solution_is_json_ready():
    game = library.alternating_offers(rounds=2, shares=2)
    solution = backward_induction(game, all_ties=True)
    out = solution.to_dict()
    assert out["method"] == "backward"
    assert out["info"]["subgame_perfect"] is True
    assert isinstance(out["info"]["tied_actions"], list)


# ---------------------------------------------------------------------------- errors
def test_imperfect_information_is_refused():
    with pytest.raises(SolverError, match=r"perfect information.*information set 1 of Player 1 \('J'\).*'spe'"):
        backward_induction(library.kuhn_poker())


def test_bad_input_is_refused():
    with pytest.raises(SolverError, match="extensive-form games of perfect information"):
        backward_induction(library.matching_pennies())
    with pytest.raises(SolverError, match="tie-breaking rule"):
        backward_induction(library.ultimatum(), ties="last")
