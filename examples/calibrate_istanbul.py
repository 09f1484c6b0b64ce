"""Calibrating the Istanbul game on what happened up to 16 May 2025, and predicting the later rounds.
==================================================================================================

The linked istanbul-2025 scenario runs from the European ultimatum of 10 May to the US tariffs
of August. Its priors (Russia's aims, the US's resolve, what war, truces and sanctions are worth)
are a proposal: each of 150 draws is solved in one batch, its equilibrium played with 5%
trembles, and weighted by the probability it gives to what happened up to 16 May (Russia
answered the ultimatum with an offer of talks, Ukraine attended, Russia refused the ceasefire
and agreed a 1,000-for-1,000 exchange). The weighted draws are the posterior. The example
prints it, then the predictive of the later rounds -- the memoranda of 2 June, the EU's
package, the US deadline of 14 July, the round of 23 July, the tariffs of August -- scored
against what happened, and draws ``calibrate_istanbul_posterior.png`` and
``calibrate_istanbul_predictive.png``.

Run it with ``python examples/calibrate_istanbul.py``.
"""

from negsim.estimate import calibrate
from negsim.estimate.plots import plot_posterior, plot_predictive
from negsim.plot import save

may_16 = {"russia_ultimatum": "offer_talks", "ukraine_attend": "attend", "russia_may": "refuse_exchange"}
later = {
    "ukraine_memo": "refuse_memo",  # 2 June: Ukraine rejects Russia's memorandum
    "eu_package": "price_cap_package",  # 18 July: the 18th package lowers the oil price cap
    "us_deadline": "set_deadline",  # 14 July: 50 days, later shortened, or secondary tariffs
    "russia_july": "refuse_exchange",  # 23 July: no ceasefire, a 1,200-for-1,200 exchange
    "russia_meeting": "note_request",  # 23 July: the request for a leaders' meeting is "noted"
    "us_tariffs": "first_step",  # 6-8 August: an extra 25% tariff on India, not the full rate
}

cal = calibrate("istanbul-2025", may_16, draws=150, seed=2025, actual=later)
print(cal.report())
save(plot_posterior(cal), "calibrate_istanbul_posterior.png")
save(plot_predictive(cal), "calibrate_istanbul_predictive.png")
print("wrote calibrate_istanbul_posterior.png and calibrate_istanbul_predictive.png")
