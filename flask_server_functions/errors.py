"""Request errors, as Werkzeug HTTP exceptions an app can customise.

Every refusal is a 4xx with a ``description`` a user can act on. Apps can render
them their own way with ``@app.errorhandler(InvalidReference)`` and so on, as with
Flask-WTF's ``CSRFError``.

::

    ServerFunctionError (BadRequest, 400)
     ├── InvalidReference      tampered, truncated, foreign or malformed token
     │    └── ExpiredReference  valid signature, too old (or from the future)
     └── UnknownFunction (404)  valid token naming no registered function
    CrossOriginRequest (Forbidden, 403)
    LoginRequired (Unauthorized, 401)  a guard refused, and SERVER_FUNCTIONS_LOGIN_VIEW is set
    Refuse (any 4xx)            raised by a server function (or refuse()): a refusal with a message
    MismatchedReplay (Conflict, 409)  a one-time key sent again with other input
    StoreUnavailable (ServiceUnavailable, 503)  the store is down (Redis) or full
"""

from __future__ import annotations

import typing as t

from werkzeug.exceptions import (
    BadRequest,
    Conflict,
    Forbidden,
    HTTPException,
    ServiceUnavailable,
    Unauthorized,
)

from .i18n import N_, gettext, lazy


class ServerFunctionError(BadRequest):
    """Base class of the errors this extension raises for a bad request."""

    description = lazy("The request could not be handled.")


class InvalidReference(ServerFunctionError):
    """The token in the URL was not made by this app: changed, cut short or foreign."""

    description = lazy("This form's address is not valid. Reload the page and try again.")

    def __init__(self, description: str | None = None) -> None:
        super().__init__(description)


class ExpiredReference(InvalidReference):
    """The token's signature is valid but older than ``SERVER_FUNCTIONS_MAX_AGE``."""

    description = lazy("This form has expired. Reload the page and try again.")
    #: The (function id, sealed values) the expired token named.
    reference: tuple[str, dict[str, t.Any]] | None = None


class UnknownFunction(ServerFunctionError):
    """The token is valid but names a function this app does not have (any more)."""

    code = 404
    description = lazy(
        "This form belongs to a function that no longer exists: the page is out of"
        " date. Reload the page and try again."
    )

    def __init__(self, description: str | None = None) -> None:
        super().__init__(description)


#: A valid token of a function that exists, posted to another URL than the one that
#: serves it (a routing mismatch, not an old page).
WRONG_ADDRESS = lazy(
    "This form was sent to an address that does not serve it. If it keeps happening,"
    " tell the site's owner."
)


class CrossOriginRequest(Forbidden):
    """A POST from another origin than the app's own (or a configured allowed one)."""

    description = lazy(
        "This form was sent from another site, or your browser did not say where it was"
        " sent from. Open this site's page directly and try again."
    )


class LoginRequired(Unauthorized):
    """A guard refused the call and ``SERVER_FUNCTIONS_LOGIN_VIEW`` is set: sign in first.

    Without JavaScript the answer is a redirect to :attr:`login_url`, with htmx an
    ``HX-Redirect`` to it, and in JSON a 401 with ``{"error": ..., "login": login_url}``.
    """

    description = lazy("Please sign in to do this.")

    def __init__(self, login_url: str) -> None:
        super().__init__()
        self.login_url = login_url


class Refuse(HTTPException):
    """Refuse a call from inside a server function, with a message the user sees
    (SvelteKit's ``fail(403, {...})``)::

        @sf.function(template="task.html")
        def rename_task(task_id: int, title: str):
            task = db.get_task(task_id)
            if task is None:
                raise Refuse("This task no longer exists.", 404)
            if task.owner != current_user.id:
                raise Refuse("Only the task's owner can rename it.", 403)
            ...

    htmx: the form re-rendered with the message and what was typed, with ``status``;
    JSON: ``{"error": message}`` with ``status``; without JavaScript: ``303`` back to
    the page, the message in the form and the input kept. ``abort(4xx)`` inside a
    server function is answered the same way.
    """

    def __init__(self, message: str, status: int = 400) -> None:
        if not 400 <= status < 500:
            raise ValueError(f"Refuse takes a 4xx status, not {status}")
        super().__init__(message)
        self.code = status


def refuse(message: str, status: int = 400) -> t.NoReturn:
    """Raise :class:`Refuse`: ``refuse("Only the owner can do this.", 403)``."""
    raise Refuse(message, status)


#: Short, plain messages for ``abort(code)`` without a description of its own, in
#: place of Werkzeug's stock texts (written for developers).
PLAIN_MESSAGES = {
    400: N_("This could not be done. Check what you entered and try again."),
    401: N_("Please sign in to do this."),
    403: N_("You are not allowed to do this."),
    404: N_("This was not found: it may have been deleted."),
    405: N_("This could not be done."),
    409: N_("This changed in the meantime. Reload the page and try again."),
    410: N_("This no longer exists."),
    413: N_("What you sent is too large."),
    422: N_("This could not be done. Check what you entered and try again."),
    429: N_("Too many attempts. Wait a moment, then try again."),
}


def plain_message(error: HTTPException) -> str:
    """The message a user sees for ``error``: its own description, or a plain one in
    place of Werkzeug's stock text."""
    stock = type(error).__module__ == "werkzeug.exceptions" and (
        error.description == type(error).description
    )
    if error.description and not stock:
        return str(error.description)
    code = error.code or 400
    return gettext(PLAIN_MESSAGES.get(code, N_("This could not be done.")))


def size_text(size: int) -> str:
    """A size as people (and developers, in ``max_size=200_000``) write it, in decimal
    SI units: ``"512 bytes"``, ``"200 KB"`` (200,000 bytes), ``"2 MB"``, ``"1.5 MB"``.

    Rounded down to a tenth, so a limit is never said to be larger than it is.
    """
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            tenths = size * 10 // scale
            return f"{tenths // 10}.{tenths % 10}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


class StoreUnavailable(ServiceUnavailable):
    """The store of one-time keys (or kept state) cannot be reached, or is full of
    keys that may still be needed: nothing ran, and a retry later is safe."""

    description = lazy(
        "This form cannot be submitted right now (its store is unavailable)."
        " Nothing was done: wait a moment, then try again."
    )

    def __init__(self, description: str | None = None) -> None:
        super().__init__(description, retry_after=5)


class MismatchedReplay(Conflict):
    """A one-time submission key (``_sf_once`` or ``Idempotency-Key``) sent again with
    other input than the call it was first sent with (running, or done): nothing ran,
    and the first call's outcome is not shown for input it was not given."""

    description = lazy(
        "This form was already submitted with different input, so this was not done."
        " Check the page, then submit the form again if you still want to."
    )
