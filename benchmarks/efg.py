"""Gambit ``.efg`` text for pygambit, used only when neither negsim nor OpenSpiel provides one pygambit reads.

Chance probabilities are written as exact fractions that sum to exactly 1 (pygambit
refuses decimals that do not), every terminal gets its own uniquely labelled outcome
(pygambit 16.7 wants unique outcome labels), labels are cut down to what pygambit 16.7
accepts, and nodes are written in preorder.
"""

from __future__ import annotations

from fractions import Fraction

from negsim.games import CHANCE, DECISION, ExtensiveFormGame


def _quote(text: str) -> str:
    """A Gambit label: printable ASCII, single spaces, none at either end (pygambit 16.7's rules)."""
    clean = "".join(c if " " <= c <= "~" else "?" for c in str(text))
    clean = " ".join(clean.split())
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fractions(probs: list[float]) -> list[Fraction]:
    out = [Fraction(p).limit_denominator(1_000_000) for p in probs]
    out[-1] = 1 - sum(out[:-1], Fraction(0))  # make the sum exactly 1
    return out


def efg_text(game: ExtensiveFormGame) -> str:
    """The game as Gambit ``EFG 2 R`` text."""
    if game.batch_size is not None:
        raise ValueError("write one game at a time, not a batch")
    players = " ".join(_quote(p) for p in game.players)
    lines = [f"EFG 2 R {_quote(game.title or 'negsim game')} {{ {players} }}", '""', ""]
    stack = [0]
    while stack:
        h = stack.pop()
        first, count = int(game.first_child[h]), int(game.num_children[h])
        kind = int(game.kind[h])
        if kind == DECISION:
            g = int(game.infoset[h])
            actions = " ".join(_quote(a) for a in game.infosets.actions[g])
            lines.append(
                f'p "" {int(game.player[h]) + 1} {int(game.infosets.number[g])} '
                f"{_quote(game.infosets.labels[g])} {{ {actions} }} 0"
            )
        elif kind == CHANCE:
            c = int(game.infoset[h])
            probs = _fractions([float(game.chance_prob[k]) for k in range(first, first + count)])
            labels = game.chance_infosets.actions[c]
            body = " ".join(f"{_quote(a)} {p}" for a, p in zip(labels, probs, strict=True))
            lines.append(f'c "" {c + 1} {_quote(game.chance_infosets.labels[c])} {{ {body} }} 0')
        else:
            z = int(game.terminal_index[h])
            pay = ", ".join(repr(float(u)) for u in game.payoffs[z])
            lines.append(f't "" {z + 1} "z{z + 1}" {{ {pay} }}')
        stack.extend(range(first + count - 1, first - 1, -1))
    return "\n".join(lines) + "\n"
