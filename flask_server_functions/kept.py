"""Keeping a form's state across the no-JS redirect, until the form is shown again.

The no-JS path keeps one :class:`~.state.FormState`'s data in the Flask session
(like ``flash``), so any worker can serve the page after the 303; data too large
for a cookie waits in ``SERVER_FUNCTIONS_KEPT_STORE`` with a ticket in the session.
It stays there until a page renders the form it belongs to (:func:`kept_for`), or
for :data:`KEPT_TTL` seconds: a favicon, a poll or another tab in between does
not take it. The whole kept record is bounded (:data:`KEPT_RECORD_MAX`), and
keeping never raises: what cannot be kept is replaced by a small record that says so.
"""

from __future__ import annotations

import json
import secrets
import time
import typing as t

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface, session_json_serializer
from werkzeug.wrappers import Response

from .config import app_state
from .functions import Reference
from .i18n import N_, gettext
from .state import FormState
from .stores import encode

#: The session key of the state kept across a no-JS redirect.
SESSION_KEY = "_server_functions_kept"
#: A cookie (``1``) the first no-JS redirect sets: this browser sends cookies back.
#: Once its kept state is taken, a session left empty is deleted (as Flask does), and a
#: later no-JS POST without the session cookie but with this one still keeps its result
#: in the session, not in the URL (:mod:`.landing`). It carries nothing else.
MARKER_COOKIE = "_sf"

#: Kept data larger than this (serialised, in bytes) goes to the server-side store,
#: with only a ticket in the session: browsers drop cookies over about 4 KB, and the
#: typed input with them.
KEPT_COOKIE_LIMIT = 2048
#: Seconds kept state waits for its form (in the session and in the store).
KEPT_TTL = 600
#: The most typed input kept for one submission (characters); past it the values are
#: dropped (with :data:`TOO_LONG_TO_KEEP` without JS), so no client can fill a store.
KEPT_MAX = 16 * 1024
#: The largest kept record (typed values, the returned state and the errors, as
#: stored, in bytes); past it a small record with :data:`TOO_LARGE_TO_KEEP` is kept.
KEPT_RECORD_MAX = 32 * 1024
TOO_LONG_TO_KEEP = N_("What you typed was too long to keep for this page; please enter it again.")
TOO_LARGE_TO_KEEP = N_("The result of this form was too large to show on this page.")
NOT_KEPT = N_("The result of this form could not be kept for this page.")


def values_fit(values: t.Mapping[str, list[t.Any]]) -> bool:
    """Whether typed ``values`` are small enough to keep for later (:data:`KEPT_MAX`).

    Anyone can post a large body: past this, stores keep the errors but not the values.
    """
    return sum(len(str(v)) for items in values.values() for v in items) <= KEPT_MAX


def keep(form: FormState) -> None:
    """Keep ``form``'s state until its form is shown again: in the session, or, when
    it is too large for a cookie (a long text typed without JavaScript), in the
    store (``SERVER_FUNCTIONS_KEPT_STORE``) with a ticket in the session. Never raises.

    The session holds the record as the session's own serializer writes it (a
    string: serialised once, and read back with the same types, dates, bytes, tuples)."""
    try:
        tagged = _kept_record(form)
    except Exception:  # RecursionError, an unserialisable state, the store unavailable
        current_app.logger.warning("server functions: state not kept", exc_info=True)
        tagged = session_json_serializer.dumps(small_record(form, NOT_KEPT))
    session[SESSION_KEY] = tagged


def _kept_record(form: FormState) -> str:
    data = form.to_kept()
    data["until"] = int(time.time()) + KEPT_TTL
    if not values_fit(data["values"]):
        data["values"] = {}  # the form says what could not be kept
        data["errors"] = _with_message(data["errors"], TOO_LONG_TO_KEEP)
    # (no empty values, errors or carry: a smaller cookie, read with their defaults)
    data = {name: value for name, value in data.items() if value or name == "state"}
    tagged = session_json_serializer.dumps(data)
    # As the store keeps it ({"tagged": ...}); one character escaped takes at most 12
    # bytes, so a short record is known to fit without encoding it again.
    if len(tagged) * 12 + 16 > KEPT_RECORD_MAX:
        stored = {"tagged": tagged}
        if len(encode(stored).encode()) > KEPT_RECORD_MAX:
            return session_json_serializer.dumps(small_record(form, TOO_LARGE_TO_KEEP))
    # Only a cookie session has a size limit (server-side sessions are shared by
    # every worker, and keep the bounded record as it is).
    if len(tagged) > KEPT_COOKIE_LIMIT and isinstance(
        current_app.session_interface, SecureCookieSessionInterface
    ):
        ticket = secrets.token_urlsafe(16)
        app_state().kept_store.save(f"kept:{ticket}", {"tagged": tagged}, KEPT_TTL)
        return session_json_serializer.dumps(
            {"key": data["key"], "ticket": ticket, "until": data["until"]}
        )
    return tagged


def mark_cookies(response: Response) -> Response:
    """Set :data:`MARKER_COOKIE` on a no-JS redirect, unless the browser sent it: the
    session cookie's path, domain and flags, and no other lifetime than the browser's."""
    if MARKER_COOKIE not in request.cookies:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        cookies = app.session_interface
        response.set_cookie(
            MARKER_COOKIE,
            "1",
            domain=cookies.get_cookie_domain(app),
            path=cookies.get_cookie_path(app),
            secure=cookies.get_cookie_secure(app),
            httponly=True,
            samesite=cookies.get_cookie_samesite(app),
            partitioned=cookies.get_cookie_partitioned(app),
        )
    return response


def _with_message(errors: dict[str, list[str]], message: str) -> dict[str, list[str]]:
    return {**errors, "_form": [*errors.get("_form", []), gettext(message)]}


def small_record(form: FormState, message: str) -> dict[str, t.Any]:
    """A kept record of a few hundred bytes: the form's field errors if they are
    short, and ``message``; the form renders from its initial state."""
    try:
        errors = dict(form.errors) if len(json.dumps(form.errors)) <= 1024 else {}
    except (TypeError, ValueError, RecursionError):
        errors = {}
    errors = {k: [str(m) for m in v] for k, v in errors.items()}
    message = gettext(message)
    return {
        "key": form.ref.key,
        "values": {},
        "errors": _with_message(errors, message),
        "until": time.time() + KEPT_TTL,
    }


#: What the extension keeps in ``g`` for one request (kept state, the form's page,
#: the template context, endpoint URLs, whether the page is private).
_PER_REQUEST = (
    "_server_functions_kept",
    "_server_functions_kept_taken",
    "_server_functions_private",
    "server_functions_page",
    "_server_functions_path",
    "_server_functions_context",
    "_server_functions_urls",
    "_server_functions_refresh",
    "_server_functions_page_obj",
)


def take_kept() -> None:
    """Start each request with nothing of the extension's in ``g`` (a ``before_request``
    hook): one ``g`` outlives many requests when they run inside an app context
    pushed around them (``with app.app_context():`` in tests)."""
    names = vars(g._get_current_object())  # one lookup, not one per name
    if names:
        for name in _PER_REQUEST:
            names.pop(name, None)


_UNREAD = object()


def session_kept() -> dict[str, t.Any] | None:
    """What the session keeps (read once per request), unless it is past its TTL.

    Requests without a session cookie cannot have any: leave the session untouched
    (reading it would add ``Vary: Cookie`` to every response).
    """
    kept = g.get("_server_functions_kept", _UNREAD)
    if kept is not _UNREAD:
        return t.cast("dict[str, t.Any] | None", kept)
    kept = None
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        kept = raw = session.get(SESSION_KEY)
        if isinstance(raw, str):  # as keep() writes it (a dict: an earlier version)
            try:
                kept = session_json_serializer.loads(raw)
            except ValueError:
                kept = None
        if not isinstance(kept, dict) or kept.get("until", float("inf")) < time.time():
            if raw is not None:
                session.pop(SESSION_KEY, None)
            kept = None
    g._server_functions_kept = kept
    return t.cast("dict[str, t.Any] | None", kept)


def kept_for(ref: Reference) -> dict[str, t.Any] | None:
    """The state kept for ``ref``'s form, if any; the first page that renders the
    form takes it out of the session (and of the store)."""
    kept = session_kept()
    if kept is None or kept.get("key") != ref.key:
        return None
    if not g.get("_server_functions_kept_taken"):
        g._server_functions_kept_taken = True
        session.pop(SESSION_KEY, None)
        ticket = kept.get("ticket")
        if ticket is not None:
            kept = g._server_functions_kept = from_store(ticket)
            if kept is None:
                return None
    mark_private()
    return kept


def from_store(ticket: str) -> dict[str, t.Any] | None:
    store = app_state().kept_store
    try:
        # Not released: if this page never reaches the browser (a worker killed while
        # sending it), the same request again finds it; it expires with its TTL.
        stored = store.get(f"kept:{ticket}")  # None past its TTL (or evicted)
        if stored is None:
            return None
        return t.cast(dict[str, t.Any], session_json_serializer.loads(stored["tagged"]))
    except Exception:  # the store unavailable, or nothing there: the form starts afresh
        return None


def mark_private() -> None:
    """This page shows kept state or a one-time key: no shared cache may keep it."""
    g._server_functions_private = True


def private_cache(response: Response) -> Response:
    """``Cache-Control: private, no-store`` on a page :func:`mark_private` marked
    (an ``after_request`` hook)."""
    if g.get("_server_functions_private"):
        response.headers["Cache-Control"] = "private, no-store"
    return response
