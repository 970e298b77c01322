"""The page a form is on, and what else on it a call re-renders.

While a call runs, :func:`current_page` is the page its form was on (the path and
query the no-JS redirect lands on), not the function's URL; on any other request it
is the request's own page. Templates the extension renders (the form's partial and
the ``refresh=`` templates) see it as ``page``, so a refreshed list keeps the
page's filter::

    {% for note in notes_matching(page.args.get("q", "")) %}...{% endfor %}

A function can ask for more regions to be refreshed than its ``refresh=`` names,
as Next.js's ``revalidatePath()`` inside an action::

    from flask_server_functions import refresh

    @sf.function(template="note_add.html")
    def add_note(text: str):
        ...
        if first_note:
            refresh("empty-state", "partials/empty_state.html")
"""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl, urlsplit

from flask import g, request
from werkzeug.datastructures import MultiDict

from .permalink import without_kept_key

#: Where one request keeps the regions its function asked for with :func:`refresh`.
_REFRESH_KEY = "_server_functions_refresh"


@dataclasses.dataclass(frozen=True)
class Page:
    """A page of the app: ``page.url`` (path and query), ``page.path``, ``page.args``."""

    #: The path and query string, e.g. ``/notes?q=buy``.
    url: str
    #: The path alone, e.g. ``/notes``.
    path: str
    #: The query arguments, as ``request.args`` would have them.
    args: MultiDict[str, str]

    @classmethod
    def parse(cls, url: str) -> Page:
        parts = urlsplit(url)
        return cls(
            url, parts.path or "/", MultiDict(parse_qsl(parts.query, keep_blank_values=True))
        )


def current_page_url() -> str:
    """The page a form is rendered on: this request's path, or, while a server
    function's response re-renders forms, the page its form was on."""
    scratch = g._get_current_object()  # one lookup for both names
    page: str | None = getattr(scratch, "server_functions_page", None) or getattr(
        scratch, "_server_functions_path", None
    )
    if page is None:
        page = scratch._server_functions_path = without_kept_key(request.full_path.rstrip("?"))
    return page


def current_page() -> Page:
    """The page a form is on (see the module's documentation), with its arguments."""
    url = current_page_url()
    cached: Page | None = g.get("_server_functions_page_obj")
    if cached is None or cached.url != url:
        cached = g._server_functions_page_obj = Page.parse(url)
    return cached


def refresh(element_id: str, template: str) -> None:
    """Re-render ``template`` into the element ``element_id`` after this call (htmx
    only; without JavaScript the whole page is rendered anyway). Call it inside a
    server function, in addition to the function's and group's ``refresh=``."""
    regions: dict[str, str] = g.setdefault(_REFRESH_KEY, {})
    regions[element_id] = template


def asked_refreshes() -> dict[str, str]:
    """The regions this request's function asked for with :func:`refresh`."""
    return dict(g.get(_REFRESH_KEY) or {})
