"""The result every solver returns: a small, frozen, printable :class:`Solution`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from negsim.games.profile import BehaviorProfile, MixedProfile

__all__ = ["Solution"]


@dataclass(frozen=True, repr=False, eq=False)
class Solution:
    """A solved game: an equilibrium (or approximate one) and how it was found.

    Attributes
    ----------
    method : str
        The solver's name, as :func:`negsim.solve` knows it (``"cfr+"``, ``"lp"``, ...).
    profile : BehaviorProfile or MixedProfile
        The strategy profile found (for CFR the average strategy). Batched when the
        game is a batch.
    values : ndarray, shape (n,) or (B, n)
        Expected payoff of each player under ``profile``.
    nash_conv : float or ndarray of shape (B,)
        Sum over players of what a best response would gain against ``profile``
        (0 at an exact Nash equilibrium).
    iterations : int
        Iterations run (1 for direct methods such as the LP).
    seconds : float
        Wall-clock time of the solve.
    history : tuple of (int, float or tuple of float)
        ``(iteration, nash_conv)`` at the checkpoints where it was measured.
    converged : bool or None
        Whether a requested target was reached (``None`` if no target was set);
        ``False`` when a ``time_limit`` stopped the solver early.
    equilibria : tuple of Solution
        For methods that enumerate equilibria, all of them (the first is ``profile``).
    info : dict
        Solver-specific details (variant parameters, LP status, tie-breaking rule, ...).
    """

    method: str
    profile: BehaviorProfile | MixedProfile
    values: np.ndarray
    nash_conv: float | np.ndarray
    iterations: int = 1
    seconds: float = 0.0
    history: tuple[tuple[int, Any], ...] = ()
    converged: bool | None = None
    equilibria: tuple[Solution, ...] = ()
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def game(self):
        """The game that was solved."""
        return self.profile.game

    @property
    def num_players(self) -> int:
        return self.profile.game.num_players

    @property
    def exploitability(self) -> float | np.ndarray:
        """NashConv divided by the number of players (OpenSpiel's convention for two players)."""
        return self.nash_conv / self.num_players

    @property
    def batch_size(self) -> int | None:
        return None if np.ndim(self.nash_conv) == 0 else int(np.shape(self.nash_conv)[0])

    def __repr__(self) -> str:
        vals = np.array2string(np.asarray(self.values), precision=6, separator=", ")
        nc = np.array2string(np.asarray(self.nash_conv), precision=3) if self.batch_size else f"{self.nash_conv:.3g}"
        extra = f", equilibria={len(self.equilibria)}" if self.equilibria else ""
        return (
            f"Solution(method={self.method!r}, values={vals}, nash_conv={nc}, "
            f"iterations={self.iterations}, seconds={self.seconds:.3g}{extra})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the solution."""
        out: dict[str, Any] = {
            "method": self.method,
            "values": np.asarray(self.values).tolist(),
            "nash_conv": np.asarray(self.nash_conv).tolist(),
            "exploitability": np.asarray(self.exploitability).tolist(),
            "iterations": int(self.iterations),
            "seconds": float(self.seconds),
            "converged": self.converged,
            "history": [[int(i), np.asarray(v).tolist()] for i, v in self.history],
            "profile": self.profile.to_list(),
        }
        if self.equilibria:
            out["equilibria"] = [
                {"profile": eq.profile.to_list(), "values": np.asarray(eq.values).tolist()} for eq in self.equilibria
            ]
        if self.info:
            out["info"] = {k: _plain(v) for k, v in self.info.items()}
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
