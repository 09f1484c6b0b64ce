"""Logit QRE tracing and replicator dynamics on a batch of 3-player games vs a loop over pygambit.

Run with ``python benchmarks/bench_qre.py [--games 1000] [--loop 40] [--seed 1]``.

The games are ``--games`` random 3-player games with 4 x 4 x 4 strategies and standard
normal payoffs (generic, so each principal QRE branch is a smooth curve). negsim traces
all branches in one call of :func:`negsim.solvers.qre.logit_qre` (batched arclength
predictor-corrector) and runs :func:`negsim.solvers.dynamics.replicator_dynamics` on the
batch. pygambit's ``pygambit.nash.logit_solve`` traces one game at a time; it is timed on
``--loop`` evenly spaced games and extrapolated linearly to all of them. Both stop where
no player gains more than ``1e-8`` times the payoff range (Gambit's ``maxregret``
convention, negsim's default ``max_regret``), so they end near the same point of the same
branch; on the looped games the script reports how far apart the final profiles are.
negsim's own single-game loop is timed on the same games for comparison. Ratios from one
run; the machine may be shared, so read ratios rather than absolute times.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=1000)
    parser.add_argument("--loop", type=int, default=40, help="games traced one by one (then extrapolated)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=2000, help="replicator steps")
    parser.add_argument("--dt", type=float, default=0.05, help="replicator step length")
    args = parser.parse_args(argv)

    import pygambit as gbt

    from negsim.games import NormalFormGame
    from negsim.solvers.dynamics import replicator_dynamics
    from negsim.solvers.qre import logit_qre

    rng = np.random.default_rng(args.seed)
    payoffs = rng.normal(size=(args.games, 3, 4, 4, 4))
    batch = NormalFormGame(payoffs, batched=True)
    print(
        f"{args.games:,} random 3-player 4x4x4 games, seed {args.seed}; "
        f"{platform.processor() or platform.machine()}; pygambit {gbt.__version__}"
    )

    started = time.perf_counter()
    branches = logit_qre(batch)
    qre_seconds = time.perf_counter() - started
    solution = branches.solution
    steps = np.asarray(solution.info["steps"])

    started = time.perf_counter()
    replicator = replicator_dynamics(batch, steps=args.steps, dt=args.dt, track_every=0)
    replicator_seconds = time.perf_counter() - started

    picks = np.linspace(0, args.games - 1, min(args.loop, args.games)).astype(int)
    gambit_final = []
    started = time.perf_counter()
    for b in picks:
        game = gbt.Game.from_arrays(*payoffs[b])
        result = gbt.nash.logit_solve(game, maxregret=1e-8)
        gambit_final.append(np.array([float(result.equilibria[0][s]) for s in game.strategies]))
    gambit_seconds = (time.perf_counter() - started) / picks.size * args.games

    started = time.perf_counter()
    for b in picks:
        logit_qre(batch.batch_item(int(b)))
    single_seconds = (time.perf_counter() - started) / picks.size * args.games

    mine = np.concatenate([p[picks] for p in solution.profile.probabilities], axis=1)
    difference = np.abs(mine - np.array(gambit_final)).max(axis=1)
    print(
        f"negsim logit_qre, batched: {qre_seconds:8.2f} s ({qre_seconds / args.games * 1e3:.2f} ms/game; "
        f"{int(np.median(steps))} steps median, {int(steps.max())} max; max NashConv "
        f"{np.max(solution.nash_conv):.1e}; all converged: {solution.converged})"
    )
    print(f"negsim logit_qre, looped:  {single_seconds:8.2f} s extrapolated from {picks.size} games")
    print(
        f"pygambit logit_solve loop: {gambit_seconds:8.2f} s extrapolated from {picks.size} games "
        f"({gambit_seconds / args.games * 1e3:.1f} ms/game)"
    )
    print(
        f"final profiles, negsim vs pygambit: max difference {difference.max():.1e} "
        f"(median {np.median(difference):.1e}) on {picks.size} games"
    )
    print(
        f"negsim replicator_dynamics, batched: {replicator_seconds:8.2f} s for {args.steps} steps "
        f"(median NashConv at the end {np.median(replicator.nash_conv):.1e})"
    )
    print(f"ratio pygambit loop / negsim batched logit_qre:      {gambit_seconds / qre_seconds:8.1f}x")
    print(f"ratio negsim loop / negsim batched logit_qre:        {single_seconds / qre_seconds:8.1f}x")
    print(f"ratio pygambit loop / negsim batched replicator:     {gambit_seconds / replicator_seconds:8.1f}x")
    return {
        "games": args.games,
        "qre_seconds": qre_seconds,
        "qre_loop_seconds": single_seconds,
        "gambit_seconds": gambit_seconds,
        "replicator_seconds": replicator_seconds,
        "max_profile_difference": float(difference.max()),
    }


if __name__ == "__main__":
    main()
