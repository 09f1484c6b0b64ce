"""The tree likelihood: gradients, probabilities, and the closed forms of Signorino (2003)."""

import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import norm

from negsim.errors import GameError
from negsim.estimate.likelihood import TreeLikelihood, UtilityCell
from negsim.estimate.trees import egame12_tree, egame122_tree, egame123_tree
from negsim.games.builder import GameBuilder

COMBOS = [(link, error) for link in ("probit", "logit") for error in ("agent", "private")]


def chance_tree():
    """Three levels with chance: 1 moves; after L chance picks which node 2 decides at."""
    b = GameBuilder(["1", "2"])
    left, right = b.root.decision("1", ["L", "R"])
    for k, node in enumerate(left.chance({"a": 0.3, "b": 0.7})):
        for a, child in zip(("l", "r"), node.decision("2", ["l", "r"]), strict=True):
            child.terminal([0, 0], label=f"L{k}{a}")
    for a, child in zip(("l", "r"), right.decision("2", ["l", "r"]), strict=True):
        child.terminal([0, 0], label=f"R{a}")
    game = b.build()
    cells = [UtilityCell(z, p) for z in range(game.num_terminals) for p in range(2) if (z + p) % 2 == 0]
    return game, cells


TREES = [egame12_tree, egame122_tree, egame123_tree, chance_tree]


@pytest.mark.parametrize("tree", TREES)
@pytest.mark.parametrize("link,error", COMBOS)
def test_adjoint_matches_finite_differences(tree, link, error):
    game, cells = tree()
    lik = TreeLikelihood(game, cells, link=link, error=error)
    rng = np.random.default_rng(3)
    u = rng.normal(scale=1.5, size=(7, len(cells)))
    observed = rng.random((7, game.num_terminals)) < 0.4
    observed[np.arange(7), rng.integers(0, game.num_terminals, 7)] = True
    ll, adj = lik.loglike_and_adjoint(u, observed)
    eps = 1e-6
    for j in range(len(cells)):
        step = np.zeros_like(u)
        step[:, j] = eps
        num = (lik.loglike_and_adjoint(u + step, observed)[0] - lik.loglike_and_adjoint(u - step, observed)[0]) / (
            2 * eps
        )
        np.testing.assert_allclose(adj[:, j], num, atol=1e-6)
    probs = lik.outcome_probabilities(u.T[None])[0]
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_allclose(ll, np.log((probs * observed).sum(axis=1)), atol=1e-12)


@pytest.mark.parametrize("link,error", COMBOS)
def test_egame12_closed_form(link, error):
    """Signorino's equations for egame12, written out by hand."""
    game, cells = egame12_tree()
    lik = TreeLikelihood(game, cells, link=link, error=error)
    rng = np.random.default_rng(0)
    u11, u13, u14, u24 = rng.normal(size=(4, 50))
    cdf = norm.cdf if link == "probit" else expit
    p4 = cdf(u24 / np.sqrt(2))
    p3 = 1 - p4
    sd = np.sqrt(1 + p3**2 + p4**2) if error == "private" else np.sqrt(2)
    p2 = cdf((p3 * u13 + p4 * u14 - u11) / sd)
    expected = np.column_stack([1 - p2, p2 * p3, p2 * p4])
    got = lik.outcome_probabilities(np.array([u11, u13, u14, u24])[None])[0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_chance_tree_by_enumeration():
    """Agent logit on the chance tree: player 1 weighs the chance branches by their probabilities."""
    game, cells = chance_tree()
    lik = TreeLikelihood(game, cells, link="logit", error="agent")
    u = np.random.default_rng(1).normal(size=len(cells))
    full = np.zeros((game.num_terminals, 2))
    for c, value in zip(cells, u, strict=True):
        full[c.terminal, c.player] = value

    def choose(a, b):
        return expit((a - b) / np.sqrt(2))

    labels = [game.node_labels[int(z)] for z in game.terminals]
    order = [labels.index(name) for name in ("L0l", "L0r", "L1l", "L1r", "Rl", "Rr")]
    full = full[order]  # now in the order of the names above
    q = [choose(full[2 * k, 1], full[2 * k + 1, 1]) for k in range(3)]  # player 2 picks l
    v = [q[k] * full[2 * k, 0] + (1 - q[k]) * full[2 * k + 1, 0] for k in range(3)]
    p_left = choose(0.3 * v[0] + 0.7 * v[1], v[2])
    expected = [
        p_left * 0.3 * q[0],
        p_left * 0.3 * (1 - q[0]),
        p_left * 0.7 * q[1],
        p_left * 0.7 * (1 - q[1]),
        (1 - p_left) * q[2],
        (1 - p_left) * (1 - q[2]),
    ]
    got = lik.outcome_probabilities(u[:, None][None])[0, 0]
    np.testing.assert_allclose(got[order], expected, rtol=1e-12)


def test_refusals():
    b = GameBuilder(["1", "2"])
    x, y, z = b.root.decision("1", ["x", "y", "z"])
    for node in (x, y, z):
        node.terminal([0, 0])
    game = b.build()
    with pytest.raises(GameError, match="two actions"):
        TreeLikelihood(game, [UtilityCell(0, 0)], link="probit")
    TreeLikelihood(game, [UtilityCell(0, 0)], link="logit")  # softmax handles three actions
    with pytest.raises(GameError, match="unknown link"):
        TreeLikelihood(game, [], link="cauchit")
    b = GameBuilder(["1", "2"])
    stop, go = b.root.decision("1", ["s", "g"])
    stop.terminal([0, 0])
    l, r = go.decision("1", ["l", "r"])
    l.terminal([0, 0])
    r.terminal([0, 0])
    with pytest.raises(GameError, match="at most once"):
        TreeLikelihood(b.build(), [UtilityCell(0, 0)], error="private")
    b = GameBuilder(["1", "2"], title="pennies")
    for node in b.root.decision("1", ["H", "T"]):
        h, t = node.decision("2", ["H", "T"], infoset="column")
        h.terminal([1, -1])
        t.terminal([-1, 1])
    with pytest.raises(GameError, match="perfect information"):
        TreeLikelihood(b.build(), [UtilityCell(0, 0)])


@pytest.mark.parametrize("tree", TREES)
@pytest.mark.parametrize("link,error", COMBOS)
def test_terminal_indices_match_masks(tree, link, error):
    game, cells = tree()
    lik = TreeLikelihood(game, cells, link=link, error=error)
    rng = np.random.default_rng(8)
    u = rng.normal(size=(9, len(cells)))
    index = rng.integers(0, game.num_terminals, 9)
    mask = np.zeros((9, game.num_terminals), dtype=bool)
    mask[np.arange(9), index] = True
    ll_a, adj_a = lik.loglike_and_adjoint(u, index)
    ll_b, adj_b = lik.loglike_and_adjoint(u, mask)
    np.testing.assert_allclose(ll_a, ll_b, atol=1e-12)
    np.testing.assert_allclose(adj_a, adj_b, atol=1e-12)
