"""The result of a Monte Carlo kept as statistics over its draws, not draw by draw.

:func:`negsim.analysis.monte_carlo` with ``keep="summary"`` reduces each chunk of draws,
where it is solved, to :class:`negsim.analysis._moments.Moments` of a fixed set of columns
(each agent's value, each outcome's, issue value's and fact's probability, each
parameter, NashConv, certified, and the conditions asked for) and merges the chunks as
they arrive: the client never holds an array with one entry per draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from negsim.analysis._moments import Moments
from negsim.errors import ScenarioError

__all__ = ["MonteCarloSummary"]

_ZERO = 1e-12  # an outcome this unlikely is reported as not happening (as BatchResult does)

Column = tuple[Any, ...]  # ("value", agent), ("outcome", label), ("issue", issue, value), ("fact", fact),
# ("parameter", name), ("nash_conv",), ("certified",), ("condition", condition, given or None)


@dataclass(frozen=True)
class MonteCarloSummary:
    """A Monte Carlo over priors kept as mergeable statistics of its draws (``keep="summary"``).

    It answers what :class:`negsim.analysis.BatchResult` answers about a Monte Carlo as a
    whole -- :meth:`summary`, :meth:`to_dict`, :meth:`condition_summary`,
    :attr:`certified_share`, :attr:`max_nash_conv`, :meth:`parameter_ranges` -- with the
    same keys and numbers, but holds a few numbers per column instead of one row per draw,
    so its size does not depend on the number of draws.

    Attributes
    ----------
    draws : int
        Number of draws summarized (fewer than asked for if the run was interrupted).
    seconds : float
    agents : tuple of str
    outcomes : tuple of str
        The distinct outcomes (a readable label of the final issue values).
    columns : tuple of tuple
        What each statistic is of: ``("value", agent)``, ``("outcome", label)``,
        ``("issue", issue, value)``, ``("fact", fact)``, ``("parameter", name)``,
        ``("nash_conv",)``, ``("certified",)`` and ``("condition", condition, given)``.
    statistics : Moments
        Count, mean, sum of squared deviations, min and max of each column over the draws.
    info : dict

    Examples
    --------
    >>> from negsim.analysis import monte_carlo
    >>> from negsim.scenarios import load_scenario
    >>> limited = ("ceasefire == 'unconditional'", "russia_aims == 'limited'")
    >>> result = monte_carlo(load_scenario("istanbul-2025"), draws=20, seed=1, keep="summary",
    ...                      conditions=[limited])
    >>> result.draws, result.is_grid, set(result.to_dict()) >= {"outcomes", "standard_errors", "facts"}
    (20, False, True)
    >>> 0.0 <= result.condition_summary(*limited)["probability"] <= 1.0
    True
    """

    draws: int
    seconds: float
    agents: tuple[str, ...]
    outcomes: tuple[str, ...] = field(repr=False)
    columns: tuple[Column, ...] = field(repr=False)
    statistics: Moments = field(repr=False)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def is_grid(self) -> bool:
        """Always False: a grid's points are each reported, so a grid is never summarized."""
        return False

    def _where(self, kind: str) -> dict[Column, int]:
        return {column[1:]: k for k, column in enumerate(self.columns) if column[0] == kind}

    def _means(self, kind: str) -> dict[Any, float]:
        return {key[0] if len(key) == 1 else key: float(self.statistics.mean[k])
                for key, k in self._where(kind).items()}

    @property
    def certified_share(self) -> float:
        """Share of draws whose equilibrium is certified exact."""
        return float(self.statistics.mean[self.columns.index(("certified",))])

    @property
    def max_nash_conv(self) -> float:
        """The largest NashConv over the draws (0 when every draw is exact)."""
        return max(float(self.statistics.maximum[self.columns.index(("nash_conv",))]), 0.0)

    def parameter_ranges(self) -> dict[str, tuple[float, float]]:
        """``{parameter: (min, max)}`` over the draws."""
        stats = self.statistics
        return {key[0]: (float(stats.minimum[k]), float(stats.maximum[k]))
                for key, k in self._where("parameter").items()}

    def issue_probabilities(self) -> dict[str, dict[str, float]]:
        """``{issue: {value: probability}}``, averaged over the draws."""
        out: dict[str, dict[str, float]] = {}
        for (issue, value), p in self._means("issue").items():
            out.setdefault(issue, {})[value] = p
        return out

    def summary(self) -> dict[str, dict[str, float]]:
        """Probability of each outcome over the draws, with its Monte Carlo standard error.

        The same as :meth:`negsim.analysis.BatchResult.summary` on the same draws.
        """
        where = [self.columns.index(("outcome", label)) for label in self.outcomes]
        mean = self.statistics.mean[where]
        se = self.statistics.standard_error()[where]
        return {self.outcomes[k]: {"probability": float(mean[k]), "standard_error": float(se[k])}
                for k in np.argsort(-mean)}

    def condition_summary(self, condition: str, given: str | None = None) -> dict[str, Any]:
        """The probability of ``condition`` (given ``given``) over the draws, with its standard error.

        Only the conditions passed to :func:`negsim.analysis.monte_carlo` as
        ``conditions=`` are known. Draws where ``given`` cannot happen are left out.

        Returns
        -------
        dict
            ``probability`` (NaN when ``given`` happens in no draw), ``standard_error`` and
            ``draws_defined``, as :meth:`negsim.analysis.BatchResult.condition_summary`.

        Raises
        ------
        ScenarioError
            If the condition was not asked for when the draws were solved.
        """
        key = ("condition", condition, given)
        if key not in self.columns:
            asked = [c[1:] for c in self.columns if c[0] == "condition"]
            raise ScenarioError(
                f"the probability of {condition!r}{f' given {given!r}' if given else ''} was not computed: a "
                f"summarized Monte Carlo keeps only the conditions asked for upfront (conditions={asked!r}); "
                "pass conditions=[(condition, given)] to monte_carlo"
            )
        k = self.columns.index(key)
        count = int(self.statistics.count[k])
        return {
            "probability": float(self.statistics.mean[k]) if count else float("nan"),
            "standard_error": float(self.statistics.standard_error()[k]),
            "draws_defined": count,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the keys and numbers of :meth:`negsim.analysis.BatchResult.to_dict` for a Monte Carlo.

        ``{"draws", "seconds", "outcomes": {outcome: probability}, "standard_errors",
        "parameters": {name: {"mean", "min", "max"}}, "values", "facts", "certified",
        "max_nash_conv", "info"}``; outcomes of probability 0 are left out.
        """
        summary = {k: v for k, v in self.summary().items() if v["probability"] > _ZERO}
        means, ranges = self._means("parameter"), self.parameter_ranges()
        return {
            "draws": self.draws,
            "seconds": self.seconds,
            "outcomes": {k: v["probability"] for k, v in summary.items()},
            "standard_errors": {k: v["standard_error"] for k, v in summary.items()},
            "parameters": {k: {"mean": means[k], "min": ranges[k][0], "max": ranges[k][1]} for k in means},
            "values": self._means("value"),
            "facts": self._means("fact"),
            "certified": self.certified_share,
            "max_nash_conv": self.max_nash_conv,
            "info": self.info,
        }
