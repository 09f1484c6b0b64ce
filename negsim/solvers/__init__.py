"""Solvers: one algorithm per module, plain functions over games."""

from negsim.solvers._cfr import cfr
from negsim.solvers.best_response import (
    BestResponse,
    best_response,
    deviation_gains,
    expected_values,
    exploitability,
    nash_conv,
)
from negsim.solvers.solution import Solution

__all__ = [
    "BestResponse",
    "Solution",
    "best_response",
    "cfr",
    "deviation_gains",
    "expected_values",
    "exploitability",
    "nash_conv",
]
