"""Memory, size and time budgets: refuse a game that a solver cannot handle before allocating for it.

A solver that runs out of memory dies inside numpy with a ``MemoryError`` (or the system
kills the process) after minutes of swapping; one that enumerates too much never
returns. :func:`estimate` gives, from a game's sizes alone, the memory a method will need
and the count of the work it enumerates, and :func:`check` raises
:class:`~negsim.SolverError` naming both and the limit. :func:`negsim.solve` calls it
before every method, and ``method="auto"`` picks only methods that pass.

The memory limit is :func:`memory_limit`: the environment variable
``NEGSIM_MEMORY_LIMIT`` (bytes, or with a suffix ``K``, ``M``, ``G``: ``NEGSIM_MEMORY_LIMIT=8G``),
else :data:`DEFAULT_MEMORY_LIMIT`. All products of counts are Python integers, which
cannot overflow.

Time is budgeted by the solvers themselves: the iterative and enumerating ones take
``time_limit=`` (seconds), checked with :func:`deadline` between iterations or chunks of
work, and return what they have when it runs out (``info["stopped_early"]``).
"""

from __future__ import annotations

import math
import os
from typing import Any

from negsim.errors import SolverError

__all__ = ["DEFAULT_MEMORY_LIMIT", "MAX_VERTEX_BASES", "MAX_LEMKE_HOWSON_SIZE", "memory_limit", "estimate", "check",
           "deadline", "vertex_bound"]

DEFAULT_MEMORY_LIMIT: int = 4 * 2**30
"""Memory a solver may plan to use when ``NEGSIM_MEMORY_LIMIT`` is not set (4 GiB)."""

MAX_VERTEX_BASES: int = 1_000_000
"""Vertex enumeration refuses games whose best-response polytopes may have more vertices than
this (:func:`vertex_bound`). Qhull computes a polytope's vertices in one C call that Ctrl-C cannot
stop (negsim waits for it in a thread, so it can, but the call still runs to its end); at this
bound, a 16x16 game, a random game has about 200,000 vertices and takes Qhull about 10 s and
300 MB."""

QHULL_BYTES_PER_VERTEX: int = 1536
"""Peak memory of Qhull's halfspace intersection per vertex found (measured: about 1.2 KB on
random 14x14 to 17x17 games)."""

MAX_LEMKE_HOWSON_SIZE: int = 60
"""Lemke-Howson from every label on more strategies than this (both players) may pivot
exponentially long (Savani & von Stengel 2006); ``auto`` uses Lemke's algorithm instead."""

MAX_CORRELATED_ENTRIES: int = 20_000_000
"""Correlated equilibrium: most nonzero entries of the incentive constraints of its LP."""


def vertex_bound(dimension: int, others: int) -> int:
    """Most vertices the best-response polytope of a player with ``dimension`` strategies can have.

    The polytope ``{x >= 0 : x B <= 1}`` of a player with ``m = dimension`` strategies
    against ``n = others`` has at most ``m + n`` facets, so by McMullen's upper bound theorem
    (1970) at most ``C(N - ceil(m/2), floor(m/2)) + C(N - floor(m/2) - 1, ceil(m/2) - 1)``
    vertices with ``N = m + n``; and each vertex solves one of the ``C(m + n, m)`` square
    systems that support enumeration solves. The bound is the smaller of the two (the
    origin included). Python integers: no overflow.

    Examples
    --------
    >>> vertex_bound(2, 3), vertex_bound(3, 3), vertex_bound(16, 16)
    (5, 8, 980628)
    """
    m, facets = int(dimension), int(dimension) + int(others)
    if m < 1:
        return 1
    low, high = m // 2, -(-m // 2)
    theorem = math.comb(facets - high, low) + math.comb(facets - low - 1, high - 1)
    return min(theorem, math.comb(facets, m))


def memory_limit() -> int:
    """The memory budget in bytes (``NEGSIM_MEMORY_LIMIT``, else :data:`DEFAULT_MEMORY_LIMIT`).

    Examples
    --------
    >>> memory_limit() > 0
    True
    """
    text = os.environ.get("NEGSIM_MEMORY_LIMIT", "").strip().upper()
    if not text:
        return DEFAULT_MEMORY_LIMIT
    factor = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    try:
        value = float(number) * factor
    except ValueError:
        raise SolverError(f"NEGSIM_MEMORY_LIMIT must be a number of bytes such as 4G, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise SolverError(f"NEGSIM_MEMORY_LIMIT must be positive, got {text!r}")
    return int(value)


def _size(nbytes: int) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{nbytes} bytes"


def estimate(game: Any, method: str) -> dict[str, Any]:
    """Memory (``"bytes"``) a method needs on ``game``, from its sizes only, with what dominates it.

    Rough upper estimates: every array the method allocates in proportion to the game,
    times a small factor for temporaries. ``"count"``/``"count_limit"`` are set where the
    method enumerates (vertex bases, pivots).

    Examples
    --------
    >>> from negsim.games import library
    >>> estimate(library.kuhn_poker(), "cfr+")["bytes"] < 2**20
    True
    """
    from negsim.games.normal import NormalFormGame

    out: dict[str, Any] = {"bytes": 0, "what": ""}
    if isinstance(game, NormalFormGame):
        shape = [int(a) for a in game.shape]
        n = len(shape)
        profiles = math.prod(shape)
        batch = int(game.batch_size or 1)
        tensor = 8 * n * profiles * batch
        out.update(bytes=6 * tensor, what=f"{n} payoff tensors of {profiles:,} profiles")
        if method == "correlated":
            rows = sum(a * (a - 1) for a in shape) * profiles // max(min(shape), 1)
            entries = sum(a * (a - 1) * (profiles // a) for a in shape)
            out.update(bytes=40 * entries + 8 * rows + 6 * tensor, what=f"an LP with {entries:,} constraint entries",
                       count=entries, count_limit=MAX_CORRELATED_ENTRIES, count_what="constraint entries")
        elif method in ("lp", "lemke") and n == 2:
            m, k = shape
            out.update(bytes=8 * 4 * (m + k + 2) ** 2 + 6 * tensor, what=f"a {m + k + 2}-square tableau")
        elif method == "vertex" and n == 2:
            m, k = shape
            bound = max(vertex_bound(m, k), vertex_bound(k, m))
            out.update(bytes=QHULL_BYTES_PER_VERTEX * bound + 6 * tensor, what=f"Qhull on up to {bound:,} vertices",
                       count=bound, count_limit=MAX_VERTEX_BASES,
                       count_what="possible vertices of a best-response polytope")
        elif method == "qre":
            # the path follower's dense Jacobian is square in the number of strategies
            k = sum(shape) + 1
            out.update(bytes=3 * 8 * k * k * batch + 6 * tensor, what=f"a dense {k:,}-square Jacobian")
        elif method == "lemke-howson" and n == 2:
            out.update(count=sum(shape), count_limit=MAX_LEMKE_HOWSON_SIZE, count_what="strategies")
        return out
    # extensive form: the solvers' kernels hold arrays over nodes, terminals and sequences, and a
    # sibling table with one entry per pair of actions at the same information set
    nodes, terminals, players = int(game.num_nodes), int(game.num_terminals), int(game.num_players)
    batch = int(game.batch_size or 1)
    counts = [int(c) for c in game.infosets.num_actions] if len(game.infosets) else []
    pairs = sum(c * c for c in counts)  # Python integers: no overflow
    sequences = sum(counts)
    per_game = 8 * (6 * nodes + 4 * terminals * players + 12 * sequences) + 12 * pairs
    out.update(bytes=batch * per_game, what=f"{nodes:,} nodes, {sequences:,} sequences, {pairs:,} sibling pairs")
    if method == "qre":  # agent QRE follows its path with a dense Jacobian over sequences
        out.update(bytes=out["bytes"] + 3 * 8 * (sequences + 1) ** 2 * batch,
                   what=f"a dense {sequences + 1:,}-square Jacobian")
    return out


def check(game: Any, method: str) -> None:
    """Raise :class:`~negsim.SolverError` if ``method`` would need more than the budget on ``game``.

    Examples
    --------
    >>> from negsim.games import library
    >>> check(library.leduc_poker(), "cfr+")  # fits
    """
    need = estimate(game, method)
    limit = memory_limit()
    if "count" in need and need["count"] > need["count_limit"]:
        raise SolverError(
            f"method {method!r} would enumerate up to {need['count']:,} {need['count_what']} "
            f"(limit {need['count_limit']:,}); use 'lemke' (one equilibrium) or 'support' on smaller games"
        )
    if need["bytes"] > limit:
        raise SolverError(
            f"method {method!r} would need about {_size(need['bytes'])} for this game ({need['what']}); "
            f"the limit is {_size(limit)} (raise it with NEGSIM_MEMORY_LIMIT, or use a method that needs less)"
        )


def deadline(time_limit: float | None, started: float) -> float | None:
    """The :func:`time.perf_counter` reading at which a solver started at ``started`` must stop.

    ``None`` when there is no limit. Solvers compare the clock with it between
    iterations or chunks of work (never inside one), so they overrun it by at most one
    iteration or chunk.

    Parameters
    ----------
    time_limit : float or None
        Seconds of wall-clock time, a finite number above 0.
    started : float
        The solver's start, a :func:`time.perf_counter` reading.

    Raises
    ------
    SolverError
        If ``time_limit`` is not a positive finite number (or ``None``).

    Examples
    --------
    >>> deadline(2.5, started=100.0)
    102.5
    >>> deadline(None, started=100.0) is None
    True
    """
    if time_limit is None:
        return None
    try:
        seconds = float(time_limit)
    except (TypeError, ValueError):
        raise SolverError(f"time_limit must be a number of seconds, got {time_limit!r}") from None
    if isinstance(time_limit, bool) or not (math.isfinite(seconds) and seconds > 0):
        raise SolverError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    return started + seconds
