"""Calibrating the Istanbul scenario on what happened on 16 May 2025, and predicting what came next.

The scenario's priors (Russia's aims, the US's resolve, what war is worth, the bite of
tariffs) are a proposal: each of 1,000 draws is solved in one batch, its equilibrium
played with 5% trembles, and weighted by the probability it gives to what was observed
up to 16 May (the US pressed Ukraine, Ukraine attended, Russia countered with its
conditions and offered a 1,000-for-1,000 exchange, which Ukraine accepted). The weighted
draws are the posterior; the example prints it and the predictive of the later stages,
scored against what happened (the EU's narrow 17th package on 20 May, no US secondary
sanctions), and draws ``calibrate_istanbul_posterior.png`` and
``calibrate_istanbul_predictive.png``.

Run it with ``python examples/calibrate_istanbul.py``.
"""

from negsim.estimate import calibrate
from negsim.estimate.plots import plot_posterior, plot_predictive
from negsim.plot import save

observed = {
    "us_pressure": "press_ukraine",
    "ukraine_attend": "attend",
    "russia_answer": "counter",
    "russia_exchange": "offer_exchange",
    "ukraine_exchange": "accept_exchange",
}
later = {"eu_decision": "package_17", "us_decision": "hold_off"}

cal = calibrate("istanbul-2025", observed, draws=1000, seed=2025, actual=later)
print(cal.report())
save(plot_posterior(cal), "calibrate_istanbul_posterior.png")
save(plot_predictive(cal), "calibrate_istanbul_predictive.png")
print("wrote calibrate_istanbul_posterior.png and calibrate_istanbul_predictive.png")
