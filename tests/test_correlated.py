"""Correlated equilibria by LP: obedience checked independently, Nash inclusion, chicken."""

from __future__ import annotations

import itertools

import nashpy
import numpy as np
import pytest
from hypothesis import assume, given, settings

from negsim.errors import SolverError
from negsim.games import NormalFormGame, library
from negsim.solvers.correlated import correlated_equilibrium, correlated_regret
from negsim.solvers.pure import pure_equilibria
from tests.gamegen import normal_form_games


def obedience_regret(payoffs: np.ndarray, mu: np.ndarray) -> float:
    """Largest gain of any 'play k when told j' deviation, by explicit loops."""
    n = payoffs.shape[0]
    shape = payoffs.shape[1:]
    worst = 0.0
    for p in range(n):
        for j in range(shape[p]):
            for k in range(shape[p]):
                gain = 0.0
                for profile in itertools.product(*(range(a) for a in shape)):
                    if profile[p] != j:
                        continue
                    other = profile[:p] + (k,) + profile[p + 1 :]
                    gain += mu[profile] * (payoffs[(p,) + other] - payoffs[(p,) + profile])
                worst = max(worst, gain)
    return worst


def product(probs) -> np.ndarray:
    out = np.ones(())
    for x in probs:
        out = np.multiply.outer(out, x)
    return out


def chicken() -> NormalFormGame:
    # strategies (dare, chicken)
    return NormalFormGame.from_bimatrix([[0, 7], [2, 6]], [[0, 2], [7, 6]])


def test_welfare_maximizing_correlated_equilibrium_of_chicken_beats_every_nash_equilibrium():
    game = chicken()
    solution = correlated_equilibrium(game)
    assert solution.method == "correlated"
    assert solution.info["welfare"] == pytest.approx(10.5)
    assert np.allclose(solution.info["distribution"], [[0, 0.25], [0.25, 0.5]], atol=1e-8)
    nash_welfare = [
        float(x @ game.payoffs[0] @ y + x @ game.payoffs[1] @ y)
        for x, y in nashpy.Game(*game.payoffs).vertex_enumeration()
    ]
    assert max(nash_welfare) == pytest.approx(28 / 3)
    assert solution.info["welfare"] > max(nash_welfare) + 1
    # marginals are reported, but playing them independently is not an equilibrium
    assert np.allclose(solution.profile.probabilities[0], [0.25, 0.75])
    assert solution.info["marginal_nash_conv"] > 0.1
    assert solution.nash_conv == pytest.approx(0.0, abs=1e-9)


def test_objectives():
    game = chicken()
    # all weight on Row: the best correlated equilibrium for Row
    row_best = correlated_equilibrium(game, objective=[1.0, 0.0])
    assert row_best.values[0] == pytest.approx(7.0)
    feasible = correlated_equilibrium(game, objective="feasibility")
    assert obedience_regret(game.payoffs, feasible.info["distribution"]) < 1e-9
    assert feasible.info["objective"] == "feasibility"
    with pytest.raises(SolverError):
        correlated_equilibrium(game, objective="fairness")
    with pytest.raises(SolverError):
        correlated_equilibrium(game, objective=[1.0, 2.0, 3.0])


def test_every_nash_equilibrium_is_a_correlated_equilibrium_in_known_games():
    for game in (library.prisoners_dilemma(), library.battle_of_the_sexes(), library.matching_pennies(), chicken()):
        for x, y in nashpy.Game(*game.payoffs).vertex_enumeration():
            assert correlated_regret(game, np.outer(x, y)) < 1e-9


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # nashpy divides by zero in degenerate games
@settings(max_examples=25)
@given(normal_form_games(min_players=2, max_players=2, max_actions=4))
def test_every_two_player_nash_equilibrium_is_feasible(game):
    assume(min(game.shape) >= 2)
    for x, y in nashpy.Game(*game.payoffs).vertex_enumeration():
        assert correlated_regret(game, np.outer(x, y)) < 1e-9
        assert obedience_regret(game.payoffs, np.outer(x, y)) < 1e-9


@settings(max_examples=30)
@given(normal_form_games(min_players=2, max_players=4, max_actions=3))
def test_returned_distribution_is_a_correlated_equilibrium(game):
    for objective in ("welfare", "feasibility"):
        solution = correlated_equilibrium(game, objective=objective)
        mu = solution.info["distribution"]
        assert mu.shape == game.shape
        assert np.all(mu >= 0) and mu.sum() == pytest.approx(1.0)
        scale = max(1.0, float(np.abs(game.payoffs).max()))
        assert obedience_regret(game.payoffs, mu) <= 1e-7 * scale
        assert correlated_regret(game, mu) == pytest.approx(obedience_regret(game.payoffs, mu), abs=1e-9)
        expected = np.array([(game.payoffs[p] * mu).sum() for p in range(game.num_players)])
        assert np.allclose(solution.values, expected)
    # every pure Nash equilibrium is feasible, so the welfare optimum is at least as good
    welfare = correlated_equilibrium(game).info["welfare"]
    for profile in pure_equilibria(game):
        mu = np.zeros(game.shape)
        mu[profile] = 1.0
        assert correlated_regret(game, mu) == 0.0
        assert welfare >= game.payoff(profile).sum() - 1e-7 * scale


@settings(max_examples=10)
@given(normal_form_games(min_players=2, max_players=3, max_actions=3, batch_size=3))
def test_batched_equals_looped(game):
    batch = correlated_equilibrium(game)
    assert batch.info["distribution"].shape == (3,) + game.shape
    assert batch.values.shape == (3, game.num_players)
    for b in range(3):
        single = correlated_equilibrium(game.batch_item(b))
        assert batch.info["welfare"][b] == pytest.approx(single.info["welfare"], abs=1e-7)
        assert obedience_regret(game.payoffs[b], batch.info["distribution"][b]) < 1e-7 * max(
            1.0, np.abs(game.payoffs[b]).max()
        )
    regrets = correlated_regret(game, batch.info["distribution"])
    assert regrets.shape == (3,) and np.all(regrets < 1e-6)


def test_product_of_random_strategies_is_usually_not_correlated_equilibrium():
    game = library.prisoners_dilemma()
    mu = product([np.array([0.5, 0.5]), np.array([0.5, 0.5])])
    assert correlated_regret(game, mu) == pytest.approx(obedience_regret(game.payoffs, mu))
    assert correlated_regret(game, mu) > 0


def test_bad_inputs():
    with pytest.raises(SolverError):
        correlated_equilibrium(library.kuhn_poker())
    with pytest.raises(SolverError):
        correlated_regret(library.prisoners_dilemma(), np.ones((3, 3)) / 9)
    with pytest.raises(SolverError):
        correlated_regret(library.prisoners_dilemma(), np.ones((2, 2)))
