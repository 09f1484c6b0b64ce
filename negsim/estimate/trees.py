"""The game trees of the canonical strategic models, with the literature's utility names.

Signorino (2003) and the R package ``games`` (Kenkel & Signorino 2014) name the utility of
player ``i`` at terminal ``j`` ``uij``, terminals numbered from the left. Each function
here returns the tree and the :class:`~negsim.estimate.likelihood.UtilityCell` of every
utility that a model estimates, in the package's order; the utilities it leaves out are
fixed at 0 for identification (only differences of utilities between a player's options
are identified).
"""

from __future__ import annotations

from negsim.estimate.likelihood import UtilityCell
from negsim.games.builder import GameBuilder
from negsim.games.extensive import ExtensiveFormGame

__all__ = ["egame12_tree", "egame122_tree", "egame123_tree", "signalling_tree", "UTILITY_NAMES", "OUTCOME_LABELS"]

UTILITY_NAMES = {
    "egame12": ("u11", "u13", "u14", "u24"),
    "egame122": ("u11", "u12", "u13", "u14", "u22", "u24"),
    "egame123": ("u11", "u13", "u15", "u16", "u23", "u25", "u26", "u36"),
}
"""The estimated utilities of each canonical model, in the order its formulas are given."""

OUTCOME_LABELS = {
    "egame12": ("sq", "capit", "war"),
    "egame122": ("1", "2", "3", "4"),
    "egame123": ("1", "3", "5", "6"),
}
"""The terminal labels of each canonical model, left to right."""


def _cells(game: ExtensiveFormGame, names: tuple[str, ...], terminal_number: dict[str, int]) -> list[UtilityCell]:
    # "uij": player i (1-based) at the terminal numbered j in the literature's picture
    return [UtilityCell(terminal_number[name[2:]], int(name[1]) - 1) for name in names]


def egame12_tree() -> tuple[ExtensiveFormGame, list[UtilityCell]]:
    """Player 1 keeps the status quo or escalates; then player 2 capitulates or fights.

    Returns
    -------
    game : ExtensiveFormGame
        Terminals ``sq``, ``capit``, ``war`` in this order.
    cells : list of UtilityCell
        u11, u13, u14, u24 (player 1 at each terminal, player 2 at ``war``).

    Examples
    --------
    >>> game, cells = egame12_tree()
    >>> game.num_terminals, [(c.terminal, c.player) for c in cells]
    (3, [(0, 0), (1, 0), (2, 0), (2, 1)])
    """
    b = GameBuilder(["1", "2"], title="egame12")
    sq, esc = b.root.decision("1", ["sq", "esc"])
    sq.terminal([0, 0], label="sq")
    capit, war = esc.decision("2", ["capit", "war"])
    capit.terminal([0, 0], label="capit")
    war.terminal([0, 0], label="war")
    game = b.build()
    return game, _cells(game, UTILITY_NAMES["egame12"], {"1": 0, "3": 1, "4": 2})


def egame122_tree() -> tuple[ExtensiveFormGame, list[UtilityCell]]:
    """Player 1 moves left or right; player 2 then chooses left or right at either node.

    Returns
    -------
    game : ExtensiveFormGame
        Terminals ``1`` .. ``4`` from the left.
    cells : list of UtilityCell
        u11, u12, u13, u14, u22, u24.

    Examples
    --------
    >>> game, cells = egame122_tree()
    >>> game.num_terminals, len(cells)
    (4, 6)
    """
    b = GameBuilder(["1", "2"], title="egame122")
    left, right = b.root.decision("1", ["L", "R"])
    for node, labels in ((left, ("1", "2")), (right, ("3", "4"))):
        for child, label in zip(node.decision("2", ["L", "R"]), labels, strict=True):
            child.terminal([0, 0], label=label)
    game = b.build()
    return game, _cells(game, UTILITY_NAMES["egame122"], {"1": 0, "2": 1, "3": 2, "4": 3})


def egame123_tree() -> tuple[ExtensiveFormGame, list[UtilityCell]]:
    """Three players in turn either end the game or pass the move on.

    Returns
    -------
    game : ExtensiveFormGame
        Terminals ``1``, ``3``, ``5``, ``6`` (the literature's numbering).
    cells : list of UtilityCell
        u11, u13, u15, u16, u23, u25, u26, u36.

    Examples
    --------
    >>> game, cells = egame123_tree()
    >>> game.num_terminals, game.num_players, len(cells)
    (4, 3, 8)
    """
    b = GameBuilder(["1", "2", "3"], title="egame123")
    stop1, go1 = b.root.decision("1", ["L", "R"])
    stop1.terminal([0, 0, 0], label="1")
    stop2, go2 = go1.decision("2", ["L", "R"])
    stop2.terminal([0, 0, 0], label="3")
    left3, right3 = go2.decision("3", ["L", "R"])
    left3.terminal([0, 0, 0], label="5")
    right3.terminal([0, 0, 0], label="6")
    game = b.build()
    return game, _cells(game, UTILITY_NAMES["egame123"], {"1": 0, "3": 1, "5": 2, "6": 3})


def signalling_tree(prior_strong: float = 0.4) -> tuple[ExtensiveFormGame, list[UtilityCell]]:
    """A crisis-signalling game: chance draws the challenger's type, the target sees only its move.

    Chance makes the challenger ``strong`` (probability ``prior_strong``) or ``weak``; the
    challenger, knowing its type, keeps the status quo (``sq``) or escalates (``esc``); the
    target sees the escalation but not the type (one information set of two nodes) and
    yields or fights. Beliefs about the type after an escalation depend on how often each
    type escalates, so the choice probabilities are an agent QRE, not a backward pass.

    Returns
    -------
    game : ExtensiveFormGame
        Terminals ``sq_strong``, ``sq_weak``, ``yield_strong``, ``fight_strong``,
        ``yield_weak``, ``fight_weak`` (breadth-first order).
    cells : list of UtilityCell
        The challenger's utility at each ``yield`` and ``fight`` terminal and the target's
        at each ``fight`` terminal (status quo and yielding are 0 for the target, the
        status quo 0 for the challenger).

    Examples
    --------
    >>> game, cells = signalling_tree()
    >>> game.is_perfect_information, game.num_terminals, len(cells)
    (False, 6, 6)
    """
    b = GameBuilder(["challenger", "target"], title="signalling")
    strong, weak = b.root.chance({"strong": prior_strong, "weak": 1.0 - prior_strong})
    for node, kind in ((strong, "strong"), (weak, "weak")):
        sq, esc = node.decision("challenger", ["sq", "esc"], infoset=kind)
        sq.terminal([0, 0], label=f"sq_{kind}")
        give, fight = esc.decision("target", ["yield", "fight"], infoset="escalated")
        give.terminal([0, 0], label=f"yield_{kind}")
        fight.terminal([0, 0], label=f"fight_{kind}")
    game = b.build()
    labels = [game.node_labels[int(z)] for z in game.terminals]
    cells = [
        UtilityCell(labels.index(f"{what}_{kind}"), 0) for kind in ("strong", "weak") for what in ("yield", "fight")
    ]
    cells += [UtilityCell(labels.index(f"fight_{kind}"), 1) for kind in ("strong", "weak")]
    return game, cells
