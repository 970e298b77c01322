"""The endpoint, through Flask's real request handling: htmx, no-JS and JSON paths."""

from __future__ import annotations

import logging

import pytest
from flask import Flask, abort, redirect, render_template
from flask.testing import FlaskClient
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from flask_server_functions import ServerFunctions

from .conftest import HTMX, form_action, landed, landing_of, token_url

calls: list[dict] = []


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


@pytest.fixture
def update_name(sf: ServerFunctions):  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def update_name(name: str):  # type: ignore[no-untyped-def]
        calls.append({"name": name})
        if not name:
            return {"error": "Name is required"}
        return {"error": None, "name": name}

    return update_name


@pytest.fixture
def page(app: Flask):  # type: ignore[no-untyped-def]
    refs: list = []

    @app.get("/page")
    def show_page() -> str:
        return render_template("page.html", refs=refs)

    return refs


def test_htmx_post_returns_the_rerendered_partial(client: FlaskClient, update_name, page) -> None:  # type: ignore[no-untyped-def]
    page.append(update_name)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"name": "Ada", "_sf_next": "/page"}, headers=HTMX)
    assert r.status_code == 200
    assert calls == [{"name": "Ada"}]
    assert '{"error": null, "name": "Ada"}' in r.text
    # success resets the form: the input comes back empty
    assert 'name="name" id="sf-' in r.text and 'value=""' in r.text
    assert "<form" not in r.text  # the inside of the form, swapped with innerHTML


def test_htmx_error_state_from_function(client: FlaskClient, update_name, page) -> None:  # type: ignore[no-untyped-def]
    page.append(update_name)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"name": ""}, headers=HTMX)
    assert r.status_code == 200
    assert "Name is required" in r.text


def test_validation_error_keeps_values_and_does_not_call(
    sf: ServerFunctions, client: FlaskClient, page
) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def set_age(name: str, age: int):  # type: ignore[no-untyped-def]
        calls.append({"age": age})
        return {"age": age}

    page.append(set_age)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"name": "Ada <b>", "age": "old"}, headers=HTMX)
    assert r.status_code == 422
    assert calls == []
    assert 'value="Ada &lt;b&gt;"' in r.text  # typed value kept, escaped
    assert "aria-invalid" not in r.text.split('name="name"')[1].split(">")[0]


def test_validation_error_marks_field(sf: ServerFunctions, client: FlaskClient, page) -> None:  # type: ignore[no-untyped-def]
    class NameSchema(Schema):
        name = fields.String(required=True, validate=validate.Length(min=2, error="Too short."))

    @sf.function(template="name_form.html", schema=NameSchema)
    def short(name: str):  # type: ignore[no-untyped-def]
        calls.append(name)

    page.append(short)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"name": "A"}, headers=HTMX)
    assert r.status_code == 422
    assert calls == []
    assert 'value="A" aria-invalid="true" aria-describedby="sf-' in r.text
    assert "autofocus" in r.text
    assert '-name-error">Too short.</div>' in r.text


def test_missing_required_field(sf: ServerFunctions, client: FlaskClient, page) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def needs(name: str):  # type: ignore[no-untyped-def]
        calls.append(name)

    page.append(needs)
    r = client.post(form_action(client.get("/page").text), data={}, headers=HTMX)
    assert r.status_code == 422
    assert "This field is required." in r.text
    assert calls == []


def test_no_js_post_redirects_303_and_keeps_state_for_one_request(
    client: FlaskClient, update_name, page
) -> None:  # type: ignore[no-untyped-def]
    page.append(update_name)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"name": "Grace", "_sf_next": "/page"})
    assert r.status_code == 303
    assert landed(r) == "/page"
    assert calls == [{"name": "Grace"}]
    shown = client.get("/page").text
    assert '"name": "Grace"' in shown
    # exactly one request: a reload shows the initial state again, and runs nothing
    again = client.get("/page").text
    assert '"name": "Grace"' not in again
    assert calls == [{"name": "Grace"}]


def test_no_js_validation_error_keeps_values_after_redirect(
    sf: ServerFunctions, client: FlaskClient, page
) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def set_age(name: str, age: int):  # type: ignore[no-untyped-def]
        calls.append(age)

    page.append(set_age)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"name": "Typed text", "age": "x", "_sf_next": "/page"})
    assert r.status_code == 303
    html = client.get("/page").text
    assert 'value="Typed text"' in html
    assert "Enter a whole number." in html
    assert calls == []


def test_permalink_and_unsafe_next(client: FlaskClient, update_name, app: Flask) -> None:  # type: ignore[no-untyped-def]
    @app.get("/p")
    def p() -> str:
        from flask import render_template_string

        return render_template_string(
            "{{ server_form(fn, permalink='/done?x=1') }}", fn=update_name
        )

    html = client.get("/p").text
    assert landing_of(html) == "/done?x=1"
    assert landed(client.post(form_action(html), data={"name": "a"})) == "/done?x=1"
    url = token_url(form_action(html))
    for evil in (
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        r = client.post(url, data={"name": "a", "_sf_next": evil})
        assert r.status_code == 303
        assert landed(r) == "/", evil


def test_boosted_request_takes_the_page_path(client: FlaskClient, update_name, page) -> None:  # type: ignore[no-untyped-def]
    page.append(update_name)
    url = form_action(client.get("/page").text)
    r = client.post(
        url, data={"name": "B", "_sf_next": "/page"}, headers={**HTMX, "HX-Boosted": "true"}
    )
    assert r.status_code == 303


def test_bound_values_reach_the_function_and_cannot_be_overridden(
    sf: ServerFunctions, client: FlaskClient, page
) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def rename(note_id: int, name: str):  # type: ignore[no-untyped-def]
        calls.append({"note_id": note_id, "name": name})
        return {"ok": True}

    page.append(rename.bind(note_id=7))
    html = client.get("/page").text
    assert "note_id" not in html and "rename" not in html
    r = client.post(form_action(html), data={"name": "x", "note_id": "99"}, headers=HTMX)
    assert r.status_code == 200
    assert calls == [{"note_id": 7, "name": "x"}]


def test_previous_state_is_passed_and_signed(
    sf: ServerFunctions, client: FlaskClient, page
) -> None:  # type: ignore[no-untyped-def]
    import re

    @sf.function(template="name_form.html", initial_state={"count": 0})
    def increment(state):  # type: ignore[no-untyped-def]
        return {"count": state["count"] + 1}

    page.append(increment)
    html = client.get("/page").text
    url = form_action(html)
    assert "_sf_state" not in html  # the initial state: the server has it
    r = client.post(url, headers=HTMX)
    assert '{"count": 1}' in r.text
    signed = re.search(r'name="_sf_state" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    r = client.post(url, data={"_sf_state": signed}, headers=HTMX)
    assert '{"count": 2}' in r.text
    r = client.post(url, data={"_sf_state": signed[:-3] + "abc"}, headers=HTMX)
    assert r.status_code == 400


def test_explicit_schema_with_data_parameter(
    sf: ServerFunctions, client: FlaskClient, page
) -> None:  # type: ignore[no-untyped-def]
    class S(Schema):
        a = fields.Integer(required=True)
        b = fields.Integer(load_default=5)

    @sf.function(template="name_form.html", schema=S)
    def total(data):  # type: ignore[no-untyped-def]
        return {"sum": data["a"] + data["b"]}

    page.append(total)
    r = client.post(form_action(client.get("/page").text), data={"a": "2"}, headers=HTMX)
    assert '{"sum": 7}' in r.text


def test_validation_error_raised_inside_function(
    sf: ServerFunctions, client: FlaskClient, page
) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def taken(name: str):  # type: ignore[no-untyped-def]
        raise ValidationError({"name": ["That name is taken."]})

    page.append(taken)
    r = client.post(form_action(client.get("/page").text), data={"name": "ada"}, headers=HTMX)
    assert r.status_code == 422
    assert "That name is taken." in r.text and 'value="ada"' in r.text


def test_exception_is_logged_and_shown_safely(
    sf: ServerFunctions, client: FlaskClient, page, caplog
) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def broken(name: str):  # type: ignore[no-untyped-def]
        raise RuntimeError("database password is hunter2")

    page.append(broken)
    url = form_action(client.get("/page").text)
    with caplog.at_level(logging.ERROR, logger="flask_server_functions"):
        r = client.post(url, data={"name": "kept"}, headers=HTMX)
    assert r.status_code == 500
    assert "hunter2" not in r.text and "Traceback" not in r.text
    assert 'value="kept"' in r.text
    error_id = r.text.split("(Error ")[1].split(")")[0]
    assert len(error_id) == 8
    record = caplog.records[-1]
    assert "broken" in record.getMessage() and error_id in record.getMessage()


def test_abort_inside_function_keeps_status(sf: ServerFunctions, client: FlaskClient, page) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def forbidden(name: str):  # type: ignore[no-untyped-def]
        abort(403)

    page.append(forbidden)
    r = client.post(form_action(client.get("/page").text), data={"name": "x"}, headers=HTMX)
    assert r.status_code == 403


def test_redirect_from_function(sf: ServerFunctions, client: FlaskClient, page) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def go(name: str):  # type: ignore[no-untyped-def]
        return redirect("/elsewhere")

    page.append(go)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"name": "x"}, headers=HTMX)
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/elsewhere"
    r = client.post(url, data={"name": "x"})
    assert r.status_code == 303 and landed(r) == "/elsewhere"


def test_json_call(client: FlaskClient, update_name, page) -> None:  # type: ignore[no-untyped-def]
    page.append(update_name)
    url = form_action(client.get("/page").text)
    r = client.post(url, json={"name": "Json"}, headers={"Accept": "application/json"})
    assert r.status_code == 200
    assert r.get_json() == {"state": {"error": None, "name": "Json"}, "errors": None}
    r = client.post(url, json={}, headers={"Accept": "application/json"})
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"name": ["This field is required."]}


def test_async_function(sf: ServerFunctions, client: FlaskClient, page) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    async def slow_hello(name: str):  # type: ignore[no-untyped-def]
        return {"hello": name}

    page.append(slow_hello)
    r = client.post(form_action(client.get("/page").text), data={"name": "async"}, headers=HTMX)
    assert '{"hello": "async"}' in r.text


def test_refresh_renders_other_parts(
    sf: ServerFunctions, client: FlaskClient, page, app: Flask
) -> None:  # type: ignore[no-untyped-def]
    from jinja2 import DictLoader

    app.jinja_loader = DictLoader(  # type: ignore[assignment]
        {**app.jinja_loader.mapping, "count.html": "<b>{{ form.state.n }}</b>"}  # type: ignore[union-attr]
    )

    @sf.function(template="name_form.html", refresh={"counter": "count.html"})
    def bump(name: str):  # type: ignore[no-untyped-def]
        return {"n": 3}

    page.append(bump)
    r = client.post(form_action(client.get("/page").text), data={"name": "x"}, headers=HTMX)
    assert '<hx-partial hx-target="#counter" hx-swap="innerHTML"><b>3</b></hx-partial>' in r.text


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_wrong_methods(client: FlaskClient, update_name, page, method: str) -> None:  # type: ignore[no-untyped-def]
    page.append(update_name)
    url = form_action(client.get("/page").text)
    assert getattr(client, method)(url).status_code == 405
    assert calls == []


@pytest.mark.parametrize(
    "mangle",
    [lambda u: u[:-1], lambda u: u[:12], lambda u: u + "x", lambda u: u.replace(".", "!", 1)],
    ids=["last-char", "truncated", "appended", "bad-char"],
)
def test_bad_tokens_are_400_with_plain_message(
    client: FlaskClient, update_name, page, mangle
) -> None:  # type: ignore[no-untyped-def]
    page.append(update_name)
    url = token_url(form_action(client.get("/page").text))
    r = client.post(mangle(url), data={"name": "x"}, headers=HTMX)
    assert r.status_code == 400
    assert "Reload the page" in r.text
    assert "Traceback" not in r.text
    assert calls == []


def test_token_from_another_key_is_400(update_name, page, app: Flask) -> None:  # type: ignore[no-untyped-def]
    page.append(update_name)
    url = form_action(app.test_client().get("/page").text)
    app.config["SECRET_KEY"] = "another"
    app.extensions["server_functions"]._codec = None
    assert app.test_client().post(url, data={"name": "x"}, headers=HTMX).status_code == 400
    assert app.test_client().post(url, data={"name": "x"}).status_code == 303  # back, flashed
    assert calls == []


def test_key_rotation_keeps_old_pages_working(update_name, page, app: Flask) -> None:  # type: ignore[no-untyped-def]
    page.append(update_name.bind())
    url = form_action(app.test_client().get("/page").text)
    app.config["SECRET_KEY_FALLBACKS"] = [app.config["SECRET_KEY"]]
    app.config["SECRET_KEY"] = "rotated"
    app.extensions["server_functions"]._codec = None
    r = app.test_client().post(url, data={"name": "x"}, headers=HTMX)
    assert r.status_code == 200 and calls == [{"name": "x"}]


def test_unknown_function_is_404(update_name, page, app: Flask) -> None:  # type: ignore[no-untyped-def]
    codec = app.extensions["server_functions"].codec
    with app.test_request_context():
        url = f"/_sf/{codec.dumps('0123456789abcdef')}"
    client = app.test_client()
    r = client.post(url, data={"name": "x"}, headers=HTMX)
    assert r.status_code == 404
    assert "out of date" in r.text
    # without JS: back to the page, with the message flashed
    r = client.post(url, data={"name": "x", "_sf_next": "/page"})
    assert r.status_code == 303 and landed(r) == "/page"
    with client.session_transaction() as session:
        assert "out of date" in session["_flashes"][0][1]


def test_cross_origin_post_is_refused(client: FlaskClient, update_name, page) -> None:  # type: ignore[no-untyped-def]
    page.append(update_name)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"name": "x"}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = client.post(url, data={"name": "x"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    assert calls == []
    r = client.post(url, data={"name": "x"}, headers={"Origin": "http://localhost", **HTMX})
    assert r.status_code == 200


def test_trigger_header_on_success_only(sf: ServerFunctions, client: FlaskClient, page) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html", trigger=["notes-changed", "counted"])
    def add(name: str):  # type: ignore[no-untyped-def]
        return {"ok": True}

    page.append(add)
    url = form_action(client.get("/page").text)
    assert client.post(url, data={"name": "x"}, headers=HTMX).headers["HX-Trigger"] == (
        '{"notes-changed":{"target":"body"},"counted":{"target":"body"}}'
    )
    assert "HX-Trigger" not in client.post(url, data={}, headers=HTMX).headers


def test_file_upload(sf: ServerFunctions, client: FlaskClient, page) -> None:  # type: ignore[no-untyped-def]
    import io

    @sf.function(template="name_form.html", max_body=2000)
    def upload(name: str, doc: FileStorage | None = None):  # type: ignore[no-untyped-def]
        calls.append({"name": name, "doc": doc.read() if doc else None})
        return {"ok": True}

    page.append(upload)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"name": "a", "doc": (io.BytesIO(b"hello"), "h.txt")}, headers=HTMX)
    assert r.status_code == 200
    r = client.post(
        url, data={"name": "b", "doc": (io.BytesIO(b""), "")}, headers=HTMX
    )  # none chosen
    assert r.status_code == 200
    assert calls == [{"name": "a", "doc": b"hello"}, {"name": "b", "doc": None}]
    r = client.post(
        url, data={"name": "c", "doc": (io.BytesIO(b"x" * 5000), "big.txt")}, headers=HTMX
    )
    assert r.status_code == 413
    assert len(calls) == 2


def test_idn_host_same_origin_passes(client: FlaskClient, update_name, page) -> None:  # type: ignore[no-untyped-def]
    page.append(update_name)
    url = form_action(client.get("/page", headers={"Host": "xn--bcher-kva.example"}).text)
    r = client.post(
        url,
        data={"name": "x"},
        headers={**HTMX, "Host": "xn--bcher-kva.example", "Origin": "http://xn--bcher-kva.example"},
    )
    assert r.status_code == 200


def test_no_vary_cookie_without_a_session(client: FlaskClient, update_name, page) -> None:  # type: ignore[no-untyped-def]
    page.append(update_name)
    r = client.get("/page")
    assert "Cookie" not in r.headers.get("Vary", "")


def test_list_field_from_a_form(sf: ServerFunctions, client: FlaskClient, page) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def tag(tags: list[int]):  # type: ignore[no-untyped-def]
        return {"tags": tags}

    page.append(tag)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"tags": ["3", "1"]}, headers=HTMX)
    assert '{"tags": [3, 1]}' in r.text


def test_json_redirect_and_plain_response(sf: ServerFunctions, client: FlaskClient, page) -> None:  # type: ignore[no-untyped-def]
    from flask import Response

    @sf.function(template="name_form.html")
    def go(name: str):  # type: ignore[no-untyped-def]
        if name == "csv":
            return Response("a,b\n", mimetype="text/csv")
        return redirect("/next")

    page.append(go)
    url = form_action(client.get("/page").text)
    r = client.post(url, json={"name": "x"}, headers={"Accept": "application/json"})
    assert r.get_json() == {"redirect": "/next"}
    r = client.post(url, data={"name": "csv"}, headers=HTMX)
    assert r.status_code == 200 and r.mimetype == "text/csv" and r.text == "a,b\n"


def test_a_calls_partial_sees_flasks_context_and_the_apps_processors(
    sf: ServerFunctions, app: Flask, client: FlaskClient, page
) -> None:  # type: ignore[no-untyped-def]
    from flask import g
    from jinja2 import DictLoader

    app.jinja_loader = DictLoader(  # type: ignore[assignment]
        {
            "page.html": "{% for ref in refs %}{{ server_form(ref) }}{% endfor %}",
            "ctx.html": "{{ request.path }}|{{ g.who }}|{{ site }}|{{ config.SECRET_KEY }}",
        }
    )
    ran: list[str] = []

    @app.before_request
    def who() -> None:
        g.who = "ada"

    @app.context_processor
    def site() -> dict[str, str]:
        ran.append(site.__name__)
        return {"site": "example"}

    @sf.function(template="ctx.html")
    def show(name: str = "") -> str:
        return name

    page.append(show)
    url = form_action(client.get("/page").text)
    ran.clear()
    r = client.post(url, data={"_sf_next": "/page"}, headers=HTMX)
    assert r.status_code == 200
    assert r.text.endswith(f"{url.split('?')[0]}|ada|example|test-secret")
    assert ran == ["site"]  # once per call
