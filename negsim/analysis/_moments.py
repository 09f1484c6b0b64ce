"""Mergeable column statistics: count, mean, sum of squared deviations, min and max.

Two sets of statistics over disjoint rows merge exactly (up to rounding) into the
statistics of their union by the pairwise update of Chan, Golub & LeVeque ("Updating
formulae and a pairwise algorithm for computing sample variances", 1979; "Algorithms for
computing the sample variance", The American Statistician 37, 1983)::

    n = n_a + n_b,  d = mean_b - mean_a,
    mean = mean_a + d * n_b / n,  M2 = M2_a + M2_b + d**2 * n_a * n_b / n

which never subtracts two large sums of squares, so it keeps its accuracy where the
textbook ``sum(x**2) - n * mean**2`` loses it. Each column has its own count: a NaN is a
value that is not defined in that row (a conditional probability whose condition cannot
happen) and is left out of that column only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Moments"]


@dataclass(frozen=True)
class Moments:
    """Statistics of the columns of a ``[rows, columns]`` array, mergeable across row chunks.

    Attributes
    ----------
    count : ndarray [C]
        Finite values in each column.
    mean, m2, minimum, maximum : ndarray [C]
        Mean, sum of squared deviations from the mean, min and max of each column's finite
        values (NaN, 0, NaN, NaN for a column without any).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(10.0).reshape(5, 2)
    >>> both = Moments.of(x[:2]).merge(Moments.of(x[2:]))
    >>> bool(np.allclose(both.mean, x.mean(axis=0))), bool(np.allclose(both.variance(), x.var(axis=0, ddof=1)))
    (True, True)
    """

    count: np.ndarray
    mean: np.ndarray
    m2: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray

    @classmethod
    def of(cls, rows: np.ndarray) -> Moments:
        """The statistics of each column of ``rows`` (``[rows, columns]``), NaNs left out."""
        rows = np.asarray(rows, np.float64)
        finite = np.isfinite(rows)
        count = finite.sum(axis=0).astype(np.int64)
        if finite.all():  # the usual case: numpy's own (pairwise) sums, as a per-draw array would give
            mean = rows.mean(axis=0) if rows.shape[0] else np.full(rows.shape[1], np.nan)
            m2 = ((rows - mean) ** 2).sum(axis=0)
            low = rows.min(axis=0, initial=np.inf)
            high = rows.max(axis=0, initial=-np.inf)
        else:
            seen = np.where(finite, rows, 0.0)
            mean = seen.sum(axis=0) / np.where(count > 0, count, 1)
            m2 = (np.where(finite, rows - mean, 0.0) ** 2).sum(axis=0)
            low = np.where(finite, rows, np.inf).min(axis=0, initial=np.inf)
            high = np.where(finite, rows, -np.inf).max(axis=0, initial=-np.inf)
        empty = count == 0
        return cls(count=count, mean=np.where(empty, np.nan, mean), m2=np.where(empty, 0.0, m2),
                   minimum=np.where(empty, np.nan, low), maximum=np.where(empty, np.nan, high))

    def merge(self, other: Moments) -> Moments:
        """The statistics of the rows of both (Chan, Golub & LeVeque's pairwise update)."""
        n = self.count + other.count
        a, b = self.count > 0, other.count > 0
        safe = np.where(n > 0, n, 1)
        delta = np.where(a & b, other.mean - self.mean, 0.0)
        mean = np.where(a & b, self.mean + delta * (other.count / safe), np.where(a, self.mean, other.mean))
        m2 = self.m2 + other.m2 + delta**2 * (self.count * (other.count / safe))
        return Moments(count=n, mean=mean, m2=m2, minimum=np.fmin(self.minimum, other.minimum),
                       maximum=np.fmax(self.maximum, other.maximum))

    def variance(self) -> np.ndarray:
        """Sample variance of each column (``ddof=1``; NaN with fewer than two values)."""
        return np.where(self.count > 1, self.m2 / np.where(self.count > 1, self.count - 1, 1), np.nan)

    def standard_error(self) -> np.ndarray:
        """Standard error of each column's mean (0 with fewer than two values, as a single draw has no spread)."""
        n = np.where(self.count > 1, self.count, 2)  # 2: no 0 / 0 where the answer is 0 anyway
        return np.where(self.count > 1, np.sqrt(self.m2 / (n - 1)) / np.sqrt(n), 0.0)
