"""Logit quantal response equilibria, traced along the principal branch in lambda.

In a *logit quantal response equilibrium* (QRE; McKelvey & Palfrey 1995) every player
plays every strategy with a probability that grows exponentially with its expected
payoff against the others::

    sigma_p[j] = exp(lambda u_p(j, sigma_-p)) / sum_k exp(lambda u_p(k, sigma_-p)).

At ``lambda = 0`` the only QRE is uniform play; as ``lambda`` grows the players become
more rational, and the *principal branch* of the QRE correspondence, which starts at the
uniform profile, converges in generic games to a Nash equilibrium as ``lambda -> inf``
(the *logit tracing procedure* of McKelvey & Palfrey 1995, a selection of one
equilibrium). ``lambda`` is applied to the payoffs as they are, as in Gambit.

The pieces, one idea per module:

- ``_system``: the equations in log-odds, ``H_a(w, lambda) = w_a - lambda (Q_a(sigma) -
  Q_ref(g)(sigma)) = 0`` with one group per player (normal form) or information set
  (extensive form), ``K = S - G`` equations in ``K + 1`` unknowns; ``_normal`` gives the
  payoffs of a normal-form game and a closed-form Jacobian, ``_agent`` the conditional
  action values of an extensive game with perfect recall (the *agent* QRE of McKelvey &
  Palfrey 1998), both for a batch of games at once.
- ``_tracer``: the arclength predictor-corrector (Allgower & Georg 1990) that follows the
  branch of every game of a batch in the same array operations, through turning points,
  with requested ``lambda`` values solved on the way.
- :mod:`negsim.solvers.qre.branch`: :func:`logit_qre` and :func:`agent_qre`, which return
  a :class:`QREBranch` (the profiles along the branch and a Solution at its end).
- :mod:`negsim.solvers.qre.fit`: :func:`fit_lambda`, the maximum-likelihood ``lambda`` of
  observed play along the branch, as a :class:`QREFit`.

In non-generic games (symmetric ones, or with many tied payoffs) the branch can pass
through a bifurcation. The tracer then continues along the smooth continuation of the
branch it is on (for example the symmetric branch of the battle of the sexes, towards its
mixed equilibrium); Gambit may continue on another. The agent QRE's Jacobian is dense, of
size ``K`` (sequences minus information sets), so each Newton step costs ``O(S^2 + K^3)``:
meant for small and medium trees (Kuhn poker takes well under a second in all; in Leduc
poker, ``K = 1,248``, one Newton step takes about half a second, and a branch hundreds of
steps).
"""

from negsim.solvers.qre.branch import QREBranch, agent_qre, logit_qre
from negsim.solvers.qre.fit import QREFit, fit_lambda

__all__ = ["logit_qre", "agent_qre", "fit_lambda", "QREBranch", "QREFit"]
