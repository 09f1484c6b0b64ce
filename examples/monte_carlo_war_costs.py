"""How likely is a ceasefire if we are unsure what war is worth to Russia? A Monte Carlo.
======================================================================================

The linked Istanbul scenario fixes Russia's value of continuing the war at 3 (limited aims)
and 3 + 2 (maximal aims). Those are assumptions. Here they are drawn from wide priors --
along with the prior probability of maximal aims, the bite of US tariffs and of EU
sanctions, and the US's resolve -- and the scenario is solved for 2,000 draws in one
batched call. The result is the probability of each
outcome with its Monte Carlo standard error; the figure ``monte_carlo_war_costs.png``
shows it.

Run it with ``python examples/monte_carlo_war_costs.py``.
"""

from negsim.analysis import monte_carlo
from negsim.plot import plot_outcomes, save
from negsim.scenarios import load_scenario

scenario = load_scenario("istanbul-2025")
priors = {
    "ru_war_limited": {"dist": "uniform", "low": 0.0, "high": 5.0},
    "ru_war_extra": {"dist": "uniform", "low": 0.0, "high": 4.0},
    "q_maximal": {"dist": "beta", "a": 3.0, "b": 3.0},
    "tariff_bite": {"dist": "triangular", "low": 0.1, "mode": 0.6, "high": 1.5},
    "eu_bite": {"dist": "triangular", "low": 0.0, "mode": 0.25, "high": 1.0},
    "us_resolve_prior": {"dist": "beta", "a": 2.0, "b": 4.0},
}
result = monte_carlo(scenario, priors, draws=2000, seed=2025)
print(
    f"{result.draws:,} draws solved in {result.seconds:.2f} s; {result.certified.mean():.0%} certified exact equilibria"
)
for outcome, stats in result.summary().items():
    if stats["probability"] >= 0.001:
        print(f"  {stats['probability']:.3f} +/- {stats['standard_error']:.3f}  {outcome}")
ceasefire = result.probability("ceasefire != 'none'")
print(f"P(ceasefire) = {ceasefire.mean():.3f} +/- {ceasefire.std(ddof=1) / len(ceasefire) ** 0.5:.3f}")
fig = plot_outcomes(result)
print("wrote", save(fig, "monte_carlo_war_costs.png"))
