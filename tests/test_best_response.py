"""Best response, NashConv and exploitability, checked against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import negsim
from negsim.games import BehaviorProfile, library
from negsim.games.convert import reduced_strategies
from negsim.solvers import best_response, deviation_gains, expected_values, exploitability, nash_conv
from tests.gamegen import expected_payoffs_by_walk, extensive_games, random_behaviour, random_chance_probs


def _profile(game, behaviour):
    """BehaviorProfile from gamegen's per-information-set behaviour lists."""
    probs = []
    for p in range(game.num_players):
        isets = game.player_infosets(p)
        probs.append(np.concatenate([behaviour[i] for i in isets]) if len(isets) else np.zeros(0))
    return BehaviorProfile(game, probs)


def _pure_behaviours(game, player, behaviour):
    """Every reduced pure strategy of ``player`` as a behaviour profile (others fixed)."""
    _, plans = reduced_strategies(game, player)
    sf = game.sequence_form
    starts = sf.sequence_start[player]
    offset = sf.infoset_offset[player]
    for plan in plans:
        beh = list(behaviour)
        for i in range(len(starts) - 1):
            chosen = plan[starts[i] : starts[i + 1]]
            k = starts[i + 1] - starts[i]
            beh[offset + i] = chosen if chosen.sum() == 1 else np.full(k, 1.0 / k)
        yield beh


def _brute_force_gains(game, behaviour):
    """Best-response gains by enumerating pure strategies and walking the tree."""
    base = expected_payoffs_by_walk(game, behaviour)
    gains = []
    for p in range(game.num_players):
        best = max(expected_payoffs_by_walk(game, beh)[p] for beh in _pure_behaviours(game, p, behaviour))
        gains.append(best - base[p])
    return base, np.array(gains)


@given(game=extensive_games(min_players=2, max_players=3, max_depth=4), seed=st.integers(0, 2**31))
def test_gains_equal_brute_force_over_pure_strategies(game, seed):
    rng = np.random.default_rng(seed)
    behaviour = random_behaviour(game, rng)
    profile = _profile(game, behaviour)
    base, gains = _brute_force_gains(game, behaviour)
    np.testing.assert_allclose(expected_values(game, profile), base, atol=1e-9)
    np.testing.assert_allclose(deviation_gains(game, profile), gains, atol=1e-9)
    assert nash_conv(game, profile) == pytest.approx(gains.sum(), abs=1e-9)
    assert exploitability(game, profile) == pytest.approx(gains.sum() / game.num_players, abs=1e-9)


@given(game=extensive_games(min_players=2, max_players=3, max_depth=4), seed=st.integers(0, 2**31))
def test_best_response_is_attained_and_optimal(game, seed):
    rng = np.random.default_rng(seed)
    behaviour = random_behaviour(game, rng)
    profile = _profile(game, behaviour)
    for p in range(game.num_players):
        br = best_response(game, profile, p)
        # playing the returned pure strategy attains the best-response value
        probs = list(profile.probabilities)
        probs[p] = br.probabilities
        deviated = BehaviorProfile(game, probs)
        assert expected_values(game, deviated)[p] == pytest.approx(br.value, abs=1e-9)
        assert set(np.unique(br.probabilities)) <= {0.0, 1.0}


@given(game=extensive_games(min_players=2, max_players=3, max_depth=4), seed=st.integers(0, 2**31))
def test_batched_equals_looped(game, seed):
    rng = np.random.default_rng(seed)
    B = 3
    payoffs = rng.normal(size=(B,) + game.payoffs.shape)
    chance = random_chance_probs(game, rng, batch_size=B)
    batch = game.with_batch(payoffs=payoffs, chance_prob=chance)
    profiles = [_profile(game, random_behaviour(game, rng)) for _ in range(B)]
    stacked = BehaviorProfile(
        batch, [np.stack([pr.probabilities[p] for pr in profiles]) for p in range(game.num_players)]
    )
    gains = deviation_gains(batch, stacked)
    values = expected_values(batch, stacked)
    assert gains.shape == (B, game.num_players)
    for b in range(B):
        single = batch.batch_item(b)
        np.testing.assert_allclose(gains[b], deviation_gains(single, profiles[b].probabilities), atol=1e-12)
        np.testing.assert_allclose(values[b], expected_values(single, profiles[b].probabilities), atol=1e-12)
    br = best_response(batch, stacked, 0)
    for b in range(B):
        single = best_response(batch.batch_item(b), profiles[b].probabilities, 0)
        assert br.value[b] == pytest.approx(single.value, abs=1e-12)


def test_kuhn_uniform_profile_known_values():
    kuhn = library.kuhn_poker()
    uniform = BehaviorProfile.uniform(kuhn)
    np.testing.assert_allclose(expected_values(kuhn, uniform), [0.125, -0.125])
    # OpenSpiel's tests report exploitability 0.458333 for the uniform profile of Kuhn poker
    assert best_response(kuhn, uniform, 0).value == pytest.approx(1 / 2)
    assert best_response(kuhn, uniform, 1).value == pytest.approx(5 / 12)
    assert nash_conv(kuhn, uniform) == pytest.approx(11 / 12)
    assert exploitability(kuhn, uniform) == pytest.approx(0.4583333333333333)


def test_matches_openspiel_exploitability():
    pyspiel = pytest.importorskip("pyspiel", reason="needs OpenSpiel (pip install open-spiel; in the test extra)")
    from open_spiel.python import policy as policy_lib

    for name, ours in (("kuhn_poker", library.kuhn_poker()), ("leduc_poker", library.leduc_poker())):
        game = pyspiel.load_game(name)
        uniform = policy_lib.UniformRandomPolicy(game)
        theirs = pyspiel.exploitability(
            game, policy_lib.python_policy_to_pyspiel_policy(policy_lib.tabular_policy_from_callable(game, uniform))
        )
        assert exploitability(ours, BehaviorProfile.uniform(ours)) == pytest.approx(theirs, abs=1e-9)


def test_errors_are_negsim_errors():
    kuhn = library.kuhn_poker()
    with pytest.raises(negsim.GameError):
        nash_conv(kuhn, [np.ones(3), np.ones(12)])
    with pytest.raises(negsim.GameError):
        best_response(kuhn, BehaviorProfile.uniform(kuhn), "Nobody")
    with pytest.raises(negsim.SolverError):
        nash_conv(library.matching_pennies(), [[0.5, 0.5], [0.5, 0.5]])


@settings(max_examples=10)
@given(game=extensive_games(min_players=2, max_players=2, perfect_recall=False, max_depth=4))
def test_imperfect_recall_is_refused(game):
    if game.has_perfect_recall:
        return
    with pytest.raises(negsim.NegsimError):
        nash_conv(game, [np.ones(s) for s in game.num_sequences])
