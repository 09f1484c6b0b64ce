"""certify and polish, which back every "certified" claim: checked against plain walks over random trees.

A profile :func:`certify` accepts must have NashConv 0 and be a best response at every
information set against its trembled version; one it rejects must fail one of the two.
Both are recomputed here by recursive walks (tests/gamegen.py), without negsim's kernels.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from negsim.analysis.refine import certify, polish
from negsim.games import CHANCE, DECISION, TERMINAL, BehaviorProfile, ExtensiveFormGame
from tests.gamegen import behaviour_of, extensive_games, nash_conv_by_walk, sequence_numbering

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
