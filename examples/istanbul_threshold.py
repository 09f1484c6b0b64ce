"""How strong must the US threat be before Russia accepts the ceasefire? (Istanbul, 16 May 2025)
=============================================================================================

In the scenario Russia refuses the unconditional ceasefire because it expects little from
US secondary tariffs: the US is resolved to impose them only with probability 0.25. This
script asks what a *credible* US (resolved with probability 0.9) would need to threaten:

1. a sweep of the tariff rate, solved as one batch, shows where Russia's choice flips;
2. ``threshold`` finds the flip point by batched bisection, with its bracket;
3. the figure ``istanbul_threshold.png`` shows the probability of a ceasefire for Russia
   with limited aims, the outcome shares, and the threshold.

Run it with ``python examples/istanbul_threshold.py``.
"""

import numpy as np

from negsim.analysis import sweep, threshold
from negsim.plot import plot_sweep, save
from negsim.scenarios import load_scenario

scenario = load_scenario("istanbul-2025")
limited = "russia_aims == 'limited'"
accepts = "ceasefire == '30-day'"

# 1. One batched solve over 61 tariff rates, with a resolved US (probability 0.9).
rates = np.linspace(0.0, 6.0, 61)
result = sweep(scenario, {"secondary_tariff": rates, "us_resolve_prior": [0.9]})
p_accept = result.probability(accepts, given=limited)
print(f"solved {result.draws} settings in {result.seconds:.2f} s")
for rate, p in zip(rates[::10], p_accept[::10], strict=True):
    print(f"  tariff {rate:4.1f} (x100%): P(Russia with limited aims accepts) = {p:.2f}")

# 2. The threshold, by bisection on the batched solver.
found = threshold(
    scenario,
    "secondary_tariff",
    (0.0, 6.0),
    condition=accepts,
    given=limited,
    fixed={"us_resolve_prior": 0.9},
    tol=1e-3,
)
low, high = found.bracket
print(
    f"Russia (limited aims) accepts once the tariff exceeds {found.value:.3f}, "
    f"i.e. about {found.value * 100:.0f}% (bracket [{low:.4f}, {high:.4f}], {found.evaluations} settings solved)"
)
print("With the US resolved only with probability 0.25, even the 500% of the Senate bill is not enough:")
weak = sweep(scenario, {"secondary_tariff": [5.0]})
print(f"  P(accept | limited aims, tariff 500%, resolve 0.25) = {weak.probability(accepts, given=limited)[0]:.2f}")

# 3. The figure.
fig = plot_sweep(result, condition=accepts, given=limited, threshold=found)
print("wrote", save(fig, "istanbul_threshold.png"))
