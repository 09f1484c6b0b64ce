"""How hard must sanctions bite before Russia accepts the ceasefire? (the 2025 talks, istanbul-2025)
=================================================================================================

In the linked game Russia refuses the unconditional ceasefire in every round: the EU's
price-cap package costs it little, and the US, whose patience Russia buys with prisoner
exchanges, takes only a first step at its deadline. This script asks two questions:

1. How much must each level of EU sanctions cost Russia (``eu_bite``) before Russia with
   limited aims accepts the ceasefire in July? A sweep, solved as one batch, shows where the
   choice flips; ``threshold`` finds the flip point by batched bisection, with its bracket.
2. Without the exchanges' hold on the US (``us_process_value = 0``), how likely must the US be
   to be resolved (``us_resolve_prior``) for its full tariffs to do the same?

The figure ``istanbul_threshold.png`` shows the probability of the ceasefire for Russia with
limited aims against ``eu_bite``, the outcome shares, and the threshold.

Run it with ``python examples/istanbul_threshold.py``.
"""

import numpy as np

from negsim.analysis import sweep, threshold
from negsim.plot import plot_sweep, save
from negsim.scenarios import load_scenario

scenario = load_scenario("istanbul-2025")
limited = "russia_aims == 'limited'"
accepts = "ceasefire == 'unconditional'"

# 1. One batched solve over 41 values of the EU's bite.
bites = np.linspace(0.0, 1.0, 41)
result = sweep(scenario, {"eu_bite": bites})
p_accept = result.probability(accepts, given=limited)
print(f"solved {result.draws} settings in {result.seconds:.2f} s")
for bite, p in zip(bites[::8], p_accept[::8], strict=True):
    print(f"  eu_bite {bite:4.2f}: P(Russia with limited aims accepts the ceasefire) = {p:.2f}")

found = threshold(scenario, "eu_bite", (0.0, 1.0), condition=accepts, given=limited, tol=1e-3)
low, high = found.bracket
print(
    f"Russia (limited aims) accepts once each level of EU sanctions costs it more than {found.value:.3f} "
    f"(assumed: {scenario.negotiation.parameter('eu_bite').value}; bracket [{low:.4f}, {high:.4f}], "
    f"{found.evaluations} settings solved)"
)

# 2. The US threat, once the exchanges no longer buy the US's patience.
us = threshold(
    scenario,
    "us_resolve_prior",
    (0.0, 1.0),
    condition=accepts,
    given=limited,
    fixed={"us_process_value": 0.0},
    tol=1e-3,
)
print(
    f"Without the exchanges' hold on the US, Russia (limited aims) accepts once the US is resolved "
    f"with probability above {us.value:.3f} (assumed: {scenario.negotiation.parameter('us_resolve_prior').value})"
)

# The figure.
fig = plot_sweep(result, condition=accepts, given=limited, threshold=found)
print("wrote", save(fig, "istanbul_threshold.png"))
