"""Learning dynamics on normal-form games: replicator dynamics and fictitious play.

Both run on an ``n``-player :class:`~negsim.games.NormalFormGame` or on a batch of ``B``
games of the same shape (``batched=True``): every step is one vectorized update of all
players' strategies in all games, written as contractions (``numpy.einsum``) of the payoff
tensor ``[B, n, a_1, ..., a_n]`` with the players' mixed strategies. There is no Python
loop over games or over pure profiles; loops run over steps and players only.

Replicator dynamics
    The population share ``x_p[j]`` of strategy ``j`` of player ``p`` grows in proportion
    to how much better ``j`` does than the population average (Taylor & Jonker 1978;
    Hofbauer & Sigmund 1998, ch. 7; for ``n`` populations, Weibull 1995, ch. 5)::

        dx_p[j] / dt = x_p[j] (u_p(j, x_-p) - u_p(x)).

    Three discretizations with step ``dt``: ``"exponential"`` (default),
    ``x_p <- x_p exp(dt u_p(., x_-p)) / Z``, the exponential-weights (Hedge) update, a
    first-order scheme that keeps every share positive and every vector on the simplex
    for any ``dt``; ``"euler"``, ``x_p <- x_p + dt f_p(x)``; and ``"rk4"``, the classical
    fourth-order Runge-Kutta step. The last two are clipped at 0 and renormalized should
    a large ``dt`` leave the simplex.

Fictitious play
    Each player best responds to the empirical distribution of the others' past play,
    and the empirical distributions are updated with the best responses (Brown 1951)::

        x_p(t + 1) = x_p(t) + (BR_p(x_-p(t)) - x_p(t)) / (t + 1).

    Players update simultaneously by default, or in turn (``alternating=True``, each
    player answering the others' newest beliefs). Ties go to the first best response.

Convergence caveats
    These are dynamics, not equilibrium algorithms, and the returned NashConv says how
    close the final profile is to a Nash equilibrium. Every Nash equilibrium is a rest
    point of the replicator dynamics, but not conversely: every pure profile, and every
    profile that is an equilibrium of the game restricted to its support, is a rest
    point too. An interior trajectory that converges has a Nash equilibrium as its limit
    and stable rest points are Nash (the "folk theorem" of evolutionary game theory,
    Hofbauer & Sigmund 2003), but a start on a face of the simplex, or shares that
    underflow to 0 in floating point, can end at a non-Nash rest point, and interior
    trajectories can cycle forever (the interior orbits of matching pennies and of
    rock-paper-scissors are closed curves; their time average, not the state, approaches
    the equilibrium). The empirical
    distributions of fictitious play converge to Nash equilibria in two-player zero-sum
    games (Robinson 1951), in 2 x n games (Berger 2005) and in potential games (Monderer &
    Shapley 1996), at a rate that can be slow; in general they need not converge (Shapley
    1964 gives a 3 x 3 game where play cycles).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from negsim.errors import SolverError
from negsim.games.normal import NormalFormGame
from negsim.games.profile import MixedProfile
from negsim.solvers._payoffs import nash_conv_batch as _nash_conv_batch
from negsim.solvers._payoffs import payoff_vectors as _payoff_vectors
from negsim.solvers._payoffs import player_payoffs as _player_payoffs
from negsim.solvers.budget import deadline
from negsim.solvers.normal_regret import nash_conv_normal
from negsim.solvers.solution import Solution

__all__ = ["replicator_dynamics", "fictitious_play", "SCHEMES"]

SCHEMES = ("exponential", "euler", "rk4")
"""The discretizations :func:`replicator_dynamics` knows."""

_LETTERS = "abcdefghijklmnopqrstuvwxy"


# ---------------------------------------------------------------------------- public
def replicator_dynamics(
    game: NormalFormGame,
    *,
    steps: int = 10_000,
    dt: float = 0.01,
    initial: str | MixedProfile | Sequence[Any] | None = None,
    seed: int | None = None,
    scheme: str = "exponential",
    track_every: int | None = None,
    time_limit: float | None = None,
) -> Solution:
    """Run the ``n``-population replicator dynamics on a game or a batch of games.

    Parameters
    ----------
    game : NormalFormGame
        Any number of players; a batch (``game.batch_size = B``) runs all ``B`` games in
        the same array operations.
    steps : int
        Number of time steps.
    dt : float
        Length of one time step (payoffs are not rescaled: a game with payoffs 100 times
        larger moves 100 times faster).
    initial : None, "uniform", "random", MixedProfile or sequence of arrays
        Starting shares: uniform (default), drawn from the flat Dirichlet distribution
        with ``seed`` (independently per game of a batch), or given, one vector ``[a_p]``
        (shared by a batch) or ``[B, a_p]`` per player.
    seed : int, optional
        Seed for ``initial="random"``.
    scheme : {"exponential", "euler", "rk4"}
        Discretization (see the module docstring).
    track_every : int, optional
        Record the NashConv every this many steps (0: only at the end). Default: at
        roughly logarithmically spaced steps 1, 2, 5, 10, 20, 50, ...
    time_limit : float, optional
        Seconds of wall-clock time the run may take. The clock is read once per step;
        when the limit has passed, the current state is measured as one more checkpoint
        and the run stops, returning, for each game, the state with the lowest NashConv
        among the checkpoints (``converged=False``, ``info["stopped_early"] = True``,
        ``info["time_limit"]``; ``iterations`` counts the steps run).

    Returns
    -------
    Solution
        ``method="replicator"``; ``profile`` the final state (a batched
        :class:`~negsim.games.MixedProfile` for a batch); ``values`` ``[n]`` or
        ``[B, n]``; ``nash_conv`` of the final state (float or ``[B]``); ``history``
        ``(step, nash_conv)`` pairs (a tuple per batch); ``info`` with ``"scheme"``,
        ``"dt"``, ``"speed"`` (the largest ``|dx/dt|`` at the end: near 0 at a rest
        point, float or list) and ``"rest_point"`` (``speed <= 1e-8`` times the payoff
        range). A rest point need not be a Nash equilibrium: read ``nash_conv``.

    Raises
    ------
    SolverError
        If the game is not a normal-form game or an option is invalid.

    Examples
    --------
    In the prisoner's dilemma defection takes over:

    >>> from negsim.games import library
    >>> solution = replicator_dynamics(library.prisoners_dilemma(), steps=2000, dt=0.05)
    >>> solution.profile.probabilities[0].round(3)
    array([0., 1.])
    >>> bool(solution.nash_conv < 1e-6)
    True

    A batch of two games runs in one call:

    >>> import numpy as np
    >>> from negsim.games import NormalFormGame
    >>> pd = library.prisoners_dilemma().payoffs
    >>> batch = NormalFormGame(np.stack([pd, -pd]), batched=True)
    >>> replicator_dynamics(batch, steps=2000, dt=0.05).profile.probabilities[0].round(3)
    array([[0., 1.],
           [1., 0.]])
    """
    started = time.perf_counter()
    payoffs, batched = _payoff_batch(game, "replicator dynamics")
    stop_at = deadline(time_limit, started)
    steps, dt = int(steps), float(dt)
    if steps < 0:
        raise SolverError("steps must be non-negative")
    if not (np.isfinite(dt) and dt > 0):
        raise SolverError(f"dt must be a positive number, got {dt!r}")
    if scheme not in SCHEMES:
        raise SolverError(f"unknown scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    x = _initial_profile(game, payoffs, initial, seed)
    checkpoints = _checkpoints(steps, track_every)
    history: list[tuple[int, Any]] = []
    best = _Best() if stop_at is not None else None
    n = len(x)
    t = 0

    def field(state: list[np.ndarray]) -> list[np.ndarray]:
        u = _payoff_vectors(payoffs, state)
        return [s * (v - (s * v).sum(-1, keepdims=True)) for s, v in zip(state, u, strict=True)]

    for t in range(1, steps + 1):
        if scheme == "exponential":
            u = _payoff_vectors(payoffs, x)
            for p in range(n):
                w = x[p] * np.exp(dt * (u[p] - u[p].max(-1, keepdims=True)))
                x[p] = w / w.sum(-1, keepdims=True)
        elif scheme == "euler":
            f = field(x)
            x = _to_simplex([a + dt * b for a, b in zip(x, f, strict=True)])
        else:
            k1 = field(x)
            k2 = field([a + 0.5 * dt * b for a, b in zip(x, k1, strict=True)])
            k3 = field([a + 0.5 * dt * b for a, b in zip(x, k2, strict=True)])
            k4 = field([a + dt * b for a, b in zip(x, k3, strict=True)])
            x = _to_simplex(
                [a + dt / 6 * (b1 + 2 * b2 + 2 * b3 + b4) for a, b1, b2, b3, b4 in zip(x, k1, k2, k3, k4, strict=True)]
            )
        if _checkpoint(t, steps, checkpoints, stop_at, payoffs, x, batched, history, best):
            break
    if best is not None and best.stopped:
        x = best.x
    speed = np.max(np.stack([np.abs(f).max(-1) for f in field(x)]), axis=0)
    scale = _payoff_range(payoffs)
    info = {
        "scheme": scheme,
        "dt": dt,
        "speed": _plain_batch(speed, batched),
        "rest_point": _plain_batch(speed <= 1e-8 * np.maximum(scale, 1e-300), batched),
    }
    return _solution("replicator", game, payoffs, x, batched, t if best and best.stopped else steps, started,
                     history, _stopped_info(info, best, time_limit))


def fictitious_play(
    game: NormalFormGame,
    *,
    iterations: int = 10_000,
    initial: str | MixedProfile | Sequence[Any] | None = None,
    seed: int | None = None,
    alternating: bool = False,
    track_every: int | None = None,
    time_limit: float | None = None,
) -> Solution:
    """Run fictitious play on a game or a batch of games; return the empirical frequencies.

    Parameters
    ----------
    game : NormalFormGame
        Any number of players; a batch runs all games in the same array operations.
    iterations : int
        Number of rounds of play.
    initial : None, "uniform", "random", MixedProfile or sequence of arrays
        The beliefs before the first round, counted as one round of play: uniform
        (default), random (Dirichlet, with ``seed``), or given as in
        :func:`replicator_dynamics`.
    seed : int, optional
        Seed for ``initial="random"``.
    alternating : bool
        Players best respond in turn, each to the others' newest empirical
        distributions, instead of all at once.
    track_every : int, optional
        Record the NashConv every this many rounds (0: only at the end); default at
        roughly logarithmically spaced rounds.
    time_limit : float, optional
        Seconds of wall-clock time, as in :func:`replicator_dynamics`: when it has
        passed, the empirical distributions with the lowest NashConv among the
        checkpoints are returned, with ``info["stopped_early"] = True``.

    Returns
    -------
    Solution
        ``method="fictitious-play"``; ``profile`` the empirical distributions (batched
        for a batch); ``values``, ``nash_conv`` and ``history`` as in
        :func:`replicator_dynamics`; ``info`` with ``"alternating"``.

    Raises
    ------
    SolverError
        If the game is not a normal-form game or an option is invalid.

    Examples
    --------
    In matching pennies (zero-sum) the empirical frequencies approach (1/2, 1/2):

    >>> from negsim.games import library
    >>> solution = fictitious_play(library.matching_pennies(), iterations=10_000)
    >>> solution.profile.probabilities[0].round(2)
    array([0.5, 0.5])
    >>> bool(solution.nash_conv < 0.02)
    True

    A time limit stops a long run early:

    >>> quick = fictitious_play(library.matching_pennies(), iterations=10**9, time_limit=0.2)
    >>> quick.info["stopped_early"], quick.converged, quick.iterations < 10**9
    (True, False, True)
    """
    started = time.perf_counter()
    payoffs, batched = _payoff_batch(game, "fictitious play")
    stop_at = deadline(time_limit, started)
    iterations = int(iterations)
    if iterations < 0:
        raise SolverError("iterations must be non-negative")
    x = _initial_profile(game, payoffs, initial, seed)
    checkpoints = _checkpoints(iterations, track_every)
    history: list[tuple[int, Any]] = []
    best = _Best() if stop_at is not None else None
    n = len(x)
    t = 0
    for t in range(1, iterations + 1):
        weight = 1.0 / (t + 1)
        if alternating:
            for p in range(n):
                u = _player_payoffs(payoffs, x, p)
                x[p] += weight * (_first_argmax(u) - x[p])
        else:
            u = _payoff_vectors(payoffs, x)
            responses = [_first_argmax(v) for v in u]
            for p in range(n):
                x[p] += weight * (responses[p] - x[p])
        if _checkpoint(t, iterations, checkpoints, stop_at, payoffs, x, batched, history, best):
            break
    if best is not None and best.stopped:
        x, iterations = best.x, t
    x = [p / p.sum(-1, keepdims=True) for p in x]
    info = _stopped_info({"alternating": bool(alternating)}, best, time_limit)
    return _solution("fictitious-play", game, payoffs, x, batched, iterations, started, history, info)


def _payoff_batch(game: Any, what: str) -> tuple[np.ndarray, bool]:
    """The payoff tensor with a leading batch axis, and whether the game was a batch."""
    if not isinstance(game, NormalFormGame):
        raise SolverError(f"{what} runs on normal-form games, not {type(game).__name__}")
    n = game.num_players
    if n > len(_LETTERS):
        raise SolverError(f"{what} supports at most {len(_LETTERS)} players")
    batched = game.batch_size is not None
    return (game.payoffs if batched else game.payoffs[None]), batched


def _payoff_range(payoffs: np.ndarray) -> np.ndarray:
    flat = payoffs.reshape(payoffs.shape[0], -1)
    return flat.max(-1) - flat.min(-1)


def _initial_profile(game: NormalFormGame, payoffs: np.ndarray, initial: Any, seed: int | None) -> list[np.ndarray]:
    B = payoffs.shape[0]
    shape = game.shape
    if initial is None or (isinstance(initial, str) and initial == "uniform"):
        return [np.full((B, a), 1.0 / a) for a in shape]
    if isinstance(initial, str) and initial == "random":
        rng = np.random.default_rng(seed)
        return [rng.dirichlet(np.ones(a), size=B) for a in shape]
    if isinstance(initial, str):
        raise SolverError(f"initial must be 'uniform', 'random', a MixedProfile or arrays, not {initial!r}")
    probs = initial.probabilities if isinstance(initial, MixedProfile) else initial
    if len(probs) != game.num_players:
        raise SolverError(f"the initial profile needs one vector per player ({game.num_players})")
    out = []
    for p, a in enumerate(shape):
        arr = np.asarray(probs[p], np.float64)
        if arr.shape[-1:] != (a,) or arr.ndim > 2 or (arr.ndim == 2 and arr.shape[0] != B):
            raise SolverError(f"initial strategy of {game.players[p]} must have shape ({a},) or ({B}, {a})")
        if np.any(arr < 0) or np.any(np.abs(arr.sum(-1) - 1) > 1e-6):
            raise SolverError(f"initial strategy of {game.players[p]} is not a probability vector")
        out.append(np.array(np.broadcast_to(arr, (B, a)), dtype=np.float64))
    return out


def _to_simplex(x: list[np.ndarray]) -> list[np.ndarray]:
    out = []
    for p in x:
        p = np.clip(p, 0.0, None)
        out.append(p / p.sum(-1, keepdims=True))
    return out


def _first_argmax(u: np.ndarray) -> np.ndarray:
    out = np.zeros_like(u)
    np.put_along_axis(out, u.argmax(-1)[:, None], 1.0, axis=-1)
    return out


def _checkpoints(steps: int, track_every: int | None) -> Callable[[int], bool]:
    """Whether NashConv is measured after step ``t`` (a test, not a set: ``steps`` may be huge)."""
    if track_every is not None and track_every < 0:
        raise SolverError("track_every must be non-negative")
    if track_every is None:
        points = {steps} if steps > 0 else set()
        scale = 1
        while scale <= steps:
            points.update(m * scale for m in (1, 2, 5) if m * scale <= steps)
            scale *= 10
        return points.__contains__
    if track_every == 0:
        return steps.__eq__
    return lambda t: t % track_every == 0 or t == steps


class _Best:
    """The state with the lowest NashConv at a checkpoint, game by game (for ``time_limit``)."""

    def __init__(self) -> None:
        self.x: list[np.ndarray] | None = None
        self.nash_conv = np.inf
        self.stopped = False

    def record(self, gaps: np.ndarray, x: list[np.ndarray]) -> None:
        better = gaps < self.nash_conv  # [B]
        if self.x is None:
            self.x = [a.copy() for a in x]
        elif np.any(better):
            self.x = [np.where(better[:, None], a, kept) for a, kept in zip(x, self.x, strict=True)]
        self.nash_conv = np.where(better, gaps, self.nash_conv)


def _checkpoint(
    t: int,
    last: int,
    checkpoints: Callable[[int], bool],
    stop_at: float | None,
    payoffs: np.ndarray,
    x: list[np.ndarray],
    batched: bool,
    history: list[tuple[int, Any]],
    best: _Best | None,
) -> bool:
    """Measure NashConv at a checkpoint, and at the step where the time runs out; ``True``: stop."""
    stopped = stop_at is not None and t < last and time.perf_counter() > stop_at
    if not stopped and not checkpoints(t):
        return False
    gaps = _nash_conv_batch(payoffs, x)
    history.append((t, _plain_batch(gaps, batched)))
    if best is not None:
        best.record(gaps, x)
        best.stopped = stopped
    return stopped


def _stopped_info(info: dict[str, Any], best: _Best | None, time_limit: float | None) -> dict[str, Any]:
    if best is None or not best.stopped:
        return info
    return {**info, "stopped_early": True, "time_limit": float(time_limit)}


def _plain_batch(values: np.ndarray, batched: bool) -> Any:
    values = np.asarray(values)
    if batched:
        return tuple(values.tolist())
    return values[0].item()


def _solution(
    method: str,
    game: NormalFormGame,
    payoffs: np.ndarray,
    x: list[np.ndarray],
    batched: bool,
    iterations: int,
    started: float,
    history: list[tuple[int, Any]],
    info: dict[str, Any],
) -> Solution:
    """A Solution for a (batch of) mixed profiles given batch-first arrays."""
    probs = x if batched else [p[0] for p in x]
    profile = MixedProfile(game, probs)
    u = _payoff_vectors(payoffs, x)
    values = np.stack([(a * b).sum(-1) for a, b in zip(u, x, strict=True)], axis=-1)
    gaps = np.atleast_1d(nash_conv_normal(game, probs))
    if not history or history[-1][0] != iterations:
        history.append((iterations, _plain_batch(gaps, batched)))
    return Solution(
        method=method,
        profile=profile,
        values=values if batched else values[0],
        nash_conv=gaps if batched else float(gaps[0]),
        iterations=iterations,
        seconds=time.perf_counter() - started,
        history=tuple(history),
        converged=False if info.get("stopped_early") else None,
        info=info,
    )
