"""Write the minified copy of each of the extension's own scripts (``make assets``).

``static/<name>.js`` is the source, kept readable with its comments;
``static/<name>.min.js`` (committed, like htmx's own ``htmx.min.js``) is what pages
load, unless ``SERVER_FUNCTIONS_HTMX_DEBUG`` is on. Minified with rjsmin, which only
removes comments and whitespace. ``tests/test_static.py`` checks that every copy is
up to date.
"""

from __future__ import annotations

import pathlib
import sys

import rjsmin

STATIC = pathlib.Path(__file__).resolve().parents[1] / "static"
#: The scripts the extension writes itself (vendored files come minified).
SOURCES = (
    "server-functions.js",
    "server-functions-upload.js",
    "server-functions-live.js",
    "server-functions-htmx2.js",
)


def minified(source: str) -> str:
    """The minified text of one script (its comments and indentation removed)."""
    return rjsmin.jsmin(source).strip() + "\n"


def main() -> int:
    for name in SOURCES:
        source = STATIC / name
        target = source.with_suffix(".min.js")
        text = minified(source.read_text())
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
            print(f"wrote {target.relative_to(STATIC.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
