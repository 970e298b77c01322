"""The endpoint every server-function form posts to: verify, validate, call, respond.

One request, three answers (see docs/design.md):

* htmx (``HX-Request`` and not boosted): the re-rendered inside of the form,
  which htmx swaps in place; 422 when the input was invalid.
* JSON (``Accept: application/json``): ``{"state": ..., "errors": ...}``.
* anything else (no JavaScript, or a boosted request): the new state is kept in the
  session for one request and the answer is ``303 See Other`` to the permalink.
"""

from __future__ import annotations

import logging
import secrets
import typing as t
from urllib.parse import urlsplit

from flask import current_app, g, jsonify, redirect, request
from flask.typing import ResponseReturnValue
from marshmallow import EXCLUDE, ValidationError, fields
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from . import htmx
from .errors import CrossOriginRequest, UnknownFunction
from .extension import AppState, app_state
from .functions import Reference, ServerFunction
from .state import HIDDEN_FIELDS, NEXT_FIELD, STATE_FIELD, FormState, keep
from .templating import render_form_body, render_refreshed

logger = logging.getLogger("flask_server_functions")

#: Message shown in the form when a function raised; ``{error_id}`` matches the log.
FAILURE_MESSAGE = "Something went wrong on our side. (Error {error_id})"


def call(token: str) -> ResponseReturnValue:
    """The view behind ``POST {SERVER_FUNCTIONS_URL_PREFIX}/<token>``."""
    state = app_state()
    check_origin(state)
    function_id, bound, template = state.codec.loads(token)
    function = state.registry.by_id.get(function_id)
    if function is None:
        raise UnknownFunction()
    ref = Reference(function, bound, template)

    form_data = _input()
    next_url = safe_next_url(form_data.get(NEXT_FIELD))
    g.server_functions_page = next_url
    previous = function.initial_state
    if function.state_parameter and STATE_FIELD in form_data:
        previous = state.codec.loads_state(form_data[STATE_FIELD])

    form, status, response = run(ref, form_data, previous)
    if response is not None:
        return _redirect_response(response)

    details = htmx.HtmxDetails.from_request(request)
    if _wants_json():
        return jsonify(state=form.state, errors=form.errors or None), status
    if details.wants_fragment:
        body = render_form_body(form, next_url)
        if status != 422:
            body += render_refreshed(form)
        return body, status
    keep(form)
    return redirect(next_url, code=303)


def run(
    ref: Reference, form_data: MultiDict[str, t.Any], previous: t.Any
) -> tuple[FormState, int, Response | None]:
    """Validate ``form_data`` and call the function.

    :returns: the form's new state, the HTTP status to answer with, and a response
        the function returned (a redirect), if any.
    """
    function = ref.function
    values = {k: form_data.getlist(k) for k in form_data if k not in HIDDEN_FIELDS}
    try:
        loaded = function.schema.load(
            _schema_input(function, form_data, ref.bound),
            partial=tuple(ref.bound),
            unknown=EXCLUDE,
        )
    except ValidationError as e:
        return FormState(ref, previous, values=values, errors=_messages(e)), 422, None

    kwargs: dict[str, t.Any] = {}
    if function.takes_data:
        kwargs["data"] = loaded
    else:
        kwargs.update(loaded)
    kwargs.update(ref.bound)
    if function.state_parameter:
        kwargs[function.state_parameter] = previous

    try:
        result = current_app.ensure_sync(function.func)(**kwargs)
    except ValidationError as e:
        return FormState(ref, previous, values=values, errors=_messages(e)), 422, None
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
        return FormState(ref, previous, values=values, errors={"_form": [message]}), 500, None

    if isinstance(result, Response):
        return FormState(ref, previous), result.status_code, result
    return FormState(ref, result), 200, None


def _input() -> MultiDict[str, t.Any]:
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            from werkzeug.exceptions import BadRequest

            raise BadRequest("A JSON call must send a JSON object of arguments.")
        out: MultiDict[str, t.Any] = MultiDict()
        for key, value in data.items():
            for item in value if isinstance(value, list) else [value]:
                out.add(key, item)
        return out
    return request.form


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
            data[key] = form_data.get(key)
    if request.files:
        for key in request.files:
            if key not in bound:
                data[key] = request.files[key]
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
    """The permalink a no-JS submission lands on: a path on this site, never elsewhere."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        parts = urlsplit(value)
        if not parts.scheme and not parts.netloc:
            return value
    referrer = request.referrer
    if referrer:
        parts = urlsplit(referrer)
        if parts.netloc == request.host:
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/"


def check_origin(state: AppState) -> None:
    """Refuse a POST from another site (403) before anything is parsed.

    The ``Origin`` header decides when present; else ``Sec-Fetch-Site``. A request
    with neither (an old browser, curl, a test client) is allowed: it cannot carry
    a victim's cookies cross-site from a modern browser.
    """
    origin = request.headers.get("Origin")
    if origin is not None:
        own = request.host_url.rstrip("/")
        allowed = state.config["SERVER_FUNCTIONS_ALLOWED_ORIGINS"]
        if origin != own and origin not in allowed:
            raise CrossOriginRequest()
        return
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in (
        "same-origin",
        "none",
    ):
        raise CrossOriginRequest()
