"""Scale-free payoff arithmetic shared across layers (no negsim imports here).

Tolerances that compare payoffs must not depend on the unit the payoffs are written in:
a game and the same game with every payoff multiplied by ``1e-12`` or ``1e12`` have the
same equilibria. Two tools make that so:

* :func:`power_of_two_scale` rescales payoffs by a power of two so that the largest
  magnitude lies in ``[0.5, 1)``. Multiplying by a power of two is exact in binary
  floating point (short of the subnormal range), so sums and differences of the rescaled
  payoffs cannot overflow even when the payoffs are near ``1e308``, and comparisons give
  the same answers as on the original numbers.
* :func:`rounding` is the size of the rounding error of a sum of ``terms`` numbers of a
  given magnitude: a tie test adds it to a tolerance relative to the payoff *range*, so
  that numbers which differ by rounding only still tie when the range is tiny compared
  with their magnitude.
"""

from __future__ import annotations

import numpy as np

__all__ = ["power_of_two_scale", "rounding", "spread", "EPS"]

EPS = float(np.finfo(np.float64).eps)


def power_of_two_scale(values: np.ndarray) -> float:
    """The power of two ``s`` such that ``|values| * s`` is at most 1 (1.0 for all zeros).

    Examples
    --------
    >>> power_of_two_scale(np.array([3.0, -1e308])) * 1e308 <= 1.0
    True
    >>> power_of_two_scale(np.array([0.0]))
    1.0
    """
    top = float(np.abs(values).max(initial=0.0))
    if top == 0.0 or not np.isfinite(top):
        return 1.0
    _, exponent = np.frexp(top)  # top = m * 2**exponent with 0.5 <= m < 1
    return float(np.ldexp(1.0, -int(exponent)))


def spread(values: np.ndarray, axis: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``max - min`` along ``axis`` without overflow (half-differences, doubled only if finite).

    Examples
    --------
    >>> float(spread(np.array([-1e308, 1e308])))  # the true range, 2e308, is not a float
    1.7976931348623157e+308
    >>> float(spread(np.array([1.0, 4.0])))
    3.0
    """
    half = np.asarray(0.5 * np.max(values, axis=axis) - 0.5 * np.min(values, axis=axis))
    big = np.finfo(np.float64).max
    return np.where(half <= big / 2, 2.0 * np.minimum(half, big / 2), big)


def rounding(magnitude: np.ndarray | float, terms: int = 1) -> np.ndarray | float:
    """A bound on the rounding error of adding ``terms`` numbers of size at most ``magnitude``.

    Examples
    --------
    >>> bool(rounding(1.0, terms=4) < 1e-14)
    True
    """
    return 4.0 * max(int(terms), 1) * EPS * np.abs(magnitude)
