"""The endpoint every server-function form posts to, as a pipeline of named steps.

::

    verify -> guard -> rate limit -> read -> validate + call (once, if idempotent) -> answer
                                         `-> validate only (Precognition) -> answer

Each step is a function in its own module (:func:`verify` here,
:func:`.guards.check_guards`, :func:`.ratelimit.check_rate_limit`,
:func:`.inputs.read_input`, :func:`.invoke.run`, :func:`.idempotency.run_once`);
every refusal on the way is an ``HTTPException`` that :func:`.answers.refusal`
answers, and every other answer is picked by :func:`.answers.answer` for the
request's path (htmx, JSON or no JS). The whole call is one tracing span
(:mod:`.tracing`), and ends with the ``function_called`` signal.
"""

from __future__ import annotations

import typing as t

from flask import Request, current_app, g, make_response, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import Conflict, HTTPException

from . import precognition
from .answers import answer, confirmation, refusal
from .config import AppState, app_state
from .errors import WRONG_ADDRESS, ExpiredReference, UnknownFunction
from .fingerprint import input_fingerprints
from .functions import Reference
from .guards import check_guards
from .htmx import HX_CURRENT_URL, environ_key
from .i18n import gettext
from .idempotency import once_key, run_once
from .inputs import previous_state, read_input
from .invoke import run
from .negotiation import Path, request_path
from .origin import check_origin
from .permalink import form_page, local_page
from .ratelimit import (
    CALL_NAMESPACE,
    VALIDATE_NAMESPACE,
    RateLimited,
    check_rate_limit,
    with_retry_after,
)
from .signals import function_called
from .state import FormState, Outcome
from .streaming import is_stream, stream, stream_once
from .tracing import CallFacts, call_span
from .wire import CONFIRM_OPTION, CONFIRMED_FIELD, STATE_FIELD

_HX_CURRENT_URL = environ_key(HX_CURRENT_URL)


def call(token: str) -> ResponseReturnValue:
    """The view behind ``POST {SERVER_FUNCTIONS_URL_PREFIX}/<token>``."""
    req: Request = request._get_current_object()  # type: ignore[attr-defined]  # one lookup
    facts = CallFacts(request_path(req.environ))
    if precognition.requested(req.environ):
        facts.validate_only = True
        precognition.mark_answer()
    span = call_span(facts)
    if span is None:  # not traced: Flask makes the response
        return _call(app_state(), req, token, facts)
    with span:
        response = make_response(_call(app_state(), req, token, facts))
        facts.status = response.status_code
        return response


def _call(state: AppState, req: Request, token: str, facts: CallFacts) -> ResponseReturnValue:
    path = facts.path
    config = state.config
    ref: Reference | None = None
    form_data: MultiDict[str, t.Any] | None = None
    allowed = False  # a valid token, and the guards said yes
    try:
        check_origin(config, req)
        ref = verify(state, token)
        function = facts.function = ref.function
        if function.guards or state.extension.before_call_guards:  # (most have none)
            check_guards(state, function, path)
        allowed = True
        namespace = VALIDATE_NAMESPACE if facts.validate_only else CALL_NAMESPACE
        check_rate_limit(function, config, namespace=namespace)
        form_data = read_input(config, max_body=function.max_body)
        if facts.validate_only:  # the schema only: the function never runs
            errors = precognition.validate(ref, form_data)
            facts.ran(422 if errors else 200, False, None)
            return precognition.answer(path, ref, errors)
        # What the call renders sees the page the form is on now: htmx says which
        # (a search may have changed the URL since the form was rendered); a no-JS
        # call lands on the page its form names.
        current = path is Path.HTMX and local_page(req.environ.get(_HX_CURRENT_URL), req.host)
        page = g.server_functions_page = current or form_page(form_data)
        if needs_confirmation(path, ref, form_data):
            return confirmation(FormState(ref, previous_state(state.codec, ref, form_data)()), page)
        outcome = execute(state, ref, form_data, facts)
    except HTTPException as e:
        if ref is None and isinstance(e, ExpiredReference):
            ref = named_reference(state, e.reference)
        facts.refused(e.code or 500, isinstance(e, RateLimited))
        if ref is not None:
            message = str(e.description)
            if function_called.receivers:  # (nobody listens: nothing to build)
                _called(ref, facts, state=None, errors={"_form": [message]}, ran=False)
        answered = refusal(path, state, e, ref, form_data, allowed=allowed)
        return with_retry_after(answered, e)
    outcome.form.carry_state = STATE_FIELD in form_data
    if is_stream(outcome):  # a generator function: its states stream (streaming.py)
        facts.ran(outcome.status, False, None)  # the stream's own end sends the signal
        return stream(path, outcome, page, form_data)
    facts.ran(outcome.status, outcome.response is not None, outcome.error_id)
    if function_called.receivers:
        _called(ref, facts, state=outcome.form.state, errors=outcome.form.errors, ran=outcome.ran)
    return answer(path, outcome, page)


def _called(ref: Reference, facts: CallFacts, **outcome: t.Any) -> None:
    function_called.send(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        function=ref.function,
        ref=ref,
        status=facts.status,
        **outcome,
        **facts.signal_facts(),
    )


def verify(state: AppState, token: str) -> Reference:
    """The reference ``token`` names, if this app signed it and serves it at this URL.

    :raises InvalidReference: a tampered, truncated or foreign token (400).
    :raises ExpiredReference: a valid token older than ``SERVER_FUNCTIONS_MAX_AGE`` (400).
    :raises UnknownFunction: a valid token naming no function, or one served at
        another URL (404, with a message for each).
    """
    function_id, sealed, sealed_json = state.codec.open(token)
    return served_here(state, function_id, sealed, sealed_json)


def served_here(
    state: AppState, function_id: str, sealed: dict[str, t.Any], sealed_json: bytes | None = None
) -> Reference:
    """The reference to ``function_id`` with ``sealed``, if this URL serves that function
    (a group's function only at its blueprint's URL, where its hooks run).

    :raises UnknownFunction: no such function, or one served at another URL.
    """
    function = state.registry.by_id.get(function_id)
    if function is None:
        raise UnknownFunction()
    if request.endpoint != function.endpoint:  # a routing mismatch, not an old page
        raise UnknownFunction(WRONG_ADDRESS)
    return Reference.from_sealed(function, sealed, sealed_json)


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
    """The reference an expired token named, to explain the expiry in its form: the
    same check as :func:`verify`, so a token posted to another URL is not rendered."""
    if not named:
        return None
    try:
        return served_here(state, *named)
    except UnknownFunction:
        return None


def execute(
    state: AppState, ref: Reference, form_data: MultiDict[str, t.Any], facts: CallFacts
) -> Outcome:
    """Validate and call, once per submission key (and its input) for idempotent functions.

    :raises Conflict: a replay whose first submission is still running (409).
    :raises MismatchedReplay: a submission key sent before with other input (409).
    """
    previous = previous_state(state.codec, ref, form_data)
    key = once_key(state, ref.function, ref, form_data)
    if key is None:
        return run(ref, form_data, previous)
    ran: list[Outcome] = []
    once = stream_once if ref.function.is_stream else run_once
    outcome = once(
        state,
        key,
        ref,
        lambda: _append(ran, run(ref, form_data, previous)),
        fingerprints=input_fingerprints(state.config, form_data),
    )
    if outcome is None:
        raise Conflict(
            gettext("This form is already being submitted. Wait a moment, then reload the page.")
        )
    facts.replay = not ran
    return outcome


def _append(ran: list[Outcome], outcome: Outcome) -> Outcome:
    ran.append(outcome)
    return outcome
