"""``negsim.solve``: choose a solver by name and check that it fits the game.

The solvers themselves are plain functions in their own modules; this module only maps
names to them, converts between the normal and the extensive form where a method needs
it, and refuses with :class:`~negsim.SolverError` when a method cannot apply (the LP on a
general-sum game, backward induction with imperfect information, CFR without perfect
recall).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from negsim.errors import SolverError
from negsim.games.extensive import ExtensiveFormGame
from negsim.games.normal import NormalFormGame
from negsim.solvers.solution import Solution

__all__ = [
    "solve", "methods", "methods_for", "method_options", "iterative_methods", "time_limited_methods", "choose_method"
]

LP_SEQUENCE_LIMIT = 200_000
"""Largest game (sequences of both players) that ``method="auto"`` solves with the LP."""


@dataclass(frozen=True)
class _Method:
    name: str
    summary: str
    run: Callable[..., Solution]
    forms: tuple[str, ...]  # "extensive", "normal"
    # "module:function" whose keyword parameters are the options the method takes; empty: ``run``'s own
    targets: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()  # options the runner itself translates (``iterations`` -> ``steps``)
    fixed: tuple[str, ...] = ()  # parameters the runner sets (CFR's ``variant``)
    iterative: bool = False  # runs for a number of ``iterations`` (the CLI's ``--iterations``)

    def options(self) -> frozenset[str] | None:
        """The keyword options the method accepts, or ``None`` when its runner takes any."""
        import importlib
        import inspect

        functions = [
            getattr(importlib.import_module(f"negsim.solvers.{module}"), name)
            for module, name in (target.split(":") for target in self.targets)
        ] or [self.run]
        names: set[str] = set(self.extra)
        for function in functions:
            parameters = list(inspect.signature(function).parameters.values())[1:]  # after the game
            if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
                return None
            names.update(p.name for p in parameters if p.kind is not inspect.Parameter.VAR_POSITIONAL)
        return frozenset(names - set(self.fixed))


def _cfr_variant(variant: str) -> Callable[..., Solution]:
    def run(game: Any, **options: Any) -> Solution:
        from negsim.solvers._cfr import cfr

        return cfr(game, variant=variant, **options)

    run.__name__ = f"cfr_{variant}"
    return run


def _lp(game: Any, **options: Any) -> Solution:
    from negsim.solvers.sequence_lp import sequence_lp

    return sequence_lp(game, **options)


def _backward(game: Any, **options: Any) -> Solution:
    from negsim.solvers.backward_induction import backward_induction

    return backward_induction(game, **options)


def _lazy(module: str, function: str, *, attribute: str | None = None) -> Callable[..., Solution]:
    """A runner that imports ``negsim.solvers.<module>.<function>`` on first use."""

    def run(game: Any, **options: Any) -> Solution:
        import importlib

        result = getattr(importlib.import_module(f"negsim.solvers.{module}"), function)(game, **options)
        return getattr(result, attribute) if attribute else result

    run.__name__ = function
    return run


def _iterations_as_steps(game: Any, **options: Any) -> Solution:
    """The replicator dynamics counts ``steps``; accept ``iterations`` like the other methods."""
    from negsim.solvers.dynamics import replicator_dynamics

    if "iterations" in options:
        options["steps"] = options.pop("iterations")
    return replicator_dynamics(game, **options)


def _qre(game: Any, **options: Any) -> Solution:
    """Logit QRE traced to a large lambda (normal form) or agent QRE (trees)."""
    from negsim.solvers.qre import agent_qre, logit_qre

    if isinstance(game, NormalFormGame):
        return logit_qre(game, **options).solution
    return agent_qre(game, **options).solution


_CFR = {"targets": ("_cfr:cfr",), "fixed": ("variant",), "iterative": True}
_METHODS: dict[str, _Method] = {
    "cfr": _Method("cfr", "vanilla counterfactual regret minimization (approximate)", _cfr_variant("cfr"),
                   ("extensive",), **_CFR),
    "cfr+": _Method("cfr+", "CFR+ with linear averaging (approximate; fastest to converge here)", _cfr_variant("cfr+"),
                    ("extensive",), **_CFR),
    "lcfr": _Method("lcfr", "linear CFR (approximate)", _cfr_variant("lcfr"), ("extensive",), **_CFR),
    "dcfr": _Method("dcfr", "discounted CFR, alpha=1.5 beta=0 gamma=2 (approximate)", _cfr_variant("dcfr"),
                    ("extensive",), **_CFR),
    "lp": _Method("lp", "sequence-form linear program, exact (two-player zero-sum)", _lp, ("extensive", "normal"),
                  targets=("sequence_lp:sequence_lp",)),
    "backward": _Method("backward", "backward induction, subgame-perfect (perfect information)", _backward,
                        ("extensive",), targets=("backward_induction:backward_induction",)),
    "lemke": _Method("lemke", "Lemke's algorithm on the sequence-form LCP, exact (two players)",
                     _lazy("lemke", "lemke"), ("extensive", "normal"), targets=("lemke:lemke",)),
    "support": _Method("support", "support enumeration, all equilibria (two-player normal form)",
                       _lazy("nashpy_methods", "support_enumeration"), ("normal",),
                       targets=("nashpy_methods:support_enumeration",)),
    "vertex": _Method("vertex", "vertex enumeration, all extreme equilibria (two-player normal form)",
                      _lazy("nashpy_methods", "vertex_enumeration"), ("normal",),
                      targets=("nashpy_methods:vertex_enumeration",)),
    "lemke-howson": _Method("lemke-howson", "Lemke-Howson from every starting label (two-player normal form)",
                            _lazy("nashpy_methods", "lemke_howson"), ("normal",),
                            targets=("nashpy_methods:lemke_howson",)),
    "pure": _Method("pure", "all pure-strategy equilibria (n-player normal form)", _lazy("pure", "pure_nash"),
                    ("normal",), targets=("pure:pure_nash",)),
    "replicator": _Method("replicator", "replicator dynamics (n-player normal form; rest points need not be Nash)",
                          _iterations_as_steps, ("normal",), targets=("dynamics:replicator_dynamics",),
                          extra=("iterations",), iterative=True),
    "fictitious": _Method("fictitious", "fictitious play (n-player normal form)",
                          _lazy("dynamics", "fictitious_play"), ("normal",), targets=("dynamics:fictitious_play",),
                          iterative=True),
    "qre": _Method("qre", "logit quantal response equilibrium traced in lambda (normal form; agent QRE on trees)",
                   _qre, ("normal", "extensive"), targets=("qre:logit_qre", "qre:agent_qre")),
    "correlated": _Method("correlated", "welfare-maximizing correlated equilibrium by LP (normal form)",
                          _lazy("correlated", "correlated_equilibrium"), ("normal",),
                          targets=("correlated:correlated_equilibrium",)),
    "spe": _Method("spe", "subgame-perfect equilibrium, subgames solved bottom-up (extensive form)",
                   _lazy("subgame_perfect", "spe"), ("extensive",), targets=("subgame_perfect:spe",)),
}

ENUMERATING = ("support", "vertex", "lemke-howson", "pure")
"""Methods that return every equilibrium they find in ``Solution.equilibria``."""

_ALIASES = {"cfrplus": "cfr+", "cfr-plus": "cfr+", "linear-cfr": "lcfr", "discounted-cfr": "dcfr",
            "sequence-lp": "lp", "backward-induction": "backward"}


def register(
    name: str, summary: str, run: Callable[..., Solution], forms: tuple[str, ...], *, iterative: bool = False
) -> None:
    """Make another solver available to :func:`solve` under ``name``.

    ``run(game, **options)`` returns a :class:`Solution`; the options it accepts are the
    keyword parameters of its signature (any, when it takes ``**options``). ``iterative``
    methods take ``iterations=``.
    """
    _METHODS[name] = _Method(name, summary, run, forms, iterative=iterative)


def methods() -> dict[str, str]:
    """The method names :func:`solve` accepts, with a one-line description each.

    Examples
    --------
    >>> "cfr+" in methods() and "lp" in methods()
    True
    """
    out = {"auto": "pick the strongest method that fits the game"}
    out.update({name: m.summary for name, m in _METHODS.items()})
    return out


def methods_for(form: str) -> dict[str, str]:
    """The methods that solve games of one form (``"extensive"`` or ``"normal"``), with descriptions.

    Examples
    --------
    >>> "spe" in methods_for("extensive"), "pure" in methods_for("extensive")
    (True, False)
    """
    out = {"auto": "pick the strongest method that fits the game"}
    out.update({name: m.summary for name, m in _METHODS.items() if form in m.forms})
    return out


def iterative_methods() -> tuple[str, ...]:
    """The methods that run for a number of ``iterations`` (CFR family, learning dynamics).

    Examples
    --------
    >>> "cfr+" in iterative_methods() and "lp" not in iterative_methods()
    True
    """
    return tuple(name for name, m in _METHODS.items() if m.iterative)


def method_options(name: str) -> frozenset[str] | None:
    """The keyword options a method accepts (``None`` when its solver takes any).

    Read from the solver's signature, so what :func:`negsim.solve` accepts and what this
    reports cannot differ.

    Raises
    ------
    SolverError
        If the method is unknown.

    Examples
    --------
    >>> "iterations" in method_options("cfr+") and "time_limit" in method_options("cfr+")
    True
    >>> "progress" in method_options("fictitious")
    False
    """
    key = str(name).strip().lower()
    entry = _METHODS.get(_ALIASES.get(key, key))
    if entry is None:
        raise SolverError(f"unknown method {name!r}; known: {', '.join(methods())}")
    return entry.options()


def time_limited_methods() -> tuple[str, ...]:
    """The methods that take ``time_limit=`` (seconds) and stop when it runs out.

    An iterative method returns its lowest-NashConv profile among the checkpoints it
    measured, an enumerating one the equilibria found so far; either way with
    ``converged=False`` and ``info["stopped_early"] = True``. Lemke's algorithm, whose
    path has no usable point before its end, raises :class:`~negsim.SolverError`
    instead. The option comes from each
    solver's signature, so a method registered with a runner that takes ``time_limit``
    is listed too.

    Examples
    --------
    >>> "cfr+" in time_limited_methods() and "vertex" in time_limited_methods()
    True
    >>> "lp" in time_limited_methods()
    False
    """
    out = []
    for name, entry in _METHODS.items():
        accepted = entry.options()
        if accepted is not None and "time_limit" in accepted:
            out.append(name)
    return tuple(out)


def choose_method(game: ExtensiveFormGame | NormalFormGame) -> str:
    """The method ``method="auto"`` uses for ``game``, and why it fits.

    Perfect-information trees get backward induction (exact and subgame perfect);
    two-player zero-sum games the LP (exact) unless they are very large; two-player
    general-sum trees Lemke's algorithm (exact), normal forms support enumeration (every
    extreme equilibrium) or Lemke's algorithm for larger ones (never Lemke-Howson from
    every label, which can pivot exponentially long); games of three or more players
    their pure equilibria when there are some, else the logit QRE traced to a large
    lambda (normal form) or CFR+ (trees), with the NashConv reported.

    Examples
    --------
    >>> from negsim.games import library
    >>> choose_method(library.kuhn_poker()), choose_method(library.ultimatum())
    ('lp', 'backward')
    >>> choose_method(library.battle_of_the_sexes())
    'support'
    """
    if isinstance(game, NormalFormGame):
        if game.num_players == 2 and game.is_constant_sum():
            return "lp"
        if game.num_players == 2:
            # every extreme equilibrium when support enumeration stays affordable, else Lemke-Howson
            import math

            from negsim.solvers.nashpy_methods import MAX_SUPPORT_SYSTEMS

            m, k = game.shape
            # Lemke-Howson from every label can pivot exponentially long (it ran past 150 s on a
            # random 12x12 game); Lemke's algorithm from the uniform prior finds one equilibrium
            return "support" if math.comb(m + k, m) - 1 <= MAX_SUPPORT_SYSTEMS else "lemke"
        from negsim.solvers.pure import pure_equilibria

        if game.batch_size is None and game.num_profiles <= 1_000_000 and pure_equilibria(game):
            return "pure"
        return "qre"
    game.require_perfect_recall("every negsim solver", error=SolverError)
    if game.is_perfect_information:
        return "backward"
    two_zero = game.num_players == 2 and game.is_constant_sum()
    if two_zero and sum(game.num_sequences) <= LP_SEQUENCE_LIMIT:
        return "lp"
    if game.num_players == 2 and not two_zero and sum(game.num_sequences) <= 2_000:
        return "lemke"
    return "cfr+"


def solve(game: ExtensiveFormGame | NormalFormGame, method: str = "auto", **options: Any) -> Solution:
    """Solve a game with the named method.

    Parameters
    ----------
    game : ExtensiveFormGame or NormalFormGame
        The game (or batch of games) to solve.
    method : str
        One of :func:`negsim.methods` (``"auto"``, ``"cfr"``, ``"cfr+"``, ``"lcfr"``, ``"dcfr"``,
        ``"lp"``, ``"backward"``, ...).
    **options
        Passed to the solver (for example ``iterations=`` for CFR). The iterative and
        enumerating methods (:func:`time_limited_methods`) take ``time_limit=``
        (seconds): when it runs out they return their best profile so far, or the
        equilibria found so far, with ``converged=False`` and
        ``info["stopped_early"] = True`` (Lemke's algorithm raises a ``SolverError``).
        With ``method="auto"`` a direct method that takes no limit (the LP, backward
        induction, QRE) runs without it, and ``info["time_limit_ignored"]`` says so.

    Returns
    -------
    Solution

    Raises
    ------
    SolverError
        If the method is unknown or does not fit the game, or would need more memory or
        enumerate more than the limits of :mod:`negsim.solvers.budget` allow.

    Examples
    --------
    >>> import negsim
    >>> kuhn = negsim.games.library.kuhn_poker()
    >>> solution = negsim.solve(kuhn, method="lp")
    >>> round(float(solution.values[0]), 9)
    -0.055555556
    >>> negsim.solve(negsim.games.library.ultimatum(), method="auto").method
    'backward'
    >>> quick = negsim.solve(negsim.games.library.leduc_poker(), method="cfr+", iterations=10**9, time_limit=0.5)
    >>> quick.info["stopped_early"], quick.converged
    (True, False)
    """
    if not isinstance(game, ExtensiveFormGame | NormalFormGame):
        raise SolverError(f"solve() takes an ExtensiveFormGame or NormalFormGame, not {type(game).__name__}")
    key = str(method).strip().lower()
    key = _ALIASES.get(key, key)
    automatic = key == "auto"
    if automatic:
        key = choose_method(game)
    if key not in _METHODS:
        import difflib

        close = difflib.get_close_matches(key, list(methods()), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise SolverError(f"unknown method {method!r}{hint} (known: {', '.join(methods())})")
    entry = _METHODS[key]
    _check_fit(game, key)
    from negsim.solvers.budget import check

    check(game, key)  # refuse before allocating: the estimate and the limit, not a MemoryError
    if isinstance(game, ExtensiveFormGame) and "extensive" not in entry.forms:
        raise SolverError(
            f"method {key!r} works on normal-form games; convert with negsim.games.reduced_normal_form first"
        )
    if isinstance(game, NormalFormGame) and "normal" not in entry.forms:
        from negsim.games.convert import to_extensive

        if game.batch_size is not None:
            raise SolverError(f"method {key!r} works on extensive games; convert batch items one by one")
        game = to_extensive(game)
    accepted = entry.options()
    untimed = automatic and "time_limit" in options and accepted is not None and "time_limit" not in accepted
    if untimed:  # "auto" picked a direct method: it runs without the limit, and says so
        from negsim.solvers.budget import deadline

        deadline(options["time_limit"], 0.0)  # a bad value is still an error
        options = {name: value for name, value in options.items() if name != "time_limit"}
    unknown = sorted(set(options) - accepted) if accepted is not None else []
    if unknown:
        raise SolverError(
            f"method {key!r} takes no option {unknown[0]!r} (it takes: {', '.join(sorted(accepted)) or 'none'})"
        )
    try:
        solution = entry.run(game, **options)
    except SolverError as error:
        if not (automatic and key == "support" and "no verified equilibrium" in str(error)):
            raise
        # payoffs spanning more than ~12 orders of magnitude defeat support enumeration's float
        # tolerances; Lemke's algorithm retries small problems in exact rational arithmetic
        key, entry = "lemke", _METHODS["lemke"]
        untimed = "time_limit" in options
        solution = entry.run(game, **{name: value for name, value in options.items() if name != "time_limit"})
    from dataclasses import replace

    if solution.method != key:  # one name per method, whatever the solver calls itself
        solution = replace(solution, method=key, info={**solution.info, "solver": solution.method})
    if untimed:
        solution = replace(solution, info={**solution.info, "time_limit_ignored": f"{key!r} takes no time limit"})
    return solution


def _check_fit(game: ExtensiveFormGame | NormalFormGame, key: str) -> None:
    n = game.num_players
    if key == "lp":
        if n != 2 or not game.is_constant_sum():
            raise SolverError(
                "the LP needs a two-player zero-sum (or constant-sum) game; "
                "use 'lemke' or 'cfr+' for general-sum games"
            )
    if key in ("lemke", "support", "vertex", "lemke-howson") and n != 2:
        raise SolverError(f"method {key!r} needs a two-player game; use 'pure', 'qre', 'replicator' or 'cfr+'")
    if isinstance(game, ExtensiveFormGame):
        if key in ("cfr", "cfr+", "lcfr", "dcfr", "lp", "lemke", "spe", "qre"):
            game.require_perfect_recall(f"method {key!r}", error=SolverError)
        if key == "backward" and not game.is_perfect_information:
            raise SolverError(
                "backward induction needs perfect information (every information set a single node); "
                "use 'cfr+', 'lp' or 'spe'"
            )
