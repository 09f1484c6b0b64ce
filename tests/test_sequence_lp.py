"""Tests of negsim.solvers.sequence_lp: known values, pygambit, independent NashConv, invariances."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from negsim.errors import SolverError
from negsim.games import CHANCE, TERMINAL, ExtensiveFormGame, GameBuilder, NormalFormGame, library
from negsim.games.convert import reduced_normal_form, reduced_strategies, to_extensive
from negsim.games.profile import BehaviorProfile, MixedProfile
from negsim.solvers.best_response import nash_conv
from negsim.solvers.sequence_lp import sequence_lp
from tests.gamegen import efg_text, extensive_games, matrix_game_value, random_chance_probs, rebuild

seeds = st.integers(0, 2**32 - 1)
small_zero_sum = extensive_games(zero_sum=True, max_depth=4, max_nodes=60)

KUHN_VALUE = -1 / 18
LEDUC_VALUE = -0.0856064241


# ---------------------------------------------------------------------------- helpers
def nash_conv_by_normal_form(game: ExtensiveFormGame, profile: BehaviorProfile) -> float:
    """NashConv from the reduced normal form: brute-force best responses over pure strategies.

    Each behaviour strategy becomes the realization-equivalent mixed strategy over reduced
    pure strategies (probability of a strategy = product of its chosen actions' probabilities).
    """
    nfg = reduced_normal_form(game)
    mixed = []
    for p in range(game.num_players):
        _, plans = reduced_strategies(game, p)
        chosen = plans[:, 1:].astype(bool)
        sigma = np.asarray(profile.probabilities[p])
        m = np.prod(np.where(chosen, sigma[None, :], 1.0), axis=1)
        assert abs(m.sum() - 1.0) < 1e-9
        mixed.append(m)
    row = nfg.payoffs[0] @ mixed[1]
    col = mixed[0] @ nfg.payoffs[1]
    return float(row.max() - mixed[0] @ row + col.max() - col @ mixed[1])


def assert_sums_to_one(solution) -> None:
    sf = solution.game.sequence_form
    for p, probs in enumerate(solution.profile.probabilities):
        if probs.shape[-1] == 0:
            continue
        assert np.all(probs >= 0)
        sums = np.add.reduceat(probs, sf.sequence_start[p][:-1] - 1, axis=-1)
        np.testing.assert_allclose(sums, 1.0, rtol=0, atol=1e-12)


def by_label(profile: BehaviorProfile, labels: list[str] | None = None) -> dict[tuple[str, str], float]:
    out = {}
    for k, entry in enumerate(profile.to_list()):
        name = entry["label"] if labels is None else labels[k]
        for a, p in zip(entry["actions"], entry["probabilities"], strict=True):
            out[(name, a)] = p
    return out


def from_labels(game: ExtensiveFormGame, probs: dict[tuple[str, str], float]) -> BehaviorProfile:
    """A profile of ``game`` from ``{(infoset label, action): probability}``."""
    arrays: list[list[float]] = [[] for _ in game.players]
    for entry in BehaviorProfile.uniform(game).to_list():
        arrays[entry["player"]].extend(probs[(entry["label"], a)] for a in entry["actions"])
    return BehaviorProfile(game, arrays)


def infoset_reach(game: ExtensiveFormGame, profile: BehaviorProfile) -> dict[str, float]:
    """Probability that play reaches each information set (by label), by a walk over the tree."""
    probs = by_label(profile)
    reach: dict[str, float] = {}

    def walk(h: int, prob: float) -> None:
        kind = int(game.kind[h])
        if kind == TERMINAL:
            return
        kids = game.children(h)
        if kind == CHANCE:
            for c in kids:
                walk(int(c), prob * float(game.chance_prob[c]))
            return
        g = int(game.infoset[h])
        name = game.infosets.labels[g]
        reach[name] = reach.get(name, 0.0) + prob
        for a, c in zip(game.infosets.actions[g], kids, strict=True):
            walk(int(c), prob * probs[(name, a)])

    walk(0, 1.0)
    return reach


def generic(game: ExtensiveFormGame, seed: int) -> ExtensiveFormGame:
    """Random continuous zero-sum payoffs and positive chance probabilities on the same tree."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=game.num_terminals)
    return game.with_batch(payoffs=np.stack([u, -u], axis=1), chance_prob=random_chance_probs(game, rng))


def imperfect_recall_game() -> ExtensiveFormGame:
    b = GameBuilder(["A", "B"])
    left, right = b.root.decision("A", ["l", "r"])
    for node in (left, right):
        x, y = node.decision("A", ["x", "y"], infoset="forgot")
        x.terminal([1, -1])
        y.terminal([-1, 1])
    return b.build()


# ---------------------------------------------------------------------------- known values
def test_kuhn_value_and_fields():
    solution = sequence_lp(library.kuhn_poker())
    assert solution.method == "lp"
    assert abs(solution.values[0] - KUHN_VALUE) < 1e-9
    assert abs(solution.values[1] + KUHN_VALUE) < 1e-9
    assert abs(solution.info["lp_value"] - KUHN_VALUE) < 1e-9
    assert solution.nash_conv <= 1e-9
    assert solution.iterations >= 1 and solution.seconds > 0
    assert solution.info["constant"] == 0.0
    assert solution.info["sequences"] == [12, 12]
    assert solution.info["dual"] in ("multipliers", "second LP")
    assert "Optimal" in solution.info["status"]
    assert_sums_to_one(solution)
    assert nash_conv_by_normal_form(solution.game, solution.profile) <= 1e-9
    # Player 2's equilibrium strategy in Kuhn poker is unique
    p2 = solution.profile
    assert p2.action_probabilities(1, 1)["bet"] == pytest.approx(1 / 3, abs=1e-9)  # Q, facing a bet
    assert p2.action_probabilities(1, 4)["bet"] == pytest.approx(1 / 3, abs=1e-9)  # J, after a pass
    solution.to_dict()  # JSON-ready


def test_leduc_value():
    game = library.leduc_poker()
    started = time.perf_counter()
    solution = sequence_lp(game)
    elapsed = time.perf_counter() - started
    assert abs(solution.values[0] - LEDUC_VALUE) < 1e-6
    assert solution.nash_conv <= 1e-8
    assert_sums_to_one(solution)
    print(f"Leduc sequence-form LP: {elapsed:.3f} s, {solution.iterations} HiGHS iterations")


def test_constant_sum_values_include_the_constant():
    kuhn = library.kuhn_poker()
    shifted = kuhn.with_batch(payoffs=kuhn.payoffs + np.array([3.0, 2.0]))
    solution = sequence_lp(shifted)
    np.testing.assert_allclose(solution.values, [3 + KUHN_VALUE, 2 - KUHN_VALUE], atol=1e-9)
    assert solution.info["constant"] == pytest.approx(5.0)
    assert solution.nash_conv <= 1e-9


def test_unreached_information_sets_are_uniform():
    # A quits for 1; after "play" A's next information set is never reached by A's own plan
    b = GameBuilder(["A", "B"])
    quit_, play = b.root.decision("A", ["quit", "play"])
    quit_.terminal([1, -1])
    left, right = play.decision("B", ["left", "right"])
    for node, pay in ((left, (0, -2)), (right, (-1, -3))):
        x, y, z = node.decision("A", ["x", "y", "z"])
        x.terminal([pay[0], -pay[0]])
        y.terminal([pay[1], -pay[1]])
        z.terminal([-5, 5])
    solution = sequence_lp(b.build())
    assert solution.values[0] == pytest.approx(1.0)
    assert solution.profile.action_probabilities(0, 0) == {"quit": 1.0, "play": 0.0}
    for i in (1, 2):
        np.testing.assert_allclose(list(solution.profile.action_probabilities(0, i).values()), [1 / 3] * 3)
    assert_sums_to_one(solution)


def test_player_without_moves():
    b = GameBuilder(["A", "B"])
    deal = b.root.chance({"h": "1/4", "t": "3/4"})
    for node, s in zip(deal, (1, -1), strict=True):
        x, y = node.decision("A", ["x", "y"], infoset=f"saw {s}")
        x.terminal([s, -s])
        y.terminal([-s, s])
    solution = sequence_lp(b.build())
    assert solution.values[0] == pytest.approx(1.0)
    assert solution.profile.probabilities[1].shape == (0,)


# ---------------------------------------------------------------------------- oracles
@given(small_zero_sum, st.booleans(), seeds)
def test_agrees_with_pygambit(game, make_generic, seed):
    gbt = pytest.importorskip("pygambit")
    if make_generic:  # keep the chance probabilities, which Gambit needs to sum to exactly 1
        u = np.random.default_rng(seed).normal(size=game.num_terminals)
        game = game.with_batch(payoffs=np.stack([u, -u], axis=1))
    solution = sequence_lp(game)
    gambit_game = gbt.read_efg(io.StringIO(efg_text(game)))
    equilibrium = gbt.nash.lp_solve(gambit_game, rational=False).equilibria[0]
    # pygambit 16.7's lp_solve can return probabilities that do not sum to 1 (even 0 at
    # the root) where a player is indifferent, and then a wrong value: compare only
    # when its profile is a profile
    sums = [sum(float(equilibrium[a]) for a in iset.actions) for iset in gambit_game.infosets]
    if not np.allclose(sums, 1.0, atol=1e-6):
        return
    gambit_value = float(equilibrium.payoff(list(gambit_game.players)[0]))
    assert abs(solution.values[0] - gambit_value) <= 1e-6
    assert abs(solution.info["lp_value"] - gambit_value) <= 1e-6


def test_pygambit_stumbles_where_negsim_does_not():
    """A degenerate game (player 1 indifferent at the root) where pygambit's LP profile sums to 0."""
    gbt = pytest.importorskip("pygambit")
    b = GameBuilder(["P0", "P1"])
    left, right = b.root.decision("P0", ["a0", "a1"])
    x, y = left.decision("P1", ["b0", "b1"])
    x.terminal([-0.5, 0.5])
    y.terminal([-1, 1])
    right.terminal([-1, 1])
    game = b.build()
    solution = sequence_lp(game)
    assert solution.values[0] == pytest.approx(-1.0)
    assert_sums_to_one(solution)
    gambit_game = gbt.read_efg(io.StringIO(efg_text(game)))
    equilibrium = gbt.nash.lp_solve(gambit_game, rational=False).equilibria[0]
    root = next(iter(gambit_game.players["P0"].infosets))
    gambit_sum = sum(float(equilibrium[a]) for a in root.actions)
    if abs(gambit_sum - 1.0) > 1e-9:  # the bug as seen with pygambit 16.7.0
        assert float(equilibrium.payoff("P0")) != pytest.approx(-1.0)


@given(small_zero_sum)
def test_equilibrium_by_reduced_normal_form(game):
    solution = sequence_lp(game)
    assert_sums_to_one(solution)
    assert nash_conv_by_normal_form(game, solution.profile) <= 1e-6
    assert solution.nash_conv <= 1e-8
    assert solution.values[0] + solution.values[1] == pytest.approx(0.0, abs=1e-9)


# ---------------------------------------------------------------------------- invariances
@given(small_zero_sum, st.sampled_from([0.25, 0.5, 2.0, 8.0]), st.floats(0.1, 10.0))
def test_positive_scaling(game, power_of_two, factor):
    base = sequence_lp(game)
    # multiplying by a power of two leaves the (normalized) LP bit for bit the same
    exact = sequence_lp(game.with_batch(payoffs=power_of_two * game.payoffs))
    for a, b in zip(base.profile.probabilities, exact.profile.probabilities, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(exact.values, power_of_two * base.values, atol=1e-9)
    # any positive factor: the same value (scaled), and an equilibrium of the original game
    scaled = sequence_lp(game.with_batch(payoffs=factor * game.payoffs))
    np.testing.assert_allclose(scaled.values, factor * base.values, atol=1e-8 * factor)
    assert nash_conv(game, BehaviorProfile(game, scaled.profile.probabilities)) <= 1e-8


@given(small_zero_sum, st.floats(-50, 50))
def test_shifting_one_player(game, shift):
    base = sequence_lp(game)
    second = sequence_lp(game.with_batch(payoffs=game.payoffs + [0.0, shift]))
    # player 2's payoffs do not enter the LP: the same equilibrium
    for a, b in zip(base.profile.probabilities, second.profile.probabilities, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(second.values, base.values + [0.0, shift], atol=1e-9)
    first = sequence_lp(game.with_batch(payoffs=game.payoffs + [shift, 0.0]))
    np.testing.assert_allclose(first.values, base.values + [shift, 0.0], atol=1e-7)
    assert nash_conv(game, BehaviorProfile(game, first.profile.probabilities)) <= 1e-7


@given(small_zero_sum, seeds)
def test_permuting_actions_permutes_the_equilibrium(game, seed):
    rng = np.random.default_rng(seed)
    game = generic(game, seed)  # generic payoffs: the equilibrium is unique
    perms = [list(rng.permutation(len(acts))) for acts in game.infosets.actions]
    original = rebuild(game)
    permuted = rebuild(game, perms)
    a, b = sequence_lp(original), sequence_lp(permuted)
    assert b.values == pytest.approx(a.values, abs=1e-9)
    pa, pb = by_label(a.profile), by_label(b.profile)
    assert pa.keys() == pb.keys()
    # mapped back, the permuted game's equilibrium is one of the original game
    back = from_labels(original, pb)
    assert nash_conv(original, back) <= 1e-8
    # with generic payoffs play is unique where the equilibrium reaches; off the path
    # (information sets the opponent never lets happen) the LP may pick any safe reply
    reach = infoset_reach(original, a.profile)
    for (name, action), prob in pa.items():
        if reach[name] > 1e-6:
            assert pb[(name, action)] == pytest.approx(prob, abs=1e-6), (name, action)


@given(small_zero_sum, seeds, st.integers(1, 4))
def test_batched_equals_looped(game, seed, size):
    rng = np.random.default_rng(seed)
    u = rng.integers(-6, 7, size=(size, game.num_terminals)) / 2
    batch = game.with_batch(payoffs=np.stack([u, -u], axis=-1), chance_prob=random_chance_probs(game, rng, size))
    together = sequence_lp(batch)
    assert together.values.shape == (size, 2)
    assert np.shape(together.nash_conv) == (size,)
    assert isinstance(together.info["lp_value"], list)
    for b in range(size):
        alone = sequence_lp(batch.batch_item(b))
        np.testing.assert_allclose(together.values[b], alone.values, rtol=0, atol=1e-12)
        assert together.nash_conv[b] == pytest.approx(alone.nash_conv, abs=1e-12)
        for x, y in zip(together.profile.probabilities, alone.profile.probabilities, strict=True):
            np.testing.assert_allclose(x[b], y, rtol=0, atol=1e-12)
    assert np.all(together.nash_conv <= 1e-8)


# ---------------------------------------------------------------------------- normal form
@given(st.integers(1, 5), st.integers(1, 5), seeds)
def test_matrix_games(m, n, seed):
    a = np.random.default_rng(seed).integers(-5, 6, size=(m, n)).astype(float)
    game = NormalFormGame.zero_sum(a)
    solution = sequence_lp(game)
    assert isinstance(solution.profile, MixedProfile)
    assert solution.values[0] == pytest.approx(matrix_game_value(a), abs=1e-9)
    assert solution.nash_conv <= 1e-9
    tree = sequence_lp(to_extensive(game))
    assert tree.values[0] == pytest.approx(solution.values[0], abs=1e-9)


def test_matching_pennies_and_normal_batches():
    solution = sequence_lp(library.matching_pennies())
    np.testing.assert_allclose(solution.profile.probabilities, [[0.5, 0.5], [0.5, 0.5]])
    np.testing.assert_allclose(solution.values, [0.0, 0.0], atol=1e-12)
    a = np.array([[[3.0, 0.0], [0.0, 1.0]], [[1.0, -1.0], [-1.0, 1.0]]])
    batch = NormalFormGame(np.stack([a, 5 - a], axis=1), batched=True)
    solved = sequence_lp(batch)
    np.testing.assert_allclose(solved.values, [[0.75, 4.25], [0.0, 5.0]], atol=1e-9)
    assert solved.info["constant"] == [5.0, 5.0]
    assert np.all(solved.nash_conv <= 1e-9)


# ---------------------------------------------------------------------------- errors
def test_general_sum_is_refused():
    with pytest.raises(SolverError, match="two-player zero-sum game; use 'lemke' or 'cfr'"):
        sequence_lp(library.prisoners_dilemma(form="extensive"))
    with pytest.raises(SolverError, match="zero-sum"):
        sequence_lp(library.battle_of_the_sexes())


def test_three_players_are_refused():
    b = GameBuilder(["A", "B", "C"])
    for node in b.root.decision("A", ["x", "y"]):
        node.terminal([1, -1, 0])
    with pytest.raises(SolverError, match="3 player"):
        sequence_lp(b.build())


def test_imperfect_recall_is_refused():
    with pytest.raises(SolverError, match="perfect recall"):
        sequence_lp(imperfect_recall_game())


def test_bad_input_is_refused():
    with pytest.raises(SolverError, match="extensive-form or normal-form"):
        sequence_lp("kuhn")
    with pytest.raises(SolverError, match="tol"):
        sequence_lp(library.kuhn_poker(), tol=0)


def test_falls_back_to_the_second_lp_when_the_multipliers_fail(monkeypatch):
    import negsim.solvers.sequence_lp as module

    solve = module._solve

    def spoiled(A, E, F, tol, item=None):
        result = solve(A, E, F, tol, item)
        result.y = np.zeros_like(result.y)  # not a realization plan: the check must catch it
        result.y[0] = 1.0
        return result

    monkeypatch.setattr(module, "_solve", spoiled)
    solution = sequence_lp(library.kuhn_poker())
    assert solution.info["dual"] == "second LP"
    assert abs(solution.values[0] - KUHN_VALUE) < 1e-9
    assert solution.nash_conv <= 1e-9
    matrix = sequence_lp(NormalFormGame.zero_sum([[3.0, 0.0], [0.0, 1.0]]))
    assert matrix.info["dual"] == "second LP"
    assert matrix.values[0] == pytest.approx(0.75)


def test_zero_sum_with_large_payoffs_is_accepted():
    kuhn = library.kuhn_poker()
    u = kuhn.payoffs * 1e9 / 3.0
    u[:, 1] = -u[:, 0] * (1 + 1e-15)  # zero-sum up to rounding
    solution = sequence_lp(kuhn.with_batch(payoffs=u))
    assert solution.values[0] == pytest.approx(KUHN_VALUE * 1e9 / 3.0, rel=1e-9)
