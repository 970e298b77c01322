"""Sphinx configuration: the guide, the security notes, the API reference (from the
docstrings) and the changelog, in MyST Markdown. Built by ``make docs`` with
warnings as errors.

Cross-references to Flask, Werkzeug and marshmallow use intersphinx with inventories
kept in ``docs/_inventories/`` (made by ``docs/_inventories/make.py`` from the
installed packages), so a build needs no network; the links point at the projects'
online docs. ``SPHINX_INTERSPHINX_ONLINE=1`` fetches their published inventories
instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from flask_server_functions import __version__  # noqa: E402

project = "Flask-Server-Functions"
author = "Flask-Server-Functions contributors"
copyright = "the Flask-Server-Functions contributors"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_inventories"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": False}

_ONLINE = os.environ.get("SPHINX_INTERSPHINX_ONLINE") == "1"
_INVENTORIES = {
    "python": "https://docs.python.org/3/",
    "flask": "https://flask.palletsprojects.com/en/stable/",
    "werkzeug": "https://werkzeug.palletsprojects.com/en/stable/",
    "marshmallow": "https://marshmallow.readthedocs.io/en/stable/",
}
intersphinx_mapping = {
    name: (url, None if _ONLINE else str(HERE / "_inventories" / f"{name}.inv"))
    for name, url in _INVENTORIES.items()
    if _ONLINE or (HERE / "_inventories" / f"{name}.inv").exists()
}

html_theme = "alabaster"
html_title = f"{project} {release}"
html_static_path: list[str] = []
