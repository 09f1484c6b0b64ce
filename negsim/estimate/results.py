"""Results of a strategic model: statsmodels' results with the checks and tools of the field.

:class:`StrategicResults` is a statsmodels ``GenericLikelihoodModelResults`` (``params``
named, ``bse``, ``tvalues`` (z), ``pvalues``, ``llf``, ``aic``, ``bic``, ``conf_int()``,
``summary()``), plus:

* :meth:`~StrategicResults.check`, run by ``fit()``: a warning, never a silent answer, when
  the optimizer did not converge or the Hessian is not negative definite (the utilities are
  not identified, for example a covariate in all of a player's utilities);
* :meth:`~StrategicResults.predict_outcomes`: outcome probabilities for new data;
* :meth:`~StrategicResults.bootstrap`: bootstrap standard errors, all replicates fitted as
  one batch;
* :meth:`~StrategicResults.profile`: the profile likelihood of one parameter.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from negsim.errors import NegsimError, NegsimWarning
from negsim.estimate.formulas import require_extra

require_extra()

import statsmodels.base.wrapper as wrap  # noqa: E402
from statsmodels.base.model import GenericLikelihoodModelResults, LikelihoodResultsWrapper  # noqa: E402

__all__ = ["StrategicResults", "StrategicResultsWrapper"]


class StrategicResults(GenericLikelihoodModelResults):
    """The fit of a :class:`~negsim.estimate.model.StrategicModel`.

    Examples
    --------
    >>> import negsim.estimate as est
    >>> fit = est.egame12(["s_wt_re1 + revis1", "0", "regime1", "balanc + regime2"],
    ...                   data=est.load_war1800(), outcome="outcome")
    >>> round(fit.llf, 4), fit.nobs
    (-286.1238, 282)
    >>> fit.predict_outcomes(est.load_war1800().head(2)).round(3)
          sq  capit    war
    0  0.568  0.160  0.272
    1  0.645  0.192  0.163
    """

    def check(self) -> None:
        """Warn if the optimizer did not converge or the Hessian does not identify the parameters."""
        retvals = getattr(self, "mle_retvals", None) or {}
        if not retvals.get("converged", True):
            warnings.warn(
                f"the likelihood maximization did not converge ({retvals.get('iterations', '?')} iterations); "
                "the estimates are not a maximum: try other start_params or method='newton'",
                NegsimWarning,
                stacklevel=3,
            )
        hessian = self.model.hessian(self.params)
        eig = np.linalg.eigvalsh(-hessian)
        if not np.all(np.isfinite(eig)) or eig.min() <= 1e-8 * max(1.0, abs(eig).max()):
            warnings.warn(
                "the Hessian is not negative definite at the estimate: some parameters are not identified "
                "(a covariate in every utility of a player's options?) and their standard errors are meaningless",
                NegsimWarning,
                stacklevel=3,
            )

    def predict_outcomes(self, data: Any = None) -> Any:
        """Outcome probabilities for new data (default: the estimation sample).

        Parameters
        ----------
        data : pandas.DataFrame, optional

        Returns
        -------
        pandas.DataFrame
            One column per terminal label, one row per row of ``data``.
        """
        import pandas as pd

        model = self.model
        exog = model.exog if data is None else model.design.transform(data)
        probs = model.predict(np.asarray(self.params), exog)
        index = None if data is None else pd.DataFrame(data).index
        return pd.DataFrame(probs, columns=model.outcome_labels, index=index)

    def bootstrap(self, replicates: int = 1000, *, seed: int | None = 0) -> np.ndarray:
        """Bootstrap replicates of the estimates, all fitted as one batch.

        Each replicate resamples the observations with replacement (as multinomial counts)
        and is fitted by batched Newton steps started at the estimate.

        Parameters
        ----------
        replicates : int
        seed : int, optional

        Returns
        -------
        ndarray, shape (replicates, K)
            Also kept as ``self.bootstrap_params``; ``self.bootstrap_bse`` their standard
            deviations.
        """
        from negsim.estimate.bootstrap import bootstrap_fits

        estimates = bootstrap_fits(self.model, np.asarray(self.params), replicates, seed=seed)
        self.bootstrap_params = estimates
        self.bootstrap_bse = np.nanstd(estimates, axis=0, ddof=1)
        return estimates

    def profile(self, name: str | int, values: Any) -> np.ndarray:
        """The profile log-likelihood of one parameter at the given values.

        Parameters
        ----------
        name : str or int
            The parameter, by name or position.
        values : array_like
            Values to fix it at; the other parameters are maximized out.

        Returns
        -------
        ndarray
            The maximized log-likelihood at each value.
        """
        from scipy.optimize import minimize

        names = list(self.model.exog_names)
        if isinstance(name, str):
            if name not in names:
                raise NegsimError(f"no parameter {name!r}; parameters: {', '.join(names)}")
            index = names.index(name)
        else:
            index = int(name)
        free = np.arange(len(names)) != index
        out = []
        start = np.asarray(self.params, dtype=float)
        for value in np.atleast_1d(np.asarray(values, dtype=float)):

            def negll(theta_free, value=value):
                theta = start.copy()
                theta[free] = theta_free
                theta[index] = value
                ll, grad = self.model.loglike_batch(theta[None])
                return -ll[0], -grad[0][free]

            res = minimize(negll, start[free], jac=True, method="BFGS")
            out.append(-res.fun)
        return np.array(out)


class StrategicResultsWrapper(LikelihoodResultsWrapper):
    """statsmodels' wrapper: parameters, standard errors and statistics as named pandas objects."""

    _attrs = {**LikelihoodResultsWrapper._attrs, "bootstrap_bse": "columns"}
    _wrap_attrs = wrap.union_dicts(LikelihoodResultsWrapper._wrap_attrs, _attrs)


wrap.populate_wrapper(StrategicResultsWrapper, StrategicResults)
