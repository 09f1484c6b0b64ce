"""Budgets: games too large for a method are refused with one line, before anything big is allocated.

The command-line cases run in a subprocess under a 2 GiB address-space limit (as
``ulimit -v`` would set), so a solver that allocated first and checked later would die
with a MemoryError instead of printing the refusal.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import negsim
from negsim.errors import SolverError
from negsim.games import NormalFormGame, library
from negsim.games.convert import to_extensive
from negsim.solvers import budget

REPO = Path(__file__).resolve().parents[1]
TWO_GIB = 2 * 2**30


def _write_nfg(path: Path, payoffs: np.ndarray) -> Path:
    m, k = payoffs.shape[1:]
    numbers = np.stack([payoffs[0].T.ravel(), payoffs[1].T.ravel()], axis=1).ravel()  # Gambit: row index fastest
    path.write_text(f'NFG 1 R "big" {{ "P1" "P2" }} {{ {m} {k} }}\n' + " ".join(f"{v:g}" for v in numbers) + "\n")
    return path


def _limited(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (TWO_GIB, TWO_GIB))

    env = dict(os.environ, PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "negsim", *argv], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=60, preexec_fn=limit)


def test_memory_limit_reads_the_environment(monkeypatch):
    monkeypatch.setenv("NEGSIM_MEMORY_LIMIT", "8G")
    assert budget.memory_limit() == 8 * 2**30
    monkeypatch.setenv("NEGSIM_MEMORY_LIMIT", "lots")
    with pytest.raises(SolverError, match="NEGSIM_MEMORY_LIMIT"):
        budget.memory_limit()
    monkeypatch.delenv("NEGSIM_MEMORY_LIMIT")
    assert budget.memory_limit() == budget.DEFAULT_MEMORY_LIMIT


@pytest.mark.parametrize("name", ["kuhn-poker", "leduc-poker", "liars-dice"])
@pytest.mark.parametrize("method", ["cfr+", "lp", "auto"])
def test_the_standard_games_fit(name, method):
    game = getattr(library, name.replace("-", "_"))()
    budget.check(game, method if method != "auto" else negsim.solvers.dispatch.choose_method(game))


@pytest.mark.parametrize("method", ["lp", "cfr+", "backward", "auto"])
def test_an_information_set_with_too_many_actions_is_refused_before_allocating(method, monkeypatch):
    monkeypatch.setenv("NEGSIM_MEMORY_LIMIT", "64M")
    row = np.random.default_rng(0).random((1, 3000))
    game = to_extensive(NormalFormGame.zero_sum(row))  # 3,000 actions: 9e6 sibling pairs, 108 MB
    with pytest.raises(SolverError, match="limit"):
        negsim.solve(game, method=method)


@pytest.mark.parametrize(("method", "shape", "match"), [
    ("vertex", (20, 20), "enumerate"),
    ("lemke-howson", (300, 300), "enumerate"),
    ("correlated", (300, 300), "enumerate"),
    ("qre", (2, 200_000), "would need"),
])
def test_methods_that_could_not_finish_are_refused(method, shape, match):
    game = NormalFormGame(np.zeros((2, *shape)))
    with pytest.raises(SolverError, match=match):
        negsim.solve(game, method=method)


def test_auto_never_picks_lemke_howson():
    game = NormalFormGame(np.random.default_rng(3).random((2, 12, 12)))
    assert negsim.solvers.dispatch.choose_method(game) == "lemke"


def test_pure_on_a_long_bimatrix_allocates_no_square(tmp_path):
    payoffs = np.zeros((2, 2, 200_000))
    payoffs[0, 0, :] = 1.0
    solution = negsim.solve(NormalFormGame(payoffs), method="pure")
    assert solution.info["strategies"] == (0, 0)


@pytest.mark.parametrize(("argv", "shape"), [
    (["--method", "vertex"], (20, 20)),
    (["--method", "correlated"], (300, 300)),
    (["--method", "lemke-howson"], (300, 300)),
    (["--method", "qre"], (2, 200_000)),
])
def test_cli_refusals_are_one_line_under_a_memory_limit(tmp_path, argv, shape):
    payoffs = np.random.default_rng(1).integers(0, 9, size=(2, *shape)).astype(float)
    path = _write_nfg(tmp_path / "big.nfg", payoffs)
    done = _limited("solve", str(path), *argv, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
