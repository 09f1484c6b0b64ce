"""The checks that make an :class:`~negsim.games.ExtensiveFormGame` valid, and the arrays derived from its tree.

From the per-node arrays a caller gives (parent, kind, player, information set) the game
derives its children (CSR-style ``first_child``, ``num_children``), the index of each
node's incoming action, the depth levels and the terminals, refusing arrays that are not a
tree in breadth-first order or whose information sets do not fit it. Chance probabilities,
payoffs and Gambit outcomes are checked here too, all with whole-array operations: no
Python loop over nodes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from negsim._arrays import ranges
from negsim.errors import GameError
from negsim.games._kinds import (
    CHANCE,
    DECISION,
    KIND_NAMES,
    MAX_NODES,
    PROBABILITY_TOLERANCE,
    TERMINAL,
    frozen,
)

if TYPE_CHECKING:
    from negsim.games.extensive import ExtensiveFormGame, Infosets


def infoset_name(players: tuple[str, ...], infosets: Infosets, i: int) -> str:
    """How an error names decision information set ``i``: its number, player and label."""
    label = infosets.labels[i]
    p = int(infosets.player[i])
    number = int(infosets.number[i])
    name = f"{number} of {players[p]}" if 0 <= p < len(players) else str(i)
    return f"{name} ({label!r})" if label else name


def derive_structure(
    players: tuple[str, ...],
    infosets: Infosets,
    chance_infosets: Infosets,
    parent: Any,
    kind: Any,
    player: Any,
    infoset: Any,
    node_labels: Any,
) -> dict[str, Any]:
    """The game's read-only structure arrays by attribute name, after checking the tree and its information sets.

    Raises
    ------
    GameError
        For arrays that are not a tree in breadth-first order, or information sets that do
        not fit it.
    """
    parent, kind, player, infoset = _node_arrays(parent, kind, player, infoset)
    num_nodes = len(parent)
    num_children, first_child, action, level_offsets, depth = _tree_shape(parent, kind)
    _check_infosets(players, infosets, chance_infosets, kind, player, infoset, num_children)
    terminals = np.flatnonzero(kind == TERMINAL)
    terminal_index = np.full(num_nodes, -1, np.int64)
    terminal_index[terminals] = np.arange(terminals.size)
    if node_labels is None:
        node_labels = ("",) * num_nodes
    else:
        node_labels = tuple(str(x) for x in node_labels)
        if len(node_labels) != num_nodes:
            raise GameError("node_labels must have one label per node")
    return {
        "parent": parent,
        "kind": kind,
        "player": player,
        "infoset": infoset,
        "action": frozen(action, np.int64),
        "first_child": frozen(first_child, np.int64),
        "num_children": frozen(num_children, np.int64),
        "depth": frozen(depth, np.int64),
        "level_offsets": frozen(level_offsets, np.int64),
        "terminals": frozen(terminals, np.int64),
        "terminal_index": frozen(terminal_index, np.int64),
        "node_labels": node_labels,
    }


def _node_arrays(parent: Any, kind: Any, player: Any, infoset: Any) -> tuple[np.ndarray, ...]:
    """The per-node arrays as read-only copies, once their shapes and the breadth-first order are right."""
    parent = frozen(parent, np.int64)
    num_nodes = parent.shape[0] if parent.ndim == 1 else -1
    if parent.ndim != 1 or num_nodes == 0:
        raise GameError("a game needs a one-dimensional, non-empty parent array")
    if num_nodes > MAX_NODES:
        raise GameError(f"the tree has {num_nodes:,} nodes, over the limit of {MAX_NODES:,}")
    kind = frozen(kind, np.int64)
    if np.any((kind < 0) | (kind > 2)):
        raise GameError("node kinds must be 0 (decision), 1 (chance) or 2 (terminal)")
    kind = frozen(kind, np.int8)
    player = frozen(player, np.int64)
    infoset = frozen(infoset, np.int64)
    for name, arr in (("kind", kind), ("player", player), ("infoset", infoset)):
        if arr.shape != (num_nodes,):
            raise GameError(f"{name} must have shape ({num_nodes},), got {arr.shape}")
    if parent[0] != -1:
        raise GameError("node 0 must be the root (parent -1)")
    rest = parent[1:]
    if num_nodes > 1 and (np.any(rest < 0) or np.any(rest >= np.arange(1, num_nodes)) or np.any(np.diff(rest) < 0)):
        raise GameError("nodes are not in breadth-first order (parents must be earlier and non-decreasing)")
    return parent, kind, player, infoset


def _tree_shape(
    parent: np.ndarray, kind: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int], np.ndarray]:
    """Children counts, first children, incoming actions, level offsets and depths of a breadth-first tree."""
    num_nodes = len(parent)
    rest = parent[1:]
    num_children = np.bincount(rest, minlength=num_nodes).astype(np.int64)
    first_child = np.zeros(num_nodes, np.int64)
    first_child[:] = 1 + np.concatenate(([0], np.cumsum(num_children)[:-1]))
    action = np.full(num_nodes, -1, np.int64)
    action[1:] = np.arange(1, num_nodes) - first_child[rest]

    is_terminal = kind == TERMINAL
    bad = np.flatnonzero(is_terminal != (num_children == 0))
    if bad.size:
        h = int(bad[0])
        what = "has children" if is_terminal[h] else "has no children"
        raise GameError(f"node {h} ({KIND_NAMES[int(kind[h])]}) {what}")

    # with non-decreasing parents, the children of level d are one contiguous block
    level_offsets = [0, 1]
    while level_offsets[-1] < num_nodes:
        lo, hi = level_offsets[-2], level_offsets[-1]
        start = int(np.searchsorted(parent, lo, side="left"))
        end = int(np.searchsorted(parent, hi, side="left"))
        if start != hi or end <= hi:
            raise GameError("nodes are not in breadth-first order")
        level_offsets.append(end)
    depth = np.repeat(np.arange(len(level_offsets) - 1), np.diff(level_offsets))
    return num_children, first_child, action, level_offsets, depth


def _check_infosets(
    players: tuple[str, ...],
    infosets: Infosets,
    chance_infosets: Infosets,
    kind: np.ndarray,
    player: np.ndarray,
    infoset: np.ndarray,
    num_children: np.ndarray,
) -> None:
    """Refuse information sets that are out of order, mix players or disagree with their nodes' children."""
    decision = np.flatnonzero(kind == DECISION)
    chance = np.flatnonzero(kind == CHANCE)
    n_players = len(players)
    if np.any(np.diff(infosets.player) < 0):
        raise GameError("information sets must be ordered by player")
    if np.any((infosets.player < 0) | (infosets.player >= n_players)):
        raise GameError("an information set belongs to a player that does not exist")
    if decision.size:
        pl, iset = player[decision], infoset[decision]
        bad = np.flatnonzero((pl < 0) | (pl >= n_players))
        if bad.size:
            raise GameError(f"decision node {int(decision[bad[0]])} has no valid player")
        bad = np.flatnonzero((iset < 0) | (iset >= len(infosets)))
        if bad.size:
            raise GameError(f"decision node {int(decision[bad[0]])} has no valid information set")
        bad = np.flatnonzero(infosets.player[iset] != pl)
        if bad.size:
            h = int(decision[bad[0]])
            raise GameError(
                f"information set {infoset_name(players, infosets, int(infoset[h]))} mixes players: node {h} "
                f"belongs to {players[int(player[h])]}"
            )
        bad = np.flatnonzero(infosets.num_actions[iset] != num_children[decision])
        if bad.size:
            h = int(decision[bad[0]])
            raise GameError(
                f"information set {infoset_name(players, infosets, int(infoset[h]))} has "
                f"{int(infosets.num_actions[infoset[h]])} actions but node {h} has "
                f"{int(num_children[h])} children"
            )
    if chance.size:
        iset = infoset[chance]
        bad = np.flatnonzero((iset < 0) | (iset >= len(chance_infosets)))
        if bad.size:
            raise GameError(f"chance node {int(chance[bad[0]])} has no valid chance information set")
        bad = np.flatnonzero(chance_infosets.num_actions[iset] != num_children[chance])
        if bad.size:
            h = int(chance[bad[0]])
            raise GameError(f"chance node {h} has a different number of actions than its information set")
    bad = np.flatnonzero((kind != DECISION) & (player != -1))
    if bad.size:
        raise GameError(f"node {int(bad[0])} is not a decision node but names a player")


def checked_chance_and_payoffs(
    game: ExtensiveFormGame, chance_prob: Any, payoffs: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Read-only ``float64`` copies of chance probabilities and payoffs, after checking them against the tree."""
    num_nodes = len(game.parent)
    n_players = len(game.players)
    chance_prob = np.array(chance_prob, dtype=np.float64, copy=True)
    if chance_prob.shape[-1:] != (num_nodes,) or chance_prob.ndim not in (1, 2):
        raise GameError(
            f"chance probabilities must have shape (N,) or (B, N) with N = {num_nodes}, got {chance_prob.shape}"
        )
    payoffs = np.array(payoffs, dtype=np.float64, copy=True)
    num_terminals = len(game.terminals)
    if payoffs.ndim not in (2, 3) or payoffs.shape[-2:] != (num_terminals, n_players):
        raise GameError(
            f"payoffs must have shape (T, n) or (B, T, n) with T = {num_terminals} and "
            f"n = {n_players}, got {payoffs.shape}"
        )
    if chance_prob.ndim == 2 and payoffs.ndim == 3 and chance_prob.shape[0] != payoffs.shape[0]:
        raise GameError(
            f"batch sizes of payoffs ({payoffs.shape[0]}) and chance probabilities ({chance_prob.shape[0]}) differ"
        )
    _check_chance(game, chance_prob)
    _check_payoffs(game, payoffs)
    chance_prob.setflags(write=False)
    payoffs.setflags(write=False)
    return chance_prob, payoffs


def _check_chance(game: ExtensiveFormGame, chance_prob: np.ndarray) -> None:
    if not np.all(np.isfinite(chance_prob)):
        raise GameError("chance probabilities must be finite numbers (found NaN or infinity)")
    chance_nodes = np.flatnonzero(game.kind == CHANCE)
    is_chance_edge = np.zeros(len(game.parent), bool)
    is_chance_edge[1:] = game.kind[game.parent[1:]] == CHANCE
    other = chance_prob[..., ~is_chance_edge]
    if other.size and np.any(other != 1.0):
        raise GameError("chance probabilities must be 1 on edges that do not leave a chance node")
    if not chance_nodes.size:
        return
    edges = np.flatnonzero(is_chance_edge)
    probs = chance_prob[..., edges]
    bad = np.flatnonzero(np.any(probs.reshape(-1, edges.size) < 0, axis=0))
    if bad.size:
        h = int(edges[bad[0]])
        raise GameError(
            f"chance node {int(game.parent[h])}: probability of action {_chance_action_name(game, h)} is negative"
        )
    starts = game.first_child[chance_nodes]
    sums = _segment_sum_children(chance_prob, starts, game.num_children[chance_nodes])
    off = np.abs(sums - 1.0) > PROBABILITY_TOLERANCE
    if np.any(off):
        col = int(np.flatnonzero(off.reshape(-1, chance_nodes.size).any(axis=0))[0])
        total = float(np.atleast_2d(sums)[np.atleast_2d(off)[:, col].argmax(), col])
        raise GameError(f"chance probabilities at node {int(chance_nodes[col])} sum to {total!r}, not 1")
    # nodes of one chance information set must agree on probabilities
    iset = game.infoset[chance_nodes]
    if len(np.unique(iset)) < iset.size:
        width = game.num_children[chance_nodes]
        first = np.full(len(game.chance_infosets), -1, np.int64)
        first[iset[::-1]] = chance_nodes[::-1]
        rep = first[iset]
        idx_node = np.repeat(starts, width) + ranges(width)
        idx_rep = np.repeat(game.first_child[rep], width) + ranges(width)
        if np.any(np.abs(chance_prob[..., idx_node] - chance_prob[..., idx_rep]) > PROBABILITY_TOLERANCE):
            raise GameError("nodes of one chance information set have different probabilities")


def _chance_action_name(game: ExtensiveFormGame, node: int) -> str:
    par = int(game.parent[node])
    acts = game.chance_infosets.actions[int(game.infoset[par])]
    a = int(node - game.first_child[par])
    return repr(acts[a]) if acts[a] else str(a)


def _check_payoffs(game: ExtensiveFormGame, payoffs: np.ndarray) -> None:
    if not np.all(np.isfinite(payoffs)):
        flat = np.argwhere(~np.isfinite(payoffs))[0]
        z, p = int(flat[-2]), int(flat[-1])
        raise GameError(
            f"payoff of {game.players[p]} at terminal node {int(game.terminals[z])} is "
            f"{payoffs[tuple(flat)]!r}; payoffs must be finite"
        )


def checked_outcomes(
    outcomes: tuple[tuple[str, ...], Any, Any] | None, n_players: int, num_nodes: int
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray] | None:
    """Gambit outcomes ``(labels, payoffs[K, n], node_outcome[N])`` as read-only arrays, checked against the tree."""
    if outcomes is None:
        return None
    labels, values, node_outcome = outcomes
    values = frozen(values, np.float64).reshape(-1, n_players)
    node_outcome = frozen(node_outcome, np.int64)
    if len(labels) != len(values) or node_outcome.shape != (num_nodes,):
        raise GameError("outcome table does not match the tree")
    if np.any((node_outcome < -1) | (node_outcome >= len(values))):
        raise GameError("a node refers to an outcome that does not exist")
    return (tuple(str(x) for x in labels), values, node_outcome)


def _segment_sum_children(values: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Sum ``values[..., s:s+k]`` for every (start, count) pair, along the last axis."""
    idx = np.repeat(starts, counts) + ranges(counts)
    seg = np.repeat(np.arange(len(starts)), counts)
    gathered = values[..., idx]
    if gathered.ndim == 1:
        return np.bincount(seg, weights=gathered, minlength=len(starts))
    out = np.zeros(gathered.shape[:-1] + (len(starts),))
    np.add.at(out, (..., seg), gathered)
    return out
