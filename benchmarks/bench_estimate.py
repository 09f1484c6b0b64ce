"""Strategic estimation: the war1800 egame12 fit and bootstrap replicates as one batch.

Run with ``python -m benchmarks.bench_estimate [--replicates 1000] [--loop 20] [--seed 0]``.

Times (i) the fit of the R package's ``egame12`` example on war1800 (282 observations,
10 parameters), once with the model already built and once with formula parsing, (ii)
``--replicates`` bootstrap replicates fitted as one batch
(:func:`negsim.estimate.bootstrap.bootstrap_fits`), and (iii) ``--loop`` of the same
replicates fitted one after another (a fresh model per resample), extrapolated to all.
The reference points are the R package ``games``: about 0.1 s per fit and 0.11 s per
bootstrap replicate (/work/shared/data/README.md). Wall clock, best of ``--repeats``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

FORMULAS = ["s_wt_re1 + revis1", "0", "regime1", "balanc + regime2"]
R_SECONDS_PER_FIT = 0.1
R_SECONDS_PER_REPLICATE = 0.11


def _best(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--loop", type=int, default=20, help="replicates fitted one by one (then extrapolated)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import negsim.estimate as est
    from negsim.estimate.bootstrap import bootstrap_fits
    from negsim.estimate.formulas import Design
    from negsim.estimate.model import StrategicModel

    data = est.load_war1800()
    fit = est.egame12(FORMULAS, data=data, outcome="outcome")
    model = fit.model
    fit_seconds = _best(model.fit, args.repeats)
    call_seconds = _best(lambda: est.egame12(FORMULAS, data=data, outcome="outcome"), args.repeats)
    params = fit.params.to_numpy()

    started = time.perf_counter()
    reps = bootstrap_fits(model, params, args.replicates, seed=args.seed)
    batch_seconds = time.perf_counter() - started

    n = model.exog.shape[0]
    weights = np.random.default_rng(args.seed).multinomial(n, np.full(n, 1.0 / n), size=args.loop)
    d = model.design
    started = time.perf_counter()
    for w in weights:
        rows = np.repeat(np.arange(n), w)
        resampled = Design(d.exog[rows], d.names, d.blocks, d.utilities, d.specs, np.ones(len(rows), bool))
        StrategicModel(model.likelihood, resampled, model.observed[rows], model.outcome_labels).fit()
    loop_per_replicate = (time.perf_counter() - started) / max(args.loop, 1)

    per_replicate = batch_seconds / args.replicates
    out = {
        "fit_seconds": fit_seconds,
        "call_seconds": call_seconds,
        "replicates": args.replicates,
        "batch_seconds": batch_seconds,
        "batch_seconds_per_replicate": per_replicate,
        "loop_seconds_per_replicate": loop_per_replicate,
        "batch_vs_loop": loop_per_replicate / per_replicate,
        "batch_vs_r_package": R_SECONDS_PER_REPLICATE / per_replicate,
        "unconverged_replicates": int(np.isnan(reps).any(axis=1).sum()),
        "llf": float(fit.llf),
    }
    print(f"war1800 egame12 (N = {n}, K = {params.size}), log-likelihood {fit.llf:.6f}")
    print(f"  fit of the built model      {fit_seconds * 1e3:8.1f} ms   (R package ~{R_SECONDS_PER_FIT * 1e3:.0f} ms)")
    print(f"  egame12() with formulas     {call_seconds * 1e3:8.1f} ms")
    print(
        f"  {args.replicates} bootstrap replicates, one batch: {batch_seconds:.2f} s "
        f"({per_replicate * 1e3:.1f} ms each, {out['unconverged_replicates']} not converged)"
    )
    print(f"  one after another ({args.loop} timed):  {loop_per_replicate * 1e3:.1f} ms each")
    print(f"  batch vs loop {out['batch_vs_loop']:.1f}x; batch vs R package {out['batch_vs_r_package']:.1f}x")
    return out


if __name__ == "__main__":
    main()
