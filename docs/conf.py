"""Sphinx configuration of negsim's documentation (``python -m sphinx -W docs docs/_build/html``)."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))  # document this checkout's negsim even when another is installed
os.environ.setdefault("MPLBACKEND", "Agg")

import negsim  # noqa: E402

project = "negsim"
author = "negsim developers"
copyright = "negsim developers"
release = negsim.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "negsim_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = [
    "_build",
    "generated",
    "**.ipynb_checkpoints",
    "scenarios/intro.txt",
    "gallery/*.md5",
    "gallery/*.json",
]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "myst.xref_missing"]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # numpydoc shows the types written in the docstrings
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False


sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "gallery",
    "filename_pattern": r".*\.py$",  # run every example: they take seconds each
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib", "negsim_docs.saved_figures"),
    "reset_modules": ("matplotlib",),
}

html_theme = "pydata_sphinx_theme"
html_title = f"negsim {release}"
html_static_path = ["_static"]
html_css_files = ["negsim.css"]
html_theme_options = {
    "github_url": "https://github.com/negsim/negsim",
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "getting-started": [], "scenario-format": [], "architecture": [], "benchmarks": []}
html_show_sourcelink = False
