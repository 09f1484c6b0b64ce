"""Estimating a crisis-escalation game from outcomes: who escalates, who backs down, who fights.
=============================================================================================

A challenger keeps the status quo (``sq``) or escalates; the target then backs down
(``capit``) or fights (``war``) -- the game ``egame12`` of Signorino (2003). We simulate
1,000 crises from known utilities -- the challenger's value of the status quo falls with
its military ``balance``; the target's value of war rises with ``balance`` too and is
lower for democracies -- with agent error, then estimate the utilities back by maximum
likelihood and read the results: the estimates should lie near the truth, within about two
standard errors.

Run it with ``python examples/estimate_crisis_escalation.py``.
"""

import numpy as np
import pandas as pd

import negsim.estimate as est
from negsim.estimate.likelihood import TreeLikelihood
from negsim.estimate.trees import egame12_tree

rng = np.random.default_rng(1800)
n = 1000
crises = pd.DataFrame({"balance": rng.uniform(0, 1, n), "regime": rng.choice(["autocracy", "democracy"], n)})
democracy = (crises["regime"] == "democracy").to_numpy()

# the true utilities: u11 (challenger at sq), u13 = 0 (challenger at capit), u14 (challenger
# at war), u24 (target at war; 0 at capit)
truth = {
    "u11:Intercept": 0.5,
    "u11:balance": -1.5,
    "u14:Intercept": -0.5,
    "u24:Intercept": -0.5,
    "u24:balance": 1.5,
    "u24:regime[T.democracy]": -1.0,
}
u11 = truth["u11:Intercept"] + truth["u11:balance"] * crises["balance"]
u14 = np.full(n, truth["u14:Intercept"])
u24 = truth["u24:Intercept"] + truth["u24:balance"] * crises["balance"] + truth["u24:regime[T.democracy]"] * democracy

# draw each crisis's outcome from the model's probabilities (probit, agent error)
game, cells = egame12_tree()
probs = TreeLikelihood(game, cells).outcome_probabilities(np.array([u11, np.zeros(n), u14, u24])[None])[0]
crises["outcome"] = np.array(["sq", "capit", "war"])[(rng.random(n)[:, None] > probs.cumsum(axis=1)).sum(axis=1)]
print("outcomes:", crises["outcome"].value_counts().to_dict())

fit = est.egame12(["balance", "0", "1", "balance + regime"], data=crises, outcome="outcome")
print(fit.summary())
print()
print(f"{'utility':<26}{'truth':>8}{'estimate':>10}{'s.e.':>8}  within 2 s.e.?")
for name, value in truth.items():
    estimate, se = fit.params[name], fit.bse[name]
    print(f"{name:<26}{value:>8.2f}{estimate:>10.2f}{se:>8.2f}  {'yes' if abs(estimate - value) < 2 * se else 'no'}")

# reading the results: how likely is war in a crisis between a strong challenger and an
# autocratic or a democratic target?
new = pd.DataFrame({"balance": [0.9, 0.9], "regime": ["autocracy", "democracy"]})
print()
print("Predicted outcome probabilities at balance 0.9:")
print(fit.predict_outcomes(new).round(3).assign(regime=new["regime"]).to_string(index=False))
