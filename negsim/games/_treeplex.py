"""The tree-only part of the sequence-form view: each player's last sequence per node, recall, the treeplex.

A *sequence* of player ``p`` is one action at one of ``p``'s information sets (0 is the
empty sequence). Walking the breadth-first depth levels once, with whole-level gathers,
gives every node's last sequence of every player; from it follow the check of perfect
recall (all nodes of an information set share their player's last sequence) and the
treeplex: each information set's parent sequence, its range of sequences and its depth
(von Stengel 1996). :class:`~negsim.games.ExtensiveFormGame` caches what these return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from negsim.errors import GameError
from negsim.games._kinds import DECISION, frozen
from negsim.games._structure import infoset_name

if TYPE_CHECKING:
    from negsim.games.extensive import ExtensiveFormGame


def node_last_sequences(game: ExtensiveFormGame) -> np.ndarray:
    """``int64[n, N]``: each player's last sequence on the path to each node (one gather per depth level)."""
    n_players, num_nodes = game.num_players, game.num_nodes
    seq_start = np.zeros(len(game.infosets), np.int64)
    for p in range(n_players):
        isets = game.player_infosets(p)
        counts = game.infosets.num_actions[isets]
        seq_start[isets] = 1 + np.concatenate(([0], np.cumsum(counts)[:-1]))
    last = np.zeros((n_players, num_nodes), np.int64)
    offs = game.level_offsets
    for d in range(1, len(offs) - 1):
        lo, hi = int(offs[d]), int(offs[d + 1])
        par = game.parent[lo:hi]
        last[:, lo:hi] = last[:, par]
        moved = game.kind[par] == DECISION
        if np.any(moved):
            cols = np.arange(lo, hi)[moved]
            par_m = par[moved]
            last[game.player[par_m], cols] = seq_start[game.infoset[par_m]] + game.action[cols]
    return last


def recall_violation(game: ExtensiveFormGame, last: np.ndarray) -> str | None:
    """The first violation of perfect recall in words, or ``None``; ``last`` is :func:`node_last_sequences`."""
    decision = np.flatnonzero(game.kind == DECISION)
    if decision.size == 0:
        return None
    mine = last[game.player[decision], decision]
    first = np.full(len(game.infosets), -1, np.int64)
    iset = game.infoset[decision]
    first[iset[::-1]] = decision[::-1]
    ref = last[game.player[decision], first[iset]]
    bad = np.flatnonzero(mine != ref)
    if bad.size == 0:
        return None
    h = int(decision[bad[0]])
    return (
        f"information set {infoset_name(game.players, game.infosets, int(game.infoset[h]))}: nodes "
        f"{int(first[game.infoset[h]])} and {h} are reached by different earlier moves of "
        f"{game.players[int(game.player[h])]}"
    )


def treeplex(game: ExtensiveFormGame, last: np.ndarray) -> dict[str, Any]:
    """The keyword arguments of the game's cached treeplex structure (see :class:`~negsim.games.SequenceForm`).

    Raises
    ------
    GameError
        If a player's information sets do not form a tree.
    """
    decision = np.flatnonzero(game.kind == DECISION)
    starts, seq_iset, parents, depths, levels = [], [], [], [], []
    for p in range(game.num_players):
        isets = game.player_infosets(p)
        counts = game.infosets.num_actions[isets]
        start = np.concatenate(([1], 1 + np.cumsum(counts))).astype(np.int64)
        s_iset = np.concatenate(([-1], np.repeat(np.arange(len(isets)), counts))).astype(np.int64)
        parent = np.zeros(len(isets), np.int64)
        mine = decision[game.player[decision] == p]
        parent[game.infoset[mine] - game.infoset_offset[p]] = last[p, mine]
        depth = _treeplex_depth(parent, s_iset)
        for arr in (start, s_iset, parent, depth):
            arr.setflags(write=False)
        starts.append(start)
        seq_iset.append(s_iset)
        parents.append(parent)
        depths.append(depth)
        levels.append(
            tuple(frozen(np.flatnonzero(depth == d), np.int64) for d in range(int(depth.max(initial=-1)) + 1))
        )
    return {
        "num_sequences": game.num_sequences,
        "infoset_offset": game.infoset_offset,
        "sequence_start": tuple(starts),
        "sequence_infoset": tuple(seq_iset),
        "infoset_parent": tuple(parents),
        "infoset_depth": tuple(depths),
        "levels": tuple(levels),
        "last_sequence": frozen(last[:, game.terminals], np.int64),
    }


def _treeplex_depth(parent: np.ndarray, sequence_infoset: np.ndarray) -> np.ndarray:
    """Depth of each of a player's information sets in the treeplex (a loop over depth levels)."""
    depth = np.full(len(parent), -1, np.int64)
    depth[parent == 0] = 0
    level = 0
    while np.any(depth < 0):
        par_iset = sequence_infoset[parent]
        grow = (depth < 0) & (par_iset >= 0)
        grow &= depth[np.maximum(par_iset, 0)] == level
        if not np.any(grow):
            raise GameError("the information sets of a player do not form a tree")
        level += 1
        depth[grow] = level
    return depth
