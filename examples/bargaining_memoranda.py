"""Rubinstein versus Nash bargaining over the issues of the 2 June 2025 memoranda.
===============================================================================

Each side values each issue of the two memoranda: Russia's political terms (recognition,
withdrawal, neutrality, caps, no foreign forces, sanctions relief, waived claims) and
Ukraine's (international guarantees, the contact line as the basis). The values are the
assumptions of negsim's earlier one-round model of 2 June (now folded into the linked
``istanbul-2025`` scenario, which models the memoranda round as accept or refuse). Any package
of issues, agreed as a settlement, gives both sides a payoff; fighting on is the disagreement
point. The humanitarian exchanges, agreed either way, cancel out and are left out.

The script

1. evaluates all 512 packages,
2. counts the packages both sides prefer to fighting on: each memorandum is far outside
   that zone (each side rejects the other's), yet smaller packages lie inside it,
3. finds the Pareto frontier, the Nash bargaining and Kalai-Smorodinsky solutions, and
4. solves alternating offers (Rubinstein 1982) on that frontier, Ukraine proposing first,
   for shrinking time between offers: the outcome tends to the Nash solution weighted by
   each side's patience (Binmore, Rubinstein & Wolinsky 1986).

The figure ``bargaining_memoranda.png`` shows the frontier and the points.
Run it with ``python examples/bargaining_memoranda.py``.
"""

import itertools

import numpy as np
from scipy.optimize import brentq

from negsim.bargaining import kalai_smorodinsky_convex, nash_bargaining_convex, pareto_frontier
from negsim.plot import plot_frontier, save

# issue: (what Ukraine gives up or gains, what Russia gains or gives up), in utility units;
# all assumptions of the earlier memoranda model, with the sources of the demands in
# scenarios/istanbul_2025.toml (Russia's memorandum: TASS and RIA Novosti, 2 Jun 2025;
# Ukraine's: Suspilne, 2 Jun 2025)
VALUES = {
    "recognition": (-3.5, 3.0),
    "withdrawal": (-4.0, 2.0),
    "neutrality": (-1.0, 1.5),
    "army_caps": (-1.5, 1.0),
    "no_foreign_forces": (-1.0, 1.0),
    "sanctions_lifted": (-0.5, 1.5),
    "claims_waived": (-0.5, 0.5),
    "intl_guarantees": (1.5, -1.0),
    "contact_line_basis": (0.0, -1.0),
}
issues = list(VALUES)
UKRAINE_PEACE = 4.0  # the value to Ukraine of a settlement as such
# fighting on: Ukraine's war value is the reference point 0; Russia's is its war value averaged
# over its aims (maximal 4.0 with probability 0.6, limited 2.5) less the sanctions it bears (0.5)
DISAGREEMENT = np.array([0.0, 0.6 * 4.0 + 0.4 * 2.5 - 0.5])


def packages():
    """Payoffs of (Ukraine, Russia) for every package of issues."""
    combos = np.array(list(itertools.product([False, True], repeat=len(issues))), dtype=float)
    values = np.array([VALUES[name] for name in issues])  # [issue, side]
    payoffs = combos @ values
    payoffs[:, 0] += UKRAINE_PEACE
    return payoffs


def _turn(a, b, c):
    """Positive when a -> b -> c turns left (so b lies below the chord a-c)."""
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def rubinstein_on_frontier(points, d, delta_ukraine, delta_russia):
    """Alternating offers over the frontier's concave envelope, Ukraine proposing first."""
    front = points[pareto_frontier(points)]
    front = front[np.argsort(front[:, 0])]
    hull = []  # the upper concave envelope: what lotteries over packages can reach
    for p in front:
        while len(hull) >= 2 and _turn(hull[-2], hull[-1], p) >= 0:
            hull.pop()
        hull.append(p)
    hull = np.array(hull)

    def frontier(u):  # Russia's best payoff given Ukraine gets u
        return np.interp(u, hull[:, 0], hull[:, 1])

    def gap(x):  # Russia indifferent between Ukraine's offer x and waiting for its own offer y
        y = d[0] + delta_ukraine * (x - d[0])
        return frontier(x) - d[1] - delta_russia * (frontier(y) - d[1])

    top = front[:, 0][frontier(front[:, 0]) >= d[1]].max()
    x = brentq(gap, d[0], top)
    return np.array([x, frontier(x)])


points, disagreement = packages(), DISAGREEMENT
better = (points > disagreement).all(axis=1)
print(
    f"{len(points)} packages; fighting on (the disagreement point) gives Ukraine {disagreement[0]:+.2f}, "
    f"Russia {disagreement[1]:+.2f}"
)
russian_memo = np.array([all(c[:7]) and not any(c[7:]) for c in itertools.product([False, True], repeat=9)])
ukrainian_memo = np.array([not any(c[:7]) and all(c[7:]) for c in itertools.product([False, True], repeat=9)])
print(
    f"Russia's memorandum as a package: Ukraine {points[russian_memo][0][0]:+.2f}, "
    f"Russia {points[russian_memo][0][1]:+.2f} - Ukraine prefers fighting on"
)
print(
    f"Ukraine's memorandum as a package: Ukraine {points[ukrainian_memo][0][0]:+.2f}, "
    f"Russia {points[ukrainian_memo][0][1]:+.2f} - Russia prefers fighting on"
)
print(
    f"packages both prefer to fighting on: {better.sum()} of {len(points)}: a zone of agreement exists in the "
    "model, away from both memoranda"
)

nash = nash_bargaining_convex(points, disagreement)
ks = kalai_smorodinsky_convex(points, disagreement)
print(f"\nNash bargaining:      Ukraine {nash.utilities[0]:+.2f}, Russia {nash.utilities[1]:+.2f}")
print(f"Kalai-Smorodinsky:    Ukraine {ks.utilities[0]:+.2f}, Russia {ks.utilities[1]:+.2f}")
# yearly discount factors: Ukraine 0.7, Russia 0.8 (assumptions); rates rho = -log(delta)
rho = -np.log([0.7, 0.8])
weighted = nash_bargaining_convex(points, disagreement, weights=1 / rho)
print(f"Nash, weighted by patience 1/rho: Ukraine {weighted.utilities[0]:+.2f}, Russia {weighted.utilities[1]:+.2f}")
rubinstein = {}
for weeks in (26, 8, 1, 0.1):
    du, dr = np.exp(-rho * weeks / 52)
    point = rubinstein_on_frontier(points, disagreement, du, dr)
    rubinstein[weeks] = point
    print(f"Rubinstein, offers every {weeks:>4} weeks: Ukraine {point[0]:+.2f}, Russia {point[1]:+.2f}")
print("As offers come faster, alternating offers approach the patience-weighted Nash solution.")

# the figure shows the points printed above: the solutions over lotteries of packages (as solved
# here), the patience-weighted Nash solution and the slowest Rubinstein outcome
fig = plot_frontier(points, disagreement=disagreement, agents=("Ukraine", "Russia"), lotteries=True,
                    points={"Nash weighted by patience": weighted.utilities,
                            "Rubinstein, offers every 26 weeks": rubinstein[26]})
print("wrote", save(fig, "bargaining_memoranda.png"))
