"""The endpoint every server-function form posts to, as a pipeline of named steps.

::

    verify -> guard -> read -> validate + call (once, if idempotent) -> answer

Each step is a function in its own module (:func:`verify` here,
:func:`.guards.check_guards`, :func:`.inputs.read_input`, :func:`.invoke.run`,
:func:`.idempotency.run_once`); every refusal on the way is an ``HTTPException``
that :func:`.answers.refusal` answers, and every other answer is picked by
:func:`.answers.answer` for the request's path (htmx, JSON or no JS).
"""

from __future__ import annotations

import typing as t

from flask import current_app, g, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import Conflict, HTTPException

from .answers import answer, confirmation, refusal
from .config import AppState, app_state
from .errors import WRONG_ADDRESS, ExpiredReference, UnknownFunction
from .functions import Reference
from .guards import check_guards
from .idempotency import once_key, run_once
from .inputs import previous_state, read_input
from .invoke import run
from .negotiation import Path, request_path
from .origin import check_origin
from .permalink import safe_next_url
from .signals import function_called
from .state import FormState, Outcome
from .wire import CONFIRM_OPTION, CONFIRMED_FIELD, NEXT_FIELD, STATE_FIELD


def call(token: str) -> ResponseReturnValue:
    """The view behind ``POST {SERVER_FUNCTIONS_URL_PREFIX}/<token>``."""
    state = app_state()
    path = request_path()
    ref: Reference | None = None
    form_data: MultiDict[str, t.Any] | None = None
    allowed = False  # a valid token, and the guards said yes
    try:
        check_origin(state.config)
        ref = verify(state, token)
        check_guards(state, ref.function, path)
        allowed = True
        form_data = read_input(state.config, max_body=ref.function.max_body)
        page = safe_next_url(form_data.get(NEXT_FIELD))
        g.server_functions_page = page
        if needs_confirmation(path, ref, form_data):
            return confirmation(FormState(ref, previous_state(state.codec, ref, form_data)), page)
        outcome = execute(state, ref, form_data)
    except HTTPException as e:
        if ref is None and isinstance(e, ExpiredReference):
            ref = named_reference(state, e.reference)
        return refusal(path, state, e, ref, form_data, allowed=allowed)
    outcome.form.carry_state = STATE_FIELD in form_data
    function_called.send(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        function=ref.function,
        ref=ref,
        state=outcome.form.state,
        errors=outcome.form.errors,
        status=outcome.status,
    )
    return answer(path, outcome, page)


def verify(state: AppState, token: str) -> Reference:
    """The reference ``token`` names, if this app signed it and serves it at this URL.

    :raises InvalidReference: a tampered, truncated or foreign token (400).
    :raises ExpiredReference: a valid token older than ``SERVER_FUNCTIONS_MAX_AGE`` (400).
    :raises UnknownFunction: a valid token naming no function, or one served at
        another URL (404, with a message for each).
    """
    function_id, sealed = state.codec.loads(token)
    function = state.registry.by_id.get(function_id)
    if function is None:
        raise UnknownFunction()
    if request.endpoint != function.endpoint:  # a routing mismatch, not an old page
        raise UnknownFunction(WRONG_ADDRESS)
    return Reference.from_sealed(function, sealed)


def needs_confirmation(path: Path, ref: Reference, form_data: MultiDict[str, t.Any]) -> bool:
    """A no-JS press of a ``server_button(confirm=...)`` that was not confirmed yet
    (with JavaScript, htmx asks first: ``hx-confirm``)."""
    return (
        path is Path.NOJS
        and bool(ref.options.get(CONFIRM_OPTION))
        and form_data.get(CONFIRMED_FIELD) != "1"
    )


def named_reference(
    state: AppState, named: tuple[str, dict[str, t.Any]] | None
) -> Reference | None:
    """The reference an expired token named, to explain the expiry in its form."""
    function = state.registry.by_id.get(named[0]) if named else None
    return Reference.from_sealed(function, named[1]) if function and named else None


def execute(state: AppState, ref: Reference, form_data: MultiDict[str, t.Any]) -> Outcome:
    """Validate and call, once per submission key for idempotent functions.

    :raises Conflict: a replay whose first submission is still running (409).
    """
    previous = previous_state(state.codec, ref, form_data)
    key = once_key(ref.function, ref, form_data)
    if key is None:
        return run(ref, form_data, previous)
    outcome = run_once(state, key, ref, lambda: run(ref, form_data, previous))
    if outcome is None:
        raise Conflict("This form is already being submitted. Wait a moment, then reload the page.")
    return outcome
