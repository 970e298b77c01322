"""Idempotent submissions: a replayed submission runs the function once.

Opt in per function with ``@sf.function(idempotent=True)``. Each rendered form then
carries a one-time submission key (a hidden ``_sf_once`` field, signed for that form;
calls from code can send an ``Idempotency-Key`` header instead). The first request
with a key claims it, runs the function and stores the outcome; a replay of the same
key (a retried POST after a network error, a double submit that got through, the
browser's "resend form") waits for that outcome and answers with it, without running
the function again.

As with Stripe's idempotency keys, a key answers only the input it was first sent
with: the claim keeps a fingerprint of that input (:mod:`.fingerprint`: a keyed
digest of the fields, JSON values and uploaded files, less the key itself and other
bookkeeping fields), and a request with the same key and other input is refused with
a ``409`` (:class:`~.errors.MismatchedReplay`) while the first call runs and after it.

The store is pluggable (``SERVER_FUNCTIONS_IDEMPOTENCY_STORE``): by default an
:class:`SQLiteStore` in the instance folder (every worker of one host), or a
:class:`RedisStore` (every host); :class:`MemoryStore` for tests. They live in
:mod:`.stores` and :mod:`.sqlite_store` and are importable from here. A stored
outcome is bounded (:data:`OUTCOME_MAX`): past it, it is stored without its state,
and a replay answers :data:`ALREADY_DONE`.
"""

from __future__ import annotations

import hashlib
import secrets
import typing as t

from flask import current_app, redirect, request, session
from werkzeug.datastructures import MultiDict

from .config import AppState
from .errors import MismatchedReplay, StoreUnavailable
from .fingerprint import differs
from .functions import Reference, ServerFunction
from .i18n import gettext
from .inputs import MalformedInput
from .kept import values_fit
from .sqlite_store import SQLiteStore as SQLiteStore
from .state import FormState, Outcome
from .stores import MemoryStore as MemoryStore
from .stores import RedisStore as RedisStore
from .stores import Store as Store
from .stores import encode, wait_for
from .wire import IDEMPOTENCY_HEADER as IDEMPOTENCY_HEADER
from .wire import MAX_ONCE_KEY
from .wire import ONCE_FIELD as ONCE_FIELD

#: The largest stored outcome (encoded, in bytes); past it the state and the typed
#: values are left out.
OUTCOME_MAX = 8 * 1024
ALREADY_DONE = "This form was already submitted; its result is too large to show again."


#: The session key of a random id that scopes a client's one-time form keys: unlike
#: the session cookie's value, it stays the same when the session changes.
CLIENT_KEY = "_server_functions_client"


def remember_client() -> None:
    """Give the session a client id for the one-time keys of its forms, on a page (a
    GET): made in an answer to a POST, it would change the scope of that POST's retry."""
    if request.method == "GET" and CLIENT_KEY not in session:
        session[CLIENT_KEY] = secrets.token_urlsafe(12)


def _digest(*parts: str) -> str:
    if not any(parts):
        return ""
    joined = "\x00".join(f"{len(p)}:{p}" for p in parts)
    return hashlib.sha256(joined.encode()).hexdigest()[:16] + ":"


def form_scope() -> str:
    """Whose form key it is: the session's client id and ``Authorization``."""
    has_session = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
    client = session.get(CLIENT_KEY, "") if has_session else ""
    return _digest(str(client), request.headers.get("Authorization", ""))


def header_scope() -> str:
    """Whose ``Idempotency-Key`` it is: the session cookie's value and ``Authorization``
    (not the whole ``Cookie`` header: an analytics cookie may change between retries).
    Empty for a client with neither."""
    cookie = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"], "")
    return _digest(cookie, request.headers.get("Authorization", ""))


def once_key(
    state: AppState,
    function: ServerFunction[t.Any],
    ref: Reference,
    form_data: MultiDict[str, t.Any],
) -> str | None:
    """The submission key of an idempotent call, if any, scoped to the caller.

    A form's hidden key is random, signed for that form and only on that user's page.
    A key from the ``Idempotency-Key`` header is chosen by the client: without
    credentials it is not honoured, since one client could not be told from another.
    """
    if not function.idempotent:
        return None
    once = form_data.get(ONCE_FIELD)
    from_form = once is not None
    if not from_form:
        once = request.headers.get(IDEMPOTENCY_HEADER)
        if not once or not header_scope():
            return None
    if not isinstance(once, str) or not once or len(once) > MAX_ONCE_KEY:
        # Running the call anyway would silently drop the protection asked for.
        raise MalformedInput(
            gettext(
                "The one-time submission key is malformed (1 to %(max)s characters).",
                max=MAX_ONCE_KEY,
            )
        )
    if from_form and not state.codec.verify_once(once, ref.key):
        raise MalformedInput(
            "The one-time submission key is not this form's. Reload the page and try again."
        )
    scope = form_scope() if from_form else header_scope()
    digest = hashlib.sha256(once.encode()).hexdigest()[:32]
    return f"{ref.key}:{scope}{digest}"


def stored_outcome(done: Outcome, fingerprint: str = "") -> dict[str, t.Any]:
    """What the store keeps of ``done``, within :data:`OUTCOME_MAX`: a replay shows
    the errors; the typed values only if small (anyone can post a large body, and
    the store keeps it for a day); the state only if it fits; the fingerprint of the
    input it answers."""
    outcome = {
        "fingerprint": fingerprint,
        "state": done.form.state,
        "values": done.form.values if values_fit(done.form.values) else {},
        "errors": done.form.errors,
        "status": done.status,
        "location": done.response.location if done.response is not None else None,
    }
    try:
        if len(encode(outcome).encode()) <= OUTCOME_MAX:
            return outcome
    except (TypeError, ValueError, RecursionError):  # a state the store cannot encode
        pass
    errors = {"_form": [ALREADY_DONE]}
    return {**outcome, "state": None, "values": {}, "errors": errors, "stateless": True}


def run_once(
    state: AppState,
    key: str,
    ref: Reference,
    run: t.Callable[[], Outcome],
    *,
    fingerprints: t.Sequence[str] = (),
) -> Outcome | None:
    """Run an idempotent call once per key; a replay of the same input gets the first
    outcome (or None if it is still running after ``SERVER_FUNCTIONS_IDEMPOTENCY_WAIT``).

    :param fingerprints: the input's :func:`.fingerprint.input_fingerprints`; the
        first is claimed with the key.
    :raises StoreUnavailable: the store is down or full (503): nothing ran.
    :raises MismatchedReplay: the key was claimed for other input (409): nothing ran.
    """
    store = state.idempotency_store
    ttl = int(state.config["SERVER_FUNCTIONS_IDEMPOTENCY_TTL"])
    fingerprint = fingerprints[0] if fingerprints else ""
    if not store.claim(key, ttl, fingerprint):
        return replay(state, key, ref, fingerprints)
    try:
        done = run()
    except BaseException:
        try:
            store.release(key)
        except StoreUnavailable:  # the claim stays until its TTL: a retry is refused
            pass
        raise
    save_outcome(state, key, done, fingerprint)
    return done


def replay(
    state: AppState, key: str, ref: Reference, fingerprints: t.Sequence[str]
) -> Outcome | None:
    """The outcome of the call that claimed ``key``, for a request with the same input
    (None if it still runs after ``SERVER_FUNCTIONS_IDEMPOTENCY_WAIT``).

    :raises MismatchedReplay: the key was claimed for other input: at once, without
        waiting for that call.
    """
    store = state.idempotency_store
    if differs(store.fingerprint(key), fingerprints):
        raise MismatchedReplay()
    outcome = wait_for(store, key, float(state.config["SERVER_FUNCTIONS_IDEMPOTENCY_WAIT"]))
    if outcome is None:
        return None
    if differs(outcome.get("fingerprint"), fingerprints):  # released and claimed again
        raise MismatchedReplay()
    stored_state = ref.initial_state() if outcome.get("stateless") else outcome["state"]
    form = FormState(ref, stored_state, values=outcome["values"], errors=outcome["errors"])
    location = outcome["location"]
    location_response = redirect(location) if location else None
    return Outcome(form, outcome["status"], location_response, ran=False)


def save_outcome(state: AppState, key: str, done: Outcome, fingerprint: str = "") -> None:
    """Store the outcome of the call that claimed ``key`` (for input ``fingerprint``),
    for its replays (capped: past :data:`OUTCOME_MAX` without its state)."""
    ttl = int(state.config["SERVER_FUNCTIONS_IDEMPOTENCY_TTL"])
    try:
        state.idempotency_store.save(key, stored_outcome(done, fingerprint), ttl)
    except (StoreUnavailable, ValueError):
        # The call ran: answer it. The claim stays, so a replay is refused (409),
        # never run twice.
        current_app.logger.warning("server functions: outcome of %s not stored", key)
