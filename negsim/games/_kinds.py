"""Node kinds and limits of the game data model, and the read-only array helper its modules share.

:mod:`negsim.games.extensive` re-exports the constants with their documentation; they live
here so that the modules deriving a game's structure can use them without importing it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DECISION = 0
CHANCE = 1
TERMINAL = 2
KIND_NAMES = {DECISION: "decision", CHANCE: "chance", TERMINAL: "terminal"}
MAX_NODES = 20_000_000
PROBABILITY_TOLERANCE = 1e-9


def frozen(array: Any, dtype: Any) -> np.ndarray:
    """A read-only copy of ``array`` as ``dtype``."""
    out = np.array(array, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out
