"""Subgame-perfect equilibria of perfect-information games by backward induction.

In a finite game of perfect information every node starts a subgame. Backward induction
(Zermelo 1913; Kuhn 1953; Selten 1965) values the tree from the leaves up: a terminal is
worth its payoffs; a chance node the probability-weighted sum of its children's values; a
decision node the values of the child that is best for the player who moves there. The
choices made on the way form a subgame-perfect equilibrium (SPE): no player can gain by
deviating at any node, reached or not, so the equilibrium rests on no threat that its
maker would not carry out.

The tree is stored breadth-first, so each depth level is one contiguous block of nodes and
the children of one level are the next level's block, each node's children contiguous
(CSR-style ``first_child``, ``num_children``). :func:`backward_induction` walks the levels
from the deepest up and treats all nodes of a level, and all games of a batch, in a few
array operations. The decision nodes of a level are grouped by their number of actions
``k``; for each group the children's values for the mover form one ``[nodes, k, B]``
block, and the best action, the tied actions and the first tied action are reductions
over its middle axis. The value of every node of the level is then one sparse product
that sums each node's probability-weighted children. Python loops run over depth levels
and over the distinct numbers of actions, never over nodes. (Segment reductions with
``np.maximum.reduceat`` along the node axis give the same result, but on 2-D batch arrays
numpy spends microseconds per segment; the grouped blocks were twice as fast at B = 100.)

Ties
----
A child *ties* for the mover ``p`` when its value for ``p`` is within
``tol_p = 1e-9 * (max_z u_p[z] - min_z u_p[z]) + 1e-13 * max_z |u_p[z]|`` of the best
child's (the range term makes the test invariant under positive affine changes of ``p``'s
payoffs; the small second term absorbs rounding when payoffs are large but close). For a
batch ``tol_p`` is computed per game.

* ``ties="first"``: the mover takes the first tied action in action order (a pure SPE).
* ``ties="uniform"``: the mover mixes uniformly over the tied actions. Every tied action
  gives the mover the same value, so this is still an SPE; the other players' values at
  that node are then the average over the tied actions, which can change what players
  earlier in the tree choose.

Different tie-breaking rules can give different equilibria with different values; with
``all_ties=True`` the solution lists every information set where actions tie, so a
caller can see where the SPE is not unique. When no actions tie anywhere, the SPE is
unique.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from negsim.errors import SolverError
from negsim.games.extensive import DECISION, TERMINAL, ExtensiveFormGame
from negsim.games.profile import BehaviorProfile
from negsim.solvers.best_response import nash_conv
from negsim.solvers.solution import Solution

__all__ = ["backward_induction", "TIE_RULES"]

TIE_RULES = ("first", "uniform")
"""The tie-breaking rules :func:`backward_induction` knows."""

_RELATIVE_TOLERANCE = 1e-9
_ROUNDING_TOLERANCE = 1e-13


def backward_induction(game: ExtensiveFormGame, *, ties: str = "first", all_ties: bool = False) -> Solution:
    """A subgame-perfect equilibrium of a perfect-information game (or a batch of them).

    Parameters
    ----------
    game : ExtensiveFormGame
        Any number of players; every decision information set must hold exactly one
        node. Chance nodes are averaged with their probabilities. A batch
        (``game.batch_size = B``: payoffs ``[B, T, n]`` and/or chance probabilities
        ``[B, N]``) is solved in the same array operations, and each of its games gets
        the same answer as when solved alone.
    ties : {"first", "uniform"}
        What the mover does among actions that tie (see the module docstring): take the
        first in action order, or mix uniformly over them.
    all_ties : bool
        Also list, in ``info["tied_actions"]``, every information set where two or more
        actions tie, with the labels of the tied actions.

    Returns
    -------
    Solution
        ``method="backward"``; ``profile`` the equilibrium (one-hot probabilities, or
        uniform over tied actions with ``ties="uniform"``; ``[S_p]`` or ``[B, S_p]`` per
        player); ``values`` the players' values at the root (``[n]`` or ``[B, n]``);
        ``nash_conv`` of the profile (0 up to rounding); ``info`` with ``"ties"`` (the
        rule), ``"subgame_perfect"`` (``True``), ``"tied_infosets"`` (how many information
        sets have tied actions; a list for a batch) and, with ``all_ties=True``,
        ``"tied_actions"``: a list of ``{"player", "infoset", "label", "actions"}``
        entries (the information set's 1-based number within its player, as in
        :meth:`BehaviorProfile.to_list`, and the tied action labels), one list per game
        for a batch. An empty list means the SPE is unique.

    Raises
    ------
    SolverError
        If the game is not an extensive game of perfect information, or ``ties`` is not
        a known rule.

    Examples
    --------
    In the ultimatum game the responder is indifferent at an offer of 0; with
    ``ties="first"`` she accepts (her first action), so the proposer offers 0. Mixing
    over the tie instead, she accepts half the time, and the proposer offers 1.

    >>> from negsim.games import library
    >>> game = library.ultimatum(pie=10)
    >>> solution = backward_induction(game)
    >>> solution.values
    array([10.,  0.])
    >>> [a for a, p in solution.profile.action_probabilities(0, 0).items() if p == 1]
    ['offer 0']
    >>> backward_induction(game, ties="uniform").values
    array([9., 1.])
    >>> backward_induction(game, all_ties=True).info["tied_actions"]
    [{'player': 'Responder', 'infoset': 1, 'label': 'offer 0', 'actions': ['accept', 'reject']}]
    """
    started = time.perf_counter()
    if not isinstance(game, ExtensiveFormGame):
        raise SolverError(
            f"backward induction solves extensive-form games of perfect information, not {type(game).__name__}"
        )
    if ties not in TIE_RULES:
        raise SolverError(f"unknown tie-breaking rule {ties!r}; choose 'first' or 'uniform'")
    _require_perfect_information(game)

    batch = game.batch_size
    B = batch or 1
    n = game.num_players
    # kernel layout: node axis first, then player, then batch (contiguous gathers by node)
    payoffs = np.ascontiguousarray(np.broadcast_to(game.payoffs, (B,) + game.payoffs.shape[-2:]).transpose(1, 2, 0))
    chance = np.broadcast_to(game.chance_prob, (B, game.num_nodes)).T  # [N, B]
    num_actions = game.infosets.num_actions
    first_sequence = np.concatenate(([0], np.cumsum(num_actions)[:-1]))  # flat, all players
    root, probs, tied_flat, tied_infosets = _induct(game, payoffs, chance, ties, first_sequence)
    probs, tied_flat = probs.T, tied_flat.T  # batch first, as profiles are
    bounds = np.concatenate(([0], np.cumsum(game.num_sequences)))
    per_player = [probs[:, bounds[p] : bounds[p + 1]] for p in range(n)]
    if batch is None:
        per_player = [p[0] for p in per_player]
    profile = BehaviorProfile(game, per_player)
    gap = nash_conv(game, profile)

    info: dict[str, Any] = {
        "ties": ties,
        "subgame_perfect": True,
        "tied_infosets": int(tied_infosets[0]) if batch is None else tied_infosets.tolist(),
    }
    if all_ties:
        listed = [_tied_actions(game, tied_flat[b], first_sequence) for b in range(B)]
        info["tied_actions"] = listed[0] if batch is None else listed
    return Solution(
        method="backward",
        profile=profile,
        values=root[0].copy() if batch is None else root.copy(),
        nash_conv=gap,
        iterations=1,
        seconds=time.perf_counter() - started,
        info=info,
    )


def _induct(
    game: ExtensiveFormGame, payoffs: np.ndarray, chance: np.ndarray, ties: str, first_sequence: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The bottom-up sweep over depth levels, every node of a level and every game of the batch at once.

    Takes payoffs ``[T, n, B]`` and chance probabilities ``[N, B]``; returns the root values
    ``[B, n]``, the behaviour ``[S, B]`` and which actions tie ``[S, B]`` (flat over all
    players' sequences), and the number of information sets with ties ``[B]``.
    """
    n, B = payoffs.shape[1:]
    tolerance = _tolerances(payoffs)  # [n, B]
    probs = np.zeros((int(game.infosets.num_actions.sum()), B))
    tied_flat = np.zeros(probs.shape, bool)
    tied_infosets = np.zeros(B, np.int64)
    offs = game.level_offsets
    depth = len(offs) - 2
    below = payoffs[game.terminal_index[offs[depth] : offs[depth + 1]]]  # [L, n, B], all leaves
    for d in range(depth - 1, -1, -1):
        lo, hi, top = int(offs[d]), int(offs[d + 1]), int(offs[d + 2])
        level = np.empty((hi - lo, n, B))
        kind = game.kind[lo:hi]
        leaves = lo + np.flatnonzero(kind == TERMINAL)
        level[leaves - lo] = payoffs[game.terminal_index[leaves]]
        inner = lo + np.flatnonzero(kind != TERMINAL)  # never empty above the deepest level
        # the children of this level are the next level, `below`: edge e is node hi + e
        weight = chance[hi:top].copy()  # [C, B]; decision edges are overwritten below
        tied = np.zeros(weight.shape, bool)
        movers = inner[kind[inner - lo] == DECISION]
        degree = game.num_children[movers]
        for k in np.unique(degree):  # one block per number of actions, as in the CFR kernel
            nodes = movers[degree == k]
            edge = (game.first_child[nodes] - hi)[:, None] + np.arange(k)  # [m, k]
            player = game.player[nodes]
            own = below[edge, player[:, None]]  # [m, k, B]: each action's value for the mover
            best = own.max(axis=1, keepdims=True)
            ok = own >= best - tolerance[player][:, None, :]
            if ties == "first":
                w = (np.arange(k)[None, :, None] == ok.argmax(axis=1)[:, None, :]).astype(np.float64)
            else:
                w = ok / ok.sum(axis=1, keepdims=True)
            weight[edge] = w
            tied[edge] = ok
            tied_infosets += (ok.sum(axis=1) > 1).sum(axis=0)
        # node values: probability-weighted sums over the children, a sparse product whose
        # additions run in action order whatever the batch size
        rows = np.repeat(np.arange(inner.size), game.num_children[inner])
        total = sp.csr_matrix((np.ones(top - hi), (rows, np.arange(top - hi))), shape=(inner.size, top - hi))
        level[inner - lo] = (total @ (weight[:, None, :] * below).reshape(top - hi, n * B)).reshape(-1, n, B)
        decided = hi + np.flatnonzero(game.kind[game.parent[hi:top]] == DECISION)
        sequence = first_sequence[game.infoset[game.parent[decided]]] + game.action[decided]
        probs[sequence] = weight[decided - hi]
        tied_flat[sequence] = tied[decided - hi]
        below = level
    return below[0].T, probs, tied_flat, tied_infosets


def _require_perfect_information(game: ExtensiveFormGame) -> None:
    decision = np.flatnonzero(game.kind == DECISION)
    sizes = np.bincount(game.infoset[decision], minlength=len(game.infosets))
    shared = np.flatnonzero(sizes > 1)
    if shared.size:
        g = int(shared[0])
        raise SolverError(
            f"backward induction needs perfect information, but information set {game._infoset_name(g)} "
            f"has {int(sizes[g])} nodes; use 'cfr', 'lp' or 'spe'"
        )


def _tolerances(payoffs: np.ndarray) -> np.ndarray:
    """``tol[p, b]`` from payoffs ``[T, n, B]``: how close to the best a child's value for ``p`` must be to tie."""
    spread = payoffs.max(axis=0) - payoffs.min(axis=0)
    magnitude = np.abs(payoffs).max(axis=0)
    return _RELATIVE_TOLERANCE * spread + _ROUNDING_TOLERANCE * magnitude


def _tied_actions(game: ExtensiveFormGame, tied: np.ndarray, first_sequence: np.ndarray) -> list[dict[str, Any]]:
    """Entries for the information sets where two or more actions tie (``tied``: flat over sequences)."""
    if tied.size == 0:
        return []
    per_infoset = np.add.reduceat(tied.astype(np.int64), first_sequence)
    out = []
    for g in np.flatnonzero(per_infoset > 1):
        acts = game.infosets.actions[g]
        picks = tied[first_sequence[g] : first_sequence[g] + len(acts)]
        out.append(
            {
                "player": game.players[int(game.infosets.player[g])],
                "infoset": int(game.infosets.number[g]),
                "label": game.infosets.labels[g],
                "actions": [a for a, t in zip(acts, picks, strict=True) if t],
            }
        )
    return out
