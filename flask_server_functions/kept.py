"""Keeping a form's state across the no-JS redirect, for exactly one request.

The no-JS path keeps one :class:`~.state.FormState`'s data in the Flask session
(like ``flash``), so any worker can serve the page after the 303; data too large
for a cookie waits in ``SERVER_FUNCTIONS_KEPT_STORE`` with a ticket in the session.
:func:`take_kept` (a ``before_request`` hook) moves it into the next request, and
:func:`kept_for` hands it to the form it belongs to.
"""

from __future__ import annotations

import secrets
import typing as t

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface, session_json_serializer

from .config import app_state
from .functions import Reference
from .i18n import N_, gettext
from .state import FormState

#: The session key of the state kept across a no-JS redirect.
SESSION_KEY = "_server_functions_kept"

#: Kept data larger than this (serialised, in bytes) goes to the server-side store,
#: with only a ticket in the session: browsers drop cookies over about 4 KB, and the
#: typed input with them.
KEPT_COOKIE_LIMIT = 2048
#: Seconds a ticket's data stays in the store.
KEPT_TTL = 600
#: The most typed input kept for one submission (characters); past it the values are
#: dropped (with :data:`TOO_LONG_TO_KEEP` without JS), so no client can fill a store.
KEPT_MAX = 16 * 1024
TOO_LONG_TO_KEEP = N_("What you typed was too long to keep for this page; please enter it again.")


def values_fit(values: t.Mapping[str, list[t.Any]]) -> bool:
    """Whether typed ``values`` are small enough to keep for later (:data:`KEPT_MAX`).

    Anyone can post a large body: past this, stores keep the errors but not the values.
    """
    return sum(len(str(v)) for items in values.values() for v in items) <= KEPT_MAX


def keep(form: FormState) -> None:
    """Keep ``form``'s state for the next request only: in the session, or, when it is
    too large for a cookie (a long text typed without JavaScript), in the store
    (``SERVER_FUNCTIONS_KEPT_STORE``) with a ticket in the session."""
    data = form.to_kept()
    # Only a cookie session has a size limit (server-side sessions keep anything, and
    # are shared by every worker). Measured and stored with the session's own
    # serializer, so the state comes back with the same types (dates, bytes, tuples).
    if isinstance(current_app.session_interface, SecureCookieSessionInterface):
        if not values_fit(data["values"]):
            # The form says what could not be kept.
            data["values"] = {}
            data["errors"] = {
                **data["errors"],
                "_form": [*data["errors"].get("_form", []), gettext(TOO_LONG_TO_KEEP)],
            }
        tagged = session_json_serializer.dumps(data)
        if len(tagged) > KEPT_COOKIE_LIMIT:
            ticket = secrets.token_urlsafe(16)
            app_state().kept_store.save(f"kept:{ticket}", {"tagged": tagged}, KEPT_TTL)
            data = {"key": data["key"], "ticket": ticket}
    session[SESSION_KEY] = data


#: What the extension keeps in ``g`` for one request (kept state, the form's page,
#: the template context, endpoint URLs).
_PER_REQUEST = (
    "_server_functions_kept",
    "server_functions_page",
    "_server_functions_context",
    "_server_functions_urls",
    "_server_functions_live_script",
    "_server_functions_refresh",
    "_server_functions_page_obj",
)


def take_kept() -> None:
    """Move the kept state out of the session into this request (called before each request).

    Requests without a session cookie cannot have any: leave the session untouched
    (reading it would add ``Vary: Cookie`` to every response). What an earlier request
    left in ``g`` is cleared first: one ``g`` outlives many requests when they run
    inside an app context pushed around them (``with app.app_context():`` in tests).
    """
    for name in _PER_REQUEST:
        g.pop(name, None)
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return
    if SESSION_KEY in session:
        kept = session.pop(SESSION_KEY)
        ticket = kept.get("ticket") if isinstance(kept, dict) else None
        if ticket is not None:
            store = app_state().kept_store
            stored = store.get(f"kept:{ticket}")  # None if another process's memory has it
            store.release(f"kept:{ticket}")
            kept = session_json_serializer.loads(stored["tagged"]) if stored else None
        g._server_functions_kept = kept


def kept_for(ref: Reference) -> dict[str, t.Any] | None:
    """The state kept for ``ref``'s form by the previous request, if any."""
    kept = g.get("_server_functions_kept")
    if kept is not None and kept.get("key") == ref.key:
        g._server_functions_kept_shown = True  # see landing.flash_unshown
        return t.cast(dict[str, t.Any], kept)
    return None
