"""The canonical strategic models with the literature's names and conventions.

``egame12``, ``egame122`` and ``egame123`` are the models of Signorino (2003) and of the R
package ``games`` (Kenkel & Signorino 2014): one formula per estimated utility, in the
package's order (see :data:`negsim.estimate.trees.UTILITY_NAMES`), link ``"probit"`` or
``"logit"``, error ``"agent"`` or ``"private"``. The same data give the package's estimates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from negsim.estimate.model import _build
from negsim.estimate.results import StrategicResults
from negsim.estimate.trees import UTILITY_NAMES, egame12_tree, egame122_tree, egame123_tree

__all__ = ["egame12", "egame122", "egame123"]


def _fit(tree, model_name: str, formulas, data, outcome, link, error, fit_kwargs) -> StrategicResults:
    game, cells = tree()
    model = _build(game, cells, list(UTILITY_NAMES[model_name]), list(formulas), data, outcome, link=link, error=error)
    return model.fit(**fit_kwargs)


def egame12(
    formulas: Sequence[str],
    *,
    data: Any,
    outcome: Any,
    link: str = "probit",
    error: str = "agent",
    **fit_kwargs: Any,
) -> StrategicResults:
    """Fit the two-player, three-outcome crisis game (Signorino 2003).

    Player 1 keeps the status quo (``"sq"``, utility u11) or escalates; then player 2
    capitulates (``"capit"``: u13 for player 1, 0 for player 2) or fights (``"war"``: u14 and
    u24).

    Parameters
    ----------
    formulas : sequence of 4 str
        Right-hand sides for u11, u13, u14, u24: ``"x1 + x2"`` (with an intercept),
        ``"x1 - 1"`` (without), ``"0"`` (the utility fixed at 0). String columns are
        categorical with the first level as the base.
    data : pandas.DataFrame
    outcome : str or sequence
        A column of ``data`` or an array of ``"sq"``, ``"capit"``, ``"war"`` (or paths
        such as ``"esc/war"``).
    link : {"probit", "logit"}
    error : {"agent", "private"}
    **fit_kwargs
        Passed to :meth:`~negsim.estimate.model.StrategicModel.fit`.

    Returns
    -------
    StrategicResults

    Raises
    ------
    NegsimError
        For a wrong number of formulas, an unknown variable or outcome.

    Examples
    --------
    The war1800 data of the R package ``games``:

    >>> import negsim.estimate as est
    >>> df = est.load_war1800()
    >>> fit = est.egame12(["s_wt_re1 + revis1", "0", "regime1", "balanc + regime2"],
    ...                   data=df, outcome="outcome", link="probit", error="agent")
    >>> fit.params.round(4).head(3)
    u11:Intercept   -0.4954
    u11:s_wt_re1    -0.7400
    u11:revis1       0.4272
    dtype: float64
    """
    return _fit(egame12_tree, "egame12", formulas, data, outcome, link, error, fit_kwargs)


def egame122(
    formulas: Sequence[str],
    *,
    data: Any,
    outcome: Any,
    link: str = "probit",
    error: str = "agent",
    **fit_kwargs: Any,
) -> StrategicResults:
    """Fit the two-player, four-outcome game: player 1 moves L or R, then player 2 does.

    Parameters
    ----------
    formulas : sequence of 6 str
        Right-hand sides for u11, u12, u13, u14 (player 1 at terminals 1-4) and u22, u24
        (player 2 at terminals 2 and 4; u21 = u23 = 0).
    data, outcome, link, error, **fit_kwargs
        As in :func:`egame12`; outcomes are ``"1"`` .. ``"4"`` or paths such as ``"L/R"``.

    Returns
    -------
    StrategicResults

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": ["1", "1", "1", "2", "3", "4", "4", "4"] * 5})
    >>> fit = egame122(["1", "0", "0", "0", "1", "1"], data=df, outcome="y")
    >>> list(fit.params.index)
    ['u11:Intercept', 'u22:Intercept', 'u24:Intercept']
    """
    return _fit(egame122_tree, "egame122", formulas, data, outcome, link, error, fit_kwargs)


def egame123(
    formulas: Sequence[str],
    *,
    data: Any,
    outcome: Any,
    link: str = "probit",
    error: str = "agent",
    **fit_kwargs: Any,
) -> StrategicResults:
    """Fit the three-player game: each player in turn ends the game (L) or passes it on (R).

    Parameters
    ----------
    formulas : sequence of 8 str
        Right-hand sides for u11, u13, u15, u16, u23, u25, u26, u36.
    data, outcome, link, error, **fit_kwargs
        As in :func:`egame12`; outcomes are ``"1"``, ``"3"``, ``"5"``, ``"6"`` or paths.

    Returns
    -------
    StrategicResults

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": ["1", "3", "5", "6", "6", "3", "1", "1"] * 5})
    >>> fit = egame123(["1", "0", "0", "0", "1", "0", "0", "1"], data=df, outcome="y")
    >>> fit.params.round(2).tolist()   # u11, u23, u36
    [-0.45, -0.36, 0.61]

    With only constants the last two match the shares: player 3 continues in 2 of 3 cases,
    so ``u36 = sqrt(2) * Phi^-1(2/3)``; player 2 continues in 3 of 5, so
    ``u23 = -sqrt(2) * Phi^-1(3/5)``.

    >>> from scipy.stats import norm
    >>> round(float(2**0.5 * norm.ppf(2 / 3)), 2), round(float(-(2**0.5) * norm.ppf(3 / 5)), 2)
    (0.61, -0.36)
    """
    return _fit(egame123_tree, "egame123", formulas, data, outcome, link, error, fit_kwargs)
