"""The maximum-likelihood ``lambda`` of observed play: :func:`fit_lambda`.

The log-likelihood ``sum_a n_a y_a`` of observed choice counts ``n_a`` (``y = log
sigma``) is tracked along the principal branch with its derivative along the tangent,
every sign change from + to - is refined by bisection in the arclength, and the best of
these local maxima and the two ends of the branch is returned (Bland & Turocy 2023
discuss this estimator; pygambit's ``logit_estimate`` returns the same point).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from negsim.errors import SolverError
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.normal import NormalFormGame
from negsim.games.profile import BehaviorProfile, MixedProfile
from negsim.solvers.qre._agent import AgentSystem
from negsim.solvers.qre._normal import NormalSystem
from negsim.solvers.qre._tracer import Tracer, check_options

__all__ = ["QREFit", "fit_lambda"]


@dataclass(frozen=True, repr=False, eq=False)
class QREFit:
    """The maximum-likelihood point on the principal logit QRE branch.

    Attributes
    ----------
    lam : float
        The fitted ``lambda``.
    log_likelihood : float
        ``sum_a n_a log sigma_a`` at the fitted profile (``n_a`` the observed counts).
    profile : MixedProfile or BehaviorProfile
        The QRE at ``lam``.
    local_maxima : tuple of (float, float)
        ``(lambda, log-likelihood)`` of the candidates compared: the start of the branch
        (``lambda = 0``), every interior local maximum, and the end of the branch.
    """

    lam: float
    log_likelihood: float
    profile: MixedProfile | BehaviorProfile
    local_maxima: tuple[tuple[float, float], ...] = field(default=())

    def __repr__(self) -> str:
        return f"QREFit(lam={self.lam:.6g}, log_likelihood={self.log_likelihood:.6g})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "lam": self.lam,
            "log_likelihood": self.log_likelihood,
            "profile": self.profile.to_list(),
            "local_maxima": [list(p) for p in self.local_maxima],
        }



def fit_lambda(
    game: NormalFormGame | ExtensiveFormGame,
    observed_frequencies: Sequence[Any],
    *,
    max_lambda: float | None = None,
    max_regret: float | None = 1e-8,
    first_step: float = 0.03,
    max_accel: float = 1.1,
    tol: float = 1e-10,
) -> QREFit:
    """The maximum-likelihood ``lambda`` of observed play along the principal QRE branch.

    Parameters
    ----------
    game : NormalFormGame or ExtensiveFormGame
        A single game (the agent QRE is used for a tree, which needs perfect recall).
    observed_frequencies : sequence of array_like
        One array per player: counts (or frequencies) of each strategy ``[a_p]``, or of
        each action in sequence order ``[S_p]`` for a tree. Counts give the
        log-likelihood of the data; frequencies the same maximizer.
    max_lambda, max_regret, first_step, max_accel, tol
        How far and how finely to trace the branch, as in :func:`logit_qre`.

    Returns
    -------
    QREFit
        The fitted ``lam`` (the best of the branch's start, its interior local maxima
        and its end), the log-likelihood ``sum_a n_a log sigma_a`` there, the QRE
        profile, and the candidates compared.

    Raises
    ------
    SolverError
        If the game is a batch, the counts do not fit, or they are negative.

    Examples
    --------
    >>> from negsim.games import NormalFormGame
    >>> game = NormalFormGame.from_bimatrix([[4, 0], [1, 3]], [[1, 2], [3, 0]])
    >>> fit = fit_lambda(game, [[62, 38], [60, 40]])
    >>> round(fit.lam, 6), round(fit.log_likelihood, 6)  # pygambit's logit_estimate agrees
    (0.79715, -133.708643)
    """
    if not isinstance(game, NormalFormGame | ExtensiveFormGame):
        raise SolverError(f"fit_lambda takes a NormalFormGame or ExtensiveFormGame, not {type(game).__name__}")
    if game.batch_size is not None:
        raise SolverError("fit_lambda fits one game; use batch_item for each game of a batch")
    _, max_lambda, max_regret = check_options(max_lambda, max_regret, first_step, max_accel, None)
    if isinstance(game, NormalFormGame):
        system: NormalSystem | AgentSystem = NormalSystem(game.payoffs[None])
        sizes = game.shape
    else:
        game.require_perfect_recall("the agent QRE", error=SolverError)
        system = AgentSystem(game)
        sizes = game.num_sequences
    weights = _counts(game, observed_frequencies, sizes)
    tracer = Tracer(system, first_step=first_step, max_accel=max_accel, tol=tol, max_steps=20_000)
    out = tracer.run(targets=None, max_lambda=max_lambda, max_regret=max_regret, record=True, tangents=True)
    points = np.stack([z[0] for _, z in out.path])
    tangents = np.stack([t[0] for _, t in out.tangents])
    if out.status[0] == "max_lambda":
        points = np.vstack([points, out.final[0]])
        tangents = np.vstack([tangents, tangents[-1]])
    else:
        points[-1] = out.final[0]  # polished to tol
    used = weights > 0

    def loglik(z: np.ndarray) -> float:
        y = system.log_probs(z[: system.K])
        return float((weights[used] * y[used]).sum())

    slope = system.log_prob_velocity(points, tangents) @ weights
    # the ends of the branch and every interior maximum of the likelihood along it
    candidates = [points[0]]
    for k in np.flatnonzero((slope[:-1] > 0) & (slope[1:] <= 0)):
        candidates.append(_refine(tracer, points[k], tangents[k], points[k + 1], weights))
    candidates.append(points[-1])
    scored = [(float(z[system.lam]), loglik(z), z) for z in candidates]
    lam, best, z = max(scored, key=lambda item: item[1])
    y = system.log_probs(z[None, : system.K])
    if isinstance(system, NormalSystem):
        profile: MixedProfile | BehaviorProfile = MixedProfile(game, [p[0] for p in system.strategies(y)])
    else:
        profile = BehaviorProfile(game, [p[0] for p in system.behaviour(y)])
    return QREFit(
        lam=lam,
        log_likelihood=best,
        profile=profile,
        local_maxima=tuple((a, b) for a, b, _ in scored),
    )


def _counts(game: NormalFormGame | ExtensiveFormGame, observed: Sequence[Any], sizes: Sequence[int]) -> np.ndarray:
    """The observed counts of every variable, players' arrays concatenated, checked."""
    if len(observed) != game.num_players:
        raise SolverError(f"observed_frequencies needs one array per player ({game.num_players})")
    counts = []
    for p, k in enumerate(sizes):
        arr = np.asarray(observed[p], np.float64).ravel()
        if arr.shape != (k,) or np.any(arr < 0) or not np.all(np.isfinite(arr)):
            raise SolverError(f"observed counts of {game.players[p]} must be {k} non-negative numbers")
        counts.append(arr)
    return np.concatenate(counts) if counts else np.zeros(0)


def _refine(tracer: Tracer, z0: np.ndarray, t0: np.ndarray, z1: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Bisect the arclength between two branch points for a zero of d(log-likelihood)/ds."""
    idx = np.zeros(1, np.int64)
    lo, hi = 0.0, float(t0 @ (z1 - z0))
    best = z1
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        z, ok, _, _, tau = tracer.correct((z0 + mid * t0)[None], t0[None], idx, tracer.tol)
        if not ok[0]:
            break
        best = z[0]
        if tracer.sys.log_prob_velocity(z[0], tau[0]) @ weights > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * (1.0 + abs(hi)):
            break
    return best
