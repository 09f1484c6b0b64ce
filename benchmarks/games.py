"""The benchmark games, built once per process, and random payoff variants for batches."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from negsim.games import ExtensiveFormGame, library

_BUILDERS: dict[str, tuple[str, Callable[[], ExtensiveFormGame]]] = {
    "kuhn": ("Kuhn poker", library.kuhn_poker),
    "leduc": ("Leduc poker", library.leduc_poker),
    "liars_dice": ("Liar's dice (1d6)", lambda: library.liars_dice(sides=6)),
    # smaller Liar's dice, only for the scaling section
    "liars_dice_2": ("Liar's dice (1d2)", lambda: library.liars_dice(sides=2)),
    "liars_dice_3": ("Liar's dice (1d3)", lambda: library.liars_dice(sides=3)),
    "liars_dice_4": ("Liar's dice (1d4)", lambda: library.liars_dice(sides=4)),
    "liars_dice_5": ("Liar's dice (1d5)", lambda: library.liars_dice(sides=5)),
}

REFERENCE_VALUES = {"kuhn": -1 / 18, "leduc": -0.0856064241}
"""Value of the game for the first player (Kuhn 1950; PEERS.md for Leduc)."""


def title(key: str) -> str:
    return _BUILDERS[key][0]


@cache
def game(key: str) -> ExtensiveFormGame:
    """The negsim library game for a benchmark key (built once, then cached)."""
    return _BUILDERS[key][1]()


def payoff_variants(base: ExtensiveFormGame, size: int, *, seed: int = 2025, spread: float = 0.2) -> np.ndarray:
    """``[size, T, 2]`` zero-sum payoffs: player 1's payoff at each terminal times ``exp(spread * N(0, 1))``.

    Every variant keeps the tree and the zero-sum property but has its own equilibrium.
    """
    rng = np.random.default_rng(seed)
    first = base.payoffs[:, 0] * np.exp(spread * rng.standard_normal((size, base.num_terminals)))
    return np.stack([first, -first], axis=-1)
