"""The documentation: every public name is in the API reference, and the tutorial's scenario is the tutorial's."""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import negsim_docs  # noqa: E402


def _documented() -> set[object]:
    found = set()
    for entries in negsim_docs.api_pages().values():
        for module_name, names in entries:
            module = importlib.import_module(module_name)
            for name in names:
                found.add(negsim_docs._identity(module_name, name, getattr(module, name)))
    return found


def test_every_public_name_appears_in_the_api_reference():
    documented = _documented()
    missing = []
    for module_name in negsim_docs.public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if name.startswith("__") or inspect.ismodule(obj):
                continue
            if negsim_docs._identity(module_name, name, obj) not in documented:
                missing.append(f"{module_name}.{name}")
    assert missing == []


def test_every_public_module_is_under_an_api_page():
    packages = [p for p, _, _ in negsim_docs.PACKAGES]
    for module_name in negsim_docs.public_modules():
        assert any(module_name == p or module_name.startswith(p + ".") for p in packages), module_name


def test_the_api_pages_are_in_the_api_index():
    index = (DOCS / "api" / "index.rst").read_text(encoding="utf-8")
    for package, _, _ in negsim_docs.PACKAGES:
        assert f"\n   {package}\n" in index


def test_the_tutorial_scenario_file_is_the_tutorial_text():
    text = (DOCS / "tutorials" / "first-scenario.rst").read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: toml\n\n((?:   .*\n|\n)+)", text)
    body = "\n\n".join("\n".join(line[3:] for line in block.rstrip().split("\n")) for block in blocks)
    scenario = (DOCS / "tutorials" / "truce_offer.toml").read_text(encoding="utf-8")
    assert body.strip() in scenario
