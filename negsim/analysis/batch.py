"""Solving a batch of parameter settings of one negotiation.

Parameter sweeps and Monte Carlo runs solve the same tree for thousands of payoff and
probability settings. :func:`solve_batch` has two strategies.

``strategy="cfr"`` (the default) solves every setting with the batched solver of
:func:`negsim.analysis.solve_game`: a short screening run of CFR+ with a tremble,
purified, polished and certified, then the full run for the settings the screen did not
certify. Each setting gets exactly the answer a single solve of it would give.

``strategy="reuse"`` tries to avoid iterating at all, in two batched steps that repeat:

1. **Solve a few settings** (a *seed* sub-batch) with :func:`negsim.analysis.solve_game`.
2. **Certify every other setting** against the pure profiles found so far, all settings
   at once: a pure profile is accepted for a setting when (a) its NashConv there is 0 and
   (b) it is a best response at *every* information set against its own trembled version
   (every action played with probability ``tremble``). Condition (b) is what CFR+ with
   that tremble converges to, so a certified setting is an exact, trembling-hand-rational
   equilibrium -- though, where a setting has several, not necessarily the one its own
   solve would pick.

Settings no candidate certifies seed the next round; after ``rounds`` rounds the rest are
solved directly. Reuse pays when a few pure profiles cover most settings. On the bundled
scenarios they do not (1,000 draws of istanbul-2025 have over 700 distinct certified
profiles, differing at information sets off the path), and the screened direct solve is
2 to 3 times faster (``benchmarks/README.md``), hence the default. Every setting's
NashConv is reported, and ``certified`` says which settings passed certification.

Every step is one vectorized call over the (sub-)batch: there is no Python loop over
settings.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from negsim.analysis.refine import certify
from negsim.analysis.solve import DEFAULTS, solve_game
from negsim.errors import SolverError
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.profile import BehaviorProfile
from negsim.solvers.best_response import deviation_gains

__all__ = ["BatchSolution", "solve_batch", "certify"]


@dataclass(frozen=True)
class BatchSolution:
    """Solutions of a batch of games sharing one tree.

    Attributes
    ----------
    game : ExtensiveFormGame
        The batched game.
    profile : BehaviorProfile
        Batched profile (probabilities ``[B, S_p]`` per player).
    values : ndarray [B, n]
    nash_conv : ndarray [B]
    certified : ndarray of bool [B]
        The setting's profile passed :func:`negsim.analysis.refine.certify` (NashConv 0 and
        a best response at every information set against trembles); ``info["reused"]``
        counts the settings settled by a profile found for another setting.
    method : str
    seconds : float
    info : dict
        ``candidates`` (pure profiles found), ``seeded`` (settings solved directly),
        ``rounds``.
    """

    game: ExtensiveFormGame
    profile: BehaviorProfile
    values: np.ndarray
    nash_conv: np.ndarray
    certified: np.ndarray
    method: str
    seconds: float
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def batch_size(self) -> int:
        return int(self.values.shape[0])


def _flags(solution: Any, size: int) -> np.ndarray:
    flags = solution.info.get("certified", False)
    return np.broadcast_to(np.asarray(flags, bool), (size,)).copy()


def _pure_key(probabilities: list[np.ndarray]) -> bytes:
    return b"|".join(np.asarray(np.round(p), np.int8).tobytes() for p in probabilities)


class _Settled:
    """What is known about each setting of a batch while it is being solved (and a bar over it)."""

    def __init__(self, game: ExtensiveFormGame, progress: bool) -> None:
        B = game.batch_size
        self.game = game
        self.probs = [np.zeros((B, s)) for s in game.num_sequences]
        self.done = np.zeros(B, bool)
        self.certified = np.zeros(B, bool)
        self.reused = np.zeros(B, bool)
        self.bar = None
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=B, desc="settings", unit="setting", leave=False)

    def take(self, indices: np.ndarray) -> ExtensiveFormGame:
        """The sub-batch of these settings."""
        game = self.game
        chance = game.chance_prob[indices] if game.chance_prob.ndim == 2 else game.chance_prob
        return game.with_batch(payoffs=game.payoffs[indices], chance_prob=chance)

    def settle(self, indices: np.ndarray, solution_probs: list[np.ndarray], flags: Any = False) -> None:
        """Record the profile found for these settings."""
        for p, probs in enumerate(solution_probs):
            self.probs[p][indices] = probs
        self.done[indices] = True
        self.certified[indices] = flags
        if self.bar is not None:
            self.bar.update(int(indices.size))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _seed_and_reuse(state: _Settled, opts: Mapping[str, Any], candidates: dict[bytes, list[np.ndarray]], *,
                    seeds: int, rounds: int, tremble: float) -> int:
    """Solve a few settings per round, and certify each new pure equilibrium on all the settings left.

    The rest, after ``rounds``, is solved directly. Returns the number of settings solved directly.
    """
    seeded = 0
    rng = np.random.default_rng(0)
    for _ in range(rounds):
        todo = np.flatnonzero(~state.done)
        if todo.size == 0:
            break
        pick = todo if todo.size <= seeds else np.sort(rng.choice(todo, size=seeds, replace=False))
        solution = solve_game(state.take(pick), opts)
        seeded += pick.size
        sol_probs = [np.atleast_2d(a) for a in solution.profile.probabilities]
        flags = _flags(solution, pick.size)
        state.settle(pick, sol_probs, flags)
        new = []
        for j in range(pick.size):
            cand = [a[j] for a in sol_probs]
            if flags[j]:
                key = _pure_key(cand)
                if key not in candidates:
                    candidates[key] = cand
                    new.append(cand)
        for cand in new:
            todo = np.flatnonzero(~state.done)
            if todo.size == 0:
                break
            ok = certify(state.take(todo), cand, tremble=tremble)
            hit = todo[ok]
            if hit.size:
                state.settle(hit, [np.broadcast_to(c, (hit.size, c.size)) for c in cand], True)
                state.reused[hit] = True
    todo = np.flatnonzero(~state.done)
    if todo.size:
        solution = solve_game(state.take(todo), opts)
        seeded += todo.size
        state.settle(todo, [np.atleast_2d(a) for a in solution.profile.probabilities], _flags(solution, todo.size))
    return int(seeded)


def solve_batch(
    game: ExtensiveFormGame,
    options: Mapping[str, Any] | None = None,
    *,
    strategy: str = "cfr",
    seeds: int = 8,
    rounds: int = 6,
    progress: bool = False,
) -> BatchSolution:
    """Solve every setting of a batched negotiation game.

    Parameters
    ----------
    game : ExtensiveFormGame
        A batch (``game.batch_size = B``) or a single game.
    options : mapping, optional
        Solver options as for :func:`negsim.analysis.solve_game`.
    strategy : {"cfr", "reuse"}
        ``"cfr"``: every setting solved by the batched, screened CFR+ of
        :func:`negsim.analysis.solve_game`; ``"reuse"``: seed-solve and certify (module
        docstring).
    seeds : int
        Settings solved directly per round.
    rounds : int
        Rounds of seeding and certification before the rest is solved directly.
    progress : bool
        Show a progress bar.

    Returns
    -------
    BatchSolution
    """
    started = time.perf_counter()
    if game.batch_size is None:
        game = game.with_batch(payoffs=game.payoffs[None])
    B = game.batch_size
    opts = dict(DEFAULTS)
    opts.update({k: v for k, v in (options or {}).items() if v is not None})
    method = str(opts.get("method", "auto")).lower()
    if method == "auto":
        method = "backward" if game.is_perfect_information else "cfr+"
    tremble = float(opts.get("tremble", 0.0)) if method in ("cfr", "cfr+", "lcfr", "dcfr") else 0.0
    if strategy not in ("reuse", "cfr"):
        raise SolverError(f"strategy must be 'reuse' or 'cfr', not {strategy!r}")
    state = _Settled(game, progress)
    candidates: dict[bytes, list[np.ndarray]] = {}
    try:
        if method == "backward" or strategy == "cfr" or B <= seeds:
            solution = solve_game(game, opts)
            state.settle(np.arange(B), [np.broadcast_to(a, (B, a.shape[-1])) for a in solution.profile.probabilities],
                         _flags(solution, B))
            seeded = B
        else:
            seeded = _seed_and_reuse(state, opts, candidates, seeds=seeds, rounds=rounds, tremble=tremble)
    finally:
        state.close()
    probs, certified, reused = state.probs, state.certified, state.reused
    profile = BehaviorProfile(game, probs)
    from negsim.solvers.best_response import expected_values

    gains = deviation_gains(game, profile)
    return BatchSolution(
        game=game,
        profile=profile,
        values=expected_values(game, profile),
        nash_conv=gains.sum(axis=-1),
        certified=certified,
        method=method,
        seconds=time.perf_counter() - started,
        info={"strategy": strategy, "candidates": len(candidates), "seeded": int(seeded), "tremble": tremble,
              "reused": int(reused.sum())},
    )
