"""Analysis: solving negotiations, their narrative, stylized facts, sweeps and Monte Carlo."""

from negsim.analysis._sweep import BatchResult, MonteCarloSummary, draw_parameters, monte_carlo, solve_settings, sweep
from negsim.analysis.audit import AuditReport, FactAudit, Finding, Flip, audit
from negsim.analysis.bargaining import BargainingProblem, bargaining_problem
from negsim.analysis.batch import BatchSolution, solve_batch
from negsim.analysis.dates import informed_stages, source_dates, stage_dates
from negsim.analysis.expectations import FactResult, check, fact_probabilities
from negsim.analysis.narrative import Narrative, explain, narrative_text
from negsim.analysis.refine import certify, polish
from negsim.analysis.solve import purify, solve_game
from negsim.analysis.thresholds import Threshold, derivatives, sweep_threshold, threshold

__all__ = [
    "AuditReport",
    "FactAudit",
    "Finding",
    "Flip",
    "audit",
    "BargainingProblem",
    "bargaining_problem",
    "informed_stages",
    "source_dates",
    "stage_dates",
    "BatchResult",
    "MonteCarloSummary",
    "BatchSolution",
    "FactResult",
    "Threshold",
    "certify",
    "derivatives",
    "draw_parameters",
    "monte_carlo",
    "polish",
    "solve_batch",
    "solve_settings",
    "sweep",
    "sweep_threshold",
    "threshold",
    "Narrative",
    "check",
    "explain",
    "fact_probabilities",
    "narrative_text",
    "purify",
    "solve_game",
]
