"""The extensive-form game as flat numpy arrays, and its sequence-form view.

An :class:`ExtensiveFormGame` stores a game tree without node objects. Nodes are numbered
in breadth-first order, so every depth level is a contiguous slice and the children of a
node are contiguous (``first_child[h] .. first_child[h] + num_children[h]``). Per node the
game keeps its parent, kind (decision, chance or terminal), acting player, information
set, the index of the action that leads to it, and the probability chance gives to that
action. Terminal payoffs are one ``float64`` array ``[T, n_players]``.

The **sequence-form view** (:attr:`ExtensiveFormGame.sequence_form`) is computed once and
cached. A *sequence* of player ``p`` is one action at one of ``p``'s information sets;
sequence 0 of every player is the empty sequence and the real ones are numbered
``1 .. S_p`` in order of information set and action. For every terminal ``z`` the view
holds its chance reach ``c[z]`` and, for each player, ``p``'s last sequence on the path to
``z``; for every player the *treeplex*: each information set's parent sequence and its
range of sequences, grouped by depth. With perfect recall this is all that CFR, best
response and the sequence-form LP need (von Stengel 1996; Koller, Megiddo & von Stengel
1994).

A *batch* of games shares the tree and differs in payoffs ``[B, T, n]`` and chance
probabilities ``[B, N]``; see :meth:`ExtensiveFormGame.with_batch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from negsim.errors import GameError
from negsim.games import _kinds
from negsim.games._kinds import frozen as _frozen
from negsim.games._structure import (
    checked_chance_and_payoffs,
    checked_outcomes,
    derive_structure,
    infoset_name,
)
from negsim.games._treeplex import node_last_sequences, recall_violation, treeplex

__all__ = [
    "DECISION",
    "CHANCE",
    "TERMINAL",
    "MAX_NODES",
    "PROBABILITY_TOLERANCE",
    "Infosets",
    "SequenceForm",
    "ExtensiveFormGame",
]

DECISION: int = _kinds.DECISION
"""Node kind of a node where a player moves."""
CHANCE: int = _kinds.CHANCE
"""Node kind of a node where chance moves."""
TERMINAL: int = _kinds.TERMINAL
"""Node kind of a leaf, which has payoffs."""

MAX_NODES: int = _kinds.MAX_NODES
"""The largest tree (number of nodes) that builders, readers and compilers will create."""

PROBABILITY_TOLERANCE: float = _kinds.PROBABILITY_TOLERANCE
"""How far the chance probabilities at a node may sum from 1 before a game is refused."""


@dataclass(frozen=True, eq=False)
class Infosets:
    """A table of information sets (decision or chance).

    Attributes
    ----------
    player : ndarray of int, shape (I,)
        The player who moves at each information set (``-1`` for chance).
    number : ndarray of int, shape (I,)
        The information set's 1-based number among its player's information sets, as in
        a Gambit ``.efg`` file.
    labels : tuple of str
        A label for each information set (may be empty strings).
    actions : tuple of tuple of str
        The action labels at each information set.
    """

    player: np.ndarray
    number: np.ndarray
    labels: tuple[str, ...]
    actions: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "player", _frozen(self.player, np.int64))
        object.__setattr__(self, "number", _frozen(self.number, np.int64))
        object.__setattr__(self, "labels", tuple(str(x) for x in self.labels))
        object.__setattr__(
            self, "actions", tuple(tuple(str(a) for a in acts) for acts in self.actions)
        )
        count = len(self.player)
        if not (len(self.number) == len(self.labels) == len(self.actions) == count):
            raise GameError("information set table: player, number, labels and actions differ in length")
        if any(len(acts) == 0 for acts in self.actions):
            raise GameError("an information set has no actions")

    def __len__(self) -> int:
        return len(self.player)

    @cached_property
    def num_actions(self) -> np.ndarray:
        """Number of actions at each information set, ``int64[I]``."""
        return _frozen([len(a) for a in self.actions], np.int64)

    @classmethod
    def empty(cls) -> Infosets:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), (), ())


@dataclass(frozen=True, eq=False)
class SequenceForm:
    """The sequence-form view of an extensive game with perfect recall.

    All per-player arrays are indexed by the player's *local* numbering: information set
    ``i`` of player ``p`` is ``game.player_infosets(p)[i]``; sequence 0 is the empty
    sequence and sequences ``1 .. S_p`` are ``(information set, action)`` pairs ordered
    by information set, then action.

    Attributes
    ----------
    num_sequences : tuple of int
        ``S_p`` for each player, not counting the empty sequence.
    infoset_offset : tuple of int
        Global index of each player's first information set.
    sequence_start : tuple of ndarray
        For each player, ``int64[I_p + 1]``: the first sequence of each information set;
        the last entry is ``S_p + 1``. Sequences of infoset ``i`` are
        ``sequence_start[i] .. sequence_start[i + 1] - 1``.
    sequence_infoset : tuple of ndarray
        For each player, ``int64[S_p + 1]``: the local information set of each sequence
        (``-1`` for the empty sequence).
    infoset_parent : tuple of ndarray
        For each player, ``int64[I_p]``: the player's own sequence that leads to each
        information set (``0`` = empty sequence).
    infoset_depth : tuple of ndarray
        For each player, ``int64[I_p]``: depth of each information set in the treeplex.
    levels : tuple of tuple of ndarray
        For each player, the local information sets at treeplex depth 0, 1, ...
    last_sequence : ndarray of int, shape (n, T)
        ``last_sequence[p, z]``: player ``p``'s last sequence on the path to terminal ``z``.
    chance_reach : ndarray, shape (T,) or (B, T)
        Product of chance probabilities on the path to each terminal.
    payoffs : ndarray, shape (T, n) or (B, T, n)
        The game's terminal payoffs.
    """

    num_sequences: tuple[int, ...]
    infoset_offset: tuple[int, ...]
    sequence_start: tuple[np.ndarray, ...]
    sequence_infoset: tuple[np.ndarray, ...]
    infoset_parent: tuple[np.ndarray, ...]
    infoset_depth: tuple[np.ndarray, ...]
    levels: tuple[tuple[np.ndarray, ...], ...]
    last_sequence: np.ndarray
    chance_reach: np.ndarray
    payoffs: np.ndarray

    @property
    def num_players(self) -> int:
        return len(self.num_sequences)

    @property
    def num_infosets(self) -> tuple[int, ...]:
        return tuple(len(p) for p in self.infoset_parent)

    def sequence_labels(self, game: ExtensiveFormGame, player: int) -> list[str]:
        """Readable labels ``"infoset label: action"`` of a player's sequences (0 = empty)."""
        labels = ["(empty)"]
        offset = self.infoset_offset[player]
        for i in range(self.num_infosets[player]):
            g = offset + i
            name = game.infosets.labels[g] or f"infoset {int(game.infosets.number[g])}"
            labels.extend(f"{name}: {a}" for a in game.infosets.actions[g])
        return labels


_STRUCTURE = (
    "parent",
    "kind",
    "player",
    "infoset",
    "action",
    "first_child",
    "num_children",
    "depth",
    "level_offsets",
    "terminals",
    "terminal_index",
    "node_labels",
)
"""The attributes that depend on the tree alone, shared by a batch with its tree."""


class ExtensiveFormGame:
    """An immutable extensive-form game stored as flat arrays in breadth-first order.

    Games are normally made with :class:`negsim.games.GameBuilder`, read with
    :func:`negsim.read_efg`, or taken from :mod:`negsim.games.library`. The constructor
    takes the arrays directly and validates them.

    Parameters
    ----------
    players : sequence of str
        Player names; player ``p`` is ``players[p]``.
    parent : array of int, shape (N,)
        Parent of every node in breadth-first order; ``parent[0] == -1`` (the root) and
        ``parent`` is non-decreasing.
    kind : array of int, shape (N,)
        :data:`DECISION`, :data:`CHANCE` or :data:`TERMINAL` for each node.
    player : array of int, shape (N,)
        Acting player at decision nodes; ``-1`` elsewhere.
    infoset : array of int, shape (N,)
        Index into ``infosets`` for decision nodes, into ``chance_infosets`` for chance
        nodes, ``-1`` for terminals.
    chance_prob : array of float, shape (N,) or (B, N)
        Probability of the edge into each node when its parent is a chance node; ``1``
        for other nodes.
    payoffs : array of float, shape (T, n) or (B, T, n)
        Payoffs at the terminals, in breadth-first order of the terminals.
    infosets : Infosets
        Decision information sets, ordered by player (all of player 0's first).
    chance_infosets : Infosets, optional
        Chance information sets (default: none, which needs no chance nodes).
    node_labels : sequence of str, optional
        A label per node (default empty).
    outcomes : tuple (labels, payoffs[K, n], node_outcome[N]), optional
        Gambit outcomes attached to nodes; kept only so that files round-trip. When given,
        the payoffs of a terminal must equal the sum of the outcomes on its path.
    title, comment : str, optional
        Free text, as in a Gambit file.

    Raises
    ------
    GameError
        If the arrays do not describe a valid game.

    Examples
    --------
    >>> from negsim.games import library
    >>> game = library.kuhn_poker()
    >>> game.num_nodes, game.num_terminals, game.num_infosets, game.num_sequences
    (58, 30, (6, 6), (12, 12))
    """

    __slots__ = (
        "players",
        "parent",
        "kind",
        "player",
        "infoset",
        "action",
        "first_child",
        "num_children",
        "depth",
        "level_offsets",
        "chance_prob",
        "payoffs",
        "terminals",
        "terminal_index",
        "infosets",
        "chance_infosets",
        "node_labels",
        "outcomes",
        "title",
        "comment",
        "__dict__",
        "__weakref__",
    )

    def __init__(
        self,
        players: Any,
        *,
        parent: Any,
        kind: Any,
        player: Any,
        infoset: Any,
        chance_prob: Any,
        payoffs: Any,
        infosets: Infosets,
        chance_infosets: Infosets | None = None,
        node_labels: Any = None,
        outcomes: tuple[tuple[str, ...], Any, Any] | None = None,
        title: str = "",
        comment: str = "",
        _validated_structure: ExtensiveFormGame | None = None,
    ) -> None:
        set_ = object.__setattr__
        set_(self, "players", tuple(str(p) for p in players))
        set_(self, "title", str(title))
        set_(self, "comment", str(comment))
        n_players = len(self.players)
        if n_players < 1:
            raise GameError("a game needs at least one player")
        if len(set(self.players)) != n_players:
            raise GameError(f"player names must be unique, got {list(self.players)}")
        if chance_infosets is None:
            chance_infosets = Infosets.empty()
        set_(self, "infosets", infosets)
        set_(self, "chance_infosets", chance_infosets)

        if _validated_structure is not None:
            # a batch shares its tree's checked structure and cached treeplex
            src = _validated_structure
            for name in _STRUCTURE:
                set_(self, name, getattr(src, name))
            if "_structure_cache" in src.__dict__:
                self.__dict__["_structure_cache"] = src.__dict__["_structure_cache"]
        else:
            structure = derive_structure(
                self.players, infosets, chance_infosets, parent, kind, player, infoset, node_labels
            )
            for name, value in structure.items():
                set_(self, name, value)
        chance_prob, payoffs = checked_chance_and_payoffs(self, chance_prob, payoffs)
        set_(self, "chance_prob", chance_prob)
        set_(self, "payoffs", payoffs)
        set_(self, "outcomes", checked_outcomes(outcomes, n_players, len(self.parent)))

    # ------------------------------------------------------------------ structure
    def _infoset_name(self, i: int) -> str:
        return infoset_name(self.players, self.infosets, i)

    # ------------------------------------------------------------------ basic facts
    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ExtensiveFormGame is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("ExtensiveFormGame is immutable")

    def __repr__(self) -> str:
        batch = f", batch={self.batch_size}" if self.batch_size is not None else ""
        title = f"{self.title!r}, " if self.title else ""
        return (
            f"ExtensiveFormGame({title}players={list(self.players)}, nodes={self.num_nodes}, "
            f"terminals={self.num_terminals}, infosets={list(self.num_infosets)}{batch})"
        )

    @property
    def num_players(self) -> int:
        """Number of players (chance not counted)."""
        return len(self.players)

    @property
    def num_nodes(self) -> int:
        """Number of nodes (histories), terminals included."""
        return len(self.parent)

    @property
    def num_terminals(self) -> int:
        """Number of terminal nodes ``T``."""
        return len(self.terminals)

    @property
    def batch_size(self) -> int | None:
        """``B`` for a batch of games, ``None`` for a single game."""
        if self.payoffs.ndim == 3:
            return self.payoffs.shape[0]
        if self.chance_prob.ndim == 2:
            return self.chance_prob.shape[0]
        return None

    @cached_property
    def num_infosets(self) -> tuple[int, ...]:
        """Number of decision information sets of each player."""
        return tuple(int(c) for c in np.bincount(self.infosets.player, minlength=self.num_players))

    @cached_property
    def infoset_offset(self) -> tuple[int, ...]:
        """Global index of the first information set of each player."""
        return tuple(int(c) for c in np.concatenate(([0], np.cumsum(self.num_infosets)[:-1])))

    def player_infosets(self, player: int) -> np.ndarray:
        """Global indices of one player's information sets, in local order."""
        start = self.infoset_offset[player]
        return np.arange(start, start + self.num_infosets[player])

    @cached_property
    def num_sequences(self) -> tuple[int, ...]:
        """Number of sequences of each player, not counting the empty sequence."""
        counts = np.bincount(
            self.infosets.player, weights=self.infosets.num_actions, minlength=self.num_players
        )
        return tuple(int(c) for c in counts)

    def player_index(self, player: int | str) -> int:
        """The index of a player given by index or by name.

        Raises
        ------
        GameError
            If there is no such player.
        """
        if isinstance(player, str):
            if player not in self.players:
                raise GameError(f"no player named {player!r}; players are {list(self.players)}")
            return self.players.index(player)
        p = int(player)
        if not 0 <= p < self.num_players:
            raise GameError(f"no player {p}; the game has {self.num_players}")
        return p

    @cached_property
    def is_perfect_information(self) -> bool:
        """True if every decision information set holds exactly one node."""
        decision = self.infoset[self.kind == DECISION]
        return bool(np.bincount(decision, minlength=len(self.infosets)).max(initial=0) <= 1)

    def is_constant_sum(self, tol: float = 1e-9) -> bool:
        """True if the players' payoffs add up to the same number at every terminal.

        "The same" means within ``tol`` times the payoff range (the largest spread of one
        player's payoffs) plus the rounding of the sum: the answer does not change when every
        payoff is multiplied by a positive number, however small or large.
        """
        if self.num_terminals == 0:
            return True
        totals, slack = self._totals(tol)
        return bool(np.all(np.abs(totals - totals[..., :1]) <= slack))

    def is_zero_sum(self, tol: float = 1e-9) -> bool:
        """True if the players' payoffs add up to zero at every terminal (within ``tol`` times the payoff range)."""
        if self.num_terminals == 0:
            return True
        totals, slack = self._totals(tol)
        return bool(np.all(np.abs(totals) <= slack))

    def _totals(self, tol: float) -> tuple[np.ndarray, np.ndarray]:
        """Payoff sums per terminal (power-of-two-rescaled, ``[..., T]``) and the slack per game (``[..., 1]``)."""
        from negsim._numeric import power_of_two_scale, rounding, spread

        payoffs = self.payoffs * power_of_two_scale(self.payoffs)  # exact; the sums below cannot overflow
        totals = payoffs.sum(axis=-1)
        width = spread(payoffs, axis=-2).max(axis=-1)
        magnitude = np.abs(payoffs).max(axis=(-2, -1))
        slack = tol * width + rounding(magnitude, terms=self.num_players)
        return totals, np.asarray(slack)[..., None]

    @property
    def has_perfect_recall(self) -> bool:
        """True if every player always remembers their own earlier information sets and actions."""
        return self._recall_violation is None

    # ------------------------------------------------------------------ batch
    def with_batch(self, payoffs: Any = None, chance_prob: Any = None) -> ExtensiveFormGame:
        """The same tree with new (possibly batched) payoffs and chance probabilities.

        Parameters
        ----------
        payoffs : array_like, shape (T, n) or (B, T, n), optional
            New terminal payoffs (default: keep the current ones).
        chance_prob : array_like, shape (N,) or (B, N), optional
            New edge probabilities (default: keep the current ones).

        Returns
        -------
        ExtensiveFormGame
            A game sharing this one's structure; ``batch_size`` is ``B`` when either
            argument has a batch axis.

        Examples
        --------
        >>> import numpy as np
        >>> from negsim.games import library
        >>> kuhn = library.kuhn_poker()
        >>> batch = kuhn.with_batch(payoffs=np.stack([kuhn.payoffs, 2 * kuhn.payoffs]))
        >>> batch.batch_size
        2
        """
        payoffs = self.payoffs if payoffs is None else payoffs
        chance_prob = self.chance_prob if chance_prob is None else chance_prob
        return ExtensiveFormGame(
            self.players,
            parent=None,
            kind=None,
            player=None,
            infoset=None,
            chance_prob=chance_prob,
            payoffs=payoffs,
            infosets=self.infosets,
            chance_infosets=self.chance_infosets,
            title=self.title,
            comment=self.comment,
            _validated_structure=self,
        )

    def batch_item(self, index: int) -> ExtensiveFormGame:
        """Game ``index`` of a batch, as a single game."""
        if self.batch_size is None:
            raise GameError("this game is not a batch")
        payoffs = self.payoffs[index] if self.payoffs.ndim == 3 else self.payoffs
        chance = self.chance_prob[index] if self.chance_prob.ndim == 2 else self.chance_prob
        return self.with_batch(payoffs, chance)

    # ------------------------------------------------------------------ sequence form
    @cached_property
    def _node_last_sequences(self) -> np.ndarray:
        """``int64[n, N]``: each player's last sequence on the path to each node."""
        return node_last_sequences(self)

    @cached_property
    def _recall_violation(self) -> str | None:
        return recall_violation(self, self._node_last_sequences)

    def require_perfect_recall(self, what: str = "this operation", *, error: type[Exception] = GameError) -> None:
        """Raise ``error`` (:class:`GameError` unless told) naming the first violation if recall is imperfect.

        Solvers pass ``error=SolverError``: the game is fine, the method does not fit it.

        Examples
        --------
        >>> from negsim.errors import SolverError
        >>> from negsim.games import library
        >>> library.kuhn_poker().require_perfect_recall("CFR", error=SolverError)  # nothing raised
        """
        if self._recall_violation is not None:
            raise error(f"{what} needs perfect recall: {self._recall_violation}")

    @cached_property
    def _chance_reach_nodes(self) -> np.ndarray:
        reach = np.ones(self.chance_prob.shape, np.float64)
        offs = self.level_offsets
        for d in range(1, len(offs) - 1):
            lo, hi = int(offs[d]), int(offs[d + 1])
            reach[..., lo:hi] = reach[..., self.parent[lo:hi]] * self.chance_prob[..., lo:hi]
        return reach

    @cached_property
    def sequence_form(self) -> SequenceForm:
        """The cached sequence-form view (see :class:`SequenceForm`).

        Raises
        ------
        GameError
            If the game does not have perfect recall.
        """
        self.require_perfect_recall("the sequence form")
        return self._structure_cache.with_payoffs(
            self._chance_reach_nodes[..., self.terminals], self.payoffs
        )

    @property
    def structure_key(self) -> object:
        """An object shared by the games made from this one (``with_batch``, ``batch_item``) once built.

        Caches of what depends on the tree alone (the solvers' kernels) key on it, weakly:
        a batch of payoffs reuses its tree's kernel. Builds the sequence-form structure on
        first use, so the game needs perfect recall.

        Examples
        --------
        >>> from negsim.games import library
        >>> kuhn = library.kuhn_poker()
        >>> key = kuhn.structure_key
        >>> kuhn.with_batch(payoffs=kuhn.payoffs[None]).structure_key is key
        True
        """
        return self._structure_cache

    @cached_property
    def _structure_cache(self) -> _TreeplexStructure:
        return _TreeplexStructure(**treeplex(self, self._node_last_sequences))

    # ------------------------------------------------------------------ helpers
    def children(self, node: int) -> np.ndarray:
        """Indices of the children of ``node``."""
        start = int(self.first_child[node])
        return np.arange(start, start + int(self.num_children[node]))

    def node_actions(self, node: int) -> tuple[str, ...]:
        """Labels of the actions at ``node`` (empty tuple at a terminal)."""
        k = int(self.kind[node])
        if k == DECISION:
            return self.infosets.actions[int(self.infoset[node])]
        if k == CHANCE:
            return self.chance_infosets.actions[int(self.infoset[node])]
        return ()

    def path(self, node: int) -> list[int]:
        """Nodes from the root down to ``node`` (both included)."""
        out = [int(node)]
        while self.parent[out[-1]] >= 0:
            out.append(int(self.parent[out[-1]]))
        return out[::-1]

    def summary(self) -> dict[str, Any]:
        """Sizes of the game as a JSON-ready dictionary.

        Examples
        --------
        >>> from negsim.games import library
        >>> library.kuhn_poker().summary()["sequences"]
        [12, 12]
        """
        return {
            "title": self.title,
            "form": "extensive",
            "players": list(self.players),
            "histories": self.num_nodes,
            "terminals": self.num_terminals,
            "chance_nodes": int(np.count_nonzero(self.kind == CHANCE)),
            "decision_nodes": int(np.count_nonzero(self.kind == DECISION)),
            "infosets": list(self.num_infosets),
            "sequences": list(self.num_sequences),
            "depth": len(self.level_offsets) - 2,
            "perfect_recall": self.has_perfect_recall,
            "perfect_information": self.is_perfect_information,
            "zero_sum": self.is_zero_sum(),
            "constant_sum": self.is_constant_sum(),
            "batch": self.batch_size,
        }

    def structurally_equal(self, other: ExtensiveFormGame) -> bool:
        """True if both games have the same tree, labels and information sets."""
        if not isinstance(other, ExtensiveFormGame):
            return False
        same = (
            self.players == other.players
            and self.num_nodes == other.num_nodes
            and self.infosets.labels == other.infosets.labels
            and self.infosets.actions == other.infosets.actions
            and self.chance_infosets.actions == other.chance_infosets.actions
        )
        if not same:
            return False
        pairs = (
            (self.parent, other.parent),
            (self.kind, other.kind),
            (self.player, other.player),
            (self.infoset, other.infoset),
            (self.infosets.player, other.infosets.player),
            (self.infosets.number, other.infosets.number),
        )
        return all(np.array_equal(a, b) for a, b in pairs)

    def equals(self, other: ExtensiveFormGame, *, atol: float = 0.0) -> bool:
        """True if both games have the same structure, labels, probabilities and payoffs."""
        return (
            self.structurally_equal(other)
            and self.payoffs.shape == other.payoffs.shape
            and self.chance_prob.shape == other.chance_prob.shape
            and np.allclose(self.payoffs, other.payoffs, rtol=0, atol=atol)
            and np.allclose(self.chance_prob, other.chance_prob, rtol=0, atol=atol)
            and self.node_labels == other.node_labels
            and self.infosets.labels == other.infosets.labels
            and self.chance_infosets.labels == other.chance_infosets.labels
        )


@dataclass(frozen=True, eq=False)
class _TreeplexStructure:
    num_sequences: tuple[int, ...]
    infoset_offset: tuple[int, ...]
    sequence_start: tuple[np.ndarray, ...]
    sequence_infoset: tuple[np.ndarray, ...]
    infoset_parent: tuple[np.ndarray, ...]
    infoset_depth: tuple[np.ndarray, ...]
    levels: tuple[tuple[np.ndarray, ...], ...]
    last_sequence: np.ndarray

    def with_payoffs(self, chance_reach: np.ndarray, payoffs: np.ndarray) -> SequenceForm:
        chance_reach = np.array(chance_reach, np.float64)
        chance_reach.setflags(write=False)
        return SequenceForm(
            num_sequences=self.num_sequences,
            infoset_offset=self.infoset_offset,
            sequence_start=self.sequence_start,
            sequence_infoset=self.sequence_infoset,
            infoset_parent=self.infoset_parent,
            infoset_depth=self.infoset_depth,
            levels=self.levels,
            last_sequence=self.last_sequence,
            chance_reach=chance_reach,
            payoffs=payoffs,
        )
