r"""Fearon's bargaining range: whether any deal beats fighting at all.

Fearon's bargaining range
    Two states dispute a good of size 1. War gives ``A`` the whole with probability ``p``
    and costs ``c_A`` and ``c_B``; with risk-neutral states ``A``'s war payoff is
    ``p - c_A`` and ``B``'s ``1 - p - c_B``. Every split giving ``A`` a share in
    ``[p - c_A, p + c_B]`` is better than war for both (Fearon 1995), so when fighting is
    costly (``c_A + c_B > 0``) and information complete, war is not rational.
    :func:`fearon_range` computes the range (risk aversion widens it) and
    :func:`war_is_rational` where it is empty.

References
----------
- Fearon, J. D. (1995). Rationalist explanations for war. *International Organization*
  49(3), 379–414.
- Powell, R. (2006). War as a commitment problem. *International Organization* 60(1),
  169–203.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from negsim.bargaining._common import _plain, _scalar
from negsim.errors import SolverError

__all__ = ["FearonRange", "fearon_range", "war_is_rational"]


@dataclass(frozen=True, repr=False, eq=False)
class FearonRange:
    """Fearon's bargaining range: the shares of the good for ``A`` that both sides prefer to war.

    Arrays have the broadcast shape of the parameters.

    Attributes
    ----------
    low, high : float or ndarray
        The smallest share ``A`` accepts rather than fight and the largest ``B`` concedes
        rather than fight, within ``[0, 1]``; NaN where the range is empty.
    nonempty : bool or ndarray of bool
        Whether some split beats war for both sides.
    p : float or ndarray
        The probability that ``A`` wins the war.
    cost_a, cost_b : float or ndarray
        The costs of war to ``A`` and ``B``, in units of the good (of utility, with
        risk-averse states).
    exponents : tuple of float or ndarray
        The exponents ``r_A, r_B`` of the utilities ``x ** r`` (1: risk-neutral).
    """

    low: float | np.ndarray
    high: float | np.ndarray
    nonempty: bool | np.ndarray
    p: float | np.ndarray
    cost_a: float | np.ndarray
    cost_b: float | np.ndarray
    exponents: tuple[Any, Any] = (1.0, 1.0)

    @property
    def width(self) -> float | np.ndarray:
        """``high - low`` (0 where the range is empty)."""
        return _scalar(np.where(self.nonempty, np.nan_to_num(np.asarray(self.high) - np.asarray(self.low)), 0.0))

    def __repr__(self) -> str:
        def show(value: Any) -> str:
            return np.array2string(np.asarray(value), precision=6, separator=", ")

        return f"FearonRange(low={show(self.low)}, high={show(self.high)}, nonempty={show(self.nonempty)})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the range (NaN bounds of empty ranges become ``None``)."""

        def plain(value: Any) -> Any:
            bound = np.asarray(value, dtype=np.float64)
            return np.where(np.isnan(bound), None, bound).tolist()

        return {
            "low": plain(self.low),
            "high": plain(self.high),
            "nonempty": _plain(np.asarray(self.nonempty)),
            "p": _plain(np.asarray(self.p)),
            "cost_a": _plain(np.asarray(self.cost_a)),
            "cost_b": _plain(np.asarray(self.cost_b)),
            "exponents": [_plain(np.asarray(r)) for r in self.exponents],
        }

    def explain(self) -> str:
        """Why war is or is not rational here, in words (one line per setting for arrays).

        Examples
        --------
        >>> print(fearon_range(0.6, 0.1, 0.2).explain())
        Every split giving A a share in [0.5, 0.8] beats war for both sides (A wins with
        probability 0.6; costs c_A = 0.1, c_B = 0.2, c_A + c_B = 0.3 > 0). With complete
        information and a divisible good, war is not rational; Fearon (1995) traces it to
        private information with incentives to misrepresent, to commitment problems (Powell
        2006), or to issue indivisibility.
        """
        arrays = np.broadcast_arrays(
            self.low, self.high, self.nonempty, self.p, self.cost_a, self.cost_b, *self.exponents
        )
        lines = []
        for k, values in enumerate(zip(*(a.ravel() for a in arrays), strict=True)):
            text = _explain_one(*(v.item() for v in values))
            lines.append(text if arrays[0].ndim == 0 else f"[{k}] {text}")
        return "\n".join(lines)


def fearon_range(
    p: ArrayLike,
    cost_a: ArrayLike,
    cost_b: ArrayLike,
    *,
    exponents: tuple[ArrayLike, ArrayLike] = (1.0, 1.0),
) -> FearonRange:
    """Fearon's (1995) bargaining range: the shares of the good for ``A`` that both prefer to war.

    A good of size 1 is in dispute. War gives it all to ``A`` with probability ``p`` and
    to ``B`` otherwise, at costs ``c_A`` and ``c_B``. State ``A`` values a share ``x`` at
    ``x ** r_A`` and war at ``p - c_A``; ``B`` values ``1 - x`` at ``(1 - x) ** r_B`` and war
    at ``1 - p - c_B``. With risk-neutral states (``r = 1``) the range is
    ``[p - c_A, p + c_B]``, clipped to ``[0, 1]``; risk aversion (``r < 1``) widens it,
    risk acceptance (``r > 1``) narrows it.

    Parameters
    ----------
    p : array_like
        Probability that ``A`` wins, in ``[0, 1]``.
    cost_a, cost_b : array_like
        Costs of war to ``A`` and ``B`` (in units of the good, or of utility). Negative
        costs mean a state values fighting for itself.
    exponents : (array_like, array_like)
        ``(r_A, r_B) > 0``, the curvature of each state's utility; ``(1, 1)`` by default.
        All parameters broadcast together.

    Returns
    -------
    FearonRange
        ``low`` and ``high`` (within ``[0, 1]``, NaN where empty) and ``nonempty``. The
        range is non-empty exactly when ``low <= high`` before clipping and it meets
        ``[0, 1]``. With ``c_A + c_B = 0`` (risk-neutral) it is the single point ``p``,
        where both are indifferent between war and the deal.

    Raises
    ------
    SolverError
        If ``p`` is outside ``[0, 1]``, an exponent is not positive, or a value is not
        finite.

    Notes
    -----
    For risk-neutral or risk-averse states and ``p`` in ``[0, 1]`` the range can only be
    empty if war is valued for itself: ``c_A + c_B < 0`` (risk-neutral states: exactly
    then), or one side values war above the whole good (``p - c_A > 1`` or ``p + c_B < 0``,
    which need a negative cost). Costly war (``c_A, c_B >= 0``) always leaves a deal both
    prefer. See :func:`war_is_rational` and :meth:`FearonRange.explain`.

    Examples
    --------
    >>> fearon_range(0.6, 0.1, 0.2)
    FearonRange(low=0.5, high=0.8, nonempty=True)
    >>> fearon_range([0.0, 0.5, 0.95], 0.1, 0.1).low
    array([0.  , 0.4 , 0.85])
    >>> fearon_range(0.5, 0.1, 0.1, exponents=(0.5, 0.5))   # risk aversion widens it
    FearonRange(low=0.16, high=0.84, nonempty=True)
    >>> fearon_range(0.5, -0.2, 0.1).nonempty              # A values war for itself
    False
    """
    arrays = [np.asarray(v, dtype=np.float64) for v in (p, cost_a, cost_b, *exponents)]
    if not all(np.isfinite(a).all() for a in arrays):
        raise SolverError("the parameters of the bargaining range must be finite")
    p, c_a, c_b, r_a, r_b = np.broadcast_arrays(*arrays)
    if ((p < 0) | (p > 1)).any():
        raise SolverError("the probability p that A wins must lie in [0, 1]")
    if ((r_a <= 0) | (r_b <= 0)).any():
        raise SolverError("the utility exponents must be positive")
    war_a = p - c_a  # A's expected utility of war
    war_b = 1 - p - c_b  # B's
    # the smallest share A accepts, and the largest share of its own B would give up
    low = _share_worth(war_a, r_a)
    # 1 - (1 - p - c_B) can round below p + c_B: for a risk-neutral B use the sum itself, and
    # a risk-averse B concedes at least as much as a risk-neutral one
    neutral_high = np.minimum(1.0, p + c_b)
    high = np.where(r_b == 1, neutral_high, 1 - _share_worth(war_b, r_b))
    high = np.where((r_b < 1) & (war_b <= 1), np.maximum(high, neutral_high), high)
    general = (low <= high) & (low <= 1) & (high >= 0)
    # risk-neutral: the exact conditions (the sign of a rounded sum is exact)
    neutral = (c_a + c_b >= 0) & (war_a <= 1) & (p + c_b >= 0)
    nonempty = np.where((r_a == 1) & (r_b == 1), neutral, general)
    low = np.where(nonempty, np.clip(low, 0, 1), np.nan)
    high = np.where(nonempty, np.clip(high, 0, 1), np.nan)
    return FearonRange(
        low=_scalar(low),
        high=_scalar(high),
        nonempty=_scalar(nonempty),
        p=_scalar(p),
        cost_a=_scalar(c_a),
        cost_b=_scalar(c_b),
        exponents=(_scalar(r_a), _scalar(r_b)),
    )


def _share_worth(value: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """The share ``x`` with ``x ** exponent = value`` (0 if ``value <= 0``; above 1 if ``value > 1``)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        share = np.where(value > 0, np.abs(value) ** (1 / exponent), 0.0)
    neutral = np.maximum(value, 0.0)
    share = np.where(exponent == 1, neutral, share)
    # a risk-averse state accepts no more than a risk-neutral one would; keep that
    # ordering exact despite rounding in the power
    return np.where((exponent < 1) & (value <= 1), np.minimum(share, neutral), share)


def war_is_rational(
    p: ArrayLike,
    cost_a: ArrayLike,
    cost_b: ArrayLike,
    *,
    exponents: tuple[ArrayLike, ArrayLike] = (1.0, 1.0),
) -> bool | np.ndarray:
    """Whether war beats every split for one side under complete information (Fearon 1995).

    True exactly where :func:`fearon_range` is empty. For risk-neutral or risk-averse
    states with complete information and a divisible good this needs war to be valued
    for itself: ``c_A + c_B < 0`` (for risk-neutral states, exactly then) or one side
    valuing war above the whole good, which needs a negative cost. Whenever
    ``c_A + c_B > 0`` with non-negative costs, some split beats war for both, so a war
    that happens must come from what this model leaves out: private information with
    incentives to misrepresent it, commitment problems (Powell 2006: Russia's claim that
    Ukraine would rearm during a truce), or an indivisible issue.

    Parameters
    ----------
    p, cost_a, cost_b, exponents
        As for :func:`fearon_range`.

    Returns
    -------
    bool or ndarray of bool
        True where no split is at least as good as war for both sides.

    Raises
    ------
    SolverError
        As :func:`fearon_range`.

    Examples
    --------
    >>> war_is_rational(0.5, [0.1, 0.0, -0.1], [0.1, 0.0, 0.05])
    array([False, False,  True])
    >>> print(fearon_range(0.5, -0.1, 0.05).explain())
    No split beats war for both sides: c_A + c_B = -0.05 < 0, so together the sides value
    fighting above any division of the good (war is valued for itself).
    """
    nonempty = fearon_range(p, cost_a, cost_b, exponents=exponents).nonempty
    return _scalar(np.logical_not(nonempty))


def _explain_one(low, high, nonempty, p, cost_a, cost_b, r_a, r_b) -> str:
    total = cost_a + cost_b
    setting = f"A wins with probability {p:.3g}; costs c_A = {cost_a:.3g}, c_B = {cost_b:.3g}"
    risk = ""
    if r_a != 1 or r_b != 1:
        risk = f"; utility exponents r_A = {r_a:.3g}, r_B = {r_b:.3g}"
    if nonempty:
        if total == 0 and r_a == 1 and r_b == 1:
            return (
                f"The range is the single split {low:.3g} ({setting}, c_A + c_B = 0): both sides are "
                "indifferent between it and war, because war destroys nothing."
            )
        return (
            f"Every split giving A a share in [{low:.3g}, {high:.3g}] beats war for both sides ({setting}, "
            f"c_A + c_B = {total:.3g} {'>' if total > 0 else '<='} 0{risk}). With complete information and a "
            "divisible good, war is not rational; Fearon (1995) traces it to private information with incentives "
            "to misrepresent, to commitment problems (Powell 2006), or to issue indivisibility."
        )
    if total < 0:
        reason = (
            f"c_A + c_B = {total:.3g} < 0, so together the sides value fighting above any division of the good "
            "(war is valued for itself)"
        )
    elif p - cost_a > 1 or p + cost_b < 0:
        side = "A" if p - cost_a > 1 else "B"
        reason = f"{side} values war (cost {cost_a if side == 'A' else cost_b:.3g} < 0) above the whole good"
    else:
        reason = f"risk-acceptant states ({risk.lstrip('; ')}) value the gamble of war above every split"
    return f"No split beats war for both sides: {reason}."
