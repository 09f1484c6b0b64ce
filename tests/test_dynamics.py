"""Replicator dynamics and fictitious play: known behaviour, batches, independent NashConv."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negsim.errors import SolverError
from negsim.games import MixedProfile, NormalFormGame, library
from negsim.solvers.dynamics import fictitious_play, replicator_dynamics
from negsim.solvers.normal_regret import nash_conv_normal
from tests.gamegen import matrix_game_value, normal_form_games


def nash_conv_by_enumeration(payoffs: np.ndarray, probs) -> float:
    """NashConv by summing over every pure profile explicitly (independent of negsim)."""
    n = payoffs.shape[0]
    shape = payoffs.shape[1:]
    total = 0.0
    for p in range(n):
        pure = np.zeros(shape[p])
        value = 0.0
        for profile in itertools.product(*(range(a) for a in shape)):
            weight_others = np.prod([probs[q][profile[q]] for q in range(n) if q != p])
            pure[profile[p]] += weight_others * payoffs[(p,) + profile]
            value += weight_others * probs[p][profile[p]] * payoffs[(p,) + profile]
        total += pure.max() - value
    return total


def rock_paper_scissors() -> NormalFormGame:
    a = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], float)
    return NormalFormGame.zero_sum(a)


# ---------------------------------------------------------------------------- replicator
@pytest.mark.parametrize("scheme", ["exponential", "euler", "rk4"])
def test_replicator_prisoners_dilemma_goes_to_defection(scheme):
    solution = replicator_dynamics(library.prisoners_dilemma(), steps=3000, dt=0.02, scheme=scheme)
    assert solution.method == "replicator"
    for p in range(2):
        assert solution.profile.probabilities[p][1] > 1 - 1e-4
    assert solution.nash_conv < 1e-3
    assert solution.info["scheme"] == scheme
    steps, gaps = zip(*solution.history, strict=True)
    assert steps[-1] == 3000 and gaps[-1] == pytest.approx(solution.nash_conv)
    assert gaps[-1] < gaps[0]


def test_replicator_pure_non_nash_profile_is_a_rest_point():
    # all cooperate is a rest point of the replicator dynamics but not a Nash equilibrium
    start = [[1.0, 0.0], [1.0, 0.0]]
    solution = replicator_dynamics(library.prisoners_dilemma(), steps=200, dt=0.05, initial=start)
    assert solution.profile.to_list() == start
    assert solution.info["rest_point"] is True
    assert solution.nash_conv == pytest.approx(4.0)  # each player gains 5 - 3


def test_replicator_cycles_in_rock_paper_scissors():
    start = [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]]
    solution = replicator_dynamics(rock_paper_scissors(), steps=1500, dt=0.02, initial=start, scheme="rk4")
    # interior orbits are closed: the state never settles at the equilibrium (1/3, 1/3, 1/3)
    assert solution.nash_conv > 0.1
    assert solution.info["rest_point"] is False


def test_replicator_random_start_is_reproducible():
    game = rock_paper_scissors()
    a = replicator_dynamics(game, steps=10, initial="random", seed=3)
    b = replicator_dynamics(game, steps=10, initial="random", seed=3)
    assert np.array_equal(a.profile.probabilities[0], b.profile.probabilities[0])


@settings(max_examples=25)
@given(game=normal_form_games(min_players=2, max_players=4, max_actions=3),
       scheme=st.sampled_from(["exponential", "euler", "rk4"]))
def test_replicator_stays_on_the_simplex_and_reports_its_nash_conv(game, scheme):
    solution = replicator_dynamics(game, steps=50, dt=0.05, scheme=scheme, initial="random", seed=1)
    for x in solution.profile.probabilities:
        assert np.all(x >= 0) and x.sum() == pytest.approx(1.0)
    assert solution.nash_conv == pytest.approx(
        nash_conv_by_enumeration(game.payoffs, solution.profile.probabilities), abs=1e-9
    )
    assert np.allclose(solution.values, game.expected_payoffs(solution.profile.probabilities))


@settings(max_examples=15)
@given(game=normal_form_games(min_players=2, max_players=4, max_actions=3, batch_size=3),
       scheme=st.sampled_from(["exponential", "euler", "rk4"]))
def test_replicator_batched_equals_looped(game, scheme):
    start = [np.random.default_rng(p).dirichlet(np.ones(a), size=3) for p, a in enumerate(game.shape)]
    batch = replicator_dynamics(game, steps=40, dt=0.05, scheme=scheme, initial=start, track_every=10)
    assert batch.profile.probabilities[0].shape == (3, game.shape[0])
    assert batch.values.shape == (3, game.num_players) and batch.nash_conv.shape == (3,)
    for b in range(3):
        single = replicator_dynamics(game.batch_item(b), steps=40, dt=0.05, scheme=scheme,
                                     initial=[x[b] for x in start], track_every=10)
        for p in range(game.num_players):
            assert np.allclose(batch.profile.probabilities[p][b], single.profile.probabilities[p], atol=1e-12)
        assert batch.nash_conv[b] == pytest.approx(single.nash_conv, abs=1e-12)
        assert [h[1][b] for h in batch.history] == pytest.approx([h[1] for h in single.history], abs=1e-12)


# ---------------------------------------------------------------------------- fictitious play
def test_fictitious_play_matching_pennies():
    solution = fictitious_play(library.matching_pennies(), iterations=5000)
    assert solution.method == "fictitious-play"
    assert np.allclose(solution.profile.probabilities[0], [0.5, 0.5], atol=0.02)
    assert solution.nash_conv < 0.05


def test_fictitious_play_alternating_and_initial_beliefs():
    start = MixedProfile(library.battle_of_the_sexes(), [[0.0, 1.0], [0.0, 1.0]])
    solution = fictitious_play(library.battle_of_the_sexes(), iterations=100, initial=start, alternating=True)
    # starting from (football, football) beliefs both keep playing football: a pure equilibrium
    assert solution.profile.probabilities[0][1] == pytest.approx(1.0)
    assert solution.nash_conv == pytest.approx(0.0)
    assert solution.info == {"alternating": True}


@settings(max_examples=2)
@given(normal_form_games(zero_sum=True, max_actions=4, batch_size=16))
def test_fictitious_play_converges_in_zero_sum_games(batch):
    solution = fictitious_play(batch, iterations=10_000, track_every=0)
    for b in range(16):
        game = batch.batch_item(b)
        probs = [x[b] for x in solution.profile.probabilities]
        scale = max(1.0, float(np.abs(game.payoffs).max()))
        independent = nash_conv_by_enumeration(game.payoffs, probs)
        assert solution.nash_conv[b] == pytest.approx(independent, abs=1e-9)
        assert independent < 0.05 * scale  # Robinson (1951); the rate is slow
        assert solution.values[b, 0] == pytest.approx(matrix_game_value(game.payoffs[0]), abs=0.05 * scale)


@settings(max_examples=4)
@given(normal_form_games(min_players=2, max_players=4, max_actions=3, batch_size=8), st.integers(0, 2**16))
def test_fictitious_play_converges_in_potential_games(batch, seed):
    # an identical-interest game is a potential game (Monderer & Shapley 1996)
    common = np.broadcast_to(batch.payoffs[:, :1], batch.payoffs.shape)
    potential = NormalFormGame(common, batched=True)
    solution = fictitious_play(potential, iterations=3000, initial="random", seed=seed)
    for b in range(8):
        probs = [x[b] for x in solution.profile.probabilities]
        assert nash_conv_by_enumeration(common[b], probs) < 0.05 * max(1.0, np.abs(common[b]).max())


@settings(max_examples=15)
@given(game=normal_form_games(min_players=2, max_players=4, max_actions=3, batch_size=3), alternating=st.booleans())
def test_fictitious_play_batched_equals_looped(game, alternating):
    batch = fictitious_play(game, iterations=60, alternating=alternating, track_every=20)
    for b in range(3):
        single = fictitious_play(game.batch_item(b), iterations=60, alternating=alternating, track_every=20)
        for p in range(game.num_players):
            assert np.allclose(batch.profile.probabilities[p][b], single.profile.probabilities[p], atol=1e-12)
        assert batch.nash_conv[b] == pytest.approx(single.nash_conv, abs=1e-12)


def test_options_are_checked():
    pd = library.prisoners_dilemma()
    with pytest.raises(SolverError):
        replicator_dynamics(library.kuhn_poker())
    with pytest.raises(SolverError):
        replicator_dynamics(pd, dt=0.0)
    with pytest.raises(SolverError):
        replicator_dynamics(pd, scheme="leapfrog")
    with pytest.raises(SolverError):
        replicator_dynamics(pd, initial=[[0.5, 0.6], [0.5, 0.5]])
    with pytest.raises(SolverError):
        fictitious_play(pd, iterations=-1)
    with pytest.raises(SolverError):
        fictitious_play(pd, initial="sideways")
    with pytest.raises(SolverError):
        fictitious_play(pd, track_every=-2)


# ---------------------------------------------------------------------------- time limit
@pytest.mark.parametrize("solver", [replicator_dynamics, fictitious_play])
def test_time_limit_returns_the_lowest_nash_conv_checkpoint_per_game(solver):
    rng = np.random.default_rng(4)
    batch = NormalFormGame(rng.normal(size=(3, 2, 3, 3)), batched=True)
    count = {"steps": 10**9} if solver is replicator_dynamics else {"iterations": 10**9}
    for game in (batch, batch.batch_item(0)):
        solution = solver(game, time_limit=0.1, track_every=1, **count)
        assert solution.info["stopped_early"] is True and solution.info["time_limit"] == 0.1
        assert solution.converged is False and 1 <= solution.iterations < 10**9
        measured = np.array([np.atleast_1d(nc) for _, nc in solution.history])
        np.testing.assert_allclose(np.atleast_1d(solution.nash_conv), measured.min(axis=0), atol=1e-12)
        np.testing.assert_allclose(nash_conv_normal(game, solution.profile), solution.nash_conv, atol=1e-12)


@pytest.mark.parametrize("solver", [replicator_dynamics, fictitious_play])
def test_time_limit_must_be_positive(solver):
    with pytest.raises(SolverError, match="time_limit"):
        solver(library.matching_pennies(), time_limit=-1)
