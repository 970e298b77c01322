"""Where a no-JS result lands when the session cannot carry it, or its form is gone.

* **No cookies** (a text browser refusing them, a cookie blocker, a first visit):
  a no-JS POST without the session cookie may not find its result in the session
  after the 303. :func:`keep_in_url` also puts it in ``SERVER_FUNCTIONS_KEPT_STORE``
  under a random one-time key and adds ``?_sf_kept=<key>`` to the redirect;
  :func:`take_from_url` (a ``before_request`` hook) takes it out on that GET (and
  drops it when the session brought the result after all). The key
  is good for one request and :data:`~.kept.KEPT_TTL` seconds, and the record is
  bounded like any kept one. A browser that keeps cookies takes this path once: the
  redirect also set :data:`~.kept.MARKER_COOKIE`, which it sends back even when its
  emptied session cookie is deleted, and the landing page's forms do not carry the
  spent key on (:func:`~.permalink.without_kept_key`).
* **The form is not on the page** (its row was deleted in another tab, or the
  permalink shows other forms): :func:`flash_unshown` (an ``after_request`` hook)
  flashes the form-wide messages the page did not render, and sends the browser to
  the same page once more, so the layout's ``get_flashed_messages()`` shows them.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit, urlunsplit

from flask import current_app, flash, g, redirect, request, session
from flask.sessions import session_json_serializer
from werkzeug.wrappers import Response

from .config import app_state
from .i18n import gettext
from .kept import (
    KEPT_TTL,
    MARKER_COOKIE,
    SESSION_KEY,
    TOO_LONG_TO_KEEP,
    from_store,
    session_kept,
    values_fit,
)
from .state import FormState
from .wire import KEPT_PARAM

#: The largest kept record carried this way (serialised, in bytes): with the
#: store's key limit and TTL, what cookieless clients can leave behind is bounded.
MAX_RECORD = 16 * 1024


def keeps_cookies() -> bool:
    """Whether this browser sends cookies back (so the session can carry a result): the
    request carried the session cookie, or :data:`~.kept.MARKER_COOKIE`."""
    cookies = request.cookies
    return MARKER_COOKIE in cookies or current_app.config["SESSION_COOKIE_NAME"] in cookies


def keep_in_url(form: FormState, page: str) -> str:
    """Keep ``form``'s state in the store under a one-time key; ``page`` with that key."""
    data = form.to_kept()
    tagged = session_json_serializer.dumps(data)
    if len(tagged) > MAX_RECORD or not values_fit(data["values"]):
        errors = data["errors"]
        data = {**data, "state": None, "values": {}}
        data["errors"] = {**errors, "_form": [*errors.get("_form", []), gettext(TOO_LONG_TO_KEEP)]}
        tagged = session_json_serializer.dumps(data)
        if len(tagged) > MAX_RECORD:  # the messages themselves: keep only the notice
            data = {"key": data["key"], "state": None, "values": {}, "errors": {}}
            data["errors"] = {"_form": [gettext(TOO_LONG_TO_KEEP)]}
            tagged = session_json_serializer.dumps(data)
    ticket = secrets.token_urlsafe(16)
    app_state().kept_store.save(f"kept:{ticket}", {"tagged": tagged}, KEPT_TTL)
    parts = urlsplit(page)
    # A page reached through such a key carries it (spent): replace it, never add one.
    kept = [p for p in parts.query.split("&") if p and p.split("=", 1)[0] != KEPT_PARAM]
    query = "".join(f"{p}&" for p in kept)
    return urlunsplit(parts._replace(query=f"{query}{KEPT_PARAM}={ticket}"))


def take_from_url() -> None:
    """A cookieless GET after a no-JS POST: take its result out of the store."""
    if KEPT_PARAM not in request.environ.get("QUERY_STRING", ""):  # most requests, cheaply
        return
    ticket = request.args.get(KEPT_PARAM)
    if not ticket or len(ticket) > 64:
        return
    store = app_state().kept_store
    stored = store.get(f"kept:{ticket}")
    if stored is None:
        return
    store.release(f"kept:{ticket}")  # one request only, whoever carries it
    if session_kept() is None:  # the session did not bring it
        g._server_functions_kept = session_json_serializer.loads(stored["tagged"])


def flash_unshown(response: Response) -> Response:
    """Flash the form-wide messages kept for a form this page (a full page, not an
    htmx fragment or a poll) did not render; the rest stays kept until its form is
    shown, or its TTL ends."""
    if (
        request.method != "GET"
        or request.headers.get("HX-Request") == "true"
        or g.get("_server_functions_kept_taken")  # its form was rendered: shown
        or response.status_code != 200
        or response.mimetype != "text/html"
        or not keeps_cookies()  # nowhere to keep a flash
    ):
        return response
    kept = session_kept()
    if kept and kept.get("ticket"):
        kept = from_store(kept["ticket"])
    messages = (kept or {}).get("errors", {}).get("_form", [])
    if not messages:
        return response
    g._server_functions_kept = None
    session.pop(SESSION_KEY, None)  # shown now, as a flash: not again
    for message in messages:
        flash(message, "error")
    session.modified = True
    again = redirect(request.url, code=303)
    again.headers["Cache-Control"] = "no-store"
    return again
