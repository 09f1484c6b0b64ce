"""Strategic estimation: the utilities of game trees estimated from observed outcomes.

Utilities at the terminals are linear indices of covariates, each observation its own
game; choices carry agent error (a quantal response at each move) or private information
(a shock to each player's utilities); the likelihood of the observed outcomes is
maximized (Signorino 1999, 2003; Lewis & Schultz 2003; Kenkel & Signorino 2014).

* :func:`egame12`, :func:`egame122`, :func:`egame123`: the canonical models, with the
  conventions of the R package ``games``;
* :func:`strategic_model`: the same on any tree of perfect information;
* :func:`calibrate`: the posterior of a scenario's parameters given an observed path.

Needs the optional extra ``estimate`` (pandas, statsmodels, formulaic):
``python -m pip install 'negsim[estimate]'``.

Examples
--------
>>> import negsim.estimate as est
>>> fit = est.egame12(["s_wt_re1 + revis1", "0", "regime1", "balanc + regime2"],
...                   data=est.load_war1800(), outcome="outcome", link="logit")
>>> round(fit.llf, 4)
-286.1828
"""

from negsim.estimate.formulas import require_extra

require_extra()

from negsim.estimate.canonical import egame12, egame122, egame123  # noqa: E402
from negsim.estimate.datasets import load_war1800  # noqa: E402
from negsim.estimate.likelihood import TreeLikelihood, UtilityCell  # noqa: E402
from negsim.estimate.model import StrategicModel, observed_terminals, strategic_model  # noqa: E402
from negsim.estimate.results import StrategicResults  # noqa: E402

__all__ = [
    "StrategicModel",
    "StrategicResults",
    "TreeLikelihood",
    "UtilityCell",
    "egame12",
    "egame122",
    "egame123",
    "load_war1800",
    "observed_terminals",
    "strategic_model",
]
