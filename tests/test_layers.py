"""The layers of docs/architecture.md, checked on the source: negsim's imports point down only.

Every module under ``negsim/`` is parsed with :mod:`ast` (nothing is imported or run) and
each of its imports of a negsim module, at the top or inside a function (a lazy import is a
dependency all the same), must come from the module's own layer or a lower one. Imports
under ``if TYPE_CHECKING:`` are left out: they are never run. Modules named by a string at
run time (``importlib.import_module(f"negsim.solvers.{name}")``) are not seen.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "architecture.md"

# The table of docs/architecture.md, top layer first: a package (``negsim/x/``) or a module
# at the top of the package (``negsim/x.py``) belongs to exactly one layer.
LAYERS: dict[str, tuple[str, ...]] = {
    "interface": ("negsim/cli/", "negsim/plot/", "negsim/__main__.py"),
    "analysis": ("negsim/analysis/", "negsim/estimate/"),
    "scenarios": ("negsim/scenarios/",),
    "negotiation": ("negsim/negotiation/",),
    "solvers": ("negsim/solvers/", "negsim/bargaining/", "negsim/__init__.py"),
    "games": ("negsim/games/", "negsim/io/"),
    "base": ("negsim/errors.py", "negsim/_arrays.py", "negsim/_numeric.py", "negsim/_startup.py"),
}

_RANK = {layer: rank for rank, layer in enumerate(reversed(LAYERS))}  # base = 0


def _module_path(module: str) -> str | None:
    """The file of a dotted negsim module relative to the repository, or None if there is none."""
    base = ROOT.joinpath(*module.split("."))
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py").relative_to(ROOT).as_posix()
    if (base / "__init__.py").is_file():
        return (base / "__init__.py").relative_to(ROOT).as_posix()
    return None


def layer_of(path: str) -> str:
    """The layer of a file such as ``negsim/games/builder.py``."""
    found = [
        layer
        for layer, entries in LAYERS.items()
        for entry in entries
        if (path.startswith(entry) if entry.endswith("/") else path == entry)
    ]
    assert len(found) == 1, f"{path} belongs to {len(found)} layers of the table ({found}), not one"
    return found[0]


def _module_name(path: str) -> tuple[str, bool]:
    """(dotted name, is a package) of a file such as ``negsim/games/__init__.py``."""
    parts = path[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The negsim modules an import statement loads (``from negsim import io`` loads negsim.io)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            parts = module.split(".") if is_package else module.split(".")[:-1]
            parts = parts[: len(parts) - node.level + 1]
            base = ".".join(parts + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        names = [
            f"{base}.{alias.name}" if _module_path(f"{base}.{alias.name}") else base for alias in node.names
        ]
    return [name for name in dict.fromkeys(names) if name == "negsim" or name.startswith("negsim.")]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: str, source: str) -> list[tuple[int, str]]:
    """(line, module) of every negsim module ``source`` imports, lazily or not, except
    under ``if TYPE_CHECKING:``."""
    module, is_package = _module_name(path)
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.extend((node.lineno, target) for target in _targets(node, module, is_package))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source, filename=path))
    return found


def upward_imports(path: str, source: str) -> list[str]:
    """``file:line imports module (layer -> higher layer)`` for each import that points up."""
    mine = layer_of(path)
    out = []
    for line, target in imports(path, source):
        target_path = _module_path(target)
        assert target_path is not None, f"{path}:{line} imports {target}, which is not a negsim module"
        theirs = layer_of(target_path)
        if _RANK[theirs] > _RANK[mine]:
            out.append(f"{path}:{line} imports {target} ({mine} -> {theirs})")
    return out


def _sources() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "negsim").rglob("*.py"))


def test_every_module_has_exactly_one_layer():
    for path in _sources():
        layer_of(path)


def test_every_entry_of_the_table_exists():
    for entries in LAYERS.values():
        for entry in entries:
            assert (ROOT / entry).exists(), f"{entry} is in the table of layers but not in the package"


def test_imports_point_down():
    found = []
    for path in _sources():
        found.extend(upward_imports(path, (ROOT / path).read_text(encoding="utf-8")))
    # a helper that a lower layer needs belongs in that layer (or in base): move it down
    assert found == [], "imports that point up the layers of docs/architecture.md:\n" + "\n".join(found)


def test_the_check_sees_upward_lazy_and_relative_imports():
    # the checker itself, on a module of the games layer that imports upwards in each way
    source = (
        "from typing import TYPE_CHECKING\n"
        "from negsim.errors import GameError\n"
        "from negsim.cli import main\n"
        "from . import extensive\n"
        "from .. import bargaining\n"
        "if TYPE_CHECKING:\n"
        "    from negsim.solvers import Solution\n"
        "else:\n"
        "    import negsim.scenarios.loader\n"
        "def f():\n"
        "    from negsim import plot\n"
        "    import negsim.analysis as a\n"
    )
    assert [line for line, _ in imports("negsim/games/x.py", source)] == [2, 3, 4, 5, 9, 11, 12]
    assert upward_imports("negsim/games/x.py", source) == [
        "negsim/games/x.py:3 imports negsim.cli (games -> interface)",
        "negsim/games/x.py:5 imports negsim.bargaining (games -> solvers)",
        "negsim/games/x.py:9 imports negsim.scenarios.loader (games -> scenarios)",
        "negsim/games/x.py:11 imports negsim.plot (games -> interface)",
        "negsim/games/x.py:12 imports negsim.analysis (games -> analysis)",
    ]
    assert upward_imports("negsim/cli/x.py", source) == []


def _page_layers() -> dict[str, tuple[str, ...]]:
    """The table under '## Layers' of the architecture page: layer -> backticked paths."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert rows[0].replace(" ", "").startswith("|layer|package|"), rows[0]
    table = {}
    for row in rows[2:]:  # after the header and its |---| line
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        table[cells[0]] = tuple(re.findall(r"`([^`]+)`", cells[1]))
    return table


def test_the_architecture_page_lists_the_same_layers_and_packages():
    page = _page_layers()
    assert list(page) == list(LAYERS), "the layers (top first) differ from docs/architecture.md"
    for layer, entries in LAYERS.items():
        assert sorted(page[layer]) == sorted(entries), f"layer {layer!r} differs from docs/architecture.md"
