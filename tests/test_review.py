"""Bugs found in review, one test each.

The tests without a marker failed before their fix. The ``xfail(strict=True)``
ones document bugs left open (see the reason on each): they fail today, and the
marker must go when the bug is fixed.
"""

from __future__ import annotations

import datetime
import io
import re
import secrets
import typing as t
import warnings

import pytest
from flask import Blueprint, Flask, abort, render_template_string
from flask.testing import FlaskClient
from jinja2 import DictLoader
from marshmallow import Schema
from werkzeug.datastructures import FileStorage

from flask_server_functions import ServerFunctions
from flask_server_functions.extension import app_state
from flask_server_functions.functions import ServerFunction
from flask_server_functions.idempotency import MemoryStore
from flask_server_functions.schemas import File
from flask_server_functions.testing import call_function

from .conftest import HTMX, form_action, landed, landing_of, url_for_ref

TEMPLATES = {
    "text.html": "<input {{ form.attrs('text') }}>{{ form.errors_for('text') }}",
    "photo.html": (
        "<input {{ form.attrs('caption') }}><input type=file name=image>"
        "{{ form.errors_for('image') }}"
    ),
    "counter.html": (
        "<output>{{ form.state.count }}</output><input {{ form.attrs('note') }}>"
        "{{ form.errors_for('note') }}"
    ),
    "renamed.html": (
        "<input {{ form.attrs('text', value=form.state.text) }}>{{ form.errors_for('text') }}"
    ),
}


@pytest.fixture
def app(app: Flask) -> Flask:
    app.jinja_loader = DictLoader({**app.jinja_loader.mapping, **TEMPLATES})  # type: ignore[union-attr]
    return app


def hidden(html: str, name: str) -> str:
    return t.cast(str, re.search(rf'name="{name}" value="([^"]*)"', html).group(1))  # type: ignore[union-attr]


@pytest.fixture
def echo(sf: ServerFunctions) -> ServerFunction[t.Any]:
    @sf.function(template="name_form.html")
    def echo(name: str) -> dict[str, str]:
        return {"name": name}

    return echo


# -- A Referer that urlsplit cannot parse: 500 before the fix ----------------------


@pytest.mark.parametrize("referer", ["http://[", "http://[abc]/"])
def test_unparseable_referer_is_403_not_500(app: Flask, client: FlaskClient, echo, referer) -> None:  # type: ignore[no-untyped-def]
    response = client.post(url_for_ref(app, echo), data={"name": "x"}, headers={"Referer": referer})
    assert response.status_code == 403


def test_unparseable_referer_after_a_valid_origin_falls_back_to_root(
    app: Flask, client: FlaskClient, echo
) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        url_for_ref(app, echo),
        data={"name": "x"},
        headers={"Origin": "http://localhost", "Referer": "http://["},
    )
    assert response.status_code == 303 and landed(response) == "/"


# -- The Referer fallback of the permalink could leave the site --------------------


@pytest.mark.parametrize("path", ["//evil.example/x", "/\\evil.example/x"])
def test_referer_fallback_never_redirects_off_site(
    app: Flask, client: FlaskClient, echo, path: str
) -> None:  # type: ignore[no-untyped-def]
    # A form written by hand (no _sf_next) on a page whose URL starts with "//".
    response = client.post(
        url_for_ref(app, echo),
        data={"name": "x"},
        headers={"Origin": "http://localhost", "Referer": f"http://localhost{path}"},
    )
    assert response.status_code == 303 and landed(response) == "/"


# -- One function under two names: the second took over the first's tokens --------


def test_same_function_under_two_names_is_refused(sf: ServerFunctions) -> None:
    def delete(note_id: int) -> str:
        return "deleted"

    sf.function(name="admin_delete", template="name_form.html", require=lambda: False)(delete)
    # Before the fix this succeeded, and admin_delete's tokens then ran `other`,
    # without admin_delete's guard.
    with pytest.raises(ValueError, match="already registered"):
        sf.function(name="other", template="name_form.html")(delete)


# -- A schema field the schema lets be left out but the function needs: 500 -------


def test_optional_schema_field_the_function_needs_is_422_not_500(
    app: Flask, client: FlaskClient, sf: ServerFunctions
) -> None:
    class Photo(Schema):  # the guide's upload example: File() is not required
        image = File(max_size=2_000_000, content_types=["image/*"])

    @sf.function(template="photo.html", schema=Photo)
    def upload_photo(image: FileStorage) -> str:
        return "saved"

    url = url_for_ref(app, upload_photo)
    no_file = {"image": (io.BytesIO(b""), "")}  # "no file chosen"
    response = client.post(url, data=no_file, headers=HTMX, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "This field is required." in response.text
    response = client.post(url, data={}, headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.json == {
        "state": None,
        "errors": {"image": ["This field is required."]},
    }


# -- A refused call re-read the body under the app's limit, not the function's -----


def test_refusal_keeps_input_within_the_function_max_body(
    app: Flask, client: FlaskClient, sf: ServerFunctions
) -> None:
    app.config["SERVER_FUNCTIONS_MAX_BODY"] = 1000

    @sf.function(template="photo.html", max_body=100_000)
    def upload(caption: str, image: FileStorage) -> str:
        abort(409)

    data = {"caption": "my holiday", "image": (io.BytesIO(b"x" * 5000), "a.png")}
    response = client.post(
        url_for_ref(app, upload), data=data, headers=HTMX, content_type="multipart/form-data"
    )
    assert response.status_code == 409
    assert 'value="my holiday"' in response.text


# -- A refused call reset the form's state to the initial state --------------------


def test_refusal_keeps_the_previous_state(
    app: Flask, client: FlaskClient, sf: ServerFunctions
) -> None:
    @sf.function(template="counter.html", initial_state={"count": 0})
    def counter(state: t.Any, note: str = "", fail: bool = False) -> dict[str, int]:
        if fail:
            abort(409)
        return {"count": state["count"] + 1}

    url = url_for_ref(app, counter)
    with app.test_request_context("/"):
        five = app_state(app).codec.dumps_state({"count": 5}, counter.reference.key)
    response = client.post(url, data={"_sf_state": five, "fail": "on", "note": "hi"}, headers=HTMX)
    assert response.status_code == 409
    assert "<output>5</output>" in response.text and 'value="hi"' in response.text
    # and the form carries that state on, not the initial one
    response = client.post(
        url, data={"_sf_state": hidden(response.text, "_sf_state")}, headers=HTMX
    )
    assert "<output>6</output>" in response.text


# -- States the session takes (dates, decimals) failed after the function ran -----


def test_idempotent_function_with_a_date_state(
    app: Flask, client: FlaskClient, sf: ServerFunctions
) -> None:
    calls = []

    @sf.function(template="name_form.html", idempotent=True)
    def book(name: str) -> dict[str, t.Any]:
        calls.append(name)
        return {"on": datetime.date(2024, 1, 2)}

    @app.get("/book")
    def page() -> str:
        return render_template_string("{{ server_form(server_functions.book) }}")

    html = client.get("/book").text
    data = {"name": "Ada", "_sf_once": hidden(html, "_sf_once")}
    first = client.post(form_action(html), data=data, headers=HTMX)
    again = client.post(form_action(html), data=data, headers=HTMX)
    assert (first.status_code, again.status_code) == (200, 200)
    assert calls == ["Ada"]


def test_stateful_function_with_a_date_state(
    app: Flask, client: FlaskClient, sf: ServerFunctions
) -> None:
    @sf.function(template="name_form.html")
    def remember(state: t.Any, name: str) -> dict[str, t.Any]:
        return {"on": datetime.date(2024, 1, 2), "name": name}

    response = client.post(url_for_ref(app, remember), data={"name": "Ada"}, headers=HTMX)
    assert response.status_code == 200 and 'name="_sf_state"' in response.text


# -- SERVER_FUNCTIONS_IDEMPOTENCY_STORE set after init_app was ignored --------------


def test_idempotency_store_set_after_init_app_is_used(app: Flask) -> None:
    store = MemoryStore()
    app.config["SERVER_FUNCTIONS_IDEMPOTENCY_STORE"] = store
    assert app_state(app).idempotency_store is store


# -- g outlives requests inside a pushed app context -------------------------------


def test_g_is_per_request_inside_a_pushed_app_context(
    app: Flask, client: FlaskClient, sf: ServerFunctions
) -> None:
    @sf.function(template="text.html")
    def note(text: str, n: int) -> dict[str, str]:
        return {"text": text}

    @app.get("/<name>")
    def page(name: str) -> str:
        return render_template_string("{{ server_form(server_functions.note) }}")

    with app.app_context():  # as a Flask-SQLAlchemy test fixture does
        action = form_action(client.get("/a").text)
        client.post(action, data={"text": "t", "n": "1", "_sf_next": "/a"}, headers=HTMX)
        assert landing_of(client.get("/b").text) == "/b"  # was "/a"

        client.post(action, data={"text": "typed", "n": "x", "_sf_next": "/a"})  # no JS, 422
        assert 'value="typed"' in client.get("/a").text
        assert 'value="typed"' not in client.get("/a").text  # kept for one request only


# -- call_function sent no Origin: 403 with SERVER_FUNCTIONS_MISSING_ORIGIN="deny" --


def test_call_function_with_missing_origin_deny(app: Flask, client: FlaskClient, echo) -> None:  # type: ignore[no-untyped-def]
    app.config["SERVER_FUNCTIONS_MISSING_ORIGIN"] = "deny"  # as docs/security.md advises
    result = call_function(client, echo, {"name": "Ada"})
    assert result.ok and result.state == {"name": "Ada"}
    result = call_function(client, echo, {"name": "Ada"}, headers={"Origin": "http://evil.example"})
    assert result.status == 403 and not result.called


# == Found open, fixed since ========================================================


def test_long_input_without_js_fits_in_the_session_cookie(
    app: Flask, client: FlaskClient, sf: ServerFunctions
) -> None:
    @sf.function(template="text.html")
    def post(text: str, n: int) -> None: ...

    @app.get("/long")
    def page() -> str:
        return render_template_string("{{ server_form(server_functions.post) }}")

    text = secrets.token_urlsafe(3000)  # ~4000 characters of incompressible text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Werkzeug: "The 'session' cookie is too large"
        response = client.post(
            url_for_ref(app, post), data={"text": text, "n": "x", "_sf_next": "/long"}
        )
    assert response.status_code == 303
    assert len(response.headers["Set-Cookie"]) <= 4093
    # and the page after the redirect shows the long text, kept
    landed = client.get(response.headers["Location"])
    assert f'value="{text}"' in landed.text
    assert client.get(response.headers["Location"]).text.count(text) == 0  # one request only


def test_group_on_a_nested_blueprint(app: Flask, client: FlaskClient, sf: ServerFunctions) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, url_prefix="/c")
    group = sf.group("child", blueprint=child)

    @group.function(template="name_form.html")
    def nested(name: str) -> str:
        return name

    parent.register_blueprint(child)
    app.register_blueprint(parent)

    @app.get("/nested")
    def page() -> str:
        return render_template_string("{{ server_form(server_functions.nested) }}")

    action = form_action(client.get("/nested").text)
    assert client.post(action, data={"name": "x"}, headers=HTMX).status_code == 200


def test_custom_form_id_survives_an_htmx_swap(app: Flask, client: FlaskClient, echo) -> None:  # type: ignore[no-untyped-def]
    @app.get("/two")
    def page() -> str:
        return render_template_string(
            "{{ server_form(server_functions.echo, id='top') }}"
            "{{ server_form(server_functions.echo, id='bottom') }}"
        )

    html = client.get("/two").text
    assert 'id="top-name"' in html and 'id="bottom-name"' in html
    response = client.post(form_action(html), data={"name": "x"}, headers=HTMX)
    assert 'id="top-name"' in response.text


def test_idempotency_key_header_is_not_shared_between_clients(
    app: Flask, sf: ServerFunctions
) -> None:
    calls = []

    @sf.function(template="name_form.html", idempotent=True)
    def pay(name: str) -> dict[str, str]:
        calls.append(name)
        return {"paid_by": name}

    url = url_for_ref(app, pay)
    headers = {"Accept": "application/json", "Idempotency-Key": "1"}
    app.test_client().post(url, data={"name": "Ada"}, headers=headers)
    response = app.test_client().post(url, data={"name": "Mallory"}, headers=headers)
    assert calls == ["Ada", "Mallory"]
    assert response.json["state"] == {"paid_by": "Mallory"}  # type: ignore[index]


def test_function_named_add_is_reachable_from_templates(app: Flask, sf: ServerFunctions) -> None:
    @sf.function
    def add(a: int, b: int) -> int:
        return a + b

    with app.test_request_context("/"):
        assert render_template_string("{{ server_function_url(server_functions.add) }}")


def test_form_initial_state_survives_invalid_input(
    app: Flask, client: FlaskClient, sf: ServerFunctions
) -> None:
    @sf.function(template="renamed.html")
    def rename(note_id: int, text: str, n: int) -> dict[str, str]:
        return {"text": text}

    @app.get("/note")
    def page() -> str:
        return render_template_string(
            "{{ server_form(server_functions.rename.bind(note_id=1),"
            " initial_state={'text': 'old text'}) }}"
        )

    html = client.get("/note").text
    assert 'value="old text"' in html
    # the user clears nothing, only an unrelated field is invalid; the browser sends
    # the form's hidden fields, the signed state among them
    hidden = dict(re.findall(r'type="hidden" name="(_sf_\w+)" value="([^"]*)"', html))
    assert "_sf_state" in hidden
    response = client.post(form_action(html), data={"n": "x", **hidden}, headers=HTMX)
    assert response.status_code == 422 and 'value="old text"' in response.text
