"""The endpoint every server-function form posts to: verify, validate, call, respond.

One request, three answers (see docs/design.md):

* htmx (``HX-Request`` and not boosted): the re-rendered inside of the form,
  which htmx swaps in place; 422 when the input was invalid.
* JSON (``Accept: application/json``): ``{"state": ..., "errors": ...}``.
* anything else (no JavaScript, or a boosted request): the new state is kept in the
  session for one request and the answer is ``303 See Other`` to the permalink.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import typing as t
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import escape
from marshmallow import EXCLUDE, ValidationError, fields
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import Conflict, Forbidden, HTTPException
from werkzeug.wrappers import Response

from . import htmx
from .errors import ExpiredReference, UnknownFunction
from .extension import AppState, app_state
from .functions import Reference, ServerFunction
from .idempotency import IDEMPOTENCY_HEADER, wait_for
from .inputs import MalformedInput, read_input
from .origin import check_origin
from .signals import function_called
from .state import (
    HIDDEN_FIELDS,
    NEXT_FIELD,
    ONCE_FIELD,
    STATE_FIELD,
    FormState,
    keep,
    values_fit,
)
from .templating import render_form_body, render_refreshed

logger = logging.getLogger("flask_server_functions")

#: Message shown in the form when a function raised; ``{error_id}`` matches the log.
FAILURE_MESSAGE = "Something went wrong on our side. (Error {error_id})"


def call(token: str) -> ResponseReturnValue:
    """The view behind ``POST {SERVER_FUNCTIONS_URL_PREFIX}/<token>``."""
    state = app_state()
    ref: Reference | None = None
    form_data: MultiDict[str, t.Any] | None = None
    try:
        check_origin(state.config)
        try:
            function_id, sealed = state.codec.loads(token)
        except ExpiredReference as e:
            ref = _named(state, e.reference)
            raise
        function = state.registry.by_id.get(function_id)
        if function is None or request.endpoint != function.endpoint:
            raise UnknownFunction()
        ref = Reference.from_sealed(function, sealed)
        _check_guards(state, function)

        form_data = read_input(state.config, max_body=function.max_body)
        next_url = safe_next_url(form_data.get(NEXT_FIELD))
        g.server_functions_page = next_url
        previous = function.initial_state
        if STATE_FIELD in form_data:
            previous = state.codec.loads_state(form_data[STATE_FIELD], ref.key)

        once = _once_key(function, ref, form_data)
        if once is None:
            form, status, response = run(ref, form_data, previous)
        else:
            replayed = _run_once(state, once, ref, form_data, previous)
            if replayed is None:
                raise Conflict(
                    "This form is already being submitted. Wait a moment, then reload the page."
                )
            form, status, response = replayed
    except HTTPException as e:
        return _error_response(state, e, ref, form_data)
    form.carry_state = STATE_FIELD in form_data
    function_called.send(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        function=function,
        ref=ref,
        state=form.state,
        errors=form.errors,
        status=status,
    )
    if response is not None:
        return _redirect_response(response)
    return _respond(form, status, next_url)


def _respond(form: FormState, status: int, next_url: str) -> ResponseReturnValue:
    """The answer for each path: JSON, an htmx fragment, or keep + 303."""
    if _wants_json():
        return jsonify(state=form.state, errors=form.errors or None), status
    if htmx.HtmxDetails.from_request(request).wants_fragment:
        body = render_form_body(form, next_url)
        headers = {}
        if status < 400:
            body += render_refreshed(form)
            if form.ref.function.triggers:
                dialect = app_state().dialect
                headers[htmx.HX_TRIGGER] = dialect.trigger_header(form.ref.function.triggers)
        return body, status, headers
    keep(form)
    return redirect(next_url, code=303)


def _named(state: AppState, named: tuple[str, dict[str, t.Any]] | None) -> Reference | None:
    function = state.registry.by_id.get(named[0]) if named else None
    return Reference.from_sealed(function, named[1]) if function and named else None


def _error_response(
    state: AppState,
    error: HTTPException,
    ref: Reference | None,
    form_data: MultiDict[str, t.Any] | None = None,
) -> ResponseReturnValue:
    """A refusal, answered so that nothing typed is lost.

    * JSON: ``{"error": message}`` with the status.
    * htmx: the form re-rendered with the message and the submitted values, with
      the status (htmx 4 swaps 4xx); with no form to render, the message is
      appended to the form (``HX-Reswap: beforeend``).
    * no JS: an expired or out-of-date form goes back to its page, with the message
      in the form (or flashed) and the input kept; anything else is Flask's
      error response (so ``app.errorhandler`` applies).
    """
    if error.code is None or error.code < 400:  # abort(redirect(...)) and the like
        return error.get_response()
    message = str(error.description)
    if _wants_json():
        return jsonify(error=message), error.code
    details = htmx.HtmxDetails.from_request(request)
    if not details.wants_fragment and not isinstance(error, (ExpiredReference, UnknownFunction)):
        raise error
    if form_data is None:  # refused before the body was read: read it now, if it can be
        form_data = _submitted(state, ref.function.max_body if ref else None)
    next_url = safe_next_url(form_data.get(NEXT_FIELD))
    if ref is None:
        if details.wants_fragment:
            fragment = f'<p class="sf-form-error" role="alert">{escape(message)}</p>'
            return fragment, error.code, {htmx.HX_RESWAP: "beforeend"}
        flash(message, "error")
        return redirect(next_url, code=303)
    form = FormState(
        ref,
        _previous_state(state, ref, form_data),
        values=_values(form_data),
        errors={"_form": [message]},
    )
    form.carry_state = STATE_FIELD in form_data
    if details.wants_fragment:
        return render_form_body(form, next_url), error.code
    keep(form)
    return redirect(next_url, code=303)


def _submitted(state: AppState, max_body: int | None = None) -> MultiDict[str, t.Any]:
    """The submitted fields, if the body can be read at all (within the function's own
    ``max_body``, as the call itself); else none."""
    try:
        return read_input(state.config, max_body=max_body)
    except HTTPException:
        return MultiDict()


def _previous_state(state: AppState, ref: Reference, form_data: MultiDict[str, t.Any]) -> t.Any:
    """The state the refused form carried, if it is intact; else the initial state."""
    if STATE_FIELD in form_data:
        try:
            return state.codec.loads_state(form_data[STATE_FIELD], ref.key)
        except HTTPException:
            pass
    return ref.function.initial_state


def _check_guards(state: AppState, function: ServerFunction[t.Any]) -> None:
    for guard in (*state.extension.before_call_guards, *function.guards):
        if not guard():
            login_view = state.config["SERVER_FUNCTIONS_LOGIN_VIEW"]
            details = htmx.HtmxDetails.from_request(request)
            if login_view and not details.wants_fragment and not _wants_json():
                next_url = safe_next_url(_submitted(state, function.max_body).get(NEXT_FIELD))
                abort(redirect(url_for(login_view, next=next_url), code=303))
            raise Forbidden("You are not allowed to do this.")


def _once_key(
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
            f"The one-time submission key is malformed (1 to {MAX_ONCE_KEY} characters)."
        )
    return f"{ref.key}:{scope}{once}"


#: The longest one-time submission key (hidden field or Idempotency-Key header).
MAX_ONCE_KEY = 255


def _run_once(
    state: AppState,
    key: str,
    ref: Reference,
    form_data: MultiDict[str, t.Any],
    previous: t.Any,
) -> tuple[FormState, int, Response | None] | None:
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
        return form, outcome["status"], (redirect(location) if location else None)
    try:
        form, status, response = run(ref, form_data, previous)
    except BaseException:
        store.release(key)
        raise
    store.save(
        key,
        {
            "state": form.state,
            # a replay shows the errors; the typed values only if small (anyone can
            # post a large body, and the store keeps it for a day)
            "values": form.values if values_fit(form.values) else {},
            "errors": form.errors,
            "status": status,
            "location": response.location if response is not None else None,
        },
        ttl,
    )
    return form, status, response


def run(
    ref: Reference, form_data: MultiDict[str, t.Any], previous: t.Any
) -> tuple[FormState, int, Response | None]:
    """Validate ``form_data`` and call the function.

    :returns: the form's new state, the HTTP status to answer with, and a response
        the function returned (a redirect), if any.
    """
    function = ref.function
    try:
        loaded = function.schema.load(
            _schema_input(function, form_data, ref.bound),
            partial=tuple(ref.bound),
            unknown=EXCLUDE,
        )
    except ValidationError as e:
        return FormState(ref, previous, values=_values(form_data), errors=_messages(e)), 422, None

    kwargs: dict[str, t.Any] = {}
    if function.takes_data:
        kwargs["data"] = loaded
    else:
        kwargs.update(loaded)
    kwargs.update(ref.bound)
    missing = {
        key: [msg] for name, (key, msg) in function.needed_fields.items() if name not in kwargs
    }
    if missing:  # a field the schema lets be left out, which the function needs
        return FormState(ref, previous, values=_values(form_data), errors=missing), 422, None
    if function.state_parameter:
        kwargs[function.state_parameter] = previous

    try:
        if function.is_async:
            result = current_app.ensure_sync(function.func)(**kwargs)
        else:
            result = function.func(**kwargs)
    except ValidationError as e:
        return FormState(ref, previous, values=_values(form_data), errors=_messages(e)), 422, None
    except HTTPException:
        raise
    except Exception:
        error_id = secrets.token_hex(4)
        logger.exception(
            "server function %s (%s.%s) failed [error %s]",
            function.name,
            function.func.__module__,
            function.func.__qualname__,
            error_id,
        )
        message = FAILURE_MESSAGE.format(error_id=error_id)
        form = FormState(ref, previous, values=_values(form_data), errors={"_form": [message]})
        return form, 500, None

    if isinstance(result, Response):
        return FormState(ref, previous), result.status_code, result
    return FormState(ref, result), 200, None


def _values(form_data: MultiDict[str, t.Any]) -> dict[str, list[t.Any]]:
    """The submitted values to show again after an error (files cannot be)."""
    return {
        k: [v for v in form_data.getlist(k) if not isinstance(v, FileStorage)]
        for k in form_data
        if k not in HIDDEN_FIELDS
    }


def _schema_input(
    function: ServerFunction[t.Any], form_data: MultiDict[str, t.Any], bound: t.Mapping[str, t.Any]
) -> dict[str, t.Any]:
    """The schema's input: one value per field (all values for list fields).

    Bound names are left out: the client cannot supply or override them.
    """
    data: dict[str, t.Any] = {}
    for name, field in function.schema.load_fields.items():
        key = field.data_key or name
        if name in bound or key not in form_data:
            continue
        if isinstance(field, fields.List):
            data[key] = form_data.getlist(key)
        else:
            value = form_data.get(key)
            if isinstance(value, FileStorage) and not value.filename:
                continue  # an empty file input: no file chosen
            data[key] = value
    return data


def _messages(error: ValidationError) -> dict[str, list[str]]:
    """Marshmallow's messages as ``{field: [message, ...]}`` (``"_form"`` for the rest)."""
    raw = error.messages
    if not isinstance(raw, dict):
        return {"_form": [str(m) for m in (raw if isinstance(raw, list) else [raw])]}
    out: dict[str, list[str]] = {}
    for key, messages in raw.items():
        name = "_form" if key == "_schema" else str(key)
        out[name] = _flatten(messages)
    return out


def _flatten(messages: t.Any) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flatten(value)]
    if isinstance(messages, list):
        return [m for value in messages for m in _flatten(value)]
    return [str(messages)]


def _wants_json() -> bool:
    if "json" not in request.headers.get("Accept", ""):  # the common case, cheaply
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _redirect_response(response: Response) -> ResponseReturnValue:
    """A redirect returned by the function: a client-side redirect for htmx, a 303 else."""
    location = response.location
    if location is None:
        return response
    if htmx.HtmxDetails.from_request(request).wants_fragment:
        return "", 200, {htmx.HX_REDIRECT: location}
    if _wants_json():
        return jsonify(redirect=location), 200
    return redirect(location, code=303)


def safe_next_url(value: str | None) -> str:
    """The permalink a no-JS submission lands on: a path on this site, never elsewhere
    (and nothing that could split a header)."""
    if value and _is_local_path(value):
        return value
    referrer = request.referrer
    if referrer and not _CONTROL_CHARS.search(referrer):
        try:
            parts = urlsplit(referrer)
        except ValueError:  # an unparseable host ("http://["): not this site
            return "/"
        if parts.netloc == request.host:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            if _is_local_path(path):  # not "//evil.example" from http://host//evil.example
                return path
    return "/"


def _is_local_path(value: str) -> bool:
    if not value.startswith("/") or value.startswith(("//", "/\\")) or _CONTROL_CHARS.search(value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
