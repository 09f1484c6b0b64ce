"""Lemke's algorithm on the sequence form, checked against pygambit and the reduced normal form.

The independent check of every profile is its NashConv in the reduced normal form: the
behaviour strategies become mixed strategies over reduced pure strategies (Kuhn's
theorem), and the best pure deviation is found by brute force over the payoff matrices.
It uses neither negsim's best response nor its realization plans.
"""

from __future__ import annotations

import io
from fractions import Fraction

import numpy as np
import pygambit
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negsim.errors import SolverError
from negsim.games import BehaviorProfile, GameBuilder, MixedProfile, NormalFormGame, library
from negsim.games.convert import reduced_normal_form, reduced_strategies, to_extensive
from negsim.solvers import lemke as lemke_module
from negsim.solvers.lemke import lemke
from negsim.solvers.nashpy_methods import support_enumeration
from tests.gamegen import efg_text, extensive_games, matrix_game_value

small_general_sum = extensive_games(min_players=2, max_players=2, max_depth=4, max_nodes=50)
small_zero_sum = extensive_games(zero_sum=True, max_depth=4, max_nodes=50)
tiny_general_sum = extensive_games(min_players=2, max_players=2, max_depth=3, max_nodes=30)


def _mixed_from_behaviour(game, probabilities):
    """Each player's mixed strategy over reduced pure strategies (realization-equivalent)."""
    mixed = []
    for p in range(2):
        _, plans = reduced_strategies(game, p)
        beh = np.concatenate([[1.0], np.asarray(probabilities[p], float)])
        mixed.append(np.prod(np.where(plans > 0, beh[None, :], 1.0), axis=1))
    return mixed


def independent_check(game, probabilities):
    """``(NashConv, values)`` of a behaviour profile, by brute force in the reduced normal form."""
    nf = reduced_normal_form(game)
    x, y = _mixed_from_behaviour(game, probabilities)
    A, B = nf.payoffs
    row, column = A @ y, x @ B
    return (row.max() - x @ row) + (column.max() - column @ y), np.array([x @ row, column @ y])


def gambit_lcp(game):
    """pygambit's sequence-form LCP on the same tree, as negsim behaviour probabilities."""
    g = pygambit.read_efg(io.StringIO(efg_text(game)))
    result = pygambit.nash.lcp_solve(g, rational=True)
    assert result.equilibria
    eq = result.equilibria[0]
    sf = game.sequence_form
    probs = [np.zeros(s) for s in sf.num_sequences]
    for player in g.players:
        for infoset in player.infosets:
            i = int(infoset.label[1:])  # efg_text labels global information set i as "i<i>"
            p = int(game.infosets.player[i])
            local = i - sf.infoset_offset[p]
            lo, hi = sf.sequence_start[p][local] - 1, sf.sequence_start[p][local + 1] - 1
            values = np.array([float(eq[a]) for a in infoset.actions])
            total = values.sum()
            probs[p][lo:hi] = values / total if total > 0 else 1.0 / (hi - lo)
    return probs


def _scale(game):
    return max(1.0, float(np.abs(game.payoffs).max()))


# ---------------------------------------------------------------------------- against pygambit
@given(game=small_general_sum)
def test_general_sum_equilibrium_checked_independently_and_against_gambit(game):
    solution = lemke(game)
    assert solution.method == "lemke"
    assert solution.converged is True
    gap, values = independent_check(game, solution.profile.probabilities)
    assert gap <= 1e-6 * _scale(game)
    np.testing.assert_allclose(solution.values, values, atol=1e-9 * _scale(game))
    assert solution.nash_conv == pytest.approx(gap, abs=1e-9 * _scale(game))
    # pygambit's answer is an equilibrium too (equilibria need not be unique)
    gambit_gap, _ = independent_check(game, gambit_lcp(game))
    assert gambit_gap <= 1e-6 * _scale(game)


@given(game=small_zero_sum)
def test_zero_sum_values_agree_with_gambit_and_the_normal_form_lp(game):
    solution = lemke(game)
    gap, values = independent_check(game, solution.profile.probabilities)
    assert gap <= 1e-6 * _scale(game)
    value = matrix_game_value(reduced_normal_form(game).payoffs[0])
    assert solution.values[0] == pytest.approx(value, abs=1e-7 * _scale(game))
    _, gambit_values = independent_check(game, gambit_lcp(game))
    assert gambit_values[0] == pytest.approx(value, abs=1e-7 * _scale(game))


@settings(max_examples=15)
@given(game=extensive_games(min_players=2, max_players=2, max_depth=6, max_nodes=150))
def test_larger_games_are_solved(game):
    solution = lemke(game)
    assert solution.nash_conv <= 1e-6 * _scale(game)
    assert solution.converged
    try:
        gap, _ = independent_check(game, solution.profile.probabilities)
    except Exception:  # the reduced normal form is too large; negsim's own check above stands
        return
    assert gap <= 1e-6 * _scale(game)


# ---------------------------------------------------------------------------- exact arithmetic
@given(game=extensive_games(min_players=2, max_players=2, max_depth=3, max_nodes=25))
def test_rational_pivoting_gives_exact_realization_plans(game):
    solution = lemke(game, rational=True)
    assert solution.info["rational"] is True
    gap, _ = independent_check(game, solution.profile.probabilities)
    assert gap <= 1e-9 * _scale(game)
    sf = game.sequence_form
    for p, plan in enumerate(solution.info["realization_plans"]):
        x = [Fraction(v) for v in plan]
        assert x[0] == 1 and all(v >= 0 for v in x)
        # E x = e exactly: every information set carries its parent sequence's weight
        starts, parents = sf.sequence_start[p], sf.infoset_parent[p]
        for i in range(len(parents)):
            assert sum(x[int(starts[i]) : int(starts[i + 1])]) == x[int(parents[i])]


@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 4), n=st.integers(1, 4))
def test_rational_and_float_agree_on_generic_bimatrix_games(seed, m, n):
    game = NormalFormGame(np.random.default_rng(seed).normal(size=(2, m, n)))
    fast, exact = lemke(game), lemke(game, rational=True)
    for a, b in zip(fast.profile.probabilities, exact.profile.probabilities, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-9)
    assert fast.iterations == exact.iterations


# ---------------------------------------------------------------------------- float safeguards
@given(game=small_general_sum)
def test_perturbed_pivoting_gives_equilibria(game):
    original = lemke_module.PERTURBATIONS
    lemke_module.PERTURBATIONS = (1e-7,)
    try:
        solution = lemke(game)
    finally:
        lemke_module.PERTURBATIONS = original
    assert solution.info["perturbation"] == 1e-7
    gap, _ = independent_check(game, solution.profile.probabilities)
    assert gap <= 1e-6 * _scale(game)


def test_trouble_in_the_plain_run_falls_back_to_a_perturbed_one(monkeypatch):
    real_run = lemke_module._run

    def troubled(problem, **options):
        if options.get("perturbation", 0.0) == 0.0:
            raise lemke_module._Unstable("forced cycle")
        return real_run(problem, **options)

    monkeypatch.setattr(lemke_module, "_run", troubled)
    solution = lemke(library.kuhn_poker())
    assert solution.info["failed_attempts"] == ["forced cycle"]
    assert solution.info["perturbation"] == lemke_module.PERTURBATIONS[1]
    assert solution.values[0] == pytest.approx(-1 / 18, abs=1e-9)

    def always(problem, **options):
        raise lemke_module._Unstable("forced cycle")

    monkeypatch.setattr(lemke_module, "_run", always)
    with pytest.raises(SolverError, match="floating-point"):
        lemke(library.kuhn_poker())


# ---------------------------------------------------------------------------- known games
def test_kuhn_poker_value():
    solution = lemke(library.kuhn_poker())
    assert solution.values[0] == pytest.approx(-1 / 18, abs=1e-12)
    assert solution.nash_conv <= 1e-12
    assert solution.info["sequences"] == [12, 12]
    assert solution.info["lcp_size"] == 13 + 13 + 7 + 7
    assert solution.info["perturbation"] == 0.0 and solution.info["failed_attempts"] == []
    exact = lemke(library.kuhn_poker(), rational=True)
    assert exact.values[0] == pytest.approx(-1 / 18, abs=1e-15)


def test_general_sum_kuhn_against_gambit():
    kuhn = library.kuhn_poker()
    # a rake of 10% of the loser's payment: no longer zero-sum
    payoffs = kuhn.payoffs.copy()
    payoffs[payoffs > 0] *= 0.9
    game = kuhn.with_batch(payoffs=payoffs)
    solution = lemke(game)
    gap, values = independent_check(game, solution.profile.probabilities)
    assert gap <= 1e-9
    np.testing.assert_allclose(solution.values, values, atol=1e-12)
    gambit_gap, _ = independent_check(game, gambit_lcp(game))
    assert gambit_gap <= 1e-9


def test_matching_pennies():
    solution = lemke(library.matching_pennies())
    assert isinstance(solution.profile, MixedProfile)
    np.testing.assert_allclose(solution.profile.probabilities, [[0.5, 0.5], [0.5, 0.5]], atol=1e-12)
    tree = lemke(library.matching_pennies(form="extensive"))
    np.testing.assert_allclose(tree.profile.probabilities, [[0.5, 0.5], [0.5, 0.5]], atol=1e-12)


def test_prisoners_dilemma():
    solution = lemke(library.prisoners_dilemma())
    np.testing.assert_allclose(solution.profile.probabilities, [[0.0, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(solution.values, [1.0, 1.0])


def test_battle_of_the_sexes_and_the_prior_selects_the_equilibrium():
    bos = library.battle_of_the_sexes()
    solution = lemke(bos)
    enumerated = [tuple(eq.profile.probabilities) for eq in support_enumeration(bos).equilibria]
    assert any(
        all(np.allclose(a, b, atol=1e-9) for a, b in zip(solution.profile.probabilities, eq, strict=True))
        for eq in enumerated
    )
    football = lemke(bos, prior=MixedProfile(bos, [[0.0, 1.0], [0.0, 1.0]]))
    np.testing.assert_allclose(football.profile.probabilities, [[0.0, 1.0], [0.0, 1.0]])
    assert football.info["prior"] == "given"
    opera = lemke(bos, prior=MixedProfile(bos, [[1.0, 0.0], [1.0, 0.0]]))
    np.testing.assert_allclose(opera.profile.probabilities, [[1.0, 0.0], [1.0, 0.0]])


def test_ultimatum_is_solved_to_a_nash_equilibrium():
    game = library.ultimatum(pie=4)
    solution = lemke(game)
    gap, _ = independent_check(game, solution.profile.probabilities)
    assert gap <= 1e-9


def test_degenerate_all_zero_payoffs():
    game = library.kuhn_poker().with_batch(payoffs=np.zeros((30, 2)))
    solution = lemke(game)
    assert solution.nash_conv == 0.0
    np.testing.assert_allclose(solution.values, [0.0, 0.0])


# ---------------------------------------------------------------------------- properties
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 4), n=st.integers(1, 4))
def test_bimatrix_equilibrium_is_one_of_the_enumerated(seed, m, n):
    game = NormalFormGame(np.random.default_rng(seed).normal(size=(2, m, n)))
    solution = lemke(game)
    assert solution.nash_conv <= 1e-9
    enumerated = [tuple(eq.profile.probabilities) for eq in support_enumeration(game).equilibria]
    assert any(
        all(np.allclose(a, b, atol=1e-7) for a, b in zip(solution.profile.probabilities, eq, strict=True))
        for eq in enumerated
    )
    # the normal form and its tree have the same sequence form, so the same path
    tree = lemke(to_extensive(game))
    for a, b in zip(solution.profile.probabilities, tree.profile.probabilities, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-9)


@given(game=tiny_general_sum, seed=st.integers(0, 2**32 - 1))
def test_positive_affine_payoff_change_keeps_the_profile(game, seed):
    rng = np.random.default_rng(seed)
    generic = game.with_batch(payoffs=rng.normal(size=game.payoffs.shape))
    changed = generic.with_batch(payoffs=generic.payoffs * np.array([3.0, 0.25]) + np.array([-7.0, 2.0]))
    for a, b in zip(lemke(generic).profile.probabilities, lemke(changed).profile.probabilities, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-8)


@settings(max_examples=15)
@given(game=tiny_general_sum, seed=st.integers(0, 2**32 - 1))
def test_batched_equals_looped(game, seed):
    rng = np.random.default_rng(seed)
    payoffs = np.round(rng.normal(size=(3,) + game.payoffs.shape), 1)
    batch = game.with_batch(payoffs=payoffs)
    solution = lemke(batch)
    assert solution.batch_size == 3
    assert solution.values.shape == (3, 2)
    assert len(solution.info["pivots"]) == 3
    for b in range(3):
        single = lemke(batch.batch_item(b))
        for p in range(2):
            np.testing.assert_allclose(
                solution.profile.probabilities[p][b], single.profile.probabilities[p], atol=1e-12
            )
        np.testing.assert_allclose(solution.values[b], single.values, atol=1e-12)
        assert solution.nash_conv[b] == pytest.approx(single.nash_conv, abs=1e-12)


def test_batched_normal_form():
    pd = library.prisoners_dilemma()
    batch = NormalFormGame(np.stack([pd.payoffs, library.matching_pennies().payoffs]), batched=True)
    solution = lemke(batch)
    np.testing.assert_allclose(solution.profile.probabilities[0], [[0.0, 1.0], [0.5, 0.5]], atol=1e-12)
    assert solution.nash_conv.shape == (2,)


@given(game=small_general_sum, seed=st.integers(0, 2**32 - 1))
def test_any_prior_gives_an_equilibrium(game, seed):
    rng = np.random.default_rng(seed)
    sf = game.sequence_form
    probs = []
    for p in range(2):
        counts = np.diff(sf.sequence_start[p])
        w = rng.random(sf.num_sequences[p]) * (rng.random(sf.num_sequences[p]) < 0.7) + 1e-12
        totals = np.repeat(np.add.reduceat(w, sf.sequence_start[p][:-1] - 1), counts) if w.size else w
        probs.append(w / totals if w.size else w)
    solution = lemke(game, prior=BehaviorProfile(game, probs))
    gap, _ = independent_check(game, solution.profile.probabilities)
    assert gap <= 1e-6 * _scale(game)


# ---------------------------------------------------------------------------- errors
def _imperfect_recall_game():
    b = GameBuilder(["A", "B"])
    for node in b.root.decision("A", ["L", "R"]):
        for leaf in node.decision("A", ["u", "d"], infoset="forgot"):
            leaf.terminal([1.0, -1.0])
    return b.build()


def test_errors():
    with pytest.raises(SolverError, match="two-player"):
        lemke(NormalFormGame(np.zeros((3, 2, 2, 2))))
    with pytest.raises(SolverError, match="perfect recall"):
        lemke(_imperfect_recall_game())
    kuhn = library.kuhn_poker()
    with pytest.raises(SolverError, match="BehaviorProfile"):
        lemke(kuhn, prior=MixedProfile(library.matching_pennies(), [[0.5, 0.5], [0.5, 0.5]]))
    with pytest.raises(SolverError, match="different game"):
        lemke(kuhn, prior=BehaviorProfile.uniform(library.leduc_poker()))
    with pytest.raises(SolverError, match="tol"):
        lemke(kuhn, tol=0.0)
    with pytest.raises(SolverError, match="pivots"):
        lemke(kuhn, max_pivots=2)
    with pytest.raises(SolverError, match="lemke solves"):
        lemke("kuhn")  # type: ignore[arg-type]


def test_time_limit_is_a_solver_error_not_a_partial_answer():
    game = NormalFormGame(np.random.default_rng(0).normal(size=(2, 60, 60)))
    with pytest.raises(SolverError, match="time limit"):
        lemke_module.lemke(game, time_limit=1e-6)
    with pytest.raises(SolverError, match="time limit"):
        lemke_module.lemke(to_extensive(game), time_limit=1e-6)
    with pytest.raises(SolverError, match="time_limit"):
        lemke_module.lemke(game, time_limit=-1)
    solved = lemke_module.lemke(library.battle_of_the_sexes(), time_limit=60)  # in time: as without it
    assert solved.converged and solved.nash_conv <= 1e-9
