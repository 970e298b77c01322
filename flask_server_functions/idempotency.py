"""Idempotent submissions: a replayed submission runs the function once.

Opt in per function with ``@sf.function(idempotent=True)``. Each rendered form then
carries a one-time submission key (a hidden ``_sf_once`` field; calls from code can
send an ``Idempotency-Key`` header instead). The first request with a key claims
it, runs the function and stores the outcome; a replay of the same key (a retried
POST after a network error, a double submit that got through, the browser's
"resend form") waits for that outcome and answers with it, without running the
function again.

The store is pluggable (``SERVER_FUNCTIONS_IDEMPOTENCY_STORE``): :class:`MemoryStore`
(the default: one process, for development and tests) or :class:`RedisStore` (shared
by every worker and host); they live in :mod:`.stores` and are importable from here.
"""

from __future__ import annotations

import hashlib
import typing as t

from flask import redirect, request
from werkzeug.datastructures import MultiDict

from .config import AppState
from .functions import Reference, ServerFunction
from .i18n import gettext
from .inputs import MalformedInput
from .kept import values_fit
from .state import FormState, Outcome
from .stores import MemoryStore as MemoryStore
from .stores import RedisStore as RedisStore
from .stores import Store as Store
from .stores import wait_for
from .wire import IDEMPOTENCY_HEADER as IDEMPOTENCY_HEADER
from .wire import MAX_ONCE_KEY
from .wire import ONCE_FIELD as ONCE_FIELD


def once_key(
    function: ServerFunction[t.Any], ref: Reference, form_data: MultiDict[str, t.Any]
) -> str | None:
    """The submission key of an idempotent call, if any.

    A form's hidden key is random and only on that user's page. A key from the
    ``Idempotency-Key`` header is chosen by the client, so it is scoped to the
    client's credentials (its cookies and ``Authorization``); without any, it is
    not honoured, since one client could not be told from another.
    """
    if not function.idempotent:
        return None
    once = form_data.get(ONCE_FIELD)
    scope = ""
    if once is None:
        once = request.headers.get(IDEMPOTENCY_HEADER)
        credentials = request.headers.get("Cookie", "") + request.headers.get("Authorization", "")
        if not once or not credentials:
            return None
        scope = hashlib.sha256(credentials.encode()).hexdigest()[:16] + ":"
    if not isinstance(once, str) or not once or len(once) > MAX_ONCE_KEY:
        # Running the call anyway would silently drop the protection asked for.
        raise MalformedInput(
            gettext(
                "The one-time submission key is malformed (1 to %(max)s characters).",
                max=MAX_ONCE_KEY,
            )
        )
    return f"{ref.key}:{scope}{once}"


def run_once(
    state: AppState, key: str, ref: Reference, run: t.Callable[[], Outcome]
) -> Outcome | None:
    """Run an idempotent call once per key; a replay gets the first outcome (or
    None if it is still running after ``SERVER_FUNCTIONS_IDEMPOTENCY_WAIT``)."""
    store = state.idempotency_store
    ttl = int(state.config["SERVER_FUNCTIONS_IDEMPOTENCY_TTL"])
    if not store.claim(key, ttl):
        outcome = wait_for(store, key, float(state.config["SERVER_FUNCTIONS_IDEMPOTENCY_WAIT"]))
        if outcome is None:
            return None
        form = FormState(ref, outcome["state"], values=outcome["values"], errors=outcome["errors"])
        location = outcome["location"]
        location_response = redirect(location) if location else None
        return Outcome(form, outcome["status"], location_response, ran=False)  # a replay
    try:
        done = run()
    except BaseException:
        store.release(key)
        raise
    save_outcome(state, key, done)
    return done


def save_outcome(state: AppState, key: str, done: Outcome) -> None:
    """Store the outcome of the call that claimed ``key``, for its replays."""
    state.idempotency_store.save(
        key,
        {
            "state": done.form.state,
            # a replay shows the errors; the typed values only if small (anyone can
            # post a large body, and the store keeps it for a day)
            "values": done.form.values if values_fit(done.form.values) else {},
            "errors": done.form.errors,
            "status": done.status,
            "location": done.response.location if done.response is not None else None,
        },
        int(state.config["SERVER_FUNCTIONS_IDEMPOTENCY_TTL"]),
    )
