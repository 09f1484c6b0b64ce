"""Shared helpers of the strategic-estimation tests: simulated data from known utilities."""

from __future__ import annotations

import numpy as np

from negsim.estimate.formulas import Design
from negsim.estimate.likelihood import TreeLikelihood
from negsim.estimate.model import StrategicModel


def simulate_model(game, cells, truth_blocks, n, rng, *, link, error) -> tuple[StrategicModel, np.ndarray]:
    """A model with covariates ``[1, x]`` per cell (or ``[1]``), outcomes drawn at the truth.

    ``truth_blocks`` holds one coefficient vector per cell, or None to fix the cell's
    utility at 0; returns the model and the true parameter vector.
    """
    cells = [c for c, b in zip(cells, truth_blocks, strict=True) if b is not None]
    truth_blocks = [b for b in truth_blocks if b is not None]
    lik = TreeLikelihood(game, cells, link=link, error=error)
    cols, names, blocks, utils = [], [], [], []
    for c, beta in enumerate(truth_blocks):
        blocks.append(sum(x.shape[1] for x in cols))
        x = np.column_stack([np.ones(n)] + [rng.normal(size=n) for _ in range(len(beta) - 1)])
        cols.append(x)
        names += [f"c{c}:{j}" for j in range(len(beta))]
        utils.append(x @ np.asarray(beta, dtype=float))
    exog = np.hstack(cols)
    probs = lik.outcome_probabilities(np.array(utils)[None])[0]
    cum = probs.cumsum(axis=1)
    draws = (rng.random(n)[:, None] > cum).sum(axis=1)
    observed = np.zeros_like(probs, dtype=bool)
    observed[np.arange(n), np.minimum(draws, probs.shape[1] - 1)] = True
    design = Design(exog, names, blocks, [f"c{c}" for c in range(len(cells))], [], np.ones(n, bool))
    return StrategicModel(lik, design, observed), np.concatenate([np.asarray(b, float) for b in truth_blocks])
