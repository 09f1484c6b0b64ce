"""Negotiation layer: agents, issues, preconditions, moves, stages, and the protocol compiler."""

from negsim.negotiation.compiler import SKIPPED, CompiledNegotiation, compile_negotiation
from negsim.negotiation.expressions import Expression, NameType, parse_expression
from negsim.negotiation.model import (
    MOVE_KINDS,
    Agent,
    Chance,
    Expectation,
    Issue,
    Move,
    Negotiation,
    Parameter,
    Precondition,
    Stage,
)

__all__ = [
    "MOVE_KINDS",
    "SKIPPED",
    "Agent",
    "Chance",
    "CompiledNegotiation",
    "Expectation",
    "Expression",
    "Issue",
    "Move",
    "NameType",
    "Negotiation",
    "Parameter",
    "Precondition",
    "Stage",
    "compile_negotiation",
    "parse_expression",
]
