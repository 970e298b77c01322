"""Where a no-JS submission lands: the permalink, a path on this site only.

Taken from the form's hidden ``_sf_next`` field, else the ``Referer`` of this
site, else ``/``; never another site, and nothing that could split a header.
:func:`local_page` reads a page of this site from a full URL (``Referer``,
htmx's ``HX-Current-URL``) the same way.
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
    return local_page(request.referrer) or "/"


def local_page(url: str | None) -> str | None:
    """The path and query of ``url`` if it is a page of this site (same host), else None."""
    if not url or _CONTROL_CHARS.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # an unparseable host ("http://["): not this site
        return None
    if parts.netloc != request.host:
        return None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # not "//evil.example" from http://host//evil.example
    return path if _is_local_path(path) else None


def _is_local_path(value: str) -> bool:
    """A path of this site: it starts with one ``/`` (so it has neither a scheme nor a
    host, as ``urlsplit`` reads it; ``/\\`` is a host to browsers) and has no
    control characters."""
    return (
        value.startswith("/")
        and not value.startswith(("//", "/\\"))
        and not _CONTROL_CHARS.search(value)
    )


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
