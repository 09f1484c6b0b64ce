"""Conversions between the extensive and the normal form.

:func:`reduced_normal_form` turns a small extensive game with perfect recall into its
*reduced* normal form: a pure strategy chooses an action only at the information sets
its own earlier choices do not exclude, so strategies that differ only at excluded
information sets are merged (Kuhn 1953). Each reduced strategy is a 0/1 realization plan
over the player's sequences, and the payoff of a profile is
``sum_z c[z] u[z] prod_p x_p[last_p[z]]``.

:func:`to_extensive` writes a normal-form game as a tree of simultaneous moves.
"""

from __future__ import annotations

import numpy as np

from negsim.errors import GameError
from negsim.games.builder import GameBuilder
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.normal import NormalFormGame

__all__ = ["reduced_strategies", "reduced_normal_form", "to_extensive"]

MAX_STRATEGIES = 100_000
"""Most reduced pure strategies per player that :func:`reduced_strategies` will list."""

MAX_PROFILES = 20_000_000
"""Most pure profiles (product over players) that :func:`reduced_normal_form` will tabulate."""


def reduced_strategies(
    game: ExtensiveFormGame, player: int, *, max_strategies: int = MAX_STRATEGIES
) -> tuple[list[str], np.ndarray]:
    """The reduced pure strategies of one player, as labels and realization plans.

    Parameters
    ----------
    game : ExtensiveFormGame
        A game with perfect recall.
    player : int
        The player.
    max_strategies : int, optional
        Refuse (with :class:`GameError`) to list more strategies than this.

    Returns
    -------
    labels : list of str
        One label per strategy: the chosen action at each information set it reaches,
        joined by ``/`` in information-set order (``*`` where the strategy does not reach
        the information set).
    plans : ndarray of float, shape (K, S_p + 1)
        ``plans[k, s]`` is 1 if strategy ``k`` plays sequence ``s`` (column 0, the empty
        sequence, is always 1).

    Examples
    --------
    >>> from negsim.games import library
    >>> labels, plans = reduced_strategies(library.kuhn_poker(), 0)
    >>> len(labels), plans.shape
    (27, (27, 13))
    """
    sf = game.sequence_form
    starts = sf.sequence_start[player]
    parents = sf.infoset_parent[player]
    num_infosets = len(parents)
    children_of: dict[int, list[int]] = {}
    for i in range(num_infosets):
        children_of.setdefault(int(parents[i]), []).append(i)

    def plans_below(seq: int) -> list[tuple[int, ...]]:
        # every combination of choices at the information sets that follow `seq`
        combos: list[tuple[int, ...]] = [()]
        for i in children_of.get(seq, []):
            options: list[tuple[int, ...]] = []
            for s in range(int(starts[i]), int(starts[i + 1])):
                options.extend((s,) + rest for rest in plans_below(s))
            combos = [a + b for a in combos for b in options]
            if len(combos) > max_strategies:
                raise GameError(
                    f"{game.players[player]} has more than {max_strategies:,} reduced strategies; "
                    "the game is too large for the normal form"
                )
        return combos

    plans_list = plans_below(0)
    plans = np.zeros((len(plans_list), sf.num_sequences[player] + 1))
    plans[:, 0] = 1.0
    for k, chosen in enumerate(plans_list):
        plans[k, list(chosen)] = 1.0
    offset = sf.infoset_offset[player]
    labels = []
    for chosen in plans_list:
        picks = ["*"] * num_infosets
        for s in chosen:
            i = int(sf.sequence_infoset[player][s])
            picks[i] = game.infosets.actions[offset + i][s - int(starts[i])]
        labels.append("/".join(picks))
    return labels, plans


def reduced_normal_form(
    game: ExtensiveFormGame, *, max_profiles: int = MAX_PROFILES
) -> NormalFormGame:
    """The reduced normal form of a small extensive game with perfect recall.

    Parameters
    ----------
    game : ExtensiveFormGame
        A single (unbatched) game with perfect recall.
    max_profiles : int, optional
        Refuse games with more pure profiles than this.

    Returns
    -------
    NormalFormGame
        Strategy labels as in :func:`reduced_strategies`.

    Raises
    ------
    GameError
        If the game is batched, lacks perfect recall, or is too large.

    Examples
    --------
    >>> from negsim.games import library
    >>> nfg = reduced_normal_form(library.kuhn_poker())
    >>> nfg.shape
    (27, 64)
    """
    if game.batch_size is not None:
        raise GameError("reduced_normal_form takes a single game, not a batch")
    game.require_perfect_recall("the reduced normal form")
    sf = game.sequence_form
    labels, columns = [], []
    total = 1
    for p in range(game.num_players):
        lab, plans = reduced_strategies(game, p)
        total *= len(lab)
        if total > max_profiles:
            raise GameError(f"the reduced normal form would have over {max_profiles:,} profiles")
        labels.append(lab)
        columns.append(plans[:, sf.last_sequence[p]])  # [K_p, T]
    n = game.num_players
    weights = sf.chance_reach[:, None] * sf.payoffs  # [T, n]
    letters = "abcdefghijklmnopqrstuvwxy"[:n]
    spec = ",".join(f"{c}z" for c in letters) + ",zp->p" + letters
    tensor = np.einsum(spec, *columns, weights, optimize=True)
    return NormalFormGame(tensor, players=game.players, strategies=labels, title=game.title)


def to_extensive(game: NormalFormGame) -> ExtensiveFormGame:
    """A normal-form game as a tree in which the players move without seeing each other.

    Player 1 moves at the root; every later player has one information set covering all
    nodes of their level.

    Examples
    --------
    >>> from negsim.games import library
    >>> efg = to_extensive(library.prisoners_dilemma())
    >>> efg.num_terminals, efg.num_infosets
    (4, (1, 1))
    """
    if game.batch_size is not None:
        raise GameError("to_extensive takes a single game, not a batch")
    b = GameBuilder(game.players, title=game.title)
    n = game.num_players

    def grow(node, profile):
        p = len(profile)
        if p == n:
            node.terminal(game.payoff(profile).tolist())
            return
        for s, child in enumerate(node.decision(p, game.strategies[p], infoset=game.players[p])):
            grow(child, profile + (s,))

    grow(b.root, ())
    return b.build()
