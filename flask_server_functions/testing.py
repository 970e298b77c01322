"""Test helpers: call a server function through the real stack in one line.

::

    from flask_server_functions.testing import call_function

    def test_update_name(client):
        result = call_function(client, update_name, {"name": "Ada"})
        assert result.state == {"error": None, "name": "Ada"}

        result = call_function(client, update_name, {"name": ""}, js=False)
        assert result.status == 303 and "Name is required" in result.html

The call goes through everything a browser's would: the signed reference, the
origin check, validation, the function, the template. With ``js=True`` it is an
htmx request (the answer is the re-rendered form); with ``js=False`` a plain POST,
and the helper follows the 303 to the page like a browser.

With pytest, the ``call_server_function`` fixture does the same with the ``client``
fixture of your tests (this module is a pytest plugin, loaded automatically).
"""

from __future__ import annotations

import dataclasses
import html
import re
import typing as t

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException
from werkzeug.test import TestResponse

from .config import app_state
from .functions import Reference, ServerFunction
from .htmx import HX_REQUEST
from .permalink import with_landing
from .signals import function_called
from .templating import as_reference
from .wire import FORM_ID_OPTION, STATE_FIELD


@dataclasses.dataclass
class CallResult:
    """What a call did (every field and property below).

    ::

        result = call_function(client, add_task, {"title": ""}, js=False)
        assert result.status == 303 and not result.called
        assert result.errors == {"title": ["This field is required."]}
        assert "This field is required." in result.html
    """

    #: The endpoint's own response: 200 (or 422 for invalid input, 500 for a failure)
    #: with htmx and JSON; 303 without JS; a 4xx refusal (400, 403, 404, 413).
    response: TestResponse
    #: The page the browser ends on: without JS the 303's target, fetched and its own
    #: redirects followed (unless ``follow_redirects=False``), else :attr:`response`.
    page: TestResponse
    #: The state the function returned (the previous one after invalid input or a
    #: failure); ``None`` if the call was refused before validation.
    state: t.Any
    #: Field errors, ``{field: [message, ...]}`` (``"_form"`` for form-wide ones);
    #: ``{}`` when the input was valid.
    errors: dict[str, list[str]]
    #: Whether the function ran: ``False`` for input refused by validation (422), a
    #: refused call (400, 403...) and the replay of an idempotent call. ``True`` also
    #: when it then raised (500, :attr:`errors` has the ``"_form"`` message).
    called: bool

    @property
    def status(self) -> int:
        """The status code of :attr:`response`."""
        return self.response.status_code

    @property
    def html(self) -> str:
        """The HTML a person would see: the swapped fragment, or the page after the redirect."""
        return self.page.get_data(as_text=True)

    @property
    def ok(self) -> bool:
        """The function ran, without errors, and the answer is not an error status."""
        return self.called and not self.errors and self.status < 400


def call_function(
    client: FlaskClient,
    target: ServerFunction[t.Any] | Reference | str,
    data: t.Mapping[str, t.Any] | None = None,
    *,
    js: bool = True,
    page: str = "/",
    previous_state: t.Any = None,
    headers: t.Mapping[str, str] | None = None,
    follow_redirects: bool = True,
    form_id: str | None = None,
) -> CallResult:
    """Call ``target`` (a function, a bound reference or a name) with form ``data``.

    :param js: an htmx request (``True``) or a plain form POST (``False``).
    :param page: the page the form is on (where a no-JS call lands).
    :param previous_state: the state the form carries, for functions taking ``state``.
    :param headers: extra request headers. ``Origin`` is the app's own, as a
        browser sends it on every POST (so ``SERVER_FUNCTIONS_MISSING_ORIGIN =
        "deny"`` lets it through); pass another to test a cross-origin call.
    :param follow_redirects: without JS, GET the 303's target like a browser
        (and follow its redirects: the flash of a form the page does not render).
    :param form_id: the ``id=`` the page gives the form in ``server_form(..., id=...)``
        (it is part of the form's identity, so the page shows the kept result in it).
        Without JS, leaving it out for such a form raises a ``ValueError`` that
        names the ``form_id=`` to pass (the page would not show the result).
    """
    app = client.application
    with app.test_request_context(page):
        ref = as_reference(target)
        if form_id is not None:
            ref = ref.using(**{FORM_ID_OPTION: form_id})
        url = with_landing(app_state(app).url_for(ref), page)  # as the form's action
        origin = request.host_url.rstrip("/")
        body: dict[str, t.Any] = dict(data or {})
        if ref.function.state_parameter:
            state = ref.initial_state() if previous_state is None else previous_state
            body[STATE_FIELD] = app_state(app).codec.dumps_state(state, ref.key)

    calls: list[dict[str, t.Any]] = []

    def receiver(sender: t.Any, **extra: t.Any) -> None:
        calls.append(extra)

    request_headers = {"Origin": origin, **({HX_REQUEST: "true"} if js else {}), **(headers or {})}
    with function_called.connected_to(receiver, app):
        response = client.post(url, data=body, headers=request_headers)
        # A streamed answer (a generator function) is read to its end and closed
        # here, while the signal is connected and in order with the contexts.
        response.get_data()
        response.close()
    page_response = response
    if not js and follow_redirects and response.status_code == 303:
        # Like a browser, to the end: a page that does not render the form sends
        # itself once more with the message flashed.
        page_response = client.get(response.headers["Location"], follow_redirects=True)
        if form_id is None:
            _check_form_found(app, page, ref, page_response)
    last = calls[-1] if calls else {}
    return CallResult(
        response=response,
        page=page_response,
        state=last.get("state"),
        errors=dict(last.get("errors") or {}),
        called=bool(last.get("ran")),
    )


_FORM_TAG = re.compile(r"<form\b[^>]*>", re.I)
_ATTR = re.compile(r'\b(id|action)="([^"]*)"')


def _check_form_found(app: Flask, page: str, ref: Reference, got: TestResponse) -> None:
    """Fail if the page shows the form for ``ref`` only under an ``id=`` of its own:
    the kept result went to a form that is not there."""
    if not (got.mimetype or "").startswith("text/html"):
        return
    with app.test_request_context(page):
        state = app_state(app)
        prefix = state.url_for(ref).rsplit("/", 1)[0] + "/"
        ids: set[str | None] = set()
        for tag in _FORM_TAG.findall(got.get_data(as_text=True)):
            attrs = {k.lower(): html.unescape(v) for k, v in _ATTR.findall(tag)}
            action = attrs.get("action", "").split("?")[0]
            if not action.startswith(prefix):
                continue
            try:
                function_id, sealed = state.codec.loads(action[len(prefix) :])
            except HTTPException:
                continue
            if function_id != ref.function.id:
                continue
            found = Reference.from_sealed(ref.function, sealed)
            options = {k: v for k, v in found.options.items() if k != FORM_ID_OPTION}
            if (
                function_id == ref.function.id
                and found.bound == ref.bound
                and (options == ref.options)
            ):
                ids.add(found.options.get(FORM_ID_OPTION))
    if ids and None not in ids:
        named = " or ".join(f"form_id={i!r}" for i in sorted(t.cast("set[str]", ids)))
        raise ValueError(
            f"the page {page!r} renders the form for {ref.function.name!r} with its own id"
            f" (server_form(..., id=...)), so it shows the result only to a call with that"
            f" id: pass {named} to call_function"
        )


@pytest.fixture
def call_server_function(client: FlaskClient) -> t.Callable[..., CallResult]:
    """``call_server_function(fn, data, js=True)``: :func:`call_function` with your
    ``client`` fixture."""

    def call(
        target: ServerFunction[t.Any] | Reference | str,
        data: t.Mapping[str, t.Any] | None = None,
        **kwargs: t.Any,
    ) -> CallResult:
        return call_function(client, target, data, **kwargs)

    return call
