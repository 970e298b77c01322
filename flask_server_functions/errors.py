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
    StoreUnavailable (ServiceUnavailable, 503)  the store is down (Redis) or full
"""

from __future__ import annotations

import typing as t

from werkzeug.exceptions import BadRequest, Forbidden, ServiceUnavailable


class ServerFunctionError(BadRequest):
    """Base class of the errors this extension raises for a bad request."""

    description = "The request could not be handled."


class InvalidReference(ServerFunctionError):
    """The token in the URL was not made by this app: changed, cut short or foreign."""

    description = "This form's address is not valid. Reload the page and try again."

    def __init__(self, description: str | None = None) -> None:
        super().__init__(description)


class ExpiredReference(InvalidReference):
    """The token's signature is valid but older than ``SERVER_FUNCTIONS_MAX_AGE``."""

    description = "This form has expired. Reload the page and try again."
    #: The (function id, sealed values) the expired token named.
    reference: tuple[str, dict[str, t.Any]] | None = None


class UnknownFunction(ServerFunctionError):
    """The token is valid but names a function this app does not have (any more)."""

    code = 404
    description = (
        "This form belongs to a function that no longer exists: the page is out of"
        " date. Reload the page and try again."
    )


class CrossOriginRequest(Forbidden):
    """A POST from another origin than the app's own (or a configured allowed one)."""

    description = "Cross-origin requests to server functions are not allowed."


class StoreUnavailable(ServiceUnavailable):
    """The store of one-time keys (or kept state) cannot be reached, or is full of
    keys that may still be needed: nothing ran, and a retry later is safe."""

    description = (
        "This form cannot be submitted right now (its store is unavailable)."
        " Nothing was done: wait a moment, then try again."
    )

    def __init__(self, description: str | None = None) -> None:
        super().__init__(description, retry_after=5)
