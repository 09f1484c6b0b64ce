"""Run one measured case in a fresh process: ``python -m benchmarks.worker '<json spec>'``.

Used for peak memory (a process's high-water mark cannot be shared between cases) and for
pygambit, which may need to be stopped after a timeout. The worker prints progress lines
``STEP <json>`` and a final ``RESULT <json>``.

Memory method: after the imports, and again after the game is built, the peak resident
set size is reset (``/proc/self/clear_refs``, Linux) and the current RSS read; the
extra peak of a phase is the high-water RSS at its end (``VmHWM``, the figure behind
``getrusage(RUSAGE_SELF).ru_maxrss``) minus the RSS at its start. Where the reset is
refused, the high-water marks are compared instead (a lower bound). negsim's cases also
record ``tracemalloc``'s peak during the solve, which counts numpy's array allocations.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any


def _emit(tag: str, payload: dict[str, Any]) -> None:
    print(f"{tag} {json.dumps(payload)}", flush=True)


def _status(field: str) -> int | None:
    """A ``/proc/self/status`` memory field in bytes (Linux), or None."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _current_rss() -> int | None:
    return _status("VmRSS")


def _max_rss() -> int:
    """Peak RSS of this process's memory.

    ``VmHWM`` is the high-water mark that ``getrusage(RUSAGE_SELF).ru_maxrss`` reports,
    without the floor ``ru_maxrss`` inherits from the parent's size at ``fork``/``exec``
    (which would hide any solve smaller than the harness process itself).
    """
    peak = _status("VmHWM")
    if peak is not None:
        return peak
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


class _Phase:
    """Extra peak RSS of one phase of the case."""

    def __enter__(self) -> _Phase:
        self.exact = _reset_peak()
        current = _current_rss() if self.exact else None
        self.start = current if current is not None else _max_rss()
        self.exact = self.exact and current is not None
        self.retained_start = _current_rss()
        return self

    def __exit__(self, *exc: object) -> None:
        self.peak = max(0, _max_rss() - self.start)
        end = _current_rss()
        self.retained = None if end is None or self.retained_start is None else end - self.retained_start


def _measure(load: Callable[[], Any], solve: Callable[[Any], Any], trace: bool) -> dict[str, Any]:
    imports = _current_rss()
    with _Phase() as build:
        loaded = load()
    if trace:
        tracemalloc.start()
    with _Phase() as work:
        started = time.process_time()
        solve(loaded)
        elapsed = time.process_time() - started
    traced = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    return {
        "rss_after_imports": imports,
        "game_peak": build.peak,
        "game_retained": build.retained,
        "solve_peak": work.peak,
        "tracemalloc_peak": traced,
        "seconds": elapsed,
        "exact_reset": build.exact and work.exact,
    }


# ---------------------------------------------------------------------------- cases
def _negsim_game(spec: dict[str, Any]) -> Callable[[], Any]:
    from benchmarks import games

    def load() -> Any:
        game = games.game(spec["game"])
        game.sequence_form  # noqa: B018 - the cached view belongs to the game, not to the solve
        if spec.get("batch"):
            game = game.with_batch(payoffs=games.payoff_variants(game, spec["batch"]))
            game.sequence_form  # noqa: B018
        return game

    return load


def negsim_cfr(spec: dict[str, Any]) -> dict[str, Any]:
    from negsim.solvers import cfr

    return _measure(
        _negsim_game(spec),
        lambda g: cfr(g, variant="cfr+", iterations=spec["iterations"], track_every=0),
        trace=True,
    )


def negsim_nash_conv(spec: dict[str, Any]) -> dict[str, Any]:
    from negsim.games import BehaviorProfile
    from negsim.solvers import nash_conv

    return _measure(_negsim_game(spec), lambda g: nash_conv(g, BehaviorProfile.uniform(g)), trace=True)


def negsim_lp(spec: dict[str, Any]) -> dict[str, Any]:
    from negsim.solvers.sequence_lp import sequence_lp

    return _measure(_negsim_game(spec), sequence_lp, trace=True)


def openspiel_cfr(spec: dict[str, Any]) -> dict[str, Any]:
    import pyspiel

    from benchmarks.peers import OPENSPIEL_NAMES

    def solve(game: Any) -> None:
        solver = pyspiel.CFRPlusSolver(game)
        for _ in range(spec["iterations"]):
            solver.evaluate_and_update_policy()

    return _measure(lambda: pyspiel.load_game(OPENSPIEL_NAMES[spec["game"]]), solve, trace=False)


def liteefg_cfr(spec: dict[str, Any]) -> dict[str, Any]:
    import pyspiel

    from benchmarks.common import Quiet
    from benchmarks.peers import OPENSPIEL_NAMES, LiteRun, detect

    peers = detect(frozenset({"openspiel", "liteefg"}))

    def load() -> Any:
        game = pyspiel.load_game(OPENSPIEL_NAMES[spec["game"]])
        with Quiet():
            import LiteEFG

            return LiteEFG.OpenSpielEnv(game, traverse_type="Enumerate")

    def solve(env: Any) -> None:
        LiteRun(peers, spec["game"], "cfr+", env=env).step(spec["iterations"])

    return _measure(load, solve, trace=False)


def pygambit_lp(spec: dict[str, Any]) -> dict[str, Any]:
    """Read the first ``.efg`` pygambit accepts, then ``lp_solve`` it (floating point)."""
    import pygambit

    rejected = []
    game = source = None
    started = time.process_time()
    for name, path in spec["candidates"]:
        try:
            game = pygambit.read_efg(path)
            source = name
            break
        except Exception as error:
            rejected.append([name, f"{type(error).__name__}: {error}"])
    read_seconds = time.process_time() - started
    if game is None:
        return {"source": None, "rejected": rejected}
    # the parent counts its CPU-time limit from here (process CPU time, as /proc reports it)
    _emit("STEP", {"source": source, "rejected": rejected, "read_seconds": read_seconds, "cpu": time.process_time()})
    started = time.process_time()
    result = pygambit.nash.lp_solve(game, rational=spec.get("rational", False))
    elapsed = time.process_time() - started
    profile = result.equilibria[0]
    return {
        "source": source,
        "rejected": rejected,
        "read_seconds": read_seconds,
        "seconds": elapsed,
        # pygambit 16.7 no longer indexes players by integer
        "value": float(profile.payoff(list(game.players)[0])),
        "max_rss": _max_rss(),
    }


CASES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "negsim_cfr": negsim_cfr,
    "negsim_nash_conv": negsim_nash_conv,
    "negsim_lp": negsim_lp,
    "openspiel_cfr": openspiel_cfr,
    "liteefg_cfr": liteefg_cfr,
    "pygambit_lp": pygambit_lp,
}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    _emit("RESULT", CASES[spec["kind"]](spec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
