"""Deviation gains and NashConv of normal-form profiles, checked by brute force over profiles."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from negsim.errors import SolverError
from negsim.games import BehaviorProfile, MixedProfile, NormalFormGame, library
from negsim.games.convert import to_extensive
from negsim.solvers.best_response import nash_conv as tree_nash_conv
from negsim.solvers.normal_regret import deviation_gains_normal, nash_conv_normal, strategy_payoffs
from tests.gamegen import normal_form_games


def _random_profile(shape, rng, lead=()):
    out = []
    for a in shape:
        w = rng.random(lead + (a,))
        w[rng.random(w.shape) < 0.25] = 0.0
        w[..., 0] += 1e-3
        out.append(w / w.sum(axis=-1, keepdims=True))
    return out


def _brute_force(payoffs: np.ndarray, profile: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Pure-strategy payoffs and gains by a plain loop over all pure profiles."""
    n = payoffs.shape[0]
    shape = payoffs.shape[1:]
    vectors = [np.zeros(a) for a in shape]
    for s in itertools.product(*(range(a) for a in shape)):
        for p in range(n):
            weight = 1.0
            for q in range(n):
                if q != p:
                    weight *= profile[q][s[q]]
            vectors[p][s[p]] += weight * payoffs[(p,) + s]
    gains = np.array([vectors[p].max() - vectors[p] @ profile[p] for p in range(n)])
    return vectors, gains


# ---------------------------------------------------------------------------- known values
def test_matching_pennies():
    pennies = library.matching_pennies()
    assert nash_conv_normal(pennies, [[0.5, 0.5], [0.5, 0.5]]) == 0.0
    assert nash_conv_normal(pennies, [[1.0, 0.0], [1.0, 0.0]]) == pytest.approx(2.0)
    np.testing.assert_allclose(deviation_gains_normal(pennies, [[1.0, 0.0], [0.5, 0.5]]), [0.0, 1.0])


def test_prisoners_dilemma():
    pd = library.prisoners_dilemma()
    assert nash_conv_normal(pd, [[0.0, 1.0], [0.0, 1.0]]) == 0.0
    # both cooperate: each gains 5 - 3 by defecting
    assert nash_conv_normal(pd, MixedProfile(pd, [[1.0, 0.0], [1.0, 0.0]])) == pytest.approx(4.0)
    row, column = strategy_payoffs(pd, [[1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(row, [3.0, 5.0])
    np.testing.assert_allclose(column, [3.0, 5.0])


def test_three_player_known_value():
    # each player gets 1 if they match player 0's strategy, player 0 gets 1 if someone mismatches
    payoffs = np.zeros((3, 2, 2, 2))
    for s in itertools.product(range(2), repeat=3):
        payoffs[1][s] = float(s[1] == s[0])
        payoffs[2][s] = float(s[2] == s[0])
        payoffs[0][s] = float(s[1] != s[0] or s[2] != s[0])
    game = NormalFormGame(payoffs)
    gains = deviation_gains_normal(game, [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(gains, [0.0, 1.0, 0.0])


# ---------------------------------------------------------------------------- properties
@given(game=normal_form_games(min_players=1, max_players=4, max_actions=3), seed=st.integers(0, 2**31))
def test_gains_equal_brute_force(game, seed):
    rng = np.random.default_rng(seed)
    profile = _random_profile(game.shape, rng)
    vectors, gains = _brute_force(game.payoffs, profile)
    for mine, ref in zip(strategy_payoffs(game, profile), vectors, strict=True):
        np.testing.assert_allclose(mine, ref, atol=1e-10)
    np.testing.assert_allclose(deviation_gains_normal(game, profile), gains, atol=1e-10)
    assert nash_conv_normal(game, profile) == pytest.approx(gains.sum(), abs=1e-10)
    assert nash_conv_normal(game, profile) >= -1e-12


@given(game=normal_form_games(min_players=2, max_players=3, max_actions=3, batch_size=3), seed=st.integers(0, 2**31))
def test_batch_equals_loop(game, seed):
    rng = np.random.default_rng(seed)
    profile = _random_profile(game.shape, rng, lead=(3,))
    batched = deviation_gains_normal(game, profile)
    assert batched.shape == (3, game.num_players)
    for b in range(3):
        item = [x[b] for x in profile]
        np.testing.assert_allclose(batched[b], deviation_gains_normal(game.batch_item(b), item), atol=1e-12)
    total = nash_conv_normal(game, profile)
    assert total.shape == (3,)
    # one profile evaluated in every game of the batch, and a batch of profiles in one game
    single = [x[0] for x in profile]
    np.testing.assert_allclose(
        nash_conv_normal(game, single), [nash_conv_normal(game.batch_item(b), single) for b in range(3)], atol=1e-12
    )
    first = game.batch_item(0)
    np.testing.assert_allclose(
        nash_conv_normal(first, profile), [nash_conv_normal(first, [x[b] for x in profile]) for b in range(3)],
        atol=1e-12,
    )


@given(
    game=normal_form_games(min_players=2, max_players=3, max_actions=3),
    seed=st.integers(0, 2**31),
    factor=st.floats(0.1, 10.0),
    shift=st.floats(-5.0, 5.0),
)
def test_positive_affine_payoff_change_scales_gains(game, seed, factor, shift):
    rng = np.random.default_rng(seed)
    profile = _random_profile(game.shape, rng)
    changed = NormalFormGame(factor * game.payoffs + shift)
    np.testing.assert_allclose(
        deviation_gains_normal(changed, profile), factor * deviation_gains_normal(game, profile), atol=1e-9
    )


@given(game=normal_form_games(min_players=2, max_players=3, max_actions=3), seed=st.integers(0, 2**31))
def test_agrees_with_the_tree_best_response(game, seed):
    """The same profile on the game written as a tree (an independent code path)."""
    rng = np.random.default_rng(seed)
    profile = _random_profile(game.shape, rng)
    tree = to_extensive(game)
    expected = tree_nash_conv(tree, BehaviorProfile(tree, profile))
    assert nash_conv_normal(game, profile) == pytest.approx(expected, abs=1e-9)


# ---------------------------------------------------------------------------- errors
def test_errors():
    pd = library.prisoners_dilemma()
    with pytest.raises(SolverError, match="one strategy per player"):
        nash_conv_normal(pd, [[1.0, 0.0]])
    with pytest.raises(SolverError, match="shape"):
        nash_conv_normal(pd, [[1.0, 0.0, 0.0], [1.0, 0.0]])
    batch = NormalFormGame(np.stack([pd.payoffs, pd.payoffs]), batched=True)
    with pytest.raises(SolverError, match="batch sizes"):
        nash_conv_normal(batch, [np.full((3, 2), 0.5), [1.0, 0.0]])
    with pytest.raises(SolverError, match="NormalFormGame"):
        nash_conv_normal(library.kuhn_poker(), [[1.0], [1.0]])
