"""The subgame roots of an extensive game, and the regions between them as games of their own.

The mathematics is in :mod:`negsim.solvers.subgame_perfect`'s docstring ("Finding the
subgames", "Solving bottom-up"): :func:`structure` finds every subgame root from the
breadth-first arrays with loops over depth levels only, and decides where the tree is
cut; :func:`cut_regions` turns the pieces between cuts into games (the maximal subtrees of
perfect information as one forest under an extra chance root), and :func:`with_values`
gives a region the payoffs of the equilibria already found below it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from negsim._arrays import ranges as _ranges
from negsim.errors import GameError
from negsim.games.builder import game_from_tree
from negsim.games.extensive import CHANCE, DECISION, TERMINAL, ExtensiveFormGame, Infosets

__all__ = ["Region", "Structure", "child_blocks", "cut_regions", "sequence_maps", "structure", "with_values"]


# ---------------------------------------------------------------------------- structure
@dataclass(frozen=True, eq=False)
class Structure:
    pre: np.ndarray  # preorder position of each node
    size: np.ndarray  # subtree size
    is_root: np.ndarray  # roots a subgame
    imperfect: np.ndarray  # the subtree holds an information set of several nodes
    cut: np.ndarray  # where spe cuts the tree
    region: np.ndarray  # the cut each node belongs to


def child_blocks(game: ExtensiveFormGame, d: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Non-terminal nodes of level ``d`` and their children's offsets in the next level."""
    offs = game.level_offsets
    lo, hi, end = int(offs[d]), int(offs[d + 1]), int(offs[d + 2])
    inner = lo + np.flatnonzero(game.num_children[lo:hi] > 0)
    return inner, game.first_child[inner] - hi, hi, end


def structure(game: ExtensiveFormGame) -> Structure:
    N = game.num_nodes
    levels = len(game.level_offsets) - 1
    size = np.ones(N, np.int64)
    for d in range(levels - 2, -1, -1):
        inner, starts, hi, end = child_blocks(game, d)
        if inner.size:
            size[inner] += np.add.reduceat(size[hi:end], starts)
    pre = np.zeros(N, np.int64)
    for d in range(levels - 1):
        offs = game.level_offsets
        hi, end = int(offs[d + 1]), int(offs[d + 2])
        children = np.arange(hi, end)
        if children.size == 0:
            continue
        par = game.parent[children]
        before = np.cumsum(size[children]) - size[children]
        pre[children] = pre[par] + 1 + before - before[game.first_child[par] - hi]
    # span of every information set in preorder, spread to its nodes
    decision = np.flatnonzero(game.kind == DECISION)
    iset = game.infoset[decision]
    count = len(game.infosets)
    lo_i = np.full(count, N, np.int64)
    hi_i = np.full(count, -1, np.int64)
    np.minimum.at(lo_i, iset, pre[decision])
    np.maximum.at(hi_i, iset, pre[decision])
    span_lo, span_hi = pre.copy(), pre.copy()
    span_lo[decision], span_hi[decision] = lo_i[iset], hi_i[iset]
    shared = np.zeros(N, bool)
    shared[decision] = np.bincount(iset, minlength=count)[iset] > 1
    for d in range(levels - 2, -1, -1):
        inner, starts, hi, end = child_blocks(game, d)
        if inner.size:
            span_lo[inner] = np.minimum(span_lo[inner], np.minimum.reduceat(span_lo[hi:end], starts))
            span_hi[inner] = np.maximum(span_hi[inner], np.maximum.reduceat(span_hi[hi:end], starts))
            shared[inner] |= np.maximum.reduceat(shared[hi:end], starts)
    is_root = (game.kind != TERMINAL) & (span_lo >= pre) & (span_hi < pre + size)
    parent_shared = np.zeros(N, bool)
    parent_shared[1:] = shared[game.parent[1:]]
    cut = is_root & (shared | parent_shared)
    cut[0] = True
    region = np.zeros(N, np.int64)
    for d in range(levels - 1):
        offs = game.level_offsets
        hi, end = int(offs[d + 1]), int(offs[d + 2])
        children = np.arange(hi, end)
        region[children] = np.where(cut[children], children, region[game.parent[children]])
    return Structure(pre=pre, size=size, is_root=is_root, imperfect=shared, cut=cut, region=region)


# ---------------------------------------------------------------------------- regions
@dataclass(frozen=True, eq=False)
class Region:
    tops: np.ndarray  # original nodes that root a subgame solved here
    nodes: np.ndarray  # original node indices, BFS order; the cuts below are terminals
    leaves: np.ndarray  # positions (in nodes) of the cuts below
    infosets: np.ndarray  # original global decision information sets inside
    game: ExtensiveFormGame  # the region as a game (payoffs of the cuts still 0)
    offset: int  # 1 when the region game has an extra chance root over several tops
    top_local: np.ndarray  # node index of each top in the region game

    @property
    def root(self) -> int:
        return int(self.tops[0])


def cut_regions(game: ExtensiveFormGame, st: Structure) -> tuple[Region | None, list[Region]]:
    """The maximal subtrees of perfect information as one forest, and the other regions deepest first.

    A region of perfect information has no cuts below it, so all of them can be solved
    at once: they become the subtrees of one game under an extra chance root.
    """
    roots = np.flatnonzero(st.cut)
    # each node belongs to its region; each cut other than 0 is also a leaf of its parent's region
    below = roots[roots > 0]
    key = np.concatenate([st.region, st.region[game.parent[below]]])
    node = np.concatenate([np.arange(game.num_nodes), below])
    is_leaf = np.concatenate([np.zeros(game.num_nodes, bool), np.ones(below.size, bool)])
    order = np.lexsort((node, key))
    key, node, is_leaf = key[order], node[order], is_leaf[order]
    bounds = np.searchsorted(key, np.concatenate([roots, [game.num_nodes]]))
    perfect = ~st.imperfect[roots]
    forest = None
    if np.any(perfect):
        tops = roots[perfect]
        members = np.flatnonzero(np.isin(st.region, tops))
        forest = _build_region(game, tops, members, np.zeros(0, np.int64), st.region)
    out = []
    for i in np.argsort(-game.depth[roots], kind="stable"):
        if perfect[i]:
            continue
        sl = slice(bounds[i], bounds[i + 1])
        out.append(_build_region(game, roots[i : i + 1], node[sl], np.flatnonzero(is_leaf[sl]), st.region))
    return forest, out


def _build_region(
    game: ExtensiveFormGame, tops: np.ndarray, nodes: np.ndarray, leaves: np.ndarray, top_of: np.ndarray
) -> Region:
    """The region as a game; ``top_of[h]`` is the top (cut) that node ``h`` belongs to."""
    n = game.num_players
    offset = 1 if tops.size > 1 or tops[0] != nodes[0] else 0
    if offset:
        # breadth-first order of the forest: by depth below its top, then as in the game
        relative = game.depth[nodes] - game.depth[top_of[nodes]]
        nodes = nodes[np.lexsort((nodes, relative))]
    local = np.full(game.num_nodes, -1, np.int64)
    local[nodes] = np.arange(offset, nodes.size + offset)
    parent = local[game.parent[nodes]]
    parent[np.isin(nodes, tops)] = 0 if offset else -1
    kind = game.kind[nodes].copy()
    kind[leaves] = TERMINAL
    decision = kind == DECISION
    chance = kind == CHANCE
    player = np.where(decision, game.player[nodes], -1)
    used = np.unique(game.infoset[nodes[decision]])
    used_chance = np.unique(game.infoset[nodes[chance]])
    infoset = np.full(nodes.size, -1, np.int64)
    infoset[decision] = np.searchsorted(used, game.infoset[nodes[decision]])
    infoset[chance] = np.searchsorted(used_chance, game.infoset[nodes[chance]])
    table = game.infosets
    decision_sets = Infosets(
        player=table.player[used],
        number=table.number[used],
        labels=[table.labels[g] for g in used],
        actions=[table.actions[g] for g in used],
    )
    ctable = game.chance_infosets
    chance_labels = [ctable.labels[g] for g in used_chance]
    chance_actions = [ctable.actions[g] for g in used_chance]
    labels = [game.node_labels[h] for h in nodes]
    if offset:  # the extra chance root, one branch per subgame
        parent = np.concatenate([[-1], parent])
        kind = np.concatenate([[CHANCE], kind]).astype(np.int8)
        player = np.concatenate([[-1], player])
        infoset = np.concatenate([[used_chance.size], infoset])
        chance_labels.append("subgames")
        chance_actions.append(tuple(f"node {t}" for t in tops))
        labels = ["subgames"] + labels
    chance_sets = Infosets(
        player=np.full(len(chance_actions), -1),
        number=np.arange(1, len(chance_actions) + 1),
        labels=chance_labels,
        actions=chance_actions,
    )
    edge = _edge_probabilities(game, nodes, tops, offset)
    region_game = game_from_tree(
        game.players,
        parent=parent,
        kind=kind,
        player=player,
        infoset=infoset,
        edge_prob=edge[0] if edge.ndim == 2 else edge,
        node_payoffs=np.zeros((parent.size, n)),
        infosets=decision_sets,
        chance_infosets=chance_sets,
        node_labels=labels,
        title=game.title,
    )
    if not np.array_equal(region_game.parent, parent):  # pragma: no cover - order is kept by construction
        raise GameError("internal error: a subgame's nodes changed order when compiled")
    return Region(tops, nodes, leaves, used, region_game, offset, local[tops])


def _edge_probabilities(game: ExtensiveFormGame, nodes: np.ndarray, tops: np.ndarray, offset: int) -> np.ndarray:
    """Chance probabilities of a region game's edges (``[N_r]`` or ``[B, N_r]``)."""
    inner = game.chance_prob[..., nodes].copy()
    inner[..., np.isin(nodes, tops)] = 1.0 / tops.size if offset else 1.0
    if not offset:
        return inner
    return np.concatenate([np.ones(inner.shape[:-1] + (1,)), inner], axis=-1)


def with_values(game: ExtensiveFormGame, region: Region, leaf_values: dict[int, np.ndarray]) -> ExtensiveFormGame:
    """The region game with its terminal payoffs: the game's own, or the values of the cuts below."""
    B = game.batch_size
    lead = () if B is None else (B,)
    rows = np.zeros(lead + (region.nodes.size, game.num_players))
    originals = game.kind[region.nodes] == TERMINAL
    rows[..., originals, :] = game.payoffs[..., game.terminal_index[region.nodes[originals]], :]
    for pos in region.leaves:
        rows[..., pos, :] = leaf_values[int(region.nodes[pos])]
    terminal_rows = region.game.terminals - region.offset
    chance = _edge_probabilities(game, region.nodes, region.tops, region.offset)
    return region.game.with_batch(payoffs=rows[..., terminal_rows, :], chance_prob=chance)


def sequence_maps(game: ExtensiveFormGame, region: Region) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each player: (positions in the region's sequences, positions in the game's), 0-based."""
    sf, rsf = game.sequence_form, region.game.sequence_form
    out = []
    for p in range(game.num_players):
        mine = region.infosets[game.infosets.player[region.infosets] == p]
        counts = game.infosets.num_actions[mine]
        local = np.arange(mine.size)
        start_game = sf.sequence_start[p][mine - sf.infoset_offset[p]] - 1
        start_region = rsf.sequence_start[p][local] - 1
        step = _ranges(counts)
        out.append((np.repeat(start_region, counts) + step, np.repeat(start_game, counts) + step))
    return out
