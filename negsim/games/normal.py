"""Normal-form (strategic-form) games as one payoff tensor.

A :class:`NormalFormGame` of ``n`` players with ``a_1, ..., a_n`` strategies holds
``payoffs[p, s_1, ..., s_n]``, the payoff of player ``p`` when each player ``q`` plays
strategy ``s_q``. A batch of games with the same shape adds a leading axis:
``payoffs[b, p, s_1, ..., s_n]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np

from negsim.errors import GameError

__all__ = ["NormalFormGame"]


class NormalFormGame:
    """An immutable ``n``-player game in normal form.

    Parameters
    ----------
    payoffs : array_like, shape (n, a_1, ..., a_n) or (B, n, a_1, ..., a_n)
        Payoff tensor; with ``batched=True`` the first axis is a batch of games.
    players : sequence of str, optional
        Player names (default ``"Player 1"``, ...).
    strategies : sequence of sequence of str, optional
        Strategy labels per player (default ``"1"``, ``"2"``, ...).
    title : str, optional
        Free text.
    batched : bool, optional
        Whether ``payoffs`` has a leading batch axis.

    Raises
    ------
    GameError
        If the shape does not fit the number of players or a payoff is not finite.

    Examples
    --------
    The prisoner's dilemma, row player first:

    >>> from negsim.games import NormalFormGame
    >>> pd = NormalFormGame.from_bimatrix([[-1, -3], [0, -2]], [[-1, 0], [-3, -2]],
    ...                                   strategies=[["cooperate", "defect"]] * 2)
    >>> pd.shape
    (2, 2)
    >>> pd.payoff((1, 1))
    array([-2., -2.])
    """

    __slots__ = ("payoffs", "players", "strategies", "title", "__dict__")

    def __init__(
        self,
        payoffs: Any,
        *,
        players: Sequence[str] | None = None,
        strategies: Sequence[Sequence[str]] | None = None,
        title: str = "",
        batched: bool = False,
    ) -> None:
        arr = np.array(payoffs, dtype=np.float64, copy=True)
        lead = 1 if batched else 0
        if arr.ndim < lead + 2:
            raise GameError(f"payoffs of a normal-form game need shape (n, a_1, ..., a_n), got {arr.shape}")
        n = arr.shape[lead]
        if arr.ndim != lead + 1 + n:
            raise GameError(
                f"payoffs have {n} players on axis {lead} but {arr.ndim - lead - 1} strategy axes; "
                f"expected shape {'(B, ' if batched else '('}n, a_1, ..., a_n)"
            )
        if any(a < 1 for a in arr.shape[lead + 1 :]):
            raise GameError("every player needs at least one strategy")
        if not np.all(np.isfinite(arr)):
            raise GameError("payoffs must be finite (found NaN or infinity)")
        arr.setflags(write=False)
        shape = arr.shape[lead + 1 :]
        if players is None:
            players = [f"Player {i + 1}" for i in range(n)]
        players = tuple(str(p) for p in players)
        if len(players) != n or len(set(players)) != n:
            raise GameError(f"need {n} distinct player names, got {list(players)}")
        if strategies is None:
            strategies = [[str(j + 1) for j in range(a)] for a in shape]
        strategies = tuple(tuple(str(s) for s in row) for row in strategies)
        if len(strategies) != n or any(len(row) != a for row, a in zip(strategies, shape, strict=True)):
            raise GameError(f"strategy labels do not match the shape {shape}")
        set_ = object.__setattr__
        set_(self, "payoffs", arr)
        set_(self, "players", players)
        set_(self, "strategies", strategies)
        set_(self, "title", str(title))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("NormalFormGame is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("NormalFormGame is immutable")

    def __repr__(self) -> str:
        batch = f", batch={self.batch_size}" if self.batch_size is not None else ""
        title = f"{self.title!r}, " if self.title else ""
        return f"NormalFormGame({title}players={list(self.players)}, shape={self.shape}{batch})"

    @classmethod
    def from_bimatrix(cls, row: Any, column: Any, **kwargs: Any) -> NormalFormGame:
        """A two-player game from the row player's and the column player's matrices."""
        a, b = np.asarray(row, np.float64), np.asarray(column, np.float64)
        if a.shape != b.shape or a.ndim != 2:
            raise GameError(f"the two payoff matrices must have the same 2-D shape, got {a.shape} and {b.shape}")
        return cls(np.stack([a, b]), **kwargs)

    @classmethod
    def zero_sum(cls, row: Any, **kwargs: Any) -> NormalFormGame:
        """A two-player zero-sum game from the row player's matrix."""
        a = np.asarray(row, np.float64)
        return cls.from_bimatrix(a, -a, **kwargs)

    @property
    def num_players(self) -> int:
        """Number of players."""
        return len(self.players)

    @property
    def batch_size(self) -> int | None:
        """``B`` for a batch, ``None`` for a single game."""
        extra = self.payoffs.ndim - 1 - self.num_players
        return self.payoffs.shape[0] if extra == 1 else None

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of strategies of each player."""
        return tuple(self.payoffs.shape[-self.num_players :])

    def payoff(self, profile: Sequence[int]) -> np.ndarray:
        """Payoffs of all players at a pure-strategy profile."""
        idx = tuple(int(s) for s in profile)
        if len(idx) != self.num_players:
            raise GameError(f"a profile needs {self.num_players} strategies, got {len(idx)}")
        return self.payoffs[(..., slice(None)) + idx]

    def expected_payoffs(self, profile: Sequence[Any]) -> np.ndarray:
        """Expected payoffs under a mixed profile (one probability vector per player).

        Returns an array ``[n]`` (or ``[B, n]`` for a batch when the profile is batched
        as ``[B, a_p]`` per player).
        """
        if len(profile) != self.num_players:
            raise GameError(f"a profile needs {self.num_players} strategies, got {len(profile)}")
        vectors = [np.asarray(x, np.float64) for x in profile]
        batch = {x.shape[0] for x in vectors if x.ndim == 2}
        for p, x in enumerate(vectors):
            if x.ndim not in (1, 2) or x.shape[-1] != self.shape[p]:
                raise GameError(
                    f"strategy of {self.players[p]} needs {self.shape[p]} probabilities, got shape {x.shape}"
                )
        if len(batch) > 1 or (batch and self.batch_size is not None and batch != {self.batch_size}):
            raise GameError("batched strategies must share the game's batch size")
        out = self.payoffs
        if batch and self.batch_size is None:
            out = np.broadcast_to(out, (batch.pop(),) + out.shape)
        batched = out.ndim == self.num_players + 2
        for p in reversed(range(self.num_players)):
            x = vectors[p]
            if x.ndim == 1:
                out = out @ x
            elif batched:
                out = np.einsum("b...k,bk->b...", out, x)
        return out

    def is_constant_sum(self, tol: float = 1e-9) -> bool:
        """True if the payoffs add up to the same number at every profile.

        "The same" means within ``tol`` times the payoff range (the largest spread of one
        player's payoffs) plus the rounding of the sum, so the answer does not change when
        every payoff is multiplied by a positive number, however small or large.

        Examples
        --------
        >>> from negsim.games import library
        >>> pd = library.prisoners_dilemma()
        >>> pd.is_constant_sum(), NormalFormGame(pd.payoffs * 1e-12).is_constant_sum()
        (False, False)
        """
        totals, slack = self._totals(tol)
        return bool(np.all(np.abs(totals - totals[:, :1]) <= slack))

    def is_zero_sum(self, tol: float = 1e-9) -> bool:
        """True if the payoffs add up to zero at every profile (within ``tol`` times the payoff range).

        Examples
        --------
        >>> from negsim.games import library
        >>> NormalFormGame(library.matching_pennies().payoffs * 1e-10).is_zero_sum()
        True
        """
        totals, slack = self._totals(tol)
        return bool(np.all(np.abs(totals) <= slack))

    def _totals(self, tol: float) -> tuple[np.ndarray, np.ndarray]:
        """Payoff sums per profile ``[B, profiles]`` in power-of-two-rescaled units, and the slack per game."""
        from negsim._numeric import power_of_two_scale, rounding, spread

        n = self.num_players
        lead = 1 if self.batch_size is not None else 0
        payoffs = self.payoffs if lead else self.payoffs[None]
        payoffs = payoffs * power_of_two_scale(payoffs)  # exact; the sums below cannot overflow
        per_player = payoffs.reshape(payoffs.shape[0], n, -1)
        totals = per_player.sum(axis=1)
        width = spread(per_player, axis=2).max(axis=1)
        magnitude = np.abs(per_player).max(axis=(1, 2))
        slack = tol * width + rounding(magnitude, terms=n)
        return totals, slack[:, None]

    def batch_item(self, index: int) -> NormalFormGame:
        """Game ``index`` of a batch."""
        if self.batch_size is None:
            raise GameError("this game is not a batch")
        return NormalFormGame(self.payoffs[index], players=self.players, strategies=self.strategies, title=self.title)

    @cached_property
    def num_profiles(self) -> int:
        """Number of pure-strategy profiles."""
        return int(np.prod(self.shape))

    def summary(self) -> dict[str, Any]:
        """Sizes of the game as a JSON-ready dictionary."""
        return {
            "title": self.title,
            "form": "normal",
            "players": list(self.players),
            "strategies": list(self.shape),
            "profiles": self.num_profiles,
            "zero_sum": self.is_zero_sum(),
            "constant_sum": self.is_constant_sum(),
            "batch": self.batch_size,
        }

    def equals(self, other: NormalFormGame, *, atol: float = 0.0) -> bool:
        """True if both games have the same players, strategies and payoffs."""
        return (
            isinstance(other, NormalFormGame)
            and self.players == other.players
            and self.strategies == other.strategies
            and self.payoffs.shape == other.payoffs.shape
            and np.allclose(self.payoffs, other.payoffs, rtol=0, atol=atol)
        )
