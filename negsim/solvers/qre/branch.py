"""Tracing the principal branch: :func:`logit_qre` (normal form) and :func:`agent_qre` (trees).

Both build the equations of their form (:mod:`negsim.solvers.qre._normal`,
:mod:`negsim.solvers.qre._agent`), follow the branch from uniform play at ``lambda = 0``
with the path follower of :mod:`negsim.solvers.qre._tracer`, and turn its points into a
:class:`QREBranch`: the profiles and their NashConv along the branch, and a
:class:`~negsim.solvers.Solution` at its end.

Stopping
    A branch stops at ``max_lambda`` or, when no more requested ``lambda`` lies ahead,
    as soon as no group can gain more than ``max_regret`` times the game's payoff range
    by switching to its best strategy or action (Gambit's ``maxregret`` convention). The
    Solution reports the NashConv of the final profile, which approaches 0 as ``lambda``
    grows.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from negsim.errors import NegsimWarning, SolverError
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.normal import NormalFormGame
from negsim.games.profile import BehaviorProfile, MixedProfile
from negsim.solvers._payoffs import LETTERS, nash_conv_batch, payoff_vectors
from negsim.solvers.best_response import expected_values, nash_conv
from negsim.solvers.normal_regret import nash_conv_normal
from negsim.solvers.qre._agent import AgentSystem, normalize_infosets
from negsim.solvers.qre._normal import NormalSystem
from negsim.solvers.qre._system import LogitSystem
from negsim.solvers.qre._tracer import Tracer, TraceResult, check_options
from negsim.solvers.solution import Solution

__all__ = ["QREBranch", "agent_qre", "logit_qre"]


# ---------------------------------------------------------------------------- result
@dataclass(frozen=True, repr=False, eq=False)
class QREBranch:
    """Points on the principal branch of the logit QRE correspondence, and its end.

    Attributes
    ----------
    lambdas : ndarray, shape (L,) or (B, L)
        The ``lambda`` of each point: the requested values (shared by a batch), or the
        path follower's own points, in order along the branch (``lambda`` goes back
        where the branch turns).
    profiles : tuple of ndarray
        One array per player: ``[L, a_p]`` (or ``[B, L, a_p]``) strategy probabilities
        for a normal-form game, ``[L, S_p]`` (or ``[B, L, S_p]``) behaviour probabilities
        in sequence order for an extensive game.
    nash_conv : ndarray, shape (L,) or (B, L)
        NashConv of each point's profile.
    num_points : int or ndarray of int
        Valid points per game. With the path follower's own points the branches of a
        batch have different lengths; entries after ``num_points[b]`` repeat game
        ``b``'s last point. Requested ``lambda`` values that a branch never reached
        (because it stalled) are NaN.
    solution : Solution
        The profile at the end of the branch, with its values and NashConv.
    """

    lambdas: np.ndarray
    profiles: tuple[np.ndarray, ...]
    nash_conv: np.ndarray
    num_points: int | np.ndarray
    solution: Solution

    def __repr__(self) -> str:
        lam = np.asarray(self.solution.info.get("lambda"))
        gap = np.array2string(np.asarray(self.solution.nash_conv), precision=3)
        return (
            f"QREBranch(points={np.asarray(self.num_points).tolist()}, final lambda="
            f"{np.array2string(lam, precision=4)}, nash_conv={gap})"
        )

    def profile_at(self, index: int) -> MixedProfile | BehaviorProfile:
        """The profile of point ``index`` of a single game's branch."""
        game = self.solution.game
        if self.lambdas.ndim != 1 or game.batch_size is not None:
            raise SolverError("profile_at takes a single game's branch; index the arrays for a batch")
        probs = [p[index] for p in self.profiles]
        if isinstance(game, NormalFormGame):
            return MixedProfile(game, probs)
        return BehaviorProfile(game, probs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "lambdas": self.lambdas.tolist(),
            "profiles": [p.tolist() for p in self.profiles],
            "nash_conv": self.nash_conv.tolist(),
            "num_points": np.asarray(self.num_points).tolist(),
            "solution": self.solution.to_dict(),
        }



# ---------------------------------------------------------------------------- public
def logit_qre(
    game: NormalFormGame,
    *,
    lambdas: Sequence[float] | np.ndarray | None = None,
    max_lambda: float | None = None,
    max_regret: float | None = 1e-8,
    first_step: float = 0.03,
    max_accel: float = 1.1,
    tol: float = 1e-10,
    max_steps: int = 20_000,
    progress: bool = False,
) -> QREBranch:
    """Trace the principal branch of the logit QRE of a normal-form game (or a batch).

    Parameters
    ----------
    game : NormalFormGame
        Any number of players; a batch is traced in the same array operations, each game
        along its own branch.
    lambdas : sequence of float, optional
        Strictly increasing values of ``lambda`` at which to report the branch (at its
        first crossing of each). Default: report the path follower's own points.
    max_lambda : float, optional
        Where the branch ends at the latest (default: the last of ``lambdas``, else
        ``1e8``).
    max_regret : float or None
        End the branch earlier, once every requested ``lambda`` is passed, where no player
        gains more than ``max_regret`` times the game's payoff range by switching to a
        best response (Gambit's ``logit_solve`` convention). ``None``: only
        ``max_lambda`` ends it.
    first_step, max_accel : float
        Arclength of the first step and the most a step may grow from one to the next.
    tol : float
        Newton's corrector stops when every correction is below ``tol * (1 + |value|)``
        (or the residual is within ``tol`` of its terms), at the requested ``lambdas``
        and at the end; between them the path follower uses ``max(tol, 1e-6)``.
    max_steps : int
        Most steps (accepted or not) per branch.
    progress : bool
        Show a progress bar (tqdm, on stderr) over the steps along the branch, with the
        ``lambda`` reached.

    Returns
    -------
    QREBranch
        ``lambdas`` and ``profiles`` along the branch (``[L, a_p]`` per player, batch
        first), the NashConv of each point, and ``solution``: ``method="logit-qre"``, the
        profile at the end of the branch (it approaches a Nash equilibrium as ``lambda``
        grows), its ``values`` and ``nash_conv``; ``converged`` is true when the branch
        ended at ``max_lambda`` or by ``max_regret`` (not by failure or ``max_steps``);
        ``info`` has ``"lambda"`` (final value), ``"stopped"`` (``"max_regret"``,
        ``"max_lambda"``, ``"stalled"`` (the step length collapsed: the corrector could not
        reach its tolerance, which happens at very large ``lambda`` where rounding in
        ``lambda Q`` dominates) or ``"max_steps"``), ``"steps"`` and
        ``"max_regret"`` (the final largest gain, in payoff units). For a batch these are
        arrays or lists.

    Raises
    ------
    SolverError
        If the game is not a normal-form game or an option is invalid.

    Examples
    --------
    Matching pennies with a bonus for Row on (heads, heads): at ``lambda = 0`` play is
    uniform; along the branch it approaches the mixed equilibrium in which Column plays
    heads with probability 2/5 (pygambit's ``logit_solve_lambda`` gives the same points).

    >>> from negsim.games import NormalFormGame
    >>> game = NormalFormGame.zero_sum([[2, -1], [-1, 1]])
    >>> branch = logit_qre(game, lambdas=[0.0, 1.0, 100.0])
    >>> branch.profiles[1].round(4)
    array([[0.5   , 0.5   ],
           [0.3909, 0.6091],
           [0.3992, 0.6008]])
    >>> final = logit_qre(game).solution
    >>> final.profile.probabilities[1].round(6), bool(final.nash_conv < 1e-6)
    (array([0.4, 0.6]), True)
    """
    started = time.perf_counter()
    if not isinstance(game, NormalFormGame):
        raise SolverError(f"logit_qre takes a NormalFormGame (use agent_qre for trees), not {type(game).__name__}")
    if game.num_players > len(LETTERS):
        raise SolverError(f"logit_qre handles at most {len(LETTERS)} players")
    targets, max_lambda, max_regret = check_options(max_lambda, max_regret, first_step, max_accel, lambdas)
    batched = game.batch_size is not None
    payoffs = game.payoffs if batched else game.payoffs[None]
    system = NormalSystem(payoffs)
    tracer = Tracer(system, first_step=first_step, max_accel=max_accel, tol=tol, max_steps=max_steps)
    out = tracer.run(
        targets=targets, max_lambda=max_lambda, max_regret=max_regret, record=targets is None, progress=progress
    )
    lam_points, y_points, counts = _branch_points(out, system, targets)
    probs = [np.exp(v) for v in system.split(y_points)]  # [B, L, a_p]
    L = lam_points.shape[1]
    gaps = np.stack([nash_conv_batch(payoffs, [np.nan_to_num(p[:, k]) for p in probs]) for k in range(L)], axis=1)
    gaps = np.where(np.isnan(lam_points), np.nan, gaps)
    final_probs = system.strategies(system.log_probs(out.final[:, : system.K]))
    u = payoff_vectors(payoffs, final_probs)
    values = np.stack([(a * b).sum(-1) for a, b in zip(u, final_probs, strict=True)], axis=-1)
    profile = MixedProfile(game, final_probs if batched else [p[0] for p in final_probs])
    final_gap = np.atleast_1d(nash_conv_normal(game, profile))
    solution = _qre_solution("logit-qre", profile, values, final_gap, system, out, batched, started, gaps)
    return _branch(lam_points, probs, gaps, counts, solution, batched, targets)


def agent_qre(
    game: ExtensiveFormGame,
    *,
    lambdas: Sequence[float] | np.ndarray | None = None,
    max_lambda: float | None = None,
    max_regret: float | None = 1e-6,
    first_step: float = 0.03,
    max_accel: float = 1.1,
    tol: float = 1e-10,
    max_steps: int = 20_000,
    progress: bool = False,
) -> QREBranch:
    """Trace the principal branch of the agent logit QRE of an extensive game (or a batch).

    Parameters
    ----------
    game : ExtensiveFormGame
        A game with perfect recall, any number of players; a batch (payoffs and chance
        probabilities may differ) is traced in the same array operations.
    lambdas, max_lambda, max_regret, first_step, max_accel, tol, max_steps, progress
        As in :func:`logit_qre`; the regret is measured at each information set,
        conditional on reaching it (the agent form). The default ``max_regret`` is
        ``1e-6``: conditional values are ratios of sums of reach probabilities whose
        logarithms grow like ``lambda``, and at ``lambda`` near ``1e6`` their rounding
        (about ``1e-16 lambda |log reach|``) stops the corrector before a regret of
        ``1e-8`` times the payoff range is reached.

    Returns
    -------
    QREBranch
        ``profiles`` are behaviour probabilities in sequence order (``[L, S_p]`` per
        player, batch first); ``solution`` has ``method="agent-qre"``, the final
        :class:`~negsim.games.BehaviorProfile`, its values and NashConv (computed by
        :func:`negsim.solvers.nash_conv`), and ``info`` as in :func:`logit_qre`.

    Raises
    ------
    SolverError
        If the game is not an extensive game with perfect recall or an option is invalid.

    Examples
    --------
    A simultaneous-move tree has the same QRE as its normal form:

    >>> from negsim.games import library
    >>> tree = library.battle_of_the_sexes(form="extensive")
    >>> a = agent_qre(tree, lambdas=[1.0]).profiles[0][0]
    >>> b = logit_qre(library.battle_of_the_sexes(), lambdas=[1.0]).profiles[0][0]
    >>> bool(abs(a - b).max() < 1e-9)
    True
    >>> from negsim.games import library
    >>> solution = agent_qre(library.kuhn_poker(), max_lambda=100.0).solution
    >>> bool(solution.nash_conv < 0.01), round(float(solution.values[0]), 2)
    (True, -0.06)
    """
    started = time.perf_counter()
    if not isinstance(game, ExtensiveFormGame):
        raise SolverError(
            f"agent_qre takes an ExtensiveFormGame (use logit_qre for matrices), not {type(game).__name__}"
        )
    game.require_perfect_recall("the agent QRE", error=SolverError)
    targets, max_lambda, max_regret = check_options(max_lambda, max_regret, first_step, max_accel, lambdas)
    batched = game.batch_size is not None
    system = AgentSystem(game)
    tracer = Tracer(system, first_step=first_step, max_accel=max_accel, tol=tol, max_steps=max_steps)
    out = tracer.run(
        targets=targets, max_lambda=max_lambda, max_regret=max_regret, record=targets is None, progress=progress
    )
    lam_points, y_points, counts = _branch_points(out, system, targets)
    B, L = lam_points.shape
    probs = system.per_player(y_points)
    gaps = _tree_nash_conv(game, probs, B, L)
    gaps = np.where(np.isnan(lam_points), np.nan, gaps)
    final_probs = system.behaviour(system.log_probs(out.final[:, : system.K]))
    profile = BehaviorProfile(game, final_probs if batched else [p[0] for p in final_probs])
    values = np.atleast_2d(expected_values(game, profile))
    final_gap = np.atleast_1d(nash_conv(game, profile))
    solution = _qre_solution("agent-qre", profile, values, final_gap, system, out, batched, started, gaps)
    return _branch(lam_points, probs, gaps, counts, solution, batched, targets)


# ---------------------------------------------------------------------------- helpers
def _branch_points(out: TraceResult, system: LogitSystem, targets: np.ndarray | None):
    """``lambdas [B, L]``, log-probabilities ``y [B, L, S]`` and valid counts from a tracer's output."""
    B, K, lam = system.batch, system.K, system.lam
    if targets is not None:
        goals = out.goals
        L = targets.size
        zs = np.full((B, L, K + 1), np.nan)
        for i, target in enumerate(targets):
            if target == 0:
                zs[:, i] = out.zero_point
            else:
                zs[:, i] = out.hit[:, int(np.searchsorted(goals, target))]
        unreached = np.isnan(zs).any(axis=2)
        lam_points = np.where(unreached, np.nan, np.tile(targets, (B, 1)))
        if np.any(unreached):
            games = np.flatnonzero(unreached.any(axis=1))
            warnings.warn(
                f"the QRE branch of game(s) {games.tolist()[:10]} ended (status "
                f"{sorted(set(out.status[games].tolist()))}) before some requested lambdas; they are NaN",
                NegsimWarning,
                stacklevel=3,
            )
        return lam_points, system.log_probs(zs[:, :, :K]), (~unreached).sum(axis=1)
    # the path follower's own points: step k of game g goes to position counts[g]
    counts = np.zeros(B, np.int64)
    placed = []
    for idx, z in out.path:
        placed.append((idx, counts[idx].copy(), z))
        counts[idx] += 1
    extra = np.flatnonzero(out.status == "max_lambda")
    placed.append((extra, counts[extra].copy(), out.final[extra]))
    counts[extra] += 1
    zs = np.zeros((B, int(counts.max()), K + 1))
    for idx, pos, z in placed:
        zs[idx, pos] = z
    ended = np.flatnonzero(out.status == "max_regret")
    zs[ended, counts[ended] - 1] = out.final[ended]  # the end point, polished to tol
    # pad each branch with its last point
    take = np.minimum(np.arange(zs.shape[1])[None, :], counts[:, None] - 1)
    zs = np.take_along_axis(zs, take[:, :, None], axis=1)
    return zs[:, :, lam], system.log_probs(zs[:, :, :K]), counts


def _tree_nash_conv(game: ExtensiveFormGame, probs: list[np.ndarray], B: int, L: int) -> np.ndarray:
    """NashConv ``[B, L]`` of branch profiles ``[B, L, S_p]`` of a (batch of) tree(s).

    Points that were never reached (NaN) are evaluated at the uniform profile; the caller
    masks them.
    """
    uniform = BehaviorProfile.uniform(game.batch_item(0) if game.batch_size is not None else game).probabilities
    flat = []
    for p, arr in enumerate(probs):
        arr = arr.reshape(B * L, -1)
        flat.append(np.where(np.isnan(arr).any(axis=1, keepdims=True), uniform[p], arr))
    probs = normalize_infosets(game, flat)
    payoffs = np.broadcast_to(game.payoffs, (B,) + game.payoffs.shape[-2:])
    chance = np.broadcast_to(game.chance_prob, (B, game.num_nodes))
    stacked = game.with_batch(
        payoffs=np.repeat(payoffs, L, axis=0), chance_prob=np.repeat(chance, L, axis=0)
    )
    return np.asarray(nash_conv(stacked, BehaviorProfile(stacked, probs))).reshape(B, L)


def _qre_solution(method: str, profile: MixedProfile | BehaviorProfile, values: np.ndarray, gaps: np.ndarray,
                  system: LogitSystem, out: TraceResult, batched: bool, started: float,
                  branch_gaps: np.ndarray) -> Solution:
    """The Solution at the end of the branch, with the NashConv along it as its history."""
    regret = system.regret(out.final, np.arange(system.batch))
    history = []
    for k in range(branch_gaps.shape[1]):
        col = branch_gaps[:, k]
        history.append((k, tuple(col.tolist()) if batched else float(col[0])))

    def pick(x: np.ndarray) -> Any:
        return x if batched else x[0].item() if isinstance(x[0], np.generic) else x[0]

    info = {
        "lambda": pick(out.final[:, system.lam].copy()),
        "stopped": list(out.status) if batched else str(out.status[0]),
        "steps": pick(out.steps.copy()),
        "max_regret": pick(regret),
    }
    return Solution(
        method=method,
        profile=profile,
        values=values if batched else values[0],
        nash_conv=gaps if batched else float(gaps[0]),
        iterations=int(out.steps.max(initial=0)),
        seconds=time.perf_counter() - started,
        history=tuple(history),
        converged=bool(out.converged.all()),
        info=info,
    )


def _branch(lam_points, probs, gaps, counts, solution, batched, targets) -> QREBranch:
    if targets is not None:
        lambdas = targets.copy()
    else:
        lambdas = lam_points if batched else lam_points[0]
    return QREBranch(
        lambdas=lambdas,
        profiles=tuple(p if batched else p[0] for p in probs),
        nash_conv=gaps if batched else gaps[0],
        num_points=counts if batched else int(counts[0]),
        solution=solution,
    )
