"""Validate-only calls (Laravel Precognition's protocol): the schema runs, the function never."""

from __future__ import annotations

import re
import typing as t

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from flask_server_functions import ServerFunctions

from .conftest import HTMX, url_for_ref

calls: list[dict[str, t.Any]] = []
PRECOG = {"Precognition": "true"}


class SignUp(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=10))
    password = fields.String(required=True, load_only=True)
    confirm = fields.String(required=True, load_only=True)

    @validates_schema
    def same(self, data: dict[str, t.Any], **kwargs: t.Any) -> None:
        if data["password"] != data["confirm"]:
            raise ValidationError("The passwords differ.")


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()


@pytest.fixture
def sign_up(sf: ServerFunctions):  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html", schema=SignUp, idempotent=True)
    def sign_up(name: str, password: str, confirm: str):  # type: ignore[no-untyped-def]
        calls.append({"name": name})
        return {"name": name}

    return sign_up


@pytest.fixture
def guarded(sf: ServerFunctions):  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html", require=lambda: False)
    def guarded(name: str):  # type: ignore[no-untyped-def]
        calls.append({"name": name})

    return guarded


VALID = {"name": "Ada", "password": "pw", "confirm": "pw"}


def test_valid_is_204_with_success_and_never_calls(
    app: Flask, client: FlaskClient, sign_up: t.Any
) -> None:
    r = client.post(url_for_ref(app, sign_up), data=VALID, headers=PRECOG)
    assert r.status_code == 204
    assert r.headers["Precognition"] == "true"
    assert r.headers["Precognition-Success"] == "true"
    assert "Precognition" in r.headers["Vary"]
    assert r.data == b""
    assert calls == []


def test_invalid_is_422_with_errors_as_json(
    app: Flask, client: FlaskClient, sign_up: t.Any
) -> None:
    r = client.post(url_for_ref(app, sign_up), data={"name": "x" * 11}, headers=PRECOG)
    assert r.status_code == 422
    assert r.headers["Precognition"] == "true"
    assert "Precognition-Success" not in r.headers
    body = r.get_json()
    assert set(body["errors"]) == {"name", "password", "confirm"}
    assert body["message"] == body["errors"]["name"][0]
    assert calls == []


def test_only_the_named_fields_are_answered(
    app: Flask, client: FlaskClient, sign_up: t.Any
) -> None:
    url = url_for_ref(app, sign_up)
    only = {**PRECOG, "Precognition-Validate-Only": "name"}
    # Untouched fields (empty passwords) are not reported while the name is valid.
    r = client.post(url, data={"name": "Ada"}, headers=only)
    assert r.status_code == 204
    r = client.post(url, data={"name": ""}, headers=only)
    assert r.status_code == 422 and set(r.get_json()["errors"]) == {"name"}


def test_cross_field_rule_runs_only_when_all_its_fields_are_named(
    app: Flask, client: FlaskClient, sign_up: t.Any
) -> None:
    url = url_for_ref(app, sign_up)
    data = {"name": "Ada", "password": "one", "confirm": "two"}
    some = {**PRECOG, "Precognition-Validate-Only": "name,password"}
    assert client.post(url, data=data, headers=some).status_code == 204
    every = {**PRECOG, "Precognition-Validate-Only": "name, password, confirm"}
    r = client.post(url, data=data, headers=every)
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"_form": ["The passwords differ."]}


def test_htmx_gets_the_error_elements_as_html(
    app: Flask, client: FlaskClient, sign_up: t.Any
) -> None:
    url = url_for_ref(app, sign_up)
    headers = {**PRECOG, **HTMX, "Precognition-Validate-Only": "name"}
    r = client.post(url, data={"name": "x" * 11}, headers=headers)
    assert r.status_code == 422
    assert r.headers["Precognition"] == "true"
    html = r.get_data(as_text=True)
    assert re.search(r'<[a-z]+ class="sf-error" id="[^"]+-name-error"', html), html
    assert "password" not in html
    r = client.post(url, data={"name": "Ada"}, headers=headers)
    assert r.status_code == 200 and r.headers["Precognition-Success"] == "true"
    assert "sf-error" not in r.get_data(as_text=True)
    assert calls == []


def test_guards_refuse_validate_only_calls_too(
    app: Flask, client: FlaskClient, guarded: t.Any
) -> None:
    url = url_for_ref(app, guarded)
    for headers in (PRECOG, {**PRECOG, **HTMX}):
        r = client.post(url, data={"name": ""}, headers=headers)
        assert r.status_code == 403
        assert r.headers["Precognition"] == "true"
        # The refusal says nothing about the input: no field errors leak.
        html = r.get_data(as_text=True)
        assert "-name-error" not in html and "errors" not in html
    assert calls == []


def test_origin_and_token_checks_apply(app: Flask, client: FlaskClient, sign_up: t.Any) -> None:
    url = url_for_ref(app, sign_up)
    r = client.post(url, data=VALID, headers={**PRECOG, "Origin": "https://evil.example"})
    assert r.status_code == 403 and r.headers["Precognition"] == "true"
    r = client.post(url[:-3] + "xyz", data=VALID, headers=PRECOG)
    assert r.status_code == 400 and r.headers["Precognition"] == "true"
    assert calls == []


def test_never_consumes_or_replays_the_one_time_key(
    app: Flask, client: FlaskClient, sign_up: t.Any
) -> None:
    with app.test_request_context("/"):
        html = render_template_string("{{ server_form(fn) }}", fn=sign_up)
    url = re.search(r'action="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    once = re.search(r'name="_sf_once" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    data = {**VALID, "_sf_once": once}
    for _ in range(3):
        assert client.post(url, data=data, headers=PRECOG).status_code == 204
    # The real submission still runs once, with the same key...
    assert client.post(url, data=data, headers=HTMX).status_code == 200
    assert len(calls) == 1
    # ...and a validate-only call after it is validated, not answered from the store.
    r = client.post(url, data={**data, "name": ""}, headers=PRECOG)
    assert r.status_code == 422
    assert len(calls) == 1


def test_without_the_header_nothing_changes(
    app: Flask, client: FlaskClient, sign_up: t.Any
) -> None:
    r = client.post(url_for_ref(app, sign_up), data=VALID, headers=HTMX)
    assert r.status_code == 200 and "Precognition" not in r.headers
    assert calls == [{"name": "Ada"}]
