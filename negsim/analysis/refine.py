"""Refining an approximate equilibrium into a certified one.

CFR+ with a tremble (:func:`negsim.solvers.cfr`) approaches an equilibrium of the
perturbed game in which every action keeps probability ``tremble``. Its average profile
is slow to settle at information sets that are reached only through trembles. Two steps
turn it into a certified answer:

* :func:`polish`: at every information set, switch to the action with the highest
  counterfactual value against the *trembled* profile (every player, the mover included,
  playing each action with at least ``tremble``), one player at a time, until nothing
  changes. A fixed point is a pure profile that is sequentially rational against
  trembles -- an epsilon-perfect equilibrium in Selten's (1975) sense.
* :func:`certify`: check, for one profile and a whole batch of games at once, that
  (a) its NashConv is 0 and (b) it is a best response at every information set against
  its trembled version.
"""

from __future__ import annotations

import numpy as np

from negsim.games.extensive import ExtensiveFormGame
from negsim.games.profile import BehaviorProfile
from negsim.solvers._plex import Evaluator
from negsim.solvers.best_response import deviation_gains

__all__ = ["EXACT", "certify", "polish"]

EXACT = 1e-9
"""Relative tolerance under which a NashConv or a gap counts as 0."""

GAP = 1e-7
"""Relative tolerance on the value gap at an information set in condition (b)."""


def certify(game: ExtensiveFormGame, probabilities: list[np.ndarray], *, tremble: float) -> np.ndarray:
    """Which settings of a batched game a pure profile is a (trembling) equilibrium of.

    Parameters
    ----------
    game : ExtensiveFormGame
        A batch of ``B`` games.
    probabilities : list of ndarray [S_p] or [B, S_p]
        A behaviour profile shared by all settings, or one per setting.
    tremble : float
        The tremble of condition (b) in the module docstring (0 checks Nash only).

    Returns
    -------
    ndarray of bool [B]

    Examples
    --------
    >>> import numpy as np
    >>> from negsim.scenarios import load_scenario
    >>> from negsim.analysis import solve_game
    >>> compiled = load_scenario("istanbul-2025").compile()
    >>> pure = solve_game(compiled.game).profile.probabilities
    >>> batch = compiled.game_for({"eu_bite": [0.25, 1.0]})
    >>> certify(batch, list(pure), tremble=1e-3).tolist()
    [True, False]
    """
    gains = deviation_gains(game, probabilities)  # [B, n]
    scale = np.abs(game.payoffs).max(axis=(-2, -1)) if game.payoffs.ndim == 3 else np.abs(game.payoffs).max()
    ok = gains.sum(axis=-1) <= EXACT * np.maximum(scale, 1.0)
    if tremble <= 0:
        return np.broadcast_to(np.atleast_1d(ok), (game.batch_size or 1,)).copy()
    ev = Evaluator(game)
    pure = [ev.kernel_from_public(p, probabilities[p]) for p in range(game.num_players)]
    trembled = [ev.tremble(p, sigma.copy(), tremble) for p, sigma in enumerate(pure)]
    plans = [ev.plan(p, sigma) for p, sigma in enumerate(trembled)]
    for p in range(game.num_players):
        values = ev.counterfactual_values(p, trembled[p], ev.direct_values(p, plans))
        ok &= ev.infoset_gaps(p, values, pure[p]) <= GAP
    return np.atleast_1d(ok)


def polish(profile: BehaviorProfile, *, tremble: float, rounds: int = 50) -> BehaviorProfile:
    """Best responses at every information set against the trembled profile, to a fixed point.

    Parameters
    ----------
    profile : BehaviorProfile
        The starting point (for example CFR+'s purified average); single or batched.
    tremble : float
        Probability every action keeps in the profile played against.
    rounds : int
        Most sweeps over the players.

    Returns
    -------
    BehaviorProfile
        A pure profile (ties keep the starting profile's action where it is among the best).

    Examples
    --------
    >>> from negsim.games import library, BehaviorProfile
    >>> game = library.ultimatum(pie=3)
    >>> polished = polish(BehaviorProfile.uniform(game), tremble=1e-3)
    >>> polished.action_probabilities(0, 0)  # the responder accepts when indifferent
    {'offer 0': 1.0, 'offer 1': 0.0, 'offer 2': 0.0, 'offer 3': 0.0}
    """
    game = profile.game
    ev = Evaluator(game)
    n = game.num_players
    sigmas = [ev.kernel_from_public(p, profile.probabilities[p]) for p in range(n)]
    sigmas = [ev.argmax_onehot(p, s, s, GAP) for p, s in enumerate(sigmas)]
    if game.batch_size is None:
        sigmas = _best_reply_rounds(ev, sigmas, tremble, rounds)
    else:
        # a setting at a fixed point stays there, so a round may leave out the settings that
        # did not move in the round before (the answer is the same as sweeping all of them);
        # the sub-batch is cut anew only when it has halved, as cutting costs a few rounds
        active, sub = np.arange(game.batch_size), ev
        for _ in range(rounds):
            moved = np.zeros(active.size, bool)
            part = [np.ascontiguousarray(s[:, active]) for s in sigmas]
            part = _best_reply_rounds(sub, part, tremble, 1, moved)
            for s, new in zip(sigmas, part, strict=True):
                s[:, active] = new
            if not moved.any():
                break
            if 2 * moved.sum() <= active.size:
                active = active[moved]
                sub = Evaluator(_columns(game, active))
    return BehaviorProfile(game, [ev.public_probabilities(p, sigmas[p]) for p in range(n)])


def _best_reply_rounds(ev: Evaluator, sigmas: list[np.ndarray], tremble: float, rounds: int,
                       moved: np.ndarray | None = None) -> list[np.ndarray]:
    """Up to ``rounds`` sweeps of best replies against trembles (``moved`` marks the settings that changed)."""
    for _ in range(rounds):
        changed = False
        for p in range(len(sigmas)):
            trembled = [ev.tremble(q, s.copy(), tremble) for q, s in enumerate(sigmas)]
            plans = [ev.plan(q, s) for q, s in enumerate(trembled)]
            values = ev.counterfactual_values(p, trembled[p], ev.direct_values(p, plans))
            new = ev.argmax_onehot(p, values, sigmas[p], GAP)
            differs = new != sigmas[p]
            if np.any(differs):
                changed = True
                if moved is not None:
                    moved |= differs.any(axis=0)
                sigmas[p] = new
        if not changed:
            break
    return sigmas


def _columns(game: ExtensiveFormGame, columns: np.ndarray) -> ExtensiveFormGame:
    """The settings ``columns`` of a batched game."""
    chance = game.chance_prob[columns] if game.chance_prob.ndim == 2 else game.chance_prob
    return game.with_batch(payoffs=game.payoffs[columns], chance_prob=chance)
