"""Small array helpers shared across layers (no negsim imports here)."""

from __future__ import annotations

import numpy as np

__all__ = ["ranges"]


def ranges(lengths: np.ndarray) -> np.ndarray:
    """``concatenate([arange(k) for k in lengths])`` without a Python loop.

    >>> ranges(np.array([2, 0, 3]))
    array([0, 1, 0, 1, 2])
    """
    lengths = np.asarray(lengths, np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)
