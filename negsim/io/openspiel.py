"""Games from OpenSpiel (``pyspiel``) as :class:`~negsim.games.ExtensiveFormGame`.

:func:`from_openspiel` enumerates every history of a finite, turn-based OpenSpiel game
and compiles the tree with :func:`~negsim.games.game_from_tree`. A player's information
sets are the distinct values of ``state.information_state_string(player)`` (for games of
perfect information that do not provide it, every node is its own information set);
action labels come from ``state.action_to_string``, chance probabilities from
``state.chance_outcomes()`` and terminal payoffs from ``state.returns()``.

``pyspiel`` is imported only when the function is called, so negsim does not depend on
OpenSpiel.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from negsim.errors import GameError
from negsim.games.builder import game_from_tree
from negsim.games.extensive import CHANCE, DECISION, MAX_NODES, TERMINAL, ExtensiveFormGame, Infosets

__all__ = ["from_openspiel"]


def _import_pyspiel() -> Any:
    try:
        import pyspiel
    except ImportError:
        raise GameError(
            "from_openspiel needs OpenSpiel; install it with `pip install open_spiel` "
            "(it provides the pyspiel module)"
        ) from None
    return pyspiel


def from_openspiel(game: Any, *, max_nodes: int = MAX_NODES) -> ExtensiveFormGame:
    """Convert a finite, turn-based OpenSpiel game into an extensive-form game.

    Parameters
    ----------
    game : pyspiel.Game or str
        A loaded OpenSpiel game, or a game string for ``pyspiel.load_game`` such as
        ``"kuhn_poker"`` or ``"liars_dice(dice_sides=4)"``.
    max_nodes : int, optional
        Refuse games with more histories than this (default
        :data:`~negsim.games.extensive.MAX_NODES`).

    Returns
    -------
    ExtensiveFormGame
        The game tree with players ``"Player 1"``, ``"Player 2"``, ...; children in the
        order of ``legal_actions()`` (decision nodes) or ``chance_outcomes()`` (chance
        nodes); information sets numbered per player in breadth-first order of first
        appearance and labelled by their information-state strings; one chance
        information set per chance node. The title is the game string.

    Raises
    ------
    GameError
        If ``pyspiel`` is not installed; if the game has simultaneous moves, sampled
        (implicit) chance, or no information-state strings for imperfect information; if
        the nodes of one information set offer different actions; or if the tree has more
        than ``max_nodes`` histories.

    Examples
    --------
    >>> import pytest; pyspiel = pytest.importorskip("pyspiel")
    >>> kuhn = from_openspiel(pyspiel.load_game("kuhn_poker"))
    >>> kuhn.num_nodes, kuhn.num_terminals, kuhn.num_infosets, kuhn.num_sequences
    (58, 30, (6, 6), (12, 12))
    >>> kuhn.infosets.actions[0]
    ('Pass', 'Bet')
    """
    pyspiel = _import_pyspiel()
    game, use_strings = _checked_game(pyspiel, game)
    name = str(game)
    tree = _Tree(name, use_strings, chance_player=int(pyspiel.PlayerId.CHANCE))
    # depth-first; a node gets its number when it is taken from the stack, so parents come
    # before children and siblings keep their order
    stack: list[tuple[Any, int, float]] = [(game.new_initial_state(), -1, 1.0)]
    while stack:
        state, par, prob = stack.pop()
        if len(tree.parent) >= max_nodes:
            raise GameError(f"{name}: the game has more than {max_nodes:,} histories, the limit")
        node, children = tree.add(state, par, prob)
        for a, pr in reversed(children):
            stack.append((state.child(a), node, pr))
    return tree.game(game.num_players())


def _checked_game(pyspiel: Any, game: Any) -> tuple[Any, bool]:
    """The loaded game, once it is one negsim can convert, and whether to tell information sets by their strings."""
    if isinstance(game, str):
        try:
            game = pyspiel.load_game(game)
        except pyspiel.SpielError as exc:
            raise GameError(f"OpenSpiel cannot load the game {game!r}: {exc}") from None
    if not isinstance(game, pyspiel.Game):
        raise GameError(f"from_openspiel takes a pyspiel.Game or a game string, not {type(game).__name__}")
    gtype = game.get_type()
    name = str(game)
    if gtype.dynamics != pyspiel.GameType.Dynamics.SEQUENTIAL:
        raise GameError(
            f"{name}: only turn-based (sequential) games can be converted; this one has "
            f"{gtype.dynamics.name.lower()} moves (convert it with "
            "pyspiel.convert_to_turn_based first)"
        )
    if gtype.chance_mode == pyspiel.GameType.ChanceMode.SAMPLED_STOCHASTIC:
        raise GameError(f"{name}: chance outcomes are sampled, so their probabilities are not known")
    perfect = gtype.information == pyspiel.GameType.Information.PERFECT_INFORMATION
    if not gtype.provides_information_state_string and not perfect:
        raise GameError(f"{name}: the game provides no information-state strings to tell information sets apart")
    return game, bool(gtype.provides_information_state_string)


class _Tree:
    """The histories of an OpenSpiel game as they are visited: per-node lists and the information set tables."""

    def __init__(self, name: str, use_strings: bool, chance_player: int) -> None:
        self.name, self.use_strings, self.chance_player = name, use_strings, chance_player
        self.parent: list[int] = []
        self.kind: list[int] = []
        self.player: list[int] = []
        self.infoset: list[int] = []
        self.edge_prob: list[float] = []
        self.terminal_rows: list[int] = []
        self.terminal_payoffs: list[list[float]] = []
        self.iset_index: dict[tuple[int, str], int] = {}
        self.iset_player: list[int] = []
        self.iset_label: list[str] = []
        self.iset_actions: list[tuple[str, ...]] = []
        self.iset_legal: list[list[int]] = []
        self.chance_actions: list[tuple[str, ...]] = []

    def add(self, state: Any, parent: int, prob: float) -> tuple[int, list[tuple[int, float]]]:
        """Record ``state`` as the next node: its number, and ``(action, probability)`` of each child in order."""
        node = len(self.parent)
        self.parent.append(parent)
        self.edge_prob.append(prob)
        if state.is_terminal():
            self._append(TERMINAL, -1, -1)
            self.terminal_rows.append(node)
            self.terminal_payoffs.append(list(state.returns()))
            return node, []
        if state.is_chance_node():
            outcomes = state.chance_outcomes()
            if not outcomes:
                raise GameError(f"{self.name}: chance node {state.history_str()!r} has no outcomes")
            self._append(CHANCE, -1, len(self.chance_actions))
            self.chance_actions.append(tuple(state.action_to_string(self.chance_player, a) for a, _ in outcomes))
            return node, [(a, float(p)) for a, p in outcomes]
        if state.is_simultaneous_node():
            raise GameError(f"{self.name}: history {state.history_str()!r} is a simultaneous move")
        p = state.current_player()
        legal = list(state.legal_actions())
        self._append(DECISION, p, self._infoset(state, p, legal))
        return node, [(a, 1.0) for a in legal]

    def _append(self, kind: int, player: int, infoset: int) -> None:
        self.kind.append(kind)
        self.player.append(player)
        self.infoset.append(infoset)

    def _infoset(self, state: Any, p: int, legal: list[int]) -> int:
        key = (p, state.information_state_string(p) if self.use_strings else state.history_str())
        i = self.iset_index.get(key)
        if i is None:
            i = len(self.iset_player)
            self.iset_index[key] = i
            self.iset_player.append(p)
            self.iset_label.append(key[1] if self.use_strings else "")
            self.iset_actions.append(tuple(state.action_to_string(p, a) for a in legal))
            self.iset_legal.append(legal)
        elif self.iset_legal[i] != legal:
            raise GameError(
                f"{self.name}: the information set {key[1]!r} of player {p + 1} offers different "
                f"actions at history {state.history_str()!r}"
            )
        return i

    def game(self, n_players: int) -> ExtensiveFormGame:
        """The recorded tree compiled into breadth-first arrays."""
        num_nodes = len(self.parent)
        payoffs = np.zeros((num_nodes, n_players))
        if self.terminal_rows:
            rows = np.array(self.terminal_rows)
            payoffs[rows] = np.array(self.terminal_payoffs, np.float64).reshape(-1, n_players)
        decision_table = Infosets(
            player=np.array(self.iset_player, np.int64),
            number=np.zeros(len(self.iset_player), np.int64),
            labels=self.iset_label,
            actions=self.iset_actions,
        )
        count = len(self.chance_actions)
        chance_table = Infosets(
            player=np.full(count, -1, np.int64),
            number=np.arange(1, count + 1),
            labels=[""] * count,
            actions=self.chance_actions,
        )
        return game_from_tree(
            [f"Player {p + 1}" for p in range(n_players)],
            parent=np.array(self.parent, np.int64),
            kind=np.array(self.kind, np.int8),
            player=np.array(self.player, np.int64),
            infoset=np.array(self.infoset, np.int64),
            edge_prob=np.array(self.edge_prob, np.float64),
            node_payoffs=payoffs,
            infosets=decision_table,
            chance_infosets=chance_table,
            title=self.name,
            renumber_infosets=True,
        )
