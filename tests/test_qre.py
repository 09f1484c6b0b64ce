"""Logit QRE: fixed-point checks, pygambit at equal lambdas, limits, batches, agent QRE, fitting."""

from __future__ import annotations

import itertools

import numpy as np
import pygambit as gbt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import negsim
from negsim.errors import SolverError
from negsim.games import BehaviorProfile, MixedProfile, NormalFormGame, library
from negsim.games.convert import to_extensive
from negsim.games.extensive import CHANCE, DECISION, TERMINAL
from negsim.solvers import nash_conv
from negsim.solvers.qre import QREBranch, agent_qre, fit_lambda, logit_qre
from tests.gamegen import extensive_games, normal_form_games, random_chance_probs


# ---------------------------------------------------------------------------- independent oracles
def pure_payoffs(payoffs: np.ndarray, probs) -> list[np.ndarray]:
    """u_p[j] by enumerating every pure profile."""
    n = payoffs.shape[0]
    shape = payoffs.shape[1:]
    out = [np.zeros(a) for a in shape]
    for profile in itertools.product(*(range(a) for a in shape)):
        for p in range(n):
            w = np.prod([probs[q][profile[q]] for q in range(n) if q != p])
            out[p][profile[p]] += w * payoffs[(p,) + profile]
    return out


def logit_residual(payoffs: np.ndarray, probs, lam: float) -> float:
    """How far ``probs`` is from ``sigma = softmax(lam u(sigma))``, in log-odds."""
    worst = 0.0
    for x, u in zip(probs, pure_payoffs(payoffs, probs), strict=True):
        worst = max(worst, np.abs(np.log(x) - np.log(x[0]) - lam * (u - u[0])).max())
    return worst


def nash_conv_by_enumeration(payoffs: np.ndarray, probs) -> float:
    return sum(u.max() - u @ x for u, x in zip(pure_payoffs(payoffs, probs), probs, strict=True))


def gambit_profiles(payoffs: np.ndarray, lambdas) -> list[np.ndarray]:
    game = gbt.Game.from_arrays(*payoffs)
    points = gbt.qre.logit_solve_lambda(game, lam=list(lambdas))
    return [np.array([float(q.profile[s]) for s in game.strategies]) for q in points]


def conditional_values(game, behaviour):
    """Q(I, a) for every decision information set, by a plain walk (beliefs by Bayes' rule)."""
    n = game.num_players
    value = {}

    def walk(h):
        k = int(game.kind[h])
        if k == TERMINAL:
            value[h] = game.payoffs[int(game.terminal_index[h])].copy()
            return value[h]
        total = np.zeros(n)
        for a, c in enumerate(game.children(h)):
            prob = game.chance_prob[c] if k == CHANCE else behaviour[int(game.infoset[h])][a]
            total += prob * walk(int(c))
        value[h] = total
        return total

    walk(0)
    reach = {0: np.ones(n)}  # reach[h][p]: chance and everyone but p
    for h in range(1, game.num_nodes):
        par = int(game.parent[h])
        r = reach[par].copy()
        if game.kind[par] == CHANCE:
            r *= game.chance_prob[h]
        else:
            p = int(game.player[par])
            mask = np.arange(n) != p
            r[mask] *= behaviour[int(game.infoset[par])][int(game.action[h])]
        reach[h] = r
    num, den = {}, {}
    for h in np.flatnonzero(game.kind == DECISION):
        i, p = int(game.infoset[h]), int(game.player[h])
        w = reach[int(h)][p]
        kids = game.children(int(h))
        num[i] = num.get(i, 0) + w * np.array([value[int(c)][p] for c in kids])
        den[i] = den.get(i, 0) + w
    return {i: num[i] / den[i] for i in num if den[i] > 1e-12}


def behaviour_lists(game, probs):
    out = []
    for p in range(game.num_players):
        starts = game.sequence_form.sequence_start[p]
        out.extend(np.asarray(probs[p])[starts[i] - 1 : starts[i + 1] - 1] for i in range(len(starts) - 1))
    return out


# ---------------------------------------------------------------------------- normal form
@settings(max_examples=20)
@given(normal_form_games(min_players=2, max_players=4, max_actions=3))
def test_uniform_at_lambda_zero_and_fixed_point_along_the_branch(game):
    lambdas = [0.0, 1e-6, 0.3, 1.0]
    branch = logit_qre(game, lambdas=lambdas)
    for p, a in enumerate(game.shape):
        assert np.allclose(branch.profiles[p][:2], 1.0 / a, atol=1e-5)
    for k, lam in enumerate(lambdas):
        probs = [x[k] for x in branch.profiles]
        assert logit_residual(game.payoffs, probs, lam) < 1e-7
        assert branch.nash_conv[k] == pytest.approx(nash_conv_by_enumeration(game.payoffs, probs), abs=1e-9)


def test_closed_form_when_column_has_a_fixed_preference():
    # Column's payoffs do not depend on Row: sigma_col = softmax(lam v), then Row answers it
    row = np.array([[3.0, 0.0], [1.0, 2.0]])
    column = np.array([[1.0, 0.0], [1.0, 0.0]])
    game = NormalFormGame.from_bimatrix(row, column)
    for lam in (0.5, 2.0):
        branch = logit_qre(game, lambdas=[lam])
        col = np.exp(lam * np.array([1.0, 0.0]))
        col /= col.sum()
        u = row @ col
        r = np.exp(lam * u) / np.exp(lam * u).sum()
        assert np.allclose(branch.profiles[1][0], col, atol=1e-10)
        assert np.allclose(branch.profiles[0][0], r, atol=1e-10)
    # matching pennies: the QRE is uniform at every lambda
    pennies = logit_qre(library.matching_pennies(), lambdas=[0.5, 5.0, 50.0])
    assert np.allclose(pennies.profiles[0], 0.5)


@pytest.mark.parametrize("shape,seed", [((2, 2), 0), ((2, 2), 1), ((3, 3), 2), ((2, 2, 2), 3), ((3, 2, 2), 4)])
def test_matches_pygambit_at_equal_lambdas(shape, seed):
    payoffs = np.random.default_rng(seed).normal(size=(len(shape),) + shape)
    lambdas = [0.5, 2.0, 10.0]
    branch = logit_qre(NormalFormGame(payoffs), lambdas=lambdas)
    for k, theirs in enumerate(gambit_profiles(payoffs, lambdas)):
        mine = np.concatenate([x[k] for x in branch.profiles])
        assert np.allclose(mine, theirs, atol=1e-7)


def test_follows_the_branch_through_turning_points():
    payoffs = np.array(
        [[[-2.0, -3.0, 0.0], [-9.0, -4.01, 2.01], [5.0, -6.02, -3.01]],
         [[0.99, 6.01, 1.01], [1.01, -7.01, 1.01], [0.99, -5.0, 8.0]]]
    )
    game = NormalFormGame(payoffs)
    raw = logit_qre(game)
    assert np.any(np.diff(raw.lambdas) < 0)  # lambda goes back between about 3.24 and 1.19
    lambdas = [1.0, 1.5, 2.0, 3.0, 3.2, 5.0]
    branch = logit_qre(game, lambdas=lambdas)
    for k, theirs in enumerate(gambit_profiles(payoffs, lambdas)):
        mine = np.concatenate([x[k] for x in branch.profiles])
        assert np.allclose(mine, theirs, atol=1e-7)  # both report the first crossing
    assert raw.solution.nash_conv < 1e-6


@settings(max_examples=12)
@given(normal_form_games(min_players=2, max_players=4, max_actions=3))
def test_large_lambda_approaches_a_nash_equilibrium(game):
    solution = logit_qre(game).solution
    assert solution.method == "logit-qre"
    scale = float(game.payoffs.max() - game.payoffs.min())
    independent = nash_conv_by_enumeration(game.payoffs, solution.profile.probabilities)
    assert solution.nash_conv == pytest.approx(independent, abs=1e-12 + 1e-9 * scale)
    assert independent <= 1e-6 * max(scale, 1.0)
    assert solution.converged


def test_stops_at_max_lambda_and_reports():
    game = NormalFormGame.zero_sum([[2, -1], [-1, 1]])
    branch = logit_qre(game, max_lambda=7.5, max_regret=None)
    assert isinstance(branch, QREBranch)
    assert branch.lambdas[-1] == pytest.approx(7.5)
    assert branch.solution.info["lambda"] == pytest.approx(7.5)
    assert branch.solution.info["stopped"] == "max_lambda"
    assert branch.num_points == branch.lambdas.size
    assert isinstance(branch.profile_at(-1), MixedProfile)
    assert branch.to_dict()["num_points"] == branch.num_points
    assert "QREBranch" in repr(branch)
    assert len(branch.solution.history) == branch.num_points


@settings(max_examples=8)
@given(normal_form_games(min_players=2, max_players=3, max_actions=3, batch_size=3))
def test_batched_equals_looped(game):
    # integer payoffs plus a little noise keep the games generic
    noise = np.random.default_rng(0).normal(scale=1e-3, size=game.payoffs.shape)
    batch_game = NormalFormGame(game.payoffs + noise, batched=True)
    lambdas = [0.5, 2.0, 8.0]
    batch = logit_qre(batch_game, lambdas=lambdas)
    ends = logit_qre(batch_game)
    for b in range(3):
        single = logit_qre(batch_game.batch_item(b), lambdas=lambdas)
        for p in range(game.num_players):
            assert np.allclose(batch.profiles[p][b], single.profiles[p], atol=1e-8)
        end = logit_qre(batch_game.batch_item(b))
        assert ends.num_points[b] == end.num_points
        assert np.allclose(ends.lambdas[b, : end.num_points], end.lambdas, rtol=1e-6)
        for p in range(game.num_players):
            assert np.allclose(ends.solution.profile.probabilities[p][b], end.solution.profile.probabilities[p],
                               atol=1e-6)


def test_options_are_checked():
    game = library.prisoners_dilemma()
    with pytest.raises(SolverError):
        logit_qre(library.kuhn_poker())
    with pytest.raises(SolverError):
        logit_qre(game, lambdas=[2.0, 1.0])
    with pytest.raises(SolverError):
        logit_qre(game, lambdas=[1.0, 20.0], max_lambda=10.0)
    with pytest.raises(SolverError):
        logit_qre(game, max_lambda=-1.0)
    with pytest.raises(SolverError):
        agent_qre(game)


# ---------------------------------------------------------------------------- agent QRE
@pytest.mark.parametrize("shape,seed", [((2, 3), 0), ((3, 2), 1), ((2, 2, 2), 2)])
def test_agent_qre_of_a_simultaneous_tree_is_the_normal_form_qre(shape, seed):
    payoffs = np.random.default_rng(seed).normal(size=(len(shape),) + shape)
    game = NormalFormGame(payoffs)
    lambdas = [0.5, 3.0, 20.0]
    tree = agent_qre(to_extensive(game), lambdas=lambdas)
    matrix = logit_qre(game, lambdas=lambdas)
    for a, b in zip(tree.profiles, matrix.profiles, strict=True):
        assert np.allclose(a, b, atol=1e-8)


@settings(max_examples=15)
@given(extensive_games(min_players=2, max_players=3, max_depth=3, max_nodes=60))
def test_agent_qre_is_a_logit_fixed_point_of_conditional_values(game):
    lambdas = [0.0, 0.7, 2.5]
    branch = agent_qre(game, lambdas=lambdas)
    for k, lam in enumerate(lambdas):
        probs = [x[k] for x in branch.profiles]
        behaviour = behaviour_lists(game, probs)
        for i, q in conditional_values(game, behaviour).items():
            x = behaviour[i]
            assert np.allclose(np.log(x) - np.log(x[0]), lam * (q - q[0]), atol=1e-7)
        if lam == 0.0:
            assert all(np.allclose(x, 1.0 / len(x)) for x in behaviour)
    assert np.allclose(branch.nash_conv, [nash_conv(game, BehaviorProfile(game, [x[k] for x in branch.profiles]))
                                          for k in range(len(lambdas))])


def test_agent_qre_on_kuhn_poker_approaches_equilibrium():
    branch = agent_qre(library.kuhn_poker())
    solution = branch.solution
    assert solution.method == "agent-qre"
    assert solution.converged and solution.info["stopped"] == "max_regret"
    assert solution.nash_conv < 1e-4
    assert solution.values[0] == pytest.approx(-1 / 18, abs=1e-4)
    assert nash_conv(library.kuhn_poker(), solution.profile) == pytest.approx(solution.nash_conv)
    assert isinstance(branch.profile_at(0), BehaviorProfile)


@settings(max_examples=8)
@given(extensive_games(min_players=2, max_players=3, max_depth=3, max_nodes=50), st.integers(0, 2**16))
def test_agent_qre_batched_equals_looped(game, seed):
    rng = np.random.default_rng(seed)
    payoffs = game.payoffs[None] + rng.normal(size=(3,) + game.payoffs.shape)
    batch = game.with_batch(payoffs=payoffs, chance_prob=random_chance_probs(game, rng, 3))
    lambdas = [0.5, 2.0]
    together = agent_qre(batch, lambdas=lambdas)
    for b in range(3):
        single = agent_qre(batch.batch_item(b), lambdas=lambdas)
        for p in range(game.num_players):
            assert np.allclose(together.profiles[p][b], single.profiles[p], atol=1e-8)
        assert np.allclose(together.nash_conv[b], single.nash_conv, atol=1e-9)


# ---------------------------------------------------------------------------- fitting
@pytest.mark.parametrize(
    "row,column,counts",
    [
        ([[4, 0], [1, 3]], [[1, 2], [3, 0]], [[62, 38], [60, 40]]),
        ([[4, 0], [1, 3]], [[1, 2], [3, 0]], [[12, 8], [13, 7]]),
        ([[2, 0, 1], [0, 3, 1]], [[1, 0, 2], [0, 2, 1]], [[30, 20], [15, 10, 25]]),
    ],
)
def test_fit_lambda_matches_pygambit_logit_estimate(row, column, counts):
    game = NormalFormGame.from_bimatrix(row, column)
    fit = fit_lambda(game, counts)
    gg = gbt.Game.from_arrays(np.array(row), np.array(column))
    data = gg.mixed_strategy_profile()
    for s, c in zip(gg.strategies, np.concatenate([np.ravel(c) for c in counts]), strict=True):
        data[s] = float(c)
    theirs = gbt.qre.logit_estimate(data)
    assert fit.lam == pytest.approx(theirs.lam, rel=1e-6, abs=1e-8)
    assert fit.log_likelihood == pytest.approx(theirs.log_like, rel=1e-9)
    assert "QREFit" in repr(fit) and fit.to_dict()["lam"] == fit.lam


def test_fit_lambda_on_a_simultaneous_tree_equals_the_normal_form_fit():
    game = NormalFormGame.from_bimatrix([[4, 0], [1, 3]], [[1, 2], [3, 0]])
    counts = [[62, 38], [60, 40]]
    tree = fit_lambda(to_extensive(game), counts)
    matrix = fit_lambda(game, counts)
    assert tree.lam == pytest.approx(matrix.lam, rel=1e-7)
    assert tree.log_likelihood == pytest.approx(matrix.log_likelihood, rel=1e-9)


def test_fit_lambda_checks_its_input():
    game = library.prisoners_dilemma()
    with pytest.raises(SolverError):
        fit_lambda(game, [[1, 2, 3], [1, 2]])
    with pytest.raises(SolverError):
        fit_lambda(game, [[-1, 2], [1, 2]])
    batch = NormalFormGame(np.stack([game.payoffs] * 2), batched=True)
    with pytest.raises(SolverError):
        fit_lambda(batch, [[1, 2], [1, 2]])
    # uniform data are best explained at lambda = 0
    assert fit_lambda(library.battle_of_the_sexes(), [[5, 5], [5, 5]]).lam == 0.0


# ---------------------------------------------------------------------------- progress
def test_progress_bar_on_stderr_through_solve_only_when_asked(capsys):
    pennies = NormalFormGame.zero_sum([[2, -1], [-1, 1]])
    quiet = negsim.solve(pennies, method="qre")
    assert capsys.readouterr().err == ""
    shown = negsim.solve(pennies, method="qre", progress=True)
    captured = capsys.readouterr()
    assert "QRE branch" in captured.err and "lambda=" in captured.err
    assert captured.out == ""
    # the bar only reports: the branch is the same
    np.testing.assert_array_equal(shown.profile.probabilities[1], quiet.profile.probabilities[1])


def test_progress_bar_of_the_agent_qre(capsys):
    agent_qre(library.kuhn_poker(), max_lambda=10.0, progress=True)
    assert "QRE branch" in capsys.readouterr().err
    agent_qre(library.kuhn_poker(), max_lambda=10.0)
    assert capsys.readouterr().err == ""
