"""The treeplex kernel's fast paths against its general path.

Single games and batches run through hand-unpacked scipy kernels (``_plex._Fast``); the
general level-by-level code (``reduceat``, per-level sums and lifts) still serves arrays
the fast paths do not take. All must give the same numbers, and regret matching must be
exactly uniform where no regret is positive.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from negsim.games import library
from negsim.solvers._plex import Evaluator
from tests.gamegen import extensive_games


def _pair(game, fast=True):
    """Evaluators of the game and of the same game as a batch of one (``fast=False``: general path)."""
    single = Evaluator(game)
    batched = Evaluator(game.with_batch(payoffs=game.payoffs[None]))
    if not fast:
        for ev in (single, batched):
            ev._fast = None
    return single, batched


def _general_pair(game):
    return _pair(game, fast=False)


def _random_strategy(ev, p, rng, zeros=True):
    """A random behaviour strategy in kernel order (index 0 is the empty sequence)."""
    positive = rng.random(ev.plex.players[p].size)
    if zeros:
        positive[rng.random(positive.size) < 0.3] = 0.0
    sigma = ev.zeros(p)
    return ev.regret_match(p, positive, sigma)


@settings(max_examples=60, deadline=None)
@given(extensive_games(max_players=3), st.integers(0, 2**32 - 1), st.booleans())
def test_single_game_kernel_equals_the_batched_kernel(game, seed, fast):
    rng = np.random.default_rng(seed)
    single, batched = _pair(game, fast)
    reference, _ = _general_pair(game)
    sigmas = [_random_strategy(single, p, rng) for p in range(game.num_players)]
    plans = [single.plan(p, s) for p, s in enumerate(sigmas)]
    plans_b = [batched.plan(p, s[:, None].copy()) for p, s in enumerate(sigmas)]
    for p in range(game.num_players):
        np.testing.assert_allclose(plans_b[p][:, 0], plans[p], rtol=0, atol=1e-15)
        direct = single.direct_values(p, plans)
        direct_b = batched.direct_values(p, plans_b)
        np.testing.assert_allclose(direct_b[:, 0], direct, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(reference.direct_values(p, plans), direct, rtol=1e-12, atol=1e-12)
        increments = single.zeros(p)
        increments_b = batched.zeros(p)
        values = single.counterfactual_values(p, sigmas[p], direct.copy(), increments)
        values_b = batched.counterfactual_values(p, sigmas[p][:, None].copy(), direct_b.copy(), increments_b)
        np.testing.assert_allclose(values_b[:, 0], values, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(increments_b[1:, 0], increments[1:], rtol=1e-12, atol=1e-12)
        increments_r = reference.zeros(p)
        values_r = reference.counterfactual_values(p, sigmas[p], direct.copy(), increments_r)
        np.testing.assert_allclose(values, values_r, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(increments[1:], increments_r[1:], rtol=1e-12, atol=1e-12)
        # without the root, everything but the empty sequence's value is the same
        partial = single.counterfactual_values(p, sigmas[p], direct.copy(), single.zeros(p), root=False)
        np.testing.assert_allclose(partial[1:], values[1:], rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(extensive_games(max_players=3), st.integers(0, 2**32 - 1), st.booleans())
def test_regret_matching_single_equals_batched_and_is_uniform_without_regret(game, seed, fast):
    rng = np.random.default_rng(seed)
    single, batched = _pair(game, fast)
    for p in range(game.num_players):
        pp = single.plex.players[p]
        positive = rng.random(pp.size)
        positive[rng.random(pp.size) < 0.5] = 0.0
        sigma = single.regret_match(p, positive, single.zeros(p))
        sigma_b = batched.regret_match(p, positive[:, None].copy(), batched.zeros(p))
        np.testing.assert_allclose(sigma_b[1:, 0], sigma[1:], rtol=1e-15, atol=0)
        if pp.num_sequences:
            totals = np.add.reduceat(positive[1:], pp.segments)
            empty = (totals == 0)[pp.spread]
            # exactly 1/k where an information set has no positive regret
            assert np.array_equal(sigma[1:][empty], 1.0 / pp.sequence_counts[empty])
            np.testing.assert_allclose(np.add.reduceat(sigma[1:], pp.segments), 1.0, rtol=0, atol=1e-12)


def test_regret_matching_on_kuhn_by_hand():
    game = library.kuhn_poker()
    ev = Evaluator(game)
    pp = ev.plex.players[0]
    positive = np.zeros(pp.size)
    positive[1 + pp.segments[0]] = 3.0  # first action of the first information set
    positive[2 + pp.segments[0]] = 1.0
    sigma = ev.regret_match(0, positive, ev.zeros(0))
    assert sigma[1 + pp.segments[0]] == 0.75 and sigma[2 + pp.segments[0]] == 0.25
    others = np.ones(pp.num_sequences, bool)
    others[pp.segments[0] : pp.segments[0] + 2] = False
    assert np.all(sigma[1:][others] == 0.5)  # Kuhn's information sets all have two actions
