"""Which kind of answer a request wants: an htmx fragment, JSON, or a page.

Decided once per call (:func:`request_path`); every step that answers differently
per path (guards, refusals, the answer itself) asks the same question.
"""

from __future__ import annotations

import enum
import typing as t

from flask import request

from .htmx import environ_wants_fragment


class Path(enum.Enum):
    """The three ways a call is made, and so answered."""

    #: ``Accept: application/json`` (``serverFunctions.call``, code): ``{"state", "errors"}``.
    JSON = "json"
    #: An htmx request (not boosted): the re-rendered inside of the form, swapped in place.
    HTMX = "htmx"
    #: A plain form POST (no JavaScript, or a boosted request): keep the state, 303 to the page.
    NOJS = "nojs"


def wants_json() -> bool:
    """Whether the client prefers JSON to HTML."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def request_path(environ: t.Mapping[str, t.Any]) -> Path:
    """The path the request with this WSGI environ takes. A validate-only call
    (``Precognition: true``) comes from code: it is answered as JSON unless htmx sent it."""
    if "json" in environ.get("HTTP_ACCEPT", "") and wants_json():  # (rarely asked)
        return Path.JSON
    if environ_wants_fragment(environ):
        return Path.HTMX  # (a page's own requests skip the htmx headers)
    if environ.get("HTTP_PRECOGNITION", "").strip().lower() == "true":
        return Path.JSON
    return Path.NOJS
