"""Analysis: solving negotiations, their narrative, stylized facts, sweeps and Monte Carlo."""

from negsim.analysis.expectations import FactResult, check, fact_probabilities
from negsim.analysis.narrative import Narrative, explain, narrative_text
from negsim.analysis.solve import purify, solve_game

__all__ = [
    "FactResult",
    "Narrative",
    "check",
    "explain",
    "fact_probabilities",
    "narrative_text",
    "purify",
    "solve_game",
]
