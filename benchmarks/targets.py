"""The performance targets the project set itself, judged from this run's numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.cfr_speed import paired_ratio
from benchmarks.common import Table, number, ratio, seconds

Judgement = tuple[str, bool | None]
"""(what was measured, met?) with ``None`` for "not measured in this run"."""


def _get(results: dict, *path: Any) -> Any:
    for key in path:
        if not isinstance(results, dict) or key not in results:
            return None
        results = results[key]
    return results


def _cfr_ratio(results: dict, game: str, peer: str, threshold: float) -> Judgement:
    entry = _get(results, "cfr", game, "cfr+")
    if not entry or peer not in entry:
        return "-", None
    like = "negsim_alternating"
    if peer == "liteefg" and entry[peer].get("updates") == "simultaneous":
        like = "negsim_simultaneous"
    r = paired_ratio(entry, like, peer)
    return f"{ratio(r)} ({entry[like]['it_per_s']:,.0f} vs {entry[peer]['it_per_s']:,.1f} it/s)", r >= threshold


def _evaluation(results: dict, peer: str, threshold: float) -> Judgement:
    """negsim's public nash_conv() against a peer: at least ``threshold`` times faster (1: just faster)."""
    e = _get(results, "evaluation", "leduc")
    if not e or f"{peer}_seconds" not in e:
        return "-", None
    r = e[f"{peer}_seconds"] / e["negsim_seconds"]
    text = f"{ratio(r)} ({seconds(e['negsim_seconds'])} vs {seconds(e[f'{peer}_seconds'])})"
    if "negsim_kernel_seconds" in e:
        text += f"; kernel reused: {ratio(e[f'{peer}_seconds'] / e['negsim_kernel_seconds'])}"
    return text, (r > 1) if threshold == 1 else (r >= threshold)


def _kuhn(results: dict) -> Judgement:
    entry = _get(results, "cfr", "kuhn", "cfr+")
    if not entry or "openspiel" not in entry:
        return "-", None
    mine, theirs = entry["negsim_alternating"]["it_per_s"], entry["openspiel"]["it_per_s"]
    r = paired_ratio(entry, "negsim_alternating", "openspiel")
    return f"{ratio(r)} ({mine:,.0f} vs {theirs:,.0f} it/s)", r >= 1


def _batch(results: dict) -> Judgement:
    rows = _get(results, "batch", "kuhn") or []
    row = next((r for r in rows if r["batch"] == 1000), None)
    if row is None:
        return "-", None
    return f"{ratio(row['speedup'])} per variant", row["speedup"] >= 100


def _leduc_nash_conv(results: dict) -> Judgement:
    conv = _get(results, "convergence")
    if not conv or "leduc" not in conv:
        return "-", None
    within = [int(t) for t in conv["leduc"] if int(t) <= 1000]
    if not within or max(within) < 1000:
        return f"only {max(within, default=0)} iterations run", None
    best = min(conv["leduc"][str(t)]["negsim"] for t in within)
    return f"NashConv {number(best)} after 1,000", best < 1e-3


def _linear(results: dict) -> Judgement:
    scaling = results.get("scaling") or {}
    points = scaling.get("points", [])
    if len(points) < 2 or points[-2]["terminals"] < 1000:
        return "needs two games with >= 1,000 terminals (a full run)", None
    exponent = scaling["exponent_largest_two"]
    a, b = points[-2], points[-1]
    return f"exponent {exponent:.2f} ({a['terminals']:,} -> {b['terminals']:,} terminals)", exponent <= 1.15


def _estimate(results: dict, what: str) -> Judgement:
    e = _get(results, "estimate")
    if not e:
        return "-", None
    if what == "fit":
        return f"{seconds(e['fit_seconds'])} (with formulas {seconds(e['call_seconds'])})", e["fit_seconds"] <= 0.05
    if e["replicates"] < 1000:
        return f"only {e['replicates']} replicates run", None
    if what == "loop":
        return f"{ratio(e['batch_vs_loop'])} per replicate", e["batch_vs_loop"] >= 10
    return f"{ratio(e['batch_vs_r_package'])} per replicate", e["batch_vs_r_package"] >= 20


TARGETS: list[tuple[str, Callable[[dict], Judgement]]] = [
    ("Leduc CFR+ it/s >= 100x OpenSpiel C++", lambda r: _cfr_ratio(r, "leduc", "openspiel", 100)),
    ("Leduc CFR+ it/s >= 15x LiteEFG", lambda r: _cfr_ratio(r, "leduc", "liteefg", 15)),
    ("Liar's dice CFR+ it/s >= 100x OpenSpiel C++", lambda r: _cfr_ratio(r, "liars_dice", "openspiel", 100)),
    ("Leduc exploitability evaluation >= 100x faster than OpenSpiel", lambda r: _evaluation(r, "openspiel", 100)),
    ("Leduc exploitability evaluation faster than LiteEFG", lambda r: _evaluation(r, "liteefg", 1)),
    ("Kuhn CFR+ per iteration no slower than OpenSpiel C++", _kuhn),
    ("Batch of 1,000 Kuhn variants >= 100x faster per variant than a loop", _batch),
    ("Leduc CFR+ NashConv < 1e-3 within 1,000 iterations", _leduc_nash_conv),
    ("Per-iteration cost linear in terminals (exponent <= 1.15)", _linear),
    ("war1800 egame12 fit <= 0.05 s", lambda r: _estimate(r, "fit")),
    ("1,000 bootstrap replicates as one batch >= 10x faster than one by one", lambda r: _estimate(r, "loop")),
    ("bootstrap replicate >= 20x faster than the R package (0.11 s)", lambda r: _estimate(r, "r")),
]


def judge(results: dict) -> list[dict[str, Any]]:
    out = []
    for name, rule in TARGETS:
        measured, met = rule(results)
        out.append({"target": name, "measured": measured, "met": met})
    return out


def table(judged: list[dict[str, Any]]) -> Table:
    t = Table("Targets", ["target", "measured in this run", "status"])
    for row in judged:
        status = {True: "met", False: "NOT MET", None: "not measured"}[row["met"]]
        t.add(row["target"], row["measured"], status)
    t.notes.append(
        "Computed from this run's numbers; 'not measured' means the section, game or peer was not part of the run. "
        "Exploitability evaluation uses negsim's public nash_conv()."
    )
    return t
