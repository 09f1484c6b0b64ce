"""Refining an approximate equilibrium into a certified one.

CFR+ with a tremble (:func:`negsim.solvers.cfr.cfr`) approaches an equilibrium of the
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
    >>> batch = compiled.game_for({"secondary_tariff": [1.0, 5.0], "us_resolve_prior": [0.25, 0.9]})
    >>> certify(batch, list(pure), tremble=1e-3).tolist()
    [True, False]
    """
    gains = deviation_gains(game, probabilities)  # [B, n]
    scale = np.abs(game.payoffs).max(axis=(-2, -1)) if game.payoffs.ndim == 3 else np.abs(game.payoffs).max()
    ok = gains.sum(axis=-1) <= EXACT * np.maximum(scale, 1.0)
    if tremble <= 0:
        return np.broadcast_to(np.atleast_1d(ok), (game.batch_size or 1,)).copy()
    ev = Evaluator(game)
    sigmas, gathered, plans = [], [], []
    for p in range(game.num_players):
        sigma = ev.tremble(p, ev.kernel_from_public(p, probabilities[p]), tremble)
        G = ev.gather(p, sigma)
        x = np.zeros_like(sigma)
        ev.plan_from_gather(G, out=x[: G.shape[1]])
        sigmas.append(sigma)
        gathered.append(G)
        plans.append(x)
    pure = [ev.kernel_from_public(p, probabilities[p]) for p in range(game.num_players)]
    for p in range(game.num_players):
        direct = ev.direct_values(p, plans)
        values = ev.counterfactual_values(p, gathered[p], direct, np.empty_like(gathered[p]))
        ok &= ev.infoset_gaps(p, values, pure[p]) <= GAP
    return np.atleast_1d(ok)


def _trembled_values(
    ev: Evaluator, sigmas: list[np.ndarray], tremble: float
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    n = ev.num_players
    gathered, plans = [], []
    for p in range(n):
        trembled = ev.tremble(p, sigmas[p].copy(), tremble)
        G = ev.gather(p, trembled)
        x = np.zeros_like(trembled)
        ev.plan_from_gather(G, out=x[: G.shape[1]])
        gathered.append(G)
        plans.append(x)
    return gathered, plans


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
    sigmas = [_argmax_profile(ev, p, s, s) for p, s in enumerate(sigmas)]
    for _ in range(rounds):
        changed = False
        for p in range(n):
            gathered, plans = _trembled_values(ev, sigmas, tremble)
            direct = ev.direct_values(p, plans)
            values = ev.counterfactual_values(p, gathered[p], direct, np.empty_like(gathered[p]))
            new = _argmax_profile(ev, p, values, sigmas[p])
            if not np.array_equal(new, sigmas[p]):
                changed = True
                sigmas[p] = new
        if not changed:
            break
    return BehaviorProfile(game, [ev.public_probabilities(p, sigmas[p]) for p in range(n)])


def _argmax_profile(ev: Evaluator, p: int, values: np.ndarray, current: np.ndarray) -> np.ndarray:
    """One-hot best actions per information set; keep the current action when it ties for best."""
    pp = ev.plex.players[p]
    out = current.copy()
    tail = values.shape[1:]
    for k, lo, count in pp.groups:
        if k == 1:
            continue
        shape = (k, count) + tail
        v = values[lo : lo + k * count].reshape(shape)
        cur = current[lo : lo + k * count].reshape(shape).argmax(axis=0)
        best = v.argmax(axis=0)
        top = v.max(axis=0)
        scale = np.maximum(np.abs(v).max(axis=0), 1e-300)
        keep = np.take_along_axis(v, cur[None], axis=0)[0] >= top - GAP * scale
        choice = np.where(keep, cur, best)
        out[lo : lo + k * count] = (np.arange(k).reshape((k,) + (1,) * (1 + len(tail))) == choice[None]).reshape(
            (k * count,) + tail
        )
    return out
