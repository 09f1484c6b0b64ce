"""Monte Carlo over the istanbul-2025 priors: one batched solve vs a loop of single solves.

Run with ``python benchmarks/bench_montecarlo.py [--draws 10000] [--loop 200] [--seed 1]``.

The batched run solves all draws with :func:`negsim.analysis.monte_carlo` (batched payoff
evaluation, then the batched, screened CFR+ of :func:`negsim.analysis.solve_game` on every
draw; ``strategy="reuse"`` was the default before 7 December 2026 and is what the figures of
the one-shot model in benchmarks/README.md used). The loop solves draws one at a time exactly as a
user would without negsim's batching: compile the game for the draw's parameters and call
:func:`negsim.analysis.solve_game`. The loop is timed on ``--loop`` evenly spaced draws and
extrapolated linearly to all draws; on those draws the two must give the same equilibrium
(terminal probabilities equal to 1e-9).
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--loop", type=int, default=200, help="draws solved one by one (then extrapolated)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from negsim.analysis import monte_carlo, solve_game
    from negsim.scenarios import load_scenario

    scenario = load_scenario("istanbul-2025")
    compiled = scenario.compile()
    print(
        f"istanbul-2025: {compiled.game}; {args.draws:,} draws, seed {args.seed}; "
        f"{platform.processor() or platform.machine()}"
    )

    started = time.perf_counter()
    batched = monte_carlo(compiled, draws=args.draws, seed=args.seed)
    batch_seconds = time.perf_counter() - started

    picks = np.linspace(0, args.draws - 1, min(args.loop, args.draws)).astype(int)
    started = time.perf_counter()
    mismatches = 0
    for b in picks:
        params = {k: float(v[b]) for k, v in batched.parameters.items()}
        single = solve_game(compiled.game_for(params), scenario.solver)
        reach = single.profile.node_reach()[single.game.terminals]
        mismatches += not np.allclose(reach, batched.terminal_reach[b], atol=1e-9)
    loop_seconds = (time.perf_counter() - started) / picks.size * args.draws

    ratio = loop_seconds / batch_seconds
    print(
        f"batched: {batch_seconds:8.2f} s for {args.draws:,} draws ({batch_seconds / args.draws * 1e3:.3f} ms/draw), "
        f"{batched.certified.mean():.1%} certified, max NashConv {batched.nash_conv.max():.1e}, "
        f"{batched.info['seeded']} draws solved by batched CFR+"
    )
    print(
        f"loop:    {loop_seconds:8.2f} s extrapolated from {picks.size} draws "
        f"({loop_seconds / args.draws * 1e3:.1f} ms/draw)"
    )
    print(f"speed-up of the batched solve: {ratio:,.0f}x; outcomes differ on {mismatches} of {picks.size} draws")
    for outcome, stats in list(batched.summary().items())[:5]:
        print(f"  {stats['probability']:.3f} +/- {stats['standard_error']:.3f}  {outcome}")
    return {
        "draws": args.draws,
        "batch_seconds": batch_seconds,
        "loop_seconds": loop_seconds,
        "ratio": ratio,
        "mismatches": mismatches,
        "compared": int(picks.size),
    }


if __name__ == "__main__":
    main()
