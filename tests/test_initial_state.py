"""A function's ``initial_state`` as a callable: computed on the server, never carried."""

from __future__ import annotations

import json
import re
import typing as t

from flask import Flask, render_template_string
from flask.testing import FlaskClient

from flask_server_functions import ServerFunctions

from .conftest import HTMX, form_action, landed


def _state(html: str) -> t.Any:
    found = re.search(r"<p class=state>(.*?)</p>", html)
    return json.loads(found.group(1)) if found else None


def test_the_form_carries_no_state_and_each_call_computes_it_only_when_needed(
    app: Flask, sf: ServerFunctions, client: FlaskClient
) -> None:
    saved = {"name": "Ada"}
    computed: list[str] = []

    def saved_name() -> dict[str, t.Any]:
        computed.append(saved["name"])
        return {"name": saved["name"]}

    @sf.function(template="name_form.html", initial_state=saved_name)
    def rename(name: str) -> dict[str, t.Any]:
        if len(name) > 5:
            from marshmallow import ValidationError

            raise ValidationError({"name": ["Too long."]})
        saved["name"] = name
        return {"name": name}

    @app.get("/p")
    def page() -> str:
        return render_template_string("{{ server_form(f) }}", f=rename)

    html = client.get("/p").text
    assert "_sf_state" not in html and _state(html) == {"name": "Ada"}
    assert computed == ["Ada"]
    action = form_action(html)

    computed.clear()
    ok = client.post(action, data={"name": "Bea"}, headers=HTMX)
    assert ok.status_code == 200 and _state(ok.text) == {"name": "Bea"}
    assert computed == []  # a success without a state parameter never computes it
    assert "_sf_state" not in ok.text

    # An invalid call shows the state as the server has it now (not a stale copy).
    saved["name"] = "Cy"  # changed elsewhere meanwhile
    bad = client.post(action, data={"name": "toolong"}, headers=HTMX)
    assert bad.status_code == 422 and _state(bad.text) == {"name": "Cy"}
    assert 'value="toolong"' in bad.text

    # Without JavaScript, the same: the landing page shows the computed state.
    r = client.post(action, data={"name": "toolong"})
    assert r.status_code == 303 and landed(r) == "/p"
    assert _state(client.get("/p").text) == {"name": "Cy"}


def test_a_callable_gets_the_bound_values_and_feeds_a_state_parameter(
    app: Flask, sf: ServerFunctions, client: FlaskClient
) -> None:
    counts = {1: 10, 2: 20}

    @sf.function(template="name_form.html", initial_state=lambda row: {"count": counts[row]})
    def bump(row: int, state: dict[str, int]) -> dict[str, int]:
        return {"count": state["count"] + 1}

    @app.get("/p")
    def page() -> str:
        return render_template_string(
            "{{ server_form(f.bind(row=1)) }}{{ server_form(f.bind(row=2)) }}", f=bump
        )

    html = client.get("/p").text
    assert "_sf_state" not in html  # the state before the first call stays on the server
    first = client.post(form_action(html, 1), headers=HTMX)
    assert _state(first.text) == {"count": 21}
    # from then on the form carries the state the call returned
    carried = re.search(r'name="_sf_state" value="([^"]+)"', first.text)
    assert carried
    again = client.post(form_action(html, 1), data={"_sf_state": carried.group(1)}, headers=HTMX)
    assert _state(again.text) == {"count": 22}


def test_a_forms_own_initial_state_still_wins(
    app: Flask, sf: ServerFunctions, client: FlaskClient
) -> None:
    @sf.function(template="name_form.html", initial_state=lambda: {"name": "server"})
    def rename(name: str) -> dict[str, str]:
        return {"name": name}

    @app.get("/p")
    def page() -> str:
        return render_template_string(
            "{{ server_form(f, initial_state={'name': 'own'}) }}", f=rename
        )

    html = client.get("/p").text
    assert _state(html) == {"name": "own"} and "_sf_state" in html
    carried = re.search(r'name="_sf_state" value="([^"]+)"', html)
    assert carried
    bad = client.post(form_action(html), data={"_sf_state": carried.group(1)}, headers=HTMX)
    assert bad.status_code == 422 and _state(bad.text) == {"name": "own"}


def test_a_failing_initial_state_callable_is_a_safe_error_with_an_id(
    app: Flask, sf: ServerFunctions, client: FlaskClient, caplog: t.Any
) -> None:
    down = {"db": False}

    def saved() -> dict[str, str]:
        if down["db"]:
            raise ConnectionError("database unavailable")
        return {"name": "Ada"}

    @sf.function(template="name_form.html", initial_state=saved)
    def rename(name: str) -> dict[str, str]:
        return {"name": name}

    @app.get("/p")
    def page() -> str:
        return render_template_string("{{ server_form(f) }}", f=rename)

    action = form_action(client.get("/p").text)
    down["db"] = True
    r = client.post(action, data={}, headers=HTMX)  # invalid: the state is needed
    assert r.status_code == 500
    assert "Something went wrong on our side" in r.text and "Traceback" not in r.text
    error_id = re.search(r"Error ([0-9a-f]{8})", r.text)
    assert error_id and error_id.group(1) in caplog.text and "database unavailable" in caplog.text
    # a valid call does not need it, and runs
    ok = client.post(action, data={"name": "Bea"}, headers=HTMX)
    assert ok.status_code == 200 and _state(ok.text) == {"name": "Bea"}
