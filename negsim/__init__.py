"""negsim: game-theoretic models of negotiations.

Extensive-form and normal-form games stored as flat numpy arrays, vectorized solvers that
solve one game or a batch of thousands at once, and scenario files of the 2025
Russia-Ukraine ceasefire talks.

Examples
--------
>>> import negsim
>>> game = negsim.games.library.kuhn_poker()
>>> game.num_terminals
30
"""

from negsim import games
from negsim.errors import GameError, NegsimError, NegsimWarning, ScenarioError, SolverError
from negsim.games import ExtensiveFormGame, GameBuilder, NormalFormGame

__version__ = "0.1.0"

__all__ = [
    "ExtensiveFormGame",
    "GameBuilder",
    "GameError",
    "NegsimError",
    "NegsimWarning",
    "NormalFormGame",
    "ScenarioError",
    "SolverError",
    "__version__",
    "games",
]
