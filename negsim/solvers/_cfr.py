"""Counterfactual regret minimization on the sequence form: CFR, CFR+, linear CFR and DCFR.

One iteration updates each player's regrets from the counterfactual values of their
sequences (Zinkevich et al. 2007). The variants differ in how regrets and the average
strategy are weighted:

========  ============================================  ==================================
variant   regrets after iteration t                     average strategy
========  ============================================  ==================================
``cfr``   ``R += r_t``                                  ``sum_t x_t``
``cfr+``  ``R = max(R + r_t, 0)`` (Tammelin 2014)       ``sum_t t x_t``
``lcfr``  ``R += t r_t`` (Brown & Sandholm 2019)        ``sum_t t x_t``
``dcfr``  before adding ``r_t``: positive ``R`` times   ``S = S ((t-1)/t)^gamma + x_t``
          ``(t-1)^a / ((t-1)^a + 1)``, negative ``R``
          times ``(t-1)^b / ((t-1)^b + 1)``
          (Brown & Sandholm 2019; defaults a = 1.5,
          b = 0, gamma = 2)
========  ============================================  ==================================

Updates alternate between players by default (each player's update sees the others'
newest strategies, as OpenSpiel's solvers do); ``alternating=False`` updates all players
from the same strategies. The average strategy converges to a Nash equilibrium in
two-player zero-sum games; in other games CFR's average approaches a coarse correlated
equilibrium and the reported NashConv says how far the profile is from Nash.

Every iteration is a fixed number of numpy operations per player (see
:mod:`negsim.solvers._plex`): no Python loop over nodes, terminals or sequences. A batch
of games is solved in the same operations, in blocks of games whose ``[terminals, games]``
arrays stay in the processor's cache (at most about half a million entries each; a batch
of 1,000 Leduc poker variants runs as eleven blocks, 1.6x faster than as one). The blocks
are independent, so the answer does not depend on them; they keep large batches as fast
per game as medium ones and bound the memory a batch of ten thousand needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from negsim.errors import SolverError
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.profile import BehaviorProfile
from negsim.solvers._plex import Evaluator
from negsim.solvers.budget import deadline
from negsim.solvers.solution import Solution

__all__ = ["cfr", "VARIANTS"]

VARIANTS = ("cfr", "cfr+", "lcfr", "dcfr")
"""Names of the CFR variants :func:`cfr` runs."""

BLOCK_ENTRIES = 1 << 19
"""Most ``terminals x games`` entries in one block of a batch (see the module docstring)."""


class _State:
    """Per-player arrays of one CFR run (kernel order, batch last).

    ``direct`` and ``work`` are reused every iteration (values, and the temporaries of the
    regret and averaging rules), so that an iteration allocates no array of this size.
    """

    __slots__ = ("regret", "sigma", "plan", "average", "increment", "direct", "work")

    def __init__(self, ev: Evaluator, p: int, sigma: np.ndarray) -> None:
        self.regret = ev.zeros(p)
        self.increment = ev.zeros(p)
        self.average = ev.zeros(p)
        self.direct = ev.zeros(p)
        self.work = ev.zeros(p)
        self.sigma = sigma
        self.plan = ev.plan(p, sigma)


# ---------------------------------------------------------------------------- the variants' rules
# A variant is a regret rule and an averaging rule (the module docstring's table). ``begin(t)``
# computes the iteration's scalars once; the per-player calls then do array work only.
class _SummedRegrets:
    """CFR: ``R += r_t``; the strategy matches the positive part of ``R``."""

    def begin(self, t: int) -> None:
        pass

    def update(self, regret: np.ndarray, increment: np.ndarray, work: np.ndarray) -> np.ndarray:
        """Update ``regret`` in place; return its positive part (``work`` may hold it)."""
        regret += increment
        return np.maximum(regret, 0.0, out=work)


class _ClippedRegrets(_SummedRegrets):
    """CFR+: ``R = max(R + r_t, 0)``, kept clipped, so the strategy matches ``R`` itself."""

    def update(self, regret: np.ndarray, increment: np.ndarray, work: np.ndarray) -> np.ndarray:
        regret += increment
        np.maximum(regret, 0.0, out=regret)
        return regret


class _LinearRegrets(_SummedRegrets):
    """Linear CFR: ``R += t r_t``."""

    def begin(self, t: int) -> None:
        self.t = t

    def update(self, regret: np.ndarray, increment: np.ndarray, work: np.ndarray) -> np.ndarray:
        regret += np.multiply(increment, self.t, out=work)
        return np.maximum(regret, 0.0, out=work)


class _DiscountedRegrets(_SummedRegrets):
    """DCFR: positive and negative regrets discounted by ``alpha`` and ``beta`` before adding ``r_t``."""

    def __init__(self, alpha: float, beta: float) -> None:
        self.alpha, self.beta = alpha, beta
        self.discounts: tuple[float, float] | None = None

    def begin(self, t: int) -> None:
        if t == 1:
            self.discounts = None
            return
        base = float(t - 1)
        positive = base**self.alpha / (base**self.alpha + 1.0)
        negative = base**self.beta / (base**self.beta + 1.0) if np.isfinite(self.beta) else 0.0
        self.discounts = (positive, negative)

    def update(self, regret: np.ndarray, increment: np.ndarray, work: np.ndarray) -> np.ndarray:
        if self.discounts is not None:
            regret *= np.where(regret > 0, *self.discounts)
        regret += increment
        return np.maximum(regret, 0.0, out=work)


class _UniformAverage:
    """CFR: the average strategy sums the realization plans, ``S += x_t``."""

    def begin(self, t: int) -> None:
        pass

    def add(self, average: np.ndarray, plan: np.ndarray, work: np.ndarray) -> None:
        average += plan


class _LinearAverage(_UniformAverage):
    """CFR+ and linear CFR: ``S += t x_t``."""

    def begin(self, t: int) -> None:
        self.weight = float(t)

    def add(self, average: np.ndarray, plan: np.ndarray, work: np.ndarray) -> None:
        average += np.multiply(plan, self.weight, out=work) if self.weight != 1.0 else plan


class _DiscountedAverage(_UniformAverage):
    """DCFR: ``S = S ((t - 1) / t)^gamma + x_t``."""

    def __init__(self, gamma: float) -> None:
        self.gamma = gamma
        self.discount: float | None = None

    def begin(self, t: int) -> None:
        self.discount = ((t - 1) / t) ** self.gamma if t > 1 else None

    def add(self, average: np.ndarray, plan: np.ndarray, work: np.ndarray) -> None:
        if self.discount is not None:
            average *= self.discount
        average += plan


def _rules(variant: str, alpha: float, beta: float, gamma: float) -> tuple[_SummedRegrets, _UniformAverage]:
    """The regret and averaging rules of ``variant``."""
    if variant == "cfr":
        return _SummedRegrets(), _UniformAverage()
    if variant == "cfr+":
        return _ClippedRegrets(), _LinearAverage()
    if variant == "lcfr":
        return _LinearRegrets(), _LinearAverage()
    return _DiscountedRegrets(alpha, beta), _DiscountedAverage(gamma)


def _iterate(ev: Evaluator, states: list[_State], plans: list[np.ndarray], regrets: _SummedRegrets,
             averages: _UniformAverage, alternating: bool, tremble: float) -> None:
    """One iteration on one block: players in turn, or all from the same strategies."""
    directs = None if alternating else [ev.direct_values(p, plans, out=st.direct) for p, st in enumerate(states)]
    for p, st in enumerate(states):
        averages.add(st.average, st.plan, st.work)  # the average accumulates the current strategy's plan
        direct = ev.direct_values(p, plans, out=st.direct) if directs is None else directs[p]
        ev.counterfactual_values(p, st.sigma, direct, increments=st.increment, root=False)
        ev.regret_match(p, regrets.update(st.regret, st.increment, st.work), st.sigma, tremble)
        ev.plan(p, st.sigma, out=st.plan)


class _Best:
    """The lowest-NashConv average seen at a checkpoint, per game of each block (for ``time_limit``)."""

    def __init__(self, runs: list[tuple[Evaluator, list[_State], list[np.ndarray]]]) -> None:
        self.runs = runs
        self.nash_conv: list[Any] = [np.inf] * len(runs)
        self.averages: list[list[np.ndarray] | None] = [None] * len(runs)

    def record(self, parts: list[Any]) -> None:
        for k, ((_, states, _), nc) in enumerate(zip(self.runs, parts, strict=True)):
            better = np.asarray(nc) < self.nash_conv[k]
            if not np.any(better):
                continue
            kept = self.averages[k]
            self.averages[k] = [st.average.copy() if kept is None else np.where(better, st.average, old)
                                for st, old in zip(states, kept or [None] * len(states), strict=True)]
            self.nash_conv[k] = np.where(better, nc, self.nash_conv[k])

    def restore(self) -> None:
        """Put the best averages back into the states (each game's own best)."""
        for (_, states, _), kept in zip(self.runs, self.averages, strict=True):
            for st, average in zip(states, kept or [st.average for st in states], strict=True):
                st.average = average


def cfr(
    game: ExtensiveFormGame,
    *,
    variant: str = "cfr+",
    iterations: int = 1000,
    alternating: bool = True,
    alpha: float = 1.5,
    beta: float = 0.0,
    gamma: float = 2.0,
    target_nash_conv: float | None = None,
    track_every: int | None = None,
    callback: Callable[[int, Any], Any] | None = None,
    initial: str | BehaviorProfile = "uniform",
    seed: int | None = None,
    tremble: float = 0.0,
    progress: bool = False,
    time_limit: float | None = None,
) -> Solution:
    """Run a CFR variant on an extensive game (or a batch of games) with perfect recall.

    Parameters
    ----------
    game : ExtensiveFormGame
        Any number of players; ``game.batch_size = B`` solves ``B`` games at once.
    variant : {"cfr", "cfr+", "lcfr", "dcfr"}
        Which regret and averaging rule to use (see the module docstring).
    iterations : int
        Most iterations to run.
    alternating : bool
        Update players in turn (default) or all from the same strategies.
    alpha, beta, gamma : float
        DCFR's discount exponents (ignored by the other variants).
    target_nash_conv : float, optional
        Stop as soon as the average profile's NashConv is at most this (for a batch:
        for every game). Checked at the tracking points (every 10 iterations unless
        ``track_every`` says otherwise).
    track_every : int, optional
        Measure the average profile's NashConv every this many iterations and record it
        in ``history`` (0: only at the end). Default: at roughly logarithmically spaced
        iterations (1, 2, 5, 10, 20, 50, ...), which costs almost nothing.
    callback : callable, optional
        Called as ``callback(iteration, nash_conv)`` at every tracking point; return
        ``True`` to stop early.
    initial : "uniform", "random" or BehaviorProfile
        The first iteration's strategies (``"random"`` draws them with ``seed``).
    seed : int, optional
        Seed for ``initial="random"``; CFR itself is deterministic.
    tremble : float
        If positive, every action is played with at least this probability during the
        iterations (regret minimization over the perturbed strategy sets of Farina,
        Kroer & Sandholm 2017). Every information set is then reached, so the average
        profile also answers moves off the equilibrium path sensibly: as ``tremble``
        goes to 0 its limit points are (quasi-)perfect equilibria, free of non-credible
        threats. The returned profile keeps the tremble; its NashConv is measured in the
        unperturbed game.
    progress : bool
        Show a progress bar (tqdm) on long runs.
    time_limit : float, optional
        Seconds of wall-clock time the run may take. The clock is read once per
        iteration; when the limit has passed, the current average is measured as one
        more tracking point and the run stops, returning, for each game, the average
        with the lowest NashConv among the tracking points (``converged=False``,
        ``info["stopped_early"] = True``, ``info["time_limit"]`` the limit; ``iterations``
        counts the iterations run). At least one iteration always runs.

    Returns
    -------
    Solution
        The average strategy profile, its values and NashConv, the iterations run, the
        time taken and the NashConv history. ``info`` records the variant's parameters.

    Raises
    ------
    SolverError
        If the game lacks perfect recall or an option is invalid.

    Examples
    --------
    >>> from negsim.games import library
    >>> solution = cfr(library.kuhn_poker(), variant="cfr+", iterations=2000)
    >>> bool(abs(solution.values[0] - (-1 / 18)) < 1e-3)
    True
    >>> bool(solution.nash_conv < 1e-3)
    True

    With a time limit the run stops early and says so:

    >>> quick = cfr(library.leduc_poker(), iterations=10**9, time_limit=0.5)
    >>> quick.info["stopped_early"], quick.converged, quick.iterations < 10**9
    (True, False, True)
    """
    started = time.perf_counter()
    variant = _check_options(game, variant, iterations, track_every, tremble)
    stop_at = deadline(time_limit, started)
    iterations = int(iterations)
    runs = []  # (evaluator, states, plans) of each block of the batch
    for columns in _blocks(game):
        ev = Evaluator(game if columns is None else _block_game(game, columns))
        sigmas = [_initial_sigma(ev, game, p, initial, seed, tremble, columns) for p in range(game.num_players)]
        states = [_State(ev, p, sigma) for p, sigma in enumerate(sigmas)]
        runs.append((ev, states, [s.plan for s in states]))
    regrets, averages = _rules(variant, alpha, beta, gamma)
    checkpoints = _checkpoints(iterations, track_every, target_nash_conv is not None)
    history: list[tuple[int, Any]] = []
    converged: bool | None = None if target_nash_conv is None else False
    best = _Best(runs) if stop_at is not None else None
    bar = _progress_bar(progress, iterations, variant)
    t, stopped = 0, False
    for t in range(1, iterations + 1):
        regrets.begin(t)
        averages.begin(t)
        for ev, states, plans in runs:
            _iterate(ev, states, plans, regrets, averages, alternating, tremble)
        if bar is not None:
            bar.update(1)
        stopped = stop_at is not None and t < iterations and time.perf_counter() > stop_at
        if not stopped and not checkpoints(t):
            continue
        parts = [_average_nash_conv(ev, states) for ev, states, _ in runs]
        nc = _joined(parts)
        history.append((t, nc if np.ndim(nc) == 0 else tuple(np.asarray(nc).tolist())))
        if best is not None:
            best.record(parts)
        if bar is not None:
            bar.set_postfix(nash_conv=f"{np.max(nc):.3g}")
        if target_nash_conv is not None and np.all(np.asarray(nc) <= target_nash_conv):
            converged, stopped = True, False
            break
        if (callback is not None and callback(t, nc)) or stopped:
            break
    if bar is not None:
        bar.close()
    if stopped:
        best.restore()
        converged = False
    solution = _finish(game, runs, variant, t, history, target_nash_conv, converged)
    info = {
        "variant": variant,
        "alternating": alternating,
        **({"alpha": alpha, "beta": beta, "gamma": gamma} if variant == "dcfr" else {}),
        **({"tremble": tremble} if tremble else {}),
        "profile": "average",
        **({"stopped_early": True, "time_limit": float(time_limit)} if stopped else {}),
    }
    return replace(solution, seconds=time.perf_counter() - started, info=info)


def _check_options(game: Any, variant: str, iterations: int, track_every: int | None, tremble: float) -> str:
    """The variant's canonical name, after checking the game and the options."""
    if not isinstance(game, ExtensiveFormGame):
        raise SolverError("CFR solves extensive-form games; convert a normal-form game with to_extensive")
    variant = variant.lower()
    if variant not in VARIANTS:
        raise SolverError(f"unknown CFR variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    game.require_perfect_recall("CFR", error=SolverError)
    if int(iterations) < 1:
        raise SolverError("iterations must be at least 1")
    if track_every is not None and track_every < 0:
        raise SolverError("track_every must be non-negative")
    max_actions = int(game.infosets.num_actions.max(initial=1))
    if not 0.0 <= tremble < 1.0 / max_actions:
        raise SolverError(f"tremble must lie in [0, 1/{max_actions}) for this game, got {tremble!r}")
    return variant


def _progress_bar(progress: bool, iterations: int, variant: str) -> Any:
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=iterations, desc=f"{variant}", unit="it", leave=False)


def _finish(
    game: ExtensiveFormGame,
    runs: list[tuple[Evaluator, list[_State], list[np.ndarray]]],
    variant: str,
    t: int,
    history: list[tuple[int, Any]],
    target_nash_conv: float | None,
    converged: bool | None,
) -> Solution:
    """The Solution of the runs' average strategies after ``t`` iterations."""
    probabilities, values, gains = [], [], []
    for ev, states, _ in runs:
        probabilities.append(_average_probabilities(ev, states))
        block_values, block_gains = _values_and_gains(ev, [_normalized_average(st) for st in states])
        values.append(block_values)
        gains.append(block_gains)
    if len(runs) == 1:
        profile = BehaviorProfile(game, probabilities[0])
        values, gains = values[0], gains[0]
    else:  # blocks of a batch: probabilities [B_k, S], values and gains [n, B_k]
        profile = BehaviorProfile(game, [np.concatenate(parts, axis=0) for parts in zip(*probabilities, strict=True)])
        values, gains = np.concatenate(values, axis=1), np.concatenate(gains, axis=1)
    nash = gains.sum(axis=0)
    nash_value = float(nash) if np.ndim(nash) == 0 else nash
    if not history or history[-1][0] != t:
        history.append((t, nash_value if np.ndim(nash) == 0 else tuple(nash.tolist())))
    if target_nash_conv is not None and np.all(nash <= target_nash_conv):
        converged = True
    return Solution(
        method=variant,
        profile=profile,
        values=np.moveaxis(values, 0, -1),
        nash_conv=nash_value,
        iterations=t,
        history=tuple(history),
        converged=converged,
    )


# ---------------------------------------------------------------------------- helpers
def _blocks(game: ExtensiveFormGame) -> list[slice | None]:
    """Slices of the batch axis, each with at most :data:`BLOCK_ENTRIES` terminal entries."""
    batch = game.batch_size
    if batch is None:
        return [None]
    size = max(1, BLOCK_ENTRIES // max(1, game.num_terminals))
    if size >= batch:
        return [None]
    count = -(-batch // size)
    bounds = [k * batch // count for k in range(count + 1)]  # blocks of equal size, give or take one
    return [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def _block_game(game: ExtensiveFormGame, columns: slice) -> ExtensiveFormGame:
    """The games ``columns`` of a batch, as a batch sharing the tree."""
    payoffs = game.payoffs[columns] if game.payoffs.ndim == 3 else game.payoffs
    chance = game.chance_prob[columns] if game.chance_prob.ndim == 2 else game.chance_prob
    return game.with_batch(payoffs, chance)


def _joined(parts: list[Any]) -> Any:
    """One block's NashConv as it is; several blocks' arrays joined along the batch axis."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _initial_sigma(
    ev: Evaluator,
    game: ExtensiveFormGame,
    p: int,
    initial: Any,
    seed: int | None,
    tremble: float,
    columns: slice | None = None,
) -> np.ndarray:
    """Player ``p``'s first strategy (kernel order) for the block ``columns`` of the batch."""
    sigma = np.ones((ev.plex.players[p].size,) + ev.batch_shape)
    if isinstance(initial, BehaviorProfile):
        if initial.game.num_terminals != game.num_terminals:
            raise SolverError("the initial profile belongs to a different game")
        probs = np.asarray(initial.probabilities[p])
        if columns is not None and probs.ndim == 2:
            probs = probs[columns]
        return ev.kernel_from_public(p, probs)
    if initial == "uniform":
        ev.regret_match(p, np.zeros_like(sigma), sigma, tremble)
        return sigma
    if initial == "random":
        # drawn for the whole batch, then cut to the block: blocks do not change the draw
        rng = np.random.default_rng(None if seed is None else [seed, p])
        weights = rng.random(sigma.shape[:1] + (() if game.batch_size is None else (game.batch_size,)))
        if columns is not None:
            weights = np.ascontiguousarray(weights[:, columns])
        weights[0] = 0.0
        ev.regret_match(p, weights, sigma, tremble)
        return sigma
    raise SolverError(f"initial must be 'uniform', 'random' or a BehaviorProfile, not {initial!r}")


def _checkpoints(iterations: int, track_every: int | None, has_target: bool) -> Callable[[int], bool]:
    """Whether NashConv is measured after iteration ``t`` (a test, not a set: ``iterations`` may be huge)."""
    if track_every is None and not has_target:
        points = {iterations}
        scale = 1
        while scale <= iterations:
            points.update(m * scale for m in (1, 2, 5) if m * scale <= iterations)
            scale *= 10
        return points.__contains__
    every = 10 if track_every is None else track_every
    if every == 0:
        return iterations.__eq__
    return lambda t: t % every == 0 or t == iterations


def _normalized_average(st: _State) -> np.ndarray:
    total = st.average[0]
    safe = np.where(total > 0, total, 1.0)
    return st.average / safe


def _values_and_gains(ev: Evaluator, plans: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Values ``[n, ...]`` and best-response gains ``[n, ...]`` of a profile given by realization plans."""
    values, gains = [], []
    for p in range(ev.num_players):
        direct = ev.direct_values(p, plans)
        value = (direct * plans[p]).sum(axis=0)
        br, _ = ev.best_response(p, direct)
        values.append(value)
        gains.append(br - value)
    return np.array(values), np.array(gains)


def _average_nash_conv(ev: Evaluator, states: list[_State]) -> Any:
    plans = [_normalized_average(st) for st in states]
    _, gains = _values_and_gains(ev, plans)
    total = gains.sum(axis=0)
    return float(total) if np.ndim(total) == 0 else total


def _average_probabilities(ev: Evaluator, states: list[_State]) -> list[np.ndarray]:
    """The average strategy's behaviour probabilities per player (public order, batch first)."""
    probs = []
    for p, st in enumerate(states):
        sigma = np.ones_like(st.average)
        ev.regret_match(p, st.average, sigma)
        probs.append(ev.public_probabilities(p, sigma))
    return probs
