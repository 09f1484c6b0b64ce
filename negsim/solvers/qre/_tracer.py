"""Arclength predictor-corrector that follows a batch of solution curves of ``H(z) = 0``.

A curve of ``m`` equations in ``m + 1`` unknowns ``z = (w, lambda)`` is traced in its
arclength (Allgower & Georg 1990), so that it is followed through turning points where
``lambda`` goes back and forth: the predictor steps along the unit tangent (the kernel of
the Jacobian, oriented like the previous one), the corrector runs Newton's method on
``H`` augmented by the hyperplane orthogonal to the tangent (each Newton solve also
yields the next tangent), and the step length adapts to the corrector's first
correction, its contraction rate and the turn of the tangent, growing by at most
``max_accel`` per step. A first correction larger than 0.5 or a turn larger than 0.4
radians rejects the step, which is retried at half the length: long steps could
otherwise jump to another branch. Points at requested values of ``lambda`` are found on
the way (at their first crossing, as Gambit's ``logit_solve_lambda`` does) by a Newton
correction at fixed ``lambda``; they and the final point are solved to ``tol``, the
points in between to ``max(tol, 1e-6)``.

Every curve of a batch has its own step lengths, but each step of all curves is one set
of array operations (the Jacobians ``[b, m, m + 1]`` are solved by one call of
``numpy.linalg.solve``); curves leave the active set as they finish. Nothing here knows
about games: the equations are any :class:`~negsim.solvers.qre._system.LogitSystem`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from negsim.errors import SolverError
from negsim.solvers.qre._system import LogitSystem

__all__ = ["STOPS", "TraceResult", "Tracer", "check_options"]

STOPS = ("max_lambda", "max_regret", "stalled", "max_steps")
"""Why a curve ended; the first two count as converged."""


@dataclass(frozen=True, eq=False)
class TraceResult:
    """What :meth:`Tracer.run` found, batch first (``b`` curves, ``m + 1`` unknowns).

    Attributes
    ----------
    final : ndarray [b, m + 1]
        The last point of each curve (at ``max_lambda``, or where the regret rule ended
        it, solved to ``tol``; where it stalled or ran out of steps, the last accepted
        point).
    status : ndarray of str [b]
        One of :data:`STOPS` per curve.
    steps : ndarray of int [b]
        Accepted steps per curve.
    goals : ndarray [G]
        The positive requested ``lambda`` values and ``max_lambda``, sorted.
    hit : ndarray [b, G, m + 1]
        The point at the first crossing of each goal (NaN where never reached).
    zero_point : ndarray [b, m + 1] or None
        The start, when ``lambda = 0`` was requested.
    path : tuple of (ndarray of int, ndarray)
        When recorded: per accepted step, the curves that moved and their new points
        (the first entry is the start of every curve).
    tangents : tuple of (ndarray of int, ndarray)
        When recorded with tangents: the unit tangents at the points of ``path``.
    """

    final: np.ndarray
    status: np.ndarray
    steps: np.ndarray
    goals: np.ndarray
    hit: np.ndarray
    zero_point: np.ndarray | None
    path: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    tangents: tuple[tuple[np.ndarray, np.ndarray], ...] = ()

    @property
    def converged(self) -> np.ndarray:
        """``[b]``: the curve ended at ``max_lambda`` or by the regret rule."""
        return np.isin(self.status, STOPS[:2])


def check_options(max_lambda: float | None, max_regret: float | None, first_step: float, max_accel: float,
                  lambdas: Any) -> tuple[np.ndarray | None, float, float | None]:
    """Validated ``(targets, max_lambda, max_regret)`` of the public QRE functions."""
    targets = None
    if lambdas is not None:
        targets = np.asarray(lambdas, np.float64).ravel()
        if targets.size == 0 or not np.all(np.isfinite(targets)) or np.any(targets < 0):
            raise SolverError("lambdas must be finite, non-negative numbers")
        if np.any(np.diff(targets) <= 0):
            raise SolverError("lambdas must be strictly increasing")
    if max_lambda is None:
        max_lambda = max(float(targets[-1]), first_step) if targets is not None else 1e8
    max_lambda = float(max_lambda)
    if not (np.isfinite(max_lambda) and max_lambda > 0):
        raise SolverError(f"max_lambda must be a positive number, got {max_lambda!r}")
    if targets is not None and targets[-1] > max_lambda:
        raise SolverError("every requested lambda must be at most max_lambda")
    if max_regret is not None and not (max_regret >= 0):
        raise SolverError("max_regret must be non-negative")
    if not (first_step > 0 and max_accel >= 1):
        raise SolverError("need first_step > 0 and max_accel >= 1")
    return targets, max_lambda, max_regret


def solve_batched(A: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Batched ``numpy.linalg.solve`` (``rhs`` of shape ``[b, m]`` or ``[b, m, k]``).

    Singular systems give NaN instead of an exception.
    """
    if rhs.ndim == 2:
        return solve_batched(A, rhs[..., None])[..., 0]
    try:
        return np.linalg.solve(A, rhs)
    except np.linalg.LinAlgError:
        out = np.full(rhs.shape, np.nan)
        for i in range(A.shape[0]):  # only after a failure: find which systems are singular
            try:
                out[i] = np.linalg.solve(A[i], rhs[i])
            except np.linalg.LinAlgError:
                pass
        return out


@dataclass(eq=False)
class _State:
    """The mutable state of one :meth:`Tracer.run`, batch first."""

    z: np.ndarray  # current point per curve
    t: np.ndarray  # unit tangent there
    h: np.ndarray  # next step length
    goals: np.ndarray
    hit: np.ndarray
    threshold: np.ndarray | None  # regret that ends a curve, in payoff units
    needed: int  # goals to pass before the regret rule may end a curve
    record: bool
    tangents: bool
    reach: np.ndarray = field(init=False)  # largest lambda reached so far
    next_goal: np.ndarray = field(init=False)
    status: np.ndarray = field(init=False)
    steps: np.ndarray = field(init=False)
    attempts: np.ndarray = field(init=False)
    final: np.ndarray = field(init=False)
    active: np.ndarray = field(init=False)
    path: list[tuple[np.ndarray, np.ndarray]] = field(init=False)
    tangent_path: list[tuple[np.ndarray, np.ndarray]] = field(init=False)

    def __post_init__(self) -> None:
        B = self.z.shape[0]
        self.reach = np.zeros(B)
        self.next_goal = np.zeros(B, np.int64)
        self.status = np.full(B, "", dtype=f"<U{max(map(len, STOPS))}")
        self.steps = np.zeros(B, np.int64)
        self.attempts = np.zeros(B, np.int64)
        self.final = self.z.copy()
        self.active = np.ones(B, bool)
        everyone = np.arange(B)
        self.path = [(everyone, self.z.copy())]
        self.tangent_path = [(everyone, self.t.copy())]

    def end(self, games: np.ndarray, why: str, at: np.ndarray | None = None) -> None:
        self.status[games] = why
        self.final[games] = self.z[games] if at is None else at
        self.active[games] = False


class Tracer:
    """Arclength predictor-corrector for a batch of branches of a :class:`LogitSystem`."""

    MAX_NEWTON = 8
    DIST = 0.1  # wanted size of the first correction (log-odds and lambda, max norm)
    MAX_DIST = 0.5  # larger first corrections risk a jump to another branch: retry shorter
    CONTRACTION = 0.3  # wanted Newton contraction rate
    ANGLE = 0.1  # wanted turn of the tangent per step (radians)
    TRACE_TOL = 1e-6  # Newton tolerance between reported points

    def __init__(self, system: LogitSystem, *, first_step: float, max_accel: float, tol: float, max_steps: int):
        self.sys = system
        self.first_step = float(first_step)
        self.max_accel = float(max_accel)
        self.tol = float(tol)
        # points between the requested ones need less accuracy: Newton stops earlier there,
        # and the points reported at requested lambdas and at the end are polished to `tol`
        self.trace_tol = max(self.tol, self.TRACE_TOL)
        self.max_steps = int(max_steps)

    # ------------------------------------------------------------------ Newton
    def tangent(self, J: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """Unit kernel vectors of ``J [b, m, m + 1]``, oriented like ``previous``."""
        A = np.concatenate([J, previous[:, None, :]], axis=1)
        rhs = np.zeros((J.shape[0], J.shape[2]))
        rhs[:, -1] = 1.0
        tau = solve_batched(A, rhs)
        return tau / np.linalg.norm(tau, axis=1, keepdims=True)

    def correct(self, z: np.ndarray, t: np.ndarray, idx: np.ndarray, tol: float | None = None):
        """Newton on ``H = 0`` within the hyperplane orthogonal to ``t``.

        Each iteration solves the augmented system for the correction and, with the same
        factorization, for the tangent at the current point (oriented like ``t``): the
        tangent of the last iteration is returned with the corrected point, whether each
        row converged, the size of its first correction and its contraction rate.
        """
        b, m = len(idx), self.sys.m
        tol = self.trace_tol if tol is None else tol
        z = z.copy()
        ok = np.zeros(b, bool)
        d1 = np.zeros(b)
        contraction = np.zeros(b)
        previous = np.full(b, np.inf)
        tangent = np.zeros((b, m + 1))
        live = np.arange(b)
        for it in range(self.MAX_NEWTON):
            if live.size == 0:
                break
            H, J = self.sys.evaluate(z[live], idx[live])
            A = np.concatenate([J, t[live][:, None, :]], axis=1)
            rhs = np.zeros((live.size, m + 1, 2))
            rhs[:, :m, 0] = -H
            rhs[:, m, 1] = 1.0
            both = solve_batched(A, rhs)
            delta = both[:, :, 0]
            tangent[live] = both[:, :, 1]
            # at the rounding floor of H (near a continuum of equilibria the Jacobian is
            # ill-conditioned and the corrections stall above the step test): accept
            floor = self._at_floor(z[live], H, tol) if it > 0 else np.zeros(live.size, bool)
            delta[floor] = 0.0
            z[live] += delta
            size = np.abs(delta)
            norm = size.max(axis=1, initial=0.0)
            if it == 0:
                d1[live] = norm
            elif it == 1:
                contraction[live] = norm / np.maximum(previous[live], 1e-300)
            converged = np.all(size <= tol * (1.0 + np.abs(z[live])), axis=1) | floor
            bad = ~np.isfinite(norm)
            if it == 0:
                bad |= norm > self.MAX_DIST
            else:
                bad |= (norm > 0.5 * previous[live]) & ~converged
            ok[live[converged & ~bad]] = True
            previous[live] = norm
            live = live[~converged & ~bad]
        tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-300)
        return z, ok, d1, contraction, tangent

    def _at_floor(self, z: np.ndarray, H: np.ndarray, tol: float) -> np.ndarray:
        """Rows whose residual ``w - lambda dQ`` is within ``tol`` of the size of its terms."""
        w = z[:, : self.sys.m]
        return np.all(np.abs(H) <= tol * (1.0 + np.abs(w) + np.abs(w - H)), axis=1)

    def correct_fixed(self, z: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Newton on ``H = 0`` with ``lambda`` held fixed."""
        z = z.copy()
        m = self.sys.m
        ok = np.zeros(len(idx), bool)
        live = np.arange(len(idx))
        for _ in range(2 * self.MAX_NEWTON):
            if live.size == 0:
                break
            H, J = self.sys.evaluate(z[live], idx[live])
            delta = solve_batched(J[:, :, :m], -H)
            floor = self._at_floor(z[live], H, self.tol)
            delta[floor] = 0.0
            z[live, :m] += delta
            size = np.abs(delta)
            converged = np.all(size <= self.tol * (1.0 + np.abs(z[live, :m])), axis=1) | floor
            bad = ~np.all(np.isfinite(delta), axis=1)
            ok[live[converged & ~bad]] = True
            live = live[~converged & ~bad]
        return z, ok

    # ------------------------------------------------------------------ the path
    def run(
        self,
        *,
        targets: np.ndarray | None,
        max_lambda: float,
        max_regret: float | None,
        record: bool,
        tangents: bool = False,
        progress: bool = False,
    ) -> TraceResult:
        """Trace every curve of the system from its start at ``lambda = 0``.

        ``targets`` are the requested ``lambda`` values; ``max_regret`` (times the payoff
        range) ends a curve once all of them are passed; ``record`` keeps every accepted
        point (and ``tangents`` their tangents); ``progress`` shows a tqdm bar on stderr.
        """
        state = self._start(targets, max_lambda, max_regret, record, tangents)
        bar = _Progress(progress, state)
        try:
            while np.any(state.active):
                idx = np.flatnonzero(state.active)
                state.attempts[idx] += 1
                over = idx[state.attempts[idx] > self.max_steps]
                if over.size:
                    state.end(over, "max_steps")
                    idx = np.flatnonzero(state.active)
                    if idx.size == 0:
                        break
                self._advance(state, idx, max_lambda)
                bar.update(state)
        finally:
            bar.close()
        # polish the points where the regret rule ended a branch (found with trace_tol)
        ended = np.flatnonzero(state.status == "max_regret")
        if ended.size:
            polished, ok = self.correct_fixed(state.final[ended], ended)
            state.final[ended[ok]] = polished[ok]
        return TraceResult(
            final=state.final,
            status=state.status,
            steps=state.steps,
            goals=state.goals,
            hit=state.hit,
            zero_point=self.sys.start() if targets is not None and np.any(targets == 0) else None,
            path=tuple(state.path),
            tangents=tuple(state.tangent_path) if tangents else (),
        )

    def _start(self, targets, max_lambda, max_regret, record, tangents) -> _State:
        sys = self.sys
        B, m = sys.batch, sys.m
        z = sys.start()
        everyone = np.arange(B)
        _, J0 = sys.evaluate(z, everyone)
        e_lam = np.zeros((B, m + 1))
        e_lam[:, sys.lam] = 1.0
        goals = np.unique(np.append(targets if targets is not None else [], max_lambda))
        goals = goals[goals > 0]
        needed = 0
        if targets is not None and np.any(targets > 0):
            needed = int(np.searchsorted(goals, targets[targets > 0][-1])) + 1
        state = _State(
            z=z,
            t=self.tangent(J0, e_lam),
            h=np.full(B, self.first_step),
            goals=goals,
            hit=np.full((B, goals.size, m + 1), np.nan),
            threshold=None if max_regret is None else max_regret * sys.scale,
            needed=needed,
            record=record,
            tangents=tangents,
        )
        # the start may already be an equilibrium (uniform play)
        if state.threshold is not None and needed == 0:
            state.end(everyone[sys.regret(z, everyone) <= state.threshold], "max_regret")
        return state

    def _advance(self, state: _State, idx: np.ndarray, max_lambda: float) -> None:
        """One predictor-corrector step of the curves ``idx``, with step control and stopping."""
        lam = self.sys.lam
        z0, t0, h0 = state.z[idx], state.t[idx], state.h[idx]
        z1, ok, d1, contraction, t1 = self.correct(z0 + h0[:, None] * t0, t0, idx)
        angle = np.arccos(np.clip((t1 * t0).sum(1), -1.0, 1.0))
        ok &= np.all(np.isfinite(t1), axis=1) & (angle < 4 * self.ANGLE)
        slow = np.maximum.reduce(
            [np.sqrt(d1 / self.DIST), np.sqrt(contraction / self.CONTRACTION), angle / self.ANGLE]
        )
        slow = np.clip(np.nan_to_num(slow, nan=2.0), 1.0 / self.max_accel, 2.0)
        state.h[idx] = np.where(ok, h0 / slow, h0 / 2.0)
        rejected = idx[~ok]
        tiny = rejected[state.h[rejected] < 1e-12 * (1.0 + np.abs(state.z[rejected, lam]))]
        if tiny.size:
            state.end(tiny, "stalled")
        acc = idx[ok]
        if acc.size == 0:
            return
        za, zb = state.z[acc], z1[ok]
        state.z[acc], state.t[acc] = zb, t1[ok]
        state.steps[acc] += 1
        self._cross_goals(state, acc, za, zb)
        state.reach[acc] = np.maximum(state.reach[acc], zb[:, lam])
        if state.record:
            state.path.append((acc, zb.copy()))
            if state.tangents:
                state.tangent_path.append((acc, t1[ok].copy()))
        self._stop(state, acc, max_lambda)

    def _cross_goals(self, state: _State, acc: np.ndarray, za: np.ndarray, zb: np.ndarray) -> None:
        """Solve for the requested ``lambda`` values that a step from ``za`` to ``zb`` crossed first."""
        lam, goals = self.sys.lam, state.goals
        lam_a, lam_b = za[:, lam], zb[:, lam]
        pair_game, pair_goal, pair_z = [], [], []
        # a loop over the games that just crossed a goal (rarely more than a few goals a step)
        for row, g in enumerate(acc):
            while state.next_goal[g] < goals.size and goals[state.next_goal[g]] <= lam_b[row]:
                L = goals[state.next_goal[g]]
                if L > state.reach[g]:
                    w = (L - lam_a[row]) / (lam_b[row] - lam_a[row]) if lam_b[row] != lam_a[row] else 1.0
                    guess = za[row] + np.clip(w, 0.0, 1.0) * (zb[row] - za[row])
                    guess[lam] = L
                    pair_game.append(g)
                    pair_goal.append(state.next_goal[g])
                    pair_z.append(guess)
                state.next_goal[g] += 1
        if pair_game:
            pg, guesses = np.asarray(pair_game), np.asarray(pair_z)
            fixed, fixed_ok = self.correct_fixed(guesses, pg)
            # should Newton fail at fixed lambda, keep the interpolated point (close to the branch)
            state.hit[pg, np.asarray(pair_goal)] = np.where(fixed_ok[:, None], fixed, guesses)

    def _stop(self, state: _State, acc: np.ndarray, max_lambda: float) -> None:
        """End the curves ``acc`` that passed ``max_lambda`` or whose regret is small enough."""
        goals = state.goals
        finished = state.next_goal[acc] >= goals.size  # max_lambda passed
        if np.any(finished):
            fin = acc[finished]
            at_max = goals.size and goals[-1] == max_lambda
            state.end(fin, "max_lambda", state.hit[fin, goals.size - 1] if at_max else None)
        if state.threshold is not None:
            rest = acc[~finished]
            rest = rest[state.next_goal[rest] >= state.needed]
            if rest.size:
                small = self.sys.regret(state.z[rest], rest) <= state.threshold[rest]
                state.end(rest[small], "max_regret")


class _Progress:
    """A tqdm bar on stderr over the steps along the branch, or nothing (tqdm imported only when shown).

    The branch's length is not known in advance, so the bar counts steps and shows the
    smallest ``lambda`` reached by the branches still being traced.
    """

    def __init__(self, show: bool, state: _State) -> None:
        self._bar = None
        if show:
            from tqdm.auto import tqdm

            self._bar = tqdm(desc="QRE branch", unit="step", leave=False, postfix=self._postfix(state))

    @staticmethod
    def _postfix(state: _State) -> str:
        active = state.active
        lam = float(state.reach[active].min()) if active.any() else float(state.reach.max(initial=0.0))
        return f"lambda={lam:.4g}, tracing {int(active.sum())}/{active.size}"

    def update(self, state: _State) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(self._postfix(state), refresh=False)
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
