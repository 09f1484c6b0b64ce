"""Input checks and result helpers shared by the bargaining modules."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from negsim.errors import SolverError


def _outcomes(utilities: ArrayLike, mask: ArrayLike | None) -> tuple[np.ndarray, np.ndarray, bool]:
    """``u [B, K, n]`` (masked entries zeroed), ``valid [B, K]``, whether any input was batched."""
    u = np.asarray(utilities, dtype=np.float64)
    if u.ndim not in (2, 3) or u.shape[-1] < 1 or u.shape[-2] < 1:
        raise SolverError(f"utilities must have shape (K, n) or (B, K, n) with K, n >= 1, got {u.shape}")
    K = u.shape[-2]
    valid = np.ones(K, bool) if mask is None else np.asarray(mask)
    if valid.dtype != bool or valid.ndim not in (1, 2) or valid.shape[-1] != K:
        raise SolverError(f"mask must be boolean with shape (K,) or (B, K) for K = {K}")
    batched = u.ndim == 3 or valid.ndim == 2
    u = u if u.ndim == 3 else u[None]
    valid = valid if valid.ndim == 2 else valid[None]
    try:
        B = np.broadcast_shapes(u.shape[:1], valid.shape[:1])
    except ValueError:
        raise SolverError("the batch sizes of utilities and mask differ") from None
    u = np.broadcast_to(u, B + u.shape[1:])
    valid = np.broadcast_to(valid, B + (K,)).copy()
    if not np.isfinite(u[valid]).all():
        raise SolverError("utilities must be finite (mask the outcomes that do not exist)")
    return np.where(valid[..., None], u, 0.0), valid, batched


def _pair(value: ArrayLike, name: str) -> np.ndarray:
    v = np.asarray(value, dtype=np.float64)
    if v.shape != (2,) or not np.isfinite(v).all():
        raise SolverError(f"{name} must be two finite numbers")
    return v



def _scalar(value: Any) -> Any:
    """A Python scalar for a 0-d array, else the array."""
    return np.asarray(value).item() if np.ndim(value) == 0 else value


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
