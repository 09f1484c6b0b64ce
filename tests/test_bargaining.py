"""Bargaining solutions: Pareto frontier, Nash, Kalai–Smorodinsky, Rubinstein and Fearon.

Checked against brute force (loops over outcomes, dense sampling of hull edges, fixed-point
iteration), against backward induction on the discrete alternating-offers game, and by the
axioms and limit theorems the solutions are known for.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from negsim.bargaining import (
    fearon_range,
    finite_horizon_shares,
    kalai_smorodinsky,
    kalai_smorodinsky_convex,
    nash_bargaining,
    nash_bargaining_convex,
    pareto_frontier,
    rubinstein,
    war_is_rational,
)
from negsim.errors import SolverError
from negsim.games import library

PIE = np.array([[1.0, 0.0], [0.0, 1.0]])
small = st.integers(-3, 6).map(float)
unit = st.floats(0.0, 1.0, allow_nan=False)
discount = st.floats(0.0, 0.99)


@st.composite
def outcome_sets(draw, players=None, max_outcomes=20, elements=small):
    """A (K, n) array of utilities; small integers by default, so that ties and duplicates occur."""
    n = draw(st.integers(1, 4)) if players is None else players
    K = draw(st.integers(1, max_outcomes))
    return draw(arrays(np.float64, (K, n), elements=elements))


def dominated_by_loop(u):
    K = len(u)
    return np.array([any((u[j] >= u[k]).all() and (u[j] > u[k]).any() for j in range(K) if j != k) for k in range(K)])


def nash_product(u, d, w):
    gains = np.asarray(u) - d
    return float(np.prod(gains**w)) if (gains > 0).all() else 0.0


def hull_samples(points, steps=401):
    """Dense samples of every segment between two outcomes (a superset of the hull's edges)."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    pairs = itertools.combinations_with_replacement(range(len(points)), 2)
    return np.concatenate([(1 - t) * points[i] + t * points[j] for i, j in pairs])


# ---------------------------------------------------------------------------- Pareto
@given(outcome_sets())
def test_pareto_keeps_exactly_the_undominated_outcomes(u):
    efficient = pareto_frontier(u)
    dominated = dominated_by_loop(u)
    # no returned point is dominated, every dropped point is
    np.testing.assert_array_equal(efficient, ~dominated)


@given(st.data())
def test_pareto_batch_and_mask_equal_one_by_one(data):
    n = data.draw(st.integers(1, 3))
    B, K = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 12))
    u = data.draw(arrays(np.float64, (B, K, n), elements=small))
    mask = data.draw(arrays(bool, (B, K)))
    padded = np.where(mask[..., None], u, np.nan)  # masked outcomes may hold anything
    batch = pareto_frontier(padded, mask=mask)
    for b in range(B):
        expected = np.zeros(K, bool)
        expected[mask[b]] = pareto_frontier(u[b][mask[b]]) if mask[b].any() else []
        np.testing.assert_array_equal(batch[b], expected)
        np.testing.assert_array_equal(pareto_frontier(u[b], mask=mask[b]), expected)


def test_pareto_sorted_and_pairwise_methods_agree_on_large_sets():
    # n = 2 uses the sort; a constant third utility gives the same problem to the
    # chunked pairwise method
    rng = np.random.default_rng(7)
    u = np.round(rng.normal(size=(3000, 2)), 2)
    two = pareto_frontier(u)
    three = pareto_frontier(np.column_stack([u, np.ones(len(u))]))
    np.testing.assert_array_equal(two, three)
    assert 0 < two.sum() < 100


def test_pareto_frontier_of_a_circle_keeps_the_upper_right_quarter():
    angle = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    u = np.column_stack([np.cos(angle), np.sin(angle)])
    efficient = pareto_frontier(u)
    quarter = (u >= -1e-12).all(1)  # cos(pi / 2) rounds to a tiny number of either sign
    np.testing.assert_array_equal(efficient, quarter)


@pytest.mark.parametrize(
    "utilities, mask",
    [
        ([[1.0, np.nan]], None),
        ([[1.0, np.inf]], None),
        ([1.0, 2.0], None),
        ([[1.0, 2.0]], [1]),
        ([[1.0, 2.0]], [True, False]),
    ],
)
def test_pareto_rejects_bad_input(utilities, mask):
    with pytest.raises(SolverError):
        pareto_frontier(utilities, mask=mask)


# ---------------------------------------------------------------------------- Nash, finite
@given(st.data())
def test_nash_maximizes_the_product_against_brute_force(data):
    u = data.draw(outcome_sets())
    n = u.shape[1]
    d = data.draw(arrays(np.float64, n, elements=st.integers(-3, 3).map(float)))
    w = data.draw(arrays(np.float64, n, elements=st.sampled_from([0.5, 1.0, 2.0])))
    sol = nash_bargaining(u, d, weights=w)
    products = [nash_product(row, d, w) for row in u]
    best = max(products)
    assert sol.agreement == (best > 0)
    if best > 0:
        assert products[sol.index] == pytest.approx(best, rel=1e-12)
        np.testing.assert_array_equal(sol.utilities, u[sol.index])
        assert sol.nash_product == pytest.approx(best, rel=1e-12)
        assert pareto_frontier(u)[sol.index]  # the solution is Pareto-efficient
        assert sol.mixture[sol.index] == 1 and sol.mixture.sum() == 1
    else:
        assert sol.index == -1
        np.testing.assert_array_equal(sol.utilities, d)
        assert sol.mixture.sum() == 0


@given(
    outcome_sets(players=2),
    st.floats(0.01, 100.0),
    st.floats(-50.0, 50.0),
    st.integers(0, 1),
)
def test_nash_is_invariant_to_positive_affine_changes_of_one_utility(u, scale, shift, player):
    d = np.array([-1.0, 0.0])
    base = nash_bargaining(u, d)
    v, e = u.copy(), d.copy()
    v[:, player] = scale * v[:, player] + shift
    e[player] = scale * e[player] + shift
    moved = nash_bargaining(v, e)
    assert moved.agreement == base.agreement
    if base.agreement:
        # the same outcome, up to ties: it reaches the maximal product of the original problem
        assert nash_product(u[moved.index], d, 1.0) == pytest.approx(base.nash_product, rel=1e-9)


@given(st.data())
def test_nash_treats_players_symmetrically(data):
    u = data.draw(outcome_sets(players=2))
    d = data.draw(arrays(np.float64, 2, elements=st.integers(-3, 2).map(float)))
    w = data.draw(arrays(np.float64, 2, elements=st.sampled_from([0.5, 1.0, 3.0])))
    sol = nash_bargaining(u, d, weights=w)
    swapped = nash_bargaining(u[:, ::-1], d[::-1], weights=w[::-1])
    assert swapped.agreement == sol.agreement
    if sol.agreement:
        assert nash_product(swapped.utilities[::-1], d, w) == pytest.approx(sol.nash_product, rel=1e-12)
    # a symmetric problem: the swap of a solution is a solution too, and the convex
    # solution is on the diagonal
    both = np.concatenate([u, u[:, ::-1]])
    sym = nash_bargaining(both, [d[0], d[0]])
    if sym.agreement:
        assert nash_product(sym.utilities[::-1], d[0], 1.0) == pytest.approx(sym.nash_product, rel=1e-12)
        convex = nash_bargaining_convex(both, [d[0], d[0]])
        assert convex.utilities[0] == pytest.approx(convex.utilities[1], abs=1e-9)


@given(outcome_sets(players=2), st.data())
def test_nash_ignores_irrelevant_alternatives(u, data):
    d = np.zeros(2)
    sol = nash_bargaining(u, d)
    assume(sol.agreement)
    keep = data.draw(arrays(bool, len(u)))
    keep[sol.index] = True
    smaller = nash_bargaining(u, d, mask=keep)
    assert smaller.nash_product == pytest.approx(sol.nash_product, rel=1e-12)


@given(st.data())
def test_nash_batch_equals_one_by_one(data):
    B, K = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 10))
    u = data.draw(arrays(np.float64, (B, K, 3), elements=small))
    d = data.draw(arrays(np.float64, (B, 3), elements=st.integers(-2, 2).map(float)))
    w = data.draw(arrays(np.float64, (B, 3), elements=st.sampled_from([0.5, 1.0, 2.0])))
    batch = nash_bargaining(u, d, weights=w)
    assert batch.utilities.shape == (B, 3) and batch.index.shape == (B,)
    for b in range(B):
        one = nash_bargaining(u[b], d[b], weights=w[b])
        assert batch.index[b] == one.index and batch.agreement[b] == one.agreement
        np.testing.assert_array_equal(batch.utilities[b], one.utilities)


def test_nash_shares_one_outcome_set_across_a_batch_of_disagreement_points():
    u = np.array([[4.0, 0.0], [3.0, 1.0], [2.0, 2.0], [1.0, 3.0]])
    sol = nash_bargaining(u, [[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [5.0, 5.0]])
    np.testing.assert_array_equal(sol.index, [2, 1, 3, -1])
    np.testing.assert_array_equal(sol.agreement, [True, True, True, False])
    json.dumps(sol.to_dict())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"disagreement": [0.0]},
        {"disagreement": [0.0, np.nan]},
        {"disagreement": [0.0, 0.0], "weights": [1.0, 0.0]},
        {"disagreement": [0.0, 0.0], "weights": [1.0, -1.0]},
    ],
)
def test_nash_rejects_bad_input(kwargs):
    with pytest.raises(SolverError):
        nash_bargaining([[1.0, 1.0]], **kwargs)


# ---------------------------------------------------------------------------- Nash, convex
@given(
    outcome_sets(players=2, max_outcomes=6, elements=st.floats(-2.0, 2.0)),
    arrays(np.float64, 2, elements=st.floats(-2.0, 1.0)),
    arrays(np.float64, 2, elements=st.floats(0.2, 5.0)),
)
def test_nash_convex_beats_every_point_of_the_hull(u, d, w):
    sol = nash_bargaining_convex(u, d, weights=w)
    samples = hull_samples(u)
    gains = samples - d
    positive = (gains > 1e-9).all(1)  # mixing a point with itself can round above it
    if not positive.any():
        # no sampled point beats d; the exact solution may find a sliver the samples miss
        assert not sol.agreement or (sol.gains > 0).all()
        return
    assert sol.agreement
    best = (w * np.log(gains[positive])).sum(1).max()
    assert (w * np.log(sol.gains)).sum() >= best - 1e-9
    # the solution is a lottery over at most two outcomes that yields it
    assert sol.mixture.sum() == pytest.approx(1.0)
    assert np.count_nonzero(sol.mixture) <= 2
    np.testing.assert_allclose(sol.mixture @ u, sol.utilities, atol=1e-9)


@given(
    outcome_sets(players=2, max_outcomes=6, elements=st.floats(-2.0, 2.0)),
    st.floats(0.05, 20.0),
    st.floats(-10.0, 10.0),
)
def test_nash_convex_is_invariant_to_positive_affine_changes(u, scale, shift):
    d = np.array([-2.5, -2.5])
    base = nash_bargaining_convex(u, d)
    v = u.copy()
    v[:, 1] = scale * v[:, 1] + shift
    moved = nash_bargaining_convex(v, [d[0], scale * d[1] + shift])
    np.testing.assert_allclose(moved.utilities[0], base.utilities[0], atol=1e-7)
    np.testing.assert_allclose((moved.utilities[1] - shift) / scale, base.utilities[1], atol=1e-7)


def test_nash_convex_known_values():
    np.testing.assert_allclose(nash_bargaining_convex(PIE, [0, 0]).utilities, [0.5, 0.5])
    # weights w split the surplus above d in proportion w_1 : w_2
    sol = nash_bargaining_convex(PIE, [0.2, 0.0], weights=[1, 3])
    np.testing.assert_allclose(sol.utilities, [0.4, 0.6])
    np.testing.assert_allclose(sol.mixture, [0.4, 0.6])
    # the solution peaks at a vertex: (0, 1), (1, 0.5)
    np.testing.assert_allclose(nash_bargaining_convex([[0, 1], [1, 0.5]], [0, 0]).utilities, [1.0, 0.5])
    assert nash_bargaining_convex(PIE, [0.6, 0.6]).agreement is False
    assert nash_bargaining_convex(PIE, [0.6, 0.6]).utilities.tolist() == [0.6, 0.6]


def test_nash_convex_frontier_function_matches_the_hull_of_its_samples():
    def frontier(x):
        return 1 - x**2

    exact = nash_bargaining_convex(frontier, [0.1, -0.2], domain=(0, 1), weights=[2, 1])
    x = np.linspace(0, 1, 20001)
    sampled = nash_bargaining_convex(np.column_stack([x, frontier(x)]), [0.1, -0.2], weights=[2, 1])
    np.testing.assert_allclose(exact.utilities, sampled.utilities, atol=1e-6)
    # first-order condition: 2 / (x - 0.1) = 2x / (1.2 - x^2)
    u1 = exact.utilities[0]
    assert 2 / (u1 - 0.1) == pytest.approx(2 * u1 / (1.2 - u1**2), rel=1e-6)
    assert nash_bargaining_convex(frontier, [0.5, 0.9], domain=(0, 1)).agreement is False
    # the product can peak at the end of the domain
    np.testing.assert_allclose(nash_bargaining_convex(lambda x: 2 - x, [0, 0], domain=(0, 0.5)).utilities, [0.5, 1.5])


def test_nash_convex_batch_equals_one_by_one():
    rng = np.random.default_rng(3)
    u = rng.normal(size=(5, 8, 2))
    mask = rng.random((5, 8)) < 0.8
    mask[:, 0] = True
    d = rng.normal(size=(5, 2)) - 1.0
    batch = nash_bargaining_convex(u, d, mask=mask)
    for b in range(5):
        one = nash_bargaining_convex(u[b][mask[b]], d[b])
        np.testing.assert_allclose(batch.utilities[b], one.utilities)
        np.testing.assert_allclose(batch.mixture[b][mask[b]], one.mixture)


def test_nash_convex_rejects_bad_input():
    with pytest.raises(SolverError, match="two players"):
        nash_bargaining_convex(np.ones((3, 3)), np.zeros(3))
    with pytest.raises(SolverError, match="domain"):
        nash_bargaining_convex(lambda x: 1 - x, [0, 0])


# ---------------------------------------------------------------------------- Kalai–Smorodinsky
@given(st.data())
def test_ks_finite_maximizes_the_smallest_normalized_gain(data):
    u = data.draw(outcome_sets())
    n = u.shape[1]
    d = data.draw(arrays(np.float64, n, elements=st.integers(-3, 2).map(float)))
    sol = kalai_smorodinsky(u, d)
    rational = (u >= d).all(1)
    assert sol.agreement == (u > d).all(1).any()
    if not sol.agreement:
        assert sol.index == -1
        return
    ideal = u[rational].max(0)
    np.testing.assert_array_equal(sol.ideal, ideal)
    worst = ((u[rational] - d) / (ideal - d)).min(1)
    assert ((sol.utilities - d) / (ideal - d)).min() == pytest.approx(worst.max(), rel=1e-12)
    assert pareto_frontier(u[rational])[np.flatnonzero(rational) == sol.index][0]


@given(outcome_sets(players=2), st.floats(0.01, 100.0), st.floats(-50.0, 50.0))
def test_ks_finite_is_invariant_to_positive_affine_changes(u, scale, shift):
    d = np.array([-1.0, -1.0])
    base = kalai_smorodinsky(u, d)
    v = u.copy()
    v[:, 0] = scale * v[:, 0] + shift
    moved = kalai_smorodinsky(v, [scale * d[0] + shift, d[1]])
    assert moved.agreement == base.agreement
    if base.agreement:
        np.testing.assert_array_equal(u[moved.index], u[base.index])


@given(
    outcome_sets(players=3, max_outcomes=6, elements=st.floats(-2.0, 2.0)),
    arrays(np.float64, 3, elements=st.floats(-2.0, 0.5)),
)
def test_ks_convex_gains_are_proportional_to_ideal_gains(u, d):
    sol = kalai_smorodinsky_convex(u, d)
    if not sol.agreement:
        return
    ideal_gain = sol.ideal - d
    assert (ideal_gain > 0).all()
    ratio = sol.gains / ideal_gain
    np.testing.assert_allclose(ratio, ratio[0], atol=1e-8)
    # a lottery that is worth at least the solution to everyone
    assert sol.mixture.sum() == pytest.approx(1.0)
    assert (sol.mixture @ u >= sol.utilities - 1e-8).all()


@given(
    outcome_sets(players=2, max_outcomes=6, elements=st.floats(-2.0, 2.0)),
    arrays(np.float64, 2, elements=st.floats(-2.0, 0.5)),
)
def test_ks_convex_against_dense_samples_of_the_hull(u, d):
    sol = kalai_smorodinsky_convex(u, d)
    samples = hull_samples(u)
    rational = samples[(samples >= d).all(1)]
    if not sol.agreement:
        assert not ((samples > d + 1e-6).all(1)).any()
        return
    assert (sol.ideal >= rational.max(0) - 1e-9).all()
    # at least as far along the ray from d to the ideal point as any sample gets, and no
    # sample strictly better for both
    t = ((samples - d) / (sol.ideal - d)).min(1).max()
    reached = (sol.utilities[0] - d[0]) / (sol.ideal[0] - d[0])
    assert reached >= t - 1e-9
    assert not (samples > sol.utilities + 1e-9).all(1).any()


def test_ks_convex_is_monotone_on_a_family_with_a_fixed_ideal_point():
    # conv{(0, 1), (c, 1), (1, 0)}: the ideal point stays (1, 1) while the set grows with c;
    # the solution is the diagonal point 1 / (2 - c), increasing for both players
    cs = np.linspace(0.0, 0.95, 20)
    solutions = np.array([kalai_smorodinsky_convex([[0, 1], [c, 1], [1, 0]], [0, 0]).utilities for c in cs])
    np.testing.assert_allclose(solutions, np.column_stack([1 / (2 - cs)] * 2), atol=1e-9)
    assert (np.diff(solutions, axis=0) > 0).all()


@given(
    arrays(np.float64, st.tuples(st.integers(1, 5), st.just(2)), elements=st.floats(0.0, 1.0)),
    arrays(np.float64, st.tuples(st.integers(1, 4), st.just(2)), elements=st.floats(0.0, 1.0)),
    st.integers(0, 1),
)
def test_ks_convex_individual_monotonicity(s, extra, fixed):
    # every outcome gives both players at least d = 0; the extra outcomes stay within
    # player `fixed`'s ideal, so the bigger set has the same ideal for `fixed`
    d = np.zeros(2)
    assume(s.max(0).min() > 0.05)
    extra = extra.copy()
    extra[:, fixed] *= s[:, fixed].max()
    small_set = kalai_smorodinsky_convex(s, d)
    big_set = kalai_smorodinsky_convex(np.concatenate([s, extra]), d)
    assert big_set.ideal[fixed] == pytest.approx(small_set.ideal[fixed], abs=1e-9)
    other = 1 - fixed
    if small_set.agreement:
        assert big_set.utilities[other] >= small_set.utilities[other] - 1e-8


def test_ks_and_nash_differ_where_the_axioms_do():
    points = [[0.0, 1.0], [1.0, 0.5]]
    np.testing.assert_allclose(kalai_smorodinsky_convex(points, [0, 0]).utilities, [2 / 3, 2 / 3], atol=1e-9)
    np.testing.assert_allclose(nash_bargaining_convex(points, [0, 0]).utilities, [1.0, 0.5])


def test_ks_batch_equals_one_by_one():
    rng = np.random.default_rng(5)
    u = rng.integers(-2, 5, size=(6, 9, 2)).astype(float)
    d = rng.integers(-2, 1, size=(6, 2)).astype(float)
    finite = kalai_smorodinsky(u, d)
    convex = kalai_smorodinsky_convex(u, d)
    for b in range(6):
        one = kalai_smorodinsky(u[b], d[b])
        assert finite.index[b] == one.index
        np.testing.assert_allclose(convex.utilities[b], kalai_smorodinsky_convex(u[b], d[b]).utilities)
    json.dumps(convex.to_dict())


# ---------------------------------------------------------------------------- Rubinstein
def test_rubinstein_known_values():
    sol = rubinstein(0.9, 0.8)
    expected = (1 - 0.8) / (1 - 0.72)
    np.testing.assert_allclose(sol.shares, [expected, 1 - expected])
    assert sol.proposer_share == pytest.approx(expected)
    assert sol.agreement is True
    second = rubinstein(0.9, 0.8, proposer=1)
    np.testing.assert_allclose(second.shares, [1 - (1 - 0.9) / 0.28, (1 - 0.9) / 0.28])
    assert second.proposer_share == pytest.approx((1 - 0.9) / 0.28)
    # impatient responder: the ultimatum game
    np.testing.assert_allclose(rubinstein(0.5, 0.0).shares, [1.0, 0.0])
    json.dumps(sol.to_dict())


def test_rubinstein_broadcasts_over_parameter_arrays():
    d1 = np.array([0.5, 0.9])[:, None]
    d2 = np.array([0.2, 0.6, 0.95])
    w2 = np.array([0.0, 0.5, 0.9])
    sol = rubinstein(d1, d2, outside_options=(0.0, w2), breakdown=0.1)
    assert sol.shares.shape == (2, 3, 2) and sol.binding.shape == (2, 3, 2) and sol.agreement.shape == (2, 3)
    for i, j in itertools.product(range(2), range(3)):
        one = rubinstein(d1[i, 0], d2[j], outside_options=(0.0, w2[j]), breakdown=0.1)
        np.testing.assert_allclose(sol.shares[i, j], one.shares)
        np.testing.assert_array_equal(sol.binding[i, j], one.binding)


@given(
    discount,
    discount,
    st.floats(-0.5, 0.99),
    st.floats(-0.5, 0.99),
    st.one_of(st.just(0.0), unit),
    st.integers(0, 1),
)
def test_rubinstein_against_fixed_point_iteration(d1, d2, w1, w2, p, proposer):
    sol = rubinstein(d1, d2, outside_options=(w1, w2), breakdown=p, proposer=proposer)
    if w1 + w2 >= 1:
        assert not sol.agreement
        np.testing.assert_array_equal(sol.shares, [w1, w2])
        return
    # iterate: the proposer keeps what the responder's reservation value leaves
    delta, w = [d1, d2], [w1, w2]
    a, b = proposer, 1 - proposer
    x = 0.5
    for _ in range(5000):
        y = 1 - max(w[a], p * w[a] + (1 - p) * delta[a] * x)
        x = 1 - max(w[b], p * w[b] + (1 - p) * delta[b] * y)
    assert sol.agreement
    assert sol.shares[a] == pytest.approx(x, abs=1e-9)
    assert sol.shares.sum() == pytest.approx(1.0)


@given(discount, discount, st.floats(0.0, 0.999))
def test_outside_option_of_the_first_responder_binds_only_above_her_share(d1, d2, w2):
    base = rubinstein(d1, d2)
    sol = rubinstein(d1, d2, outside_options=(0.0, w2))
    share = base.shares[1]
    if w2 <= share:
        np.testing.assert_allclose(sol.shares, base.shares, atol=1e-12)
    else:
        np.testing.assert_allclose(sol.shares, [1 - w2, w2], atol=1e-12)
    if abs(w2 - share) > 1e-9:
        assert sol.binding.tolist() == [False, w2 > share]


@given(discount, discount, st.floats(0.0, 0.999))
def test_outside_option_of_the_first_proposer_binds_only_above_her_responder_share(d1, d2, w1):
    base = rubinstein(d1, d2)
    # what player 1 gets when responding to player 2's offer, one period on
    responder_share = d1 * base.shares[0]
    sol = rubinstein(d1, d2, outside_options=(w1, 0.0))
    if w1 <= responder_share:
        np.testing.assert_allclose(sol.shares, base.shares, atol=1e-12)
    else:
        # player 2 must offer w1 next period, so she gets 1 - w1 then
        np.testing.assert_allclose(sol.shares[0], 1 - d2 * (1 - w1), atol=1e-12)
    if abs(w1 - responder_share) > 1e-9:
        assert sol.binding.tolist() == [w1 > responder_share, False]


def test_rubinstein_without_surplus_has_no_agreement():
    sol = rubinstein([0.9, 0.9], 0.9, outside_options=(0.6, [0.3, 0.5]))
    np.testing.assert_array_equal(sol.agreement, [True, False])
    np.testing.assert_allclose(sol.shares[1], [0.6, 0.5])
    assert sol.binding[1].tolist() == [True, True]


def test_certain_breakdown_is_the_ultimatum_game():
    sol = rubinstein(0.9, 0.9, outside_options=(0.1, 0.3), breakdown=1.0)
    np.testing.assert_allclose(sol.shares, [0.7, 0.3])


@pytest.mark.parametrize(
    "w",
    [(0.0, 0.0), (0.2, 0.0), (0.1, 0.5), (-0.3, 0.2)],
)
def test_breakdown_risk_tends_to_the_nash_solution_from_the_breakdown_point(w):
    nash = nash_bargaining_convex(PIE, w).utilities
    errors = []
    for p in (1e-2, 1e-3, 1e-4, 1e-5):
        for proposer in (0, 1):
            sol = rubinstein(1.0, 1.0, outside_options=w, breakdown=p, proposer=proposer)
            errors.append(np.abs(sol.shares - nash).max())
            assert errors[-1] <= p  # the first-mover advantage is of the order of p
    assert errors[-1] < 1e-5


@pytest.mark.parametrize("rates, rate", [((1.0, 1.0), 0.0), ((1.0, 3.0), 0.0), ((0.5, 2.0), 1.0), ((0.0, 0.0), 2.0)])
def test_rubinstein_tends_to_the_nash_solution_as_offers_come_faster(rates, rate):
    # delta_i = exp(-rho_i D), p = 1 - exp(-lambda D): weights 1 / (rho_i + lambda) and
    # disagreement point lambda w_i / (rho_i + lambda) (Binmore, Rubinstein and Wolinsky 1986)
    rho, w = np.array(rates), np.array([0.2, 0.1])
    nash = nash_bargaining_convex(PIE, rate * w / (rho + rate), weights=1 / (rho + rate)).utilities
    gaps = []
    for step in (1e-2, 1e-4, 1e-6):
        d1, d2 = np.exp(-rho * step)
        sol = rubinstein(d1, d2, outside_options=tuple(w), breakdown=-math.expm1(-rate * step))
        gaps.append(np.abs(sol.shares - nash).max())
    assert gaps[0] > gaps[1] > gaps[2] or gaps[0] < 1e-12
    assert gaps[-1] < 1e-5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"d1": 1.0, "d2": 1.0},
        {"d1": 1.1, "d2": 0.5},
        {"d1": 0.5, "d2": -0.1},
        {"d1": 0.5, "d2": 0.5, "breakdown": 1.5},
        {"d1": 0.5, "d2": np.nan},
        {"d1": 0.5, "d2": 0.5, "proposer": 2},
        {"d1": 0.5, "d2": 0.5, "outside_options": 0.3},
    ],
)
def test_rubinstein_rejects_bad_parameters(kwargs):
    with pytest.raises(SolverError):
        rubinstein(**kwargs)


# ---------------------------------------------------------------------------- finite horizon
def grid_backward_induction(d, rounds, shares):
    """Values of the discrete game of ``library.alternating_offers``, first tied action taken."""
    values = np.zeros(2)  # after the last round: disagreement
    for t in reversed(range(rounds)):
        i, j = t % 2, 1 - t % 2
        later = np.zeros(2) if t == rounds - 1 else np.asarray(d) * values
        k = min(shares, math.floor(shares * (1 - later[j]) + 1e-9))  # the most i keeps with j accepting
        if k / shares >= later[i] - 1e-9:
            values = np.zeros(2)
            values[i], values[j] = k / shares, 1 - k / shares
        else:  # every acceptable offer is worse for i than a rejected one
            values = later
    return values


@pytest.mark.parametrize(
    "rounds, shares",
    [(1, 10), (2, 10), (3, 10), (3, 7), (4, 6), (4, 5)],
)
@pytest.mark.parametrize("discounts", [(0.9, 0.9), (0.5, 0.8), (0.95, 0.6)])
def test_finite_horizon_closed_form_matches_backward_induction(rounds, shares, discounts):
    bi = pytest.importorskip("negsim.solvers.backward_induction")
    game = library.alternating_offers(rounds, shares, discounts)
    solution = bi.backward_induction(game)
    closed = finite_horizon_shares(*discounts, rounds)
    # each round can lose up to one grid step 1 / shares to rounding
    assert np.abs(solution.values - closed).max() <= rounds / shares + 1e-12
    # and the discrete game's values are exactly the closed form's recursion on the grid
    np.testing.assert_allclose(solution.values, grid_backward_induction(discounts, rounds, shares), atol=1e-12)


@pytest.mark.parametrize("discounts", [(0.9, 0.9), (0.5, 0.8)])
def test_backward_induction_approaches_the_closed_form_as_the_grid_refines(discounts):
    bi = pytest.importorskip("negsim.solvers.backward_induction")
    closed = finite_horizon_shares(*discounts, 2)
    errors = [
        np.abs(bi.backward_induction(library.alternating_offers(2, n, discounts)).values - closed).max()
        for n in (3, 10, 30, 100)
    ]
    assert errors[-1] <= 0.01
    assert all(e <= 1 / n + 1e-12 for e, n in zip(errors, (3, 10, 30, 100), strict=True))


@given(discount, discount, st.integers(1, 400))
def test_finite_horizon_converges_to_rubinstein(d1, d2, rounds):
    limit = rubinstein(d1, d2).shares
    shares = finite_horizon_shares(d1, d2, rounds)
    assert shares.sum() == pytest.approx(1.0)
    # the error shrinks like (d1 d2) ** (rounds // 2)
    bound = (d1 * d2) ** (rounds // 2)
    assert np.abs(shares - limit).max() <= bound + 1e-12
    # and more rounds of the same parity never move away from the limit
    later = finite_horizon_shares(d1, d2, rounds + 2)
    assert np.abs(later - limit).max() <= np.abs(shares - limit).max() + 1e-12


def test_finite_horizon_shares_is_vectorized_and_validates():
    rounds = np.arange(1, 50)
    out = finite_horizon_shares(0.9, 0.8, rounds)
    assert out.shape == (49, 2)
    for T in (1, 2, 7, 48):
        np.testing.assert_allclose(out[T - 1], finite_horizon_shares(0.9, 0.8, T))
    # without discounting, the last proposer takes everything
    np.testing.assert_allclose(finite_horizon_shares(1.0, 1.0, [4, 5]), [[0.0, 1.0], [1.0, 0.0]])
    for bad in (0, 2.5, -1):
        with pytest.raises(SolverError):
            finite_horizon_shares(0.9, 0.9, bad)
    with pytest.raises(SolverError):
        finite_horizon_shares(1.2, 0.9, 3)


# ---------------------------------------------------------------------------- Fearon
costs = st.floats(-2.0, 2.0)
averse = st.sampled_from([0.25, 0.5, 0.9, 1.0])


def test_fearon_range_known_values():
    rng_ = fearon_range(0.6, 0.1, 0.2)
    assert (rng_.low, rng_.high, rng_.nonempty) == (pytest.approx(0.5), pytest.approx(0.8), True)
    assert rng_.width == pytest.approx(0.3)
    # clipped to [0, 1]
    clipped = fearon_range([0.05, 0.95], 0.1, 0.1)
    np.testing.assert_allclose(clipped.low, [0.0, 0.85])
    np.testing.assert_allclose(clipped.high, [0.15, 1.0])
    # costless war: the single split p
    point = fearon_range(0.3, 0.0, 0.0)
    assert point.nonempty and point.low == point.high == pytest.approx(0.3)
    empty = fearon_range(0.5, -0.2, 0.1)
    assert not empty.nonempty and math.isnan(empty.low) and empty.width == 0


@given(unit, costs, costs)
def test_risk_neutral_range_is_empty_exactly_when_war_is_valued_for_itself(p, cost_a, cost_b):
    result = fearon_range(p, cost_a, cost_b)
    empty = (cost_a + cost_b < 0) or (p - cost_a > 1) or (p + cost_b < 0)
    assert result.nonempty == (not empty)
    assert war_is_rational(p, cost_a, cost_b) == empty
    if empty:
        assert cost_a < 0 or cost_b < 0  # only negative costs empty the range
    else:
        assert 0 <= result.low <= result.high <= 1
        assert result.low == pytest.approx(min(max(p - cost_a, 0.0), 1.0))
        assert result.high == pytest.approx(max(min(p + cost_b, 1.0), 0.0))


@given(unit, costs, costs, averse, averse)
def test_range_is_nonempty_when_war_is_costly_for_risk_averse_states(p, cost_a, cost_b, r_a, r_b):
    result = fearon_range(p, cost_a, cost_b, exponents=(r_a, r_b))
    if cost_a >= 0 and cost_b >= 0:
        assert result.nonempty
    if not result.nonempty:
        assert cost_a < 0 or cost_b < 0
    else:
        # every split in the range is worth at least war to both sides (compared as
        # shares: near 0, x ** 0.25 is too steep to compare utilities after rounding)
        for x in np.linspace(result.low, result.high, 5):
            assert x >= max(p - cost_a, 0.0) ** (1 / r_a) - 1e-12
            assert 1 - x >= max(1 - p - cost_b, 0.0) ** (1 / r_b) - 1e-12
    # risk aversion only widens the range
    neutral = fearon_range(p, cost_a, cost_b)
    if neutral.nonempty:
        assert result.nonempty
        assert result.low <= neutral.low + 1e-12 and result.high >= neutral.high - 1e-12


def test_fearon_is_vectorized_and_explains_itself():
    p = np.linspace(0, 1, 5)[:, None]
    cost_a = np.array([0.1, -0.3])
    result = fearon_range(p, cost_a, 0.05)
    assert result.low.shape == result.nonempty.shape == (5, 2)
    np.testing.assert_array_equal(war_is_rational(p, cost_a, 0.05), ~result.nonempty)
    text = fearon_range(0.5, 0.1, 0.1).explain()
    assert "beats war for both sides" in text and "Fearon (1995)" in text and "commitment" in text
    assert "valued for itself" in fearon_range(0.5, -0.2, 0.1).explain()
    assert "A values war" in fearon_range(0.9, -0.2, 0.5).explain()
    assert "risk-acceptant" in fearon_range(0.5, 0.01, 0.01, exponents=(4, 4)).explain()
    assert len(result.explain().splitlines()) == 10


@pytest.mark.parametrize(
    "args, kwargs",
    [((1.5, 0.1, 0.1), {}), ((0.5, np.nan, 0.1), {}), ((0.5, 0.1, 0.1), {"exponents": (0.0, 1.0)})],
)
def test_fearon_rejects_bad_parameters(args, kwargs):
    with pytest.raises(SolverError):
        fearon_range(*args, **kwargs)
