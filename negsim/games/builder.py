"""Writing extensive-form games in Python.

:class:`GameBuilder` grows a tree from its root through light node handles: a node becomes
a decision node, a chance node or a terminal, and the first two return their children in
action order. Information sets are named by label, per player. :meth:`GameBuilder.build`
compiles the tree into the flat, breadth-first arrays of
:class:`~negsim.games.ExtensiveFormGame` in one vectorized pass.

:func:`game_from_tree` does the same compilation for callers that already hold the tree
as arrays in any parent-before-child order (the Gambit reader, the OpenSpiel bridge and
the negotiation compiler use it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from negsim._arrays import ranges as _ranges
from negsim.errors import GameError
from negsim.games.extensive import (
    CHANCE,
    DECISION,
    MAX_NODES,
    TERMINAL,
    ExtensiveFormGame,
    Infosets,
)

__all__ = ["GameBuilder", "Node", "game_from_tree"]

_UNSET = -1


class Node:
    """A handle on one node of a :class:`GameBuilder` tree.

    A fresh node is *open*; calling exactly one of :meth:`decision`, :meth:`chance` or
    :meth:`terminal` fixes what it is.
    """

    __slots__ = ("_builder", "_id")

    def __init__(self, builder: GameBuilder, node_id: int) -> None:
        self._builder = builder
        self._id = node_id

    def __repr__(self) -> str:
        kind = self._builder._kind[self._id]
        name = {DECISION: "decision", CHANCE: "chance", TERMINAL: "terminal", _UNSET: "open"}[kind]
        return f"<Node {self._builder._describe(self._id)} ({name})>"

    def decision(
        self,
        player: int | str,
        actions: Sequence[str] | int,
        *,
        infoset: str | None = None,
        label: str = "",
    ) -> tuple[Node, ...]:
        """Make this a decision node of ``player`` and return one child per action.

        Parameters
        ----------
        player : int or str
            The player who moves, by index or name.
        actions : sequence of str, or int
            Action labels, or a number of actions (labelled ``"0"``, ``"1"``, ...).
        infoset : str, optional
            Label of the player's information set. Nodes given the same label share it
            and must have the same actions. Default: a new information set of its own.
        label : str, optional
            A label for the node itself.

        Returns
        -------
        tuple of Node
            The children, in the order of ``actions``.

        Raises
        ------
        GameError
            If the node was already set, the player does not exist, or the information
            set exists with other actions.
        """
        b = self._builder
        b._open(self._id)
        p = b._player_index(player)
        acts = _action_labels(actions)
        key = (p, infoset) if infoset is not None else (p, len(b._decision_keys), None)
        iset = b._decision_keys.get(key)
        if iset is None:
            iset = len(b._decision_actions)
            b._decision_keys[key] = iset
            b._decision_actions.append(acts)
            b._decision_player.append(p)
            b._decision_labels.append("" if infoset is None else str(infoset))
        elif b._decision_actions[iset] != acts:
            raise GameError(
                f"information set {infoset!r} of {b.players[p]} has actions "
                f"{list(b._decision_actions[iset])}, not {list(acts)} (at {b._describe(self._id)})"
            )
        b._kind[self._id] = DECISION
        b._player[self._id] = p
        b._infoset[self._id] = iset
        b._labels[self._id] = str(label)
        return b._add_children(self._id, acts, [1.0] * len(acts))

    def chance(
        self,
        probabilities: Mapping[str, Any] | Sequence[Any],
        *,
        infoset: str | None = None,
        label: str = "",
    ) -> tuple[Node, ...]:
        """Make this a chance node and return one child per outcome.

        Parameters
        ----------
        probabilities : mapping or sequence
            ``{action label: probability}``, a sequence of ``(label, probability)``
            pairs, or a sequence of probabilities (actions labelled ``"0"``, ``"1"``, ...).
            Probabilities may be floats, ints, :class:`fractions.Fraction` or strings such
            as ``"1/3"``; they must be non-negative and sum to 1.
        infoset : str, optional
            Label of a chance information set shared by several nodes; they must have
            the same actions and probabilities.
        label : str, optional
            A label for the node itself.

        Returns
        -------
        tuple of Node
            The children, in the given order.
        """
        b = self._builder
        b._open(self._id)
        acts, probs = _chance_table(probabilities)
        key = infoset if infoset is not None else (len(b._chance_actions), None)
        iset = b._chance_keys.get(key)
        if iset is None:
            iset = len(b._chance_actions)
            b._chance_keys[key] = iset
            b._chance_actions.append(acts)
            b._chance_probs.append(probs)
            b._chance_labels.append("" if infoset is None else str(infoset))
        elif b._chance_actions[iset] != acts or not np.allclose(b._chance_probs[iset], probs, rtol=0, atol=1e-12):
            raise GameError(
                f"chance information set {infoset!r} is used with different actions or probabilities "
                f"(at {b._describe(self._id)})"
            )
        b._kind[self._id] = CHANCE
        b._infoset[self._id] = iset
        b._labels[self._id] = str(label)
        return b._add_children(self._id, acts, probs)

    def terminal(self, payoffs: Sequence[Any] | Mapping[str, Any], *, label: str = "") -> None:
        """Make this a terminal node with the given payoffs.

        Parameters
        ----------
        payoffs : sequence of numbers, or mapping of player name to number
            One payoff per player (missing names in a mapping get 0).
        label : str, optional
            A label for the node (written as the outcome's label in Gambit files).
        """
        b = self._builder
        b._open(self._id)
        n = len(b.players)
        if isinstance(payoffs, Mapping):
            row = [0.0] * n
            for name, value in payoffs.items():
                row[b._player_index(name)] = _number(value, f"payoff of {name!r}")
        else:
            values = list(payoffs)
            if len(values) != n:
                raise GameError(
                    f"terminal at {b._describe(self._id)} has {len(values)} payoffs for {n} players"
                )
            row = [_number(v, "payoff") for v in values]
        if not all(np.isfinite(row)):
            raise GameError(f"terminal at {b._describe(self._id)} has a payoff that is not finite: {row}")
        b._kind[self._id] = TERMINAL
        b._payoff[self._id] = row
        b._labels[self._id] = str(label)

    @property
    def history(self) -> tuple[str, ...]:
        """The action labels on the path from the root to this node."""
        return self._builder._history(self._id)


class GameBuilder:
    """Build an extensive-form game node by node, then compile it.

    Parameters
    ----------
    players : sequence of str
        The player names, in order.
    title, comment : str, optional
        Free text kept with the game.
    max_nodes : int, optional
        Refuse to grow the tree beyond this many nodes (default
        :data:`negsim.games.extensive.MAX_NODES`).

    Examples
    --------
    Matching pennies as a game tree: the column player does not see the row player's coin.

    >>> from negsim.games import GameBuilder
    >>> b = GameBuilder(["Row", "Column"], title="Matching pennies")
    >>> for row_node, sign in zip(b.root.decision("Row", ["H", "T"]), (1, -1)):
    ...     heads, tails = row_node.decision("Column", ["H", "T"], infoset="column")
    ...     heads.terminal([sign, -sign])
    ...     tails.terminal([-sign, sign])
    >>> game = b.build()
    >>> game.num_terminals, game.num_infosets, game.is_zero_sum()
    (4, (1, 1), True)
    """

    def __init__(
        self,
        players: Sequence[str],
        *,
        title: str = "",
        comment: str = "",
        max_nodes: int = MAX_NODES,
    ) -> None:
        self.players = tuple(str(p) for p in players)
        if not self.players:
            raise GameError("a game needs at least one player")
        if len(set(self.players)) != len(self.players):
            raise GameError(f"player names must be unique, got {list(self.players)}")
        self.title = title
        self.comment = comment
        self.max_nodes = int(max_nodes)
        self._parent: list[int] = [-1]
        self._edge_prob: list[float] = [1.0]
        self._kind: list[int] = [_UNSET]
        self._player: list[int] = [-1]
        self._infoset: list[int] = [-1]
        self._labels: list[str] = [""]
        self._action_label: list[str] = [""]
        self._payoff: dict[int, list[float]] = {}
        self._decision_keys: dict[Any, int] = {}
        self._decision_actions: list[tuple[str, ...]] = []
        self._decision_player: list[int] = []
        self._decision_labels: list[str] = []
        self._chance_keys: dict[Any, int] = {}
        self._chance_actions: list[tuple[str, ...]] = []
        self._chance_probs: list[list[float]] = []
        self._chance_labels: list[str] = []
        self.root = Node(self, 0)

    def __len__(self) -> int:
        return len(self._parent)

    # -------------------------------------------------------------- internals
    def _player_index(self, player: int | str) -> int:
        if isinstance(player, str):
            if player not in self.players:
                raise GameError(f"no player named {player!r}; players are {list(self.players)}")
            return self.players.index(player)
        p = int(player)
        if not 0 <= p < len(self.players):
            raise GameError(f"no player {p}; the game has {len(self.players)}")
        return p

    def _open(self, node_id: int) -> None:
        if self._kind[node_id] != _UNSET:
            raise GameError(f"node {self._describe(node_id)} is already set")

    def _add_children(self, node_id: int, actions: tuple[str, ...], probs: list[float]) -> tuple[Node, ...]:
        start = len(self._parent)
        k = len(actions)
        if start + k > self.max_nodes:
            raise GameError(f"the tree would exceed the limit of {self.max_nodes:,} nodes")
        self._parent.extend([node_id] * k)
        self._edge_prob.extend(probs)
        self._kind.extend([_UNSET] * k)
        self._player.extend([-1] * k)
        self._infoset.extend([-1] * k)
        self._labels.extend([""] * k)
        self._action_label.extend(actions)
        return tuple(Node(self, start + i) for i in range(k))

    def _history(self, node_id: int) -> tuple[str, ...]:
        out = []
        while self._parent[node_id] >= 0:
            out.append(self._action_label[node_id])
            node_id = self._parent[node_id]
        return tuple(out[::-1])

    def _describe(self, node_id: int) -> str:
        hist = self._history(node_id)
        return "the root" if not hist else "history " + " > ".join(repr(a) for a in hist)

    # -------------------------------------------------------------- compile
    def build(self) -> ExtensiveFormGame:
        """Compile the tree into an :class:`~negsim.games.ExtensiveFormGame`.

        Raises
        ------
        GameError
            If a node was left open or the game is invalid.
        """
        kind = np.array(self._kind, np.int8)
        open_nodes = np.flatnonzero(kind == _UNSET)
        if open_nodes.size:
            raise GameError(
                f"node at {self._describe(int(open_nodes[0]))} was never set "
                f"({open_nodes.size} open node(s) in all); make it a decision, chance or terminal node"
            )
        n = len(self.players)
        terminal_ids = np.flatnonzero(kind == TERMINAL)
        payoffs = np.zeros((len(kind), n))
        if terminal_ids.size:
            payoffs[terminal_ids] = [self._payoff[int(t)] for t in terminal_ids]
        decision = Infosets(
            player=self._decision_player,
            number=np.zeros(len(self._decision_player), np.int64),
            labels=self._decision_labels,
            actions=self._decision_actions,
        )
        chance = Infosets(
            player=np.full(len(self._chance_actions), -1),
            number=np.zeros(len(self._chance_actions), np.int64),
            labels=self._chance_labels,
            actions=self._chance_actions,
        )
        return game_from_tree(
            self.players,
            parent=self._parent,
            kind=kind,
            player=self._player,
            infoset=self._infoset,
            edge_prob=self._edge_prob,
            node_payoffs=payoffs,
            infosets=decision,
            chance_infosets=chance,
            node_labels=self._labels,
            title=self.title,
            comment=self.comment,
        )


def game_from_tree(
    players: Sequence[str],
    *,
    parent: Any,
    kind: Any,
    player: Any,
    infoset: Any,
    edge_prob: Any,
    node_payoffs: Any,
    infosets: Infosets,
    chance_infosets: Infosets | None = None,
    node_labels: Sequence[str] | None = None,
    outcomes: tuple[Sequence[str], Any, Any] | None = None,
    title: str = "",
    comment: str = "",
    renumber_infosets: bool | None = None,
) -> ExtensiveFormGame:
    """Compile a tree given in any parent-before-child order into breadth-first arrays.

    Siblings keep their relative order of appearance, which is the action order.

    Parameters
    ----------
    players : sequence of str
        Player names.
    parent : array of int, shape (N,)
        Parent of every node (``-1`` for the root, which must be node 0); every parent
        appears before its children.
    kind, player, infoset : arrays of int, shape (N,)
        As in :class:`ExtensiveFormGame`; ``infoset`` indexes ``infosets`` (decision nodes)
        or ``chance_infosets`` (chance nodes). Information sets need not be ordered by
        player: they are reordered (by player, keeping their relative order).
    edge_prob : array of float, shape (N,)
        Probability of the edge into each node (1 unless its parent is a chance node).
    node_payoffs : array of float, shape (N, n)
        Payoffs at each node; rows of non-terminal nodes are ignored unless
        ``outcomes`` is ``None``, in which case only terminal rows are read.
    infosets, chance_infosets : Infosets
        Tables of decision and chance information sets. A decision table whose numbers
        are all 0 is numbered by order of appearance per player.
    node_labels : sequence of str, optional
        A label per node.
    outcomes : (labels, payoffs[K, n], node_outcome[N]), optional
        Gambit outcomes: terminal payoffs are then the sums of the outcomes on each path,
        and ``node_payoffs`` is ignored.
    title, comment : str
        Free text.
    renumber_infosets : bool, optional
        Number information sets 1, 2, ... per player in order of appearance (default:
        only when the given numbers are all 0).

    Returns
    -------
    ExtensiveFormGame
    """
    parent = np.asarray(parent, np.int64)
    num_nodes = parent.size
    if num_nodes > MAX_NODES:
        raise GameError(f"the tree has {num_nodes:,} nodes, over the limit of {MAX_NODES:,}")
    if num_nodes == 0 or parent[0] != -1:
        raise GameError("the tree needs a root as node 0")
    if num_nodes > 1 and (np.any(parent[1:] < 0) or np.any(parent[1:] >= np.arange(1, num_nodes))):
        raise GameError("every node's parent must appear before it")
    kind = np.asarray(kind, np.int8)
    player = np.asarray(player, np.int64)
    infoset = np.asarray(infoset, np.int64)
    edge_prob = np.asarray(edge_prob, np.float64)

    order, new_id = _breadth_first_order(parent)
    new_parent = np.where(parent[order] >= 0, new_id[np.maximum(parent[order], 0)], -1)
    new_kind = kind[order]
    new_infosets, new_infoset = _infosets_by_player(
        infosets, infoset[order], new_kind, len(players), renumber_infosets
    )
    if chance_infosets is not None and len(chance_infosets):
        chance_infosets = _numbered_chance_infosets(chance_infosets, new_infoset, new_kind, renumber_infosets)
    labels = None if node_labels is None else [node_labels[i] for i in order]
    payoffs, out_table = _terminal_payoffs(node_payoffs, outcomes, order, new_parent, new_kind, len(players))
    return ExtensiveFormGame(
        players,
        parent=new_parent,
        kind=new_kind,
        player=player[order],
        infoset=new_infoset,
        chance_prob=edge_prob[order],
        payoffs=payoffs,
        infosets=new_infosets,
        chance_infosets=chance_infosets,
        node_labels=labels,
        outcomes=out_table,
        title=title,
        comment=comment,
    )


def _breadth_first_order(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(order, new_id)``: the nodes level by level, siblings in order of appearance, and each node's new index.

    One step per depth level, none per node.
    """
    num_nodes = parent.size
    order_parts = [np.zeros(1, np.int64)]
    new_id = np.full(num_nodes, -1, np.int64)
    new_id[0] = 0
    # children of each node in order of appearance
    child_order = np.argsort(parent, kind="stable")[1:]  # skip the root (parent -1)
    child_parent = parent[child_order]
    counts = np.bincount(child_parent, minlength=num_nodes)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    frontier = np.zeros(1, np.int64)
    placed = 1
    while frontier.size:
        k = counts[frontier]
        if not k.sum():
            break
        idx = np.repeat(starts[frontier], k) + _ranges(k)
        nxt = child_order[idx]
        new_id[nxt] = np.arange(placed, placed + nxt.size)
        placed += nxt.size
        order_parts.append(nxt)
        frontier = nxt
    order = np.concatenate(order_parts)
    if order.size != num_nodes:
        raise GameError("the tree is not connected: some nodes cannot be reached from the root")
    return order, new_id


def _infosets_by_player(
    infosets: Infosets, infoset: np.ndarray, kind: np.ndarray, n_players: int, renumber: bool | None
) -> tuple[Infosets, np.ndarray]:
    """Decision information sets ordered by player (stable), renumbered per player if asked, and the nodes' new indices.

    ``infoset`` and ``kind`` are already in breadth-first order.
    """
    num_nodes = infoset.size
    iset_player = infosets.player
    perm = np.argsort(iset_player, kind="stable")
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.size)
    new_infoset = infoset.copy()
    is_dec = kind == DECISION
    if np.any(is_dec) and (np.any(infoset[is_dec] < 0) or np.any(infoset[is_dec] >= perm.size)):
        raise GameError("a decision node refers to an information set that does not exist")
    new_infoset[is_dec] = inv[new_infoset[is_dec]]
    numbers = infosets.number[perm]
    if renumber or (renumber is None and (numbers.size == 0 or not np.any(numbers))):
        # number by first appearance in breadth-first order, per player
        first_seen = np.full(perm.size, num_nodes, np.int64)
        dec_nodes = np.flatnonzero(is_dec)
        np.minimum.at(first_seen, new_infoset[dec_nodes], dec_nodes)
        sorted_player = iset_player[perm]
        numbers = np.zeros(perm.size, np.int64)
        for p in range(n_players):
            mine = np.flatnonzero(sorted_player == p)
            rank = np.argsort(first_seen[mine], kind="stable")
            numbers[mine[rank]] = np.arange(1, mine.size + 1)
        # reorder infosets of each player by their new numbers so that local order = number order
        key = np.lexsort((numbers, sorted_player))
        perm = perm[key]
        inv2 = np.empty_like(key)
        inv2[key] = np.arange(key.size)
        new_infoset[is_dec] = inv2[new_infoset[is_dec]]
        numbers = numbers[key]
    table = Infosets(
        player=iset_player[perm],
        number=numbers,
        labels=[infosets.labels[i] for i in perm],
        actions=[infosets.actions[i] for i in perm],
    )
    return table, new_infoset


def _numbered_chance_infosets(
    chance_infosets: Infosets, new_infoset: np.ndarray, kind: np.ndarray, renumber: bool | None
) -> Infosets:
    """Chance information sets numbered by first appearance when asked (or when unnumbered).

    Rewrites the chance nodes' entries of ``new_infoset`` (breadth-first order) in place to match.
    """
    if not (renumber or (renumber is None and not np.any(chance_infosets.number))):
        return chance_infosets
    is_ch = kind == CHANCE
    ch_nodes = np.flatnonzero(is_ch)
    first = np.full(len(chance_infosets), new_infoset.size, np.int64)
    np.minimum.at(first, new_infoset[ch_nodes], ch_nodes)
    key = np.argsort(first, kind="stable")
    inv3 = np.empty_like(key)
    inv3[key] = np.arange(key.size)
    new_infoset[is_ch] = inv3[new_infoset[is_ch]]
    return Infosets(
        player=np.full(key.size, -1),
        number=np.arange(1, key.size + 1),
        labels=[chance_infosets.labels[i] for i in key],
        actions=[chance_infosets.actions[i] for i in key],
    )


def _terminal_payoffs(
    node_payoffs: Any,
    outcomes: tuple[Sequence[str], Any, Any] | None,
    order: np.ndarray,
    new_parent: np.ndarray,
    new_kind: np.ndarray,
    n_players: int,
) -> tuple[np.ndarray, tuple[tuple[str, ...], np.ndarray, np.ndarray] | None]:
    """The terminals' payoffs in breadth-first order, and the outcome table in that order (``None`` without one).

    With Gambit outcomes a terminal's payoffs are the sum of the outcomes on its path.
    """
    node_payoffs = np.asarray(node_payoffs, np.float64)
    terminal_new = np.flatnonzero(new_kind == TERMINAL)
    if outcomes is None:
        return node_payoffs[order][terminal_new], None
    out_labels, out_values, node_outcome = outcomes
    out_values = np.asarray(out_values, np.float64).reshape(-1, n_players)
    node_outcome = np.asarray(node_outcome, np.int64)[order]
    if np.any(node_outcome >= len(out_values)) or np.any(node_outcome < -1):
        raise GameError("a node refers to an outcome that does not exist")
    rows = np.zeros((order.size, n_players))
    has = node_outcome >= 0
    rows[has] = out_values[node_outcome[has]]  # an empty outcome table leaves every row at 0
    # add payoffs along the path, level by level (parents come first in BFS order)
    acc = _accumulate_down(rows, new_parent)
    return acc[terminal_new], (tuple(out_labels), out_values, node_outcome)


def _accumulate_down(values: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Add each node's row to all its descendants' rows (BFS-ordered tree)."""
    out = values.copy()
    # BFS order: the nodes before the first one whose parent is >= lo all have final parents
    n = len(parent)
    lo = 1
    while lo < n:
        hi = int(np.searchsorted(parent, lo, side="left"))
        out[lo:hi] += out[parent[lo:hi]]
        lo = hi
    return out



def _action_labels(actions: Sequence[str] | int) -> tuple[str, ...]:
    if isinstance(actions, int | np.integer):
        if actions < 1:
            raise GameError("a decision node needs at least one action")
        return tuple(str(i) for i in range(int(actions)))
    acts = tuple(str(a) for a in actions)
    if not acts:
        raise GameError("a decision node needs at least one action")
    return acts


def _number(value: Any, what: str) -> float:
    if isinstance(value, str):
        try:
            value = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise GameError(f"{what} {value!r} is not a number") from None
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        raise GameError(f"{what} {value!r} is not a number") from None
    return out


def _chance_table(probabilities: Mapping[str, Any] | Sequence[Any]) -> tuple[tuple[str, ...], list[float]]:
    if isinstance(probabilities, Mapping):
        items: Iterable[tuple[Any, Any]] = probabilities.items()
    else:
        seq = list(probabilities)
        if seq and all(isinstance(x, tuple) and len(x) == 2 for x in seq):
            items = seq
        else:
            items = [(str(i), x) for i, x in enumerate(seq)]
    acts, probs = [], []
    for label, prob in items:
        acts.append(str(label))
        probs.append(_number(prob, f"probability of {label!r}"))
    if not acts:
        raise GameError("a chance node needs at least one outcome")
    arr = np.array(probs)
    if not np.all(np.isfinite(arr)):
        raise GameError(f"chance probabilities must be finite, got {probs}")
    if np.any(arr < 0):
        raise GameError(f"chance probabilities must not be negative, got {probs}")
    if abs(arr.sum() - 1.0) > 1e-9:
        raise GameError(f"chance probabilities must sum to 1, got {probs} (sum {arr.sum()!r})")
    return tuple(acts), probs
