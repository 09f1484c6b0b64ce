"""Random games for property-based tests, and slow reference computations to check them by.

Hypothesis strategies
---------------------
- :func:`extensive_games`: random :class:`~negsim.games.ExtensiveFormGame` trees built with
  :class:`~negsim.games.GameBuilder`, with chance nodes, information sets and (optionally)
  perfect recall and zero-sum payoffs.
- :func:`perfect_information_games`: the same without hidden moves.
- :func:`normal_form_games`: random :class:`~negsim.games.NormalFormGame` payoff tensors.

How the random trees get their information sets
-----------------------------------------------
Every player keeps an *observation history*. When a player moves, they record their own
action; when chance or another player moves, each player either sees the action, learns
only that a move was made, or notices nothing (drawn per depth, so that many nodes share
what a player knows, as in poker). A player's information set at a node is their
observation history there. Since the history contains the player's own earlier actions,
the game has perfect recall (and no absent-mindedness); ``perfect_recall=False`` lets
players sometimes forget their own action, which may (not must) break perfect recall.
The number of actions of an information set is drawn once per information set.

Reference computations
----------------------
Plain recursive walks over the tree, written without the sequence-form view, so that
tests can check the vectorized code against them: :func:`expected_payoffs_by_walk`,
:func:`realization_plans_by_walk`, :func:`sequence_numbering`, plus
:func:`random_behaviour`, :func:`random_chance_probs`, :func:`efg_text` (a Gambit
``.efg`` writer independent of :mod:`negsim.io`), :func:`rebuild` (a game written again
with :class:`~negsim.games.GameBuilder`, actions optionally permuted) and
:func:`matrix_game_value`.
Keep generated games small (at most ``max_nodes`` nodes): the walks are slow on purpose.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from negsim.games import CHANCE, DECISION, TERMINAL, ExtensiveFormGame, GameBuilder, NormalFormGame

__all__ = [
    "extensive_games",
    "perfect_information_games",
    "normal_form_games",
    "sequence_numbering",
    "random_behaviour",
    "random_chance_probs",
    "expected_payoffs_by_walk",
    "realization_plans_by_walk",
    "efg_text",
    "matrix_game_value",
    "behaviour_of",
    "best_response_by_walk",
    "nash_conv_by_walk",
]

_SEE, _NOTICE, _BLIND = 0, 1, 2  # what an observer learns of someone else's move


# ---------------------------------------------------------------------------- strategies
@st.composite
def extensive_games(
    draw: Any,
    min_players: int = 2,
    max_players: int = 3,
    max_depth: int = 5,
    chance: bool = True,
    imperfect_information: bool = True,
    perfect_recall: bool = True,
    zero_sum: bool = False,
    max_actions: int = 3,
    max_nodes: int = 200,
) -> ExtensiveFormGame:
    """Random extensive-form games.

    Parameters
    ----------
    min_players, max_players : int
        Range of the number of players (``zero_sum`` needs 2 and uses 2).
    max_depth : int
        Longest path from the root, in moves.
    chance : bool
        Whether chance nodes may appear.
    imperfect_information : bool
        Whether moves may be hidden from other players (information sets with several
        nodes). With ``False`` every information set holds one node.
    perfect_recall : bool
        With ``True`` (default) the game has perfect recall; with ``False`` players may
        forget their own actions, so the game may lack perfect recall.
    zero_sum : bool
        Two players with payoffs ``(u, -u)``.
    max_actions : int
        Most actions (or chance outcomes) at a node; information sets may have 1 action.
    max_nodes : int
        Size limit: nodes that would grow the tree past it become terminals.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, deadline=None)
    ... @given(extensive_games(zero_sum=True))
    ... def check(game):
    ...     assert game.is_zero_sum() and game.has_perfect_recall
    >>> check()
    """
    if zero_sum:
        if min_players > 2:
            raise InvalidArgument("zero_sum games have two players")
        min_players = max_players = 2
    if not 1 <= min_players <= max_players:
        raise InvalidArgument(f"bad player range {min_players}..{max_players}")
    if max_actions < 1 or max_depth < 0:
        raise InvalidArgument("need max_actions >= 1 and max_depth >= 0")
    n = draw(st.integers(min_players, max_players), label="players")
    movers = list(range(n)) + ([-1] if chance else [])
    # a per-depth plan (who moves, what others learn), which individual nodes may leave
    plan = [draw(st.sampled_from(movers)) for _ in range(max_depth)]
    if imperfect_information:
        seen = [[draw(st.sampled_from((_BLIND, _NOTICE, _SEE))) for _ in range(n)] for _ in range(max_depth)]
    else:
        seen = [[_SEE] * n for _ in range(max_depth)]
    forget = [(not perfect_recall) and draw(st.integers(0, 2)) == 1 for _ in range(max_depth)]
    builder = GameBuilder([f"P{i}" for i in range(n)], title="random game")
    num_actions: dict[tuple[int, tuple], int] = {}
    labels: dict[tuple[int, tuple], str] = {}
    size = [1]

    def payoff() -> list[float]:
        if zero_sum:
            u = draw(st.integers(-10, 10)) / 2
            return [u, -u]
        return [draw(st.integers(-10, 10)) / 2 for _ in range(n)]

    def grow(node: Any, depth: int, obs: tuple[tuple, ...]) -> None:
        # hypothesis favours small and boundary values; test for a middle one, so that
        # a node stops early in about one case in ten
        stop = depth >= max_depth or draw(st.integers(0, 9), label="stop") == 6
        if stop:
            node.terminal(payoff())
            return
        mover = plan[depth]
        if draw(st.integers(0, 7), label="leave plan") == 5:
            mover = draw(st.sampled_from(movers))
        if mover == -1:
            k = draw(st.integers(1, max_actions))
        else:
            key = (mover, obs[mover])
            if key not in num_actions:
                num_actions[key] = draw(st.integers(1, max_actions))
                labels[key] = f"I{len(labels)}"
            k = num_actions[key]
        if size[0] + k > max_nodes:
            node.terminal(payoff())
            return
        size[0] += k
        if mover == -1:
            weights = [draw(st.integers(0, 4)) for _ in range(k)]
            if sum(weights) == 0:
                weights[0] = 1
            total = sum(weights)
            children = node.chance([(f"c{j}", Fraction(w, total)) for j, w in enumerate(weights)])
        else:
            infoset = labels[(mover, obs[mover])] if imperfect_information else None
            children = node.decision(mover, [f"a{j}" for j in range(k)], infoset=infoset)
        for a, child in enumerate(children):
            new = []
            for q in range(n):
                if q == mover:
                    event = () if forget[depth] else (("own", a),)
                else:
                    how = seen[depth][q]
                    event = {
                        _SEE: (("saw", mover, a),),
                        _NOTICE: (("moved", mover),),
                        _BLIND: (),
                    }[how]
                new.append(obs[q] + event)
            grow(child, depth + 1, tuple(new))

    grow(builder.root, 0, tuple(() for _ in range(n)))
    return builder.build()


def perfect_information_games(
    min_players: int = 2,
    max_players: int = 3,
    max_depth: int = 5,
    chance: bool = True,
    zero_sum: bool = False,
    max_actions: int = 3,
    max_nodes: int = 200,
) -> st.SearchStrategy[ExtensiveFormGame]:
    """Random games of perfect information (every information set holds one node).

    Parameters are those of :func:`extensive_games`.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, deadline=None)
    ... @given(perfect_information_games())
    ... def check(game):
    ...     assert game.is_perfect_information
    >>> check()
    """
    return extensive_games(
        min_players=min_players,
        max_players=max_players,
        max_depth=max_depth,
        chance=chance,
        imperfect_information=False,
        perfect_recall=True,
        zero_sum=zero_sum,
        max_actions=max_actions,
        max_nodes=max_nodes,
    )


@st.composite
def normal_form_games(
    draw: Any,
    min_players: int = 2,
    max_players: int = 4,
    max_actions: int = 4,
    zero_sum: bool = False,
    batch_size: int | None = None,
) -> NormalFormGame:
    """Random normal-form games with small half-integer payoffs.

    Parameters
    ----------
    min_players, max_players : int
        Range of the number of players.
    max_actions : int
        Most strategies per player (each player has 1 .. ``max_actions``).
    zero_sum : bool
        Two players with payoffs ``(A, -A)``.
    batch_size : int, optional
        Make a batch of this many games of the same shape.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, deadline=None)
    ... @given(normal_form_games(max_players=3))
    ... def check(game):
    ...     assert game.payoffs.shape == (game.num_players,) + game.shape
    >>> check()
    """
    if zero_sum:
        min_players = max_players = 2
    n = draw(st.integers(min_players, max_players))
    shape = tuple(draw(st.integers(1, max_actions)) for _ in range(n))
    lead = () if batch_size is None else (batch_size,)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if zero_sum:
        a = rng.integers(-10, 11, size=lead + shape) / 2
        payoffs = np.stack([a, -a], axis=len(lead))
    else:
        payoffs = rng.integers(-10, 11, size=lead + (n,) + shape) / 2
    strategies = [[f"s{p}.{j}" for j in range(a)] for p, a in enumerate(shape)]
    return NormalFormGame(
        payoffs,
        players=[f"P{p}" for p in range(n)],
        strategies=strategies,
        batched=batch_size is not None,
    )


# ---------------------------------------------------------------------------- helpers
def sequence_numbering(game: ExtensiveFormGame) -> np.ndarray:
    """The first sequence number of every decision information set (global index).

    Follows the documented numbering, computed from the information set table only:
    sequence 0 of each player is empty; player ``p``'s sequences ``1 .. S_p`` are
    ``(information set, action)`` pairs in order of local information set, then action.
    Sequence of action ``a`` at global information set ``i`` is ``first[i] + a``.
    """
    first = np.zeros(len(game.infosets), np.int64)
    nxt = [1] * game.num_players
    for i in range(len(game.infosets)):
        p = int(game.infosets.player[i])
        first[i] = nxt[p]
        nxt[p] += len(game.infosets.actions[i])
    return first


def random_behaviour(game: ExtensiveFormGame, rng: np.random.Generator, *, zeros: bool = True) -> list[np.ndarray]:
    """A random behaviour profile: one probability vector per decision information set.

    Parameters
    ----------
    game : ExtensiveFormGame
    rng : numpy.random.Generator
    zeros : bool
        Whether some actions may get probability 0 (about one in five).

    Returns
    -------
    list of ndarray
        ``behaviour[i][a]``: probability of action ``a`` at global information set ``i``.
    """
    out = []
    for acts in game.infosets.actions:
        w = rng.random(len(acts))
        if zeros:
            w[rng.random(len(acts)) < 0.2] = 0.0
        if w.sum() == 0:
            w[rng.integers(len(acts))] = 1.0
        out.append(w / w.sum())
    return out


def random_chance_probs(game: ExtensiveFormGame, rng: np.random.Generator, batch_size: int | None = None) -> np.ndarray:
    """New edge probabilities ``[N]`` (or ``[B, N]``) that respect chance information sets.

    Edges that do not leave a chance node keep probability 1; each chance information set
    gets one random distribution (per batch item), shared by all its nodes.
    """
    lead = () if batch_size is None else (batch_size,)
    out = np.ones(lead + (game.num_nodes,))
    tables = []
    for acts in game.chance_infosets.actions:
        w = rng.random(lead + (len(acts),)) + 0.05
        tables.append(w / w.sum(axis=-1, keepdims=True))
    for h in np.flatnonzero(game.kind == CHANCE):
        kids = game.children(int(h))
        out[..., kids] = tables[int(game.infoset[h])]
    return out


def expected_payoffs_by_walk(game: ExtensiveFormGame, behaviour: list[Any]) -> np.ndarray:
    """Expected payoffs ``[n]`` (``[B, n]`` for a batch) by a plain recursive walk.

    Branches of probability 0 (chance, or behaviour) are not entered, so
    ``behaviour[i]`` may be ``None`` (or contain NaN) at information sets the profile
    never reaches.
    """

    lead = () if game.batch_size is None else (game.batch_size,)

    def value(h: int) -> np.ndarray:
        k = int(game.kind[h])
        if k == TERMINAL:
            return game.payoffs[..., int(game.terminal_index[h]), :]
        total: Any = 0.0
        for a, child in enumerate(game.children(h)):
            if k == CHANCE:
                prob = game.chance_prob[..., child]
                if np.all(prob == 0):
                    continue
                total = total + prob[..., None] * value(int(child))
            else:
                prob = behaviour[int(game.infoset[h])][a]
                if prob == 0:
                    continue
                total = total + prob * value(int(child))
        return np.broadcast_to(total, lead + (game.num_players,))

    return np.array(value(0), dtype=np.float64)


def realization_plans_by_walk(game: ExtensiveFormGame, behaviour: list[Any]) -> list[np.ndarray]:
    """Each player's realization plan ``x_p[S_p + 1]`` of a behaviour profile, by a walk.

    ``x_p[s]`` is the product of ``p``'s behaviour probabilities along sequence ``s``
    (sequences numbered as in :func:`sequence_numbering`; ``x_p[0] = 1``). Needs perfect
    recall (the walk checks that every node of an information set gives the same value).
    """
    first = sequence_numbering(game)
    plans = [np.full(s + 1, np.nan) for s in game.num_sequences]
    for x in plans:
        x[0] = 1.0

    def walk(h: int, reach: list[float]) -> None:
        if game.kind[h] == TERMINAL:
            return
        for a, child in enumerate(game.children(h)):
            nxt = list(reach)
            if game.kind[h] == DECISION:
                p, i = int(game.player[h]), int(game.infoset[h])
                s = int(first[i]) + a
                nxt[p] = reach[p] * float(behaviour[i][a])
                if np.isnan(plans[p][s]):
                    plans[p][s] = nxt[p]
                elif not np.isclose(plans[p][s], nxt[p], rtol=1e-12, atol=1e-15):
                    raise AssertionError(f"sequence {s} of player {p} has two realization values")
            walk(int(child), nxt)

    walk(0, [1.0] * game.num_players)
    return plans


def behaviour_of(game: ExtensiveFormGame, profile) -> list[np.ndarray]:
    """Probabilities per global information set, from the profile's sequence order."""
    first = sequence_numbering(game)
    out = []
    for i, acts in enumerate(game.infosets.actions):
        p = int(game.infosets.player[i])
        start = int(first[i]) - 1
        out.append(np.asarray(profile.probabilities[p][start : start + len(acts)], float))
    return out


def best_response_by_walk(game: ExtensiveFormGame, behaviour: list[np.ndarray], player: int) -> float:
    """A best response's value by walks: information sets decided deepest (in own moves) first."""
    reach = np.zeros(game.num_nodes)  # chance's and the other players' probability of reaching each node
    own_depth = np.zeros(game.num_nodes, int)

    def down(h: int, r: float, depth: int) -> None:
        reach[h], own_depth[h] = r, depth
        kind = int(game.kind[h])
        for a, child in enumerate(game.children(h)):
            if kind == CHANCE:
                down(int(child), r * float(game.chance_prob[child]), depth)
            elif int(game.player[h]) == player:
                down(int(child), r, depth + 1)
            else:
                down(int(child), r * float(behaviour[int(game.infoset[h])][a]), depth)

    down(0, 1.0, 0)
    choice: dict[int, int] = {}

    def value(h: int) -> float:
        kind = int(game.kind[h])
        if kind == TERMINAL:
            return float(game.payoffs[int(game.terminal_index[h]), player])
        kids = game.children(h)
        if kind == CHANCE:
            return sum(float(game.chance_prob[c]) * value(int(c)) for c in kids)
        g = int(game.infoset[h])
        if int(game.player[h]) == player:
            return value(int(kids[choice[g]]))
        return sum(float(q) * value(int(c)) for q, c in zip(behaviour[g], kids, strict=True) if q > 0)

    mine = [h for h in range(game.num_nodes) if game.kind[h] == DECISION and int(game.player[h]) == player]
    infosets: dict[int, list[int]] = {}
    for h in mine:
        infosets.setdefault(int(game.infoset[h]), []).append(h)
    for g, nodes in sorted(infosets.items(), key=lambda item: -own_depth[item[1][0]]):
        k = len(game.infosets.actions[g])
        gains = [sum(reach[h] * value(int(game.children(h)[a])) for h in nodes) for a in range(k)]
        choice[g] = int(np.argmax(gains))
    return value(0)


def nash_conv_by_walk(game: ExtensiveFormGame, behaviour: list[Any]) -> float:
    """NashConv of a behaviour profile (one vector per information set), by walks; perfect recall."""
    values = expected_payoffs_by_walk(game, behaviour)
    return sum(best_response_by_walk(game, behaviour, p) - values[p] for p in range(game.num_players))


def rebuild(game: ExtensiveFormGame, perms: list[list[int]] | None = None) -> ExtensiveFormGame:
    """The same game written again with GameBuilder, the actions of information set ``g`` in
    the order ``perms[g]``; information set ``g`` is labelled ``I<g>``."""
    b = GameBuilder(game.players)

    def grow(node, h: int) -> None:
        kids = game.children(h)
        kind = int(game.kind[h])
        if kind == TERMINAL:
            node.terminal(game.payoffs[int(game.terminal_index[h])].tolist())
        elif kind == CHANCE:
            acts = game.chance_infosets.actions[int(game.infoset[h])]
            made = node.chance([(a, float(game.chance_prob[c])) for a, c in zip(acts, kids, strict=True)])
            for child, old in zip(made, kids, strict=True):
                grow(child, int(old))
        else:
            g = int(game.infoset[h])
            order = perms[g] if perms is not None else list(range(len(kids)))
            acts = game.infosets.actions[g]
            made = node.decision(int(game.player[h]), [acts[j] for j in order], infoset=f"I{g}")
            for child, j in zip(made, order, strict=True):
                grow(child, int(kids[j]))

    grow(b.root, 0)
    return b.build()


def _efg_name(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def efg_text(game: ExtensiveFormGame) -> str:
    """The game as a Gambit ``.efg`` text, written by a small writer independent of negsim.io.

    Chance probabilities are written as fractions (``limit_denominator(10**6)``), so that
    Gambit sees them sum to exactly 1 for games made by :func:`extensive_games`. Each
    terminal gets its own outcome, labelled ``z<index>``; the information set with global
    index ``i`` is labelled ``i<i>`` (Gambit may list a player's information sets in
    another order than negsim).
    """
    if game.batch_size is not None:
        raise ValueError("efg_text writes single games")
    lines = [
        "EFG 2 R " + _efg_name(game.title) + " { " + " ".join(_efg_name(p) for p in game.players) + " }",
        '""',
    ]

    def number(x: float) -> str:
        f = Fraction(float(x)).limit_denominator(10**6)
        return str(f)

    stack = [0]
    while stack:
        h = stack.pop()
        k = int(game.kind[h])
        if k == TERMINAL:
            z = int(game.terminal_index[h])
            pay = ", ".join(number(v) for v in game.payoffs[z])
            lines.append(f't "" {z + 1} "z{z}" {{ {pay} }}')
        elif k == CHANCE:
            i = int(game.infoset[h])
            acts = game.chance_infosets.actions[i]
            kids = game.children(h)
            body = " ".join(f"{_efg_name(a)} {number(game.chance_prob[c])}" for a, c in zip(acts, kids, strict=True))
            lines.append(f'c "" {i + 1} "" {{ {body} }} 0')
        else:
            i = int(game.infoset[h])
            p = int(game.player[h])
            body = " ".join(_efg_name(a) for a in game.infosets.actions[i])
            num = int(game.infosets.number[i])
            lines.append(f'p "" {p + 1} {num} "i{i}" {{ {body} }} 0')
        stack.extend(int(c) for c in game.children(h)[::-1])
    return "\n".join(lines) + "\n"


def matrix_game_value(matrix: Any) -> float:
    """The value (for the row player, who maximizes) of a zero-sum matrix game, by LP.

    Examples
    --------
    >>> round(matrix_game_value([[1, -1], [-1, 1]]), 12)
    0.0
    >>> round(matrix_game_value([[3, 0], [0, 1]]), 12)
    0.75
    """
    from scipy.optimize import linprog

    a = np.asarray(matrix, np.float64)
    m, k = a.shape
    # variables (x_1..x_m, v): maximize v subject to x^T A >= v, sum x = 1, x >= 0
    c = np.zeros(m + 1)
    c[-1] = -1.0
    a_ub = np.hstack([-a.T, np.ones((k, 1))])
    a_eq = np.concatenate([np.ones(m), [0.0]])[None, :]
    bounds = [(0, None)] * m + [(None, None)]
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(k), A_eq=a_eq, b_eq=[1.0], bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"linprog failed: {res.message}")
    return float(-res.fun)
