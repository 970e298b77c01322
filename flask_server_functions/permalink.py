"""Where a no-JS submission lands: the permalink, a path on this site only.

Taken from the form's hidden ``_sf_next`` field, else the ``Referer`` of this
site, else ``/``; never another site, and nothing that could split a header.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import request


def safe_next_url(value: str | None) -> str:
    """The permalink a no-JS submission lands on: a path on this site, never elsewhere
    (and nothing that could split a header)."""
    if value and _is_local_path(value):
        return value
    referrer = request.referrer
    if referrer and not _CONTROL_CHARS.search(referrer):
        try:
            parts = urlsplit(referrer)
        except ValueError:  # an unparseable host ("http://["): not this site
            return "/"
        if parts.netloc == request.host:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            if _is_local_path(path):  # not "//evil.example" from http://host//evil.example
                return path
    return "/"


def _is_local_path(value: str) -> bool:
    if not value.startswith("/") or value.startswith(("//", "/\\")) or _CONTROL_CHARS.search(value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
