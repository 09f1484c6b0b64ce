"""CFR, CFR+, linear CFR and DCFR: known values, convergence, batching, invariances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import negsim
from negsim.games import BehaviorProfile, GameBuilder, library
from negsim.games.convert import reduced_normal_form
from negsim.games.extensive import CHANCE, TERMINAL
from negsim.solvers import _cfr as cfr_module
from negsim.solvers import cfr, nash_conv
from tests.gamegen import extensive_games, matrix_game_value, random_chance_probs

VARIANTS = ["cfr", "cfr+", "lcfr", "dcfr"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_kuhn_value(variant):
    solution = cfr(library.kuhn_poker(), variant=variant, iterations=3000)
    assert solution.values[0] == pytest.approx(-1 / 18, abs=2e-3)
    assert solution.nash_conv < 3e-3
    assert solution.method == variant
    # the reported NashConv is the NashConv of the returned profile
    assert nash_conv(solution.game, solution.profile) == pytest.approx(solution.nash_conv, abs=1e-12)


def test_kuhn_cfr_plus_value_to_1e3():
    solution = cfr(library.kuhn_poker(), variant="cfr+", iterations=1000)
    assert abs(solution.values[0] + 1 / 18) < 1e-3


def test_leduc_cfr_plus_reaches_nash_conv_below_1e3_within_1000_iterations():
    solution = cfr(library.leduc_poker(), variant="cfr+", iterations=1000, track_every=100)
    assert solution.nash_conv < 1e-3
    assert solution.values[0] == pytest.approx(-0.0856, abs=2e-3)
    # OpenSpiel's CFR+ reaches exploitability (NashConv / 2) 0.0134 after 100 iterations
    at_100 = dict(solution.history)[100]
    assert at_100 / 2 == pytest.approx(0.0134, rel=0.02)


@pytest.mark.parametrize("variant", VARIANTS)
@settings(max_examples=15)
@given(game=extensive_games(zero_sum=True, max_depth=4))
def test_converges_to_the_value_of_random_zero_sum_games(variant, game):
    solution = cfr(game, variant=variant, iterations=3000, track_every=0)
    # independent oracle: the value of the reduced normal form by an LP
    value = matrix_game_value(reduced_normal_form(game).payoffs[0])
    scale = max(1.0, float(np.abs(game.payoffs).max()))
    tol = 0.05 if variant == "cfr" else 0.02
    assert solution.values[0] == pytest.approx(value, abs=tol * scale)
    assert solution.nash_conv <= tol * scale


@settings(max_examples=15)
@given(game=extensive_games(min_players=2, max_players=3, max_depth=4), seed=st.integers(0, 2**31))
def test_batched_equals_looped(game, seed):
    rng = np.random.default_rng(seed)
    B = 3
    payoffs = rng.normal(size=(B,) + game.payoffs.shape)
    chance = random_chance_probs(game, rng, batch_size=B)
    batch = game.with_batch(payoffs=payoffs, chance_prob=chance)
    for variant in ("cfr+", "dcfr"):
        together = cfr(batch, variant=variant, iterations=50, track_every=10)
        assert together.values.shape == (B, game.num_players)
        assert np.shape(together.nash_conv) == (B,)
        for b in range(B):
            alone = cfr(batch.batch_item(b), variant=variant, iterations=50, track_every=10)
            np.testing.assert_allclose(together.values[b], alone.values, atol=1e-10)
            assert together.nash_conv[b] == pytest.approx(alone.nash_conv, abs=1e-10)
            for p in range(game.num_players):
                np.testing.assert_allclose(
                    together.profile.probabilities[p][b], alone.profile.probabilities[p], atol=1e-10
                )
            assert [h[1][b] for h in together.history] == pytest.approx([h[1] for h in alone.history], abs=1e-10)


@settings(max_examples=25, deadline=None)
@given(extensive_games(max_players=3), st.integers(0, 2**32 - 1), st.sampled_from(["uniform", "random", "profile"]))
def test_a_batch_cut_into_blocks_gives_the_same_answer(game, seed, initial):
    """Large batches run in cache-sized blocks of games; blocks must not change any number."""
    rng = np.random.default_rng(seed)
    B = 7
    batch = game.with_batch(
        payoffs=rng.normal(size=(B,) + game.payoffs.shape), chance_prob=random_chance_probs(game, rng, batch_size=B)
    )
    if initial == "profile":  # a batched starting profile must be cut with the batch
        start = cfr(batch, iterations=3, track_every=0).profile
    else:
        start = initial
    options = dict(variant="cfr+", iterations=30, track_every=5, initial=start, seed=seed % 1000)
    whole = cfr(batch, **options)
    blocks = [None]
    original = cfr_module.BLOCK_ENTRIES
    try:  # blocks of about two games
        cfr_module.BLOCK_ENTRIES = 2 * game.num_terminals
        blocks = cfr_module._blocks(batch)
        cut = cfr(batch, **options)
    finally:
        cfr_module.BLOCK_ENTRIES = original
    assert len(blocks) == 4
    # equal up to the order of floating-point sums (numpy's reductions over 2 or 7 columns)
    close = dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cut.values, whole.values, **close)
    np.testing.assert_allclose(cut.nash_conv, whole.nash_conv, **close)
    for p in range(game.num_players):
        np.testing.assert_allclose(cut.profile.probabilities[p], whole.profile.probabilities[p], **close)
    assert [h[0] for h in cut.history] == [h[0] for h in whole.history]
    np.testing.assert_allclose([h[1] for h in cut.history], [h[1] for h in whole.history], **close)


def test_blocks_cover_the_batch_evenly():
    kuhn = library.kuhn_poker()
    T = kuhn.num_terminals
    assert cfr_module._blocks(kuhn) == [None]
    small = kuhn.with_batch(payoffs=np.zeros((10, T, 2)))
    assert cfr_module._blocks(small) == [None]
    large = kuhn.with_batch(payoffs=np.zeros((100_000, T, 2)))
    blocks = cfr_module._blocks(large)
    sizes = [b.stop - b.start for b in blocks]
    assert blocks[0].start == 0 and blocks[-1].stop == 100_000
    assert all(a.stop == b.start for a, b in zip(blocks, blocks[1:], strict=False))
    assert max(sizes) * T <= cfr_module.BLOCK_ENTRIES and max(sizes) - min(sizes) <= 1


def test_batch_of_kuhn_variants():
    kuhn = library.kuhn_poker()
    scales = np.array([0.5, 1.0, 3.0])
    batch = kuhn.with_batch(payoffs=kuhn.payoffs[None] * scales[:, None, None])
    solution = cfr(batch, iterations=1000)
    np.testing.assert_allclose(solution.values[:, 0] / scales, -1 / 18, atol=1e-3)


def _reverse_actions(game):
    """The same game with the actions at every node in reverse order."""
    b = GameBuilder(game.players)

    def copy(h, node):
        kind = int(game.kind[h])
        kids = game.children(h)[::-1]
        if kind == TERMINAL:
            node.terminal(game.payoffs[game.terminal_index[h]].tolist())
            return
        if kind == CHANCE:
            acts = game.chance_infosets.actions[game.infoset[h]][::-1]
            probs = [(a, float(game.chance_prob[c])) for a, c in zip(acts, kids, strict=True)]
            children = node.chance(probs, infoset=f"c{int(game.infoset[h])}")
        else:
            i = int(game.infoset[h])
            children = node.decision(int(game.player[h]), game.infosets.actions[i][::-1], infoset=f"i{i}")
        for child, k in zip(children, kids, strict=True):
            copy(int(k), child)

    copy(0, b.root)
    return b.build()


@settings(max_examples=15)
@given(game=extensive_games(min_players=2, max_players=3, max_depth=4))
def test_relabelling_actions_permutes_the_profile(game):
    flipped = _reverse_actions(game)
    a = cfr(game, iterations=30, track_every=0)
    b = cfr(flipped, iterations=30, track_every=0)
    np.testing.assert_allclose(a.values, b.values, atol=1e-10)
    # map each information set by its label ("i<index>") and compare reversed probabilities
    for entry in b.profile.to_list():
        original = int(entry["label"][1:])
        p = int(game.infosets.player[original])
        local = original - game.infoset_offset[p]
        probs = a.profile.action_probabilities(p, local)
        assert entry["probabilities"] == pytest.approx(list(probs.values())[::-1], abs=1e-10)


def test_positive_affine_payoff_change_leaves_cfr_plus_profile_unchanged():
    kuhn = library.kuhn_poker()
    scaled = kuhn.with_batch(payoffs=kuhn.payoffs * np.array([3.0, 3.0]))
    a = cfr(kuhn, iterations=200, track_every=0)
    b = cfr(scaled, iterations=200, track_every=0)
    for p in range(2):
        np.testing.assert_allclose(a.profile.probabilities[p], b.profile.probabilities[p], atol=1e-12)


def test_alternating_and_simultaneous_both_converge():
    kuhn = library.kuhn_poker()
    for alternating in (True, False):
        solution = cfr(kuhn, variant="cfr+", iterations=2000, alternating=alternating)
        assert solution.nash_conv < 5e-3
        assert solution.info["alternating"] is alternating


def test_three_player_game_reports_nash_conv_of_its_profile():
    b = GameBuilder(["A", "B", "C"])
    for i, node in enumerate(b.root.decision("A", ["x", "y"])):
        for j, node2 in enumerate(node.decision("B", ["x", "y"], infoset="B")):
            for k, leaf in enumerate(node2.decision("C", ["x", "y"], infoset="C")):
                leaf.terminal([i + j * k, 1 - i * j, (i + j + k) % 2])
    game = b.build()
    solution = cfr(game, iterations=500)
    assert solution.values.shape == (3,)
    assert nash_conv(game, solution.profile) == pytest.approx(solution.nash_conv, abs=1e-12)


def test_history_target_and_callback():
    kuhn = library.kuhn_poker()
    solution = cfr(kuhn, iterations=5000, target_nash_conv=1e-2)
    assert solution.converged is True
    assert solution.iterations < 5000
    assert solution.history[-1][1] <= 1e-2
    iterations = [i for i, _ in cfr(kuhn, iterations=1000).history]
    assert iterations == sorted(iterations) and iterations[-1] == 1000 and 10 in iterations
    seen = []
    solution = cfr(kuhn, iterations=1000, track_every=25, callback=lambda t, nc: seen.append(t) or t >= 100)
    assert solution.iterations == 100 and seen == [25, 50, 75, 100]
    never = cfr(kuhn, iterations=20, target_nash_conv=1e-12)
    assert never.converged is False


def test_nash_conv_history_of_cfr_plus_decreases_overall():
    solution = cfr(library.leduc_poker(), iterations=200, track_every=20)
    values = [v for _, v in solution.history]
    assert values[-1] < values[0] / 5


def test_seed_makes_random_initial_strategies_reproducible():
    kuhn = library.kuhn_poker()
    a = cfr(kuhn, iterations=5, initial="random", seed=7, track_every=0)
    b = cfr(kuhn, iterations=5, initial="random", seed=7, track_every=0)
    c = cfr(kuhn, iterations=5, initial="random", seed=8, track_every=0)
    np.testing.assert_array_equal(a.profile.probabilities[0], b.profile.probabilities[0])
    assert not np.allclose(a.profile.probabilities[0], c.profile.probabilities[0])
    start = BehaviorProfile.uniform(kuhn)
    d = cfr(kuhn, iterations=5, initial=start, track_every=0)
    e = cfr(kuhn, iterations=5, track_every=0)
    np.testing.assert_allclose(d.profile.probabilities[0], e.profile.probabilities[0])


def test_progress_bar_runs(capsys):
    cfr(library.kuhn_poker(), iterations=50, progress=True)


def test_solution_to_dict_is_json_ready():
    import json

    solution = cfr(library.kuhn_poker(), iterations=10)
    data = json.loads(json.dumps(solution.to_dict()))
    assert data["method"] == "cfr+" and data["iterations"] == 10
    assert len(data["profile"]) == 12
    assert {"player", "infoset", "label", "actions", "probabilities"} <= set(data["profile"][0])
    assert "Solution(method='cfr+'" in repr(solution)


def test_errors():
    kuhn = library.kuhn_poker()
    with pytest.raises(negsim.SolverError, match="unknown CFR variant"):
        cfr(kuhn, variant="cfr++")
    with pytest.raises(negsim.SolverError, match="at least 1"):
        cfr(kuhn, iterations=0)
    with pytest.raises(negsim.SolverError):
        cfr(library.matching_pennies())
    forgetful = GameBuilder(["A", "B"])
    for node in forgetful.root.decision("A", ["l", "r"], infoset="first"):
        for leaf_parent in node.decision("B", ["l", "r"], infoset="b"):
            for leaf in leaf_parent.decision("A", ["l", "r"], infoset="forgot"):
                leaf.terminal([1, -1])
    with pytest.raises(negsim.SolverError, match="perfect recall"):
        cfr(forgetful.build())


@pytest.mark.parametrize("variant", VARIANTS)
def test_matches_openspiel_reference_implementations_iteration_by_iteration(variant):
    """The same algorithm, run by OpenSpiel's Python solvers, reaches the same exploitability."""
    pyspiel = pytest.importorskip("pyspiel", reason="needs OpenSpiel (pip install open-spiel; in the test extra)")
    from open_spiel.python.algorithms import cfr as os_cfr
    from open_spiel.python.algorithms import discounted_cfr
    from open_spiel.python.algorithms import exploitability as os_exploitability

    game = pyspiel.load_game("kuhn_poker")
    solver = {
        "cfr": lambda: os_cfr.CFRSolver(game),
        "cfr+": lambda: os_cfr.CFRPlusSolver(game),
        "lcfr": lambda: discounted_cfr.DCFRSolver(game, alpha=1, beta=1, gamma=1),
        "dcfr": lambda: discounted_cfr.DCFRSolver(game, alpha=1.5, beta=0, gamma=2),
    }[variant]()
    kuhn = library.kuhn_poker()
    for it in range(1, 61):
        solver.evaluate_and_update_policy()
        if it in (1, 7, 60):
            theirs = os_exploitability.exploitability(game, solver.average_policy())
            ours = cfr(kuhn, variant=variant, iterations=it, track_every=0).exploitability
            assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------------- time limit
@pytest.mark.parametrize("variant", VARIANTS)
def test_time_limit_stops_early_with_the_best_checkpoint(variant):
    kuhn = library.kuhn_poker()
    batch = kuhn.with_batch(payoffs=kuhn.payoffs * np.array([1.0, 3.0])[:, None, None])
    for game in (kuhn, batch):
        solution = cfr(game, variant=variant, iterations=10**9, time_limit=0.05, track_every=1)
        assert solution.info["stopped_early"] is True and solution.info["time_limit"] == 0.05
        assert solution.converged is False and 1 <= solution.iterations < 10**9
        # the returned profile is, game by game, the lowest NashConv among the tracking points
        measured = np.array([np.atleast_1d(nc) for _, nc in solution.history])
        np.testing.assert_allclose(np.atleast_1d(solution.nash_conv), measured.min(axis=0), rtol=1e-12)
        np.testing.assert_allclose(nash_conv(game, solution.profile), solution.nash_conv, atol=1e-12)


def test_time_limit_that_is_not_reached_changes_nothing():
    kuhn = library.kuhn_poker()
    plain = cfr(kuhn, iterations=200)
    limited = cfr(kuhn, iterations=200, time_limit=3600)
    assert "stopped_early" not in limited.info and limited.converged is None
    for a, b in zip(plain.profile.probabilities, limited.profile.probabilities, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "soon", True])
def test_time_limit_must_be_positive_seconds(bad):
    with pytest.raises(negsim.SolverError, match="time_limit"):
        cfr(library.kuhn_poker(), iterations=10, time_limit=bad)
