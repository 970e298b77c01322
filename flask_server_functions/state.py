"""Action state: what a form's partial renders from, and how it survives a redirect.

:class:`FormState` is the ``form`` object a partial template sees (React's
``[state, formAction]`` plus field errors and the submitted values). The no-JS
path keeps one :class:`FormState`'s data in the Flask session for exactly one
request (like ``flash``), so any worker can serve the page after the 303.
"""

from __future__ import annotations

import secrets
import typing as t

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface, session_json_serializer
from markupsafe import Markup, escape

from .functions import Reference

#: The session key of the state kept across a no-JS redirect.
SESSION_KEY = "_server_functions_kept"

# Hidden fields the form macro renders; never form input to a function.
NEXT_FIELD = "_sf_next"
STATE_FIELD = "_sf_state"
#: The reference option holding a form's own id (``server_form(id=...)``).
FORM_ID_OPTION = "form_id"
#: Flask-WTF's CSRF field, rendered when the app uses ``CSRFProtect``.
CSRF_FIELD = "csrf_token"
#: The one-time submission key of idempotent functions.
ONCE_FIELD = "_sf_once"
HIDDEN_FIELDS = frozenset({NEXT_FIELD, STATE_FIELD, CSRF_FIELD, ONCE_FIELD})


class FormState:
    """Everything a form partial renders from.

    :param ref: the reference the form posts to.
    :param state: the current action state (initial, or what the function returned).
    :param values: the submitted values, kept after an error so nothing typed is lost;
        empty after a success, so the form resets (as React does).
    :param errors: field name to messages; ``"_form"`` holds form-wide messages.
    """

    def __init__(
        self,
        ref: Reference,
        state: t.Any = None,
        *,
        values: t.Mapping[str, list[str]] | None = None,
        errors: t.Mapping[str, list[str]] | None = None,
        form_id: str | None = None,
    ) -> None:
        self.ref = ref
        self.state = state
        is_sensitive = ref.function.is_sensitive
        #: The submitted values, less sensitive fields (never echoed, kept or stored).
        self.values: dict[str, list[str]] = {
            k: v for k, v in (values or {}).items() if not is_sensitive(k)
        }
        self.errors: dict[str, list[str]] = dict(errors or {})
        self.id = form_id or ref.options.get(FORM_ID_OPTION) or f"sf-{ref.key}"
        #: Whether the form carries its state (signed) even though the function does
        #: not take it: it started from its own ``initial_state=``, so an error must
        #: re-render from that, not from the function's.
        self.carry_state = False

    @property
    def bound(self) -> dict[str, t.Any]:
        """The values bound to the reference (verified, server-side)."""
        return self.ref.bound

    @property
    def ok(self) -> bool:
        """No errors: the last submission (if any) succeeded."""
        return not self.errors

    @property
    def form_errors(self) -> list[str]:
        """Messages that belong to the whole form, not to one field."""
        return self.errors.get("_form", [])

    def value(self, name: str, default: t.Any = "") -> t.Any:
        """The submitted value of ``name`` (after an error), else ``default``."""
        got = self.values.get(name)
        if got:
            return got[0]
        return default if default is not None else ""

    def values_of(self, name: str) -> list[str]:
        """Every submitted value of ``name`` (multi-selects, checkboxes)."""
        return list(self.values.get(name, []))

    def field_id(self, name: str) -> str:
        return f"{self.id}-{name}"

    def error_id(self, name: str) -> str:
        return f"{self.id}-{name}-error"

    def attrs(self, name: str, *, value: t.Any = "", with_value: bool = True) -> Markup:
        """The attributes of the input for field ``name``, as one ``Markup`` string.

        ``name``, ``id`` and (unless ``with_value=False``, for a textarea or a
        password) ``value``; after an error also ``aria-invalid``,
        ``aria-describedby`` pointing at :meth:`errors_for`'s element, and
        ``autofocus`` on the first invalid field.
        """
        quoted = escape(name)
        form_id = escape(self.id)
        html = f'name="{quoted}" id="{form_id}-{quoted}"'
        if with_value and not self.ref.function.is_sensitive(name):
            html += f' value="{escape(self.value(name, value))}"'
        if self.errors and name in self.errors:
            html += f' aria-invalid="true" aria-describedby="{form_id}-{quoted}-error"'
            if self.first_invalid == name:
                html += " autofocus"
        return Markup(html)

    @property
    def first_invalid(self) -> str | None:
        return next((name for name in self.errors if name != "_form"), None)

    def errors_for(self, name: str) -> Markup:
        """The error messages of field ``name``, in an element the input points at."""
        messages = self.errors.get(name)
        if not messages:
            return Markup("")
        text = " ".join(str(escape(m)) for m in messages)
        return Markup(f'<span class="sf-error" id="{escape(self.error_id(name))}">{text}</span>')

    def to_kept(self) -> dict[str, t.Any]:
        """The JSON-able data kept in the session across a no-JS redirect."""
        return {
            "key": self.ref.key,
            "state": self.state,
            "values": self.values,
            "errors": self.errors,
            "carry": self.carry_state,
        }


#: Kept data larger than this (serialised, in bytes) goes to the server-side store,
#: with only a ticket in the session: browsers drop cookies over about 4 KB, and the
#: typed input with them.
KEPT_COOKIE_LIMIT = 2048
#: Seconds a ticket's data stays in the store.
KEPT_TTL = 600
#: The most typed input kept for one submission (characters); past it the values are
#: dropped (with :data:`TOO_LONG_TO_KEEP` without JS), so no client can fill a store.
KEPT_MAX = 16 * 1024
TOO_LONG_TO_KEEP = "What you typed was too long to keep for this page; please enter it again."


def values_fit(values: t.Mapping[str, list[t.Any]]) -> bool:
    """Whether typed ``values`` are small enough to keep for later (:data:`KEPT_MAX`).

    Anyone can post a large body: past this, stores keep the errors but not the values.
    """
    return sum(len(str(v)) for items in values.values() for v in items) <= KEPT_MAX


def _kept_store() -> t.Any:
    return current_app.extensions["server_functions"].kept_store


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
                "_form": [*data["errors"].get("_form", []), TOO_LONG_TO_KEEP],
            }
        tagged = session_json_serializer.dumps(data)
        if len(tagged) > KEPT_COOKIE_LIMIT:
            ticket = secrets.token_urlsafe(16)
            _kept_store().save(f"kept:{ticket}", {"tagged": tagged}, KEPT_TTL)
            data = {"key": data["key"], "ticket": ticket}
    session[SESSION_KEY] = data


#: What the extension keeps in ``g`` for one request (kept state, the form's page,
#: the template context, endpoint URLs).
_PER_REQUEST = (
    "_server_functions_kept",
    "server_functions_page",
    "_server_functions_context",
    "_server_functions_urls",
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
            store = _kept_store()
            stored = store.get(f"kept:{ticket}")  # None if another process's memory has it
            store.release(f"kept:{ticket}")
            kept = session_json_serializer.loads(stored["tagged"]) if stored else None
        g._server_functions_kept = kept


def kept_for(ref: Reference) -> dict[str, t.Any] | None:
    """The state kept for ``ref``'s form by the previous request, if any."""
    kept = g.get("_server_functions_kept")
    if kept is not None and kept.get("key") == ref.key:
        return t.cast(dict[str, t.Any], kept)
    return None
