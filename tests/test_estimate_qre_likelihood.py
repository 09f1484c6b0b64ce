"""Strategic estimation on trees with information sets: the agent QRE as a batched fixed point."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr, softmax

import negsim.estimate as est
from negsim.errors import GameError, SolverError
from negsim.estimate.likelihood import TreeLikelihood, UtilityCell
from negsim.estimate.qre_likelihood import AgentQRELikelihood, tree_likelihood
from negsim.estimate.trees import egame12_tree, egame123_tree, signalling_tree
from negsim.games import library
from negsim.games.builder import GameBuilder
from negsim.games.extensive import DECISION
from negsim.solvers.qre import agent_qre

LAMBDA = 1.0 / np.sqrt(2.0)
# utilities where the principal branch folds back before reaching them (several equilibria)
FOLD = np.array([4.9851544, -1.92862964, -0.21086214, 0.76994791, -5.96862033, 5.540568])


def _negsim_qre(game, payoffs):
    branch = agent_qre(game.with_batch(payoffs=payoffs), lambdas=[LAMBDA])
    return np.concatenate([p[0] for p in branch.profiles])


def test_signalling_choices_are_negsims_agent_qre():
    game, cells = signalling_tree()
    lik = AgentQRELikelihood(game, cells, link="logit")
    u = np.vstack([np.random.default_rng(1).normal(scale=2.0, size=(5, 6)), FOLD])
    ours = np.exp(lik.solve(u)["y"])
    for m in range(len(u)):
        payoffs = lik.terminal_utilities(u[m : m + 1])[:, :, 0]
        np.testing.assert_allclose(ours[m], _negsim_qre(game, payoffs), atol=1e-7)


def test_kuhn_poker_choices_are_negsims_agent_qre():
    game = library.kuhn_poker()
    cells = [UtilityCell(z, p) for z in range(game.num_terminals) for p in range(2)]
    lik = AgentQRELikelihood(game, cells, link="logit")
    payoffs = 1.5 * game.payoffs
    ours = np.exp(lik.solve(payoffs.reshape(1, -1))["y"][0])
    np.testing.assert_allclose(ours, _negsim_qre(game, payoffs), atol=1e-7)


@pytest.mark.parametrize("tree", [egame12_tree, egame123_tree])
@pytest.mark.parametrize("link", ["probit", "logit"])
def test_perfect_information_gives_the_backward_pass(tree, link):
    game, cells = tree()
    rng = np.random.default_rng(2)
    u = rng.normal(scale=2.0, size=(40, len(cells)))
    observed = rng.integers(0, game.num_terminals, 40)
    backward, qre = TreeLikelihood(game, cells, link=link), AgentQRELikelihood(game, cells, link=link)
    np.testing.assert_allclose(qre.outcome_probabilities(u.T), backward.outcome_probabilities(u.T), atol=1e-9)
    for got, want in zip(qre.loglike_and_adjoint(u, observed), backward.loglike_and_adjoint(u, observed), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-8)


def _brute_force_responses(game, payoffs, sigma, link):
    """Each information set's quantal response to the values given its nodes' beliefs, node by node."""
    num_actions = np.asarray(game.infosets.num_actions)
    offsets = np.concatenate(([0], np.cumsum(num_actions)))

    def edge_prob(parent, child):
        if game.kind[parent] == DECISION:
            return sigma[offsets[game.infoset[parent]] + game.action[child]]
        return game.chance_prob[child]

    def value(node, player):
        kids = game.children(node)
        if len(kids) == 0:
            return payoffs[list(game.terminals).index(node), player]
        return sum(edge_prob(node, k) * value(k, player) for k in kids)

    out = np.zeros_like(sigma)
    for i in range(len(num_actions)):
        nodes = [h for h in range(game.num_nodes) if game.kind[h] == DECISION and game.infoset[h] == i]
        player = int(game.infosets.player[i])
        # belief of a node: the others' and chance's reach (the mover's own is the same at all of them)
        weights = []
        for h in nodes:
            path = game.path(h)
            weights.append(
                np.prod([edge_prob(a, b) for a, b in zip(path[:-1], path[1:], strict=True) if game.player[a] != player])
            )
        beliefs = np.array(weights) / np.sum(weights)
        v = np.array(
            [
                sum(b * value(game.children(h)[a], player) for b, h in zip(beliefs, nodes, strict=True))
                for a in range(num_actions[i])
            ]
        )
        lo, hi = offsets[i], offsets[i + 1]
        out[lo:hi] = (
            softmax(LAMBDA * v) if link == "logit" else [ndtr((v[0] - v[1]) * LAMBDA), ndtr((v[1] - v[0]) * LAMBDA)]
        )
    return out


@pytest.mark.parametrize("link", ["probit", "logit"])
def test_solution_is_a_fixed_point_of_the_responses_computed_node_by_node(link):
    game, cells = signalling_tree()
    lik = AgentQRELikelihood(game, cells, link=link)
    u = np.random.default_rng(3).normal(scale=2.0, size=(4, 6))
    sigma = np.exp(lik.solve(u)["y"])
    for m in range(len(u)):
        payoffs = lik.terminal_utilities(u[m : m + 1])[:, :, 0]
        np.testing.assert_allclose(_brute_force_responses(game, payoffs, sigma[m], link), sigma[m], atol=1e-9)


@pytest.mark.parametrize("link", ["probit", "logit"])
def test_gradient_matches_finite_differences(link):
    game, cells = signalling_tree()
    lik = AgentQRELikelihood(game, cells, link=link)
    rng = np.random.default_rng(4)
    u = np.vstack([rng.normal(scale=1.5, size=(6, 6)), FOLD])
    labels = [game.node_labels[int(z)] for z in game.terminals]
    # terminals, and (last row) an outcome known only as "the challenger escalated and was fought"
    observed = np.zeros((7, 6), dtype=bool)
    observed[np.arange(6), rng.integers(0, 6, 6)] = True
    observed[6, [labels.index("fight_strong"), labels.index("fight_weak")]] = True
    _, adjoint = lik.loglike_and_adjoint(u, observed)
    step = 1e-6
    for j in range(6):
        e = np.zeros(6)
        e[j] = step
        up, _ = lik.loglike_and_adjoint(u + e, observed)
        down, _ = lik.loglike_and_adjoint(u - e, observed)
        np.testing.assert_allclose(adjoint[:, j], (up - down) / (2 * step), rtol=1e-5, atol=1e-7)


SIGNALLING = {
    ("yield_strong", "challenger"): "x",
    ("fight_strong", "challenger"): "1",
    ("yield_weak", "challenger"): "x",
    ("fight_weak", "challenger"): "1",
    ("fight_weak", "target"): "z",
}
TRUTH = np.array([1.5, 1.0, 0.5, 1.0, 1.0, -1.5, 1.0, 1.0])


def _simulate(n, rng, link):
    game, _ = signalling_tree()
    labels = np.array([game.node_labels[int(z)] for z in game.terminals])
    df = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n), "y": labels[0]})
    probs = est.strategic_model(game, SIGNALLING, df, "y", link=link).predict(TRUTH)
    draws = (rng.random(n)[:, None] > probs.cumsum(axis=1)).sum(axis=1)
    df["y"] = labels[np.minimum(draws, len(labels) - 1)]
    return game, df


def test_signalling_parameters_are_recovered_at_the_nominal_rate():
    rng = np.random.default_rng(20260516)
    covered = total = 0
    for _ in range(10):
        game, df = _simulate(300, rng, "logit")
        model = est.strategic_model(game, SIGNALLING, df, "y", link="logit")
        fit = model.fit()
        assert fit.mle_retvals["converged"]
        assert fit.llf >= model.loglike(TRUTH) - 1e-9
        ci = fit.conf_int(0.05).to_numpy()
        covered += int(np.sum((ci[:, 0] <= TRUTH) & (TRUTH <= ci[:, 1])))
        total += TRUTH.size
    # 80 intervals at 95%: 76 +- 2 expected; fewer than 68 would say the intervals are too narrow
    assert covered >= 68


def test_probit_signalling_fit_is_near_the_truth():
    game, df = _simulate(800, np.random.default_rng(5), "probit")
    fit = est.strategic_model(game, SIGNALLING, df, "y", link="probit").fit()
    assert np.all(np.abs(fit.params.to_numpy() - TRUTH) < 4 * fit.bse.to_numpy())
    assert list(fit.params.index[:2]) == ["u[yield_strong,challenger]:Intercept", "u[yield_strong,challenger]:x"]


def test_tree_likelihood_chooses_by_the_tree():
    assert isinstance(tree_likelihood(*egame12_tree()), TreeLikelihood)
    assert isinstance(tree_likelihood(*signalling_tree(), link="logit"), AgentQRELikelihood)


def test_errors_are_negsims():
    game, cells = signalling_tree()
    with pytest.raises(GameError, match="error='agent'"):
        tree_likelihood(game, cells, error="private")
    lik = AgentQRELikelihood(game, cells, link="logit", max_steps=2)
    with pytest.raises(SolverError, match="could not be followed"):
        lik.solve(FOLD[None])
    # imperfect recall: player 1 forgets its own first move
    b = GameBuilder(["1", "2"], title="forgetful")
    for node in b.root.decision("1", ["L", "R"]):
        for child in node.decision("2", ["l", "r"]):
            a, c = child.decision("1", ["a", "c"], infoset="later")
            a.terminal([0, 0])
            c.terminal([0, 0])
    with pytest.raises(GameError, match="perfect recall"):
        AgentQRELikelihood(b.build(), [UtilityCell(0, 0)])
    # an information set that chance never reaches has no beliefs
    b = GameBuilder(["1", "2"], title="unreached")
    for node in b.root.chance({"a": 1.0, "b": 0.0}):
        for child in node.decision("1", ["x", "y"], infoset=None):
            child.terminal([0, 0])
    with pytest.raises(GameError, match="never reached"):
        AgentQRELikelihood(b.build(), [UtilityCell(0, 0)])
    with pytest.raises(GameError, match="two actions"):
        AgentQRELikelihood(library.get("ultimatum", pie=2), [UtilityCell(0, 0)], link="probit")
