"""certify and polish, which back every "certified" claim: checked against plain walks over random trees.

A profile :func:`certify` accepts must have NashConv 0 and be a best response at every
information set against its trembled version; one it rejects must fail one of the two.
Both are recomputed here by recursive walks (tests/gamegen.py), without negsim's kernels.
"""

from __future__ import annotations

import itertools

import numpy as np
import pygambit as gbt
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from negsim.analysis.refine import EXACT, GAP, certify, polish
from negsim.games import CHANCE, DECISION, TERMINAL, BehaviorProfile, ExtensiveFormGame, NormalFormGame
from negsim.games.convert import to_extensive
from tests.gamegen import (
    behaviour_of,
    extensive_games,
    nash_conv_by_walk,
    normal_form_games,
    sequence_numbering,
)

TREMBLE = 1e-3


def _pure(game: ExtensiveFormGame, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for acts in game.infosets.actions:
        one = np.zeros(len(acts))
        one[rng.integers(len(acts))] = 1.0
        out.append(one)
    return out


def _public(game: ExtensiveFormGame, behaviour: list[np.ndarray]) -> list[np.ndarray]:
    """Per-player arrays in sequence order (the layout of BehaviorProfile.probabilities)."""
    first = sequence_numbering(game)
    out = [np.zeros(s) for s in game.num_sequences]
    for i, probs in enumerate(behaviour):
        p, start = int(game.infosets.player[i]), int(first[i]) - 1
        out[p][start : start + len(probs)] = probs
    return out


def _trembled(behaviour: list[np.ndarray], epsilon: float) -> list[np.ndarray]:
    return [epsilon + (1 - len(b) * epsilon) * b if len(b) >= 2 else b for b in behaviour]


def _worst_gap(game: ExtensiveFormGame, behaviour: list[np.ndarray], epsilon: float) -> float:
    """Largest relative loss of the chosen action at any information set, everyone trembling."""
    shaken = _trembled(behaviour, epsilon)

    def value(h: int) -> np.ndarray:
        kind = int(game.kind[h])
        if kind == TERMINAL:
            return game.payoffs[int(game.terminal_index[h])]
        kids = game.children(h)
        probs = game.chance_prob[kids] if kind == CHANCE else shaken[int(game.infoset[h])]
        return sum(float(q) * value(int(c)) for q, c in zip(probs, kids, strict=True))

    q_sum: dict[int, np.ndarray] = {}

    def down(h: int, reach: np.ndarray) -> None:  # reach[p]: everyone but p (and chance)
        kind = int(game.kind[h])
        if kind == TERMINAL:
            return
        kids = game.children(h)
        if kind == DECISION:
            g, p = int(game.infoset[h]), int(game.player[h])
            q = np.array([value(int(c))[p] for c in kids]) * reach[p]
            q_sum[g] = q_sum.get(g, 0) + q
        for a, c in enumerate(kids):
            nxt = reach.copy()
            if kind == CHANCE:
                nxt *= float(game.chance_prob[c])
            else:
                p = int(game.player[h])
                mover = float(shaken[int(game.infoset[h])][a])
                nxt[np.arange(len(nxt)) != p] *= mover
            down(int(c), nxt)

    down(0, np.ones(game.num_players))
    worst = 0.0
    for g, q in q_sum.items():
        scale = np.abs(q).max()
        if len(q) >= 2 and scale > 0:
            worst = max(worst, float((q.max() - q @ behaviour[g]) / scale))
    return worst


@settings(max_examples=60, deadline=None)
@given(extensive_games(max_depth=4, max_nodes=40), st.integers(0, 2**32 - 1))
def test_certify_agrees_with_walks(game, seed):
    behaviour = _pure(game, seed)
    scale = max(1.0, float(np.abs(game.payoffs).max()))
    conv = nash_conv_by_walk(game, behaviour) / scale
    gap = _worst_gap(game, behaviour, TREMBLE)
    # keep away from the tolerances, where rounding may fall either way
    assume(not (1e-12 < conv < 1e-6) and not (1e-9 < gap < 1e-5))
    verdict = bool(certify(game, _public(game, behaviour), tremble=TREMBLE)[0])
    assert verdict == (conv <= 1e-12 and gap <= 1e-9)
    nash_only = bool(certify(game, _public(game, behaviour), tremble=0.0)[0])
    assert nash_only == (conv <= 1e-12)


@settings(max_examples=40, deadline=None)
@given(extensive_games(max_depth=4, max_nodes=40), st.integers(0, 2**32 - 1))
def test_polish_returns_a_pure_profile(game, seed):
    start = BehaviorProfile(game, _public(game, _pure(game, seed)))
    behaviour = behaviour_of(game, polish(start, tremble=TREMBLE))
    assert all(np.isin(b, (0.0, 1.0)).all() and b.sum() == 1 for b in behaviour)


def test_certify_takes_a_batch():
    from negsim.games import library

    game = library.matching_pennies("extensive")
    pure = _public(game, [np.array([1.0, 0.0]), np.array([1.0, 0.0])])
    batch = game.with_batch(payoffs=np.stack([game.payoffs, np.zeros_like(game.payoffs)]))
    # pennies: a pure profile is no equilibrium; all-zero payoffs: everything is
    assert certify(batch, pure, tremble=TREMBLE).tolist() == [False, True]


# ---------------------------------------------------------------------------- accepted and rejected profiles
# The properties behind every "certified" claim, on the profiles polish produces as well as on
# random pure ones: certify accepts a profile exactly when its NashConv is 0 within EXACT (relative
# to the largest payoff) and, with a tremble, its action is within GAP of the best at every
# information set against everyone's trembled play. The checks below recompute both by plain
# walks or enumeration, and by pygambit for the NashConv of normal-form games; a small slack
# absorbs the different order of floating-point sums at the thresholds themselves.
SLACK = 1e-12


def _assert_verdict(verdict: bool, conv: float, gap: float, tremble: float) -> None:
    if verdict:
        assert conv <= EXACT + SLACK, f"accepted with relative NashConv {conv:.3g}"
        assert tremble == 0 or gap <= GAP + SLACK, f"accepted with an information-set gap {gap:.3g}"
    else:
        assert conv > EXACT - SLACK or (tremble > 0 and gap > GAP - SLACK), (
            f"rejected an equilibrium: relative NashConv {conv:.3g}, gap {gap:.3g}"
        )


def _matrix_checks(game: NormalFormGame, pure: list[int], tremble: float) -> tuple[float, float, float]:
    """(relative NashConv by enumeration, the same by pygambit, worst gap against trembles) of a pure profile."""
    payoffs = game.payoffs
    n = game.num_players
    conv = 0.0
    for p in range(n):
        here = list(pure)
        values = []
        for j in range(game.shape[p]):
            here[p] = j
            values.append(float(payoffs[(p, *here)]))
        conv += max(values) - values[pure[p]]
    scale = max(1.0, float(np.abs(payoffs).max()))
    gambit = gbt.Game.from_arrays(*[payoffs[p] for p in range(n)])
    profile = gambit.mixed_strategy_profile(rational=False)
    for p, player in enumerate(gambit.players):
        for j, strategy in enumerate(player.strategies):
            profile[strategy] = 1.0 if j == pure[p] else 0.0
    gambit_conv = sum(float(profile.player_regret(player)) for player in gambit.players)
    # everyone trembles; a player's value of each strategy against the others' trembled play
    shaken = []
    for p, a in enumerate(game.shape):
        one = np.eye(a)[pure[p]]
        shaken.append(tremble + (1 - a * tremble) * one if a >= 2 else one)
    gap = 0.0
    for p, a in enumerate(game.shape):
        if a < 2:
            continue
        q = np.zeros(a)
        for cell in itertools.product(*(range(k) for k in game.shape)):
            weight = np.prod([shaken[r][cell[r]] for r in range(n) if r != p])
            q[cell[p]] += weight * payoffs[(p, *cell)]
        top = np.abs(q).max()
        if top > 0:
            gap = max(gap, float((q.max() - q[pure[p]]) / top))
    return conv / scale, gambit_conv / scale, gap


@given(normal_form_games(max_players=3, max_actions=3), st.integers(0, 2**32 - 1), st.sampled_from([0.0, TREMBLE]))
def test_certify_and_polish_on_normal_forms_agree_with_enumeration_and_pygambit(game, seed, tremble):
    tree = to_extensive(game)
    rng = np.random.default_rng(seed)
    start = [int(rng.integers(a)) for a in game.shape]
    polished = polish(BehaviorProfile(tree, [np.eye(a)[j] for a, j in zip(game.shape, start, strict=True)]),
                      tremble=TREMBLE)
    # in the tree of a normal form every player has one information set, its actions the strategies
    for pure in (start, [int(np.argmax(x)) for x in polished.probabilities]):
        probabilities = [np.eye(a)[j] for a, j in zip(game.shape, pure, strict=True)]
        verdict = bool(certify(tree, probabilities, tremble=tremble)[0])
        conv, gambit_conv, gap = _matrix_checks(game, pure, tremble)
        assert abs(conv - gambit_conv) <= 1e-12
        _assert_verdict(verdict, conv, gap, tremble)


@given(extensive_games(max_depth=4, max_nodes=40), st.integers(0, 2**32 - 1), st.sampled_from([0.0, TREMBLE]))
def test_certify_and_polish_on_trees_agree_with_walks(game, seed, tremble):
    start = _pure(game, seed)
    polished = polish(BehaviorProfile(game, _public(game, start)), tremble=TREMBLE)
    scale = max(1.0, float(np.abs(game.payoffs).max()))
    for behaviour in (start, behaviour_of(game, polished)):
        verdict = bool(certify(game, _public(game, behaviour), tremble=tremble)[0])
        conv = nash_conv_by_walk(game, behaviour) / scale
        _assert_verdict(verdict, conv, _worst_gap(game, behaviour, tremble) if tremble else 0.0, tremble)


@given(extensive_games(max_depth=4, max_nodes=40), st.integers(0, 2**32 - 1))
def test_a_fixed_point_of_polish_is_a_best_response_at_every_information_set(game, seed):
    polished = polish(BehaviorProfile(game, _public(game, _pure(game, seed))), tremble=TREMBLE)
    # polish may stop after its rounds without a fixed point: best responses can cycle (as in
    # matching pennies), and a cycle whose length divides the rounds would look like a fixed
    # point to a second full polish; one sweep without a change is the fixed point
    again = polish(polished, tremble=TREMBLE, rounds=1)
    assume(all(np.array_equal(a, b) for a, b in zip(polished.probabilities, again.probabilities, strict=True)))
    assert _worst_gap(game, behaviour_of(game, polished), TREMBLE) <= GAP + SLACK


@settings(max_examples=30, deadline=None)
@given(extensive_games(max_depth=4, max_nodes=40), st.integers(0, 2**32 - 1))
def test_polish_of_a_batch_equals_the_polish_of_each_setting(game, seed):
    # the batch drops settings that stopped moving; that must not change any setting's answer
    rng = np.random.default_rng(seed)
    payoffs = np.stack([game.payoffs * rng.uniform(0.5, 2.0) + rng.normal(0, 1, game.payoffs.shape)
                        for _ in range(5)])
    batch = game.with_batch(payoffs=payoffs)
    starts = [_public(game, _pure(game, seed + b)) for b in range(5)]
    stacked = [np.stack([s[p] for s in starts]) for p in range(game.num_players)]
    together = polish(BehaviorProfile(batch, stacked), tremble=TREMBLE, rounds=7)
    for b in range(5):
        alone = polish(BehaviorProfile(game.with_batch(payoffs=payoffs[b]), starts[b]), tremble=TREMBLE, rounds=7)
        for p in range(game.num_players):
            np.testing.assert_array_equal(together.probabilities[p][b], alone.probabilities[p])
