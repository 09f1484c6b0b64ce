"""A Monte Carlo on a dask ``LocalCluster``: draws per second and the peak memory of every process.

The draws are made and solved in chunks by the cluster's workers (``monte_carlo(...,
keep="summary", executor=client)``): the client sends each worker the negotiation once
(``client.scatter``) and then, per chunk, a range of
draws to make, and each worker holds one chunk at a time and sends back statistics per
column only (count, mean, sum of squared deviations, min, max), which the client merges and
drops. So neither the client's memory nor a worker's grows with the number of draws: about
the interpreter and libraries plus ``CHUNK_BYTES`` per worker, plus a few numbers per
column. The peak resident set size of the client and of each worker process is read from
the kernel (``ru_maxrss``) at the end.

Run from the repository root (needs the ``dask`` extra)::

    python -m benchmarks.sweep_dask --scenario istanbul-2022 --draws 100000 --workers 2
    python -m benchmarks.sweep_dask --scenario istanbul-2025 --draws 10000 100000 1000000

With several ``--draws`` each count runs in a fresh process and a fresh cluster, so that each
line's peaks are that run's own.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="istanbul-2022")
    parser.add_argument("--draws", type=int, nargs="+", default=[100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunks", type=int, default=None, help="least number of chunks (default: 8 per worker)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--executor", action="store_true",
                        help="submit through client.get_executor(), which sends the negotiation with every chunk")
    args = parser.parse_args(argv)
    if len(args.draws) > 1:
        for draws in args.draws:
            command = [sys.executable, "-m", "benchmarks.sweep_dask", "--scenario", args.scenario, "--draws",
                       str(draws), "--workers", str(args.workers), "--seed", str(args.seed)]
            if args.chunks:
                command += ["--chunks", str(args.chunks)]
            if args.executor:
                command.append("--executor")
            subprocess.run(command, check=True)
        return 0
    draws = args.draws[0]

    from dask.distributed import Client, LocalCluster

    from negsim.analysis import monte_carlo
    from negsim.scenarios import load_scenario

    scenario = load_scenario(args.scenario)
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, Client(cluster) as client:
        started = time.perf_counter()
        executor = client.get_executor() if args.executor else client
        result = monte_carlo(scenario, draws=draws, seed=args.seed, executor=executor,
                             chunks=args.chunks or 8 * args.workers, keep="summary")
        seconds = time.perf_counter() - started
        workers = client.run(_peak_mib)
    print(f"{args.scenario}: {result.draws:,} draws on a dask LocalCluster of {args.workers} worker processes "
          f"in {seconds:.0f} s ({1e3 * seconds / result.draws:.2f} ms per draw, {result.info['chunks']} chunks)")
    print(f"certified {result.certified_share:.1%}, max NashConv {result.max_nash_conv:.2g}")
    print(f"peak RSS: client {_peak_mib():.0f} MiB; workers "
          + ", ".join(f"{mib:.0f}" for mib in workers.values()) + " MiB")
    for outcome, stats in list(result.summary().items())[:3]:
        print(f"  {stats['probability']:.4f} +/- {stats['standard_error']:.4f}  {outcome}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
