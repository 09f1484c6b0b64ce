"""Tests of negsim.io.gambit: reading and writing Gambit .efg and .nfg files.

Independent oracles: pygambit 16.7 (reads our files, writes files we read, and reads the
files of its own catalog), OpenSpiel's ``export_gambit`` and negsim's standard games.
"""

from __future__ import annotations

import io
import itertools
import re
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import negsim.io.gambit as gambit_module
from negsim import GameError, NegsimWarning
from negsim.games import ExtensiveFormGame, GameBuilder, Infosets, NormalFormGame, library
from negsim.io import read_efg, read_nfg, write_efg, write_nfg

DATA = Path(__file__).parent / "data"


# ------------------------------------------------------------------------------ helpers
def sizes(game: ExtensiveFormGame) -> tuple:
    return (game.num_nodes, game.num_terminals, game.num_infosets, game.num_sequences)


def terminals_by_path(game: ExtensiveFormGame) -> dict[tuple[int, ...], tuple[np.ndarray, float]]:
    """{action indices from the root: (payoffs, chance reach)} for every terminal."""
    out = {}
    for z, h in enumerate(game.terminals):
        nodes = game.path(int(h))[1:]
        path = tuple(int(game.action[x]) for x in nodes)
        reach = 1.0
        for x in nodes:
            reach *= float(game.chance_prob[x])
        out[path] = (np.asarray(game.payoffs[z], float), reach)
    return out


def gambit_terminals(pg) -> dict[tuple[int, ...], tuple[np.ndarray, float]]:
    """The same for a pygambit game, summing outcomes along each path."""
    players = list(pg.players)
    out = {}
    stack = [(pg.root, (), np.zeros(len(players)), 1.0)]
    while stack:
        node, path, acc, reach = stack.pop()
        if node.outcome:  # pygambit's NodeOutcome is falsy when no outcome is attached
            acc = acc + np.array([float(node.outcome[p]) for p in players])
        if node.is_terminal:
            out[path] = (acc, reach)
            continue
        infoset = node.infoset
        for i, (child, act) in enumerate(zip(node.children, infoset.actions, strict=True)):
            prob = float(act.prob) if infoset.is_chance else 1.0
            stack.append((child, path + (i,), acc, reach * prob))
    return out


def gambit_sizes(pg) -> tuple:
    nodes = list(pg.nodes)
    players = list(pg.players)
    return (
        len(nodes),
        sum(1 for x in nodes if x.is_terminal),
        tuple(len(list(p.infosets)) for p in players),
        tuple(sum(len(list(i.actions)) for i in p.infosets) for p in players),
    )


def assert_same_terminals(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for path, (pay, reach) in a.items():
        np.testing.assert_allclose(b[path][0], pay, rtol=1e-12, atol=1e-12, err_msg=str(path))
        assert b[path][1] == pytest.approx(reach, rel=1e-12, abs=1e-15), path


def assert_identical(a: ExtensiveFormGame, b: ExtensiveFormGame) -> None:
    """Same game, and the same Gambit bookkeeping (numbers, labels, outcomes, text)."""
    assert a.equals(b)
    assert a.players == b.players and a.title == b.title and a.comment == b.comment
    assert np.array_equal(a.infosets.number, b.infosets.number)
    assert np.array_equal(a.chance_infosets.number, b.chance_infosets.number)
    assert a.infosets.labels == b.infosets.labels
    assert a.chance_infosets.labels == b.chance_infosets.labels
    assert a.chance_infosets.actions == b.chance_infosets.actions
    assert (a.outcomes is None) == (b.outcomes is None)
    if a.outcomes is not None:
        assert a.outcomes[0] == b.outcomes[0]
        assert np.array_equal(a.outcomes[1], b.outcomes[1])
        assert np.array_equal(a.outcomes[2], b.outcomes[2])


def _as_file(text: str) -> io.StringIO:
    """A file object for pygambit's readers."""
    return io.StringIO(text)


def read_quietly(source) -> ExtensiveFormGame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegsimWarning)
        return read_efg(source)


def write_quietly(game: ExtensiveFormGame, **kwargs) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NegsimWarning)
        return write_efg(game, **kwargs)


@pytest.fixture(scope="module")
def gbt():
    return pytest.importorskip("pygambit")


@pytest.fixture(scope="module")
def export_gambit():
    pytest.importorskip("pyspiel", reason="needs OpenSpiel (pip install open-spiel; in the test extra)")
    from open_spiel.python.algorithms.gambit import export_gambit

    return export_gambit


# ------------------------------------------------------------------------------ hand-written files
def test_signaling_file_contents():
    game = read_efg(DATA / "signaling.efg")
    assert game.title == 'A "signaling" game (C:\\games)'
    assert game.comment.startswith("Hand-written test file") and "\n" in game.comment
    assert game.players == ("Sender", "Receiver")
    assert sizes(game) == (23, 12, (2, 2), (4, 4))
    assert game.infosets.labels == ("S strong", "S weak", 'R "beer"', "R quiche")
    assert game.infosets.number.tolist() == [1, 2, 1, 2]
    assert game.chance_infosets.labels == ("type", "noise")
    assert game.chance_infosets.number.tolist() == [1, 2]
    assert game.node_labels[:3] == ("root", "strong", "weak")
    labels, values, node_outcome = game.outcomes
    assert labels == ("entry fee", "duel strong", "flee", 'duel "weak"', "bonus", "flee, with a \\ backslash")
    assert values.tolist() == [[-0.5, 0], [0, -1], [1, 0], [-1, 1], [1, 2], [1.5, 0.25]]
    assert np.count_nonzero(node_outcome == 0) == 2  # the entry fee sits on both sender nodes
    paths = terminals_by_path(game)
    # strong, beer, clear, duel: entry fee + "duel strong"; weak, quiche, flee: fee + bonus + last
    assert paths[(0, 0, 0, 0)][0].tolist() == [-0.5, -1]
    assert paths[(0, 0, 0, 0)][1] == pytest.approx(0.25 * 0.9)
    assert paths[(1, 1, 1)][0].tolist() == [2.0, 2.25]
    assert paths[(1, 0, 1, 1)][0].tolist() == [-0.5, 0]  # outcome 0 at the terminal
    # the shared chance information set has the same probabilities at both nodes
    chance_nodes = np.flatnonzero(game.kind == 1)
    assert game.infoset[chance_nodes].tolist() == [0, 1, 1]


def test_signaling_file_agrees_with_pygambit(gbt):
    game = read_efg(DATA / "signaling.efg")
    pg = gbt.read_efg(str(DATA / "signaling.efg"))
    assert gambit_sizes(pg) == sizes(game)
    assert_same_terminals(gambit_terminals(pg), terminals_by_path(game))


@pytest.mark.parametrize("name", ["signaling.efg", "openspiel_style.efg"])
def test_read_write_read_is_identical(name):
    first = read_quietly(DATA / name)
    text = write_efg(first)
    second = read_efg(text)
    assert_identical(first, second)
    assert write_efg(second) == text


def test_openspiel_style_probabilities_are_renormalized_with_one_warning():
    with pytest.warns(NegsimWarning, match="renormalized") as record:
        game = read_efg(DATA / "openspiel_style.efg")
    assert len([w for w in record if issubclass(w.category, NegsimWarning)]) == 1
    assert "openspiel_style.efg" in str(record[0].message)
    assert game.chance_prob[1:4].tolist() == [1 / 3] * 3
    assert sizes(game) == (14, 8, (2, 1), (4, 2))
    assert game.node_labels[1] == "0"


def test_exact_probabilities_give_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_efg(DATA / "signaling.efg")


def test_probabilities_far_from_one_are_refused():
    text = 'EFG 2 R "" { "A" }\nc "" 1 "" { "h" 0.5 "t" 0.4999 } 0\nt "" 0\nt "" 0\n'
    with pytest.raises(GameError, match=r"line 2: .*sum to 0\.9999, not 1"):
        read_efg(text)


# ------------------------------------------------------------------------------ standard games
@pytest.mark.parametrize("name, build", [("kuhn_poker", library.kuhn_poker), ("leduc_poker", library.leduc_poker)])
def test_openspiel_exports_match_the_library(export_gambit, name, build):
    import pyspiel

    text = export_gambit(pyspiel.load_game(name))
    with pytest.warns(NegsimWarning, match="renormalized"):
        game = read_efg(text)
    reference = build()
    assert sizes(game) == sizes(reference)
    # OpenSpiel deals in the library's order, so the trees agree node by node
    assert np.array_equal(game.payoffs, reference.payoffs)
    assert np.allclose(game.chance_prob, reference.chance_prob, rtol=0, atol=1e-15)
    second = read_efg(write_efg(game))
    assert_identical(game, second)


@pytest.mark.parametrize(
    "build", [library.kuhn_poker, pytest.param(library.leduc_poker, marks=pytest.mark.slow)]
)
def test_library_games_through_pygambit(gbt, tmp_path, build):
    reference = build()
    path = tmp_path / "game.efg"
    write_quietly(reference, path=path)
    pg = gbt.read_efg(str(path))
    assert gambit_sizes(pg) == sizes(reference)
    ours = terminals_by_path(reference)
    assert_same_terminals(ours, gambit_terminals(pg))
    # what pygambit writes, we read: same tree, payoffs and probabilities
    game = read_efg(pg.to_efg())
    assert sizes(game) == sizes(reference)
    assert np.array_equal(game.parent, reference.parent)
    assert np.array_equal(game.payoffs, reference.payoffs)
    assert np.array_equal(game.chance_prob, reference.chance_prob)
    assert_identical(game, read_efg(write_efg(game)))


def test_written_file_is_exact_with_exact_labels():
    game = library.leduc_poker()
    back = read_efg(write_efg(game, labels="exact"))
    assert back.equals(game)
    assert back.infosets.labels == game.infosets.labels


def test_labels_are_made_valid_for_gambit(gbt):
    b = GameBuilder(["Türkiye", "EU  "])
    x, y = b.root.decision(0, ["accept ", "reject\tnow"], infoset=" café ", label="é")
    x.terminal([1, 2], label="a  b")
    y.terminal([0, 0])
    game = b.build()
    with pytest.warns(NegsimWarning, match="labels='exact'"):
        text = write_efg(game)
    assert '"Turkiye" "EU"' in text and '"accept" "reject now"' in text and '"cafe"' in text
    pg = gbt.read_efg(_as_file(text))
    assert [p.label for p in pg.players] == ["Turkiye", "EU"]
    assert read_efg(write_efg(game, labels="exact")).equals(game)
    with pytest.raises(GameError, match="labels must be"):
        write_efg(game, labels="ascii")


def test_repeated_labels_are_made_distinct_for_gambit(gbt):
    text = """EFG 2 R "" { "A" "B" }
p "x" 1 1 "i" { "a" "b" } 0
p "x" 1 2 "i" { "c" } 0
t "x" 0
t "x_2" 0
"""
    game = read_efg(text)
    with pytest.warns(NegsimWarning, match="distinct"):
        written = write_efg(game)
    pg = gbt.read_efg(_as_file(written))
    assert sorted(n.label for n in pg.nodes) == ["x", "x_2", "x_2_2", "x_3"]
    assert [i.label for i in pg.infosets] == ["i", "i_2"]
    assert read_efg(write_efg(game, labels="exact")).node_labels == game.node_labels


def test_backslashes_in_labels(gbt):
    b = GameBuilder(["A", "B"], title="saved in C:\\games\\")
    x, y = b.root.decision(0, ["\\alpha", 'say "no"'], infoset="C:\\x")
    x.terminal([1, 2], label="ends in \\")
    y.terminal([0, 0])
    game = b.build()
    exact = write_efg(game, labels="exact")
    assert read_efg(exact).equals(game) and read_efg(exact).title == game.title
    # pygambit misreads doubled and final backslashes, so those are changed for it
    with pytest.warns(NegsimWarning, match="backslash"):
        text = write_efg(game)
    pg = gbt.read_efg(_as_file(text))
    assert [a.label for a in next(iter(pg.infosets)).actions] == ["\\alpha", 'say "no"']
    assert next(iter(pg.infosets)).label == "C:\\x"
    assert pg.title == "saved in C:\\games"
    back = read_efg(text)
    assert back.infosets.actions == game.infosets.actions and back.title == "saved in C:\\games"
    # and what Gambit writes (every backslash doubled) reads back as the label it means
    assert read_efg(pg.to_efg()).infosets.labels == ("C:\\x",)


def test_pygambit_catalog_files_read_the_same(gbt):
    catalog = Path(gbt.__file__).parent / "catalog_data"
    files = sorted(catalog.rglob("*.efg"))
    if not files:
        pytest.skip("pygambit has no catalog files here")
    for path in files:
        game = read_efg(path)
        pg = gbt.read_efg(str(path))
        assert gambit_sizes(pg) == sizes(game), path
        assert_same_terminals(gambit_terminals(pg), terminals_by_path(game))
        # and what pygambit writes of it reads back as the same game
        again = read_efg(pg.to_efg())
        assert sizes(again) == sizes(game) and np.array_equal(again.parent, game.parent)
        assert np.array_equal(again.payoffs, game.payoffs)
        assert np.array_equal(again.chance_prob, game.chance_prob)


def test_pygambit_catalog_nfg_files_read_the_same(gbt):
    catalog = Path(gbt.__file__).parent / "catalog_data"
    files = sorted(catalog.rglob("*.nfg"))
    if not files:
        pytest.skip("pygambit has no catalog files here")
    for path in files:
        game = read_nfg(path)
        assert_same_table(gbt.read_nfg(str(path)), game)


def assert_same_table(pg, game: NormalFormGame) -> None:
    players = list(pg.players)
    assert game.shape == tuple(len(list(p.strategies)) for p in players)
    assert game.players == tuple(p.label for p in players)
    for profile in np.ndindex(*game.shape):
        outcome = pg[list(profile)]
        expected = [0.0 if outcome is None else float(outcome[p]) for p in players]
        assert game.payoff(profile).tolist() == pytest.approx(expected, rel=1e-15), profile


# ------------------------------------------------------------------------------ .nfg
def test_nfg_payoff_form():
    game = read_nfg(DATA / "payoffs.nfg")
    assert game.players == ("P1", "P2", "P3") and game.shape == (2, 3, 1)
    assert game.strategies == (("1", "2"), ("1", "2", "3"), ("1",))
    assert game.payoff((0, 0, 0)).tolist() == [1, 2, 3]
    assert game.payoff((1, 0, 0)).tolist() == [4, 5, 6]
    assert game.payoff((0, 1, 0)).tolist() == [7, 8, 9]
    assert game.payoff((0, 2, 0)).tolist() == [13, 0.5, -0.25]
    assert game.payoff((1, 2, 0)).tolist() == [16, 17, 18]


def test_nfg_outcome_form():
    game = read_nfg(DATA / "outcomes.nfg")
    assert game.strategies == (("Top", "Bottom"), ("Left", "Middle", "Right"))
    assert game.payoffs[0].tolist() == [[1, 0, 2], [0.25, 2, 1]]
    assert game.payoffs[1].tolist() == [[0.5, 0, 2], [-3, 2, 0.5]]


@pytest.mark.parametrize("name", ["payoffs.nfg", "outcomes.nfg"])
def test_nfg_files_agree_with_pygambit(gbt, name):
    game = read_nfg(DATA / name)
    assert_same_table(gbt.read_nfg(str(DATA / name)), game)
    # both ways: pygambit reads what we write, we read what pygambit writes
    assert_same_table(gbt.read_nfg(_as_file(write_nfg(game))), game)
    assert read_nfg(gbt.read_nfg(str(DATA / name)).to_nfg()).equals(game)


def test_nfg_round_trip_of_library_games():
    for build in (library.matching_pennies, library.prisoners_dilemma, library.battle_of_the_sexes):
        game = build()
        assert read_nfg(write_nfg(game)).equals(game)


def test_reduced_normal_form_written_by_pygambit(gbt):
    pg = gbt.read_efg(str(DATA / "signaling.efg"))
    game = read_nfg(pg.to_nfg())
    assert_same_table(pg, game)


def test_nfg_commas_and_counts():
    game = read_nfg('NFG 1 R "" { "A" "B" } { 1 2 } 1, 2, 3 , 4,')
    assert game.payoffs.tolist() == [[[1, 3]], [[2, 4]]]


def test_write_nfg_to_path(tmp_path):
    game = library.prisoners_dilemma()
    path = tmp_path / "pd.nfg"
    text = write_nfg(game, path)
    assert path.read_text(encoding="utf-8") == text
    assert read_nfg(path).equals(game)
    assert read_nfg(str(path)).equals(game)


# ------------------------------------------------------------------------------ sources and limits
def test_sources(tmp_path):
    text = (DATA / "signaling.efg").read_text(encoding="utf-8")
    game = read_efg(text)
    assert read_efg(text.encode()).equals(game)
    assert read_efg(b"\xef\xbb\xbf" + text.encode()).equals(game)  # byte order mark
    assert read_efg(str(DATA / "signaling.efg")).equals(game)
    assert read_efg("\n  " + text).equals(game)
    with pytest.raises(FileNotFoundError):
        read_efg(tmp_path / "missing.efg")
    with pytest.raises(FileNotFoundError):
        read_efg(str(tmp_path / "missing.efg"))
    with pytest.raises(GameError, match="neither an existing file"):
        read_efg("kuhn poker")
    with pytest.raises(TypeError):
        read_efg(42)


def test_write_to_path(tmp_path):
    game = library.kuhn_poker()
    path = tmp_path / "kuhn.efg"
    text = write_efg(game, path)
    assert path.read_text(encoding="utf-8") == text
    assert read_efg(path).equals(game)


def test_unusable_infoset_numbers_are_replaced():
    kuhn = library.kuhn_poker()
    unnumbered = Infosets(
        kuhn.infosets.player, np.zeros(len(kuhn.infosets)), kuhn.infosets.labels, kuhn.infosets.actions
    )
    game = ExtensiveFormGame(
        kuhn.players, parent=kuhn.parent, kind=kuhn.kind, player=kuhn.player, infoset=kuhn.infoset,
        chance_prob=kuhn.chance_prob, payoffs=kuhn.payoffs, infosets=unnumbered,
        chance_infosets=kuhn.chance_infosets,
    )
    back = read_efg(write_efg(game))
    assert back.infosets.number.tolist() == [1, 2, 3, 4, 5, 6] * 2
    assert back.equals(kuhn)


def test_batches_are_refused():
    kuhn = library.kuhn_poker()
    batch = kuhn.with_batch(payoffs=np.stack([kuhn.payoffs, 2 * kuhn.payoffs]))
    with pytest.raises(GameError, match="batch"):
        write_efg(batch)
    pennies = library.matching_pennies()
    with pytest.raises(GameError, match="batch"):
        write_nfg(NormalFormGame(np.stack([pennies.payoffs] * 3), batched=True))


def test_deep_tree_reads_without_recursion():
    depth = 5_000  # far beyond the recursion limit
    lines = ['EFG 2 R "chain" { "A" "B" }', '""']
    for k in range(depth):
        lines.append(f'p "" {k % 2 + 1} {k // 2 + 1} "" {{ "go" "stop" }} 0')
    for k in range(depth):
        lines.append(f't "" {k + 1} "" {{ {k}, {-k} }}')
    lines.append('t "" 0')
    game = read_efg("\n".join(lines))
    assert game.num_nodes == 2 * depth + 1 and len(game.level_offsets) == depth + 2
    assert read_efg(write_efg(game)).equals(game)


def test_node_limit(monkeypatch):
    monkeypatch.setattr(gambit_module, "MAX_NODES", 20)
    with pytest.raises(GameError, match="more than 20 nodes"):
        read_efg(write_efg(library.kuhn_poker()))
    monkeypatch.setattr(gambit_module, "MAX_NODES", 10)
    with pytest.raises(GameError, match="more than 10 payoffs"):
        read_nfg('NFG 1 R "" { "A" "B" } { 3 2 } 1 2 3 4 5 6 7 8 9 10 11 12')


@pytest.mark.parametrize(
    "value, text",
    [(0.5, "1/2"), (1 / 3, "1/3"), (0.1, "1/10"), (-2.0, "-2"), (0.0, "0"), (1e-20, "1e-20"),
     (1e300, "1e300"), (np.pi, "3.141592653589793"), (2.5e-7, "2.5e-07")],
)
def test_number_format(value, text):
    assert gambit_module._format_number(value) == text
    b = GameBuilder(["A"])
    b.root.terminal([value])
    assert read_efg(write_efg(b.build())).payoffs[0, 0] == value


@pytest.mark.parametrize(
    "token, value",
    [("1/3", 1 / 3), ("-2/4", -0.5), (".5", 0.5), ("5.", 5.0), ("1e-3", 0.001), ("2.5E2", 250.0),
     ("-0", 0.0), ("+7", 7.0), ("123456789012345678901234567890", 1.2345678901234568e29)],
)
def test_number_syntax(token, value):
    game = read_efg(f'EFG 2 R "" {{ "A" }} t "" 1 "" {{ {token} }}')
    assert game.payoffs[0, 0] == value


# ------------------------------------------------------------------------------ error messages
KUHN_LIKE = """EFG 2 R "Kuhn-like" { "P1" "P2" }
""

c "" 1 "" { "J" 1/2 "Q" 1/2 } 0
p "" 1 1 "J" { "pass" "bet" } 0
p "" 2 1 "" { "pass" "bet" } 0
t "" 1 "o1" { -1, 1 }
t "" 2 "o2" { 1, -1 }
t "" 2
p "" 1 2 "Q" { "pass" "bet" } 0
p "" 2 1 0
t "" 2
t "" 1
t "" 3 "o3" { 2, -2 }
"""


def test_kuhn_like_text_is_valid():
    game = read_efg(KUHN_LIKE)
    assert sizes(game) == (11, 6, (2, 1), (4, 2))


def _replace_line(number: int, new: str) -> str:
    lines = KUHN_LIKE.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text, line, message",
    [
        (_replace_line(5, 'p "" 1 1 "J" x "pass" "bet" } 0'), 5, "expected '{' to open the action list, found 'x'"),
        (_replace_line(6, 'p "" 3 1 "" { "pass" "bet" } 0'), 6, "unknown player number 3: the game has 2 player(s)"),
        (
            _replace_line(11, 'p "" 2 1 "" { "pass" "bet" "raise" } 0'),
            11,
            "has 2 action(s) where it is defined (line 6)",
        ),
        (_replace_line(11, 'p "" 2 1 "" { "check" "bet" } 0'), 11, "other action labels"),
        (_replace_line(11, 'p "" 2 1 "other" { "pass" "bet" } 0'), 11, "another label"),
        (_replace_line(11, 'p "" 2 7 0'), 11, "information set 7 of player 2 is used before it is defined"),
        (_replace_line(7, 't "" 1 "o1" { -1, 1x }'), 7, "expected a payoff, found '1x'"),
        (_replace_line(7, 't "" 1 "o1" { -1 }'), 7, "expected 2 payoffs"),
        (_replace_line(7, 't "" 1 "o1" { -1, 1, 0 }'), 7, "expected '}' after 2 payoffs"),
        (_replace_line(7, 't "" 1 "o1" { 1/0, 1 }'), 7, "divides by zero"),
        (_replace_line(7, 't "" 1 "o1" { 1e999, 1 }'), 7, "too large"),
        (_replace_line(7, 't "" 0 "o1" { -1, 1 }'), 7, "outcome 0 means 'no outcome'"),
        (_replace_line(9, 't "" 5'), 9, "outcome 5 is used before it is defined"),
        (
            _replace_line(9, 't "" 2 "o2" { 1, 1 }'),
            9,
            "outcome 2 has another label or other payoffs than where it is defined (line 8)",
        ),
        (_replace_line(4, 'c "" 1 "" { "J" 1/2 "Q" 1/3 } 0'), 4, "sum to 0.8333333333333334, not 1"),
        (_replace_line(4, 'c "" 1 "" { "J" -1/2 "Q" 3/2 } 0'), 4, "is negative"),
        (_replace_line(4, 'c "" 1 "" { } 0'), 4, "needs at least one action"),
        (_replace_line(5, 'q "" 1 1 "J" { "pass" "bet" } 0'), 5, "expected a node ('c', 'p' or 't'), found 'q'"),
        (_replace_line(5, 'p "" one 1 "J" { "pass" "bet" } 0'), 5, "expected a player number, found 'one'"),
        (_replace_line(5, 'p "" 1 0 "J" { "pass" "bet" } 0'), 5, "must be between 1 and"),
        (_replace_line(5, 'p "" 1 1 "J { "pass" "bet" } 0'), 5, "expected '{' to open the action list, found 'pass'"),
        (_replace_line(1, 'EFG 2 R "Kuhn-like" { "P1" "P1" }'), 1, "player names must be unique"),
        (_replace_line(1, 'EFG 3 R "Kuhn-like" { "P1" "P2" }'), 1, "expected the format version 2"),
        (_replace_line(1, 'EFG 2 X "Kuhn-like" { "P1" "P2" }'), 1, "expected 'R' or 'D'"),
        (
            _replace_line(1, 'NFG 1 R "Kuhn-like" { "P1" "P2" }'),
            1,
            "expected 'EFG' at the start of the file, found 'NFG'",
        ),
        (
            KUHN_LIKE.replace('t "" 3 "o3" { 2, -2 }\n', ""),
            13,
            "the file ends before the tree is complete: the node on line 10",
        ),
        (KUHN_LIKE + 't "" 0\n', 15, "the tree is complete, but another node"),
        (KUHN_LIKE + '"stray"\n', 15, "expected a node"),
        (KUHN_LIKE.replace('"o3" { 2, -2 }', '"o3 { 2, -2 }'), 14, "unterminated string"),
        (KUHN_LIKE.replace('"J" {', '"J\\" {'), 5, "expected '{' to open the action list"),
    ],
)
def test_error_messages_name_the_line(tmp_path, text, line, message):
    path = tmp_path / "kuhn.efg"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GameError) as info:
        read_efg(path)
    assert info.value.line == line, str(info.value)
    assert info.value.source == str(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert message in str(info.value)
    # without a file name the message still names the line
    with pytest.raises(GameError, match=f"^line {line}: "):
        read_efg(text)


def test_non_utf8_names_the_line():
    data = KUHN_LIKE.encode().replace(b'"J" {', b'"\xff" {')
    with pytest.raises(GameError, match=r"^line 5: the file is not UTF-8 text \(byte 0xff"):
        read_efg(data)


def test_header_only_and_empty_files():
    with pytest.raises(GameError, match="no nodes"):
        read_efg('EFG 2 R "" { "A" } "comment"')
    with pytest.raises(GameError, match="expected 'EFG'"):
        read_efg(b"")
    with pytest.raises(GameError, match="at least one player"):
        read_efg('EFG 2 R "" { } t "" 0')


@pytest.mark.parametrize(
    "text, line, message",
    [
        ('NFG 1 R "" { "A" "B" } { 2 2 }\n1 2 3 4\n5 6 7', 3, "expected 8 payoffs (2 for each of 4 profiles), found 7"),
        (
            'NFG 1 R "" { "A" "B" } { 2 2 }\n1 2 3 4\n5 6 7 8 9',
            3,
            "expected the end of the file after the 8 payoffs, found '9'",
        ),
        ('NFG 1 R "" { "A" "B" } { 2 }\n1 2', 1, "expected strategies for 2 player(s), found 1"),
        ('NFG 1 R "" { "A" "B" } { 2 0 }\n', 1, "must be between 1 and"),
        ('NFG 1 R "" { "A" "B" } { { "a" } { } }\n', 1, "player 2 needs at least one strategy"),
        ('NFG 1 R "" { "A" "B" } { 1 1 }\n{ { "x" 1 2 } }\n2', 3, "outcome 2 does not exist"),
        (
            'NFG 1 R "" { "A" "B" } { 1 2 }\n{ { "x" 1 2 } }\n1',
            3,
            "expected 2 outcome numbers (one per profile), found 1",
        ),
        ('NFG 1 R "" { "A" "B" } { 1 1 }\n{ { "x" 1 } }\n1', 2, "expected 2 payoffs"),
        ('NFG 1 R "" { "A" "B" } { 1 1 }\n{ x }\n1', 2, "expected '{' to open an outcome"),
        ('NFG 1 R "" { "A" "B" } { 1 1 }\n1 two', 2, "expected a payoff, found 'two'"),
        ('EFG 2 R "" { "A" "B" } { 1 1 }\n1 2', 1, "expected 'NFG' at the start of the file, found 'EFG'"),
    ],
)
def test_nfg_error_messages(text, line, message):
    with pytest.raises(GameError) as info:
        read_nfg(text)
    assert info.value.line == line, str(info.value)
    assert message in str(info.value)


# ------------------------------------------------------------------------------ random games
# labels that pygambit 16.7 reads back unchanged (single backslashes before a letter only)
GAMBIT_LABEL = st.from_regex(
    r"[A-Za-z0-9_\"(){}.,:;!?'-]{1,5}(\\[a-z][a-z0-9]{0,3})?( [A-Za-z0-9\"-]{1,4})?", fullmatch=True
)
ANY_LABEL = st.text(max_size=8)
# titles and comments: any text, except backslashes that pygambit misreads
FREE_TEXT = st.text(max_size=8).filter(lambda t: not re.search(r'\\(?=[\\"]|$)', t))
NUMBER = st.one_of(
    st.builds(Fraction, st.integers(-50, 50), st.sampled_from([1, 1, 2, 3, 4, 7, 10, 1000])),
    st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.1, 1e-300, -1e300, 2**-40, 1 / 3]),
)


@st.composite
def extensive_games(draw, labels=GAMBIT_LABEL, max_nodes=40, free=FREE_TEXT):
    """Random trees: chance and decision nodes, shared information sets, rational payoffs."""
    n = draw(st.integers(1, 3))
    label = st.one_of(st.just(""), labels)
    b = GameBuilder([f"P{i + 1}" for i in range(n)], title=draw(free), comment=draw(free))
    open_nodes = [(b.root, 0)]
    count = 1

    serial = itertools.count()

    def node_label() -> str:
        # Gambit wants non-empty node labels to be distinct
        text = draw(label)
        return f"{text} n{next(serial)}" if text else ""

    decision_sets: dict[tuple[int, str], list[str]] = {}
    chance_sets: dict[str, list[tuple[str, Fraction]]] = {}
    while open_nodes:
        node, depth = open_nodes.pop(0)
        grow = count < max_nodes and depth < 5
        kind = draw(st.sampled_from(["terminal", "decision", "chance"])) if grow else "terminal"
        if kind == "terminal":
            node.terminal([draw(NUMBER) for _ in range(n)], label=node_label())
            continue
        if kind == "decision":
            p = draw(st.integers(0, n - 1))
            mine = sorted(k for k in decision_sets if k[0] == p)
            if mine and draw(st.booleans()):
                key = draw(st.sampled_from(mine))
            else:
                key = (p, f"{draw(labels)}#{len(decision_sets)}")
                decision_sets[key] = draw(st.lists(label, min_size=1, max_size=3))
            children = node.decision(p, decision_sets[key], infoset=key[1], label=node_label())
        else:
            if chance_sets and draw(st.booleans()):
                key = draw(st.sampled_from(sorted(chance_sets)))
            else:
                weights = draw(st.lists(st.integers(1, 9), min_size=1, max_size=3))
                key = f"{draw(labels)}#{len(chance_sets)}"
                chance_sets[key] = [
                    (draw(label), Fraction(w, sum(weights))) for w in weights
                ]
            children = node.chance(chance_sets[key], infoset=key, label=node_label())
        count += len(children)
        open_nodes.extend((child, depth + 1) for child in children)
    return b.build()


@st.composite
def normal_games(draw, labels=GAMBIT_LABEL, unique=False):
    n = draw(st.integers(1, 3))
    shape = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    values = draw(st.lists(NUMBER, min_size=n * int(np.prod(shape)), max_size=n * int(np.prod(shape))))
    payoffs = np.array([float(v) for v in values]).reshape([n, *shape])
    strategies = [draw(st.lists(labels, min_size=a, max_size=a, unique=unique)) for a in shape]
    return NormalFormGame(
        payoffs, players=[f"Player {i}" for i in range(n)], strategies=strategies, title=draw(FREE_TEXT)
    )


@given(extensive_games())
def test_random_games_round_trip(game):
    text = write_efg(game)
    back = read_efg(text)
    assert back.equals(game)
    assert np.array_equal(back.payoffs, game.payoffs)  # exact, not approximately
    assert np.array_equal(back.infosets.number, game.infosets.number)
    assert back.title == game.title and back.comment == game.comment
    assert_identical(back, read_efg(write_efg(back)))


@given(extensive_games(labels=ANY_LABEL, free=ANY_LABEL))
def test_random_games_with_any_labels_round_trip_exactly(game):
    back = read_efg(write_efg(game, labels="exact"))
    assert back.equals(game)
    assert back.players == game.players and back.infosets.actions == game.infosets.actions


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(extensive_games())
def test_random_games_through_pygambit(gbt, game):
    text = write_efg(game)
    pg = gbt.read_efg(_as_file(text))
    assert gambit_sizes(pg) == sizes(game)
    assert_same_terminals(terminals_by_path(game), gambit_terminals(pg))
    back = read_efg(pg.to_efg())
    assert sizes(back) == sizes(game)
    assert np.array_equal(back.payoffs, game.payoffs)
    assert np.array_equal(back.chance_prob, game.chance_prob)


@settings(max_examples=25)
@given(extensive_games(labels=ANY_LABEL, max_nodes=15, free=ANY_LABEL))
def test_any_labels_are_made_readable_for_pygambit(gbt, game):
    text = write_quietly(game)
    pg = gbt.read_efg(_as_file(text))
    assert gambit_sizes(pg) == sizes(game)
    back = read_efg(text)
    assert sizes(back) == sizes(game) and np.array_equal(back.payoffs, game.payoffs)
    assert write_efg(back) == text  # the changed labels are stable


@settings(max_examples=25)
@given(st.data())
def test_files_of_an_independent_writer(data):
    gamegen = pytest.importorskip("tests.gamegen")
    game = data.draw(gamegen.extensive_games(max_nodes=60))
    back = read_efg(gamegen.efg_text(game))
    assert sizes(back) == sizes(game)
    assert np.array_equal(back.parent, game.parent) and np.array_equal(back.player, game.player)
    assert np.allclose(back.payoffs, game.payoffs, rtol=0, atol=1e-6)
    assert np.allclose(back.chance_prob, game.chance_prob, rtol=0, atol=1e-6)


@given(normal_games())
def test_random_normal_games_round_trip(game):
    back = read_nfg(write_nfg(game))
    assert back.equals(game) and back.title == game.title
    assert np.array_equal(back.payoffs, game.payoffs)


@settings(max_examples=25)
@given(normal_games(unique=True))  # pygambit 16.7 refuses two strategies of one player with the same label
def test_random_normal_games_through_pygambit(gbt, game):
    pg = gbt.read_nfg(_as_file(write_nfg(game)))
    assert_same_table(pg, game)
    assert np.array_equal(read_nfg(pg.to_nfg()).payoffs, game.payoffs)


# ------------------------------------------------------------------------------ fuzzing
def _only_game_errors(func, source):
    try:
        func(source)
    except GameError:
        pass


@settings(max_examples=200)
@given(st.binary(max_size=400))
def test_random_bytes_raise_game_error(data):
    _only_game_errors(read_efg, data)
    _only_game_errors(read_nfg, data)
    _only_game_errors(read_efg, b"EFG 2 R " + data)
    _only_game_errors(read_nfg, b"NFG 1 R " + data)


TOKENS = st.sampled_from(
    ['EFG', 'NFG', '2', '1', 'R', '"x"', '""', '"a\\"b"', '"\\\\"', '{', '}', ',', 'c', 'p', 't',
     '0', '3', '-1', '1/2', '0.5', '1e3', '"', '\\', '\n', 'x', '1/0', '99999999999999', '.', '-',
     '1e', '\x00', 'é', '"un\nterminated']
)
HEADERS = st.sampled_from(['', 'EFG 2 R "t" { "A" "B" } ', 'NFG 1 R "t" { "A" "B" } ', 'EFG 2 R "" { "A" } ""'])


@settings(max_examples=300)
@given(HEADERS, st.lists(TOKENS, max_size=60), st.sampled_from([" ", "\n", ""]))
def test_token_soup_raises_game_error(header, tokens, sep):
    text = header + sep.join(tokens)
    for source in (text.encode(), "EFG" + text):
        _only_game_errors(read_efg, source)
    for source in (text.encode(), "NFG" + text):
        _only_game_errors(read_nfg, source)


def _last_token_start(text: str) -> int:
    return list(re.finditer(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{},]|[^\s{},"]+', text, re.S))[-1].start()


@pytest.mark.parametrize("name", ["signaling.efg", "openspiel_style.efg"])
def test_every_truncation_raises_game_error(name):
    text = (DATA / name).read_text(encoding="utf-8")
    last = _last_token_start(text)
    for k in range(len(text)):
        try:
            read_quietly(text[:k])
        except GameError:
            continue
        assert k > last, f"the first {k} characters were read as a game"


@pytest.mark.parametrize("name", ["payoffs.nfg", "outcomes.nfg"])
def test_every_nfg_truncation_raises_game_error(name):
    text = (DATA / name).read_text(encoding="utf-8")
    last = _last_token_start(text)
    for k in range(len(text)):
        try:
            read_nfg(text[:k])
        except GameError:
            continue
        assert k > last, f"the first {k} characters were read as a game"


@settings(max_examples=30)
@given(extensive_games(labels=ANY_LABEL, max_nodes=15, free=ANY_LABEL), st.data())
def test_truncations_of_random_files_raise_game_error(game, data):
    text = write_efg(game, labels="exact")
    last = _last_token_start(text)
    k = data.draw(st.integers(0, len(text) - 1))
    try:
        read_efg(text[:k])
    except GameError:
        return
    assert k > last


def test_file_without_outcomes():
    game = read_efg('EFG 2 R "" { "A" "B" }\np "" 1 1 "" { "a" "b" } 0\nt "" 0\nt "" 0\n')
    assert game.payoffs.tolist() == [[0, 0], [0, 0]]
    assert game.outcomes[0] == () and game.outcomes[2].tolist() == [-1, -1, -1]
    text = write_efg(game)
    assert text.endswith('t "" 0\nt "" 0\n')
    assert_identical(game, read_efg(text))
