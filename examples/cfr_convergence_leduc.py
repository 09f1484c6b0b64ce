"""How fast do the CFR variants converge? Leduc poker, 1,000 iterations each.
==========================================================================

CFR, CFR+, linear CFR and discounted CFR differ only in how they weight regrets and the
average strategy. The script runs each on Leduc poker (5,520 terminals), records the
NashConv of the average strategy along the way, and draws the curves on a log-log scale
in ``cfr_convergence_leduc.png``. It also checks the value of the game against the
exact sequence-form LP (-0.0856 for the first player).

Run it with ``python examples/cfr_convergence_leduc.py``.
"""

import negsim
from negsim.games import library
from negsim.plot import plot_convergence, save
from negsim.solvers import cfr

leduc = library.leduc_poker()
runs = {}
for variant in ("cfr", "cfr+", "lcfr", "dcfr"):
    runs[variant] = solution = cfr(leduc, variant=variant, iterations=1000, track_every=10)
    print(
        f"{variant:5} NashConv {solution.nash_conv:.2e} after {solution.iterations} iterations "
        f"({solution.iterations / solution.seconds:,.0f} it/s), value {solution.values[0]:+.4f}"
    )
exact = negsim.solve(leduc, method="lp")
print(f"exact value by the LP: {exact.values[0]:+.6f}")
fig = plot_convergence(runs)
print("wrote", save(fig, "cfr_convergence_leduc.png"))
