"""Cross-origin protection: a server function only takes POSTs from its own site.

Checked before the body is read. The decision, in order:

1. ``Origin`` present (and not ``null``): it must be the app's own origin (scheme +
   host + port of ``request.host_url``) or one of ``SERVER_FUNCTIONS_ALLOWED_ORIGINS``.
2. Else (no ``Origin``, or ``null``: Chromium sends ``null`` for a plain form POST
   from a page with ``Referrer-Policy: no-referrer``, as do sandboxed frames)
   ``Sec-Fetch-Site`` present: ``same-origin`` or ``none`` passes, anything else
   (``cross-site``, ``same-site``) is refused.
3. Else ``Referer`` present: its origin is checked as in 1.
4. Else (no header at all, or ``Origin: null`` alone: curl, server-to-server, very old browsers):
   ``SERVER_FUNCTIONS_MISSING_ORIGIN`` decides: ``"allow"`` (default; no modern
   browser sends a cross-site POST without ``Origin``) or ``"deny"``.

The app's own origin comes from the request's ``Host`` (and scheme). Behind a proxy,
wrap the app in Werkzeug's ``ProxyFix`` so ``X-Forwarded-Host``/``-Proto`` are
trusted.

The user reads a plain message (:class:`~.errors.CrossOriginRequest`); the detail
(which header said what) goes to the ``flask_server_functions`` log as a warning.
"""

from __future__ import annotations

import functools
import logging
import typing as t
from urllib.parse import urlsplit

from flask import Request, request

from .errors import CrossOriginRequest

MISSING_ORIGIN_POLICIES = ("allow", "deny")

logger = logging.getLogger("flask_server_functions")


def _refuse(detail: str) -> t.NoReturn:
    logger.warning("server function call refused: %s (%s %s)", detail, request.method, request.path)
    raise CrossOriginRequest()


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[": an unparseable host is no origin
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


@functools.lru_cache(maxsize=64)  # per host and list: a few
def _accepted(scheme: str, host: str, listed: tuple[str, ...]) -> frozenset[str]:
    """The origins a call may come from: this site's (``request.scheme`` and
    ``request.host``) and the listed ones."""
    return frozenset({f"{scheme}://{host}".lower(), *(o.rstrip("/").lower() for o in listed)})


def check_origin(config: t.Mapping[str, t.Any], req: Request) -> None:
    """Raise :class:`CrossOriginRequest` (403) unless the request comes from this site."""
    environ = req.environ  # the headers, read without building request.headers
    listed = config["SERVER_FUNCTIONS_ALLOWED_ORIGINS"]
    accepted = _accepted(environ["wsgi.url_scheme"], req.host, tuple(listed) if listed else ())

    origin = environ.get("HTTP_ORIGIN")
    if origin is not None:
        origin = origin.strip().lower()
        if origin != "null":
            if origin not in accepted:
                _refuse(f"cross-origin request from origin {origin[:100]!r}")
            return

    fetch_site = environ.get("HTTP_SEC_FETCH_SITE")
    if fetch_site is not None:
        if fetch_site not in ("same-origin", "none"):
            _refuse(f"Sec-Fetch-Site is {fetch_site[:40]!r} (Origin: {origin!r})")
        return

    referrer = environ.get("HTTP_REFERER")
    if referrer is not None:
        ref_origin = _origin_of(referrer)
        if ref_origin not in accepted:
            _refuse(f"cross-origin request from referrer origin {ref_origin!r}")
        return

    if config["SERVER_FUNCTIONS_MISSING_ORIGIN"] == "deny":
        _refuse(
            f"no usable Origin (Origin: {origin!r}), Sec-Fetch-Site or Referer header, and"
            " SERVER_FUNCTIONS_MISSING_ORIGIN is 'deny'"
        )
