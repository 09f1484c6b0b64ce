"""Pure-strategy equilibria and iterated elimination: brute force, known games, batches."""

from __future__ import annotations

import itertools

import nashpy
import numpy as np
import pytest
from hypothesis import assume, given, settings
from scipy.optimize import linprog

from negsim.errors import SolverError
from negsim.games import NormalFormGame, library
from negsim.solvers.pure import Elimination, iterated_elimination, pure_equilibria, pure_nash
from tests.gamegen import normal_form_games


def brute_force_pure(payoffs: np.ndarray) -> list[tuple[int, ...]]:
    """Every pure equilibrium by checking each profile's unilateral deviations one by one."""
    n = payoffs.shape[0]
    shape = payoffs.shape[1:]
    found = []
    for profile in itertools.product(*(range(a) for a in shape)):
        stable = True
        for p in range(n):
            here = payoffs[(p,) + profile]
            for k in range(shape[p]):
                other = profile[:p] + (k,) + profile[p + 1 :]
                if payoffs[(p,) + other] > here:
                    stable = False
        if stable:
            found.append(profile)
    return found


def is_dominated_by_lp(u: np.ndarray, j: int, weak: bool) -> bool:
    """Independent LP check that row ``j`` of ``u[a, R]`` is dominated by a mix of the other rows."""
    others = np.delete(u, j, axis=0)
    k, R = others.shape
    if weak:
        res = linprog(-others.sum(1), A_ub=-others.T, b_ub=-u[j] + 1e-9, A_eq=np.ones((1, k)), b_eq=[1],
                      bounds=[(0, None)] * k)
        return res.status == 0 and -res.fun - u[j].sum() > 1e-7
    res = linprog(np.r_[np.zeros(k), -1.0], A_ub=np.c_[-others.T, np.ones(R)], b_ub=-u[j],
                  A_eq=np.r_[np.ones(k), 0.0][None], b_eq=[1], bounds=[(0, None)] * k + [(None, None)])
    return res.status == 0 and -res.fun > 1e-7


# ---------------------------------------------------------------------------- pure equilibria
def test_known_games():
    assert pure_equilibria(library.prisoners_dilemma()) == [(1, 1)]
    assert pure_equilibria(library.battle_of_the_sexes()) == [(0, 0), (1, 1)]
    assert pure_equilibria(library.matching_pennies()) == []


def test_ties_count_as_best_responses():
    game = NormalFormGame(np.zeros((3, 2, 2, 2)))
    assert len(pure_equilibria(game)) == 8
    # a deviation gaining less than tol does not break an equilibrium
    game = NormalFormGame.from_bimatrix([[1.0, 0.0], [1.0 + 1e-6, 0.0]], [[1.0, 0.0], [1.0, 0.0]])
    assert pure_equilibria(game) == [(1, 0)]
    assert pure_equilibria(game, tol=1e-3) == [(0, 0), (1, 0)]


@given(normal_form_games(min_players=2, max_players=4, max_actions=4))
def test_matches_brute_force(game):
    assert pure_equilibria(game) == brute_force_pure(game.payoffs)


@given(normal_form_games(min_players=2, max_players=4, max_actions=3, batch_size=4))
def test_batched_equals_looped(game):
    found = pure_equilibria(game)
    assert len(found) == 4
    for b in range(4):
        assert found[b] == pure_equilibria(game.batch_item(b)) == brute_force_pure(game.payoffs[b])


def test_pure_nash_solution():
    solution = pure_nash(library.battle_of_the_sexes())
    assert solution.method == "pure"
    assert [eq.info["strategies"] for eq in solution.equilibria] == [(0, 0), (1, 1)]
    assert solution.nash_conv == 0.0
    assert solution.profile.to_list() == [[1.0, 0.0], [1.0, 0.0]]
    with pytest.raises(SolverError, match="no pure"):
        pure_nash(library.matching_pennies())
    batch = NormalFormGame(np.stack([library.prisoners_dilemma().payoffs] * 2), batched=True)
    with pytest.raises(SolverError, match="batch"):
        pure_nash(batch)


def test_rejects_other_inputs():
    with pytest.raises(SolverError):
        pure_equilibria(library.kuhn_poker())
    with pytest.raises(SolverError):
        pure_equilibria(library.prisoners_dilemma(), tol=-1.0)


# ---------------------------------------------------------------------------- elimination
def test_prisoners_dilemma_reduces_to_defection():
    result = iterated_elimination(library.prisoners_dilemma())
    assert isinstance(result, Elimination)
    assert [s.tolist() for s in result.survivors] == [[1], [1]]
    assert result.rounds == 1
    assert {(e["player"], e["label"], e["by"]) for e in result.eliminated} == {
        ("Row", "cooperate", "pure"),
        ("Column", "cooperate", "pure"),
    }
    assert result.game.shape == (1, 1)
    assert result.to_dict()["survivors"] == [[1], [1]]


def test_domination_by_a_mixed_strategy_only():
    game = NormalFormGame.from_bimatrix([[3, 0], [1, 1], [0, 3]], [[0, 0], [0, 0], [0, 0]])
    assert iterated_elimination(game, mixed=False).survivors[0].tolist() == [0, 1, 2]
    result = iterated_elimination(game)
    assert result.survivors[0].tolist() == [0, 2]
    assert result.eliminated[0]["by"] == "mixed"


def test_several_rounds():
    # Column's R is dominated by M; then Row's D is dominated by U; then Column's L by M.
    row = [[4, 3, 6], [2, 1, 8]]
    column = [[3, 5, 2], [5, 4, 3]]
    result = iterated_elimination(NormalFormGame.from_bimatrix(row, column))
    assert [s.tolist() for s in result.survivors] == [[0], [1]]
    assert result.rounds == 3


def test_weak_elimination():
    # U weakly dominates D and L weakly dominates R; no strategy is strictly dominated
    game = NormalFormGame.from_bimatrix([[1, 0], [0, 0]], [[1, 1], [0, -1]])
    assert [s.tolist() for s in iterated_elimination(game).survivors] == [[0, 1], [0, 1]]
    weak = iterated_elimination(game, weak=True)
    assert [s.tolist() for s in weak.survivors] == [[0], [0]]
    assert weak.info == {"weak": True, "mixed": True}
    # duplicated strategies never dominate each other
    twin = NormalFormGame.from_bimatrix([[1, 2], [1, 2]], [[0, 0], [0, 0]])
    assert iterated_elimination(twin, weak=True).survivors[0].tolist() == [0, 1]


@settings(max_examples=25)
@given(normal_form_games(min_players=2, max_players=3, max_actions=4))
def test_elimination_keeps_every_equilibrium_and_removes_only_dominated(game):
    for weak in (False, True):
        result = iterated_elimination(game, weak=weak)
        if not weak:
            # strict elimination never removes a strategy used in a Nash equilibrium
            for profile in brute_force_pure(game.payoffs):
                assert all(s in alive for s, alive in zip(profile, result.survivors, strict=True))
        # replay the rounds: every removed strategy is dominated where it was removed
        alive = [list(range(a)) for a in game.shape]
        for r in range(1, result.rounds + 1):
            sub = game.payoffs[(slice(None),) + np.ix_(*alive)]
            gone = [e for e in result.eliminated if e["round"] == r]
            for e in gone:
                p = game.players.index(e["player"])
                u = np.moveaxis(sub[p], p, 0).reshape(len(alive[p]), -1)
                assert is_dominated_by_lp(u, alive[p].index(e["strategy"]), weak)
            for e in gone:
                alive[game.players.index(e["player"])].remove(e["strategy"])
        assert [list(s) for s in result.survivors] == alive
        assert result.game.equals(
            NormalFormGame(game.payoffs[(slice(None),) + np.ix_(*alive)], players=game.players,
                           strategies=[[game.strategies[p][s] for s in alive[p]] for p in range(game.num_players)])
        )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # nashpy divides by zero in degenerate games
@settings(max_examples=20)
@given(normal_form_games(min_players=2, max_players=2, max_actions=4))
def test_mixed_elimination_keeps_supports_of_all_two_player_equilibria(game):
    assume(min(game.shape) >= 2)  # nashpy's vertex enumeration needs two strategies each
    survivors = iterated_elimination(game).survivors
    a, b = game.payoffs
    for x, y in nashpy.Game(a, b).vertex_enumeration():
        assert set(np.flatnonzero(x > 1e-9)) <= set(survivors[0].tolist())
        assert set(np.flatnonzero(y > 1e-9)) <= set(survivors[1].tolist())


def test_batch_gives_one_result_per_game():
    pd = library.prisoners_dilemma().payoffs
    batch = NormalFormGame(np.stack([pd, np.zeros_like(pd)]), batched=True)
    results = iterated_elimination(batch)
    assert [len(r.survivors[0]) for r in results] == [1, 2]
