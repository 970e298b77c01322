"""The test helpers users get: call_function and the call_server_function fixture."""

from __future__ import annotations

import pytest
from flask import Flask, render_template

from flask_server_functions import ServerFunctions
from flask_server_functions.signals import function_called
from flask_server_functions.testing import call_function


@pytest.fixture
def greet(sf: ServerFunctions, app: Flask):  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def greet(name: str):  # type: ignore[no-untyped-def]
        if name == "boom":
            raise RuntimeError("boom")
        return {"hello": name}

    @app.get("/")
    def page() -> str:
        return render_template("page.html", refs=[greet])

    return greet


def test_htmx_mode(client, greet) -> None:  # type: ignore[no-untyped-def]
    result = call_function(client, greet, {"name": "Ada"})
    assert result.ok and result.status == 200 and result.called
    assert result.state == {"hello": "Ada"}
    assert '{"hello": "Ada"}' in result.html


def test_no_js_mode_follows_the_redirect(client, greet) -> None:  # type: ignore[no-untyped-def]
    result = call_function(client, greet, {"name": "Grace"}, js=False)
    assert result.status == 303
    assert result.page.status_code == 200
    assert '{"hello": "Grace"}' in result.html and "<html>" in result.html


def test_errors_and_failures(client, greet) -> None:  # type: ignore[no-untyped-def]
    result = call_function(client, greet, {})
    assert not result.ok and result.status == 422
    assert result.errors == {"name": ["This field is required."]}
    result = call_function(client, greet, {"name": "boom"})
    assert result.status == 500 and "Error " in result.errors["_form"][0]


def test_by_name_and_fixture(call_server_function, greet) -> None:  # type: ignore[no-untyped-def]
    assert call_server_function("greet", {"name": "x"}).state == {"hello": "x"}


def test_signal_is_sent(client, greet, app: Flask) -> None:  # type: ignore[no-untyped-def]
    seen = []
    with function_called.connected_to(
        lambda sender, **kw: seen.append((sender, kw["status"])), app
    ):
        call_function(client, greet, {"name": "x"})
    assert seen == [(app, 200)]


def test_previous_state(client, sf: ServerFunctions) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html", initial_state=0)
    def count(state):  # type: ignore[no-untyped-def]
        return state + 1

    assert call_function(client, count).state == 1
    assert call_function(client, count, previous_state=41).state == 42


def test_form_with_its_own_id(client, greet, app: Flask) -> None:  # type: ignore[no-untyped-def]
    from flask import render_template_string

    @app.get("/named")
    def named() -> str:
        return render_template_string("{{ server_form(server_functions.greet, id='top') }}")

    result = call_function(client, greet, {"name": "Lin"}, js=False, page="/named", form_id="top")
    assert result.status == 303 and 'id="top-name"' in result.html
    assert '{"hello": "Lin"}' in result.html


def test_no_js_follows_the_flash_to_the_page(client, sf: ServerFunctions, app: Flask) -> None:  # type: ignore[no-untyped-def]
    # The form is not on the page it lands on (its row is gone): the page is sent once
    # more with the message flashed, and `html` is what the browser ends on.
    from flask import render_template_string

    from flask_server_functions import refuse

    @sf.function(template="name_form.html")
    def rename_gone(name: str):  # type: ignore[no-untyped-def]
        refuse("This task no longer exists.", 404)

    @app.get("/gone")
    def gone() -> str:
        return render_template_string(
            "{% for m in get_flashed_messages() %}<p class=flash>{{ m }}</p>{% endfor %}"
        )

    result = call_function(client, rename_gone, {"name": "x"}, js=False, page="/gone")
    assert result.status == 303 and result.page.status_code == 200
    assert "<p class=flash>This task no longer exists.</p>" in result.html
