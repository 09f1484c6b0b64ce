"""Tests of negsim.games.normal: NormalFormGame."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from negsim.errors import GameError
from negsim.games import NormalFormGame
from tests.gamegen import normal_form_games

seeds = st.integers(0, 2**32 - 1)


def random_profile(shape, rng, batch=None):
    lead = () if batch is None else (batch,)
    out = []
    for a in shape:
        x = rng.random(lead + (a,))
        out.append(x / x.sum(axis=-1, keepdims=True))
    return out


def brute_force(payoffs: np.ndarray, profile) -> np.ndarray:
    """Expected payoffs by summing over every pure profile."""
    n = payoffs.shape[0]
    total = np.zeros(n)
    for pure in itertools.product(*(range(len(x)) for x in profile)):
        prob = np.prod([profile[p][s] for p, s in enumerate(pure)])
        total += prob * payoffs[(slice(None),) + pure]
    return total


def test_defaults_and_shape():
    game = NormalFormGame(np.zeros((3, 2, 3, 4)))
    assert game.num_players == 3
    assert game.shape == (2, 3, 4)
    assert game.players == ("Player 1", "Player 2", "Player 3")
    assert game.strategies == (("1", "2"), ("1", "2", "3"), ("1", "2", "3", "4"))
    assert game.batch_size is None and game.num_profiles == 24
    assert game.summary()["strategies"] == [2, 3, 4]
    assert "shape=(2, 3, 4)" in repr(game)


def test_labels_and_payoff():
    game = NormalFormGame.from_bimatrix(
        [[3, 0], [5, 1]],
        [[3, 5], [0, 1]],
        players=["Ann", "Bob"],
        strategies=[["C", "D"], ["c", "d"]],
        title="PD",
    )
    assert game.players == ("Ann", "Bob") and game.strategies == (("C", "D"), ("c", "d"))
    assert game.title == "PD"
    assert game.payoff((1, 0)).tolist() == [5, 0]
    assert game.payoff([0, 1]).tolist() == [0, 5]
    assert not game.is_constant_sum()


@given(normal_form_games(), seeds)
def test_expected_payoffs_match_brute_force(game, seed):
    rng = np.random.default_rng(seed)
    profile = random_profile(game.shape, rng)
    np.testing.assert_allclose(game.expected_payoffs(profile), brute_force(game.payoffs, profile), atol=1e-12)


@given(normal_form_games(), seeds)
def test_pure_profiles_give_tensor_entries(game, seed):
    rng = np.random.default_rng(seed)
    pure = tuple(int(rng.integers(a)) for a in game.shape)
    one_hot = [np.eye(a)[s] for a, s in zip(game.shape, pure, strict=True)]
    expected = game.payoffs[(slice(None),) + pure]
    np.testing.assert_array_equal(game.payoff(pure), expected)
    np.testing.assert_allclose(game.expected_payoffs(one_hot), expected)


@given(st.integers(1, 4), st.data())
def test_batched_equals_looped(batch, data):
    game = data.draw(normal_form_games(max_players=3, batch_size=batch))
    rng = np.random.default_rng(data.draw(seeds))
    assert game.batch_size == batch and game.payoffs.shape[0] == batch
    shared = random_profile(game.shape, rng)
    per_item = random_profile(game.shape, rng, batch)
    out_shared = game.expected_payoffs(shared)
    out_batched = game.expected_payoffs(per_item)
    assert out_shared.shape == out_batched.shape == (batch, game.num_players)
    for b in range(batch):
        item = game.batch_item(b)
        assert item.batch_size is None and item.shape == game.shape
        np.testing.assert_array_equal(item.payoffs, game.payoffs[b])
        np.testing.assert_allclose(out_shared[b], item.expected_payoffs(shared), atol=1e-12)
        mine = [x[b] for x in per_item]
        np.testing.assert_allclose(out_batched[b], brute_force(game.payoffs[b], mine), atol=1e-12)
        pure = tuple(int(rng.integers(a)) for a in game.shape)
        np.testing.assert_array_equal(game.payoff(pure)[b], item.payoff(pure))


@given(normal_form_games(zero_sum=True))
def test_zero_sum_games(game):
    assert game.is_zero_sum() and game.is_constant_sum()
    shifted = NormalFormGame(game.payoffs + np.array([3.0, -1.0]).reshape((2,) + (1,) * 2))
    assert shifted.is_constant_sum() and not shifted.is_zero_sum()


def test_zero_sum_constructor_and_constant_sum():
    game = NormalFormGame.zero_sum([[1, -2], [0, 4]])
    assert game.is_zero_sum()
    np.testing.assert_array_equal(game.payoffs[1], -game.payoffs[0])
    other = NormalFormGame.from_bimatrix([[1, 2], [0, 4]], [[4, 3], [5, 1]])
    assert other.is_constant_sum() and not other.is_zero_sum()
    assert not NormalFormGame.from_bimatrix([[1, 2], [0, 4]], [[4, 3], [5, 2]]).is_constant_sum()


def test_batched_zero_sum_checks_every_item():
    a = np.array([[1.0, -1.0], [-1.0, 1.0]])
    good = np.stack([np.stack([a, -a]), np.stack([2 * a, -2 * a])])
    assert NormalFormGame(good, batched=True).is_zero_sum()
    bad = good.copy()
    bad[1, 0, 0, 0] += 1
    assert not NormalFormGame(bad, batched=True).is_zero_sum()
    assert not NormalFormGame(bad, batched=True).is_constant_sum()


def test_game_is_immutable_and_copies_input():
    payoffs = np.zeros((2, 2, 2))
    game = NormalFormGame(payoffs)
    payoffs[0, 0, 0] = 5.0
    assert game.payoffs[0, 0, 0] == 0.0
    assert not game.payoffs.flags.writeable
    with pytest.raises(ValueError):
        game.payoffs[0, 0, 0] = 1.0
    with pytest.raises(AttributeError):
        game.players = ("x", "y")
    with pytest.raises(AttributeError):
        game.anything = 1


def test_equals():
    game = NormalFormGame(np.arange(8.0).reshape(2, 2, 2))
    assert game.equals(NormalFormGame(np.arange(8.0).reshape(2, 2, 2)))
    assert not game.equals(NormalFormGame(np.arange(8.0).reshape(2, 2, 2) + 1))
    assert game.equals(NormalFormGame(np.arange(8.0).reshape(2, 2, 2) + 1e-12), atol=1e-9)
    assert not game.equals(NormalFormGame(np.arange(8.0).reshape(2, 2, 2), players=["a", "b"]))
    assert not game.equals("a game")


NORMAL_ERRORS = {
    "scalar": dict(payoffs=1.0),
    "one axis": dict(payoffs=[1.0, 2.0]),
    "too few strategy axes": dict(payoffs=np.zeros((3, 2, 2))),
    "too many strategy axes": dict(payoffs=np.zeros((2, 2, 2, 2))),
    "no strategies": dict(payoffs=np.zeros((2, 0, 2))),
    "NaN": dict(payoffs=[[[np.nan, 0], [0, 0]], [[0, 0], [0, 0]]]),
    "infinity": dict(payoffs=[[[np.inf, 0], [0, 0]], [[0, 0], [0, 0]]]),
    "duplicate players": dict(payoffs=np.zeros((2, 2, 2)), players=["a", "a"]),
    "too few player names": dict(payoffs=np.zeros((2, 2, 2)), players=["a"]),
    "strategy labels of wrong length": dict(payoffs=np.zeros((2, 2, 2)), strategies=[["x"], ["y", "z"]]),
    "strategy labels for too few players": dict(payoffs=np.zeros((2, 2, 2)), strategies=[["x", "y"]]),
    "batched without batch axis": dict(payoffs=np.zeros((2, 2)), batched=True),
    "batched with wrong axes": dict(payoffs=np.zeros((4, 2, 2, 2, 2)), batched=True),
}


@pytest.mark.parametrize("kwargs", NORMAL_ERRORS.values(), ids=NORMAL_ERRORS.keys())
def test_invalid_games_are_refused(kwargs):
    with pytest.raises(GameError):
        NormalFormGame(**kwargs)


def test_other_errors():
    with pytest.raises(GameError):
        NormalFormGame.from_bimatrix([[1, 2]], [[1], [2]])
    with pytest.raises(GameError):
        NormalFormGame.from_bimatrix([1, 2], [1, 2])
    game = NormalFormGame(np.zeros((2, 2, 3)))
    with pytest.raises(GameError):
        game.batch_item(0)
    with pytest.raises(GameError):
        game.payoff((0,))
    with pytest.raises(GameError):
        game.payoff((0, 1, 1))


@pytest.mark.parametrize(
    "profile",
    [
        [np.full(2, 0.5), np.full(3, 1 / 3), np.full(2, 0.5)],
        [np.full(2, 0.5), np.full(2, 0.5)],
    ],
    ids=["extra player", "wrong length"],
)
def test_expected_payoffs_checks_the_profile(profile):
    game = NormalFormGame(np.arange(12.0).reshape(2, 2, 3))
    with pytest.raises(GameError):
        game.expected_payoffs(profile)


@pytest.mark.parametrize("batch", [2, 3])
def test_batched_profile_on_a_single_game(batch):
    game = NormalFormGame(np.arange(12.0).reshape(2, 2, 3))
    rng = np.random.default_rng(batch)
    profile = random_profile(game.shape, rng, batch)
    out = game.expected_payoffs(profile)
    assert out.shape == (batch, 2)
    for b in range(batch):
        np.testing.assert_allclose(out[b], brute_force(game.payoffs, [x[b] for x in profile]))


def test_game_attributes_cannot_be_deleted():
    game = NormalFormGame(np.zeros((2, 2, 2)))
    with pytest.raises(AttributeError):
        del game.payoffs
