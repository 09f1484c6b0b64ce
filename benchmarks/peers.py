"""Which peer libraries are installed, their versions, and thin adapters that run them.

Peers are optional: a missing one is reported in one line and its columns show ``-``.
Names: ``openspiel`` (the C++ solvers behind ``pyspiel``), ``liteefg`` (LiteEFG, which
loads OpenSpiel games), ``pygambit`` (run in a subprocess), ``cvxpy`` with its ``ECOS``
solver (needed only by OpenSpiel's Python ``sequence_form_lp``).
"""

from __future__ import annotations

import importlib
import importlib.metadata
from dataclasses import dataclass, field
from typing import Any

from benchmarks.common import Quiet, clock

PEERS = ("openspiel", "liteefg", "pygambit", "cvxpy")

_MODULES = {"openspiel": "pyspiel", "liteefg": "LiteEFG", "pygambit": "pygambit", "cvxpy": "cvxpy"}
_DISTRIBUTIONS = {"openspiel": "open_spiel", "liteefg": "liteefg", "pygambit": "pygambit", "cvxpy": "cvxpy"}

OPENSPIEL_NAMES = {"kuhn": "kuhn_poker", "leduc": "leduc_poker", "liars_dice": "liars_dice"}
"""OpenSpiel's names of the benchmark games (defaults: 2 players; Liar's dice 1 die, 6 sides)."""


@dataclass
class Peers:
    """The peers this run may use: imported modules, versions, and why others are missing."""

    modules: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.modules

    @property
    def pyspiel(self) -> Any:
        return self.modules.get("openspiel")

    @property
    def liteefg(self) -> Any:
        return self.modules.get("liteefg")


def detect(allowed: frozenset[str] | None = None) -> Peers:
    """Import each allowed peer; record its version or the reason it is unavailable."""
    found = Peers()
    for name in PEERS:
        if allowed is not None and name not in allowed:
            found.missing[name] = "left out with --peers"
            continue
        try:
            module = importlib.import_module(_MODULES[name])
        except Exception as error:  # a broken install is as good as a missing one here
            found.missing[name] = f"not installed ({type(error).__name__}: {error})"
            continue
        if name == "cvxpy" and "ECOS" not in _installed_solvers(module):
            # OpenSpiel's sequence_form_lp asks cvxpy for ECOS by name and fails without it
            found.missing[name] = "installed without ECOS, the solver OpenSpiel's sequence_form_lp asks for"
            continue
        found.modules[name] = module
        try:
            found.versions[name] = importlib.metadata.version(_DISTRIBUTIONS[name])
        except importlib.metadata.PackageNotFoundError:
            found.versions[name] = str(getattr(module, "__version__", "?"))
    return found


def _installed_solvers(cvxpy: Any) -> list[str]:
    try:
        return list(cvxpy.installed_solvers())
    except Exception:
        return []


# ---------------------------------------------------------------------------- OpenSpiel
_OPENSPIEL_GAMES: dict[str, Any] = {}


def openspiel_game(peers: Peers, key: str) -> Any:
    if key not in _OPENSPIEL_GAMES:
        _OPENSPIEL_GAMES[key] = peers.pyspiel.load_game(OPENSPIEL_NAMES[key])
    return _OPENSPIEL_GAMES[key]


def openspiel_solver(peers: Peers, key: str, variant: str) -> Any:
    """A fresh C++ solver: ``CFRPlusSolver`` for ``"cfr+"``, ``CFRSolver`` for ``"cfr"``."""
    pyspiel = peers.pyspiel
    cls = pyspiel.CFRPlusSolver if variant == "cfr+" else pyspiel.CFRSolver
    return cls(openspiel_game(peers, key))


def openspiel_iterations(peers: Peers, key: str, variant: str, iterations: int) -> float:
    """Seconds for ``iterations`` calls of ``evaluate_and_update_policy`` (solver built untimed)."""
    solver = openspiel_solver(peers, key, variant)
    started = clock()
    for _ in range(iterations):
        solver.evaluate_and_update_policy()
    return clock() - started


# ---------------------------------------------------------------------------- LiteEFG
class LiteRun:
    """A LiteEFG environment (an OpenSpiel game converted to LiteEFG's tree) with a CFR graph.

    One *iteration* is the baseline's ``update_graph(env)`` followed by
    ``env.update_strategy(strategy)``, which records the iterate for the average, as
    LiteEFG's own training loop does. LiteEFG's CFR+ updates player 1 then player 2
    (alternating); its CFR updates both players at once (simultaneous).
    """

    def __init__(self, peers: Peers, key: str, variant: str, env: Any = None) -> None:
        leg = peers.liteefg
        from LiteEFG.baselines import CFR, CFRplus

        module = CFRplus if variant == "cfr+" else CFR
        self.average = "linear-avg-iterate" if variant == "cfr+" else "avg-iterate"
        with Quiet():
            # converted games are cached under ~/game_instances (LiteEFG's choice)
            if env is None:
                env = leg.OpenSpielEnv(openspiel_game(peers, key), traverse_type="Enumerate")
            self.env = env
            self.graph = module.graph()
            self.env.set_graph(self.graph)
        self.strategy = self.graph.current_strategy()

    def step(self, iterations: int) -> float:
        started = clock()
        for _ in range(iterations):
            self.graph.update_graph(self.env)
            self.env.update_strategy(self.strategy)
        return clock() - started

    def nash_conv(self, which: str | None = None) -> float:
        """Sum of the players' best-response gains (what LiteEFG calls exploitability)."""
        return float(sum(self.env.exploitability(self.strategy, which or self.average)))


LITEEFG_UPDATES = {"cfr+": "alternating", "cfr": "simultaneous"}
