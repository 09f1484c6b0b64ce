"""A strategic model as a statsmodels likelihood model: any tree with perfect recall.

:class:`StrategicModel` joins a :class:`~negsim.estimate.likelihood.TreeLikelihood` (the
tree, the link and the error structure) with a design (one block of covariates per
estimated utility) and the observed outcomes. It is a statsmodels ``GenericLikelihoodModel``
with the analytic score, so ``fit()`` returns a results object with named parameters,
standard errors from the inverse Hessian, z statistics, p-values, AIC and ``summary()``.

Every evaluation is batched: :meth:`StrategicModel.loglike_batch` takes ``R`` parameter
vectors and observation weights ``[R, N]`` at once, which is what the Hessian (one batch of
finite-difference steps of the analytic gradient) and the bootstrap (one batch of
replicates, see :mod:`negsim.estimate.bootstrap`) use.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from negsim.errors import NegsimError, NegsimWarning
from negsim.estimate.formulas import Design, design_matrices, require_extra
from negsim.estimate.likelihood import TreeLikelihood, UtilityCell
from negsim.estimate.qre_likelihood import AgentQRELikelihood, tree_likelihood
from negsim.games.extensive import ExtensiveFormGame

require_extra()

from statsmodels.base.model import GenericLikelihoodModel  # noqa: E402

__all__ = ["StrategicModel", "observed_terminals", "strategic_model"]


def _terminal_histories(game: ExtensiveFormGame) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Per terminal: its full action history, and the history of the players' moves only."""
    out = []
    for z in game.terminals:
        path = game.path(int(z))
        full, moves = [], []
        for parent, child in zip(path[:-1], path[1:], strict=True):
            label = game.node_actions(parent)[int(game.action[child])]
            full.append(label)
            if game.player[parent] >= 0:
                moves.append(label)
        out.append((tuple(full), tuple(moves)))
    return out


def observed_terminals(game: ExtensiveFormGame, outcomes: Sequence[Any]) -> np.ndarray:
    """Which terminals each observed outcome is consistent with, ``bool [N, T]``.

    An outcome is a terminal's label (all terminals with that label: their probabilities
    are summed), or a path of action labels joined by ``"/"`` (``"esc/war"``), with or
    without the chance moves; a path that stops early means all terminals below it.

    Examples
    --------
    >>> from negsim.estimate.trees import egame12_tree
    >>> game, _ = egame12_tree()
    >>> observed_terminals(game, ["war", "esc", "sq/"]).astype(int)
    array([[0, 0, 1],
           [0, 1, 1],
           [1, 0, 0]])
    """
    labels = [game.node_labels[int(z)] for z in game.terminals]
    histories = _terminal_histories(game)
    table: dict[Any, np.ndarray] = {}
    values = list(outcomes)
    mask = np.zeros((len(values), game.num_terminals), dtype=bool)
    for i, value in enumerate(values):
        key = str(value)
        if key not in table:
            table[key] = _match(key, labels, histories)
        mask[i] = table[key]
    return mask


def _match(key: str, labels: list[str], histories) -> np.ndarray:
    row = np.array([label == key for label in labels])
    if row.any():
        return row
    steps = tuple(s for s in key.split("/") if s)
    row = np.array([full[: len(steps)] == steps or moves[: len(steps)] == steps for full, moves in histories])
    if not row.any() or not steps:
        known = sorted(set(labels) | {"/".join(m) for _, m in histories})
        raise NegsimError(f"outcome {key!r} is neither a terminal label nor a path of moves; known: {', '.join(known)}")
    return row


class StrategicModel(GenericLikelihoodModel):
    """Maximum likelihood for a strategic model on a game tree.

    Parameters
    ----------
    likelihood : TreeLikelihood or AgentQRELikelihood
        The tree with its estimated utility cells, link and error structure.
    design : Design
        The covariates of every estimated utility (one block per cell, same order).
    observed : ndarray of bool, shape (N, T)
        The terminals each observation is consistent with.
    outcome_labels : sequence of str, optional
        Labels of the terminals, for predictions.

    Examples
    --------
    See :func:`negsim.estimate.egame12`.
    """

    def __init__(
        self, likelihood: TreeLikelihood | AgentQRELikelihood, design: Design, observed: np.ndarray, outcome_labels=None
    ) -> None:
        self.likelihood = likelihood
        self.design = design
        self.observed = np.asarray(observed, dtype=bool)
        # the common case, every observation one terminal, takes the likelihood's fast path
        single = np.all(self.observed.sum(axis=1) == 1)
        self._terminal_index = np.argmax(self.observed, axis=1) if single else None
        self.outcome_labels = list(outcome_labels or [str(t) for t in range(likelihood.num_terminals)])
        starts = list(design.blocks) + [design.exog.shape[1]]
        self._column_cell = np.repeat(np.arange(len(design.blocks)), np.diff(starts))
        import pandas as pd

        # pandas in, so that statsmodels names the parameters in its results
        endog = pd.Series(np.argmax(self.observed, axis=1).astype(float), name="terminal")
        super().__init__(endog, pd.DataFrame(design.exog, columns=list(design.names)))

    def initialize(self) -> None:
        k = self.exog.shape[1]
        self.k_constant = 0
        self.df_model = float(k)
        self.df_resid = float(self.exog.shape[0] - k)
        self.nparams = k

    # ------------------------------------------------------------------ batched core
    def utilities(self, params: np.ndarray, exog: np.ndarray | None = None) -> np.ndarray:
        """Utilities of the estimated cells, ``[R, N, C]`` for parameters ``[R, K]``."""
        exog = self.exog if exog is None else exog
        params = np.atleast_2d(params)
        out = np.zeros((params.shape[0], exog.shape[0], len(self.design.blocks)))
        for c, (lo, hi) in enumerate(self._block_ranges()):
            out[:, :, c] = params[:, lo:hi] @ exog[:, lo:hi].T
        return out

    def _block_ranges(self) -> list[tuple[int, int]]:
        starts = list(self.design.blocks) + [self.exog.shape[1]]
        return list(zip(starts[:-1], starts[1:], strict=True))

    def loglike_batch(self, params: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Log-likelihoods ``[R]`` and scores ``[R, K]`` for parameter vectors ``[R, K]``.

        ``weights [R, N]`` multiply each observation's contribution (bootstrap counts).
        """
        if weights is None:
            ll_obs, score_obs = self._obs_batch(params)
            return ll_obs.sum(axis=1), score_obs.sum(axis=1)
        # weighted sums straight from the adjoints: one matrix product per utility, no
        # per-observation scores
        params = np.atleast_2d(np.asarray(params, dtype=float))
        ll, adj = self._adjoints(params)
        grad = np.empty_like(params)
        for c, (lo, hi) in enumerate(self._block_ranges()):
            grad[:, lo:hi] = (weights * adj[:, :, c]) @ self.exog[:, lo:hi]
        return np.einsum("rn,rn->r", weights, ll), grad

    def _obs_batch(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        params = np.atleast_2d(np.asarray(params, dtype=float))
        # optimizers ask for the value and the score at the same point one after the other:
        # one evaluation gives both
        key = params.tobytes()
        cached = self.__dict__.get("_last_eval")
        if cached is not None and cached[0] == key:
            return cached[1]
        out = self._evaluate(params)
        self.__dict__["_last_eval"] = (key, out)
        return out

    def _evaluate(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ll, adj = self._adjoints(params)
        return ll, adj[:, :, self._column_cell] * self.exog[None]

    def _adjoints(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log-likelihoods ``[R, N]`` and their adjoints in the utilities ``[R, N, C]``."""
        r, n = params.shape[0], self.exog.shape[0]
        u = self.utilities(params).reshape(r * n, -1)
        ll, adj = self.likelihood.loglike_and_adjoint(u, self._observed_batch(r))
        return ll.reshape(r, n), adj.reshape(r, n, -1)

    def _observed_batch(self, r: int) -> np.ndarray:
        """The observations repeated for R parameter vectors (terminal indices when each reached one)."""
        if self._terminal_index is not None:
            return np.tile(self._terminal_index, r)
        return np.broadcast_to(self.observed, (r,) + self.observed.shape).reshape(r * self.observed.shape[0], -1)

    # ------------------------------------------------------------------ statsmodels interface
    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        return self._obs_batch(params)[0][0]

    def loglike(self, params: np.ndarray) -> float:
        return float(self._obs_batch(params)[0][0].sum())

    def score_obs(self, params: np.ndarray) -> np.ndarray:
        return self._obs_batch(params)[1][0]

    def score(self, params: np.ndarray) -> np.ndarray:
        return self._obs_batch(params)[1][0].sum(axis=0)

    def hessian(self, params: np.ndarray) -> np.ndarray:
        """The Hessian of the log-likelihood, from the Hessians of each observation in its utilities."""
        params = np.asarray(params, dtype=float)
        key = params.tobytes()
        cached = self.__dict__.get("_last_hessian")
        if cached is not None and cached[0] == key:
            return cached[1].copy()
        hess = self.hessian_batch(params[None])[0]
        self.__dict__["_last_hessian"] = (key, hess)
        return hess.copy()

    def observation_hessians(self, params: np.ndarray) -> np.ndarray:
        """Each observation's Hessian ``[N, K, K]`` at one parameter vector ``[K]``.

        With them the Hessian of any reweighting of the sample (a bootstrap replicate) at
        these parameters is one weighted sum.
        """
        hu = self._utility_hessians(np.atleast_2d(params))[0]  # (N, C, C)
        cell = self._column_cell
        return hu[:, cell][:, :, cell] * self.exog[:, :, None] * self.exog[:, None, :]

    def _utility_hessians(self, params: np.ndarray) -> np.ndarray:
        """Hessians ``[R, N, C, C]`` of each observation's log-likelihood in its C utilities."""
        params = np.atleast_2d(np.asarray(params, dtype=float))
        r, n = params.shape[0], self.exog.shape[0]
        u = self.utilities(params).reshape(r * n, -1)
        c = u.shape[1]
        h = 1e-5 * np.maximum(1.0, np.abs(u))  # (M, C)
        eye = np.eye(c)[:, None, :]
        steps = np.concatenate([u[None] + h[None] * eye, u[None] - h[None] * eye])
        extra = {}
        if isinstance(self.likelihood, AgentQRELikelihood):
            # every step starts from the equilibrium at the centre: a Newton step or two each
            centre = self.likelihood.solve(u)["y"]
            extra["start"] = np.broadcast_to(centre, (2 * c,) + centre.shape).reshape(-1, centre.shape[1])
        _, adj = self.likelihood.loglike_and_adjoint(steps.reshape(-1, c), self._observed_batch(2 * c * r), **extra)
        adj = adj.reshape(2, c, r * n, c)
        hu = (adj[0] - adj[1]) / (2.0 * h.T[:, :, None])  # (C, M, C): d adj_l / d u_j
        hu = 0.5 * (hu + np.swapaxes(hu, 0, 2))
        return np.moveaxis(hu, 1, 0).reshape(r, n, c, c)

    def hessian_batch(self, params: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Hessians ``[R, K, K]`` for parameter vectors ``[R, K]`` (and observation weights ``[R, N]``).

        Each observation's log-likelihood depends on the parameters only through its C
        utilities, so its Hessian is ``X_i' H_i X_i`` with ``H_i`` the ``C x C`` Hessian in the
        utilities: central differences of the analytic adjoint in 2C steps, all as one
        batch (2C evaluations instead of 2K).
        """
        hu = self._utility_hessians(params)
        if weights is not None:
            hu = hu * weights[:, :, None, None]
        cell = self._column_cell
        blocks = hu[:, :, cell][:, :, :, cell]  # (R, N, K, K)
        return np.einsum("ik,rikl,il->rkl", self.exog, blocks, self.exog)

    def fit(self, start_params=None, method: str = "minimize", maxiter: int = 500, disp: bool = False, **kwargs):
        """Maximize the likelihood; see statsmodels ``GenericLikelihoodModel.fit``.

        The default is scipy's trust-region Newton method (``min_method="trust-exact"``) with
        the analytic score and the Hessian of :meth:`hessian`, started at 0.

        Returns
        -------
        StrategicResults
        """
        from negsim.estimate.results import StrategicResults, StrategicResultsWrapper

        if start_params is None:
            start_params = np.zeros(self.exog.shape[1])
        if method == "minimize":
            kwargs.setdefault("min_method", "trust-exact")
            if kwargs["min_method"] == "trust-exact":
                # statsmodels minimizes the mean negative log-likelihood: a tight gradient
                # tolerance so that the estimates agree with other software to 1e-6
                kwargs.setdefault("gtol", 1e-8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # numpy's in the optimizer's trial steps
            fitted = super().fit(start_params=start_params, method=method, maxiter=maxiter, disp=disp, **kwargs)
        results = StrategicResults(self, fitted)
        results.check()
        return StrategicResultsWrapper(results)

    def predict(self, params: np.ndarray, exog: np.ndarray | None = None, *args, **kwargs) -> np.ndarray:
        """Outcome probabilities ``[N, T]`` at ``params`` for the design ``exog`` (default: the data)."""
        u = self.utilities(np.asarray(params, dtype=float), exog)[0]
        return self.likelihood.outcome_probabilities(u.T[None])[0]


def strategic_model(
    game: ExtensiveFormGame,
    utilities: Mapping[tuple[str, str], str],
    data: Any,
    outcome: Any,
    *,
    link: str = "probit",
    error: str = "agent",
) -> StrategicModel:
    """A strategic model on any tree with perfect recall, from formulas.

    On a tree of perfect information the choice probabilities come from a backward pass
    (:class:`~negsim.estimate.likelihood.TreeLikelihood`); with information sets of several
    nodes they are each observation's agent QRE
    (:class:`~negsim.estimate.qre_likelihood.AgentQRELikelihood`, ``error="agent"`` only).

    Parameters
    ----------
    game : ExtensiveFormGame
        The tree; terminals are named by their labels.
    utilities : mapping of (terminal label, player name) to str
        The formula of each estimated utility; all others are fixed at 0.
    data : pandas.DataFrame
    outcome : str or sequence
        A column of ``data``, or one outcome per row: a terminal label or a path of moves
        (see :func:`observed_terminals`).
    link : {"probit", "logit"}
    error : {"agent", "private"}

    Returns
    -------
    StrategicModel
        Call ``.fit()`` on it.

    Raises
    ------
    NegsimError
        For an unknown terminal, player, outcome or variable.

    Examples
    --------
    >>> import pandas as pd
    >>> from negsim.estimate.trees import egame12_tree
    >>> game, _ = egame12_tree()
    >>> df = pd.DataFrame({"x": [0.1, -0.3, 0.5, 1.2, -1.0, 0.4], "y": ["sq", "war", "capit", "sq", "war", "sq"]})
    >>> model = strategic_model(game, {("sq", "1"): "x", ("war", "2"): "1"}, df, "y")
    >>> model.exog_names
    ['u[sq,1]:Intercept', 'u[sq,1]:x', 'u[war,2]:Intercept']
    """
    labels = [game.node_labels[int(z)] for z in game.terminals]
    cells, names = [], []
    for (terminal, player), _ in utilities.items():
        if terminal not in labels:
            raise NegsimError(f"no terminal labelled {terminal!r}; terminals: {', '.join(labels)}")
        if player not in game.players:
            raise NegsimError(f"no player {player!r}; players: {', '.join(game.players)}")
        cells.append(UtilityCell(labels.index(terminal), game.players.index(player)))
        names.append(f"u[{terminal},{player}]")
    return _build(game, cells, names, list(utilities.values()), data, outcome, link=link, error=error)


def _build(game, cells, names, formulas, data, outcome, *, link, error, outcome_labels=None) -> StrategicModel:
    import pandas as pd

    frame = pd.DataFrame(data)
    outcome_columns: list[str] = []
    if isinstance(outcome, str):
        if outcome not in frame.columns:
            raise NegsimError(f"outcome column {outcome!r} is not in the data")
        outcome_columns = [outcome]
        values = frame[outcome]
    else:
        values = pd.Series(list(outcome), index=frame.index)
        if len(values) != len(frame):
            raise NegsimError(f"outcome has {len(values)} values for {len(frame)} rows of data")
        frame = frame.assign(_outcome_=values.where(values.notna(), None))
        outcome_columns = ["_outcome_"]
    design = design_matrices(formulas, names, frame, outcome_columns)
    kept = [cells[names.index(u)] for u in design.utilities]
    likelihood = tree_likelihood(game, kept, link=link, error=error)
    observed = observed_terminals(game, values[design.rows])
    labels = outcome_labels or [game.node_labels[int(z)] for z in game.terminals]
    if design.exog.shape[0] <= design.exog.shape[1]:
        warnings.warn(
            f"{design.exog.shape[0]} complete observations for {design.exog.shape[1]} parameters",
            NegsimWarning,
            stacklevel=3,
        )
    return StrategicModel(likelihood, design, observed, labels)
