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

from .answers import answer, refusal
from .config import AppState, app_state
from .errors import ExpiredReference, UnknownFunction
from .functions import Reference
from .guards import check_guards
from .idempotency import once_key, run_once
from .inputs import previous_state, read_input
from .invoke import run
from .negotiation import request_path
from .origin import check_origin
from .permalink import safe_next_url
from .signals import function_called
from .state import Outcome
from .wire import NEXT_FIELD, STATE_FIELD


def call(token: str) -> ResponseReturnValue:
    """The view behind ``POST {SERVER_FUNCTIONS_URL_PREFIX}/<token>``."""
    state = app_state()
    path = request_path()
    ref: Reference | None = None
    form_data: MultiDict[str, t.Any] | None = None
    try:
        check_origin(state.config)
        ref = verify(state, token)
        check_guards(state, ref.function, path)
        form_data = read_input(state.config, max_body=ref.function.max_body)
        page = safe_next_url(form_data.get(NEXT_FIELD))
        g.server_functions_page = page
        outcome = execute(state, ref, form_data)
    except HTTPException as e:
        if ref is None and isinstance(e, ExpiredReference):
            ref = named_reference(state, e.reference)
        return refusal(path, state, e, ref, form_data)
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
    :raises UnknownFunction: a valid token naming no function served here (404).
    """
    ref = served_here(state, *state.codec.loads(token))
    if ref is None:
        raise UnknownFunction()
    return ref


def served_here(state: AppState, function_id: str, sealed: dict[str, t.Any]) -> Reference | None:
    """The reference to ``function_id`` with ``sealed``, if this URL serves that function
    (a group's function only at its blueprint's URL, where its hooks run)."""
    function = state.registry.by_id.get(function_id)
    if function is None or request.endpoint != function.endpoint:
        return None
    return Reference.from_sealed(function, sealed)


def named_reference(
    state: AppState, named: tuple[str, dict[str, t.Any]] | None
) -> Reference | None:
    """The reference an expired token named, to explain the expiry in its form: the
    same check as :func:`verify`, so a token posted to another URL is not rendered."""
    return served_here(state, *named) if named else None


def execute(state: AppState, ref: Reference, form_data: MultiDict[str, t.Any]) -> Outcome:
    """Validate and call, once per submission key for idempotent functions.

    :raises Conflict: a replay whose first submission is still running (409).
    """
    previous = previous_state(state.codec, ref, form_data)
    key = once_key(state, ref.function, ref, form_data)
    if key is None:
        return run(ref, form_data, previous)
    outcome = run_once(state, key, ref, lambda: run(ref, form_data, previous))
    if outcome is None:
        raise Conflict("This form is already being submitted. Wait a moment, then reload the page.")
    return outcome
