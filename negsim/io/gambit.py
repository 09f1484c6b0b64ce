"""Reading and writing Gambit's ``.efg`` (extensive form) and ``.nfg`` (normal form) files.

The formats are those documented in Gambit's manual ("Game representation formats") and
written by Gambit and pygambit (``Game.to_efg()``, ``Game.to_nfg()``), by OpenSpiel's
``export_gambit`` and by hand:

* an ``.efg`` file is a header ``EFG 2 R "title" { "Player 1" "Player 2" }``, an optional
  comment string, then one entry per node of the tree in preorder (a node, then its
  subtrees in action order). Chance nodes read ``c "label" infoset "infoset label"
  { "action" probability ... } outcome``, decision nodes ``p "label" player infoset
  "infoset label" { "action" ... } outcome`` and terminals ``t "label" outcome``.
  An *outcome* is ``0`` (none) or a number followed, where it is first used, by its
  label and one payoff per player ``"label" { 1, -1 }``. Outcomes may sit on any node;
  a terminal's payoffs are the sum of the outcomes on its path.
* an ``.nfg`` file is a header ``NFG 1 R "title" { "Player 1" "Player 2" }``, the
  strategies (as counts ``{ 3 2 }`` or labels ``{ { "a" "b" "c" } { "x" "y" } }``), an
  optional comment, then the payoffs: either all players' payoffs profile by profile, or a
  list of outcomes ``{ { "label" 1, 2 } ... }`` followed by one outcome number per profile.
  Profiles run with the first player's strategy changing fastest.

The readers are strict in the way Gambit is (an information set or outcome used again
must agree with its first definition) and report every problem as a
:class:`~negsim.errors.GameError` that names the line and what was expected. They are
iterative, take time linear in the size of the file, and refuse trees of more than
:data:`~negsim.games.extensive.MAX_NODES` nodes.

Numbers may be integers, rationals (``1/3``) or decimals (``0.25``, ``.5``, ``1e-3``).
Chance probabilities must add up to exactly 1; sums within ``1e-6`` of 1 (OpenSpiel
writes 16-digit decimals such as ``0.3333333333333333``) are renormalized with one
:class:`~negsim.errors.NegsimWarning`. The writers write a number as an exact fraction
when a fraction with a denominator of at most a million gives back the same float, and
otherwise as the shortest decimal that does.

In quoted labels ``\\"`` stands for ``"`` and ``\\\\`` for ``\\``; a backslash before any
other character is kept as it is, as Gambit does (Gambit's own example files contain
LaTeX such as ``\\neg`` in their comments). The writers escape a backslash only before a
quote, a backslash or the closing quote, because pygambit 16.7 does not undo ``\\\\``.

Gambit 16.7 also refuses player, node, information-set, action and outcome labels that
are not printable ASCII or have leading, trailing or double spaces. By default the
writers change such labels (with a :class:`~negsim.errors.NegsimWarning`) so that
pygambit can read every file they write; ``labels="exact"`` writes them unchanged.
"""

from __future__ import annotations

import os
import re
import unicodedata
import warnings
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from negsim.errors import GameError, NegsimWarning
from negsim.games.builder import game_from_tree
from negsim.games.extensive import (
    CHANCE,
    DECISION,
    MAX_NODES,
    TERMINAL,
    ExtensiveFormGame,
    Infosets,
)
from negsim.games.normal import NormalFormGame

__all__ = ["read_efg", "write_efg", "read_nfg", "write_nfg"]

Source = str | bytes | os.PathLike[str]

CHANCE_SUM_TOLERANCE: float = 1e-6
"""How far chance probabilities in a file may sum from 1 and still be read (renormalized)."""

_MAX_NUMBER_LENGTH = 400
_MAX_INDEX = 2**31 - 1

# one token: a quoted string, a brace or comma, a bare word, or an unterminated quote
_TOKEN = re.compile(
    r'(?P<s>"[^"\\]*(?:\\.[^"\\]*)*")|(?P<p>[{},])|(?P<w>[^\s{},"]+)|(?P<u>")', re.S
)
_ESCAPE = re.compile(r'\\(["\\])')
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_RATIONAL = re.compile(r"([+-]?\d+)/(\d+)")
_INTEGER = re.compile(r"\d+")
# labels pygambit 16.7 accepts: printable ASCII, single spaces, none at either end
_GAMBIT_LABEL = re.compile(r"(?:[!-~]+(?: [!-~]+)*)?")
# backslashes that pygambit 16.7 misreads: doubled, before a quote, or at the end
_GAMBIT_BACKSLASH = re.compile(r'\\(?=[\\"]|$)')
_NEEDS_ESCAPE = re.compile(r'\\(?=[\\"]|$)|"')

_EOF = "eof"
_STR = "s"
_WORD = "w"


# ------------------------------------------------------------------------------ input
def _decode(data: bytes, source: str | None) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise GameError(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded)",
            source=source,
            line=line,
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _load(source: Any, magic: str, func: str) -> tuple[str, str | None]:
    """The text to parse and the name to use in error messages."""
    if isinstance(source, bytes | bytearray | memoryview):
        return _decode(bytes(source), None), None
    if isinstance(source, str):
        head = source.lstrip().lstrip("\ufeff").lstrip()
        if head[:3] in ("EFG", "NFG") or "\n" in source or len(source) > 4096 or "\x00" in source:
            return (source[1:] if source.startswith("\ufeff") else source), None
        path = Path(source)
        try:
            is_file = path.is_file()
        except (OSError, ValueError):
            is_file = False
        if path.suffix.lower() not in (".efg", ".nfg") and not is_file:
            raise GameError(
                f"{source!r} is neither an existing file nor the text of a game file "
                f"(which starts with {magic!r}); {func} takes a path, the file's text or bytes"
            )
    elif isinstance(source, os.PathLike):
        path = Path(source)
    else:
        raise TypeError(f"{func} takes a path, a str or bytes, not {type(source).__name__}")
    name = str(path)
    return _decode(path.read_bytes(), name), name


class _Lexer:
    """Tokens of a Gambit file, one at a time, with one token of lookahead."""

    __slots__ = ("text", "source", "_matches", "_ahead", "last_pos")

    def __init__(self, text: str, source: str | None) -> None:
        self.text = text
        self.source = source
        self._matches: Iterator[re.Match[str]] = _TOKEN.finditer(text)
        self._ahead: tuple[str, str, int] | None = None
        self.last_pos = 0

    def line(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def error(self, message: str, pos: int | None = None) -> GameError:
        return GameError(message, source=self.source, line=self.line(self.last_pos if pos is None else pos))

    def _pull(self) -> tuple[str, str, int]:
        m = next(self._matches, None)
        if m is None:
            return (_EOF, "", len(self.text.rstrip()))
        kind = m.lastgroup
        pos = m.start()
        if kind == _STR:
            body = m.group()[1:-1]
            if "\\" in body:
                body = _ESCAPE.sub(r"\1", body)
            return (_STR, body, pos)
        if kind == "u":
            raise self.error("unterminated string: a '\"' opens a label that is never closed", pos)
        tok = m.group()
        return (tok, tok, pos) if kind == "p" else (_WORD, tok, pos)

    def peek(self) -> tuple[str, str, int]:
        if self._ahead is None:
            self._ahead = self._pull()
        return self._ahead

    def next(self) -> tuple[str, str, int]:
        tok = self._ahead
        if tok is None:
            tok = self._pull()
        else:
            self._ahead = None
        self.last_pos = tok[2]
        return tok

    # ---------------------------------------------------------------- typed reads
    def expect(self, kind: str, what: str) -> tuple[str, str, int]:
        tok = self.next()
        if tok[0] != kind:
            raise self.error(f"expected {what}, found {_describe(tok)}")
        return tok

    def string(self, what: str) -> str:
        return self.expect(_STR, what)[1]

    def integer(self, what: str, minimum: int = 0) -> int:
        tok = self.next()
        if tok[0] != _WORD or not _INTEGER.fullmatch(tok[1]):
            raise self.error(f"expected {what}, found {_describe(tok)}")
        value = int(tok[1]) if len(tok[1]) <= 12 else _MAX_INDEX + 1
        if value < minimum or value > _MAX_INDEX:
            raise self.error(f"{what} must be between {minimum} and {_MAX_INDEX}, found {tok[1]}")
        return value

    def number(self, what: str) -> tuple[float, Fraction | None]:
        """A number as a float and, where cheap, its exact value."""
        tok = self.next()
        text = tok[1]
        if tok[0] != _WORD:
            raise self.error(f"expected {what}, found {_describe(tok)}")
        if len(text) > _MAX_NUMBER_LENGTH:
            raise self.error(f"{what} has more than {_MAX_NUMBER_LENGTH} characters")
        m = _RATIONAL.fullmatch(text)
        if m is not None:
            num, den = int(m.group(1)), int(m.group(2))
            if den == 0:
                raise self.error(f"{what} {text!r} divides by zero")
            exact: Fraction = Fraction(num, den)
            try:
                value = float(exact)
            except OverflowError:
                raise self.error(f"{what} {text!r} is too large") from None
            return value, exact
        if _DECIMAL.fullmatch(text) is None:
            raise self.error(f"expected {what}, found {_describe(tok)}")
        value = float(text)
        if not np.isfinite(value):
            raise self.error(f"{what} {text!r} is too large")
        try:
            dec = Decimal(text)
            exact_dec = Fraction(dec) if abs(dec.adjusted()) <= 400 else Fraction(value)
        except (InvalidOperation, ValueError, OverflowError):  # pragma: no cover - regex-checked
            exact_dec = Fraction(value)
        return value, exact_dec

    def number_list(self, count: int, what: str, opener: str) -> list[float]:
        """``{ x, y, ... }`` with exactly ``count`` numbers, commas optional."""
        self.expect("{", f"'{{' to open {opener}")
        values: list[float] = []
        while True:
            tok = self.peek()
            if tok[0] == ",":
                self.next()
                continue
            if tok[0] == "}":
                self.next()
                break
            if len(values) == count:
                self.next()
                raise self.error(
                    f"expected '}}' after {count} {what}{'s' if count != 1 else ''} (one per player), "
                    f"found {_describe(tok)}"
                )
            values.append(self.number(f"a {what}")[0])
        if len(values) != count:
            raise self.error(f"expected {count} {what}s (one per player), found {len(values)}")
        return values

    def string_list(self, what: str, opener: str) -> list[str]:
        self.expect("{", f"'{{' to open {opener}")
        out: list[str] = []
        while True:
            tok = self.next()
            if tok[0] == "}":
                return out
            if tok[0] != _STR:
                raise self.error(f"expected {what} (a quoted string) or '}}', found {_describe(tok)}")
            out.append(tok[1])

    def end(self, after: str) -> None:
        tok = self.next()
        if tok[0] != _EOF:
            raise self.error(f"expected the end of the file after {after}, found {_describe(tok)}")


def _describe(tok: tuple[str, str, int]) -> str:
    kind, text, _ = tok
    if kind == _EOF:
        return "the end of the file"
    if kind == _STR:
        shown = text if len(text) <= 30 else text[:27] + "..."
        return f"the string {shown!r}"
    shown = text if len(text) <= 30 else text[:27] + "..."
    return f"'{shown}'" if shown.isprintable() else repr(shown)


def _header(lex: _Lexer, magic: str, version: str, other: str) -> tuple[str, list[str]]:
    tok = lex.next()
    if tok[0] != _WORD or tok[1] != magic:
        hint = ""
        if tok[0] == _WORD and tok[1] == other:
            form, reader = ("strategic", "read_nfg") if other == "NFG" else ("extensive", "read_efg")
            hint = f" (this is a {form}-form file; read it with {reader})"
        raise lex.error(f"expected {magic!r} at the start of the file, found {_describe(tok)}{hint}")
    tok = lex.next()
    if tok[0] != _WORD or tok[1] != version:
        raise lex.error(f"expected the format version {version} after {magic!r}, found {_describe(tok)}")
    tok = lex.next()
    if tok[0] != _WORD or tok[1] not in ("R", "D"):
        raise lex.error(f"expected 'R' or 'D' (the number format) after the version, found {_describe(tok)}")
    title = lex.string("the game's title (a quoted string)")
    players = lex.string_list("a player name", "the list of players")
    if not players:
        raise lex.error("a game needs at least one player, found an empty list of players")
    seen: set[str] = set()
    for name in players:
        if name in seen:
            raise lex.error(f"player names must be unique; {name!r} appears twice")
        seen.add(name)
    return title, players


# ------------------------------------------------------------------------------ .efg
class _Table:
    """Information sets (or outcomes) as first defined in the file."""

    __slots__ = ("index", "keys", "labels", "actions", "values", "pos")

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}
        self.keys: list[Any] = []
        self.labels: list[str] = []
        self.actions: list[tuple[str, ...]] = []
        self.values: list[Any] = []
        self.pos: list[int] = []

    def add(self, key: Any, label: str, actions: tuple[str, ...], values: Any, pos: int) -> int:
        i = len(self.keys)
        self.index[key] = i
        self.keys.append(key)
        self.labels.append(label)
        self.actions.append(actions)
        self.values.append(values)
        self.pos.append(pos)
        return i


def read_efg(source: Source) -> ExtensiveFormGame:
    """Read an extensive-form game from a Gambit ``.efg`` file.

    Parameters
    ----------
    source : str, Path or bytes
        A path to the file, the file's text itself (a ``str`` that starts with ``EFG``
        after optional whitespace), or its bytes (UTF-8).

    Returns
    -------
    ExtensiveFormGame
        The game, with the file's title, comment, node labels, information-set numbers
        and labels (:attr:`Infosets.number <negsim.games.Infosets>` keeps Gambit's
        per-player numbers) and its outcomes (``game.outcomes``), so that
        :func:`write_efg` writes the same game back with the same numbers, labels and
        outcomes. A player's information sets are ordered by their numbers, chance
        information sets too.

    Raises
    ------
    GameError
        If the file is malformed; the message names the line and what was expected. Also
        if chance probabilities sum to more than ``1e-6`` away from 1, or the tree has
        more than :data:`~negsim.games.extensive.MAX_NODES` nodes.
    FileNotFoundError
        If ``source`` is a path (a ``Path``, or a string ending in ``.efg``) that does
        not exist.

    Warns
    -----
    NegsimWarning
        Once, if chance probabilities had to be renormalized because they summed to 1
        only within ``1e-6`` (as in files OpenSpiel writes).

    Examples
    --------
    A sequential game in which Ann moves, then Bob, who has not seen Ann's move; an
    outcome on Ann's node adds 1 to both players' payoffs below it:

    >>> text = '''EFG 2 R "Example" { "Ann" "Bob" }
    ... ""
    ... p "" 1 1 "Ann" { "L" "R" } 1 "fee" { 1, 1 }
    ... p "" 2 1 "Bob" { "l" "r" } 0
    ... t "" 2 "" { 2 0 }
    ... t "" 3 "" { 0 1/2 }
    ... p "" 2 1 0
    ... t "" 3
    ... t "" 0
    ... '''
    >>> game = read_efg(text)
    >>> game.num_nodes, game.num_terminals, game.num_infosets
    (7, 4, (1, 1))
    >>> game.payoffs.tolist()
    [[3.0, 1.0], [1.0, 1.5], [1.0, 1.5], [1.0, 1.0]]
    """
    text, name = _load(source, "EFG", "read_efg")
    lex = _Lexer(text, name)
    game, renormalized = _parse_efg(lex)
    if renormalized:
        count, deviation = renormalized
        where = f"{name}: " if name else ""
        warnings.warn(
            f"{where}chance probabilities at {count} chance information set(s) summed to 1 only "
            f"approximately (off by up to {deviation:.2g}, as in files OpenSpiel writes); "
            "they were renormalized",
            NegsimWarning,
            stacklevel=2,
        )
    return game


class _EfgTree:
    """The nodes read so far, one entry per node in file order, and the tables they use."""

    __slots__ = (
        "n_players", "parent", "action", "kind", "player", "infoset", "outcome", "labels",
        "decision", "chance", "outcomes", "renormalize",
    )

    def __init__(self, n_players: int) -> None:
        self.n_players = n_players
        self.parent: list[int] = []
        self.action: list[int] = []
        self.kind: list[int] = []
        self.player: list[int] = []
        self.infoset: list[int] = []
        self.outcome: list[int] = []
        self.labels: list[str] = []
        self.decision = _Table()  # key (player, number); values unused
        self.chance = _Table()  # key number; values the probabilities (floats)
        self.outcomes = _Table()  # key number; values payoff list
        # chance information sets to renormalize: index -> (exact probabilities, their sum)
        self.renormalize: dict[int, tuple[list[Fraction], Fraction]] = {}


def _parse_efg(lex: _Lexer) -> tuple[ExtensiveFormGame, tuple[int, float] | None]:
    title, players = _header(lex, "EFG", "2", "NFG")
    comment = ""
    if lex.peek()[0] == _STR:
        comment = lex.next()[1]
    tree = _EfgTree(len(players))
    parent, action, kind, player, infoset = tree.parent, tree.action, tree.kind, tree.player, tree.infoset
    labels, outcome = tree.labels, tree.outcome
    # open nodes: [node, number of children, children seen so far, position]
    stack: list[list[int]] = []

    while True:
        tok = lex.next()
        if tok[0] == _EOF:
            break
        node = len(parent)
        _check_node_start(lex, tok, node, bool(stack))
        if stack:
            top = stack[-1]
            parent.append(top[0])
            action.append(top[2])
            top[2] += 1
            if top[2] == top[1]:
                stack.pop()
        else:
            parent.append(-1)
            action.append(-1)
        labels.append(lex.string("the node's label (a quoted string)"))
        letter = tok[1]
        width = 0
        if letter == "p":
            i = _decision_infoset(lex, tree)
            kind.append(DECISION)
            player.append(tree.decision.keys[i][0])
            infoset.append(i)
            width = len(tree.decision.actions[i])
        elif letter == "c":
            i = _chance_infoset(lex, tree)
            kind.append(CHANCE)
            player.append(-1)
            infoset.append(i)
            width = len(tree.chance.actions[i])
        else:
            kind.append(TERMINAL)
            player.append(-1)
            infoset.append(-1)
        outcome.append(_node_outcome(lex, tree))
        if width:
            stack.append([node, width, 0, tok[2]])

    if not parent:
        raise lex.error("the file has no nodes: expected 'c', 'p' or 't' after the header")
    if stack:
        top = stack[-1]
        missing = top[1] - top[2]
        raise lex.error(
            f"the file ends before the tree is complete: the node on line {lex.line(top[3])} "
            f"needs {missing} more child node(s)",
            len(lex.text.rstrip()),
        )
    return _build_efg(lex, players, title, comment, tree)


def _check_node_start(lex: _Lexer, tok: tuple[str, str, int], node: int, open_nodes: bool) -> None:
    """Refuse a token that cannot start node number ``node``."""
    if tok[0] != _WORD or tok[1] not in ("c", "p", "t"):
        if node == 0:
            raise lex.error(
                f"expected the first node ('c', 'p' or 't' for a chance, personal or terminal "
                f"node) or the comment string, found {_describe(tok)}"
            )
        raise lex.error(f"expected a node ('c', 'p' or 't'), found {_describe(tok)}")
    if node and not open_nodes:
        raise lex.error(
            f"expected the end of the file: the tree is complete, but another node "
            f"({tok[1]!r}) follows"
        )
    if node >= MAX_NODES:
        raise lex.error(f"the tree has more than {MAX_NODES:,} nodes, the limit")


def _decision_infoset(lex: _Lexer, tree: _EfgTree) -> int:
    """Read ``player number ["label" { actions }]`` of a personal node; its infoset's index."""
    decision = tree.decision
    p = lex.integer("a player number", 1)
    if p > tree.n_players:
        raise lex.error(f"unknown player number {p}: the game has {tree.n_players} player(s)")
    number = lex.integer("an information set number", 1)
    key = (p - 1, number)
    where = f"information set {number} of player {p}"
    if lex.peek()[0] == _STR:
        iset_pos = lex.peek()[2]
        iset_label = lex.next()[1]
        acts = tuple(lex.string_list("an action label", "the action list"))
        if not acts:
            raise lex.error(f"{where} needs at least one action, found an empty action list")
        i = decision.index.get(key)
        if i is None:
            i = decision.add(key, iset_label, acts, None, iset_pos)
        else:
            _check_same(lex, where, decision, i, iset_label, acts)
        return i
    i = decision.index.get(key)
    if i is None:
        raise lex.error(
            f"{where} is used before it is defined: expected its label and action "
            f"list, found {_describe(lex.peek())}",
        )
    return i


def _chance_infoset(lex: _Lexer, tree: _EfgTree) -> int:
    """Read ``number ["label" { action probability ... }]`` of a chance node; its infoset's index."""
    chance = tree.chance
    number = lex.integer("a chance information set number", 1)
    where = f"chance information set {number}"
    if lex.peek()[0] == _STR:
        iset_pos = lex.peek()[2]
        iset_label = lex.next()[1]
        acts, probs, exacts, total = _chance_list(lex, where)
        i = chance.index.get(number)
        if i is None:
            i = chance.add(number, iset_label, acts, probs, iset_pos)
            if total != 1:
                if abs(float(total) - 1.0) > CHANCE_SUM_TOLERANCE:
                    raise lex.error(
                        f"the probabilities of {where} sum to {float(total)!r}, not 1",
                        iset_pos,
                    )
                tree.renormalize[i] = (exacts, total)
        else:
            _check_same(lex, where, chance, i, iset_label, acts)
            if chance.values[i] != probs:
                raise lex.error(
                    f"{where} has other probabilities than where it is defined "
                    f"(line {lex.line(chance.pos[i])})"
                )
        return i
    i = chance.index.get(number)
    if i is None:
        raise lex.error(
            f"{where} is used before it is defined: expected its label and "
            f"actions with probabilities, found {_describe(lex.peek())}",
        )
    return i


def _node_outcome(lex: _Lexer, tree: _EfgTree) -> int:
    """Read a node's ``outcome ["label" { payoffs }]``; the outcome's index, -1 for none."""
    outcomes = tree.outcomes
    number = lex.integer("an outcome number (0 for none)", 0)
    if lex.peek()[0] == _STR:
        if number == 0:
            raise lex.error("outcome 0 means 'no outcome' and cannot have a label or payoffs")
        out_pos = lex.peek()[2]
        out_label = lex.next()[1]
        values = lex.number_list(tree.n_players, "payoff", "the payoffs")
        o = outcomes.index.get(number, -1)
        if o < 0:
            o = outcomes.add(number, out_label, (), values, out_pos)
        elif outcomes.labels[o] != out_label or outcomes.values[o] != values:
            raise lex.error(
                f"outcome {number} has another label or other payoffs than where it is "
                f"defined (line {lex.line(outcomes.pos[o])})"
            )
        return o
    if number:
        o = outcomes.index.get(number, -1)
        if o < 0:
            raise lex.error(
                f"outcome {number} is used before it is defined: expected its label and "
                f"payoffs, found {_describe(lex.peek())}",
            )
        return o
    return -1


def _check_same(lex: _Lexer, where: str, table: _Table, i: int, label: str, acts: tuple[str, ...]) -> None:
    if acts == table.actions[i] and label == table.labels[i]:
        return
    line = lex.line(table.pos[i])
    if len(acts) != len(table.actions[i]):
        raise lex.error(
            f"{where} has {len(table.actions[i])} action(s) where it is defined (line {line}), "
            f"but {len(acts)} here"
        )
    if acts != table.actions[i]:
        raise lex.error(f"{where} has other action labels than where it is defined (line {line})")
    raise lex.error(f"{where} has another label than where it is defined (line {line})")


def _chance_list(
    lex: _Lexer, where: str
) -> tuple[tuple[str, ...], list[float], list[Fraction], Fraction]:
    lex.expect("{", "'{' to open the list of chance actions and probabilities")
    acts: list[str] = []
    probs: list[float] = []
    exacts: list[Fraction] = []
    while True:
        tok = lex.next()
        if tok[0] == "}":
            break
        if tok[0] != _STR:
            raise lex.error(f"expected a chance action label (a quoted string) or '}}', found {_describe(tok)}")
        acts.append(tok[1])
        value, exact = lex.number(f"the probability of action {tok[1]!r}")
        if value < 0:
            raise lex.error(f"the probability of action {tok[1]!r} at {where} is negative")
        probs.append(value)
        exacts.append(exact if exact is not None else Fraction(value))
    if not acts:
        raise lex.error(f"{where} needs at least one action, found an empty list")
    return tuple(acts), probs, exacts, sum(exacts, Fraction(0))


def _build_efg(
    lex: _Lexer, players: list[str], title: str, comment: str, tree: _EfgTree
) -> tuple[ExtensiveFormGame, tuple[int, float] | None]:
    n_players = len(players)
    num_nodes = len(tree.parent)
    parent_a = np.array(tree.parent, np.int64)
    action_a = np.array(tree.action, np.int64)
    kind_a = np.array(tree.kind, np.int8)
    infoset_a = np.array(tree.infoset, np.int64)
    dec_table, chance_table, new_infoset = _ordered_infosets(tree, kind_a, infoset_a)
    edge_prob, deviation = _edge_probabilities(tree, parent_a, action_a, kind_a, infoset_a)
    out_labels, values, node_outcome = _ordered_outcomes(tree)

    # game_from_tree cannot index an empty outcome table, so a file without outcomes
    # (every payoff 0) is compiled without one and gets its empty table afterwards
    has_outcomes = len(out_labels) > 0
    try:
        game = game_from_tree(
            players,
            parent=parent_a,
            kind=kind_a,
            player=np.array(tree.player, np.int64),
            infoset=new_infoset,
            edge_prob=edge_prob,
            node_payoffs=np.zeros((0 if has_outcomes else num_nodes, n_players)),
            infosets=dec_table,
            chance_infosets=chance_table,
            node_labels=tree.labels,
            outcomes=(out_labels, values, node_outcome) if has_outcomes else None,
            title=title,
            comment=comment,
            renumber_infosets=False,
        )
        if not has_outcomes:
            game = _with_empty_outcomes(game)
    except GameError as exc:
        raise GameError(exc.message, source=lex.source) from None
    renormalize = tree.renormalize
    return game, ((len(renormalize), deviation) if renormalize else None)


def _ordered_infosets(
    tree: _EfgTree, kind_a: np.ndarray, infoset_a: np.ndarray
) -> tuple[Infosets, Infosets, np.ndarray]:
    """The information-set tables, decision ones ordered by (player, number) and chance
    ones by number, and each node's information set renumbered to match."""
    decision, chance = tree.decision, tree.chance
    order = sorted(range(len(decision.keys)), key=decision.keys.__getitem__)
    remap = np.empty(len(order), np.int64)
    remap[order] = np.arange(len(order))
    dec_table = Infosets(
        player=np.array([decision.keys[i][0] for i in order], np.int64),
        number=np.array([decision.keys[i][1] for i in order], np.int64),
        labels=[decision.labels[i] for i in order],
        actions=[decision.actions[i] for i in order],
    )
    corder = sorted(range(len(chance.keys)), key=chance.keys.__getitem__)
    cremap = np.empty(len(corder), np.int64)
    cremap[corder] = np.arange(len(corder))
    chance_table = Infosets(
        player=np.full(len(corder), -1, np.int64),
        number=np.array([chance.keys[i] for i in corder], np.int64),
        labels=[chance.labels[i] for i in corder],
        actions=[chance.actions[i] for i in corder],
    )
    is_dec = kind_a == DECISION
    is_chance = kind_a == CHANCE
    new_infoset = np.full(len(kind_a), -1, np.int64)
    new_infoset[is_dec] = remap[infoset_a[is_dec]]
    new_infoset[is_chance] = cremap[infoset_a[is_chance]]
    return dec_table, chance_table, new_infoset


def _edge_probabilities(
    tree: _EfgTree, parent_a: np.ndarray, action_a: np.ndarray, kind_a: np.ndarray, infoset_a: np.ndarray
) -> tuple[np.ndarray, float]:
    """The probability on each node's incoming edge (1 below non-chance nodes), with the
    chance tables renormalized where needed, and the largest deviation renormalized."""
    deviation = 0.0
    flat: list[float] = []
    offsets = np.zeros(len(tree.chance.keys), np.int64)
    for i, probs in enumerate(tree.chance.values):
        offsets[i] = len(flat)
        fix = tree.renormalize.get(i)
        if fix is None:
            flat.extend(probs)
        else:
            exacts, total = fix
            deviation = max(deviation, abs(float(total) - 1.0))
            flat.extend(float(p / total) for p in exacts)
    num_nodes = len(parent_a)
    edge_prob = np.ones(num_nodes)
    if num_nodes > 1:
        par = parent_a[1:]
        from_chance = np.flatnonzero(kind_a[par] == CHANCE) + 1
        if from_chance.size:
            flat_a = np.array(flat, np.float64)
            idx = offsets[infoset_a[parent_a[from_chance]]] + action_a[from_chance]
            edge_prob[from_chance] = flat_a[idx]
    return edge_prob, deviation


def _ordered_outcomes(tree: _EfgTree) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Outcome labels and payoffs ordered by number, and each node's outcome (-1: none)."""
    outcomes = tree.outcomes
    oorder = sorted(range(len(outcomes.keys)), key=outcomes.keys.__getitem__)
    oremap = np.empty(len(oorder) + 1, np.int64)
    oremap[np.array(oorder, np.int64)] = np.arange(len(oorder))
    oremap[-1] = -1
    node_outcome = oremap[np.array(tree.outcome, np.int64)]
    values = np.array([outcomes.values[i] for i in oorder], np.float64).reshape(-1, tree.n_players)
    out_labels = [outcomes.labels[i] for i in oorder]
    return out_labels, values, node_outcome


def _with_empty_outcomes(game: ExtensiveFormGame) -> ExtensiveFormGame:
    """``game`` (compiled without outcomes) with an empty outcome table, as read from a file."""
    return ExtensiveFormGame(
        game.players,
        parent=game.parent,
        kind=game.kind,
        player=game.player,
        infoset=game.infoset,
        chance_prob=game.chance_prob,
        payoffs=game.payoffs,
        infosets=game.infosets,
        chance_infosets=game.chance_infosets,
        node_labels=game.node_labels,
        outcomes=((), np.zeros((0, game.num_players)), np.full(game.num_nodes, -1, np.int64)),
        title=game.title,
        comment=game.comment,
    )


def _quote(text: str) -> str:
    # A backslash is escaped only where a reader could take it for an escape (before a
    # quote, another backslash or the closing quote): Gambit's reader keeps other
    # backslashes as they are but does not undo a doubled one.
    return '"' + _NEEDS_ESCAPE.sub(r"\\\g<0>", text) + '"'


class _Labels:
    """Labels as written: verbatim, or changed as little as pygambit 16.7 needs.

    Gambit 16.7 refuses labels that are not printable ASCII with single inner spaces, and
    non-empty node labels that repeat in the game or information-set labels that repeat
    for a player; it misreads doubled backslashes and a backslash before a quote.
    """

    def __init__(self, mode: str, func: str) -> None:
        if mode not in ("gambit", "exact"):
            raise GameError(f"{func}: labels must be 'gambit' or 'exact', not {mode!r}")
        self.exact = mode == "exact"
        self.cache: dict[str, str] = {}
        self.changes = 0
        self.example: tuple[str, str] | None = None

    def _changed(self, before: str, after: str) -> None:
        self.changes += 1
        if self.example is None:
            self.example = (before, after)

    def clean(self, text: str) -> str:
        """A label (player, node, information set, action or outcome) fit for Gambit."""
        if self.exact or (_GAMBIT_LABEL.fullmatch(text) and not _GAMBIT_BACKSLASH.search(text)):
            return text
        out = self.cache.get(text)
        if out is None:
            plain = unicodedata.normalize("NFKD", text)
            plain = "".join(c for c in plain if not unicodedata.combining(c))
            plain = "".join(
                c if " " <= c <= "~" else (" " if c.isspace() else "?") for c in plain
            )
            out = " ".join(plain.split())
            while True:  # dropping a final backslash may leave a final space, and so on
                fixed = " ".join(_fix_backslashes(out).split())
                if fixed == out:
                    break
                out = fixed
            self.cache[text] = out
            self._changed(text, out)
        return out

    def __call__(self, text: str) -> str:
        return _quote(self.clean(text))

    def distinct(self, text: str, seen: set[str]) -> str:
        """A quoted label that is not yet in ``seen`` (empty labels may repeat)."""
        out = self.clean(text)
        if out and not self.exact:
            if out in seen:
                k = 2
                while f"{out}_{k}" in seen:
                    k += 1
                self._changed(text, f"{out}_{k}")
                out = f"{out}_{k}"
            seen.add(out)
        return _quote(out)

    def free(self, text: str) -> str:
        """A quoted title or comment: any text, but Gambit misreads some backslashes."""
        if self.exact or not _GAMBIT_BACKSLASH.search(text):
            return _quote(text)
        out = _fix_backslashes(text)
        self._changed(text, out)
        return _quote(out)

    def unique(self, names: tuple[str, ...]) -> list[str]:
        """Quoted player names, distinct even where changing them made two equal."""
        seen: set[str] = set()
        out = []
        for name in names:
            label = self.clean(name)
            k = 2
            while label in seen:
                label = f"{self.clean(name)}_{k}"
                k += 1
            seen.add(label)
            out.append(_quote(label))
        return out

    def warn(self, func: str) -> None:
        if self.example is not None:
            before, after = self.example
            warnings.warn(
                f"{func}: {self.changes} label(s) were changed as Gambit requires (printable "
                "ASCII, single spaces, no doubled or final backslash, node labels and a "
                f"player's information-set labels distinct), for example {before!r} -> "
                f"{after!r}; pass labels='exact' to keep them as they are",
                NegsimWarning,
                stacklevel=3,
            )


def _fix_backslashes(text: str) -> str:
    text = re.sub(r"\\{2,}", r"\\", text)
    return _GAMBIT_BACKSLASH.sub("", text)


def _format_number(x: float, memo: dict[float, str] | None = None) -> str:
    """An exact short fraction for ``x`` if there is one, else its shortest decimal."""
    if memo is not None:
        hit = memo.get(x)
        if hit is not None:
            return hit
    x = float(x)
    if x == 0.0:
        out = "0"
    else:
        frac = Fraction(x).limit_denominator(10**6)
        if float(frac) == x and abs(frac.numerator) < 10**15:
            out = str(frac.numerator) if frac.denominator == 1 else f"{frac.numerator}/{frac.denominator}"
        else:
            out = repr(x).replace("e+", "e")
    if memo is not None:
        memo[x] = out
    return out


def _write_text(text: str, path: str | os.PathLike[str] | None) -> None:
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")


def write_efg(
    game: ExtensiveFormGame, path: str | os.PathLike[str] | None = None, *, labels: str = "gambit"
) -> str:
    """Write an extensive-form game in Gambit's ``.efg`` format.

    Parameters
    ----------
    game : ExtensiveFormGame
        A single game (not a batch).
    path : str or Path, optional
        Where to write the file (UTF-8). The text is returned either way.
    labels : {"gambit", "exact"}, optional
        ``"gambit"`` (default): write player, node, information-set, action and outcome
        labels as Gambit 16.7 requires them (printable ASCII, no leading, trailing or
        double spaces), changing those that are not, with a :class:`NegsimWarning`
        (accents are dropped, other characters become ``?``). ``"exact"``: write every
        label as it is; :func:`read_efg` reads such files, pygambit may refuse them.

    Returns
    -------
    str
        The file's text: an ``EFG 2 R`` header, the comment, and the nodes in preorder,
        each information set written with its label and actions at every node (as Gambit
        does). When the game keeps Gambit outcomes (``game.outcomes``, as games read by
        :func:`read_efg` do) they are written with their numbers, on whichever nodes they
        sit; otherwise every terminal gets an outcome of its own, labelled like the node.
        Numbers are exact fractions where a fraction with a denominator of at most a
        million gives back the same float, else the shortest decimal that does.

    Raises
    ------
    GameError
        If ``game`` is a batch of games.

    Warns
    -----
    NegsimWarning
        If labels had to be changed for Gambit (only with ``labels="gambit"``).

    Examples
    --------
    >>> from negsim.games import GameBuilder
    >>> b = GameBuilder(["Ann", "Bob"], title="Offer")
    >>> low, high = b.root.chance({"low": 1/3, "high": 2/3})
    >>> yes, no = low.decision("Bob", ["yes", "no"], infoset="Bob")
    >>> yes.terminal([1, 0.25]); no.terminal([0, 0])
    >>> high.terminal([-1, 1], label="done")
    >>> print(write_efg(b.build()))
    EFG 2 R "Offer" { "Ann" "Bob" }
    ""
    <BLANKLINE>
    c "" 1 "" { "low" 1/3 "high" 2/3 } 0
    p "" 2 1 "Bob" { "yes" "no" } 0
    t "" 2 "" { 1, 1/4 }
    t "" 3 "" { 0, 0 }
    t "done" 1 "done" { -1, 1 }
    <BLANKLINE>
    >>> read_efg(write_efg(b.build())).equals(b.build())
    True
    """
    if not isinstance(game, ExtensiveFormGame):
        raise GameError(f"write_efg writes an ExtensiveFormGame, not {type(game).__name__}")
    if game.batch_size is not None:
        raise GameError(
            f"write_efg writes a single game, but this is a batch of {game.batch_size}; "
            "write game.batch_item(i) for each i"
        )
    lab = _Labels(labels, "write_efg")
    memo: dict[float, str] = {}
    node_outcome, out_labels, out_values = _outcomes_to_write(game)
    out_text = [
        f"{k + 1} {lab(label)} {{ {', '.join(_format_number(v, memo) for v in row)} }}"
        for k, (label, row) in enumerate(zip(out_labels, out_values, strict=True))
    ]
    # information-set labels already written, per player and (last) for chance
    seen_isets: list[set[str]] = [set() for _ in range(game.num_players + 1)]
    dec_text = _decision_texts(game, lab, seen_isets)
    chance_text = _chance_texts(game, lab, memo, seen_isets[-1])
    lines = [
        f"EFG 2 R {lab.free(game.title)} {{ {' '.join(lab.unique(game.players))} }}",
        lab.free(game.comment),
        "",
    ]
    _node_lines(game, node_outcome.tolist(), out_text, dec_text, chance_text, lab, lines)
    assert len(lines) == game.num_nodes + 3
    lab.warn("write_efg")
    text = "\n".join(lines) + "\n"
    _write_text(text, path)
    return text


def _decision_texts(game: ExtensiveFormGame, lab: _Labels, seen_isets: list[set[str]]) -> list[str]:
    """What follows ``p "label"`` for each decision information set, in table order."""
    dec = game.infosets
    dec_numbers = _file_numbers(dec.player, dec.number)
    return [
        f"{int(dec.player[i]) + 1} {dec_numbers[i]} "
        f"{lab.distinct(dec.labels[i], seen_isets[int(dec.player[i])])} "
        f"{{ {' '.join(lab(a) for a in dec.actions[i])} }}"
        for i in range(len(dec))
    ]


def _chance_texts(game: ExtensiveFormGame, lab: _Labels, memo: dict[float, str], seen: set[str]) -> list[str]:
    """What follows ``c "label"`` for each chance information set, in table order."""
    # a chance information set is written with the probabilities at its first node
    cis = game.chance_infosets
    chance_numbers = _file_numbers(cis.player, cis.number)
    first = np.full(len(cis), -1, np.int64)
    chance_nodes = np.flatnonzero(game.kind == CHANCE)
    first[game.infoset[chance_nodes][::-1]] = chance_nodes[::-1]
    chance_text = []
    for i in range(len(cis)):
        h = int(first[i])
        if h < 0:
            chance_text.append("")
            continue
        start = int(game.first_child[h])
        probs = game.chance_prob[start : start + int(game.num_children[h])]
        pairs = " ".join(
            f"{lab(a)} {_format_number(p, memo)}" for a, p in zip(cis.actions[i], probs, strict=True)
        )
        label = lab.distinct(cis.labels[i], seen)
        chance_text.append(f"{chance_numbers[i]} {label} {{ {pairs} }}")
    return chance_text


def _node_lines(
    game: ExtensiveFormGame,
    outcome: list[int],
    out_text: list[str],
    dec_text: list[str],
    chance_text: list[str],
    lab: _Labels,
    lines: list[str],
) -> None:
    """Append one line per node to ``lines``, in preorder (a node, then its subtrees)."""
    kind = game.kind.tolist()
    iset = game.infoset.tolist()
    first_child = game.first_child.tolist()
    num_children = game.num_children.tolist()
    node_labels = game.node_labels
    seen_nodes: set[str] = set()
    stack = [0]
    while stack:
        h = stack.pop()
        o = outcome[h]
        tail = out_text[o] if o >= 0 else "0"
        k = kind[h]
        label = lab.distinct(node_labels[h], seen_nodes) if node_labels[h] else '""'
        if k == TERMINAL:
            lines.append(f"t {label} {tail}")
            continue
        if k == DECISION:
            lines.append(f"p {label} {dec_text[iset[h]]} {tail}")
        else:
            lines.append(f"c {label} {chance_text[iset[h]]} {tail}")
        start = first_child[h]
        stack.extend(range(start + num_children[h] - 1, start - 1, -1))


def _file_numbers(player: np.ndarray, number: np.ndarray) -> list[int]:
    """Information-set numbers to write: the game's own where they are usable (positive
    and distinct for each player), else 1, 2, ... per player in table order."""
    out = np.asarray(number, np.int64).copy()
    for p in np.unique(player):
        mine = np.flatnonzero(player == p)
        nums = out[mine]
        if np.any(nums < 1) or np.any(nums > _MAX_INDEX) or len(np.unique(nums)) < len(nums):
            out[mine] = np.arange(1, len(mine) + 1)
    return out.tolist()


def _outcomes_to_write(game: ExtensiveFormGame) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(node outcome index or -1, outcome labels, outcome payoffs) to write."""
    if game.outcomes is not None:
        labels, values, node_outcome = game.outcomes
        acc = np.zeros((game.num_nodes, game.num_players))
        has = node_outcome >= 0
        acc[has] = values[node_outcome[has]]
        offs = game.level_offsets
        for d in range(1, len(offs) - 1):
            lo, hi = int(offs[d]), int(offs[d + 1])
            acc[lo:hi] += acc[game.parent[lo:hi]]
        if np.array_equal(acc[game.terminals], game.payoffs):
            return node_outcome, list(labels), values
    node_outcome = np.full(game.num_nodes, -1, np.int64)
    node_outcome[game.terminals] = np.arange(game.num_terminals)
    labels = [game.node_labels[int(h)] for h in game.terminals]
    return node_outcome, labels, game.payoffs


# ------------------------------------------------------------------------------ .nfg
def read_nfg(source: Source) -> NormalFormGame:
    """Read a normal-form game from a Gambit ``.nfg`` file.

    Both payoff forms are read: the list of all players' payoffs profile by profile, and
    the list of outcomes followed by one outcome number per profile (``0`` = all payoffs
    zero). Profiles run with the first player's strategy changing fastest. The comment,
    if any, is not kept.

    Parameters
    ----------
    source : str, Path or bytes
        A path to the file, the file's text itself (a ``str`` that starts with ``NFG``
        after optional whitespace), or its bytes (UTF-8).

    Returns
    -------
    NormalFormGame
        Payoffs ``[n, a_1, ..., a_n]`` with the file's title, player names and strategy
        labels (``"1"``, ``"2"``, ... when the file gives only counts).

    Raises
    ------
    GameError
        If the file is malformed; the message names the line and what was expected.
    FileNotFoundError
        If ``source`` is a path (a ``Path``, or a string ending in ``.nfg``) that does
        not exist.

    Examples
    --------
    >>> game = read_nfg('''NFG 1 R "Coordination" { "Row" "Column" } { 2 2 }
    ... 1 1  0 0  0 0  2 2''')
    >>> game.payoffs[0].tolist(), game.strategies
    ([[1.0, 0.0], [0.0, 2.0]], (('1', '2'), ('1', '2')))
    >>> game = read_nfg('''NFG 1 R "" { "A" "B" } { { "u" "d" } { "l" "r" } } ""
    ... { { "win" 1, -1 } { "lose" -1, 1 } }
    ... 1 2 2 1''')
    >>> game.payoffs[1].tolist()
    [[-1.0, 1.0], [1.0, -1.0]]
    """
    text, name = _load(source, "NFG", "read_nfg")
    lex = _Lexer(text, name)
    title, players = _header(lex, "NFG", "1", "EFG")
    n = len(players)
    strategies, shape = _nfg_strategies(lex, n)
    profiles = 1
    for a in shape:
        profiles *= a
        if profiles * n > MAX_NODES:
            raise lex.error(f"the game has more than {MAX_NODES:,} payoffs, the limit")
    if lex.peek()[0] == _STR:
        lex.next()  # the comment
    if lex.peek()[0] == "{":
        table = _nfg_outcome_payoffs(lex, n, profiles)
    else:
        table = _nfg_listed_payoffs(lex, n, profiles)
    payoffs = np.stack([table[:, p].reshape(shape, order="F") for p in range(n)])
    try:
        return NormalFormGame(payoffs, players=players, strategies=strategies, title=title)
    except GameError as exc:
        raise GameError(exc.message, source=name) from None


def _nfg_strategies(lex: _Lexer, n: int) -> tuple[list[list[str]] | None, list[int]]:
    """The strategies of an ``.nfg`` header: labels (or None when given as counts) and counts."""
    lex.expect("{", "'{' to open the strategies (counts or lists of labels)")
    strategies: list[list[str]] | None = None
    shape: list[int] = []
    if lex.peek()[0] == "{":
        strategies = []
        while lex.peek()[0] == "{":
            row = lex.string_list("a strategy label", f"the strategies of player {len(strategies) + 1}")
            if not row:
                raise lex.error(f"player {len(strategies) + 1} needs at least one strategy")
            strategies.append(row)
        lex.expect("}", "'}' to close the lists of strategies")
        shape = [len(row) for row in strategies]
    else:
        while lex.peek()[0] != "}":
            shape.append(lex.integer("a number of strategies", 1))
        lex.next()
    if len(shape) != n:
        raise lex.error(f"expected strategies for {n} player(s), found {len(shape)}")
    return strategies, shape


def _nfg_outcome_payoffs(lex: _Lexer, n: int, profiles: int) -> np.ndarray:
    """Payoffs ``[profiles, n]`` given as a list of outcomes and one outcome number per profile."""
    lex.next()
    outcome_values: list[list[float]] = [[0.0] * n]
    while True:
        tok = lex.peek()
        if tok[0] == "}":
            lex.next()
            break
        if tok[0] == ",":
            lex.next()
            continue
        if tok[0] != "{":
            lex.next()
            raise lex.error(f"expected '{{' to open an outcome or '}}' to end the outcomes, found {_describe(tok)}")
        lex.next()
        outcome_values.append(_nfg_outcome(lex, n))
    values = np.array(outcome_values, np.float64)
    index = np.empty(profiles, np.int64)
    k = len(outcome_values) - 1
    for j in range(profiles):
        tok = lex.peek()
        if tok[0] == _EOF:
            raise lex.error(f"expected {profiles} outcome numbers (one per profile), found {j}", tok[2])
        o = lex.integer(f"an outcome number between 0 and {k}")
        if o > k:
            raise lex.error(f"outcome {o} does not exist; there are {k} outcome(s)")
        index[j] = o
    lex.end("the outcome numbers of all profiles")
    return values[index]


def _nfg_outcome(lex: _Lexer, n: int) -> list[float]:
    """The rest of one outcome after its ``{``: an optional label, ``n`` payoffs and ``}``."""
    if lex.peek()[0] == _STR:
        lex.next()
    row: list[float] = []
    while True:
        tok = lex.peek()
        if tok[0] == ",":
            lex.next()
            continue
        if tok[0] == "}":
            lex.next()
            break
        if len(row) == n:
            lex.next()
            raise lex.error(f"expected '}}' after {n} payoffs (one per player), found {_describe(tok)}")
        row.append(lex.number("a payoff")[0])
    if len(row) != n:
        raise lex.error(f"expected {n} payoffs (one per player), found {len(row)}")
    return row


def _nfg_listed_payoffs(lex: _Lexer, n: int, profiles: int) -> np.ndarray:
    """Payoffs ``[profiles, n]`` given as all players' payoffs, profile by profile."""
    table = np.empty((profiles, n), np.float64)
    for j in range(profiles):
        for p in range(n):
            tok = lex.peek()
            if tok[0] == ",":
                lex.next()
                tok = lex.peek()
            if tok[0] == _EOF:
                raise lex.error(
                    f"expected {profiles * n} payoffs ({n} for each of {profiles} profiles), "
                    f"found {j * n + p}",
                    tok[2],
                )
            table[j, p] = lex.number("a payoff")[0]
    if lex.peek()[0] == ",":
        lex.next()
    lex.end(f"the {profiles * n} payoffs")
    return table


def write_nfg(
    game: NormalFormGame, path: str | os.PathLike[str] | None = None, *, labels: str = "gambit"
) -> str:
    """Write a normal-form game in Gambit's ``.nfg`` format.

    The strategies are written as labels and the payoffs as one line per profile (all
    players' payoffs; the first player's strategy changes fastest), as pygambit does.

    Parameters
    ----------
    game : NormalFormGame
        A single game (not a batch).
    path : str or Path, optional
        Where to write the file (UTF-8). The text is returned either way.
    labels : {"gambit", "exact"}, optional
        As in :func:`write_efg`: change player and strategy labels that Gambit 16.7 would
        refuse (default), or write them as they are.

    Returns
    -------
    str
        The file's text.

    Raises
    ------
    GameError
        If ``game`` is a batch of games.

    Warns
    -----
    NegsimWarning
        If labels had to be changed for Gambit (only with ``labels="gambit"``).

    Examples
    --------
    >>> from negsim.games import NormalFormGame
    >>> game = NormalFormGame.zero_sum([[1, -1], [-1, 0.5]], players=["Row", "Column"],
    ...                                strategies=[["H", "T"], ["H", "T"]], title="Pennies")
    >>> print(write_nfg(game))
    NFG 1 R "Pennies" { "Row" "Column" }
    <BLANKLINE>
    { { "H" "T" }
    { "H" "T" }
    }
    ""
    <BLANKLINE>
    1 -1
    -1 1
    -1 1
    1/2 -1/2
    <BLANKLINE>
    >>> read_nfg(write_nfg(game)).equals(game)
    True
    """
    if not isinstance(game, NormalFormGame):
        raise GameError(f"write_nfg writes a NormalFormGame, not {type(game).__name__}")
    if game.batch_size is not None:
        raise GameError(
            f"write_nfg writes a single game, but this is a batch of {game.batch_size}; "
            "write game.batch_item(i) for each i"
        )
    n = game.num_players
    lab = _Labels(labels, "write_nfg")
    memo: dict[float, str] = {}
    lines = [
        f"NFG 1 R {lab.free(game.title)} {{ {' '.join(lab.unique(game.players))} }}",
        "",
    ]
    rows = [f"{{ {' '.join(lab(s) for s in row)} }}" for row in game.strategies]
    rows[0] = "{ " + rows[0]
    lines.extend(rows)
    lines.extend(["}", '""', ""])
    table = np.stack([game.payoffs[p].ravel(order="F") for p in range(n)], axis=1)
    lines.extend(" ".join(_format_number(v, memo) for v in row) for row in table.tolist())
    lab.warn("write_nfg")
    text = "\n".join(lines) + "\n"
    _write_text(text, path)
    return text
