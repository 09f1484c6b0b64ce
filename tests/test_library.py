"""Tests of negsim.games.library: sizes, values, and the rules checked against OpenSpiel."""

from __future__ import annotations

import numpy as np
import pytest

from negsim.errors import GameError
from negsim.games import CHANCE, DECISION, TERMINAL, ExtensiveFormGame, NormalFormGame, library
from negsim.games.convert import reduced_normal_form
from tests.gamegen import matrix_game_value


@pytest.fixture(scope="module")
def leduc() -> ExtensiveFormGame:
    return library.leduc_poker()


@pytest.fixture(scope="module")
def liars_dice() -> ExtensiveFormGame:
    return library.liars_dice()


def sizes(game: ExtensiveFormGame) -> tuple:
    return game.num_nodes, game.num_terminals, game.num_infosets, game.num_sequences


def test_kuhn_sizes():
    game = library.kuhn_poker()
    assert sizes(game) == (58, 30, (6, 6), (12, 12))
    assert game.is_zero_sum() and game.has_perfect_recall and not game.is_perfect_information
    assert game.sequence_form.num_sequences == (12, 12)


def test_leduc_sizes(leduc):
    assert sizes(leduc) == (9_457, 5_520, (468, 468), (1_092, 1_092))
    assert leduc.is_zero_sum() and leduc.has_perfect_recall


@pytest.mark.slow
def test_liars_dice_sizes(liars_dice):
    # the module docstring's table says 24,576 sequences; the count is 6 dice x the sum over
    # bid histories of the actions left (12 at the start, 12 - last bid index later) = 24,570
    assert sizes(liars_dice) == (294_883, 147_420, (12_288, 12_288), (24_570, 24_570))
    assert liars_dice.is_zero_sum() and liars_dice.has_perfect_recall
    assert liars_dice.sequence_form.last_sequence.shape == (2, 147_420)


def test_small_liars_dice_sizes():
    # 2 sides: 4 bids; a history is an increasing subset of them, each player acts on one
    # parity of its length (8 subsets each), times 2 private dice
    game = library.liars_dice(sides=2)
    assert game.num_terminals == 60
    assert game.num_infosets == (16, 16)
    with pytest.raises(GameError):
        library.liars_dice(sides=1)
    with pytest.raises(GameError):
        library.liars_dice(sides=10)


def test_chance_reach_of_deals(leduc):
    np.testing.assert_allclose(library.kuhn_poker().sequence_form.chance_reach, 1 / 6)
    np.testing.assert_allclose(library.liars_dice(sides=3).sequence_form.chance_reach, 1 / 9)
    # Leduc: two private cards (1/30), and the public card (1/4) if the first round ends in a call
    reach = leduc.sequence_form.chance_reach
    for z, h in enumerate(leduc.terminals):
        deals = sum(1 for a in leduc.path(int(h))[:-1] if leduc.kind[a] == CHANCE)
        assert reach[z] == pytest.approx({2: 1 / 30, 3: 1 / 120}[deals], rel=1e-12)


def test_kuhn_value_is_minus_one_eighteenth():
    nfg = reduced_normal_form(library.kuhn_poker())
    assert matrix_game_value(nfg.payoffs[0]) == pytest.approx(-1 / 18, abs=1e-9)


# ---------------------------------------------------------------------------- OpenSpiel
def card_label(game_name: str, outcome_string: str) -> str:
    """Our label of an OpenSpiel chance outcome."""
    if game_name == "kuhn_poker":  # "Deal:0" -> "J"
        return "JQK"[int(outcome_string.split(":")[1])]
    if game_name == "leduc_poker":  # "Chance outcome:3" -> "Qh" (rank = card // 2, two suits)
        card = int(outcome_string.split(":")[1])
        return "JJQQKK"[card] + "sh"[card % 2]
    return outcome_string.split()[-1]  # liars_dice: "Roll 4" -> "4"


def compare_with_openspiel(game: ExtensiveFormGame, name: str, params: dict | None = None) -> int:
    """Walk our tree and OpenSpiel's side by side; check every node, terminal and infoset.

    Our actions at a node are matched to OpenSpiel's by position: decision actions in the
    order of ``legal_actions()``, chance outcomes in the order of ``chance_outcomes()``.
    Returns the number of terminals compared.
    """
    pyspiel = pytest.importorskip("pyspiel", reason="needs OpenSpiel (pip install open-spiel; in the test extra)")
    osg = pyspiel.load_game(name, params or {})
    info_of_infoset: dict[int, str] = {}
    infoset_of_info: dict[str, int] = {}
    returns = np.full(game.payoffs.shape, np.nan)
    stack = [(0, osg.new_initial_state())]
    while stack:
        h, state = stack.pop()
        kind = game.kind[h]
        ours = game.node_actions(h)
        if kind == TERMINAL:
            assert state.is_terminal(), h
            returns[game.terminal_index[h]] = state.returns()
            continue
        first = int(game.first_child[h])
        if kind == CHANCE:
            assert state.is_chance_node(), h
            outcomes = state.chance_outcomes()
            assert len(outcomes) == len(ours)
            for i, (action, prob) in enumerate(outcomes):
                assert ours[i] == card_label(name, state.action_to_string(action))
                assert game.chance_prob[first + i] == pytest.approx(prob, rel=1e-12)
                stack.append((first + i, state.child(action)))
            continue
        assert kind == DECISION
        assert state.current_player() == game.player[h]
        legal = state.legal_actions()
        assert len(legal) == len(ours)
        # the information partition is the same: one OpenSpiel string per information set
        info = state.information_state_string()
        iset = int(game.infoset[h])
        if iset not in info_of_infoset:  # labels are per information set: compare them once
            assert [state.action_to_string(a).lower() for a in legal] == [a.lower() for a in ours]
        assert info_of_infoset.setdefault(iset, info) == info
        assert infoset_of_info.setdefault(info, iset) == iset
        for i, action in enumerate(legal):
            stack.append((first + i, state.child(action)))
    assert len(info_of_infoset) == len(game.infosets)
    assert not np.isnan(returns).any()
    np.testing.assert_allclose(returns, game.payoffs, rtol=0, atol=1e-12)
    return len(returns)


def replay_terminals(game: ExtensiveFormGame, name: str, terminals, params: dict | None = None) -> None:
    """Replay each terminal's path in OpenSpiel, by the labels of our actions, and compare returns."""
    pyspiel = pytest.importorskip("pyspiel", reason="needs OpenSpiel (pip install open-spiel; in the test extra)")
    osg = pyspiel.load_game(name, params or {})
    for z in terminals:
        node = int(game.terminals[z])
        state = osg.new_initial_state()
        path = game.path(node)
        for h, child in zip(path[:-1], path[1:], strict=True):
            label = game.node_actions(h)[int(game.action[child])]
            if state.is_chance_node():
                labels = [card_label(name, state.action_to_string(a)) for a, _ in state.chance_outcomes()]
                action = state.chance_outcomes()[labels.index(label)][0]
            else:
                labels = [state.action_to_string(a).lower() for a in state.legal_actions()]
                action = state.legal_actions()[labels.index(label.lower())]
            state.apply_action(action)
        assert state.is_terminal()
        np.testing.assert_allclose(state.returns(), game.payoffs[z])


def test_kuhn_matches_openspiel():
    game = library.kuhn_poker()
    assert compare_with_openspiel(game, "kuhn_poker") == 30
    replay_terminals(game, "kuhn_poker", range(game.num_terminals))


def test_leduc_matches_openspiel(leduc):
    assert compare_with_openspiel(leduc, "leduc_poker") == 5_520
    replay_terminals(leduc, "leduc_poker", range(leduc.num_terminals))


@pytest.mark.slow
def test_liars_dice_matches_openspiel(liars_dice):
    assert compare_with_openspiel(liars_dice, "liars_dice") == 147_420
    rng = np.random.default_rng(0)
    replay_terminals(liars_dice, "liars_dice", rng.choice(liars_dice.num_terminals, 2_000, replace=False))


@pytest.mark.parametrize("sides", [2, 3])
def test_small_liars_dice_matches_openspiel(sides):
    game = library.liars_dice(sides=sides)
    compare_with_openspiel(game, "liars_dice", {"dice_sides": sides})


def test_openspiel_comparison_can_fail():
    """Swapping two payoffs of Kuhn poker is noticed."""
    game = library.kuhn_poker()
    payoffs = np.array(game.payoffs)
    payoffs[[0, 1]] = payoffs[[1, 0]]
    assert not np.array_equal(payoffs, game.payoffs)
    with pytest.raises(AssertionError):
        compare_with_openspiel(game.with_batch(payoffs=payoffs), "kuhn_poker")


# ---------------------------------------------------------------------------- small games
def test_matrix_games():
    mp = library.matching_pennies()
    assert isinstance(mp, NormalFormGame) and mp.is_zero_sum()
    assert mp.strategies == (("heads", "tails"),) * 2
    assert matrix_game_value(mp.payoffs[0]) == pytest.approx(0.0, abs=1e-12)
    pd = library.prisoners_dilemma()
    assert pd.payoffs[0].tolist() == [[3, 0], [5, 1]] and pd.payoffs[1].tolist() == [[3, 5], [0, 1]]
    bos = library.battle_of_the_sexes()
    assert bos.payoff((0, 0)).tolist() == [2, 1] and bos.payoff((1, 1)).tolist() == [1, 2]
    assert bos.payoff((0, 1)).tolist() == [0, 0]
    for make in (library.matching_pennies, library.prisoners_dilemma, library.battle_of_the_sexes):
        tree = make(form="extensive")
        assert isinstance(tree, ExtensiveFormGame)
        assert reduced_normal_form(tree).equals(make())
        with pytest.raises(GameError):
            make(form="tree")


def test_ultimatum():
    game = library.ultimatum(pie=4)
    assert game.num_terminals == 10 and game.is_perfect_information and game.has_perfect_recall
    assert game.infosets.actions[0] == tuple(f"offer {k}" for k in range(5))
    # offer k accepted: (4 - k, k); rejected: (0, 0)
    accepted = [game.payoffs[game.terminal_index[game.children(int(h))[0]]].tolist() for h in game.children(0)]
    assert accepted == [[4 - k, k] for k in range(5)]
    with pytest.raises(GameError):
        library.ultimatum(pie=0)


def test_alternating_offers():
    game = library.alternating_offers(rounds=2, shares=2, discount=(0.5, 0.8), disagreement=(-1, -2))
    assert game.num_terminals == 21 and game.is_perfect_information
    by_history = {}
    for z, h in enumerate(game.terminals):
        path = game.path(int(h))
        labels = tuple(game.node_actions(a)[int(game.action[b])] for a, b in zip(path[:-1], path[1:], strict=True))
        by_history[labels] = game.payoffs[z].tolist()
    assert by_history[("2/2", "accept")] == [1.0, 0.0]
    assert by_history[("0/2", "reject", "1/2", "accept")] == [0.5 * 0.5, 0.5 * 0.8]
    assert by_history[("1/2", "reject", "2/2", "accept")] == [0.0, 0.8]
    assert by_history[("1/2", "reject", "0/2", "reject")] == [-1.0, -2.0]
    with pytest.raises(GameError):
        library.alternating_offers(rounds=0)
    with pytest.raises(GameError):
        library.alternating_offers(rounds=20, shares=10)


# ---------------------------------------------------------------------------- lookup
def test_names_and_get():
    names = library.names()
    assert {"kuhn-poker", "leduc-poker", "liars-dice", "ultimatum"} <= set(names)
    assert all(isinstance(d, str) and d for d in names.values())
    for name in names:
        options = {"sides": 2} if name == "liars-dice" else {}
        game = library.get(name, **options)
        assert isinstance(game, ExtensiveFormGame | NormalFormGame)
    assert library.get("kuhn_poker").equals(library.kuhn_poker())
    assert library.get(" Kuhn Poker ").num_terminals == 30
    assert library.get("ultimatum", pie=3).num_terminals == 8


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [("kuhn-pokr", "kuhn-poker"), ("leduc", "leduc-poker"), ("liars_dic", "liars-dice"), ("ultimatumm", "ultimatum")],
)
def test_get_suggests_the_nearest_name(typo, suggestion):
    with pytest.raises(GameError, match=f"did you mean '{suggestion}'"):
        library.get(typo)


def test_get_without_a_close_name():
    with pytest.raises(GameError) as info:
        library.get("xyzzy")
    assert "did you mean" not in str(info.value) and "kuhn-poker" in str(info.value)
