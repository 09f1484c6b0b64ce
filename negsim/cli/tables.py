"""The readable text of the commands' results: solutions, sweeps, Monte Carlo summaries, verdicts."""

from __future__ import annotations

from typing import Any

__all__ = ["PROFILE_ROWS", "solution_text", "mixed_table", "batch_text", "condition_json", "check_lines"]

PROFILE_ROWS = 40


def solution_text(game: Any, solution: Any, *, full: bool) -> str:
    """A solved game: values, NashConv, the equilibria found and the strategy profile (cut at 40 rows)."""
    import numpy as np

    title = game.title or "game"
    its = f"{solution.iterations:,} iteration{'s' if solution.iterations != 1 else ''}"
    lines = [f"{title}: solved with {solution.method} in {solution.seconds:.3g} s ({its})", ""]
    values = np.asarray(solution.values)
    width = max(len(p) for p in game.players)
    lines.append(f"{'player':<{width}}  value")
    for name, value in zip(game.players, values, strict=True):
        lines.append(f"{name:<{width}}  {value: .6f}")
    lines.append("")
    nash = float(solution.nash_conv)
    nash = 0.0 if -1e-12 < nash < 0 else nash  # rounding can leave -1e-17 where the exact value is 0
    lines.append(
        f"NashConv {nash:.3g} (exploitability {nash / game.num_players:.3g}; 0 at an exact Nash equilibrium)"
    )
    if solution.info.get("stopped_early"):
        found = "the equilibria found" if solution.equilibria else "the best profile measured"
        lines.append(f"stopped early at the {solution.info['time_limit']:g} s limit (--max-seconds): {found} so far")
    if len(solution.equilibria) > 1:
        lines.extend(_equilibria_lines(game, solution))
    lines.append("")
    lines.append("Strategy profile (probability of each action at each information set):")
    table = solution.profile.table() if hasattr(solution.profile, "table") else mixed_table(solution.profile)
    rows = table.splitlines()
    if len(rows) > PROFILE_ROWS and not full:
        rows = rows[:PROFILE_ROWS] + [f"... {len(rows) - PROFILE_ROWS:,} more rows (use --full or --json)"]
    lines.extend(rows)
    return "\n".join(lines)


def _equilibria_lines(game: Any, solution: Any) -> list[str]:
    import numpy as np

    lines = ["", f"{len(solution.equilibria)} equilibria found:"]
    for k, eq in enumerate(solution.equilibria, start=1):
        vals = ", ".join(f"{v:.4g}" for v in np.asarray(eq.values))
        if hasattr(eq.profile, "table"):
            body = "; ".join(line.strip() for line in eq.profile.table().splitlines()[:PROFILE_ROWS])
        else:
            body = "; ".join(
                f"{game.players[p]}: " + " ".join(f"{x:.4g}" for x in probs)
                for p, probs in enumerate(eq.profile.probabilities)
            )
        lines.append(f"  {k}. values ({vals})  {body}")
    lines.append("")
    lines.append("The first of them in full:")
    return lines


def mixed_table(profile: Any) -> str:
    """A normal-form mixed profile, one line per player."""
    game = profile.game
    rows = []
    for p, probs in enumerate(profile.probabilities):
        acts = "  ".join(f"{a}={x:.4f}" for a, x in zip(game.strategies[p], probs, strict=True))
        rows.append(f"{game.players[p]}  {acts}")
    return "\n".join(rows)


def check_lines(scenario: Any, results: list[Any], findings: list[Any], *, counterfactuals: bool) -> list[str]:
    """The verdicts of ``negsim check`` on one scenario: each fact, then the audit's findings."""
    lines = [f"{scenario.name}: {scenario.title}"]
    for r in results:
        mark = "PASS" if r.holds else "FAIL"
        lines.append(f"  {mark}  {r.fact}  (P = {r.probability:.3f}, expected {r.bounds})")
        if counterfactuals and r.counterfactual:
            setting = ", ".join(f"{k}={v:g}" for k, v in r.counterfactual.items())
            verdict = "fails, as it should" if r.fails_under_counterfactual else "STILL HOLDS"
            lines.append(f"        with {setting}: P = {r.counterfactual_probability:.3f} - {verdict}")
    if not results:
        lines.append("  (no [[expect]] facts)")
    for finding in findings:
        lines.append(f"  {finding.severity.upper()}  {finding.kind}: {finding.message}")
    return lines


def condition_json(condition: dict[str, Any], result: Any) -> dict[str, Any]:
    """A sweep's ``--condition`` as JSON: its probability per grid point (and threshold), or its mean."""
    prob = condition["probability"]
    out: dict[str, Any] = {"condition": condition["condition"], "given": condition["given"]}
    if result.is_grid:
        out["probability"] = prob.tolist()
        if condition["threshold"] is not None:
            out["threshold"] = condition["threshold"].to_dict()
        elif len(result.parameters) == 1:
            out["threshold"] = None
    else:
        out.update(result.condition_summary(condition["condition"], condition["given"]))
    return out


def batch_text(scenario: Any, result: Any, *, grid: bool, condition: dict[str, Any] | None = None) -> str:
    """A sweep's outcome per grid point, or a Monte Carlo's outcome probabilities with standard errors."""
    lines = [scenario.title, ""]
    kind = "grid points" if grid else "draws"
    lines.append(
        f"{result.draws:,} {kind} solved in {result.seconds:.2f} s; {result.certified_share:.0%} certified exact "
        f"(max NashConv {result.max_nash_conv:.2g})"
    )
    lines.append("")
    lines.extend(_grid_lines(result, condition) if grid else _draws_lines(result, condition))
    return "\n".join(lines)


def _grid_lines(result: Any, condition: dict[str, Any] | None) -> list[str]:
    import numpy as np

    lines = []
    names = list(result.parameters)
    likely = result.most_likely_outcome()
    header = "  ".join(f"{n:>12}" for n in names)
    if condition is not None:
        header += f"  {'P':>5}"
    lines.append(header + "  outcome")
    for b in range(result.draws):
        vals = "  ".join(f"{result.parameters[n][b]:>12.4g}" for n in names)
        if condition is not None:
            vals += f"  {condition['probability'][b]:>5.2f}"
        lines.append(f"{vals}  {likely[b]} ({result.outcome_probabilities[b].max():.2f})")
    if condition is not None:
        lines.append("")
        lines.append(f"P = {condition['label']}")
        mark = condition["threshold"]
        if mark is not None:
            lines.append(f"threshold: {mark.parameter} = {mark.value:.4g} (in [{mark.bracket[0]:.4g}, "
                         f"{mark.bracket[1]:.4g}]), where P crosses {mark.level:g}")
        elif len(names) == 1 and not result.info.get("interrupted"):
            lines.append(f"no threshold: P stays on one side of {condition['level']:g} at every grid point")
    lines.append("")
    lines.append("Facts (probability at each grid point, in the order above):")
    for fact, probs in result.facts.items():
        lines.append(f"  {fact}")
        lines.append("    " + " ".join(f"{p:.2f}" for p in np.ravel(probs)))
    return lines


def _draws_lines(result: Any, condition: dict[str, Any] | None) -> list[str]:
    # only what a BatchResult and a MonteCarloSummary both answer: one table for both
    lines = ["Outcome probabilities (Monte Carlo estimate +/- standard error):"]
    for outcome, stats in result.summary().items():
        if stats["probability"] < 0.0005:
            continue
        lines.append(f"  {stats['probability']:.3f} +/- {stats['standard_error']:.3f}  {outcome}")
    lines.append("")
    lines.append("Parameters drawn: " + ", ".join(
        f"{k} in [{low:.3g}, {high:.3g}]" for k, (low, high) in result.parameter_ranges().items()))
    if condition is not None:
        stats = result.condition_summary(condition["condition"], condition["given"])
        lines.append("")
        if stats["draws_defined"]:
            defined = stats["draws_defined"]
            where = "" if defined == result.draws else f" (over the {defined:,} draws where the given can happen)"
            lines.append(f"{condition['label']} = {stats['probability']:.3f} +/- {stats['standard_error']:.3f}{where}")
        else:
            lines.append(f"{condition['label']}: the given never happens in these draws")
    lines.append("")
    lines.append("Facts (probability, averaged over draws):")
    for fact, probability in result.to_dict()["facts"].items():
        lines.append(f"  {probability:.3f}  {fact}")
    return lines
