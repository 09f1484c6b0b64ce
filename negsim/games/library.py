"""Standard games, built with :class:`~negsim.games.GameBuilder`.

The poker games and Liar's dice deal card by card as OpenSpiel does, so their sizes match
the published ones:

=================  =========  =========  ===============  =================
game               histories  terminals  infosets         sequences
=================  =========  =========  ===============  =================
Kuhn poker                58         30  6 + 6            12 + 12
Leduc poker            9,457      5,520  468 + 468        1,092 + 1,092
Liar's dice (1d6)    294,883    147,420  12,288 + 12,288  24,570 + 24,570
=================  =========  =========  ===============  =================

The value of Kuhn poker for the first player is -1/18 (Kuhn 1950); of Leduc poker about
-0.0856 (Southey et al. 2005).

Use :func:`get` to look a game up by the name the command line uses (``kuhn-poker``).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from negsim.errors import GameError
from negsim.games.builder import GameBuilder
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.normal import NormalFormGame

__all__ = [
    "kuhn_poker",
    "leduc_poker",
    "liars_dice",
    "matching_pennies",
    "prisoners_dilemma",
    "battle_of_the_sexes",
    "ultimatum",
    "alternating_offers",
    "names",
    "get",
]


# ---------------------------------------------------------------------------- poker
def kuhn_poker() -> ExtensiveFormGame:
    """Kuhn's three-card poker (Kuhn 1950), dealt card by card.

    Each player antes 1 and gets one of the cards J, Q, K. Player 1 passes or bets 1;
    the game proceeds as in OpenSpiel's ``kuhn_poker``. The value for player 1 is -1/18.

    Examples
    --------
    >>> game = kuhn_poker()
    >>> game.num_nodes, game.num_terminals, game.num_sequences
    (58, 30, (12, 12))
    """
    cards = ("J", "Q", "K")
    b = GameBuilder(["Player 1", "Player 2"], title="Kuhn poker")
    deal1 = b.root.chance({c: Fraction(1, 3) for c in cards})
    for c1, node1 in zip(cards, deal1, strict=True):
        rest = [c for c in cards if c != c1]
        deal2 = node1.chance({c: Fraction(1, 2) for c in rest})
        for c2, node in zip(rest, deal2, strict=True):
            win = 1 if cards.index(c1) > cards.index(c2) else -1
            p, bet = node.decision(0, ["pass", "bet"], infoset=f"{c1}")
            pp, pb = p.decision(1, ["pass", "bet"], infoset=f"{c2} p")
            pp.terminal([win, -win])
            pbp, pbb = pb.decision(0, ["pass", "bet"], infoset=f"{c1} pb")
            pbp.terminal([-1, 1])
            pbb.terminal([2 * win, -2 * win])
            bp, bb = bet.decision(1, ["pass", "bet"], infoset=f"{c2} b")
            bp.terminal([1, -1])
            bb.terminal([2 * win, -2 * win])
    return b.build()


def leduc_poker() -> ExtensiveFormGame:
    """Leduc hold'em (Southey et al. 2005), dealt card by card as in OpenSpiel.

    Six cards, two suits of J, Q, K. Each player antes 1 and is dealt a private card; a
    betting round follows (raise size 2), a public card is dealt, a second betting round
    follows (raise size 4). At most two raises per round; ``fold`` is only offered when
    facing a raise. At showdown a pair with the public card wins, otherwise the higher
    card; equal ranks split the pot. Information sets distinguish the exact cards, as
    OpenSpiel's do.

    Examples
    --------
    >>> game = leduc_poker()
    >>> game.num_nodes, game.num_terminals, game.num_infosets, game.num_sequences
    (9457, 5520, (468, 468), (1092, 1092))
    """
    deck = tuple(range(6))
    rank = {c: c // 2 for c in deck}
    names = {c: "JJQQKK"[c] + "sh"[c % 2] for c in deck}
    b = GameBuilder(["Player 1", "Player 2"], title="Leduc poker")

    def betting(node, round_no, history, contrib, raises, to_act, facing, cards, public):
        # contrib: money each player has in the pot; facing: to_act must match a raise
        acts = (["fold", "call", "raise"] if facing else ["call", "raise"])
        if raises >= 2:
            acts.remove("raise")
        me = to_act
        seen = names[cards[me]] + ("" if public is None else " " + names[public])
        children = node.decision(me, acts, infoset=f"{seen} | {history}")
        for act, child in zip(acts, children, strict=True):
            h = history + act[0]
            c = list(contrib)
            if act == "fold":
                pot_loss = c[me]
                pay = [0.0, 0.0]
                pay[me] = -pot_loss
                pay[1 - me] = pot_loss
                child.terminal(pay)
                continue
            if act == "call":
                c[me] = c[1 - me]
                # the round ends on a call, except the opening check of the round
                if facing or history.split("/")[-1] != "":
                    if round_no == 1:
                        remaining = [x for x in deck if x not in cards]
                        pubs = child.chance({names[x]: Fraction(1, 4) for x in remaining})
                        for pc, pub_node in zip(remaining, pubs, strict=True):
                            betting(pub_node, 2, h + "/", c, 0, 0, False, cards, pc)
                    else:
                        child.terminal(_showdown(cards, public, c, rank))
                    continue
                betting(child, round_no, h, c, raises, 1 - me, False, cards, public)
                continue
            # raise
            size = 2 if round_no == 1 else 4
            c[me] = c[1 - me] + size
            betting(child, round_no, h, c, raises + 1, 1 - me, True, cards, public)

    deal1 = b.root.chance({names[c]: Fraction(1, 6) for c in deck})
    for c1, n1 in zip(deck, deal1, strict=True):
        rest = [c for c in deck if c != c1]
        deal2 = n1.chance({names[c]: Fraction(1, 5) for c in rest})
        for c2, n2 in zip(rest, deal2, strict=True):
            betting(n2, 1, "", [1, 1], 0, 0, False, (c1, c2), None)
    return b.build()


def _showdown(cards, public, contrib, rank) -> list[float]:
    r0, r1, rp = rank[cards[0]], rank[cards[1]], rank[public]
    s0 = (1 if r0 == rp else 0, r0)
    s1 = (1 if r1 == rp else 0, r1)
    pot = contrib[0]  # equal after a call
    if s0 > s1:
        return [pot, -pot]
    if s1 > s0:
        return [-pot, pot]
    return [0.0, 0.0]


def liars_dice(sides: int = 6) -> ExtensiveFormGame:
    """Liar's dice with one die per player, as OpenSpiel's ``liars_dice`` (defaults).

    Each player rolls one die with ``sides`` faces, seen only by themselves. Players
    alternate raising a bid "at least ``q`` dice show face ``f``" (``q`` in 1..2; bids are
    ordered quantity first, then face) until one calls "liar". The highest face is wild.
    The caller wins 1 if the bid was false, else loses 1.

    Examples
    --------
    >>> game = liars_dice(sides=2)
    >>> game.num_terminals, game.num_infosets
    (60, (16, 16))
    """
    if not 2 <= sides <= 9:
        raise GameError("liars_dice supports 2 to 9 sides")
    faces = tuple(range(1, sides + 1))
    bids = [(q, f) for q in (1, 2) for f in faces]
    labels = [f"{q}-{f}" for q, f in bids]
    b = GameBuilder(["Player 1", "Player 2"], title=f"Liar's dice (1 die, {sides} sides)")

    def count(dice, face):
        return sum(1 for d in dice if d == face or d == sides)

    def bid_from(node, dice, history, last, to_act):
        allowed = list(range(last + 1, len(bids)))
        acts = [labels[i] for i in allowed]
        if last >= 0:
            acts.append("liar")
        children = node.decision(to_act, acts, infoset=f"{dice[to_act]} | {' '.join(history)}")
        for act, child in zip(acts, children, strict=True):
            if act == "liar":
                q, f = bids[last]
                bidder = 1 - to_act
                true = count(dice, f) >= q
                winner = bidder if true else to_act
                pay = [-1.0, -1.0]
                pay[winner] = 1.0
                child.terminal(pay)
            else:
                i = labels.index(act)
                bid_from(child, dice, history + [act], i, 1 - to_act)

    p = Fraction(1, sides)
    roll1 = b.root.chance({str(f): p for f in faces})
    for d1, n1 in zip(faces, roll1, strict=True):
        roll2 = n1.chance({str(f): p for f in faces})
        for d2, n2 in zip(faces, roll2, strict=True):
            bid_from(n2, (d1, d2), [], -1, 0)
    return b.build()


# ---------------------------------------------------------------------------- matrix games
def _matrix(title: str, row: Any, column: Any, strategies: list[list[str]], form: str):
    game = NormalFormGame.from_bimatrix(
        row, column, players=["Row", "Column"], strategies=strategies, title=title
    )
    if form == "normal":
        return game
    if form == "extensive":
        from negsim.games.convert import to_extensive

        return to_extensive(game)
    raise GameError(f"form must be 'normal' or 'extensive', got {form!r}")


def matching_pennies(form: str = "normal") -> NormalFormGame | ExtensiveFormGame:
    """Matching pennies: Row wins 1 when the coins match, Column when they differ.

    Examples
    --------
    >>> matching_pennies().payoffs[0]
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    a = [[1, -1], [-1, 1]]
    return _matrix("Matching pennies", a, np.negative(a), [["heads", "tails"]] * 2, form)


def prisoners_dilemma(form: str = "normal") -> NormalFormGame | ExtensiveFormGame:
    """The prisoner's dilemma with payoffs (R, S, T, P) = (3, 0, 5, 1)."""
    row = [[3, 0], [5, 1]]
    return _matrix("Prisoner's dilemma", row, np.transpose(row), [["cooperate", "defect"]] * 2, form)


def battle_of_the_sexes(form: str = "normal") -> NormalFormGame | ExtensiveFormGame:
    """Battle of the sexes: both prefer to meet; Row prefers opera, Column football."""
    row = [[2, 0], [0, 1]]
    column = [[1, 0], [0, 2]]
    return _matrix("Battle of the sexes", row, column, [["opera", "football"]] * 2, form)


# ---------------------------------------------------------------------------- bargaining
def ultimatum(pie: int = 10) -> ExtensiveFormGame:
    """The ultimatum game: the proposer offers ``k`` of ``pie`` units, the responder accepts or not.

    Perfect information. On acceptance the responder gets ``k`` and the proposer
    ``pie - k``; on rejection both get 0.

    Examples
    --------
    >>> ultimatum(pie=4).num_terminals
    10
    """
    if pie < 1:
        raise GameError("the pie must have at least one unit")
    b = GameBuilder(["Proposer", "Responder"], title=f"Ultimatum game (pie {pie})")
    offers = b.root.decision("Proposer", [f"offer {k}" for k in range(pie + 1)], infoset="proposal")
    for k, node in enumerate(offers):
        yes, no = node.decision("Responder", ["accept", "reject"], infoset=f"offer {k}")
        yes.terminal([pie - k, k])
        no.terminal([0, 0])
    return b.build()


def alternating_offers(
    rounds: int = 3,
    shares: int = 4,
    discount: tuple[float, float] = (0.9, 0.9),
    disagreement: tuple[float, float] = (0.0, 0.0),
) -> ExtensiveFormGame:
    """Finite-horizon alternating-offers bargaining over a pie of size 1 (Ståhl 1972; Rubinstein 1982).

    In round ``t = 0, 1, ...`` player ``t % 2`` proposes a split ``(k / shares)`` for
    themselves; the other accepts (payoffs discounted by ``discount[i] ** t``) or rejects.
    After ``rounds`` rejected offers both get ``disagreement`` (undiscounted). Perfect
    information; as ``rounds`` grows the subgame-perfect share of player 1 tends to
    Rubinstein's ``(1 - d2) / (1 - d1 d2)`` (within the grid ``1 / shares``).

    Examples
    --------
    >>> alternating_offers(rounds=2, shares=2).num_terminals
    21
    """
    if rounds < 1 or shares < 1:
        raise GameError("need at least one round and one share")
    size = (2 * (shares + 1)) ** rounds
    if size > 2_000_000:
        raise GameError(f"alternating_offers(rounds={rounds}, shares={shares}) would have about {size:,} terminals")
    d = tuple(float(x) for x in discount)
    b = GameBuilder(["Player 1", "Player 2"], title=f"Alternating offers ({rounds} rounds)")

    def offer(node, t, history):
        proposer = t % 2
        acts = [f"{k}/{shares}" for k in range(shares + 1)]
        for k, child in enumerate(node.decision(proposer, acts, infoset=f"round {t} {history}")):
            hist = f"{history}{k}/{shares};"
            yes, no = child.decision(1 - proposer, ["accept", "reject"], infoset=f"round {t} {hist}")
            own = k / shares
            split = [0.0, 0.0]
            split[proposer] = own
            split[1 - proposer] = 1.0 - own
            yes.terminal([split[0] * d[0] ** t, split[1] * d[1] ** t])
            if t + 1 < rounds:
                offer(no, t + 1, hist + "r;")
            else:
                no.terminal(list(disagreement))

    offer(b.root, 0, "")
    return b.build()


# ---------------------------------------------------------------------------- lookup
_GAMES: dict[str, tuple[Callable[..., Any], str]] = {
    "kuhn-poker": (kuhn_poker, "Kuhn's three-card poker"),
    "leduc-poker": (leduc_poker, "Leduc hold'em"),
    "liars-dice": (liars_dice, "Liar's dice, one six-sided die each"),
    "matching-pennies": (matching_pennies, "Matching pennies (normal form)"),
    "prisoners-dilemma": (prisoners_dilemma, "Prisoner's dilemma (normal form)"),
    "battle-of-the-sexes": (battle_of_the_sexes, "Battle of the sexes (normal form)"),
    "ultimatum": (ultimatum, "Ultimatum game over 10 units"),
    "alternating-offers": (alternating_offers, "Three rounds of alternating offers"),
}


def names() -> dict[str, str]:
    """Names of the library's games (as the command line knows them) with a description."""
    return {name: desc for name, (_, desc) in _GAMES.items()}


def get(name: str, **options: Any) -> ExtensiveFormGame | NormalFormGame:
    """Build a library game by name (``"kuhn-poker"``; underscores work too).

    Raises
    ------
    GameError
        If there is no such game; the message suggests the closest name.

    Examples
    --------
    >>> get("kuhn_poker").num_terminals
    30
    """
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    if key not in _GAMES:
        import difflib

        close = difflib.get_close_matches(key, list(_GAMES), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise GameError(f"no library game named {name!r}{hint} (known: {', '.join(_GAMES)})")
    return _GAMES[key][0](**options)

