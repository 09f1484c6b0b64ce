"""Monte Carlo of the bundled scenarios with and without the CFR+ screen, and with each batch strategy.

Run from the repository root with ``python -m benchmarks.bench_screen [--draws 2000] [--seed 1]``.

Four ways to solve the same draws, in turn in one process: ``strategy="reuse"`` (seed a few
draws, certify their equilibria on the rest) or ``"cfr"`` (solve every draw), each with the
short screening run of :func:`negsim.analysis.solve_game` (``SCREEN_ITERATIONS``) or without
it (only the full run). Prints seconds, ms per draw, the share certified and the largest
NashConv, and whether every configuration ended with the same certified draws. Run with
``PYTHONPATH`` pointing at an older checkout, it times what that checkout has (for before and
after figures on one machine).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

SCENARIOS = ("istanbul-2025", "istanbul-2022", "sanctions-2025")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="default: all three")
    args = parser.parse_args(argv)

    from negsim.analysis import monte_carlo
    from negsim.analysis import solve as solve_module
    from negsim.scenarios import load_scenario

    screen = getattr(solve_module, "SCREEN_ITERATIONS", None)
    screens = (None,) if screen is None else (screen, 10**9)  # 10**9: no run is long enough to be screened
    for name in args.scenario or SCENARIOS:
        compiled = load_scenario(name).compile()
        monte_carlo(compiled, draws=8, seed=0)  # imports and caches out of the timings
        certified = []
        for strategy in ("reuse", "cfr"):
            for iterations in screens:
                if iterations is not None:
                    solve_module.SCREEN_ITERATIONS = iterations
                started = time.perf_counter()
                result = monte_carlo(compiled, draws=args.draws, seed=args.seed, strategy=strategy)
                seconds = time.perf_counter() - started
                certified.append(result.certified)
                label = "as checked out" if iterations is None else (
                    "no screen" if iterations == 10**9 else f"screen {iterations}")
                print(f"{name:15} {strategy:6} {label:15} {seconds:8.2f} s  {1e3 * seconds / args.draws:6.2f} ms/draw  "
                      f"certified {result.certified.mean():6.1%}  max NashConv {result.nash_conv.max():.2g}")
        if screen is not None:
            solve_module.SCREEN_ITERATIONS = screen
        same = all(np.array_equal(certified[0], c) for c in certified[1:])
        print(f"{name:15} the same draws certified in every configuration: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
