"""Scale-free numerics: the same game in any unit has the same equilibria.

Every answer here is checked against a regret computed in exact rational arithmetic
(:class:`fractions.Fraction` of the float payoffs, which are exact binary fractions), so
the check does not share the floating-point tolerances under test.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import negsim
from negsim._numeric import power_of_two_scale, spread
from negsim.games import NormalFormGame, library
from negsim.games.convert import to_extensive
from negsim.solvers.pure import pure_equilibria

RPS = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
# matching pennies beside a third column worth 1e10 to the row player that the column player never plays
MIXED_SCALE = np.array([[[5.0, -5.0, 1e10], [-5.0, 5.0, 1e10]], [[-5.0, 5.0, -100.0], [5.0, -5.0, -100.0]]])


def exact_regrets(payoffs: np.ndarray, profile: list[np.ndarray]) -> list[Fraction]:
    """Each player's best deviation gain at a mixed profile of a bimatrix game, in exact rationals."""
    A = [[Fraction(float(v)) for v in row] for row in payoffs[0]]
    B = [[Fraction(float(v)) for v in row] for row in payoffs[1]]
    x = [Fraction(float(v)) for v in profile[0]]
    y = [Fraction(float(v)) for v in profile[1]]
    rows = [sum(a * q for a, q in zip(row, y, strict=True)) for row in A]
    cols = [sum(B[i][j] * x[i] for i in range(len(x))) for j in range(len(y))]
    return [max(rows) - sum(r * p for r, p in zip(rows, x, strict=True)),
            max(cols) - sum(c * q for c, q in zip(cols, y, strict=True))]


def exact_pure(payoffs: np.ndarray) -> list[tuple[int, ...]]:
    """Pure equilibria by exact comparison of every unilateral deviation (floats compare exactly)."""
    n, shape = payoffs.shape[0], payoffs.shape[1:]
    found = []
    for s in itertools.product(*(range(a) for a in shape)):
        if all(payoffs[(p, *s)] >= payoffs[(p, *s[:p], t, *s[p + 1:])] for p in range(n) for t in range(shape[p])):
            found.append(s)
    return found


def test_power_of_two_scale_is_exact_and_spread_never_overflows():
    values = np.array([3.0, -1.5e308, 1.7e308])
    s = power_of_two_scale(values)
    assert np.all(np.abs(values * s) <= 1.0) and np.all((values * s) / s == values)
    assert np.isfinite(spread(values)) and float(spread(np.array([1.0, 4.0]))) == 3.0


@pytest.mark.parametrize("scale", [1e-12, 1e-10, 1.0, 1e12, 1e300])
def test_zero_sum_detection_is_relative_to_the_payoff_range(scale):
    bos = NormalFormGame(library.battle_of_the_sexes().payoffs * scale)
    pennies = NormalFormGame(library.matching_pennies().payoffs * scale)
    assert not bos.is_constant_sum() and not bos.is_zero_sum()
    assert pennies.is_zero_sum() and pennies.is_constant_sum()
    tree = to_extensive(bos)
    assert not tree.is_constant_sum() and to_extensive(pennies).is_zero_sum()


@pytest.mark.parametrize("scale", [1e-12, 1e12])
def test_auto_and_spe_on_a_rescaled_general_sum_game_return_equilibria(scale):
    game = NormalFormGame(library.battle_of_the_sexes().payoffs * scale)
    solution = negsim.solve(game)
    assert solution.method != "lp"
    for eq in solution.equilibria or (solution,):
        regrets = exact_regrets(game.payoffs, list(eq.profile.probabilities))
        assert max(regrets) <= Fraction(1, 10**12) * Fraction(scale)
    tree = to_extensive(game)
    spe = negsim.solve(tree, method="spe")
    assert float(spe.nash_conv) <= 1e-9 * scale


@pytest.mark.parametrize("scale", [1e-12, 1.0, 1e12, 1e307])
def test_pure_equilibria_of_rescaled_games_match_exact_comparisons(scale):
    rps = NormalFormGame.zero_sum(RPS * scale)
    assert pure_equilibria(rps) == [] == exact_pure(rps.payoffs)
    bos = NormalFormGame(library.battle_of_the_sexes().payoffs * scale)
    assert pure_equilibria(bos) == exact_pure(bos.payoffs) == [(0, 0), (1, 1)]


def test_pure_near_the_largest_float_does_not_tie_by_overflow():
    # 1.7e308 and 1.6e308 differ by 1e307: an absolute tolerance scaled by |u|max called them tied
    payoffs = np.array([[[1.7e308, 0.0], [1.6e308, 1.0]], [[1.0, 0.0], [1.0, 0.0]]])
    game = NormalFormGame(payoffs)
    assert pure_equilibria(game) == exact_pure(payoffs) == [(0, 0)]


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 3), st.integers(2, 3), st.integers(0, 2**31), st.sampled_from([1e-12, 1e12, 1e300]))
def test_pure_is_unit_free(m, k, seed, scale):
    payoffs = np.random.default_rng(seed).integers(-3, 4, size=(2, m, k)).astype(float)
    assert pure_equilibria(NormalFormGame(payoffs * scale)) == pure_equilibria(NormalFormGame(payoffs))


@pytest.mark.parametrize("method", ["support", "vertex", "lemke", "pure", "auto"])
@pytest.mark.parametrize("big", [1e10, 1e11, 1e13])
def test_a_huge_unplayed_column_hides_no_regret(method, big):
    payoffs = MIXED_SCALE.copy()
    payoffs[0, :, 2] = big
    game = NormalFormGame(payoffs)
    if method == "pure":
        assert pure_equilibria(game) == exact_pure(payoffs) == []
        return
    if method == "support" and big > 1e12:
        # beyond ~12 orders of magnitude its float tolerances cannot see the small payoffs: they
        # refuses (no verified equilibrium) rather than report false ones; auto then uses Lemke
        with pytest.raises(negsim.SolverError, match="no verified equilibrium"):
            negsim.solve(game, method=method)
        return
    solution = negsim.solve(game, method=method)
    equilibria = solution.equilibria or (solution,)
    assert len(equilibria) == 1  # matching pennies' only equilibrium; column 3 is strictly dominated
    regrets = exact_regrets(payoffs, list(equilibria[0].profile.probabilities))
    assert max(regrets) <= Fraction(1, 10)  # rounding of 1e13 is ~1e-3; the false equilibria had regret 5 or 10
    np.testing.assert_allclose(equilibria[0].profile.probabilities[1], [0.5, 0.5, 0.0], atol=1e-5)
