"""Pages generated from the code at build time, so that they follow it.

- ``api/*.rst``: the API reference, one page per package, listing every name of every
  public module's ``__all__`` once (where a user first meets it); :func:`api_pages` is
  also what the test of the reference's completeness inspects.
- ``generated/scenario-keys.rst``: the tables of the scenario format, from
  :data:`negsim.scenarios.schema.SECTIONS`.
- ``scenarios/*.rst``: one page per bundled scenario, from its file: sources,
  parameters with their sources, the facts and their ``negsim check`` verdicts.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import textwrap
from pathlib import Path

import negsim

PACKAGES = (
    ("negsim", "The top level", "``import negsim`` gives the solvers' entry point, the game classes and the errors."),
    ("negsim.games", "Games", "The game data model: extensive and normal form as flat arrays, builders, the library."),
    ("negsim.io", "Reading and writing games", "Gambit ``.efg``/``.nfg`` files and the OpenSpiel bridge."),
    ("negsim.solvers", "Solvers", "One algorithm per module; :func:`negsim.solve` dispatches by name."),
    ("negsim.negotiation", "Negotiations", "Agents, issues, preconditions, moves, stages, chance; the compiler."),
    ("negsim.scenarios", "Scenario files", "Loading scenario files, and the declared format."),
    ("negsim.analysis", "Analysis", "Solving scenarios, narratives, stylized facts, sweeps, Monte Carlo, thresholds."),
    ("negsim.estimate", "Estimation", "Strategic models fitted to data, and scenarios calibrated to observed paths."),
    ("negsim.plot", "Figures", "matplotlib figures of games, sweeps, outcomes and convergence."),
)
"""The API pages in order. ``negsim.cli`` is the command line, documented by ``negsim --help``."""

INTERFACE_ONLY = {"negsim.cli"}
"""Packages that are an interface, not an API: left out of the reference with all their modules."""


def public_modules() -> list[str]:
    """Every importable public module of negsim (no part of its name starts with ``_``)."""
    names = ["negsim"]
    for info in pkgutil.walk_packages(negsim.__path__, "negsim."):
        interface = any(info.name == p or info.name.startswith(p + ".") for p in INTERFACE_ONLY)
        if not any(part.startswith("_") for part in info.name.split(".")) and not interface:
            names.append(info.name)
    return names


def _identity(module: str, name: str, obj: object) -> object:
    if inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj):
        return id(obj)
    return (id(obj), name)  # small numbers and strings are shared; keep their names apart


def api_pages() -> dict[str, list[tuple[str, list[str]]]]:
    """``{package: [(module, [names])]}``: where each public name is documented, each once.

    A name is documented in the first place a user meets it: the top level for what
    ``negsim`` itself defines (``solve``, the errors), then a package's ``__all__``, then
    its modules' ``__all__``.
    """
    modules = public_modules()
    seen: set[object] = set()
    claimed_by_packages: set[object] = set()
    for package, _, _ in PACKAGES[1:]:
        mod = importlib.import_module(package)
        for name in getattr(mod, "__all__", []):
            claimed_by_packages.add(_identity(package, name, getattr(mod, name)))
    pages: dict[str, list[tuple[str, list[str]]]] = {}
    for package, _, _ in PACKAGES:
        entries = []
        members = (
            [package] if package == "negsim" else [m for m in modules if m == package or m.startswith(package + ".")]
        )
        for module_name in members:
            module = importlib.import_module(module_name)
            names = []
            for name in getattr(module, "__all__", []):
                if name.startswith("__"):
                    continue
                obj = getattr(module, name)
                key = _identity(module_name, name, obj)
                if inspect.ismodule(obj) or key in seen:
                    continue
                if package == "negsim" and key in claimed_by_packages:
                    continue
                seen.add(key)
                names.append(name)
            if names:
                entries.append((module_name, names))
        pages[package] = entries
    return pages


def _api_rst(package: str, title: str, blurb: str, entries: list[tuple[str, list[str]]]) -> str:
    lines = [f".. _api-{package}:", "", title, "=" * len(title), "", blurb, ""]
    if package == "negsim":
        lines += [
            ".. data:: negsim.__version__",
            "",
            "   The installed version of negsim (from the package's metadata).",
            "",
        ]
    for module_name, names in entries:
        mod = importlib.import_module(module_name)
        summary = (inspect.getdoc(mod) or "").split("\n\n")[0].replace("\n", " ")
        heading = f"``{module_name}``"
        lines += [heading, "-" * len(heading), "", summary, "", f".. currentmodule:: {module_name}", ""]
        lines += [".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        lines += [f"   {name}" for name in names]
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- scenario format
def _cell(text: str) -> str:
    return " ".join(str(text).split())


def scenario_keys_rst() -> str:
    """The key tables of the scenario format, one per section."""
    from negsim.scenarios.schema import PRIORS, SECTIONS, toml_value

    out = []
    for section in SECTIONS:
        anchor = "scenario-" + section.path.replace(".", "-")
        out += [f".. _{anchor}:", "", f"``{section.header}``", "~" * (len(section.header) + 4), "", section.meaning, ""]
        out += [".. list-table::", "   :header-rows: 1", "   :widths: 14 16 14 56", "   :class: scenario-keys", ""]
        out += ["   * - key", "     - type", "     - default", "     - meaning, example"]
        for key in section.keys:
            meaning = _cell(key.meaning)
            if key.evaluated:
                meaning += f" *Evaluated:* {_cell(key.evaluated)}"
            example = ""
            if key.example is not None:
                example = f"``{key.name} = {toml_value(key.example)}``"
            default = "**required**" if key.required else key.default
            out += [
                f"   * - ``{key.name}``",
                f"     - {_cell(key.type)}",
                f"     - {default}",
                f"     - {meaning}" + (f"\n\n       Example: {example}" if example else ""),
            ]
        out.append("")
        if section.path == "parameters":
            out += [".. _scenario-priors:", "", "Priors (``prior = { dist = ..., ... }``):", ""]
            for dist, (required, optional) in PRIORS.items():
                extra = f"; optional {', '.join(f'``{k}``' for k in optional)} (truncation)" if optional else ""
                out.append(f"- ``{dist}``: {', '.join(f'``{k}``' for k in required)}{extra}")
            out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------- scenario pages
def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _quote(text: str) -> str:
    return text.replace("*", r"\*").replace("|", r"\|").replace("_", r"\_").replace("`", r"\`")


def _audit_rst(report) -> list[str]:
    if report is None:
        return ["The audit is not available in this build (``negsim.analysis.audit`` could not be imported).", ""]
    lines = [
        f"The audit that ``negsim check`` runs: every fact solved at {report.box.get('points', 0):,} settings of the "
        f"{len(report.box.get('parameters', []))} parameters that declare a range (a Sobol sample of the box), "
        "and every source's date compared with the decision it informs. *Box* is the share of those settings "
        "at which the fact holds: a fact that holds at all of them says nothing about the talks unless it is "
        "declared ``structural``. ``negsim audit NAME`` runs the full report.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 60 14 12 14",
        "",
        "   * - fact",
        "     - at the default",
        "     - box",
        "     - structural",
    ]
    for fact in report.facts:
        lines += [
            f"   * - {_cell(_quote(fact.fact))}",
            f"     - {'holds' if fact.holds_at_default else '**fails**'}",
            f"     - {fact.box_share:.2f}",
            f"     - {_cell(_quote(fact.structural)) or 'no'}",
        ]
    lines.append("")
    if report.findings:
        lines += ["Findings:", ""]
        lines += [f"- **{f.severity}** ({f.kind}): {_cell(_quote(f.message))}" for f in report.findings]
    else:
        lines += ["Findings: none."]
    lines.append("")
    return lines


def scenario_page(name: str, path: Path, verdicts: list | None, report=None) -> str:
    from negsim.scenarios import load_scenario

    scenario = load_scenario(path)
    neg = scenario.negotiation
    title = neg.title
    lines = [f".. _scenario-page-{_slug(name)}:", "", _quote(title), "=" * len(_quote(title)) + "==", ""]
    lines += [
        f"``negsim run {name}`` · file ``scenarios/{path.name}`` · date {neg.date or 'none'} · "
        f"agents: {', '.join(neg.agent_names)}",
        "",
    ]
    lines += [textwrap.dedent(_quote(neg.description)).strip(), ""]
    if neg.sources:
        lines += ["Sources", "-------", ""]
        lines += [f"#. {_quote(s)}" for s in neg.sources]
        lines.append("")
    lines += ["Parameters", "----------", ""]
    lines += [".. list-table::", "   :header-rows: 1", "   :widths: 18 22 30 30", ""]
    lines += ["   * - parameter", "     - value", "     - source", "     - meaning"]
    for p in neg.parameters:
        value = f"{p.value:g}" + (f" {_quote(p.unit)}" if p.unit else "")
        if p.range:
            value += f" (range {p.range[0]:g} to {p.range[1]:g})"
        if p.prior:
            args = ", ".join(f"{k}={v:g}" for k, v in p.prior.items() if k != "dist")
            value += f"; prior {p.prior['dist']}({args})"
        lines += [
            f"   * - ``{p.name}``",
            f"     - {value}",
            f"     - {_cell(_quote(p.source))}",
            f"     - {_cell(_quote(p.description))}",
        ]
    lines.append("")
    lines += ["Stylized facts", "--------------", ""]
    by_fact = {v.fact: v for v in verdicts or []}
    for exp in neg.expectations:
        verdict = by_fact.get(exp.fact)
        state = ""
        if verdict is not None:
            state = f" — **{'holds' if verdict.holds else 'FAILS'}**, P = {verdict.probability:.3f}"
        lines += [f"- {_quote(exp.fact)}: ``{exp.condition}`` {exp.bounds_text}{state}"]
        if exp.counterfactual:
            cf = ", ".join(f"``{k} = {v:g}``" for k, v in exp.counterfactual.items())
            lines += ["", f"  Counterfactual (it should fail): {cf}"]
        if exp.description:
            lines += ["", f"  {_cell(_quote(exp.description))}"]
    lines.append("")
    lines += [
        "The verdicts above are those of ``negsim check`` on the scenario as it stands, computed when this "
        "page was built. ``negsim check " + name + " --counterfactuals`` also tests the counterfactuals.",
        "",
    ]
    lines += ["Audit", "-----", ""] + _audit_rst(report)
    return "\n".join(lines)


def _audit(path: Path):
    try:
        from negsim.analysis.audit import audit
    except ImportError:
        return None
    from negsim.scenarios import load_scenario

    # the checks `negsim check` runs (the full audit adds minutes per scenario)
    return audit(load_scenario(path), checks=("box", "hindsight"))


def _verdicts(path: Path):
    from negsim.analysis import check, solve_game
    from negsim.scenarios import load_scenario

    scenario = load_scenario(path)
    compiled = scenario.compile()
    return check(compiled, solve_game(compiled.game, scenario.solver))


def _write(path: Path, text: str) -> None:
    # only touch a file that changed, so that Sphinx rebuilds only what changed
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _command_output(*argv: str) -> str:
    import contextlib
    import io

    from negsim.cli import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(list(argv))
    if status != 0:
        raise RuntimeError(f"negsim {' '.join(argv)} exited with {status}")
    return buffer.getvalue()


def generate(app, config=None) -> None:
    from negsim.scenarios import bundled_scenarios

    src = Path(app.srcdir)
    # the output the getting-started page explains, as the code prints it today
    _write(src / "generated" / "istanbul-run.txt", _command_output("run", "istanbul-2025"))
    _write(src / "generated" / "istanbul-check.txt", _command_output("check", "istanbul-2025"))
    for package, title, blurb in PACKAGES:
        _write(src / "api" / f"{package}.rst", _api_rst(package, title, blurb, api_pages()[package]))
    _write(src / "generated" / "scenario-keys.rst", scenario_keys_rst())
    names = []
    for name, (_, path) in sorted(bundled_scenarios().items()):
        if path.parent.name != "scenarios":
            continue
        names.append(name)
        _write(src / "scenarios" / f"{_slug(name)}.rst", scenario_page(name, path, _verdicts(path), _audit(path)))
    for stale in (src / "scenarios").glob("*.rst"):
        if stale.stem != "index" and stale.stem not in {_slug(n) for n in names}:
            stale.unlink()  # a scenario that was removed or renamed
    index = [
        "Bundled scenarios",
        "=================",
        "",
        ".. include:: intro.txt",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    index += [f"   {_slug(n)}" for n in names]
    _write(src / "scenarios" / "index.rst", "\n".join(index) + "\n")


def saved_figures(block, block_vars, gallery_conf):
    """Show the PNG files an example saved (negsim.plot.save closes its figures, so the
    matplotlib scraper would find none), and remove them from examples/ afterwards."""
    import shutil

    from sphinx_gallery.scrapers import figure_rst

    folder = Path(block_vars["src_file"]).parent
    names = []
    for png in sorted(folder.glob("*.png")):
        target = next(block_vars["image_path_iterator"])
        shutil.move(str(png), target)
        names.append(target)
    return figure_rst(names, gallery_conf["src_dir"])


def setup(app):
    # before autosummary writes its stub pages (builder-inited), so it sees the API pages
    app.connect("config-inited", generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
