"""Solving compiled negotiations: choosing the method, perturbing, purifying.

A negotiation game usually has several agents, general-sum payoffs and private types, so
no exact method applies in general. The rule here:

* perfect information: backward induction (exact, subgame perfect);
* otherwise CFR+ with a small *tremble* (every action keeps a minimum probability while
  iterating, so every information set is reached and answered rationally: no
  equilibrium resting on a threat that would never be carried out), followed by
  *purification* (probabilities at or below a few trembles are set to 0) and *polishing*
  (:func:`negsim.analysis.refine.polish`: best responses at every information set
  against the trembled profile, to a fixed point). When the polished profile passes
  :func:`negsim.analysis.refine.certify` -- NashConv 0, and a best response at every
  information set against trembles -- it is returned and ``info["certified"]`` is True:
  an exact equilibrium free of non-credible threats. Otherwise the better of the
  purified and the raw CFR+ profile is returned with its NashConv.

  The CFR+ run is screened: a short first run of :data:`SCREEN_ITERATIONS` iterations is
  purified, polished and certified, and only the settings it does not certify are solved by
  the full run of ``iterations`` (most settings of a negotiation certify after a few dozen
  iterations, to the same equilibrium as after a thousand; the others are mixed or slow and
  get exactly the answer the full run alone would give).

The scenario's ``[solver]`` table may set ``method``, ``iterations``, ``tremble`` and
``tolerance`` (the NashConv below which ``negsim check`` accepts the solution).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from negsim.errors import SolverError
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.profile import BehaviorProfile
from negsim.solvers.best_response import expected_values, nash_conv
from negsim.solvers.dispatch import solve, time_limited_methods
from negsim.solvers.solution import Solution

__all__ = ["solve_game", "purify", "DEFAULTS", "SCREEN_ITERATIONS"]

DEFAULTS: dict[str, Any] = {"method": "auto", "iterations": 2000, "tremble": 1e-3, "tolerance": 1e-2}
"""Solver options used when a scenario's ``[solver]`` table does not set them."""


def purify(profile: BehaviorProfile, threshold: float) -> BehaviorProfile:
    """Set probabilities at or below ``threshold`` to 0 and renormalize each information set.

    Information sets where every action is at or below the threshold are left alone.

    Examples
    --------
    >>> from negsim.games import library
    >>> kuhn = library.kuhn_poker()
    >>> noisy = BehaviorProfile(kuhn, [[0.999, 0.001] * 6, [0.5, 0.5] * 6])
    >>> purify(noisy, 0.01).action_probabilities(0, 0)
    {'pass': 1.0, 'bet': 0.0}
    """
    game = profile.game
    sf = game.sequence_form
    out = []
    for p, probs in enumerate(profile.probabilities):
        cleaned = np.where(probs > threshold, probs, 0.0)
        starts = sf.sequence_start[p][:-1] - 1
        if cleaned.shape[-1] == 0:
            out.append(cleaned)
            continue
        sums = np.add.reduceat(cleaned, starts, axis=-1)
        counts = np.diff(sf.sequence_start[p])
        sums_per_seq = np.repeat(sums, counts, axis=-1)
        cleaned = np.where(sums_per_seq > 0, cleaned / np.where(sums_per_seq > 0, sums_per_seq, 1.0), probs)
        out.append(cleaned)
    return BehaviorProfile(game, out)


def solve_game(
    game: ExtensiveFormGame, options: Mapping[str, Any] | None = None, *, progress: bool = False
) -> Solution:
    """Solve a negotiation game with the rule in the module docstring.

    Parameters
    ----------
    game : ExtensiveFormGame
        A compiled negotiation (single or batch).
    options : mapping, optional
        ``method`` (``"auto"`` or any :func:`negsim.solve` method), ``iterations``,
        ``tremble`` (CFR only), ``tolerance``, and ``time_limit`` (seconds; passed to a method
        that takes it, see :func:`negsim.solvers.dispatch.time_limited_methods`, and
        ignored by one that runs to its end, such as backward induction).
    progress : bool
        Show a progress bar for iterative methods and the QRE.

    Returns
    -------
    Solution
        ``info["purified"]`` tells whether purification was used; ``info["tolerance"]``
        carries the tolerance on.
    """
    opts = dict(DEFAULTS)
    opts.update({k: v for k, v in (options or {}).items() if v is not None})
    method = str(opts["method"]).lower()
    if method == "auto":
        method = "backward" if game.is_perfect_information else "cfr+"
    started = time.perf_counter()
    if method in ("cfr", "cfr+", "lcfr", "dcfr"):
        solution = _screened_cfr(game, method, opts, progress)
    else:
        # the QRE traces lambda over many steps: it shows a bar too
        extra = {"progress": progress} if method == "qre" and progress else {}
        if opts.get("time_limit") is not None and method in time_limited_methods():
            extra["time_limit"] = float(opts["time_limit"])
        try:
            solution = solve(game, method=method, **extra)
        except TypeError as exc:  # pragma: no cover - defensive: unexpected options
            raise SolverError(f"method {method!r} does not take these options: {exc}") from None
    info = dict(solution.info)
    info["tolerance"] = float(opts["tolerance"])
    return replace(solution, seconds=time.perf_counter() - started, info=info)


SCREEN_ITERATIONS: int = 100
"""Iterations of the short first run of a trembled CFR solve (see :func:`_screened_cfr`)."""


def _refined_cfr(game: ExtensiveFormGame, method: str, iterations: int, tremble: float,
                 time_limit: float | None, progress: bool) -> Solution:
    """CFR with the tremble, then purification and polishing (the module docstring's rule)."""
    limit = {"time_limit": time_limit} if time_limit is not None else {}
    solution = solve(game, method=method, iterations=iterations, tremble=tremble, track_every=0,
                     progress=progress, **limit)
    if tremble > 0:
        solution = _purified(game, solution, threshold=3.0 * tremble)
        solution = _polished(game, solution, tremble)
    return solution


def _screened_cfr(game: ExtensiveFormGame, method: str, opts: Mapping[str, Any], progress: bool) -> Solution:
    """A short run first; the full run only for the settings whose short run is not certified.

    Most settings of a negotiation reach, after a few dozen iterations, a profile that
    polishes into the same certified equilibrium as the full run would, so a first run of
    :data:`SCREEN_ITERATIONS` iterations settles them; the full ``iterations`` run (from the
    start, exactly as without the screen) then solves only the others. A certified answer is
    an exact equilibrium whichever run found it, and a single game goes through the same two
    steps, so a batch still equals the loop of its single solves. ``info["screened"]`` counts
    the settings the short run settled.
    """
    started = time.perf_counter()
    iterations = int(opts["iterations"])
    max_actions = int(game.infosets.num_actions.max(initial=1))
    tremble = min(float(opts["tremble"]), 0.5 / max_actions)
    limit = None if opts.get("time_limit") is None else float(opts["time_limit"])
    if tremble <= 0 or iterations <= SCREEN_ITERATIONS:
        return _refined_cfr(game, method, iterations, tremble, limit, progress)
    first = _refined_cfr(game, method, SCREEN_ITERATIONS, tremble, limit, progress)
    good = np.atleast_1d(np.asarray(first.info.get("certified", False), bool))
    left = None if limit is None else limit - (time.perf_counter() - started)
    if good.all() or (left is not None and left <= 0) or first.info.get("stopped_early"):
        return replace(first, info={**first.info, "screened": int(good.sum())})
    if game.batch_size is None:
        full = _refined_cfr(game, method, iterations, tremble, left, progress)
        return replace(full, info={**full.info, "screened": 0})
    rest = np.flatnonzero(~good)
    chance = game.chance_prob[rest] if game.chance_prob.ndim == 2 else game.chance_prob
    full = _refined_cfr(game.with_batch(payoffs=game.payoffs[rest], chance_prob=chance), method, iterations,
                        tremble, left, progress)
    return _merged(game, first, full, rest)


def _merged(game: ExtensiveFormGame, first: Solution, full: Solution, rest: np.ndarray) -> Solution:
    """The short run's solution with the settings ``rest`` replaced by the full run's."""
    probabilities = [np.array(a, copy=True) for a in first.profile.probabilities]
    for mine, theirs in zip(probabilities, full.profile.probabilities, strict=True):
        mine[rest] = theirs
    values = np.array(first.values, copy=True)
    values[rest] = full.values
    nash = np.array(first.nash_conv, copy=True)
    nash[rest] = full.nash_conv
    info = dict(full.info)
    for key in ("certified", "purified"):
        flags = np.broadcast_to(np.asarray(first.info.get(key, False), bool), (game.batch_size,)).copy()
        flags[rest] = np.asarray(full.info.get(key, False), bool)
        info[key] = flags.tolist()
    info["screened"] = int(game.batch_size - rest.size)
    return replace(full, profile=BehaviorProfile(game, probabilities), values=values, nash_conv=nash, info=info)


def _polished(game: ExtensiveFormGame, solution: Solution, tremble: float) -> Solution:
    from negsim.analysis.refine import certify, polish

    polished = polish(solution.profile, tremble=tremble)
    good = certify(game, list(polished.probabilities), tremble=tremble)
    info = dict(solution.info)
    if game.batch_size is None:
        if bool(good[0]):
            info["certified"] = True
            return replace(solution, profile=polished, values=expected_values(game, polished),
                           nash_conv=nash_conv(game, polished), info=info)
        info["certified"] = False
        return replace(solution, info=info)
    # batch: the polished profile where it is certified, element by element
    mixed = [np.where(good[:, None], polished.probabilities[p], solution.profile.probabilities[p])
             for p in range(game.num_players)]
    profile = BehaviorProfile(game, mixed)
    info["certified"] = good.tolist()
    return replace(solution, profile=profile, values=expected_values(game, profile),
                   nash_conv=nash_conv(game, profile), info=info)


def _purified(game: ExtensiveFormGame, solution: Solution, *, threshold: float) -> Solution:
    clean = purify(solution.profile, threshold)
    clean_nc = nash_conv(game, clean)
    better = np.asarray(clean_nc) <= np.asarray(solution.nash_conv) + 1e-12
    info = dict(solution.info)
    if np.ndim(better) == 0:
        if not better:
            info["purified"] = False
            return replace(solution, info=info)
        info["purified"] = True
        return replace(solution, profile=clean, values=expected_values(game, clean), nash_conv=clean_nc, info=info)
    # batch: take the purified profile where it is no worse, element by element
    mixed = []
    for p in range(game.num_players):
        mixed.append(np.where(better[:, None], clean.probabilities[p], solution.profile.probabilities[p]))
    profile = BehaviorProfile(game, mixed)
    info["purified"] = better.tolist()
    return replace(
        solution, profile=profile, values=expected_values(game, profile), nash_conv=nash_conv(game, profile), info=info
    )
