"""The geometry of vertex enumeration: best-response polytopes' vertices by Qhull, and complementary pairs.

Kept apart from :mod:`negsim.solvers.nashpy_methods`, which holds the equilibrium logic of
:func:`~negsim.solvers.nashpy_methods.vertex_enumeration` (verification, duplicates, the
fallback to support enumeration) and re-uses :class:`OutOfTime` for support enumeration.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from negsim.errors import SolverError

__all__: list[str] = []  # private: reached through negsim.solvers.nashpy_methods


class OutOfTime(Exception):
    """The time limit passed (raised between chunks of work, or while Qhull runs)."""


def check_vertex_size(m: int, n: int) -> None:
    from negsim.solvers.budget import MAX_VERTEX_BASES, vertex_bound

    bound = max(vertex_bound(m, n), vertex_bound(n, m))
    if bound > MAX_VERTEX_BASES:
        raise SolverError(
            f"vertex enumeration of a {m}x{n} game may meet up to {bound:,} vertices of a best-response polytope "
            f"(limit {MAX_VERTEX_BASES:,}); use lemke_howson or negsim.solvers.lemke.lemke"
        )


def polytope_vertices(M: np.ndarray, *, own_first: bool, stop_at: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Vertices ``[V, d]`` of ``{v >= 0 : M v <= 1}`` (origin excluded) and their labels ``[V, k + d]``.

    ``M[k, d]`` has positive entries, so the polytope is bounded and ``t * 1`` with
    ``t = 1 / (2 max row sum)`` is an interior point. Labels: ``v_i = 0`` and row ``j`` of
    ``M v <= 1`` tight, in the order (own strategies, the opponent's) when ``own_first``,
    else (the opponent's, own). Qhull runs in a worker thread that the caller waits for in
    short joins, so that Ctrl-C (and the deadline) reach the caller while it runs.
    """
    import threading

    from scipy.spatial import HalfspaceIntersection

    k, d = M.shape
    halfspaces = np.vstack([np.hstack([M, -np.ones((k, 1))]), np.hstack([-np.eye(d), np.zeros((d, 1))])])
    interior = np.full(d, 0.5 / M.sum(axis=1).max())
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["points"] = HalfspaceIntersection(halfspaces, interior).intersections
        except Exception as error:  # noqa: BLE001 - handed to the caller
            result["error"] = error

    worker = threading.Thread(target=run, name="negsim-qhull", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.05)
        if stop_at is not None and time.perf_counter() > stop_at:
            raise OutOfTime
    if "error" in result:
        raise result["error"]
    points = result["points"]
    points = points[np.all(np.isfinite(points), axis=1) & (np.abs(points).max(axis=1) > _LABEL_TOL)]
    # a degenerate polytope's vertex comes once per simplex of Qhull's triangulation
    _, first = np.unique(np.round(points, 9), axis=0, return_index=True)
    points = np.clip(points[np.sort(first)], 0.0, None)
    zero = points <= _LABEL_TOL  # [V, d]
    tight = np.abs(1.0 - points @ M.T) <= _LABEL_TOL  # [V, k]
    labels = np.hstack([zero, tight] if own_first else [tight, zero])
    return points, labels


_LABEL_TOL = 1e-7  # a constraint within this of tight labels the vertex (false labels are caught by the NashConv check)
_PAIR_CHUNK = 1 << 22  # bytes of label comparisons in one vectorized chunk


def complementary_pairs(
    labels_x: np.ndarray, labels_y: np.ndarray, m: int, stop_at: float | None
) -> Iterator[tuple[np.ndarray, int]]:
    """Index pairs ``[K, 2]`` of vertices whose labels cover every label, chunk by chunk, with pairs checked.

    A vertex of ``P`` has at least ``m`` labels and one of ``Q`` at least ``n``; when both
    have exactly that many (nondegenerate), they cover all ``m + n`` only if the labels of
    one are the complement of the other's: those pairs are found by sorting. A vertex
    with extra labels is compared with every vertex of the other polytope, in chunks.
    Raises ``OutOfTime`` between chunks once ``stop_at`` has passed.
    """
    n = labels_x.shape[1] - m
    packed_x, packed_y = np.packbits(labels_x, axis=1), np.packbits(labels_y, axis=1)
    full = np.packbits(np.ones(m + n, bool))  # padding bits are 0 on both sides
    extra_x, extra_y = labels_x.sum(axis=1) > m, labels_y.sum(axis=1) > n
    # nondegenerate against nondegenerate: the complement of x's labels must equal y's
    plain_x, plain_y = np.flatnonzero(~extra_x), np.flatnonzero(~extra_y)
    keys = np.vstack([np.packbits(~labels_x[plain_x], axis=1), packed_y[plain_y]])
    if len(keys):
        _, ids = np.unique(keys, axis=0, return_inverse=True)
        ids = ids.ravel()
        ids_x, ids_y = ids[: len(plain_x)], ids[len(plain_x) :]
        order = np.argsort(ids_y, kind="stable")
        lo = np.searchsorted(ids_y[order], ids_x, side="left")
        hi = np.searchsorted(ids_y[order], ids_x, side="right")
        hit = hi > lo  # nondegenerate vertices have distinct labels: at most one match each
        yield np.stack([plain_x[hit], plain_y[order[lo[hit]]]], axis=1), len(plain_x) + len(plain_y)
    # every pair with a vertex that has extra labels, by brute force in chunks
    for rows, cols in ((np.flatnonzero(extra_x), np.arange(len(labels_y))), (plain_x, np.flatnonzero(extra_y))):
        if len(rows) == 0 or len(cols) == 0:
            continue
        step = max(1, _PAIR_CHUNK // (len(cols) * packed_x.shape[1]))
        for lo in range(0, len(rows), step):
            if stop_at is not None and time.perf_counter() > stop_at:
                raise OutOfTime
            part = rows[lo : lo + step]
            cover = np.all((packed_x[part, None, :] | packed_y[None, cols, :]) == full, axis=2)
            i, j = np.nonzero(cover)
            yield np.stack([part[i], cols[j]], axis=1), len(part) * len(cols)
