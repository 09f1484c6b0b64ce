"""Strategic estimation: the utilities of game trees estimated from observed outcomes.

Utilities at the terminals are linear indices of covariates, each observation its own
game; choices carry agent error (a quantal response at each move) or private information
(a shock to each player's utilities); the likelihood of the observed outcomes is
maximized (Signorino 1999, 2003; Lewis & Schultz 2003; Kenkel & Signorino 2014).

* :func:`egame12`, :func:`egame122`, :func:`egame123`: the canonical models, with the
  conventions of the R package ``games``;
* :func:`ultimatum`: the statistical ultimatum game (Ramsay & Signorino 2009);
* :func:`strategic_model`: the same on any tree with perfect recall (with information
  sets of several nodes the choices are each observation's agent QRE,
  :class:`AgentQRELikelihood`);
* :func:`calibrate`: the posterior of a scenario's parameters given an observed path.

Estimation needs the optional extra ``estimate`` (pandas, statsmodels, formulaic):
``python -m pip install 'negsim[estimate]'``; :func:`calibrate` does not.

Examples
--------
>>> import negsim.estimate as est
>>> fit = est.egame12(["s_wt_re1 + revis1", "0", "regime1", "balanc + regime2"],
...                   data=est.load_war1800(), outcome="outcome", link="logit")
>>> round(fit.llf, 4)
-286.1828
"""

from importlib import import_module

from negsim.estimate.calibrate import Calibration, calibrate
from negsim.estimate.likelihood import TreeLikelihood, UtilityCell
from negsim.estimate.qre_likelihood import AgentQRELikelihood, tree_likelihood

# names that need pandas, statsmodels and formulaic load on first use, so that `calibrate`
# and the likelihood work without the extra (and the error names the extra)
_LAZY = {
    "egame12": "negsim.estimate.canonical",
    "egame122": "negsim.estimate.canonical",
    "egame123": "negsim.estimate.canonical",
    "load_war1800": "negsim.estimate.datasets",
    "StrategicModel": "negsim.estimate.model",
    "observed_terminals": "negsim.estimate.model",
    "strategic_model": "negsim.estimate.model",
    "StrategicResults": "negsim.estimate.results",
    "UltimatumModel": "negsim.estimate.ultimatum_model",
    "ultimatum": "negsim.estimate.ultimatum_model",
    "ultimatum_offers": "negsim.estimate.ultimatum_model",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'negsim.estimate' has no attribute {name!r}")
    from negsim.estimate.formulas import require_extra

    require_extra()
    return getattr(import_module(module), name)


__all__ = [
    "AgentQRELikelihood",
    "Calibration",
    "StrategicModel",
    "StrategicResults",
    "TreeLikelihood",
    "UltimatumModel",
    "UtilityCell",
    "calibrate",
    "egame12",
    "egame122",
    "egame123",
    "load_war1800",
    "observed_terminals",
    "strategic_model",
    "tree_likelihood",
    "ultimatum",
    "ultimatum_offers",
]
