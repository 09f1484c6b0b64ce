"""One suite over every registered method of ``negsim.solve`` (scipy's ``LinprogCommonTests`` is the model).

For every name in :func:`negsim.solvers.dispatch.methods` and every class of game it accepts
(a method *accepts* a class when it solves the class's first known game without a
``SolverError``): the reported NashConv equals one recomputed here by a plain walk or a
payoff-tensor contraction, independent of negsim's best-response code; in zero-sum games
the values lie within NashConv of the game value computed by an LP on the (reduced) normal
form; a batch gives what a loop gives; relabelling actions permutes the answer; positive
affine payoff changes leave it unchanged; an unknown option is a ``SolverError``; a
method that takes ``time_limit`` stops with what it has, flagged. A new method is covered
by registering it.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import negsim
from negsim.errors import SolverError
from negsim.games import ExtensiveFormGame, GameBuilder, NormalFormGame, library
from negsim.games.convert import reduced_normal_form
from negsim.solvers.dispatch import ENUMERATING, iterative_methods, methods, time_limited_methods
from tests.gamegen import (
    behaviour_of,
    extensive_games,
    matrix_game_value,
    nash_conv_by_walk,
    normal_form_games,
    perfect_information_games,
    rebuild,
)

METHODS = [name for name in methods() if name != "auto"] + ["auto"]
# Logit QRE and the replicator dynamics measure payoffs against lambda and the step dt, so
# scaling payoffs changes their answer by design; shifts must not.
SCALE_DEPENDENT = {"qre", "replicator"}
TOL = 1e-7


def _options(method: str) -> dict:
    return {"iterations": 300} if method in iterative_methods() else {}


def _three_player() -> NormalFormGame:
    # each player's first strategy strictly dominates: one equilibrium, pure
    rng = np.random.default_rng(3)
    payoffs = rng.integers(0, 5, size=(3, 2, 2, 2)).astype(float)
    payoffs[0, 0] += 10
    payoffs[1, :, 0] += 10
    payoffs[2, :, :, 0] += 10
    return NormalFormGame(payoffs, players=["A", "B", "C"], strategies=[["a0", "a1"], ["b0", "b1"], ["c0", "c1"]])


def _general_sum_tree() -> ExtensiveFormGame:
    b = GameBuilder(["A", "B"])
    for i, node in enumerate(b.root.decision("A", ["x", "y"])):
        for j, leaf in enumerate(node.decision("B", ["x", "y"], infoset="b")):
            leaf.terminal([3 * i - j, 2 * j - i + 0.5])
    return b.build()


def _perfect_information_tree() -> ExtensiveFormGame:
    # distinct payoffs everywhere: the subgame-perfect equilibrium is unique
    b = GameBuilder(["A", "B"])
    left, right = b.root.decision("A", ["l", "r"])
    for k, leaf in enumerate(left.decision("B", ["u", "d"])):
        leaf.terminal([1 + 2 * k, 4 - 3 * k])
    for k, leaf in enumerate(right.decision("B", ["u", "d"])):
        leaf.terminal([2 - 2 * k + 0.5, 1 + 2 * k])
    return b.build()


# class -> (known games, the first with a unique equilibrium; hypothesis strategy)
CLASSES = {
    "normal zero-sum": (
        [library.matching_pennies(), NormalFormGame.zero_sum([[3.0, -1.0, 0.5], [-2.0, 1.0, 0.0]])],
        normal_form_games(zero_sum=True, max_actions=3),
    ),
    "normal two-player": ([library.prisoners_dilemma(), library.battle_of_the_sexes()],
                          normal_form_games(min_players=2, max_players=2, max_actions=3)),
    "normal three-player": ([_three_player()], normal_form_games(min_players=3, max_players=3, max_actions=2)),
    "extensive zero-sum": (
        [library.matching_pennies("extensive"), library.kuhn_poker()],
        extensive_games(zero_sum=True, max_depth=4, max_nodes=40),
    ),
    "extensive two-player": (
        [library.prisoners_dilemma("extensive"), _general_sum_tree()],
        extensive_games(min_players=2, max_players=2, max_depth=4, max_nodes=40),
    ),
    "perfect information": ([_perfect_information_tree(), library.ultimatum(4)],
                            perfect_information_games(max_depth=4, max_nodes=40)),
}


def _accepts(method: str, cls: str) -> bool:
    try:
        negsim.solve(CLASSES[cls][0][0], method=method, **_options(method))
    except SolverError:
        return False
    return True


ACCEPTED = {(m, c): _accepts(m, c) for m in METHODS for c in CLASSES}
PAIRS = [(m, c) for (m, c), ok in ACCEPTED.items() if ok]


# ---------------------------------------------------------------------------- independent NashConv
def _nash_conv_normal(game: NormalFormGame, probabilities) -> float:
    total = 0.0
    n = game.num_players
    for p in range(n):
        table = game.payoffs[p]
        for q in reversed(range(n)):  # contract every other player's axis, last first
            if q != p:
                table = np.tensordot(table, probabilities[q], axes=([q], [0]))
        total += float(table.max() - table @ probabilities[p])
    return total


def _nash_conv(solution) -> float:
    game = solution.game
    if isinstance(game, NormalFormGame):
        return _nash_conv_normal(game, [np.asarray(x, float) for x in solution.profile.probabilities])
    return nash_conv_by_walk(game, behaviour_of(game, solution.profile))


def _zero_sum_value(game) -> float | None:
    if game.num_players != 2 or not game.is_zero_sum():
        return None
    matrix = game.payoffs[0] if isinstance(game, NormalFormGame) else reduced_normal_form(game).payoffs[0]
    return matrix_game_value(matrix)


def _check(method: str, game) -> None:
    solution = negsim.solve(game, method=method, **_options(method))
    scale = 1.0 + float(np.max(np.abs(game.payoffs)))
    assert float(solution.nash_conv) == pytest.approx(_nash_conv(solution), abs=TOL * scale)
    for extra in solution.equilibria:
        assert float(extra.nash_conv) == pytest.approx(_nash_conv(extra), abs=TOL * scale)
    value = _zero_sum_value(game)
    if value is not None:
        assert abs(float(solution.values[0]) - value) <= float(solution.nash_conv) + TOL * scale


# ---------------------------------------------------------------------------- the suite
def test_every_method_accepts_some_class():
    for method in METHODS:
        assert any(ACCEPTED[method, c] for c in CLASSES), f"{method!r} solves none of the suite's games"


@pytest.mark.parametrize(("method", "cls"), PAIRS)
def test_known_games(method, cls):
    for game in CLASSES[cls][0]:
        try:
            _check(method, game)
        except SolverError:
            # a method may refuse one game of a class it accepts (pure: no pure equilibrium)
            if game is CLASSES[cls][0][0]:
                raise


@pytest.mark.parametrize(("method", "cls"), PAIRS)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_games(method, cls, data):
    game = data.draw(CLASSES[cls][1])
    try:
        _check(method, game)
    except SolverError as error:
        # refusals must be reasons about this game, never a crash dressed up
        assert str(error)


def _batch(game, rng: np.random.Generator):
    """Two games of ``game``'s shape and class with new payoffs."""
    payoffs = np.stack([game.payoffs, rng.integers(-6, 7, size=game.payoffs.shape) / 2.0])
    if game.is_zero_sum():
        if isinstance(game, NormalFormGame):
            payoffs[1, 1] = -payoffs[1, 0]
        else:
            payoffs[1, :, 1] = -payoffs[1, :, 0]
    if isinstance(game, NormalFormGame):
        return NormalFormGame(payoffs, players=game.players, strategies=game.strategies, batched=True)
    return game.with_batch(payoffs=payoffs)


@pytest.mark.parametrize(("method", "cls"), PAIRS)
def test_batched_equals_looped(method, cls):
    game = CLASSES[cls][0][-1]
    batch = _batch(game, np.random.default_rng(7))
    try:
        together = negsim.solve(batch, method=method, **_options(method))
    except SolverError:
        pytest.skip(f"{method} takes no batches")
    for b in range(2):
        alone = negsim.solve(batch.batch_item(b), method=method, **_options(method))
        np.testing.assert_allclose(together.values[b], alone.values, atol=1e-6)
        np.testing.assert_allclose(together.nash_conv[b], alone.nash_conv, atol=1e-6)


def _relabelled(game, rng: np.random.Generator):
    if isinstance(game, NormalFormGame):
        perms = [rng.permutation(k) for k in game.shape]
        payoffs = game.payoffs
        for axis, perm in enumerate(perms):
            payoffs = np.take(payoffs, perm, axis=axis + 1)
        strategies = [[s[j] for j in perm] for s, perm in zip(game.strategies, perms, strict=True)]
        return NormalFormGame(payoffs, players=game.players, strategies=strategies), perms
    perms = [list(rng.permutation(len(acts))) for acts in game.infosets.actions]
    return rebuild(game, perms), perms


def _per_set(solution) -> list[np.ndarray]:
    game = solution.game
    if isinstance(game, NormalFormGame):
        return [np.asarray(x, float) for x in solution.profile.probabilities]
    return behaviour_of(game, solution.profile)


@pytest.mark.parametrize(("method", "cls"), PAIRS)
def test_relabelling_actions_permutes_the_answer(method, cls):
    game = CLASSES[cls][0][0]  # one equilibrium, so the answer is the same point
    relabelled, perms = _relabelled(game, np.random.default_rng(11))
    before = negsim.solve(game, method=method, **_options(method))
    after = negsim.solve(relabelled, method=method, **_options(method))
    # An approximate method may break ties by index (fictitious play) and so take another path
    # to the same point: its answer moves by no more than its distance from equilibrium.
    slack = float(before.nash_conv) + float(after.nash_conv)
    atol = 1e-6 if slack < 1e-9 else 1e-6 + 0.1
    np.testing.assert_allclose(after.values, before.values, atol=1e-6 + slack)
    old, new = _per_set(before), _per_set(after)
    if isinstance(game, NormalFormGame) and isinstance(before.game, NormalFormGame):
        for p, perm in enumerate(perms):
            np.testing.assert_allclose(new[p], old[p][perm], atol=atol)
    elif not isinstance(game, NormalFormGame):
        labels = list(after.game.infosets.labels)
        for g, perm in enumerate(perms):
            np.testing.assert_allclose(new[labels.index(f"I{g}")], old[g][perm], atol=atol)


@pytest.mark.parametrize(("method", "cls"), PAIRS)
def test_positive_affine_changes_leave_the_answer(method, cls):
    game = CLASSES[cls][0][0]
    n = game.num_players
    scale = 1.0 if method in SCALE_DEPENDENT else 2.5
    shift = np.arange(1, n + 1) * 1.25  # one scale for all keeps a zero-sum game constant-sum
    shape = (n,) + (1,) * (game.payoffs.ndim - 1) if isinstance(game, NormalFormGame) else (n,)
    payoffs = scale * game.payoffs + shift.reshape(shape)
    if isinstance(game, NormalFormGame):
        changed = NormalFormGame(payoffs, players=game.players, strategies=game.strategies)
    else:
        changed = game.with_batch(payoffs=payoffs[None]).batch_item(0)
    before = negsim.solve(game, method=method, **_options(method))
    after = negsim.solve(changed, method=method, **_options(method))
    for x, y in zip(_per_set(before), _per_set(after), strict=True):
        np.testing.assert_allclose(y, x, atol=1e-6)
    np.testing.assert_allclose(after.values, scale * np.asarray(before.values) + shift, atol=1e-6 * scale)
    np.testing.assert_allclose(after.nash_conv, scale * np.asarray(before.nash_conv), atol=1e-6 * scale)


@pytest.mark.parametrize(("method", "cls"), PAIRS)
def test_bad_options_are_solver_errors(method, cls):
    game = CLASSES[cls][0][0]
    with pytest.raises(SolverError, match="no_such_option"):
        negsim.solve(game, method=method, no_such_option=1, **_options(method))
    if method in iterative_methods():
        with pytest.raises(SolverError):
            negsim.solve(game, method=method, iterations=-5)


def test_every_iterative_and_enumerating_method_takes_a_time_limit():
    # QRE follows a path, the others are direct: every iterative and enumerating method can run long
    expected = set(iterative_methods()) | (set(ENUMERATING) - {"pure"})  # pure: one pass over the tensor
    assert expected <= set(time_limited_methods())


@pytest.mark.parametrize(("method", "cls"), [(m, c) for m, c in PAIRS if m in time_limited_methods()])
def test_time_limit_stops_with_what_was_found(method, cls):
    game = CLASSES[cls][0][-1]
    for bad in (0, -1.0, float("nan"), "soon"):
        with pytest.raises(SolverError, match="time_limit"):
            negsim.solve(game, method=method, time_limit=bad, **_options(method))
    options = {"iterations": 10**9} if method in iterative_methods() else {}
    try:
        solution = negsim.solve(game, method=method, time_limit=1e-6, **options)
    except SolverError as error:  # an enumeration that found nothing in time says so
        assert method not in iterative_methods() and "time limit" in str(error)
        return
    if solution.info.get("stopped_early"):
        assert solution.converged is False and solution.info["time_limit"] == 1e-6
    else:  # an enumeration may finish a tiny game before its first look at the clock
        assert method not in iterative_methods()
    scale = 1.0 + float(np.max(np.abs(game.payoffs)))
    assert float(solution.nash_conv) == pytest.approx(_nash_conv(solution), abs=TOL * scale)
