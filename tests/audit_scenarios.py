"""Tiny scenarios for the audit tests: one that keeps every rule, one with planted defects.

CLEAN: Kyiv offers a truce to Moscow, a hawk or a dove (Moscow's private type). The dove
accepts when ``peace_value > 0``, the hawk when ``peace_value > war_gain``; Kyiv proposes
when ``2 * P(accept) > offer_cost``. Every parameter that flips a fact has a range and a
prior, every move is played somewhere in the box, the type works, no source postdates a
decision.

PLANTED: the same talks with a prisoner exchange first and a summit before the answer, and
these defects: a tautology; "No summit" while a hard precondition ("truce", not yet
possible) always blocks the summit; "Prisoners are exchanged" decided by the sign of
``exchange_value`` (no range, no prior); a source dated after the first decision it informs
(``war_gain``) and one marked calibrated (``offer_cost``); Kyiv's soft precondition
("truce" before proposing) never met; Kyiv's mood, a private type that changes nothing;
an exchange move never played. Moscow's soft precondition on accepting (prisoners first)
binds both ways and must not be reported.
"""

CLEAN = """\
[scenario]
name = "clean"
title = "A truce offer to a hawk or a dove"
date = "2025-05-15"

[solver]
iterations = 300

[parameters.peace_value]
value = 1.0
range = [-1.0, 3.0]
prior = { dist = "uniform", low = -1.0, high = 3.0 }
source = "assumption"

[parameters.war_gain]
value = 2.0
range = [0.0, 4.0]
prior = { dist = "uniform", low = 0.0, high = 4.0 }
source = "Kremlin, 10 May 2025: the war goes on"

[parameters.q_hawk]
value = 0.5
range = [0.2, 0.8]
prior = { dist = "uniform", low = 0.2, high = 0.8 }
source = "assumption"

[parameters.offer_cost]
value = 0.5
range = [0.0, 2.0]
prior = { dist = "uniform", low = 0.0, high = 2.0 }
source = "assumption"

[[issues]]
name = "truce"
values = [false, true]

[[agents]]
name = "Kyiv"
payoff = "2 * truce - offer_cost * (offer == 'propose')"

[[agents]]
name = "Moscow"
payoff = "peace_value * truce + war_gain * (moscow_type == 'hawk') * (not truce)"

[[chance]]
name = "moscow_type"
observed_by = ["Moscow"]
[chance.outcomes]
hawk = "q_hawk"
dove = "1 - q_hawk"

[[stages]]
name = "offer"
agent = "Kyiv"
date = "2025-05-15"
[[stages.moves]]
name = "propose"
[[stages.moves]]
name = "wait"
end = true

[[stages]]
name = "answer"
agent = "Moscow"
date = "2025-05-16"
[[stages.moves]]
name = "accept"
set = { truce = true }
[[stages.moves]]
name = "refuse"

[[expect]]
fact = "Some proposals are refused"
condition = "answer == 'refuse'"
at_least = 0.1

[[expect]]
fact = "Kyiv proposes"
condition = "offer == 'propose'"
at_least = 0.95
"""

PLANTED = """\
[scenario]
name = "planted"
title = "Planted defects"
date = "2025-05-15"

[solver]
iterations = 300

[parameters.peace_value]
value = 1.0
range = [-1.0, 3.0]
prior = { dist = "uniform", low = -1.0, high = 3.0 }
source = "assumption"

[parameters.war_gain]
value = 2.0
range = [0.0, 4.0]
prior = { dist = "uniform", low = 0.0, high = 4.0 }
source = "Kremlin, 20 May 2025: the war goes on"

[parameters.q_hawk]
value = 0.5
range = [0.2, 0.8]
prior = { dist = "uniform", low = 0.2, high = 0.8 }
source = "assumption"

[parameters.offer_cost]
value = 0.5
range = [0.0, 2.0]
prior = { dist = "uniform", low = 0.0, high = 2.0 }
source = "Reuters, 2 Jun 2025"
calibrated = "the share of offers Kyiv made in 2025"

[parameters.exchange_value]
value = 0.5
source = "assumption"

[[issues]]
name = "truce"
values = [false, true]

[[issues]]
name = "swapped"
values = [false, true]

[[issues]]
name = "summit_held"
values = [false, true]

[[agents]]
name = "Kyiv"
payoff = "2 * truce - offer_cost * (offer == 'propose')"
[[agents.preconditions]]
move = "propose"
condition = "truce"
kind = "soft"
cost = "0.2"

[[agents]]
name = "Moscow"
[agents.payoff]
talks = "peace_value * truce + war_gain * (moscow_type == 'hawk') * (not truce)"
prisoners = "exchange_value * swapped"
summit = "0.5 * summit_held"
[[agents.preconditions]]
move = "hold_summit"
condition = "truce"
kind = "hard"
[[agents.preconditions]]
move = "accept"
condition = "swapped"
kind = "soft"
cost = "0.1"

[[chance]]
name = "moscow_type"
after = "exchange"
observed_by = ["Moscow"]
[chance.outcomes]
hawk = "q_hawk"
dove = "1 - q_hawk"

[[chance]]
name = "kyiv_mood"
observed_by = ["Kyiv"]
[chance.outcomes]
calm = 0.5
tense = 0.5

[[stages]]
name = "exchange"
agent = "Moscow"
date = "2025-05-14"
[[stages.moves]]
name = "swap"
set = { swapped = true }
[[stages.moves]]
name = "no_swap"

[[stages]]
name = "offer"
agent = "Kyiv"
date = "2025-05-15"
[[stages.moves]]
name = "propose"
[[stages.moves]]
name = "wait"
end = true

[[stages]]
name = "summit"
agent = "Moscow"
date = "2025-05-15"
[[stages.moves]]
name = "hold_summit"
set = { summit_held = true }
[[stages.moves]]
name = "no_summit"

[[stages]]
name = "answer"
agent = "Moscow"
date = "2025-05-16"
[[stages.moves]]
name = "accept"
set = { truce = true }
[[stages.moves]]
name = "refuse"

[[expect]]
fact = "Some proposals are refused"
condition = "answer == 'refuse'"
at_least = 0.1

[[expect]]
fact = "Kyiv proposes"
condition = "offer == 'propose'"
at_least = 0.95

[[expect]]
fact = "The talks end with or without a truce"
condition = "truce or not truce"
at_least = 1.0

[[expect]]
fact = "No summit"
condition = "not summit_held"
at_least = 0.95

[[expect]]
fact = "Prisoners are exchanged"
condition = "swapped"
at_least = 0.95
"""
