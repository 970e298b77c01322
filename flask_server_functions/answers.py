"""The answer step: one function for each kind of answer.

:func:`answer` picks one by the request's :class:`~.negotiation.Path`:

* :func:`json_answer`: ``{"state": ..., "errors": ...}`` with the status;
* :func:`fragment_answer`: the re-rendered inside of the form (plus the regions
  ``refresh=`` names and an ``HX-Trigger`` header), which htmx swaps in place;
* :func:`nojs_answer`: the state kept for one request and ``303 See Other`` to the page;
* :func:`function_redirect`: a redirect the function returned, per path;
* :func:`refusal`: a 4xx refusal, answered so that nothing typed is lost;
* :func:`login_answer`: a guard's refusal with a login view, per path;
* :func:`confirmation`: the no-JS confirmation step of ``server_button(confirm=...)``.

A new kind of answer is a new function here, picked in :func:`answer`.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urljoin

from flask import flash, jsonify, redirect, request
from flask.typing import ResponseReturnValue
from markupsafe import escape
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from . import htmx
from .config import AppState, app_state
from .errors import CrossOriginRequest, LoginRequired, plain_message, size_text
from .functions import Reference
from .i18n import gettext
from .inputs import previous_state, read_input, typed_values
from .kept import keep, mark_cookies
from .landing import keep_in_url, keeps_cookies
from .negotiation import Path
from .permalink import form_page
from .rendering import render_form_body, render_refreshed
from .state import FormState, Outcome
from .wire import CONFIRM_KEY, CONFIRM_OPTION, STATE_FIELD


def answer(path: Path, outcome: Outcome, page: str) -> ResponseReturnValue:
    """The answer to a call that ran (or was validated), for ``path``."""
    if outcome.response is not None:
        return function_redirect(path, outcome.response)
    if path is Path.JSON:
        return json_answer(outcome.form, outcome.status)
    if path is Path.HTMX:
        return fragment_answer(outcome.form, outcome.status)
    return nojs_answer(outcome.form, page)


def json_answer(form: FormState, status: int) -> ResponseReturnValue:
    """``{"state": ..., "errors": ...}`` (errors ``null`` when valid)."""
    return jsonify(state=form.state, errors=form.errors or None), status


def fragment_answer(form: FormState, status: int, *, refresh: bool = True) -> ResponseReturnValue:
    """The inside of the form for htmx to swap; after a success also the regions
    ``refresh=`` names (``<hx-partial>``) and the ``HX-Trigger`` events."""
    body = render_form_body(form)
    headers = {}
    if refresh and status < 400:
        body += render_refreshed(form)
        if form.ref.function.triggers:
            dialect = app_state().dialect
            headers[htmx.HX_TRIGGER] = dialect.trigger_header(form.ref.function.triggers)
    return body, status, headers


def nojs_answer(form: FormState, page: str) -> ResponseReturnValue:
    """Keep the form's state for the next request and send the browser to its page.

    It is kept in the session; a request from a browser not known to send cookies
    back (cookies refused, or a first visit) also gets it under a one-time key in the
    redirect URL (:mod:`.landing`), since the cookie may never come back.
    """
    if not keeps_cookies():
        page = keep_in_url(form, page)
    keep(form)
    return mark_cookies(see_other(page))


def see_other(location: str) -> Response:
    """``303 See Other`` to ``location``, made absolute from the request (text browsers
    such as lynx warn about a relative ``Location``)."""
    if location.startswith("/") and not location.startswith("//"):
        # a path on this site (as a permalink always is): urljoin's answer, cheaply
        return redirect(request.host_url[:-1] + location, code=303)
    return redirect(urljoin(request.host_url, location), code=303)


def confirmation(form: FormState, page: str) -> ResponseReturnValue:
    """A no-JS press of a ``server_button(confirm=...)``: back to the page, where the
    button asks its question (with a button that confirms) instead of running."""
    form.errors = {CONFIRM_KEY: [str(form.ref.options[CONFIRM_OPTION])]}
    return nojs_answer(form, page)


def function_redirect(path: Path, response: Response) -> ResponseReturnValue:
    """A redirect returned by the function: a client-side redirect for htmx, the
    location in JSON, a 303 without JS. Any other response passes through."""
    location = response.location
    if location is None:
        return response
    if path is Path.HTMX:
        return "", 200, {htmx.HX_REDIRECT: location}
    if path is Path.JSON:
        return jsonify(redirect=location), 200
    return see_other(location)


def login_answer(path: Path, error: LoginRequired) -> ResponseReturnValue:
    """A guard refused and the app has a login view: send the user there, per path."""
    if path is Path.JSON:
        return jsonify(error=plain_message(error), login=error.login_url), 401
    if path is Path.HTMX:
        return "", 200, {htmx.HX_REDIRECT: error.login_url}
    return see_other(error.login_url)


def refusal(
    path: Path,
    state: AppState,
    error: HTTPException,
    ref: Reference | None,
    form_data: MultiDict[str, t.Any] | None = None,
    *,
    allowed: bool = False,
) -> ResponseReturnValue:
    """A refusal, answered so that the user stays on the page and nothing typed is lost.

    :param allowed: the caller passed the guards with a valid token (a refusal from
        the function itself, or of its input): with htmx the form's partial is
        re-rendered. A refusal before that (guard, expired or unknown token) never
        renders the partial, whose bound values and live data the caller may not see.

    * JSON: ``{"error": message}`` with the status (401 and ``"login"`` for the login view).
    * htmx: allowed, the form re-rendered with the message and the submitted values,
      with the status (htmx 4 swaps 4xx); else the message alone, put at the top of the
      form (``HX-Reswap: afterbegin``, where the page without JS shows it too), whose
      inputs keep what was typed.
    * no JS: ``303`` back to the page, the message in the form (or flashed) and the
      input kept. A cross-origin request gets Flask's error response (so
      ``app.errorhandler`` applies): it is not the user's own page.
    """
    if error.code is None or error.code < 400:  # abort(redirect(...)) and the like
        return error.get_response()
    if isinstance(error, LoginRequired):
        return login_answer(path, error)
    message = _message(state, error, ref)
    if path is Path.JSON:
        return jsonify(error=message), error.code
    if path is Path.NOJS and isinstance(error, CrossOriginRequest):
        raise type(error)()  # its plain message, not the detail (which is logged)
    if form_data is None:  # refused before the body was read: read it now, if it can be
        form_data = _submitted(state, ref.function.max_body if ref else None)
    page = form_page(form_data)
    if path is Path.HTMX and (ref is None or not allowed):
        fragment = f'<p class="sf-form-error" role="alert">{escape(message)}</p>'
        return fragment, error.code, {htmx.HX_RESWAP: "afterbegin"}
    if ref is None:
        flash(message, "error")
        return mark_cookies(see_other(page))
    form = FormState(
        ref,
        _intact_previous_state(state, ref, form_data),
        values=typed_values(form_data),
        errors={"_form": [message]},
    )
    form.carry_state = STATE_FIELD in form_data
    if path is Path.HTMX:
        return fragment_answer(form, error.code, refresh=False)
    return nojs_answer(form, page)


def _message(state: AppState, error: HTTPException, ref: Reference | None) -> str:
    """What the user reads: the refusal's plain message; a size limit in KB or MB."""
    if isinstance(error, RequestEntityTooLarge):
        limit = (ref.function.max_body if ref else None) or state.config[
            "SERVER_FUNCTIONS_MAX_BODY"
        ]
        return gettext("What you sent is too large (at most %(limit)s).", limit=size_text(limit))
    return plain_message(error)


def _submitted(state: AppState, max_body: int | None = None) -> MultiDict[str, t.Any]:
    """The submitted fields, if the body can be read at all (within the function's own
    ``max_body``, as the call itself); else none."""
    try:
        return read_input(state.config, max_body=max_body)
    except HTTPException:
        return MultiDict()


def _intact_previous_state(
    state: AppState, ref: Reference, form_data: MultiDict[str, t.Any]
) -> t.Any:
    """The state the refused form carried, if it is intact; else the initial state."""
    try:
        return previous_state(state.codec, ref, form_data)()
    except HTTPException:
        return ref.initial_state()
