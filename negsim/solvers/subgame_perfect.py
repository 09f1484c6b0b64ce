"""Subgame-perfect equilibria of extensive games with imperfect information.

A node ``h`` roots a *subgame* when every information set lies entirely inside or
entirely outside the subtree of ``h`` (Selten 1965, 1975); the whole game is a subgame
of itself. A profile is a *subgame-perfect equilibrium* (SPE) when its restriction to
every subgame is a Nash equilibrium of that subgame, so that no equilibrium rests on a
threat its maker would not carry out once called to act. In negotiation models this is
what separates a credible ceasefire or sanctions threat from an empty one.

Finding the subgames
    :func:`subgames` checks all nodes at once. From the breadth-first arrays it computes,
    level by level (bottom-up for subtree sizes, top-down for positions), each node's
    position ``pre[h]`` in depth-first preorder and its subtree size, so that the subtree
    of ``h`` is the preorder range ``[pre[h], pre[h] + size[h])``. Every information set
    gets the preorder span ``[lo, hi]`` of its nodes, and every node the smallest ``lo``
    and largest ``hi`` over its subtree (one segment reduction per level). ``h`` roots a
    subgame exactly when that span lies within its own range. The work is linear in the
    number of nodes, with a Python loop over depth levels only.

Solving bottom-up
    :func:`spe` cuts the tree at the subgame roots that matter: each root whose subtree
    holds an information set of two or more nodes, and the top of each maximal subtree of
    perfect information. Each *region* between a cut and the cuts below it becomes a game
    of its own (built with :func:`negsim.games.game_from_tree`) in which every cut below
    is a terminal worth the values of the equilibrium already found there. The maximal
    subtrees of perfect information have no cuts below them; they are gathered as the
    branches of one game under an extra chance root and solved together by one call of
    :func:`~negsim.solvers.backward_induction.backward_induction` (which handles every
    node inside them, each a subgame root, at once). The other regions are solved from
    the deepest up: by the sequence-form LP (:func:`~negsim.solvers.sequence_lp.sequence_lp`)
    for two-player zero-sum regions, by Lemke's algorithm
    (:func:`~negsim.solvers.lemke.lemke`) for other two-player regions, by backward
    induction where the region itself has perfect information, by a best response when
    only one player moves, and by CFR+ otherwise. The behaviour found in each region is
    the SPE's behaviour there (every information set lies in exactly one region). An
    equilibrium of each region combined with equilibria of the subgames below is an
    equilibrium of every subgame, hence an SPE; it is exact where the region solvers are
    exact, and as good as CFR+'s NashConv in regions of three or more players
    (``info["subgames"]`` lists each region's NashConv). The cost is one solver call per
    region with imperfect information plus one for all of perfect information.

Non-credible threats
    :func:`non_credible_threats` takes any profile (typically a Nash equilibrium) and
    lists the actions it plays at an information set reached within the smallest subgame
    that contains it, but that a best response there would not play: their *loss* is
    what the player gives up, conditional on reaching the information set, by playing the
    action (and best responding afterwards) instead of the best action. The list is empty
    exactly when the profile is subgame perfect: a player's gain from deviating in a
    subgame is the reach-weighted sum of these losses.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from negsim.errors import GameError, SolverError
from negsim.games.extensive import DECISION, ExtensiveFormGame
from negsim.games.profile import BehaviorProfile
from negsim.solvers._plex import Evaluator
from negsim.solvers._subgame_regions import child_blocks, cut_regions, sequence_maps, structure, with_values
from negsim.solvers.backward_induction import backward_induction
from negsim.solvers.best_response import best_response, expected_values, nash_conv
from negsim.solvers.solution import Solution

__all__ = ["subgames", "spe", "non_credible_threats", "SPE_METHODS"]

SPE_METHODS = ("auto", "lp", "lemke", "cfr", "cfr+", "lcfr", "dcfr")
"""Methods :func:`spe` accepts for regions with imperfect information."""

_PROBABILITY_FLOOR = 1e-12  # actions played with less are not reported as threats


def subgames(game: ExtensiveFormGame) -> np.ndarray:
    """The nodes that root a subgame (see the module docstring).

    Parameters
    ----------
    game : ExtensiveFormGame
        Any extensive game (perfect recall is not needed).

    Returns
    -------
    ndarray of int
        The roots in breadth-first order; node 0 (the whole game) comes first. Terminal
        nodes are not listed.

    Examples
    --------
    In Kuhn poker the second player's information sets span the deals, so the only
    subgame is the game itself; in the ultimatum game every decision node roots one.

    >>> from negsim.games import library
    >>> subgames(library.kuhn_poker())
    array([0])
    >>> len(subgames(library.ultimatum(pie=4)))
    6
    """
    if not isinstance(game, ExtensiveFormGame):
        raise SolverError(f"subgames are defined for extensive-form games, not {type(game).__name__}")
    return np.flatnonzero(structure(game).is_root)


def _node_values(game: ExtensiveFormGame, profile: BehaviorProfile) -> np.ndarray:
    """Expected payoffs at every node under a profile: ``[N, n]`` or ``[B, N, n]``."""
    B = game.batch_size
    lead = () if B is None else (B,)
    behaviour = _flat_behaviour(game, profile.probabilities)
    chance = np.broadcast_to(game.chance_prob, lead + (game.num_nodes,))
    value = np.zeros(lead + (game.num_nodes, game.num_players))
    value[..., game.terminals, :] = game.payoffs
    first_seq = _first_sequences(game)
    for d in range(len(game.level_offsets) - 3, -1, -1):
        inner, starts, hi, end = child_blocks(game, d)
        if inner.size == 0:
            continue
        edges = np.arange(hi, end)
        par = game.parent[edges]
        dec = game.kind[par] == DECISION
        weight = chance[..., edges].copy()
        weight[..., dec] = behaviour[..., first_seq[game.infoset[par[dec]]] + game.action[edges[dec]]]
        value[..., inner, :] = np.add.reduceat(weight[..., None] * value[..., edges, :], starts, axis=-2)
    return value


def _first_sequences(game: ExtensiveFormGame) -> np.ndarray:
    """Position of each global information set's first action in the flat behaviour vector."""
    flat_start = np.concatenate(([0], np.cumsum(game.num_sequences)))
    first = np.zeros(len(game.infosets), np.int64)
    for p in range(game.num_players):
        first[game.player_infosets(p)] = flat_start[p] + game.sequence_form.sequence_start[p][:-1] - 1
    return first


def _flat_behaviour(game: ExtensiveFormGame, probabilities: Any) -> np.ndarray:
    parts = [np.asarray(a) for a in probabilities]
    lead = () if game.batch_size is None else (game.batch_size,)
    parts = [np.broadcast_to(a, lead + a.shape[-1:]) for a in parts]
    return np.concatenate(parts, axis=-1) if parts else np.zeros(lead + (0,))


# ---------------------------------------------------------------------------- spe
def spe(
    game: ExtensiveFormGame,
    *,
    method: str = "auto",
    iterations: int = 2000,
    ties: str = "first",
) -> Solution:
    """A subgame-perfect equilibrium, solving the subgames from the deepest up.

    Parameters
    ----------
    game : ExtensiveFormGame
        A game with perfect recall, any number of players; a batch is solved region by
        region with each region's solver run on the whole batch.
    method : {"auto", "lp", "lemke", "cfr", "cfr+", "lcfr", "dcfr"}
        The solver for regions with imperfect information (regions of perfect
        information always use backward induction, regions where one player moves a
        best response). ``"auto"``: the LP for two-player zero-sum regions, Lemke for
        other two-player regions, CFR+ for more players.
    iterations : int
        Iterations of CFR in the regions it solves.
    ties : {"first", "uniform"}
        Tie-breaking of backward induction.

    Returns
    -------
    Solution
        ``method="spe"``; the combined behaviour ``profile`` on the original game, its
        ``values`` and whole-game ``nash_conv``; ``info["subgames"]`` lists the regions
        solved (``root`` node, ``nodes``, ``method`` and the region's ``nash_conv``),
        ``info["roots"]`` all subgame roots and ``info["subgame_perfect"]`` whether every
        region was solved exactly (CFR's regions are approximate).

    Raises
    ------
    SolverError
        If the game lacks perfect recall, the method is unknown or does not fit a region
        (for example ``"lp"`` on a general-sum region).

    Examples
    --------
    Entry deterrence: the entrant stays out if the incumbent fights, but fighting costs
    the incumbent more than accommodating once entry has happened. The only SPE is
    (enter, accommodate).

    >>> from negsim.games import GameBuilder
    >>> b = GameBuilder(["Entrant", "Incumbent"])
    >>> out, enter = b.root.decision("Entrant", ["out", "enter"])
    >>> out.terminal([0, 2])
    >>> fight, accommodate = enter.decision("Incumbent", ["fight", "accommodate"])
    >>> fight.terminal([-1, -1])
    >>> accommodate.terminal([1, 1])
    >>> solution = spe(b.build())
    >>> solution.values, solution.profile.action_probabilities(1, 0)
    (array([1., 1.]), {'fight': 0.0, 'accommodate': 1.0})
    """
    started = time.perf_counter()
    if not isinstance(game, ExtensiveFormGame):
        raise SolverError(f"spe solves extensive-form games, not {type(game).__name__}")
    if method not in SPE_METHODS:
        raise SolverError(f"unknown method {method!r} for spe; choose one of {', '.join(SPE_METHODS)}")
    game.require_perfect_recall('spe', error=SolverError)
    st = structure(game)
    if game.is_perfect_information:
        solution = backward_induction(game, ties=ties)
        regions_info = [{"root": 0, "nodes": game.num_nodes, "method": "backward", "nash_conv": solution.nash_conv}]
        return _spe_solution(game, solution.profile, st, regions_info, True, started)
    B = game.batch_size
    lead = () if B is None else (B,)
    probs = [np.full(lead + (s,), np.nan) for s in game.num_sequences]
    values: dict[int, np.ndarray] = {}
    regions_info = []
    exact = True
    forest, regions = cut_regions(game, st)
    if forest is not None:
        # every maximal subtree of perfect information at once, by one backward induction
        sub = with_values(game, forest, values)
        solution = backward_induction(sub, ties=ties)
        node_values = _node_values(sub, solution.profile)
        for top, where in zip(forest.tops, forest.top_local, strict=True):
            values[int(top)] = node_values[..., where, :]
        for p, (src, dst) in enumerate(sequence_maps(game, forest)):
            probs[p][..., dst] = solution.profile.probabilities[p][..., src]
        for top in forest.tops:
            regions_info.append(
                {"root": int(top), "nodes": int(st.size[top]), "method": "backward", "nash_conv": solution.nash_conv}
            )
    for region in regions:
        sub = with_values(game, region, values)
        solution, name = _solve_region(sub, method, iterations, ties)
        exact &= name in ("backward", "lp", "lemke", "best response")
        values[region.root] = np.asarray(solution.values)
        for p, (src, dst) in enumerate(sequence_maps(game, region)):
            probs[p][..., dst] = solution.profile.probabilities[p][..., src]
        regions_info.append(
            {"root": region.root, "nodes": int(region.nodes.size), "method": name, "nash_conv": solution.nash_conv}
        )
    if any(np.isnan(p).any() for p in probs):  # pragma: no cover - every information set lies in a region
        raise SolverError("internal error: an information set was left out of every subgame")
    profile = BehaviorProfile(game, probs)
    return _spe_solution(game, profile, st, regions_info, exact, started)


def _solve_region(game: ExtensiveFormGame, method: str, iterations: int, ties: str) -> tuple[Solution, str]:
    movers = np.flatnonzero(np.asarray(game.num_infosets) > 0)
    if game.is_perfect_information:
        return backward_induction(game, ties=ties), "backward"
    if movers.size == 1:
        return _single_mover(game, int(movers[0])), "best response"
    two = game.num_players == 2
    if method == "auto":
        method = ("lp" if game.is_constant_sum() else "lemke") if two else "cfr+"
    if method == "lp":
        from negsim.solvers.sequence_lp import sequence_lp

        return sequence_lp(game), "lp"
    if method == "lemke":
        from negsim.solvers.lemke import lemke

        return lemke(game), "lemke"
    from negsim.solvers._cfr import cfr

    return cfr(game, variant=method, iterations=iterations), method


def _single_mover(game: ExtensiveFormGame, player: int) -> Solution:
    """A region where one player moves: her best response (the others have no choices)."""
    uniform = BehaviorProfile.uniform(game)
    probs = [np.broadcast_to(a, ((game.batch_size,) if game.batch_size else ()) + a.shape).copy()
             for a in uniform.probabilities]
    probs[player] = best_response(game, uniform, player).probabilities
    profile = BehaviorProfile(game, probs)
    return Solution(
        method="best response",
        profile=profile,
        values=expected_values(game, profile),
        nash_conv=nash_conv(game, profile),
    )


def _spe_solution(game, profile, st, regions_info, exact, started) -> Solution:
    return Solution(
        method="spe",
        profile=profile,
        values=expected_values(game, profile),
        nash_conv=nash_conv(game, profile),
        iterations=len(regions_info),
        seconds=time.perf_counter() - started,
        info={
            "subgames": regions_info,
            "roots": np.flatnonzero(st.is_root).tolist(),
            "subgame_perfect": bool(exact),
        },
    )


# ---------------------------------------------------------------------------- threats
def non_credible_threats(
    game: ExtensiveFormGame, profile: BehaviorProfile | Any, *, tol: float = 1e-9
) -> list[dict[str, Any]] | list[list[dict[str, Any]]]:
    """The actions of a profile that are not optimal in the subgame where they are taken.

    Parameters
    ----------
    game : ExtensiveFormGame
        A game with perfect recall (a batch is checked game by game).
    profile : BehaviorProfile or sequence of arrays
        Behaviour probabilities per player in sequence order (typically a Nash
        equilibrium).
    tol : float
        Losses up to ``tol`` are not reported.

    Returns
    -------
    list of dict (a list of such lists for a batch)
        One entry per action played (probability above ``1e-12``) at an information set
        reached within the smallest subgame containing it, whose loss exceeds ``tol``:
        ``subgame`` (the root node of that subgame), ``player`` (name), ``infoset`` (its
        1-based number within the player, as in
        :meth:`~negsim.games.BehaviorProfile.to_list`), ``label``, ``action``,
        ``probability`` and ``loss``: what the player gives up, conditional on reaching
        the information set, by playing the action and best responding afterwards
        instead of playing a best action. Empty if and only if the profile is a
        subgame-perfect equilibrium (up to ``tol``).

    Raises
    ------
    SolverError
        If the game lacks perfect recall or the profile does not fit.

    Examples
    --------
    In the entry game, (out, fight) is a Nash equilibrium: after "out" the incumbent is
    never called on to fight. But fighting, once entry has happened, loses 2:

    >>> from negsim.games import GameBuilder
    >>> b = GameBuilder(["Entrant", "Incumbent"])
    >>> out, enter = b.root.decision("Entrant", ["out", "enter"])
    >>> out.terminal([0, 2])
    >>> fight, accommodate = enter.decision("Incumbent", ["fight", "accommodate"])
    >>> fight.terminal([-1, -1])
    >>> accommodate.terminal([1, 1])
    >>> game = b.build()
    >>> threat = BehaviorProfile(game, [[1.0, 0.0], [1.0, 0.0]])
    >>> from negsim.solvers import nash_conv
    >>> nash_conv(game, threat)
    0.0
    >>> [(t["player"], t["action"], t["loss"]) for t in non_credible_threats(game, threat)]
    [('Incumbent', 'fight', 2.0)]
    """
    if not isinstance(game, ExtensiveFormGame):
        raise SolverError(f"non_credible_threats takes an extensive-form game, not {type(game).__name__}")
    game.require_perfect_recall('non_credible_threats', error=SolverError)
    probs = profile.probabilities if isinstance(profile, BehaviorProfile) else profile
    try:
        full = BehaviorProfile(game, probs)
    except GameError as err:
        raise SolverError(f"the profile does not fit the game: {err}") from None
    if game.batch_size is not None:
        out = []
        for b in range(game.batch_size):
            item = [a[b] if a.ndim == 2 else a for a in full.probabilities]
            out.append(non_credible_threats(game.batch_item(b), item, tol=tol))
        return out
    if any(a.ndim == 2 for a in full.probabilities):
        raise SolverError("a batched profile needs a batched game")
    st = structure(game)
    best_values: dict[int, np.ndarray] = {}
    found: list[dict[str, Any]] = []
    forest, regions = cut_regions(game, st)
    for region in ([forest] if forest is not None else []) + regions:
        sub = with_values(game, region, best_values)
        local = [np.zeros(s) for s in sub.num_sequences]
        for p, (src, dst) in enumerate(sequence_maps(game, region)):
            local[p][src] = full.probabilities[p][dst]
        sigma = BehaviorProfile(sub, local)
        if sub.is_perfect_information:
            # every node is a subgame: condition on the node itself
            node_values, losses = _node_losses(sub, sigma)
            for top, where in zip(region.tops, region.top_local, strict=True):
                best_values[int(top)] = node_values[where]
            for h, p, infoset, a, prob, loss in losses:
                if loss > tol:
                    node = int(region.nodes[h - region.offset])
                    found.append(_entry(game, node, p, int(region.infosets[infoset]), a, prob, loss))
        else:
            best_values[region.root], losses = _infoset_losses(sub, sigma)
            for p, infoset, a, prob, loss in losses:
                if loss > tol:
                    found.append(_entry(game, region.root, p, int(region.infosets[infoset]), a, prob, loss))
    found.sort(key=lambda e: (e["subgame"], e["player"], e["infoset"], e["action"]))
    return found


def _entry(game: ExtensiveFormGame, root: int, p: int, g: int, a: int, prob: float, loss: float) -> dict[str, Any]:
    return {
        "subgame": root,
        "player": game.players[p],
        "infoset": int(game.infosets.number[g]),
        "label": game.infosets.labels[g],
        "action": game.infosets.actions[g][a],
        "probability": float(prob),
        "loss": float(loss),
    }


def _node_losses(game: ExtensiveFormGame, sigma: BehaviorProfile):
    """Perfect information: every node is a subgame.

    Returns each node's values when each player best responds from there on to the
    others' behaviour (``[N, n]``), and the losses of the actions played.
    """
    n = game.num_players
    first_seq = _first_sequences(game)
    behaviour = _flat_behaviour(game, sigma.probabilities)
    value = np.zeros((game.num_nodes, n))
    value[game.terminals] = game.payoffs
    losses = []
    levels = len(game.level_offsets) - 1
    for d in range(levels - 2, -1, -1):
        inner, starts, hi, end = child_blocks(game, d)
        if inner.size == 0:
            continue
        edges = np.arange(hi, end)
        par = game.parent[edges]
        dec = game.kind[par] == DECISION
        weight = game.chance_prob[edges].copy()
        seq = first_seq[game.infoset[par[dec]]] + game.action[edges[dec]]
        weight[dec] = behaviour[seq]
        value[inner] = np.add.reduceat(weight[:, None] * value[edges], starts, axis=0)
        mover = np.where(dec, game.player[par], 0)
        own = value[edges, mover]
        best = np.maximum.reduceat(own, starts)[np.repeat(np.arange(inner.size), game.num_children[inner])]
        dec_inner = game.kind[inner] == DECISION
        value[inner[dec_inner], game.player[inner[dec_inner]]] = np.maximum.reduceat(own, starts)[dec_inner]
        for e in np.flatnonzero(dec & (weight > _PROBABILITY_FLOOR) & (best - own > 0)):
            h = int(par[e])
            losses.append((h, int(game.player[h]), int(game.infoset[h]), int(game.action[edges[e]]),
                           float(weight[e]), float(best[e] - own[e])))
    return value, losses


def _infoset_losses(game: ExtensiveFormGame, sigma: BehaviorProfile):
    """Imperfect information inside the region: losses by the sequence-form best-response lift."""
    n = game.num_players
    sf = game.sequence_form
    ev = Evaluator(game)
    plans_kernel = []
    for p in range(n):
        plans_kernel.append(ev.plan(p, ev.kernel_from_public(p, sigma.probabilities[p])))
    plans = sigma.realization_plans()  # public order, index 0 = empty sequence
    last = game._node_last_sequences
    chance = game._chance_reach_nodes
    decision = np.flatnonzero(game.kind == DECISION)
    best_values = np.zeros(n)
    losses = []
    for p in range(n):
        pp = ev.plex.players[p]
        v, _ = ev.best_response_values(p, ev.direct_values(p, plans_kernel))
        best_values[p] = v[0]
        S = sf.num_sequences[p]
        if S == 0:
            continue
        W = v[pp.from_public[1:]]  # value of each sequence with a best response after it
        starts = sf.sequence_start[p]
        counts = np.diff(starts)
        top = np.repeat(np.maximum.reduceat(W, starts[:-1] - 1), counts)
        mine = decision[game.player[decision] == p]
        others = chance[mine].copy()
        for q in range(n):
            if q != p:
                others *= plans[q][last[q, mine]]
        local = game.infoset[mine] - sf.infoset_offset[p]
        reach_others = np.bincount(local, weights=others, minlength=counts.size)
        own = plans[p][sf.infoset_parent[p]]
        reached = reach_others * own > 0
        seq_iset = sf.sequence_infoset[p][1:]
        prob = sigma.probabilities[p]
        gap = (top - W) / np.where(reached[seq_iset], reach_others[seq_iset], 1.0)
        for s in np.flatnonzero(reached[seq_iset] & (prob > _PROBABILITY_FLOOR) & (gap > 0)):
            i = int(seq_iset[s])
            losses.append((p, sf.infoset_offset[p] + i, int(s - (starts[i] - 1)), float(prob[s]), float(gap[s])))
    return best_values, losses
