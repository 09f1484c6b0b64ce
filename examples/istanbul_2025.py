"""Istanbul, 16 May 2025: solve the scenario, read the equilibrium path, change one assumption.
============================================================================================

Run it with ``python examples/istanbul_2025.py``. It

1. loads the bundled scenario ``istanbul-2025`` and compiles it into a game,
2. solves it (CFR+ with a small tremble, then purification: see negsim.analysis.solve),
3. prints the equilibrium path stage by stage and checks the stylized facts,
4. asks "what if the US threat of secondary tariffs had been credible?" by raising the
   probability that the US is resolved and the tariff to the 500% of the Senate bill,
   and prints what changes.
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

# One assumption changed: a resolved US (probability 0.9) threatening 500% tariffs.
credible = scenario.with_values({"us_resolve_prior": 0.9, "secondary_tariff": 5.0})
compiled2 = credible.compile()
story2 = explain(compiled2, solve_game(compiled2.game, credible.solver))
before, after = story.most_likely_outcome(), story2.most_likely_outcome()
print("\nWith a credible 500% tariff threat (us_resolve_prior = 0.9, secondary_tariff = 5):")
for issue in before:
    if before[issue] != after[issue]:
        print(f"  {issue}: {before[issue]} -> {after[issue]}")
answer = next(st for st in story2.stages if st.stage == "russia_answer")
for move in answer.moves:
    if move.probability > 0.005:
        print(f"  Russia's answer: {move.label} with probability {move.probability:.2f}")
