"""The linked game of the 2025 talks: one solve end to end, and a 10,000-draw Monte Carlo.

Run with ``python -m benchmarks.bench_linked [--draws 10000] [--seed 1] [--repeat 3]``.

Each measurement runs in a fresh Python process, so that its time includes importing negsim
and its peak memory (the process's maximum resident set size) is its own:

- **one solve**: load ``istanbul-2025``, compile it, solve it as ``negsim run`` does (CFR+
  with a tremble, then purification and the certificate that the pure profile is an exact
  equilibrium: NashConv 0 and a best response everywhere against trembles), and tell the
  equilibrium path;
- **Monte Carlo**: ``negsim.analysis.monte_carlo`` over the scenario's priors, all draws as
  one batched solve.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

_ONE_SOLVE = """
import json, resource, time
t0, c0 = time.perf_counter(), time.process_time()
from negsim.scenarios import load_scenario
from negsim.analysis import explain, solve_game
scenario = load_scenario("istanbul-2025")
t1 = time.perf_counter()
compiled = scenario.compile()
t2 = time.perf_counter()
solution = solve_game(compiled.game, scenario.solver)
t3 = time.perf_counter()
story = explain(compiled, solution)
t4 = time.perf_counter()
game = compiled.game
print(json.dumps({
    "import_and_load": t1 - t0, "compile": t2 - t1, "solve_and_certify": t3 - t2, "explain": t4 - t3,
    "total": t4 - t0, "cpu_total": time.process_time() - c0, "nash_conv": float(solution.nash_conv),
    "nodes": int(game.num_nodes), "terminals": int(game.num_terminals),
    "infosets": [int(n) for n in game.num_infosets], "sequences": [int(n) for n in game.num_sequences],
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""

_MONTE_CARLO = """
import json, resource, sys, time
draws, seed = int(sys.argv[1]), int(sys.argv[2])
from negsim.scenarios import load_scenario
from negsim.analysis import monte_carlo
compiled = load_scenario("istanbul-2025").compile()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0, c0 = time.perf_counter(), time.process_time()
result = monte_carlo(compiled, draws=draws, seed=seed)
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({
    "draws": draws, "seconds": seconds, "cpu_seconds": cpu,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rss_before_mib": before, "certified": float(result.certified.mean()),
    "max_nash_conv": float(result.nash_conv.max()),
    "facts": {name: float(result.facts[name].mean()) for name in result.facts},
}))
"""


def _child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="one-solve runs (the fastest is reported)")
    args = parser.parse_args(argv)

    runs = [_child(_ONE_SOLVE) for _ in range(max(1, args.repeat))]
    best = min(runs, key=lambda r: r["total"])
    print(
        f"istanbul-2025: {best['nodes']:,} nodes, {best['terminals']:,} terminals, "
        f"information sets {best['infosets']}, sequences {best['sequences']}"
    )
    print(
        f"one solve (fastest of {len(runs)}): {best['total']:.2f} s in all ({best['cpu_total']:.2f} s CPU) - "
        f"import and load "
        f"{best['import_and_load']:.2f} s, compile {best['compile']:.2f} s, solve and certify "
        f"{best['solve_and_certify']:.2f} s, narrative {best['explain']:.2f} s; NashConv {best['nash_conv']:.1g}; "
        f"peak memory {best['peak_rss_mib']:.0f} MiB"
    )
    started = time.perf_counter()
    mc = _child(_MONTE_CARLO, str(args.draws), str(args.seed))
    print(
        f"Monte Carlo, {mc['draws']:,} draws as one batched solve: {mc['seconds']:.1f} s "
        f"({mc['cpu_seconds']:.1f} s CPU) "
        f"({mc['seconds'] / mc['draws'] * 1e3:.2f} ms/draw), peak memory {mc['peak_rss_mib']:.0f} MiB "
        f"({mc['rss_before_mib']:.0f} MiB before solving); {mc['certified']:.1%} certified, "
        f"max NashConv {mc['max_nash_conv']:.1e}; wall {time.perf_counter() - started:.0f} s"
    )
    for name, share in mc["facts"].items():
        print(f"  {share:6.1%}  {name}")
    return {"one_solve": best, "monte_carlo": mc}


if __name__ == "__main__":
    main()
