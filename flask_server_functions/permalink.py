"""Where a no-JS submission lands: the permalink, a path on this site only.

A form names its page in its ``action`` (``?_sf_next=/page``, :func:`with_landing`);
a hand-made form may send a hidden ``_sf_next`` field instead. Without either, the
``Referer`` of this site, else ``/``; never another site, and nothing that could
split a header.
:func:`local_page` reads a page of this site from a full URL (``Referer``,
htmx's ``HX-Current-URL``) the same way. Neither passes on a spent one-time
``_sf_kept`` key (:func:`without_kept_key`).
"""

from __future__ import annotations

import functools
import re
import typing as t
from urllib.parse import quote, urlsplit, urlunsplit

from flask import request

from .wire import KEPT_PARAM, NEXT_FIELD


def with_landing(action: str, page: str) -> str:
    """The form's ``action``, naming the page a no-JS submission lands on."""
    return f"{action}?{NEXT_FIELD}={_quoted(page)}"


@functools.lru_cache(maxsize=256)
def _quoted(page: str) -> str:
    return quote(page, safe="/")


def form_page(form_data: t.Mapping[str, t.Any]) -> str:
    """The page a form's submission lands on: its hidden ``_sf_next`` field (a
    hand-made form), else the page its ``action`` names, made safe by
    :func:`safe_next_url`."""
    return safe_next_url(form_data.get(NEXT_FIELD) or request.args.get(NEXT_FIELD))


def safe_next_url(value: str | None) -> str:
    """The permalink a no-JS submission lands on: a path on this site, never elsewhere
    (and nothing that could split a header)."""
    if value and _is_local_path(value):
        return without_kept_key(value)
    return local_page(request.referrer) or "/"


def local_page(url: str | None, host: str | None = None) -> str | None:
    """The path and query of ``url`` if it is a page of this site (``host``, by default
    the request's), else None."""
    if not url:
        return None
    return _local_page(url, host or request.host)


@functools.lru_cache(maxsize=256)  # htmx sends the same page's URL call after call
def _local_page(url: str, host: str) -> str | None:
    if _CONTROL_CHARS.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # an unparseable host ("http://["): not this site
        return None
    if parts.netloc != host:
        return None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # not "//evil.example" from http://host//evil.example
    return without_kept_key(path) if _is_local_path(path) else None


def without_kept_key(url: str) -> str:
    """``url`` less its one-time ``_sf_kept`` key: good for one request, spent once
    the page it landed on is shown, so a form on that page must not carry it on (the
    next submission would land on it again, or add a second key)."""
    if KEPT_PARAM not in url:  # nearly always: no parsing
        return url
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if p and p.split("=", 1)[0] != KEPT_PARAM)
    return urlunsplit(parts._replace(query=query))


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
