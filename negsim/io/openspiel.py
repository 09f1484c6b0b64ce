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
    use_strings = bool(gtype.provides_information_state_string)
    n_players = game.num_players()
    chance_player = int(pyspiel.PlayerId.CHANCE)

    parent: list[int] = []
    kind: list[int] = []
    player: list[int] = []
    infoset: list[int] = []
    edge_prob: list[float] = []
    terminal_rows: list[int] = []
    terminal_payoffs: list[list[float]] = []
    iset_index: dict[tuple[int, str], int] = {}
    iset_player: list[int] = []
    iset_label: list[str] = []
    iset_actions: list[tuple[str, ...]] = []
    iset_legal: list[list[int]] = []
    chance_actions: list[tuple[str, ...]] = []

    # depth-first; a node gets its number when it is taken from the stack, so parents come
    # before children and siblings keep their order
    stack: list[tuple[Any, int, float]] = [(game.new_initial_state(), -1, 1.0)]
    while stack:
        state, par, prob = stack.pop()
        node = len(parent)
        if node >= max_nodes:
            raise GameError(f"{name}: the game has more than {max_nodes:,} histories, the limit")
        parent.append(par)
        edge_prob.append(prob)
        if state.is_terminal():
            kind.append(TERMINAL)
            player.append(-1)
            infoset.append(-1)
            terminal_rows.append(node)
            terminal_payoffs.append(list(state.returns()))
            continue
        if state.is_chance_node():
            outcomes = state.chance_outcomes()
            if not outcomes:
                raise GameError(f"{name}: chance node {state.history_str()!r} has no outcomes")
            kind.append(CHANCE)
            player.append(-1)
            infoset.append(len(chance_actions))
            chance_actions.append(tuple(state.action_to_string(chance_player, a) for a, _ in outcomes))
            children = [(a, float(p)) for a, p in outcomes]
        elif state.is_simultaneous_node():
            raise GameError(f"{name}: history {state.history_str()!r} is a simultaneous move")
        else:
            p = state.current_player()
            legal = list(state.legal_actions())
            key = (p, state.information_state_string(p) if use_strings else state.history_str())
            i = iset_index.get(key)
            if i is None:
                i = len(iset_player)
                iset_index[key] = i
                iset_player.append(p)
                iset_label.append(key[1] if use_strings else "")
                iset_actions.append(tuple(state.action_to_string(p, a) for a in legal))
                iset_legal.append(legal)
            elif iset_legal[i] != legal:
                raise GameError(
                    f"{name}: the information set {key[1]!r} of player {p + 1} offers different "
                    f"actions at history {state.history_str()!r}"
                )
            kind.append(DECISION)
            player.append(p)
            infoset.append(i)
            children = [(a, 1.0) for a in legal]
        for a, pr in reversed(children):
            stack.append((state.child(a), node, pr))

    num_nodes = len(parent)
    payoffs = np.zeros((num_nodes, n_players))
    if terminal_rows:
        payoffs[np.array(terminal_rows)] = np.array(terminal_payoffs, np.float64).reshape(-1, n_players)
    decision_table = Infosets(
        player=np.array(iset_player, np.int64),
        number=np.zeros(len(iset_player), np.int64),
        labels=iset_label,
        actions=iset_actions,
    )
    chance_table = Infosets(
        player=np.full(len(chance_actions), -1, np.int64),
        number=np.arange(1, len(chance_actions) + 1),
        labels=[""] * len(chance_actions),
        actions=chance_actions,
    )
    return game_from_tree(
        [f"Player {p + 1}" for p in range(n_players)],
        parent=np.array(parent, np.int64),
        kind=np.array(kind, np.int8),
        player=np.array(player, np.int64),
        infoset=np.array(infoset, np.int64),
        edge_prob=np.array(edge_prob, np.float64),
        node_payoffs=payoffs,
        infosets=decision_table,
        chance_infosets=chance_table,
        title=name,
        renumber_infosets=True,
    )
