"""Section ``estimate``: strategic estimation on war1800 and bootstrap replicates as one batch.

Times (i) the fit of the R package's ``egame12`` example on war1800 (282 observations,
10 parameters), once with the model built and once with formula parsing, (ii) ``R``
bootstrap replicates fitted as one batch (:func:`negsim.estimate.bootstrap.bootstrap_fits`),
and (iii) ``loop`` of the same replicates fitted one after another (a fresh model per
resample, started at the estimate as the batch is), extrapolated to all. The reference
points are the R package ``games``: about 0.1 s per fit and 0.11 s per bootstrap replicate
(shared/data/README.md). Best of ``repeats`` for the fits; on the harness's clock.

Also (iv) the statistical ultimatum game (:func:`negsim.estimate.ultimatum`, 500 simulated
offers and responses, 6 parameters) and (v) a signalling game with an information set
(:func:`negsim.estimate.trees.signalling_tree`, 1,000 simulated crises, 6 parameters), whose
choice probabilities are each observation's agent QRE: one fit of the built model each,
with its number of likelihood evaluations.

Part of ``python -m benchmarks`` (section ``estimate``, skipped with a note when the
``estimate`` extra is not installed); also runs alone:
``python -m benchmarks.bench_estimate [--replicates 1000] [--loop 20] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import warnings
from typing import Any

import numpy as np

from benchmarks.common import Config, Report, Table, clock, ratio, seconds

FORMULAS = ["s_wt_re1 + revis1", "0", "regime1", "balanc + regime2"]
R_SECONDS_PER_FIT = 0.1
R_SECONDS_PER_REPLICATE = 0.11
REPLICATES = (1000, 20)
LOOPED = (40, 3)
"""Full run, --quick."""


def _best(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        started = clock()
        fn()
        best = min(best, clock() - started)
    return best


def measure(replicates: int, loop: int, repeats: int, seed: int = 0) -> dict[str, Any]:
    """All the timings of this section, as a dictionary of plain numbers."""
    import negsim.estimate as est
    from negsim.estimate.bootstrap import bootstrap_fits
    from negsim.estimate.formulas import Design
    from negsim.estimate.model import StrategicModel

    data = est.load_war1800()
    fit = est.egame12(FORMULAS, data=data, outcome="outcome")
    model = fit.model
    params = fit.params.to_numpy()
    fit_seconds = _best(model.fit, repeats)
    call_seconds = _best(lambda: est.egame12(FORMULAS, data=data, outcome="outcome"), repeats)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # replicates without a finite maximum are reported below
        started = clock()
        reps = bootstrap_fits(model, params, replicates, seed=seed)
        batch_seconds = clock() - started

        # the same resamples, fitted one by one (bootstrap_fits draws its weights this way)
        n = model.exog.shape[0]
        weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=replicates)[:loop]
        d = model.design
        times, diffs = [], []
        for w, rep in zip(weights, reps, strict=False):
            rows = np.repeat(np.arange(n), w)
            resampled = Design(d.exog[rows], d.names, d.blocks, d.utilities, d.specs, np.ones(len(rows), bool))
            started = clock()
            alone = StrategicModel(model.likelihood, resampled, model.observed[rows]).fit(start_params=params)
            times.append(clock() - started)
            if alone.mle_retvals.get("converged") and not np.isnan(rep).any():
                diffs.append(float(np.abs(alone.params.to_numpy() - rep).max()))
    per_replicate = batch_seconds / replicates
    loop_per_replicate = float(np.mean(times)) if times else float("nan")
    return {
        "llf": float(fit.llf),
        "fit_seconds": fit_seconds,
        "call_seconds": call_seconds,
        "replicates": replicates,
        "batch_seconds": batch_seconds,
        "batch_seconds_per_replicate": per_replicate,
        "loop_measured": len(times),
        "loop_seconds_per_replicate": loop_per_replicate,
        "loop_median_seconds": float(np.median(times)) if times else float("nan"),
        "batch_vs_loop": loop_per_replicate / per_replicate,
        "batch_vs_r_package": R_SECONDS_PER_REPLICATE / per_replicate,
        "nan_replicates": int(np.isnan(reps).any(axis=1).sum()),
        "max_difference_batch_vs_loop": max(diffs, default=float("nan")),
        "bootstrap_se": np.nanstd(reps, axis=0, ddof=1).tolist(),
    }


SIGNALLING = {
    ("yield_strong", "challenger"): "1",
    ("fight_strong", "challenger"): "1",
    ("yield_weak", "challenger"): "1",
    ("fight_weak", "challenger"): "1",
    ("fight_weak", "target"): "resolve",
}
SIGNALLING_TRUTH = [2.0, 0.5, 1.0, -1.5, 1.0, 1.0]


def measure_models(repeats: int, seed: int = 0) -> dict[str, Any]:
    """Fits of the ultimatum and of the signalling (agent QRE) model on simulated data."""
    import pandas as pd

    import negsim.estimate as est
    from negsim.estimate.trees import signalling_tree

    rng = np.random.default_rng(seed)
    n = 500
    bargains = pd.DataFrame({"stakes": rng.normal(size=n), "outside": rng.normal(size=n)})
    r1, r2 = 2.0 + 0.5 * bargains["stakes"], 3.0 + bargains["outside"]
    bargains["offer"] = est.ultimatum_offers(r1, r2, rng.logistic(size=n), max_offer=10.0)
    bargains["accept"] = (bargains["offer"] > r2 + rng.logistic(size=n)).astype(int)
    ult = est.ultimatum(["stakes", "outside"], data=bargains, max_offer=10.0)
    ultimatum_seconds = _best(ult.model.fit, repeats)

    game, _ = signalling_tree()
    labels = np.array([game.node_labels[int(z)] for z in game.terminals])
    m = 1000
    crises = pd.DataFrame({"resolve": rng.normal(size=m), "outcome": labels[0]})
    probs = est.strategic_model(game, SIGNALLING, crises, "outcome", link="logit").predict(SIGNALLING_TRUTH)
    crises["outcome"] = labels[np.minimum((rng.random(m)[:, None] > probs.cumsum(axis=1)).sum(axis=1), 5)]
    model = est.strategic_model(game, SIGNALLING, crises, "outcome", link="logit")
    fit = model.fit()
    qre_seconds = _best(model.fit, repeats)
    return {
        "ultimatum_nobs": n,
        "ultimatum_seconds": ultimatum_seconds,
        "ultimatum_iterations": int(ult.mle_retvals.get("iterations", 0)),
        "ultimatum_llf": float(ult.llf),
        "qre_nobs": m,
        "qre_seconds": qre_seconds,
        "qre_iterations": int(fit.mle_retvals.get("iterations", 0)),
        "qre_llf": float(fit.llf),
    }


def run(config: Config, report: Report, peers: Any = None) -> None:
    """The harness's section ``estimate``."""
    try:
        from negsim.estimate.formulas import require_extra

        require_extra()
    except Exception as exc:  # the optional extra is missing: say so, measure nothing
        report.say(f"  estimate: skipped ({exc})")
        return
    replicates = REPLICATES[1] if config.quick else REPLICATES[0]
    loop = LOOPED[1] if config.quick else LOOPED[0]
    out = report.section("estimate")
    out.update(measure(replicates, loop, config.repeats))
    out.update(measure_models(config.repeats))
    report.table(_table(out))


def _table(out: dict[str, Any]) -> Table:
    t = Table(
        "Strategic estimation: war1800 egame12 (R package games as reference)", ["measure", "negsim", "R package"]
    )
    t.add("fit, model built", seconds(out["fit_seconds"]), f"~{seconds(R_SECONDS_PER_FIT)}")
    t.add("egame12() with formula parsing", seconds(out["call_seconds"]), "")
    t.add(
        f"{out['replicates']:,} bootstrap replicates, one batch",
        f"{seconds(out['batch_seconds'])} ({seconds(out['batch_seconds_per_replicate'])} each)",
        f"~{seconds(R_SECONDS_PER_REPLICATE)} each",
    )
    t.add(
        f"one after another ({out['loop_measured']} timed)",
        f"{seconds(out['loop_seconds_per_replicate'])} each (median {seconds(out['loop_median_seconds'])})",
        "",
    )
    t.add("batch vs one after another", ratio(out["batch_vs_loop"]), "")
    t.add("batch vs R package per replicate", ratio(out["batch_vs_r_package"]), "")
    if "ultimatum_seconds" in out:
        t.add(
            f"ultimatum fit ({out['ultimatum_nobs']} offers, 6 parameters)",
            f"{seconds(out['ultimatum_seconds'])} ({out['ultimatum_iterations']} iterations)",
            "",
        )
        t.add(
            f"signalling agent-QRE fit ({out['qre_nobs']} crises, 6 parameters)",
            f"{seconds(out['qre_seconds'])} ({out['qre_iterations']} iterations)",
            "",
        )
    t.notes.append(
        f"log-likelihood {out['llf']:.6f} (R: -286.123755); {out['nan_replicates']} replicates without a finite or "
        f"unique maximum are NaN; batch and separate fits differ by at most {out['max_difference_batch_vs_loop']:.2g}"
    )
    return t


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=REPLICATES[0])
    parser.add_argument("--loop", type=int, default=LOOPED[0], help="replicates fitted one by one (then averaged)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = measure(args.replicates, args.loop, args.repeats, args.seed)
    out.update(measure_models(args.repeats, args.seed))
    print(_table(out).render())
    return out


if __name__ == "__main__":
    main()
