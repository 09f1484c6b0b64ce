"""The statistical ultimatum game (Ramsay & Signorino 2009), fitted by maximum likelihood.

Player 1 offers ``y`` in ``[min_offer, max_offer]`` (``Q = max_offer``); player 2 accepts,
and the players get ``Q - y`` and ``y``, or rejects, and they get their reservation values
``R1`` and ``R2``. Each player's reservation value carries a logistic shock that only this
player sees: ``R1 + e1`` with scale ``s1`` and ``R2 + e2`` with scale ``s2``. Player 2
accepts when ``y > R2 + e2``, with probability ``A(y) = logistic((y - R2) / s2)``. Player 1,
knowing ``e1`` but not ``e2``, offers the ``y`` that maximizes
``A(y) (Q - y) + (1 - A(y)) (R1 + e1)``. The first-order condition, solved for the shock,
says that the best offer is ``y`` exactly when ``R1 + e1 = g(y)`` with

    g(y) = Q - y - s2 (1 + exp((y - R2) / s2)),

which decreases in ``y``. So the offer is below ``y`` when player 1's shock is above
``g(y) - R1``: the offer's distribution function is ``F(y) = logistic((R1 - g(y)) / s1)``
inside the interval, its density ``f(y) = F'(y)``, and the offers at the bounds have the
masses ``F(min_offer)`` (player 1's reservation so high that the lowest offer is best) and
``1 - F(max_offer)``. An observation's likelihood is the density of its offer (or the mass
of its bound: offers within ``offertol`` of a bound are at it), times ``A(y)`` or
``1 - A(y)`` when the response is observed. ``R1`` and ``R2`` are linear in covariates (one
formula each, as in R); the scales are estimated on the log scale (``log(s1)``,
``log(s2)``) unless fixed. These are the model and conventions of the R package
``games``'s ``ultimatum()`` (Kenkel & Signorino 2014).

The log-likelihood, its score (analytic) and Hessian (central differences of the score)
are vectorized over observations and over a batch of parameter vectors, so the results
have everything :class:`~negsim.estimate.results.StrategicResults` offers, the bootstrap
as one batch included.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import expit, lambertw

from negsim.errors import NegsimError, NegsimWarning
from negsim.estimate.formulas import Design, design_matrices, require_extra

require_extra()

from statsmodels.base.model import GenericLikelihoodModel  # noqa: E402

__all__ = ["UltimatumModel", "ultimatum", "ultimatum_offers"]

OUTCOMES = ("both", "offer")
_QUADRATURE = np.polynomial.legendre.leggauss(256)
_MAX_EXP = 700.0  # exp() beyond this overflows; the likelihood is flat there anyway


def _log_expit(x: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -x)


def ultimatum_offers(
    r1: Any, r2: Any, shock1: Any, *, max_offer: float, min_offer: float = 0.0, s2: float = 1.0
) -> np.ndarray:
    """Player 1's best offer given its reservation value ``r1 + shock1`` and player 2's ``r2``.

    The first-order condition ``r1 + shock1 = g(y)`` (see the module docstring) solved for
    ``y`` with the Lambert W function, then clipped to the feasible offers. With it one
    simulates the model: draw ``shock1`` (logistic, scale ``s1``), take the offer, draw
    player 2's acceptance with probability ``logistic((y - r2) / s2)``.

    Parameters
    ----------
    r1, r2, shock1 : array_like
        Broadcast together.
    max_offer, min_offer : float
    s2 : float
        Scale of player 2's shock.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> ultimatum_offers([0.0, 3.0, 9.5], 2.0, 0.0, max_offer=10.0).round(4)
    array([3.6728, 3.0737, 0.    ])
    """
    r1, r2, shock1 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (r1, r2, shock1)))
    w = r1 + shock1
    # y = Q - w - s2 (1 + W(exp((Q - w - s2 - R2) / s2))); for huge arguments W(e^x) ~ x - log x
    x = (max_offer - w - s2 - r2) / s2
    small = x < _MAX_EXP
    lw = np.empty_like(x)
    lw[small] = lambertw(np.exp(x[small])).real
    big = x[~small]
    lw[~small] = big - np.log(big)
    return np.clip(max_offer - w - s2 * (1.0 + lw), min_offer, max_offer)


class UltimatumModel(GenericLikelihoodModel):
    """Maximum likelihood for the statistical ultimatum game.

    Parameters
    ----------
    design : Design
        Two blocks of covariates: ``R1`` (player 1's reservation value) and ``R2``.
    offers : ndarray, shape (N,)
    accepted : ndarray of {0, 1}, shape (N,), or None
        Player 2's responses; None when only the offers are modelled.
    max_offer, min_offer, offertol : float
    s1, s2 : float or None
        Fixed scales, or None to estimate ``log(s1)``, ``log(s2)``.

    Examples
    --------
    See :func:`ultimatum`.
    """

    def __init__(
        self,
        design: Design,
        offers: np.ndarray,
        accepted: np.ndarray | None,
        *,
        max_offer: float,
        min_offer: float = 0.0,
        offertol: float = float(np.sqrt(np.finfo(float).eps)),
        s1: float | None = None,
        s2: float | None = None,
    ) -> None:
        import pandas as pd

        self.design = design
        self.offers = np.asarray(offers, dtype=float)
        self.accepted = None if accepted is None else np.asarray(accepted, dtype=float)
        self.max_offer, self.min_offer, self.offertol = float(max_offer), float(min_offer), float(offertol)
        self.fixed_scales = (s1, s2)
        self.at_min = np.abs(self.offers - self.min_offer) < self.offertol
        self.at_max = np.abs(self.offers - self.max_offer) < self.offertol
        self.outcome_labels = ["E(offer)", "Pr(accept)"]
        self._k_r1 = design.blocks[1] if len(design.blocks) > 1 else design.exog.shape[1]
        extra = [name for name, s in (("log(s1)", s1), ("log(s2)", s2)) if s is None]
        endog = pd.Series(self.offers, name="offer")
        super().__init__(endog, pd.DataFrame(design.exog, columns=list(design.names)), extra_params_names=extra or None)

    def initialize(self) -> None:
        # statsmodels counts the scales as extra parameters beside the columns of exog (and
        # takes them off df_resid itself)
        self.k_constant = 0
        self.df_model = float(self.exog.shape[1])
        self.df_resid = float(self.exog.shape[0] - self.exog.shape[1])
        self.nparams = self.exog.shape[1] + sum(s is None for s in self.fixed_scales)

    # ------------------------------------------------------------------ parameters
    def indices(self, params: np.ndarray, exog: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """``R1, R2 [R, N]`` and ``log s1, log s2 [R, 1]`` for parameter vectors ``[R, K]``."""
        exog = self.exog if exog is None else exog
        params = np.atleast_2d(np.asarray(params, dtype=float))
        k, kx = self._k_r1, exog.shape[1]
        r1 = params[:, :k] @ exog[:, :k].T
        r2 = params[:, k:kx] @ exog[:, k:kx].T
        col = kx
        logs = []
        for fixed in self.fixed_scales:
            if fixed is None:
                logs.append(params[:, col : col + 1])
                col += 1
            else:
                logs.append(np.full((params.shape[0], 1), np.log(fixed)))
        return r1, r2, logs[0], logs[1]

    # ------------------------------------------------------------------ likelihood
    def _obs_and_index_scores(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log-likelihoods ``[R, N]`` and their derivatives ``[R, N, 4]`` in (R1, R2, log s1, log s2)."""
        # optimizers and the bootstrap try far-off points: there the likelihood is -inf or NaN,
        # which they treat as a failed step, so numpy need not warn
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return self._obs_and_index_scores_unguarded(params)

    def _obs_and_index_scores_unguarded(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r1, r2, ls1, ls2 = self.indices(params)
        s1, s2 = np.exp(ls1), np.exp(ls2)
        # an offer at a bound is evaluated there (offertol absorbs floating-point offers)
        y = np.where(self.at_min, self.min_offer, np.where(self.at_max, self.max_offer, self.offers))[None]
        a = (y - r2) / s2
        e = np.exp(np.minimum(a, _MAX_EXP))
        q = (r1 - self.max_offer + y + s2 * (1.0 + e)) / s1  # F(y) = logistic(q)
        fq, gq = expit(q), expit(-q)
        dq = np.stack(
            [np.broadcast_to(1.0 / s1, q.shape), -e / s1, -q, s2 * (1.0 + e - a * e) / s1], axis=-1
        )  # dq / d(R1, R2, log s1, log s2)
        da = np.stack([np.zeros_like(a), np.broadcast_to(-1.0 / s2, a.shape), np.zeros_like(a), -a], axis=-1)
        la = expit(a)
        # interior: log f = log F(q) + log F(-q) - log s1 + log(1 + e^a)
        ll_in = _log_expit(q) + _log_expit(-q) - ls1 + np.logaddexp(0.0, a)
        d_in = (1.0 - 2.0 * fq)[..., None] * dq + la[..., None] * da
        d_in[..., 2] -= 1.0
        ll = np.where(self.at_min, _log_expit(q), np.where(self.at_max, _log_expit(-q), ll_in))
        d = np.where(
            self.at_min[:, None], gq[..., None] * dq, np.where(self.at_max[:, None], -fq[..., None] * dq, d_in)
        )
        if self.accepted is not None:
            acc = self.accepted == 1
            ll = ll + np.where(acc, _log_expit(a), _log_expit(-a))
            d = d + np.where(acc[:, None], (1.0 - la)[..., None], -la[..., None]) * da
        return ll, d

    def _param_scores(self, d: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per-observation scores ``[R, N, K]`` from the index derivatives (weighted when asked)."""
        k, kx = self._k_r1, self.exog.shape[1]
        if weights is not None:
            with np.errstate(invalid="ignore"):  # an observation left out has weight 0, whatever its score
                d = np.where(weights[..., None] != 0, d * weights[..., None], 0.0)
        parts = [d[..., :1] * self.exog[None, :, :k], d[..., 1:2] * self.exog[None, :, k:kx]]
        parts += [d[..., 2 + j : 3 + j] for j, s in enumerate(self.fixed_scales) if s is None]
        return np.concatenate(parts, axis=-1)

    def loglike_batch(self, params: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Log-likelihoods ``[R]`` and scores ``[R, K]`` for parameter vectors ``[R, K]`` (weights ``[R, N]``)."""
        ll, d = self._obs_and_index_scores(params)
        with np.errstate(invalid="ignore"):  # NaN at far-off trial points: a failed step, not a warning
            if weights is not None:
                ll = np.where(weights != 0, ll * weights, 0.0)
            return ll.sum(axis=1), self._param_scores(d, weights).sum(axis=1)

    def _cached(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        params = np.atleast_2d(np.asarray(params, dtype=float))
        key = params.tobytes()
        cached = self.__dict__.get("_last_eval")
        if cached is None or cached[0] != key:
            ll, d = self._obs_and_index_scores(params)
            cached = (key, (ll[0], self._param_scores(d)[0]))
            self.__dict__["_last_eval"] = cached
        return cached[1]

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        return self._cached(params)[0]

    def loglike(self, params: np.ndarray) -> float:
        return float(self._cached(params)[0].sum())

    def score_obs(self, params: np.ndarray) -> np.ndarray:
        return self._cached(params)[1]

    def score(self, params: np.ndarray) -> np.ndarray:
        return self._cached(params)[1].sum(axis=0)

    def _difference_steps(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        params = np.atleast_2d(np.asarray(params, dtype=float))
        k = params.shape[1]
        h = 1e-5 * np.maximum(1.0, np.abs(params))  # (R, K)
        eye = np.eye(k)
        steps = np.concatenate([params[:, None] + h[:, None] * eye, params[:, None] - h[:, None] * eye], axis=1)
        return steps.reshape(-1, k), h

    def hessian_batch(self, params: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Hessians ``[R, K, K]``: central differences of the analytic score, all steps one batch."""
        params = np.atleast_2d(np.asarray(params, dtype=float))
        r, k = params.shape
        steps, h = self._difference_steps(params)
        _, d = self._obs_and_index_scores(steps)
        w = None if weights is None else np.repeat(weights, 2 * k, axis=0)
        g = self._param_scores(d, w).sum(axis=1).reshape(r, 2, k, k)
        hess = (g[:, 0] - g[:, 1]) / (2.0 * h[:, :, None])
        return 0.5 * (hess + np.swapaxes(hess, 1, 2))

    def observation_hessians(self, params: np.ndarray) -> np.ndarray:
        """Each observation's Hessian ``[N, K, K]`` at one parameter vector ``[K]``."""
        params = np.atleast_2d(np.asarray(params, dtype=float))
        k = params.shape[1]
        steps, h = self._difference_steps(params)
        _, d = self._obs_and_index_scores(steps)
        g = self._param_scores(d)  # (2K, N, K)
        hess = (g[:k] - g[k:]) / (2.0 * h[0][:, None, None])  # (K, N, K)
        hess = np.moveaxis(hess, 1, 0)
        return 0.5 * (hess + np.swapaxes(hess, 1, 2))

    def hessian(self, params: np.ndarray) -> np.ndarray:
        return self.hessian_batch(np.asarray(params, dtype=float)[None])[0]

    # ------------------------------------------------------------------ fitting
    def start_params_default(self) -> np.ndarray:
        """Least-squares starts: ``R1`` from ``Q - y``, ``R2`` from ``y``, scales from ``sd(y)``."""
        y = self.offers
        k, kx = self._k_r1, self.exog.shape[1]
        spread = float(np.log(max(np.std(y, ddof=1) if y.size > 1 else 1.0, 1e-3)))
        # an offer y means g(y) = R1 + e1, so R1 is near Q - y - 2 s2; player 2's value near y - s2
        b1 = np.linalg.lstsq(self.exog[:, :k], self.max_offer - y - 2.0 * np.exp(spread), rcond=None)[0]
        b2 = np.linalg.lstsq(self.exog[:, k:kx], y - np.exp(spread), rcond=None)[0]
        return np.concatenate([b1, b2, [spread] * sum(s is None for s in self.fixed_scales)])

    def fit(self, start_params=None, method: str = "minimize", maxiter: int = 500, disp: bool = False, **kwargs):
        """Maximize the likelihood (scipy's trust-region Newton with the analytic score).

        Returns
        -------
        StrategicResults
        """
        from negsim.estimate.results import StrategicResults, StrategicResultsWrapper

        if start_params is None:
            start_params = self.start_params_default()
            if not np.isfinite(self.loglike(start_params)):
                start_params = np.zeros_like(start_params)
        if method == "minimize":
            kwargs.setdefault("min_method", "trust-exact")
            if kwargs["min_method"] == "trust-exact":
                # statsmodels minimizes the mean negative log-likelihood; below a gradient
                # norm of about 1e-8 its decrease is lost in rounding (scipy then stops with
                # "a bad approximation"), so ask for 1e-7: parameters within 1e-6 of the maximum
                kwargs.setdefault("gtol", 1e-7)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            fitted = super().fit(start_params=start_params, method=method, maxiter=maxiter, disp=disp, **kwargs)
        results = StrategicResults(self, fitted)
        results.check()
        return StrategicResultsWrapper(results)

    def predict(self, params: np.ndarray, exog: np.ndarray | None = None, *args, **kwargs) -> np.ndarray:
        """Expected offer and probability of acceptance, ``[N, 2]``, by quadrature over the offers.

        ``E(y) = min_offer + integral (1 - F(y)) dy`` over the feasible offers, and
        ``Pr(accept) = F(min) A(min) + integral A f dy + (1 - F(max)) A(max)``
        (256-point Gauss-Legendre).
        """
        r1, r2, ls1, ls2 = (v[0] for v in self.indices(np.asarray(params, dtype=float), exog))
        s1, s2 = np.exp(ls1), np.exp(ls2)
        lo, hi = self.min_offer, self.max_offer
        nodes, wts = _QUADRATURE
        y = 0.5 * (hi - lo) * nodes + 0.5 * (hi + lo)  # (P,)
        half = 0.5 * (hi - lo)

        def cdf(v):
            a = np.minimum((v - r2[:, None]) / s2, _MAX_EXP)
            return expit((r1[:, None] - self.max_offer + v + s2 * (1.0 + np.exp(a))) / s1), a

        f_y, a = cdf(y[None])
        accept = expit(a)
        mass_lo, a_lo = cdf(np.array([[lo]]))
        f_hi, a_hi = cdf(np.array([[hi]]))
        q = (r1[:, None] - self.max_offer + y + s2 * (1.0 + np.exp(a))) / s1
        density = expit(q) * expit(-q) / s1 * (1.0 + np.exp(a))
        expected = lo + half * ((1.0 - f_y) @ wts)
        p_accept = (
            mass_lo[:, 0] * expit(a_lo[:, 0])
            + half * ((accept * density) @ wts)
            + (1.0 - f_hi[:, 0]) * expit(a_hi[:, 0])
        )
        return np.column_stack([expected, p_accept])


def ultimatum(
    formulas: Sequence[str],
    *,
    data: Any,
    offer: str = "offer",
    accept: str | None = "accept",
    max_offer: float,
    min_offer: float = 0.0,
    offertol: float = float(np.sqrt(np.finfo(float).eps)),
    s1: float | None = None,
    s2: float | None = None,
    outcome: str = "both",
    **fit_kwargs: Any,
):
    """Fit the statistical ultimatum game (Ramsay & Signorino 2009).

    Parameters
    ----------
    formulas : sequence of 2 str
        Right-hand sides for player 1's and player 2's reservation values ``R1``, ``R2``
        (``"x1 + x2"`` with an intercept, ``"1"`` a constant only).
    data : pandas.DataFrame
    offer : str
        The column of offers, in ``[min_offer, max_offer]``.
    accept : str or None
        The column of responses (1 accepted, 0 rejected); needed when ``outcome="both"``.
    max_offer : float
        The largest feasible offer ``Q`` (the size of the pie).
    min_offer : float
    offertol : float
        Offers within it of a bound are at the bound (a mass point of the offer's
        distribution).
    s1, s2 : float, optional
        Fix the scale of a player's shock; by default both are estimated (as ``log(s1)``,
        ``log(s2)``).
    outcome : {"both", "offer"}
        Model the offers and the responses, or the offers only (then ``R2`` is player 1's
        expectation of player 2's reservation value).
    **fit_kwargs
        Passed to :meth:`UltimatumModel.fit`.

    Returns
    -------
    StrategicResults
        ``params`` named ``R1:...``, ``R2:...``, ``log(s1)``, ``log(s2)``;
        ``predict_outcomes(data)`` gives the expected offer and the probability of
        acceptance.

    Raises
    ------
    NegsimError
        For an offer outside the feasible interval, responses that are not 0/1, a wrong
        number of formulas, an unknown column.

    Examples
    --------
    Simulated offers of a pie of 10 when player 2's reservation value rises with ``x``:

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> x = rng.normal(size=2000)
    >>> r1, r2 = 1.0, 3.0 + 1.0 * x
    >>> y = ultimatum_offers(r1, r2, rng.logistic(size=2000), max_offer=10.0)
    >>> df = pd.DataFrame({"x": x, "offer": y, "accept": (y > r2 + rng.logistic(size=2000)).astype(int)})
    >>> fit = ultimatum(["1", "x"], data=df, max_offer=10.0)
    >>> fit.params.round(2).to_dict()
    {'R1:Intercept': 1.16, 'R2:Intercept': 3.04, 'R2:x': 1.0, 'log(s1)': -0.02, 'log(s2)': -0.01}
    >>> fit.predict_outcomes(pd.DataFrame({"x": [0.0]})).round(2)
       E(offer)  Pr(accept)
    0      4.24        0.76
    """
    import pandas as pd

    if outcome not in OUTCOMES:
        raise NegsimError(f"unknown outcome {outcome!r}; choose one of {list(OUTCOMES)}")
    frame = pd.DataFrame(data)
    both = outcome == "both"
    if both and accept is None:
        raise NegsimError("outcome='both' needs the column of responses (accept=...); or use outcome='offer'")
    columns = [offer] + ([accept] if both else [])
    for col in columns:
        if col not in frame.columns:
            raise NegsimError(f"column {col!r} is not in the data (columns: {', '.join(map(str, frame.columns))})")
    if not max_offer > min_offer:
        raise NegsimError(f"max_offer ({max_offer}) must exceed min_offer ({min_offer})")
    for name, s in (("s1", s1), ("s2", s2)):
        if s is not None and not s > 0:
            raise NegsimError(f"{name} must be positive, got {s}")
    design = design_matrices(list(formulas), ["R1", "R2"], frame, columns)
    if design.utilities != ["R1", "R2"]:
        raise NegsimError("both reservation values need a formula (at least '1' for a constant)")
    used = frame.loc[design.rows]
    offers = pd.to_numeric(used[offer], errors="coerce").to_numpy(dtype=float)
    tol = offertol
    bad = ~np.isfinite(offers) | (offers < min_offer - tol) | (offers > max_offer + tol)
    if bad.any():
        first = used[offer].iloc[int(np.argmax(bad))]
        raise NegsimError(f"{int(bad.sum())} offers are not numbers in [{min_offer}, {max_offer}] (first: {first!r})")
    accepted = None
    if both:
        accepted = pd.to_numeric(used[accept], errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isin(accepted, (0.0, 1.0))):
            raise NegsimError(f"the responses in {accept!r} must be 0 (rejected) or 1 (accepted)")
    if design.exog.shape[0] <= design.exog.shape[1] + 2:
        warnings.warn(
            f"{design.exog.shape[0]} complete observations for {design.exog.shape[1] + 2} parameters",
            NegsimWarning,
            stacklevel=2,
        )
    model = UltimatumModel(
        design, offers, accepted, max_offer=max_offer, min_offer=min_offer, offertol=offertol, s1=s1, s2=s2
    )
    return model.fit(**fit_kwargs)
