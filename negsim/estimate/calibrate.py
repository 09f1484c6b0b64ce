"""Calibrating a scenario on what happened: the posterior of its parameters given an observed path.

A scenario's equilibrium, played with noise, gives every path of its game a probability.
Given an observed path (``stage=move`` pairs, possibly only the first stages), each draw
from the scenario's priors gets the likelihood of that path, and the draws, weighted by
their likelihoods, are an importance sample from the posterior (the priors are the
proposal). From it:

* the posterior of each parameter (weighted means, standard deviations, quantiles) and the
  effective sample size ``(sum w)^2 / sum w^2`` of the weights;
* the posterior probability of each type (every chance event: ``P(type, path) / P(path)``
  summed over the draws);
* the posterior predictive of every stage not observed: ``P(move | path)``, for example the
  later rounds of a linked game given the first;
* how well the model predicted what happened: for each observed stage in order, the prior
  predictive probability of the observed move given the stages before it, and, for moves
  passed as ``actual``, their posterior predictive probability.

Noise: ``response="tremble"`` plays the equilibrium the scenario's solver finds with every
action mixed in with probability ``tremble`` (spread evenly over the actions of its
information set); ``response="logit"`` plays the agent logit QRE of precision ``precision``
(:func:`negsim.solvers.qre.agent_qre`). Either way all draws are one batched solve
(:func:`negsim.analysis.sweep.draw_parameters`, :func:`negsim.analysis.batch.solve_batch`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from negsim.analysis.batch import solve_batch
from negsim.analysis.sweep import draw_parameters
from negsim.errors import ScenarioError
from negsim.games.profile import BehaviorProfile

__all__ = ["Calibration", "calibrate", "parse_observed"]

RESPONSES = ("tremble", "logit")


@dataclass(frozen=True)
class Calibration:
    """The posterior of a scenario's parameters given an observed path.

    Attributes
    ----------
    scenario : str
    observed : dict of str to str
        The observed ``stage: move`` pairs, in the order of the protocol.
    draws : int
    parameters : dict of str to ndarray [draws]
        The prior draws.
    likelihood : ndarray [draws]
        Probability of the observed path under each draw.
    weights : ndarray [draws]
        Normalized importance weights (proportional to ``likelihood``).
    ess : float
        Effective sample size of the weights.
    posterior : dict of str to dict
        Per parameter: ``prior_mean``, ``mean``, ``sd``, ``q05``, ``q50``, ``q95``.
    types : dict of str to dict of str to dict
        Per chance event and outcome: ``prior`` and ``posterior`` probability.
    predictive : dict of str to dict of str to float
        Per stage not observed: the posterior predictive probability of each move
        (``"skipped"`` when the stage is not reached).
    fit : list of dict
        Per observed stage: ``stage``, ``move``, ``prior_probability`` (of the move, given
        the stages observed before it) and ``predicted`` (whether it was the most likely move).
    actual : list of dict
        Per move given as ``actual``: ``stage``, ``move``, ``probability`` (posterior
        predictive), ``most_likely`` and ``predicted``.
    info : dict
    """

    scenario: str
    observed: dict[str, str]
    draws: int
    parameters: dict[str, np.ndarray] = field(repr=False)
    likelihood: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)
    ess: float
    posterior: dict[str, dict[str, float]]
    types: dict[str, dict[str, dict[str, float]]]
    predictive: dict[str, dict[str, float]]
    fit: list[dict[str, Any]]
    actual: list[dict[str, Any]]
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no per-draw arrays)."""
        return {
            "scenario": self.scenario,
            "observed": dict(self.observed),
            "draws": self.draws,
            "ess": self.ess,
            "marginal_likelihood": float(self.likelihood.mean()),
            "posterior": self.posterior,
            "types": self.types,
            "predictive": self.predictive,
            "fit": self.fit,
            "actual": self.actual,
            "info": self.info,
        }

    def report(self) -> str:
        """A plain-text report: fit of the observed moves, posterior, types, predictive."""
        lines = [
            f"{self.scenario}: {self.draws} draws from the priors; observed "
            + ", ".join(f"{s}={m}" for s, m in self.observed.items())
        ]
        lines.append(
            f"likelihood of the observed path: mean {self.likelihood.mean():.4g} over the draws; "
            f"effective sample size {self.ess:.1f} of {self.draws}"
        )
        lines.append("What happened, as the model predicted it (prior, given the earlier observed moves):")
        for row in self.fit:
            verdict = "predicted" if row["predicted"] else "NOT predicted"
            lines.append(f"  {row['stage']} = {row['move']}: probability {row['prior_probability']:.3f} - {verdict}")
        lines.append("Posterior of the parameters (prior mean -> posterior mean, sd):")
        for name, post in self.posterior.items():
            lines.append(f"  {name}: {post['prior_mean']:.4g} -> {post['mean']:.4g} (sd {post['sd']:.3g})")
        if self.types:
            lines.append("Types (prior -> posterior):")
            for event, table in self.types.items():
                for value, p in table.items():
                    lines.append(f"  {event} = {value}: {p['prior']:.3f} -> {p['posterior']:.3f}")
        lines.append("Predictive of the stages not observed:")
        for stage, table in self.predictive.items():
            shown = ", ".join(f"{m} {p:.3f}" for m, p in sorted(table.items(), key=lambda kv: -kv[1]) if p > 5e-4)
            lines.append(f"  {stage}: {shown}")
        if self.actual:
            lines.append("What happened later, against the predictive:")
            for row in self.actual:
                verdict = "predicted" if row["predicted"] else f"NOT predicted (most likely: {row['most_likely']})"
                lines.append(f"  {row['stage']} = {row['move']}: probability {row['probability']:.3f} - {verdict}")
        return "\n".join(lines)


def parse_observed(text: str | Mapping[str, str] | Sequence[tuple[str, str]], compiled: Any) -> dict[str, str]:
    """Read ``"stage=move,stage=move"`` (or a mapping) and check it against the scenario.

    Parameters
    ----------
    text : str, mapping or sequence of pairs
    compiled : CompiledNegotiation

    Returns
    -------
    dict of str to str
        In the order of the protocol.

    Raises
    ------
    ScenarioError
        Naming an unknown stage (with the list of stages) or move (with the stage's moves).

    Examples
    --------
    >>> from negsim.scenarios import load_scenario
    >>> compiled = load_scenario("istanbul-2025").compile()
    >>> parse_observed("russia_may=refuse_exchange, ukraine_attend=attend", compiled)
    {'ukraine_attend': 'attend', 'russia_may': 'refuse_exchange'}
    """
    if isinstance(text, str):
        pairs = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            if "=" not in part:
                raise ScenarioError(f"observed {part!r}: write stage=move")
            stage, move = (s.strip() for s in part.split("=", 1))
            pairs.append((stage, move))
    else:
        pairs = list(text.items()) if isinstance(text, Mapping) else [tuple(p) for p in text]
    stages = _stages(compiled)
    seen: dict[str, str] = {}
    for stage, move in pairs:
        if stage not in stages:
            raise ScenarioError(f"unknown stage {stage!r} in the observed path; stages: {', '.join(stages)}")
        moves = [str(v) for v in compiled.variables[stage].values if v != "skipped"]
        if move not in moves:
            raise ScenarioError(f"unknown move {move!r} of stage {stage!r}; its moves: {', '.join(moves)}")
        if stage in seen and seen[stage] != move:
            raise ScenarioError(f"stage {stage!r} observed twice with different moves")
        seen[stage] = move
    if not seen:
        raise ScenarioError("the observed path is empty: give at least one stage=move")
    return {s: seen[s] for s in stages if s in seen}


def _stages(compiled: Any) -> list[str]:
    return [name for name, var in compiled.variables.items() if var.origin == "stage"]


def _consistent(compiled: Any, observed: Mapping[str, str]) -> np.ndarray:
    """Terminals whose path made the observed moves: ``bool [T]``."""
    mask = np.ones(compiled.num_terminals, dtype=bool)
    for stage, move in observed.items():
        var = compiled.variables[stage]
        mask &= compiled.terminal_codes[stage] == var.code_of(move, stage)
    return mask


def _terminal_reach(compiled: Any, params: dict[str, np.ndarray], response: str, tremble: float, precision: float):
    """Probability of every terminal under each draw's noisy equilibrium: ``[B, T]``."""
    game = compiled.game_for(params)
    if response == "logit":
        from negsim.solvers.qre import agent_qre

        branch = agent_qre(game, lambdas=[precision])
        probs = [np.asarray(p)[:, 0] for p in branch.profiles]
    else:
        options = dict(compiled.negotiation.solver)
        solved = solve_batch(game, options)
        uniform = BehaviorProfile.uniform(game).probabilities
        probs = [
            (1.0 - tremble) * np.asarray(p) + tremble * np.asarray(u)
            for p, u in zip(solved.profile.probabilities, uniform, strict=True)
        ]
    reach = BehaviorProfile(game, probs).node_reach()
    return np.atleast_2d(reach[..., game.terminals])


def calibrate(
    scenario: Any,
    observed: str | Mapping[str, str],
    *,
    draws: int = 1000,
    seed: int | None = 0,
    response: str = "tremble",
    tremble: float = 0.05,
    precision: float = 10.0,
    actual: str | Mapping[str, str] | None = None,
) -> Calibration:
    """The posterior of a scenario's parameters, types and later moves given an observed path.

    Parameters
    ----------
    scenario : str, Path or Scenario
        A bundled scenario's name, a file, or a loaded scenario; its priors are the proposal.
    observed : str or mapping
        ``"stage=move,stage=move"``: what happened (any subset of the stages, for example
        the first round of a linked game).
    draws : int
        Draws from the priors (all solved as one batch).
    seed : int, optional
    response : {"tremble", "logit"}
        How the equilibrium is played: with trembles of probability ``tremble``, or as the
        agent logit QRE of precision ``precision``.
    tremble, precision : float
    actual : str or mapping, optional
        Later moves that happened, to score the posterior predictive against.

    Returns
    -------
    Calibration

    Raises
    ------
    ScenarioError
        For an unknown stage or move, an empty path, no priors, or a path the model gives
        probability 0 under every draw.

    Examples
    --------
    >>> cal = calibrate("istanbul-2025", "ukraine_attend=attend,russia_may=refuse_exchange", draws=40, seed=1)
    >>> cal.draws, cal.ess > 1
    (40, True)
    >>> sorted(cal.types)
    ['russia_aims', 'us_resolve']
    """
    loaded, compiled = _load(scenario, response, tremble)
    path = parse_observed(observed, compiled)
    later = parse_observed(actual, compiled) if actual else {}
    params = draw_parameters(compiled.negotiation, draws=draws, seed=seed)
    reach = _terminal_reach(compiled, params, response, tremble, precision)
    mask = _consistent(compiled, path)
    likelihood = reach[:, mask].sum(axis=1)
    total = likelihood.sum()
    if not total > 0:
        raise ScenarioError(
            "the observed path has probability 0 under every draw (a move the protocol never allows "
            "there?); try response='logit' or a larger tremble"
        )
    weights = likelihood / total
    name = getattr(getattr(loaded, "negotiation", None), "name", None) or str(scenario)
    return Calibration(
        scenario=str(name),
        observed=path,
        draws=int(draws),
        parameters=params,
        likelihood=likelihood,
        weights=weights,
        ess=float(1.0 / np.sum(weights**2)),
        posterior=_posterior(params, weights),
        types=_types(compiled, reach, mask),
        predictive=_predictive(compiled, reach, mask, path),
        fit=_fit(compiled, reach, path),
        actual=_actual(compiled, reach, mask, later),
        info={
            "response": response,
            "tremble": tremble if response == "tremble" else None,
            "precision": precision if response == "logit" else None,
            "seed": seed,
        },
    )


def _load(scenario: Any, response: str, tremble: float) -> tuple[Any, Any]:
    """The scenario, loaded and compiled, after checking the noise options."""
    from negsim.scenarios import load_scenario

    if response not in RESPONSES:
        raise ScenarioError(f"unknown response {response!r}; choose one of {list(RESPONSES)}")
    if not 0.0 <= tremble < 1.0:
        raise ScenarioError(f"tremble must be in [0, 1), got {tremble}")
    loaded = scenario if hasattr(scenario, "compile") else load_scenario(scenario)
    return loaded, loaded.compile()


def _posterior(params: dict[str, np.ndarray], weights: np.ndarray) -> dict[str, dict[str, float]]:
    out = {}
    for name, values in params.items():
        order = np.argsort(values)
        cum = np.cumsum(weights[order])
        q = {
            f"q{int(p * 100):02d}": float(values[order][min(np.searchsorted(cum, p), len(cum) - 1)])
            for p in (0.05, 0.5, 0.95)
        }
        mean = float(np.sum(weights * values))
        out[name] = {
            "prior_mean": float(values.mean()),
            "mean": mean,
            "sd": float(np.sqrt(np.sum(weights * (values - mean) ** 2))),
            **q,
        }
    return out


def _distribution(compiled: Any, reach: np.ndarray, mask: np.ndarray, name: str) -> dict[str, float]:
    """P(variable = value | path), pooled over the draws."""
    var = compiled.variables[name]
    codes = compiled.terminal_codes[name]
    total = reach[:, mask].sum()
    return {str(v): float(reach[:, mask & (codes == c)].sum() / total) for c, v in enumerate(var.values)}


def _types(compiled: Any, reach: np.ndarray, mask: np.ndarray) -> dict[str, dict[str, dict[str, float]]]:
    everything = np.ones_like(mask)
    out = {}
    for name, var in compiled.variables.items():
        if var.origin != "chance":
            continue
        prior = _distribution(compiled, reach, everything, name)
        post = _distribution(compiled, reach, mask, name)
        out[name] = {v: {"prior": prior[v], "posterior": post[v]} for v in prior if v != "skipped" or prior[v] > 0}
    return out


def _predictive(
    compiled: Any, reach: np.ndarray, mask: np.ndarray, path: Mapping[str, str]
) -> dict[str, dict[str, float]]:
    return {s: _distribution(compiled, reach, mask, s) for s in _stages(compiled) if s not in path}


def _fit(compiled: Any, reach: np.ndarray, path: Mapping[str, str]) -> list[dict[str, Any]]:
    rows = []
    before: dict[str, str] = {}
    for stage, move in path.items():
        table = _distribution(compiled, reach, _consistent(compiled, before), stage)
        best = max(table, key=table.get)
        rows.append({"stage": stage, "move": move, "prior_probability": table[move], "predicted": best == move})
        before[stage] = move
    return rows


def _actual(compiled: Any, reach: np.ndarray, mask: np.ndarray, later: Mapping[str, str]) -> list[dict[str, Any]]:
    rows = []
    for stage, move in later.items():
        table = _distribution(compiled, reach, mask, stage)
        best = max(table, key=table.get)
        rows.append(
            {"stage": stage, "move": move, "probability": table[move], "most_likely": best, "predicted": best == move}
        )
    return rows
