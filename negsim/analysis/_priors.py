"""Draws from a scenario's priors in fixed blocks, so that any process can make any range of them.

Draws are made in blocks of :data:`DRAW_BLOCK`: block ``k`` of a run comes from its own
generator, ``np.random.default_rng(SeedSequence(entropy, spawn_key=(k,)))`` -- the ``k``-th
child of ``SeedSequence(entropy).spawn`` -- with the parameters drawn in sorted order
within the block. So the draws ``[lo, hi)`` depend only on (priors, entropy, lo, hi): a
worker can make its own chunk's draws instead of receiving them, and the first ``N`` draws
of a larger run are the draws of an ``N``-draw run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from negsim.errors import ScenarioError
from negsim.negotiation.model import Negotiation
from negsim.negotiation.validation import check_prior_range

__all__ = ["DRAW_BLOCK", "PriorDraws", "draw_parameters", "prior_draws"]

DRAW_BLOCK: int = 8192
"""Draws per block: block ``k`` holds draws ``[k * DRAW_BLOCK, (k + 1) * DRAW_BLOCK)``."""

_Spec = tuple[str, str, tuple[float, ...]]  # (parameter, distribution, its numbers)


@dataclass(frozen=True)
class PriorDraws:
    """The draws of one Monte Carlo run, made on demand: small enough to ship to every worker.

    Attributes
    ----------
    specs : tuple
        ``(parameter, distribution, numbers)`` per prior, in sorted order of the parameter.
    entropy : int
        The root of the run's seed sequence (the seed, or fresh entropy chosen once).
    draws : int
    """

    specs: tuple[_Spec, ...]
    entropy: int
    draws: int

    @property
    def names(self) -> tuple[str, ...]:
        """The drawn parameters, sorted."""
        return tuple(spec[0] for spec in self.specs)

    def block(self, k: int) -> dict[str, np.ndarray]:
        """Block ``k``: :data:`DRAW_BLOCK` draws of every parameter."""
        rng = np.random.default_rng(np.random.SeedSequence(self.entropy, spawn_key=(int(k),)))
        return {name: _sample(dist, numbers, rng) for name, dist, numbers in self.specs}

    def range(self, lo: int, hi: int) -> dict[str, np.ndarray]:
        """Draws ``[lo, hi)`` of every parameter (made from the blocks that cover them)."""
        if not 0 <= lo <= hi <= self.draws:
            raise ValueError(f"draws [{lo}, {hi}) are outside [0, {self.draws})")
        first, last = lo // DRAW_BLOCK, max(lo, hi - 1) // DRAW_BLOCK
        blocks = [_cached_block(self, k) for k in range(first, last + 1)]
        start = lo - first * DRAW_BLOCK
        return {name: np.concatenate([b[name] for b in blocks])[start:start + hi - lo].copy() for name in self.names}


_BLOCK_CACHE: dict[tuple[Any, ...], dict[str, np.ndarray]] = {}


def _cached_block(draws: PriorDraws, k: int) -> dict[str, np.ndarray]:
    """One block, kept while a process walks through its chunks (chunks are often smaller than a block)."""
    key = (draws.specs, draws.entropy, k)
    block = _BLOCK_CACHE.get(key)
    if block is None:
        block = draws.block(k)
        _BLOCK_CACHE.clear()  # one block per process: memory stays one block whatever the run
        _BLOCK_CACHE[key] = block
    return block


def _sample(dist: str, numbers: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    from scipy import stats

    if dist == "uniform":
        low, high = numbers
        frozen = stats.uniform(low, high - low)
    elif dist == "normal":
        mean, sd, low, high = numbers
        frozen = stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd)
    elif dist == "beta":
        a, b, low, high = numbers
        frozen = stats.beta(a, b, loc=low, scale=high - low)
    else:  # triangular
        low, mode, high = numbers
        frozen = stats.triang(0.5 if high == low else (mode - low) / (high - low), loc=low, scale=high - low)
    return np.asarray(frozen.rvs(DRAW_BLOCK, random_state=rng), np.float64).reshape(DRAW_BLOCK)


def _spec(negotiation: Negotiation, name: str, prior: Mapping[str, Any]) -> _Spec:
    """A prior checked against its parameter and reduced to numbers."""
    declared = negotiation.parameter(name)
    spec = dict(prior)
    dist = spec.get("dist")
    if declared.range is not None and (dist in ("normal", "beta") or {"low", "high"} <= spec.keys()):
        check_prior_range(spec, declared.range, f"priors.{name}")  # a draw outside would fail the batch
    try:
        if dist == "uniform":
            return name, dist, (float(spec["low"]), float(spec["high"]))
        if dist == "normal":
            return name, dist, (float(spec["mean"]), float(spec["sd"]), float(spec.get("low", -np.inf)),
                                float(spec.get("high", np.inf)))
        if dist == "beta":
            return name, dist, (float(spec["a"]), float(spec["b"]), float(spec.get("low", 0.0)),
                                float(spec.get("high", 1.0)))
        if dist == "triangular":
            return name, dist, (float(spec["low"]), float(spec["mode"]), float(spec["high"]))
    except KeyError as missing:
        raise ScenarioError(f"the {dist} prior of {name!r} needs {missing.args[0]!r}", key=f"priors.{name}") from None
    raise ScenarioError(f"unknown prior {dist!r} for {name!r}; use uniform, normal, beta or triangular")


def prior_draws(
    negotiation: Negotiation, priors: Mapping[str, Mapping[str, Any]] | None = None, *, draws: int,
    seed: int | None = None,
) -> PriorDraws:
    """The draws of a run, checked but not yet made (see :func:`draw_parameters`).

    Examples
    --------
    >>> from negsim.scenarios import load_scenario
    >>> lazy = prior_draws(load_scenario("istanbul-2025").negotiation, draws=10, seed=1)
    >>> lazy.draws, lazy.entropy, lazy.range(2, 5)["eu_bite"].shape
    (10, 1, (3,))
    """
    if draws < 1:
        raise ScenarioError("draws must be at least 1")
    if seed is not None and (not isinstance(seed, int | np.integer) or seed < 0):
        raise ScenarioError(f"the seed must be a non-negative integer, not {seed!r}")
    if priors is None:
        priors = {p.name: p.prior for p in negotiation.parameters if p.prior}
    if not priors:
        raise ScenarioError("no priors: declare 'prior' for some parameters or pass priors=")
    specs = tuple(_spec(negotiation, name, priors[name]) for name in sorted(priors))
    entropy = int(np.random.SeedSequence().entropy if seed is None else seed)  # chosen once for every block
    return PriorDraws(specs=specs, entropy=entropy, draws=int(draws))


def draw_parameters(
    negotiation: Negotiation, priors: Mapping[str, Mapping[str, Any]] | None = None, *, draws: int,
    seed: int | None = None
) -> dict[str, np.ndarray]:
    """Draw parameter values from priors with scipy.stats.

    The draws are made in blocks of :data:`DRAW_BLOCK`, each from its own stream of the
    seed's :class:`numpy.random.SeedSequence`, so the first ``N`` draws of a larger run
    equal the draws of an ``N``-draw run with the same seed, and any range of draws can be
    made alone (as :func:`negsim.analysis.monte_carlo` does in its workers).

    Parameters
    ----------
    negotiation : Negotiation
    priors : mapping, optional
        ``{parameter: {"dist": "uniform"|"normal"|"beta"|"triangular", ...}}``; default:
        the priors declared in the scenario. ``normal`` may be truncated with ``low`` and
        ``high``; ``beta`` rescaled to ``[low, high]`` (default ``[0, 1]``).
    draws : int
    seed : int, optional
        A non-negative integer; without it, fresh entropy.

    Returns
    -------
    dict of str to ndarray [draws]
        In sorted order of the parameter names.

    Raises
    ------
    ScenarioError
        No priors, an unknown parameter or distribution, or a prior that can draw outside
        its parameter's declared range.

    Examples
    --------
    >>> from negsim.scenarios import load_scenario
    >>> negotiation = load_scenario("istanbul-2025").negotiation
    >>> few = draw_parameters(negotiation, draws=5, seed=3)["eu_bite"]
    >>> bool((draw_parameters(negotiation, draws=50, seed=3)["eu_bite"][:5] == few).all())
    True
    """
    return prior_draws(negotiation, priors, draws=draws, seed=seed).range(0, draws)
