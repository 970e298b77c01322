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
import typing as t

import pytest
from flask import request
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from .config import app_state
from .functions import Reference, ServerFunction
from .htmx import HX_REQUEST
from .signals import function_called
from .templating import as_reference
from .wire import FORM_ID_OPTION, NEXT_FIELD, STATE_FIELD


@dataclasses.dataclass
class CallResult:
    """What a call did."""

    #: The endpoint's own response (200/422 with htmx, 303 without JS, 4xx refusals).
    response: TestResponse
    #: The page the browser ends on: the redirect's target without JS, else ``response``.
    page: TestResponse
    #: The state the function returned (or the previous one, after invalid input);
    #: ``None`` if the call was refused before validation.
    state: t.Any
    #: Field errors (``{}`` when valid; a refusal's message under ``"_form"``).
    errors: dict[str, list[str]]
    #: Whether the call got as far as validation.
    called: bool

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def html(self) -> str:
        """The HTML a person would see: the swapped fragment, or the page after the redirect."""
        return self.page.get_data(as_text=True)

    @property
    def ok(self) -> bool:
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
    :param follow_redirects: without JS, GET the 303's target like a browser.
    :param form_id: the ``id=`` the page gives the form in ``server_form(..., id=...)``
        (it is part of the form's identity, so the page shows the kept result in it).
    """
    app = client.application
    with app.test_request_context(page):
        ref = as_reference(target)
        if form_id is not None:
            ref = ref.using(**{FORM_ID_OPTION: form_id})
        url = app_state(app).url_for(ref)
        origin = request.host_url.rstrip("/")
        body: dict[str, t.Any] = {NEXT_FIELD: page, **(data or {})}
        if ref.function.state_parameter:
            state = ref.function.initial_state if previous_state is None else previous_state
            body[STATE_FIELD] = app_state(app).codec.dumps_state(state, ref.key)

    calls: list[dict[str, t.Any]] = []

    def receiver(sender: t.Any, **extra: t.Any) -> None:
        calls.append(extra)

    request_headers = {"Origin": origin, **({HX_REQUEST: "true"} if js else {}), **(headers or {})}
    with function_called.connected_to(receiver, app):
        response = client.post(url, data=body, headers=request_headers)
    page_response = response
    if not js and follow_redirects and response.status_code == 303:
        page_response = client.get(response.headers["Location"])
    last = calls[-1] if calls else {}
    return CallResult(
        response=response,
        page=page_response,
        state=last.get("state"),
        errors=dict(last.get("errors") or {}),
        called=any(call.get("outcome") != "refused" for call in calls),
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
