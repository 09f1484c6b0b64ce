r"""Alternating offers: Rubinstein's game with outside options and breakdown, and its finite horizon.

The *strategic* view (Ståhl 1972; Rubinstein 1982) writes the talks as an alternating-offers
game and solves it for its subgame-perfect equilibrium. Binmore, Rubinstein and Wolinsky
(1986) join it to the axiomatic view (:mod:`negsim.bargaining.axiomatic`): as the time between
offers shrinks, the strategic outcome tends to a Nash bargaining solution, with a
disagreement point and weights that the game's details fix.

Rubinstein alternating offers
    Two players split a pie of size 1; player ``A`` proposes, ``B`` accepts or rejects,
    roles alternate every period, and payoffs are discounted by ``delta_i`` per period.
    The unique subgame-perfect equilibrium (Rubinstein 1982) is immediate agreement on a
    proposer share of ``(1 - delta_B) / (1 - delta_A delta_B)``. :func:`rubinstein` adds

    * *outside options* ``w_i`` that a responder can take instead of answering an offer
      (Shaked and Sutton 1984; Binmore, Rubinstein and Wolinsky 1986; Osborne and
      Rubinstein 1990, §3.12). The *outside-option principle*: an option changes the
      outcome only if it is worth more than what its holder would get as a responder
      without it; then the proposer offers exactly the option's value;
    * a *risk of breakdown* ``p``: after each rejection the talks collapse with
      probability ``p`` and each side gets its outside payoff ``w_i`` (Binmore, Rubinstein
      and Wolinsky 1986, §4). The responder's reservation value is
      ``r_B = max(w_B, p w_B + (1 - p) delta_B y)``, with ``y`` what ``B`` gets proposing
      next period, and the proposer keeps ``x = 1 - r_B``. The two conditions form a
      contraction with a unique fixed point, which is found in closed form.

    With ``delta_i = exp(-rho_i D)`` and ``p = 1 - exp(-lambda D)``, as the time ``D``
    between offers tends to 0 the proposer's share tends to the asymmetric Nash
    bargaining solution of the pie with weights ``1 / (rho_i + lambda)`` and disagreement
    point ``lambda w_i / (rho_i + lambda)``: with breakdown only, the symmetric solution
    from the breakdown point ``w``; with impatience only, the solution with weights
    ``1 / rho_i`` from ``(0, 0)``. :func:`finite_horizon_shares` gives the closed form of
    the ``T``-round game (Ståhl 1972), which tends to Rubinstein's as ``T`` grows.

References
----------
- Osborne, M. J. and Rubinstein, A. (1990). *Bargaining and Markets*. Academic Press.
- Rubinstein, A. (1982). Perfect equilibrium in a bargaining model. *Econometrica* 50(1),
  97–109.
- Shaked, A. and Sutton, J. (1984). Involuntary unemployment as a perfect equilibrium in a
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from negsim.bargaining._common import _plain, _scalar
from negsim.errors import SolverError

__all__ = ["RubinsteinSolution", "finite_horizon_shares", "rubinstein"]


@dataclass(frozen=True, repr=False, eq=False)
class RubinsteinSolution:
    """The subgame-perfect equilibrium of Rubinstein's alternating-offers game.

    Arrays have the broadcast shape of the parameters (``...``), with a last axis for the
    two players where noted.

    Attributes
    ----------
    shares : ndarray, shape (..., 2)
        What each player gets: the agreed split of the pie (agreement is immediate), or
        the outside options where there is no agreement.
    proposer : int
        Who proposes first: 0 for player 1, 1 for player 2.
    agreement : bool or ndarray of bool, shape (...)
        False where the outside options add up to 1 or more: nothing is left to share, and
        the first responder walks out.
    binding : ndarray of bool, shape (..., 2)
        Whether each player's outside option binds, i.e. exceeds what the player would
        get as a responder by going on bargaining. Both true where there is no agreement.
    discount : ndarray, shape (..., 2)
        The discount factors ``(d1, d2)``.
    outside_options : ndarray, shape (..., 2)
        The outside options (also the payoffs after a breakdown).
    breakdown : ndarray, shape (...)
        The probability that the talks break down after a rejection.
    """

    shares: np.ndarray
    proposer: int
    agreement: bool | np.ndarray
    binding: np.ndarray
    discount: np.ndarray
    outside_options: np.ndarray
    breakdown: np.ndarray

    @property
    def proposer_share(self) -> float | np.ndarray:
        """The first proposer's share."""
        return _scalar(self.shares[..., self.proposer])

    def __repr__(self) -> str:
        shares = np.array2string(np.asarray(self.shares), precision=6, separator=", ")
        binding = np.array2string(np.asarray(self.binding), separator=", ")
        return (
            f"RubinsteinSolution(shares={shares}, proposer={self.proposer}, "
            f"agreement={_plain(self.agreement)}, binding={binding})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the solution."""
        return {
            "shares": _plain(self.shares),
            "proposer": self.proposer,
            "agreement": _plain(self.agreement),
            "binding": _plain(self.binding),
            "discount": _plain(self.discount),
            "outside_options": _plain(self.outside_options),
            "breakdown": _plain(self.breakdown),
        }


def rubinstein(
    d1: ArrayLike,
    d2: ArrayLike,
    *,
    outside_options: tuple[ArrayLike, ArrayLike] = (0.0, 0.0),
    breakdown: ArrayLike = 0.0,
    proposer: int = 0,
) -> RubinsteinSolution:
    """The subgame-perfect equilibrium of Rubinstein's alternating-offers game over a pie of size 1.

    Player ``proposer`` offers a split at time 0; the other accepts, rejects (and
    proposes next period) or takes the outside option. Payoffs are discounted by ``d1``
    and ``d2`` per period. After each rejection the talks break down with probability
    ``breakdown``, and each player gets their outside option.

    Parameters
    ----------
    d1, d2 : array_like
        Discount factors per period, in ``[0, 1]``. All parameters broadcast together.
    outside_options : (array_like, array_like)
        ``(w1, w2)``: what each player gets by walking out when responding to an offer,
        and after a breakdown. Default ``(0, 0)``.
    breakdown : array_like
        Probability ``p`` in ``[0, 1]`` that the talks break down after a rejection.
    proposer : {0, 1}
        Who proposes first: 0 for player 1 (the default), 1 for player 2.

    Returns
    -------
    RubinsteinSolution
        The agreed ``shares`` (agreement is immediate), which outside options bind, and
        whether there is an agreement at all (the outside options must leave a surplus,
        ``w1 + w2 < 1``; otherwise both get their options). Shapes are the broadcast shape
        of the parameters, plus a last axis of 2 for per-player fields.

    Raises
    ------
    SolverError
        If a discount factor or the breakdown probability is outside ``[0, 1]``, a value
        is not finite, or ``d1 = d2 = 1`` with no risk of breakdown (then every split is
        an equilibrium).

    Notes
    -----
    With ``A`` the first proposer, ``B`` the other, ``a_i = (1 - p) delta_i`` and
    ``c_i = p w_i``, the equilibrium shares ``x`` (of ``A`` when proposing) and ``y`` (of
    ``B`` when proposing) solve ``x = 1 - max(w_B, c_B + a_B y)`` and
    ``y = 1 - max(w_A, c_A + a_A x)``. If neither option binds,
    ``x = (1 - c_B - a_B (1 - c_A)) / (1 - a_A a_B)``, which is
    ``(1 - delta_B) / (1 - delta_A delta_B)`` without breakdown. ``B``'s option binds
    exactly when ``w_B`` exceeds ``c_B + a_B y``, ``B``'s share as a responder without
    it; then ``x = 1 - w_B``. Likewise ``A``'s option binds when ``w_A > c_A + a_A x``,
    and then ``y = 1 - w_A``. The map from ``x`` to the next ``x`` is a contraction
    (factor ``a_A a_B < 1``), so the solution is unique; it is the one of the four linear
    cases that solves its own equations.

    As offers come faster (``delta_i = exp(-rho_i D)``, ``p = 1 - exp(-lambda D)``,
    ``D -> 0``) the shares tend to the Nash bargaining solution of the pie with weights
    ``1 / (rho_i + lambda)`` from ``lambda w_i / (rho_i + lambda)`` (Binmore, Rubinstein
    and Wolinsky 1986): see :func:`nash_bargaining_convex`.

    Examples
    --------
    >>> rubinstein(0.9, 0.9).shares   # 1 / (1 + 0.9) to the first proposer
    array([0.526316, 0.473684])
    >>> rubinstein([0.5, 0.9], 0.9).proposer_share
    array([0.181818, 0.526316])

    Player 2's outside option binds only when it beats her share 0.4737:

    >>> rubinstein(0.9, 0.9, outside_options=(0, 0.3)).shares
    array([0.526316, 0.473684])
    >>> sol = rubinstein(0.9, 0.9, outside_options=(0, 0.6))
    >>> sol.shares, sol.binding
    (array([0.4, 0.6]), array([False,  True]))

    Patient players facing a small risk of breakdown split the surplus above their
    outside options equally (the Nash solution):

    >>> rubinstein(1.0, 1.0, breakdown=1e-6, outside_options=(0.2, 0.0)).shares
    array([0.6, 0.4])
    """
    if proposer not in (0, 1):
        raise SolverError(f"proposer must be 0 (player 1) or 1 (player 2), got {proposer!r}")
    try:
        w1, w2 = outside_options
    except (TypeError, ValueError):
        raise SolverError("outside_options must be a pair (w1, w2)") from None
    arrays = [np.asarray(v, dtype=np.float64) for v in (d1, d2, w1, w2, breakdown)]
    if not all(np.isfinite(a).all() for a in arrays):
        raise SolverError("the parameters of the Rubinstein game must be finite")
    d1, d2, w1, w2, p = np.broadcast_arrays(*arrays)
    if ((d1 < 0) | (d1 > 1) | (d2 < 0) | (d2 > 1)).any():
        raise SolverError("discount factors must lie in [0, 1]")
    if ((p < 0) | (p > 1)).any():
        raise SolverError("the breakdown probability must lie in [0, 1]")
    if ((1 - p) ** 2 * d1 * d2 >= 1).any():
        raise SolverError("with d1 = d2 = 1 and no risk of breakdown every split is an equilibrium; lower a discount")

    first, second = (d1, d2), (w1, w2)
    if proposer == 1:
        first, second = first[::-1], second[::-1]
    (delta_a, delta_b), (w_a, w_b) = first, second
    a_a, a_b = (1 - p) * delta_a, (1 - p) * delta_b
    c_a, c_b = p * w_a, p * w_b

    def step(x: np.ndarray) -> np.ndarray:
        y = 1 - np.maximum(w_a, c_a + a_a * x)
        return 1 - np.maximum(w_b, c_b + a_b * y)

    candidates = np.stack(
        [
            (1 - c_b - a_b * (1 - c_a)) / (1 - a_a * a_b),  # no option binds
            1 - w_b,  # B's option binds (alone or with A's: x is the same)
            1 - c_b - a_b * (1 - w_a),  # only A's option binds
        ]
    )
    residual = np.abs(step(candidates) - candidates)
    x = np.take_along_axis(candidates, residual.argmin(axis=0)[None], axis=0)[0]
    y = 1 - np.maximum(w_a, c_a + a_a * x)
    agreement = w_a + w_b < 1
    binds_a = (agreement & (w_a > c_a + a_a * x)) | ~agreement
    binds_b = (agreement & (w_b > c_b + a_b * y)) | ~agreement
    share_a = np.where(agreement, x, w_a)
    share_b = np.where(agreement, 1 - x, w_b)
    shares = np.stack([share_a, share_b] if proposer == 0 else [share_b, share_a], axis=-1)
    binding = np.stack([binds_a, binds_b] if proposer == 0 else [binds_b, binds_a], axis=-1)
    return RubinsteinSolution(
        shares=shares,
        proposer=proposer,
        agreement=_scalar(agreement),
        binding=binding,
        discount=np.stack([d1, d2], axis=-1),
        outside_options=np.stack([w1, w2], axis=-1),
        breakdown=p.copy(),
    )


def finite_horizon_shares(d1: ArrayLike, d2: ArrayLike, rounds: ArrayLike) -> np.ndarray:
    """Subgame-perfect shares of the ``T``-round alternating-offers game over a pie of size 1.

    Player 1 proposes in rounds 0, 2, 4, ..., player 2 in rounds 1, 3, ...; an agreement in
    round ``t`` is worth ``share * d_i ** t``; after ``rounds`` rejections both get 0 (the
    game of :func:`negsim.games.library.alternating_offers` with a continuous pie).
    Backward induction from the last round gives, with ``k = rounds // 2`` and
    ``q = (d1 d2) ** k``, player 1's share

    * ``(1 - d2) (1 - q) / (1 - d1 d2)`` for an even number of rounds,
    * ``(1 - d2) (1 - q) / (1 - d1 d2) + q`` for an odd number,

    which tends to Rubinstein's ``(1 - d2) / (1 - d1 d2)`` as ``rounds`` grows, the error
    shrinking like ``q``.

    Parameters
    ----------
    d1, d2 : array_like
        Discount factors in ``[0, 1]``.
    rounds : array_like of int
        Number of rounds ``T >= 1``. All parameters broadcast together.

    Returns
    -------
    ndarray, shape (..., 2)
        The shares of player 1 and player 2 in the immediate agreement.

    Raises
    ------
    SolverError
        If a discount factor is outside ``[0, 1]`` or ``rounds`` is not a positive integer.

    Examples
    --------
    >>> finite_horizon_shares(0.9, 0.9, [1, 2, 3])
    array([[1.  , 0.  ],
           [0.1 , 0.9 ],
           [0.91, 0.09]])
    >>> float(finite_horizon_shares(0.9, 0.9, 200)[0])   # Rubinstein: 1 / 1.9
    0.526316
    """
    d1, d2 = (np.asarray(v, dtype=np.float64) for v in (d1, d2))
    rounds_in = np.asarray(rounds)
    if not np.issubdtype(rounds_in.dtype, np.integer):
        as_int = rounds_in.astype(np.int64) if np.isfinite(rounds_in).all() else None
        if as_int is None or (as_int != rounds_in).any():
            raise SolverError("rounds must be whole numbers")
        rounds_in = as_int
    if (rounds_in < 1).any():
        raise SolverError("rounds must be at least 1")
    if not (np.isfinite(d1).all() and np.isfinite(d2).all()) or ((d1 < 0) | (d1 > 1) | (d2 < 0) | (d2 > 1)).any():
        raise SolverError("discount factors must lie in [0, 1]")
    d1, d2, T = np.broadcast_arrays(d1, d2, rounds_in.astype(np.int64))
    k = T // 2
    both = d1 * d2
    q = both**k
    with np.errstate(divide="ignore", invalid="ignore"):
        # (1 - q) / (1 - d1 d2) = 1 + both + ... + both ** (k - 1), which is k when both = 1
        geometric = np.where(both < 1, (1 - q) / np.where(both < 1, 1 - both, 1.0), k)
    x = (1 - d2) * geometric + np.where(T % 2 == 1, q, 0.0)
    return np.stack([x, 1 - x], axis=-1)
