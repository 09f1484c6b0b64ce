"""Support enumeration, vertex enumeration and Lemke–Howson, checked against pygambit and known games."""

from __future__ import annotations

import warnings
from fractions import Fraction

import nashpy
import numpy as np
import pygambit
import pytest
from hypothesis import given
from hypothesis import strategies as st

from negsim.errors import SolverError
from negsim.games import NormalFormGame, library
from negsim.solvers.nashpy_methods import (
    DUPLICATE_TOLERANCE,
    lemke_howson,
    support_enumeration,
    support_enumeration_gen,
    vertex_enumeration,
)
from negsim.solvers.normal_regret import nash_conv_normal
from tests.gamegen import normal_form_games

ENUMERATIONS = (support_enumeration, vertex_enumeration)
ALL_METHODS = (support_enumeration, vertex_enumeration, lemke_howson)

# nashpy's support_enumeration finds no equilibrium here: the equilibrium's zero
# probabilities come out of its linear solve as -3.8e-17 and are rejected.
ROUNDING_ROW = [[3, -5, -4], [-3, -4, 3], [4, 1, -5]]
ROUNDING_COLUMN = [[-4, -2, -1], [1, 0, -3], [-4, 2, 3]]

# A degenerate game (von Stengel 2002, Handbook of Game Theory, ch. 45): against the first
# row the column player is indifferent, so the equilibria are the segment from
# ((1,0,0), (1,0)) to ((1,0,0), (2/3,1/3)) and the isolated ((0,1/3,2/3), (1/3,2/3)).
# The segment's second end has supports of sizes 1 and 2, which classic support
# enumeration (equal sizes only) never looks at.
DEGENERATE_ROW = [[3, 3], [2, 5], [0, 6]]
DEGENERATE_COLUMN = [[3, 3], [2, 6], [3, 1]]


def _pairs(solution):
    return [tuple(np.asarray(x) for x in eq.profile.probabilities) for eq in solution.equilibria]


def _same_set(found, expected, atol=1e-6):
    def member(pair, pool):
        return any(
            np.abs(pair[0] - other[0]).max() <= atol and np.abs(pair[1] - other[1]).max() <= atol for other in pool
        )

    return all(member(p, expected) for p in found) and all(member(p, found) for p in expected)


def _gambit_equilibria(game: NormalFormGame):
    """pygambit's enummixed (floating point), duplicates removed."""
    g = pygambit.Game.from_arrays(game.payoffs[0], game.payoffs[1])
    players = list(g.players)
    out = []
    for eq in pygambit.nash.enummixed_solve(g, rational=False).equilibria:
        pair = tuple(np.array([float(eq[s]) for s in p.strategies]) for p in players)
        if not any(_same_set([pair], [other]) for other in out):
            out.append(pair)
    return out


def _scale(game):
    return max(1.0, float(np.abs(game.payoffs).max()))


@st.composite
def generic_bimatrix_games(draw, max_actions: int = 4):
    """Two-player games with Gaussian payoffs: nondegenerate with probability 1."""
    m = draw(st.integers(1, max_actions))
    n = draw(st.integers(1, max_actions))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return NormalFormGame(rng.normal(size=(2, m, n)))


def _assert_all_are_equilibria(solution, game, tol=1e-7):
    assert solution.equilibria
    assert solution.profile is solution.equilibria[0].profile
    for eq in solution.equilibria:
        gap = nash_conv_normal(game, eq.profile)
        assert gap <= tol * _scale(game)
        assert eq.nash_conv == pytest.approx(gap, abs=1e-12)
        np.testing.assert_allclose(eq.values, eq.profile.expected_payoffs())
        for x in eq.profile.probabilities:
            assert np.all(x >= 0) and x.sum() == pytest.approx(1.0, abs=1e-12)


# ---------------------------------------------------------------------------- known games
@pytest.mark.parametrize("method", ALL_METHODS)
def test_matching_pennies_has_one_equilibrium(method):
    solution = method(library.matching_pennies())
    assert len(solution.equilibria) == 1
    np.testing.assert_allclose(solution.profile.probabilities, [[0.5, 0.5], [0.5, 0.5]], atol=1e-12)
    np.testing.assert_allclose(solution.values, [0.0, 0.0], atol=1e-12)
    assert solution.nash_conv <= 1e-12


@pytest.mark.parametrize("method", ALL_METHODS)
def test_prisoners_dilemma_has_one_equilibrium(method):
    solution = method(library.prisoners_dilemma())
    assert len(solution.equilibria) == 1
    np.testing.assert_allclose(solution.profile.probabilities, [[0.0, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(solution.values, [1.0, 1.0])


@pytest.mark.parametrize("method", ENUMERATIONS)
def test_battle_of_the_sexes_has_three_equilibria(method):
    solution = method(library.battle_of_the_sexes())
    assert _same_set(
        _pairs(solution),
        [
            (np.array([1.0, 0.0]), np.array([1.0, 0.0])),
            (np.array([2 / 3, 1 / 3]), np.array([1 / 3, 2 / 3])),
            (np.array([0.0, 1.0]), np.array([0.0, 1.0])),
        ],
        atol=1e-12,
    )
    assert len(solution.equilibria) == 3
    # the documented order: decreasing lexicographic in (row, column) probabilities
    np.testing.assert_allclose(solution.equilibria[0].profile.probabilities[0], [1.0, 0.0])
    np.testing.assert_allclose(solution.equilibria[2].profile.probabilities[0], [0.0, 1.0])
    np.testing.assert_allclose(solution.equilibria[1].values, [2 / 3, 2 / 3])


def test_lemke_howson_on_battle_of_the_sexes_reaches_the_pure_equilibria():
    # Lemke–Howson never reaches the mixed equilibrium of a 2x2 game with three equilibria
    solution = lemke_howson(library.battle_of_the_sexes())
    assert len(solution.equilibria) == 2
    assert set(solution.info["labels"]) == {0, 1, 2, 3}
    assert set(solution.info["labels"].values()) == {0, 1}
    assert solution.iterations == 4
    single = lemke_howson(library.battle_of_the_sexes(), labels=1)
    assert single.info["labels"] == {1: 0}
    assert len(single.equilibria) == 1


def test_rounding_trips_nashpy_support_enumeration_but_not_negsim():
    row, column = np.array(ROUNDING_ROW, float), np.array(ROUNDING_COLUMN, float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert list(nashpy.Game(row, column).support_enumeration()) == []
    game = NormalFormGame.from_bimatrix(row, column)
    x = np.array([0, Fraction(1, 4), Fraction(3, 4)], float)
    y = np.array([0, Fraction(8, 13), Fraction(5, 13)], float)
    expected = [(x, y)]
    for method in ALL_METHODS:
        solution = method(game)
        assert _same_set(_pairs(solution), expected, atol=1e-12), method.__name__
        assert solution.nash_conv <= 1e-12


def test_degenerate_game_all_extreme_equilibria():
    row, column = np.array(DEGENERATE_ROW, float), np.array(DEGENERATE_COLUMN, float)
    game = NormalFormGame.from_bimatrix(row, column)
    expected = [
        (np.array([1.0, 0.0, 0.0]), np.array([1.0, 0.0])),
        (np.array([1.0, 0.0, 0.0]), np.array([2 / 3, 1 / 3])),
        (np.array([0.0, 1 / 3, 2 / 3]), np.array([1 / 3, 2 / 3])),
    ]
    # nashpy's support enumeration misses the end of the segment with unequal supports
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_nashpy = [tuple(map(np.asarray, eq)) for eq in nashpy.Game(row, column).support_enumeration()]
    assert not _same_set(from_nashpy, expected)
    supports = support_enumeration(game)
    vertices = vertex_enumeration(game)
    assert _same_set(_pairs(supports), expected, atol=1e-12)
    assert _same_set(_pairs(vertices), _pairs(supports))
    assert _same_set(_pairs(supports), _gambit_equilibria(game))
    assert supports.info["degenerate"] is True
    assert support_enumeration(library.battle_of_the_sexes()).info["degenerate"] is False
    for method in ALL_METHODS:
        _assert_all_are_equilibria(method(game), game, tol=1e-12)


def test_constant_game_every_pure_profile():
    game = NormalFormGame(np.ones((2, 2, 3)))
    for method in ENUMERATIONS:
        solution = method(game)
        assert len(solution.equilibria) == 6  # the vertices of the product of simplices
        _assert_all_are_equilibria(solution, game)


def test_single_strategy_falls_back_to_support_enumeration():
    # nashpy's Lemke–Howson never stops on such games and Qhull refuses them
    game = NormalFormGame.from_bimatrix([[1.0, 3.0, 3.0]], [[0.0, 2.0, 2.0]])
    for method in (vertex_enumeration, lemke_howson):
        solution = method(game)
        assert "single strategy" in solution.info["fallback"]
        assert _same_set(_pairs(solution), [(np.array([1.0]), np.array([0.0, 1.0, 0.0])),
                                            (np.array([1.0]), np.array([0.0, 0.0, 1.0]))])
    assert vertex_enumeration(library.battle_of_the_sexes()).info["fallback"] is None


def test_generator_yields_the_same_equilibria():
    game = NormalFormGame.from_bimatrix(DEGENERATE_ROW, DEGENERATE_COLUMN)
    from_gen = list(support_enumeration_gen(game))
    assert _same_set(from_gen, _pairs(support_enumeration(game)))
    assert len(from_gen) == 3


def test_to_dict_and_repr():
    solution = support_enumeration(library.battle_of_the_sexes())
    data = solution.to_dict()
    assert data["method"] == "support-enumeration"
    assert len(data["equilibria"]) == 3
    assert "equilibria=3" in repr(solution)


# ---------------------------------------------------------------------------- against pygambit
@given(game=generic_bimatrix_games())
def test_enumerations_match_gambit_on_generic_games(game):
    expected = _gambit_equilibria(game)
    for method in ENUMERATIONS:
        solution = method(game)
        assert _same_set(_pairs(solution), expected), method.__name__
        _assert_all_are_equilibria(solution, game)


@given(game=normal_form_games(min_players=2, max_players=2, max_actions=4))
def test_enumerations_match_gambit_on_degenerate_games(game):
    # half-integer payoffs in -5..5: many of these games are degenerate
    expected = _gambit_equilibria(game)
    supports = support_enumeration(game)
    assert _same_set(_pairs(supports), expected)
    _assert_all_are_equilibria(supports, game)
    vertices = vertex_enumeration(game)
    _assert_all_are_equilibria(vertices, game)
    assert _same_set(_pairs(vertices), expected)


# ---------------------------------------------------------------------------- properties
@given(game=generic_bimatrix_games())
def test_lemke_howson_finds_verified_equilibria_among_the_enumerated(game):
    solution = lemke_howson(game)
    _assert_all_are_equilibria(solution, game)
    enumerated = _pairs(support_enumeration(game))
    assert all(_same_set([pair], [p for p in enumerated if _same_set([p], [pair])]) for pair in _pairs(solution))
    if solution.info["fallback"] is None:
        assert sorted(solution.info["labels"]) == list(range(sum(game.shape)))
        assert all(k is not None for k in solution.info["labels"].values())
        assert not solution.info["rejected"]
    else:
        assert min(game.shape) == 1
    # in a nondegenerate game the number of equilibria is odd
    assert len(support_enumeration(game).equilibria) % 2 == 1


@given(game=normal_form_games(min_players=2, max_players=2, max_actions=4))
def test_every_equilibrium_has_no_profitable_deviation(game):
    for method in ALL_METHODS:
        solution = method(game)
        _assert_all_are_equilibria(solution, game)
        pairs = _pairs(solution)
        for i in range(len(pairs)):
            for j in range(i):
                gap = max(np.abs(pairs[i][0] - pairs[j][0]).max(), np.abs(pairs[i][1] - pairs[j][1]).max())
                assert gap > DUPLICATE_TOLERANCE


@given(game=generic_bimatrix_games(max_actions=3), factor=st.floats(0.01, 100.0), shift=st.floats(-50.0, 50.0))
def test_positive_affine_payoff_change_keeps_equilibria(game, factor, shift):
    changed = NormalFormGame(game.payoffs * np.array([factor, 1.0])[:, None, None] + shift)
    for method in ENUMERATIONS:
        assert _same_set(_pairs(method(changed)), _pairs(method(game)))


@given(game=generic_bimatrix_games(max_actions=3), data=st.data())
def test_relabelling_strategies_permutes_equilibria(game, data):
    m, n = game.shape
    rows = np.array(data.draw(st.permutations(range(m))))
    cols = np.array(data.draw(st.permutations(range(n))))
    permuted = NormalFormGame(game.payoffs[:, rows][:, :, cols])
    expected = [(x[rows], y[cols]) for x, y in _pairs(support_enumeration(game))]
    assert _same_set(_pairs(support_enumeration(permuted)), expected)


# ---------------------------------------------------------------------------- errors
def test_errors():
    three = NormalFormGame(np.zeros((3, 2, 2, 2)))
    batch = NormalFormGame(np.zeros((4, 2, 2, 2)), batched=True)
    for method in ALL_METHODS:
        with pytest.raises(SolverError, match="two-player"):
            method(three)
        with pytest.raises(SolverError, match="batch"):
            method(batch)
        with pytest.raises(SolverError, match="reduced_normal_form"):
            method(library.kuhn_poker())
        with pytest.raises(SolverError, match="tol"):
            method(library.matching_pennies(), tol=-1.0)
    with pytest.raises(SolverError, match="labels"):
        lemke_howson(library.matching_pennies(), labels=[7])
    with pytest.raises(SolverError, match="labels"):
        lemke_howson(library.matching_pennies(), labels="some")
    with pytest.raises(SolverError, match="systems"):
        support_enumeration(NormalFormGame(np.zeros((2, 30, 30))))
    with pytest.raises(SolverError, match="vertices"):
        vertex_enumeration(NormalFormGame(np.zeros((2, 17, 17))))
    for method in ALL_METHODS:
        with pytest.raises(SolverError, match="time_limit"):
            method(library.matching_pennies(), time_limit=0)


# ---------------------------------------------------------------------------- vertex enumeration, time limits
@pytest.mark.parametrize("seed", range(3))
def test_vertex_enumeration_equals_support_enumeration_on_degenerate_integer_games(seed):
    # small integer payoffs: many ties, so vertices with extra labels are common
    game = NormalFormGame(np.random.default_rng(seed).integers(-2, 3, size=(2, 7, 6)).astype(float))
    vertices, supports = vertex_enumeration(game), support_enumeration(game)
    assert vertices.info["fallback"] is None
    assert _same_set(_pairs(vertices), _pairs(supports))


@pytest.mark.parametrize("method", ALL_METHODS)
def test_time_limit_returns_the_equilibria_found_so_far(method):
    game = NormalFormGame(np.random.default_rng(5).normal(size=(2, 9, 9)))
    full = method(game)
    assert "stopped_early" not in full.info and full.converged is None
    try:
        cut = method(game, time_limit=1e-6)
    except SolverError as error:  # nothing found in time is said, not returned empty
        assert "time limit" in str(error)
        return
    assert cut.info["stopped_early"] is True and cut.info["time_limit"] == 1e-6 and cut.converged is False
    _assert_all_are_equilibria(cut, game)
    found = _pairs(cut)
    assert _same_set(found, [p for p in _pairs(full) if _same_set([p], found)])  # a subset of the full answer


def test_vertex_enumeration_stops_on_ctrl_c(tmp_path):
    # A random 16x16 game sits at the size limit: Qhull takes seconds per polytope, inside one C call,
    # which negsim runs in a worker thread. Ctrl-C while it runs must end the command at once: exit
    # code 130 and one line, no traceback.
    import os
    import resource
    import signal
    import subprocess
    import sys
    import time

    from tests.test_budget import REPO, _write_nfg

    path = _write_nfg(tmp_path / "big.nfg", np.random.default_rng(1).random((2, 16, 16)))

    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (2_000_000 * 1024, 2_000_000 * 1024))  # ulimit -v 2000000
        # a test run started in the background of a non-interactive shell inherits SIGINT ignored,
        # and Python then never raises KeyboardInterrupt: give the child the default, as a terminal does
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    env = dict(os.environ, PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1")
    child = subprocess.Popen([sys.executable, "-m", "negsim", "solve", str(path), "--method", "vertex"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=limit)
    try:
        # the solve is in Qhull once the child has a second thread (one BLAS thread: the first is main)
        while child.poll() is None and len(os.listdir(f"/proc/{child.pid}/task")) < 2:
            time.sleep(0.01)
        assert child.poll() is None, "the solve ended before it could be interrupted"
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, err
    assert err == "negsim solve: interrupted\n"
