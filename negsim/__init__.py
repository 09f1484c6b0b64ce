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

from negsim import _startup  # noqa: F401 - first: no traceback if the command is interrupted while importing

# isort: split
from importlib import metadata as _metadata

from negsim import games
from negsim.errors import GameError, NegsimError, NegsimWarning, ScenarioError, SolverError
from negsim.games import ExtensiveFormGame, GameBuilder, NormalFormGame
from negsim.games.profile import BehaviorProfile, MixedProfile
from negsim.solvers import Solution
from negsim.solvers.dispatch import methods, solve

try:
    # one version, the installed one (pyproject.toml); a source tree that was never installed says so
    __version__: str = _metadata.version("negsim")
except _metadata.PackageNotFoundError:  # pragma: no cover - running from an uninstalled checkout
    __version__ = "0.0.0+unknown"

_LAZY = {"read_efg", "read_nfg", "write_efg", "write_nfg"}


def __getattr__(name: str):
    # the Gambit readers load on first use, keeping `import negsim` light
    if name in _LAZY:
        from negsim import io

        return getattr(io, name)
    raise AttributeError(f"module 'negsim' has no attribute {name!r}")

__all__ = [
    "BehaviorProfile",
    "ExtensiveFormGame",
    "GameBuilder",
    "GameError",
    "MixedProfile",
    "NegsimError",
    "NegsimWarning",
    "NormalFormGame",
    "ScenarioError",
    "Solution",
    "SolverError",
    "__version__",
    "games",
    "methods",
    "read_efg",
    "read_nfg",
    "solve",
    "write_efg",
    "write_nfg",
]
