"""Strategy profiles: behaviour strategies of extensive games, mixed strategies of normal ones.

A :class:`BehaviorProfile` gives, for every information set, a probability distribution
over its actions. It is stored per player as one flat array over the player's sequences
in the sequence-form order of :attr:`ExtensiveFormGame.sequence_form` (information set by
information set, action by action, the empty sequence left out), with a leading batch
axis when the game is a batch.

A :class:`MixedProfile` gives one probability vector per player of a normal-form game.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from negsim._arrays import ranges as _ranges
from negsim.errors import GameError
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.normal import NormalFormGame

__all__ = ["BehaviorProfile", "MixedProfile"]


class BehaviorProfile:
    """A behaviour-strategy profile of an extensive-form game.

    Parameters
    ----------
    game : ExtensiveFormGame
        The game (its sequence-form order defines the layout).
    probabilities : sequence of array_like
        One array per player, shape ``(S_p,)`` or ``(B, S_p)``: the probability of each
        action at its information set, in sequence order.
    tol : float, optional
        How far each information set's probabilities may sum from 1.

    Raises
    ------
    GameError
        If a shape is wrong or probabilities are negative or do not sum to 1.

    Examples
    --------
    >>> from negsim.games import library
    >>> kuhn = library.kuhn_poker()
    >>> uniform = BehaviorProfile.uniform(kuhn)
    >>> uniform.action_probabilities(0, 0)
    {'pass': 0.5, 'bet': 0.5}
    """

    __slots__ = ("game", "probabilities")

    def __init__(self, game: ExtensiveFormGame, probabilities: Sequence[Any], *, tol: float = 1e-6) -> None:
        sf = game.sequence_form
        if len(probabilities) != game.num_players:
            raise GameError(f"a profile needs one array per player ({game.num_players}), got {len(probabilities)}")
        arrays = []
        for p, probs in enumerate(probabilities):
            arr = np.array(probs, dtype=np.float64, copy=True)
            if arr.shape[-1:] != (sf.num_sequences[p],) or arr.ndim not in (1, 2):
                raise GameError(
                    f"probabilities of {game.players[p]} must have shape ({sf.num_sequences[p]},) or "
                    f"(B, {sf.num_sequences[p]}), got {arr.shape}"
                )
            if not np.all(np.isfinite(arr)) or np.any(arr < -tol):
                raise GameError(f"probabilities of {game.players[p]} must be finite and non-negative")
            if arr.shape[-1]:
                starts = sf.sequence_start[p][:-1] - 1
                # reduce along axis 0 of the transposed array: one pass, whatever the batch size
                sums = np.add.reduceat(arr.T, starts, axis=0).T
                if np.any(np.abs(sums - 1.0) > tol):
                    bad = int(np.flatnonzero(np.any(np.abs(np.atleast_2d(sums) - 1.0) > tol, axis=0))[0])
                    g = sf.infoset_offset[p] + bad
                    raise GameError(
                        f"probabilities at information set {game._infoset_name(g)} sum to "
                        f"{float(np.atleast_2d(sums)[0, bad])!r}, not 1"
                    )
            np.clip(arr, 0.0, None, out=arr)
            arr.setflags(write=False)
            arrays.append(arr)
        object.__setattr__(self, "game", game)
        object.__setattr__(self, "probabilities", tuple(arrays))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("BehaviorProfile is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("BehaviorProfile is immutable")

    def __repr__(self) -> str:
        return f"BehaviorProfile(players={list(self.game.players)}, sequences={list(self.game.num_sequences)})"

    @classmethod
    def uniform(cls, game: ExtensiveFormGame) -> BehaviorProfile:
        """Every action equally likely at every information set."""
        sf = game.sequence_form
        probs = []
        for p in range(game.num_players):
            counts = np.diff(sf.sequence_start[p])
            probs.append(np.repeat(1.0 / np.maximum(counts, 1), counts))
        return cls(game, probs)

    @property
    def batch_size(self) -> int | None:
        """``B`` if the profile is batched, else ``None``."""
        for arr in self.probabilities:
            if arr.ndim == 2:
                return arr.shape[0]
        return None

    def realization_plans(self) -> tuple[np.ndarray, ...]:
        """Each player's realization plan, including the empty sequence at index 0.

        Returns
        -------
        tuple of ndarray
            ``x_p`` of shape ``(S_p + 1,)`` (or ``(B, S_p + 1)``): the product of the
            player's own action probabilities along the path to each sequence.
        """
        sf = self.game.sequence_form
        plans = []
        for p, probs in enumerate(self.probabilities):
            lead = probs.shape[:-1]
            x = np.ones(lead + (sf.num_sequences[p] + 1,))
            x[..., 1:] = probs
            parent_of_seq = np.concatenate(([0], sf.infoset_parent[p][sf.sequence_infoset[p][1:]]))
            for level in sf.levels[p][1:]:
                lo = sf.sequence_start[p][level]
                counts = sf.sequence_start[p][level + 1] - lo
                seqs = np.repeat(lo, counts) + _ranges(counts)
                x[..., seqs] = probs[..., seqs - 1] * x[..., parent_of_seq[seqs]]
            plans.append(x)
        return tuple(plans)

    def edge_probabilities(self) -> np.ndarray:
        """Probability of the edge into every node: ``[N]`` (or ``[B, N]``).

        Chance edges get the chance probability, decision edges the behaviour probability
        of the action, the root 1.
        """
        game = self.game
        sf = game.sequence_form
        lead = () if self.batch_size is None and game.batch_size is None else (self.batch_size or game.batch_size,)
        out = np.broadcast_to(game.chance_prob, lead + (game.num_nodes,)).copy()
        nodes = np.arange(1, game.num_nodes)
        parents = game.parent[1:]
        decided = game.kind[parents] == 0
        kids, pars = nodes[decided], parents[decided]
        players = game.player[pars]
        for p in range(game.num_players):
            mine = players == p
            if not np.any(mine):
                continue
            local = game.infoset[pars[mine]] - sf.infoset_offset[p]
            seq = sf.sequence_start[p][local] + game.action[kids[mine]]
            out[..., kids[mine]] = np.broadcast_to(self.probabilities[p], lead + (sf.num_sequences[p],))[..., seq - 1]
        return out

    def node_reach(self) -> np.ndarray:
        """Probability of reaching every node under the profile and chance: ``[N]`` (or ``[B, N]``).

        Examples
        --------
        >>> from negsim.games import library
        >>> kuhn = library.kuhn_poker()
        >>> reach = BehaviorProfile.uniform(kuhn).node_reach()
        >>> float(reach[kuhn.terminals].sum())
        1.0
        """
        game = self.game
        edge = self.edge_probabilities()
        reach = np.ones_like(edge)
        offs = game.level_offsets
        for d in range(1, len(offs) - 1):
            lo, hi = int(offs[d]), int(offs[d + 1])
            reach[..., lo:hi] = reach[..., game.parent[lo:hi]] * edge[..., lo:hi]
        return reach

    def node_values(self) -> np.ndarray:
        """Expected payoff of every player from every node on: ``[N, n]`` (or ``[B, N, n]``).

        Computed bottom-up over depth levels; a terminal's value is its payoff.

        Examples
        --------
        >>> from negsim.games import library
        >>> kuhn = library.kuhn_poker()
        >>> BehaviorProfile.uniform(kuhn).node_values()[0]
        array([ 0.125, -0.125])
        """
        game = self.game
        edge = self.edge_probabilities()
        lead = edge.shape[:-1]
        values = np.zeros(lead + (game.num_nodes, game.num_players))
        values[..., game.terminals, :] = np.broadcast_to(game.payoffs, lead + game.payoffs.shape[-2:])
        offs = game.level_offsets
        for d in range(len(offs) - 3, -1, -1):
            lo, hi = int(offs[d]), int(offs[d + 1])
            inner = lo + np.flatnonzero(game.num_children[lo:hi] > 0)
            if inner.size == 0:
                continue
            first = int(offs[d + 1])
            weighted = edge[..., first : int(offs[d + 2]), None] * values[..., first : int(offs[d + 2]), :]
            values[..., inner, :] = np.add.reduceat(weighted, game.first_child[inner] - first, axis=-2)
        return values

    def action_probabilities(self, player: int, infoset: int) -> dict[str, float]:
        """``{action label: probability}`` at one information set (local index of ``player``)."""
        sf = self.game.sequence_form
        lo, hi = int(sf.sequence_start[player][infoset]), int(sf.sequence_start[player][infoset + 1])
        labels = self.game.infosets.actions[sf.infoset_offset[player] + infoset]
        probs = self.probabilities[player][..., lo - 1 : hi - 1]
        if probs.ndim > 1:
            raise GameError("action_probabilities takes a single profile; use batch_item first")
        return {a: float(v) for a, v in zip(labels, probs, strict=True)}

    def batch_item(self, index: int) -> BehaviorProfile:
        """Profile ``index`` of a batch."""
        game = self.game.batch_item(index) if self.game.batch_size is not None else self.game
        return BehaviorProfile(game, [a[index] if a.ndim == 2 else a for a in self.probabilities])

    def to_list(self) -> list[dict[str, Any]]:
        """One JSON-ready entry per information set.

        Each entry has ``player`` (0-based), ``infoset`` (the 1-based number within the
        player, as in a Gambit file), ``label``, ``actions`` and ``probabilities``. For a
        batch, ``probabilities`` is a list per batch element.
        """
        game, sf = self.game, self.game.sequence_form
        out = []
        for p in range(game.num_players):
            starts = sf.sequence_start[p]
            for i in range(len(starts) - 1):
                g = sf.infoset_offset[p] + i
                probs = self.probabilities[p][..., starts[i] - 1 : starts[i + 1] - 1]
                out.append(
                    {
                        "player": p,
                        "infoset": int(game.infosets.number[g]),
                        "label": game.infosets.labels[g],
                        "actions": list(game.infosets.actions[g]),
                        "probabilities": probs.tolist(),
                    }
                )
        return out

    def table(self, *, digits: int = 4, threshold: float = 0.0) -> str:
        """A readable table: one line per information set with its action probabilities."""
        if self.batch_size is not None:
            raise GameError("table() takes a single profile; use batch_item first")
        rows = []
        for entry in self.to_list():
            name = entry["label"] or f"#{entry['infoset']}"
            acts = "  ".join(
                f"{a}={p:.{digits}f}"
                for a, p in zip(entry["actions"], entry["probabilities"], strict=True)
                if p > threshold or threshold == 0.0
            )
            rows.append((self.game.players[entry["player"]], name, acts))
        if not rows:
            return "(no information sets)"
        w0 = max(len(r[0]) for r in rows)
        w1 = max(len(r[1]) for r in rows)
        return "\n".join(f"{a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in rows)


class MixedProfile:
    """A mixed-strategy profile of a normal-form game: one probability vector per player.

    Examples
    --------
    >>> from negsim.games import library
    >>> pennies = library.matching_pennies()
    >>> MixedProfile(pennies, [[0.5, 0.5], [0.5, 0.5]]).expected_payoffs()
    array([0., 0.])
    """

    __slots__ = ("game", "probabilities")

    def __init__(self, game: NormalFormGame, probabilities: Sequence[Any], *, tol: float = 1e-6) -> None:
        if len(probabilities) != game.num_players:
            raise GameError(f"a profile needs one vector per player ({game.num_players}), got {len(probabilities)}")
        arrays = []
        for p, probs in enumerate(probabilities):
            arr = np.array(probs, dtype=np.float64, copy=True)
            if arr.shape[-1:] != (game.shape[p],) or arr.ndim not in (1, 2):
                raise GameError(
                    f"strategy of {game.players[p]} must have {game.shape[p]} probabilities, got {arr.shape}"
                )
            if not np.all(np.isfinite(arr)) or np.any(arr < -tol) or np.any(np.abs(arr.sum(-1) - 1) > tol):
                raise GameError(f"strategy of {game.players[p]} is not a probability vector: {arr.tolist()}")
            np.clip(arr, 0.0, None, out=arr)
            arr.setflags(write=False)
            arrays.append(arr)
        object.__setattr__(self, "game", game)
        object.__setattr__(self, "probabilities", tuple(arrays))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("MixedProfile is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("MixedProfile is immutable")

    def __repr__(self) -> str:
        body = ", ".join(np.array2string(a, precision=4) for a in self.probabilities)
        return f"MixedProfile({body})"

    def expected_payoffs(self) -> np.ndarray:
        """Expected payoff of each player."""
        return self.game.expected_payoffs(self.probabilities)

    def to_list(self) -> list[list[float]]:
        """One probability list per player (JSON-ready)."""
        return [a.tolist() for a in self.probabilities]
