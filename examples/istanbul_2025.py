"""The 2025 talks as one linked game: solve it, read the path and the beliefs, change one assumption.
==================================================================================================

Run it with ``python examples/istanbul_2025.py``. It

1. loads the bundled scenario ``istanbul-2025`` (10 May to 8 August 2025) and compiles it,
2. solves it (CFR+ with a small tremble, then purification: see negsim.analysis.solve),
3. prints the equilibrium path stage by stage, with each mover's beliefs about the others'
   private types, and checks the stylized facts,
4. asks "what if EU sanctions had bitten harder?" by raising the cost to Russia of each level
   of EU sanctions, and prints what changes: Russia with limited aims now accepts the
   ceasefire in July, so its two types act differently and the others learn which they face.
"""

from negsim.analysis import check, explain, narrative_text, solve_game
from negsim.scenarios import load_scenario

scenario = load_scenario("istanbul-2025")
compiled = scenario.compile()
print(f"{scenario.title}\n{compiled.game}\n")

# Solve and tell the story.
solution = solve_game(compiled.game, scenario.solver)
story = explain(compiled, solution)
print(narrative_text(story))

# Which stylized facts does the model reproduce?
print("\nStylized facts:")
for result in check(compiled, solution):
    print(f"  {'holds' if result.holds else 'FAILS'}: {result.fact} (P = {result.probability:.2f})")

# One assumption changed: each level of EU sanctions costs Russia 0.6 instead of 0.25.
harder = scenario.with_values({"eu_bite": 0.6})
compiled2 = harder.compile()
story2 = explain(compiled2, solve_game(compiled2.game, harder.solver))
before, after = story.most_likely_outcome(), story2.most_likely_outcome()
print("\nWith EU sanctions that bite harder (eu_bite = 0.6), the most likely outcome changes:")
for issue in before:
    if before[issue] != after[issue]:
        print(f"  {issue}: {before[issue]} -> {after[issue]}")
july = next(st for st in story2.stages if st.stage == "russia_july")
for move in july.moves:
    if move.probability > 0.005:
        types = ", ".join(f"{k}: {v:.2f}" for k, v in move.by_type.items())
        print(f"  Russia on 23 July: {move.label} with probability {move.probability:.2f} ({types})")
