"""Property tests: whatever a client sends to a server function, the answer is never a 500.

Random tokens (free text and mutations of a real one) and random bodies (form
fields, JSON values, raw bytes, under random content types) go through the test
client of an app with ``TESTING`` on, so an unhandled exception fails the example
outright and Hypothesis shrinks it. A refusal (4xx) must not have run the function.
"""

from __future__ import annotations

import json
import os
import typing as t
from urllib.parse import quote

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import DictLoader
from werkzeug.datastructures import MultiDict

from flask_server_functions import ServerFunctions

from .conftest import HTMX, TEMPLATES, form_action

calls: list[t.Any] = []

#: FUZZ_EXAMPLES=5000 for a longer hunt; 200 by default.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def fuzz_app() -> Flask:
    sf = ServerFunctions()

    @sf.function(template="name_form.html")
    def echo(name: str):  # type: ignore[no-untyped-def]
        calls.append(name)
        return {"name": name}

    @sf.function(template="name_form.html", initial_state={"n": 0})
    def typed(state, name: str, age: int, tags: list[str] | None = None):  # type: ignore[no-untyped-def]
        calls.append((name, age, tags))
        return {"n": 1}

    @sf.function(template="name_form.html")
    def bound(note_id: int, name: str = ""):  # type: ignore[no-untyped-def]
        calls.append(note_id)
        return {"name": name}

    app = Flask(__name__)
    app.config.update(SECRET_KEY="fuzz-secret", TESTING=True, SERVER_FUNCTIONS_MAX_BODY=64 * 1024)
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment]
    sf.init_app(app)

    @app.get("/page")
    def page() -> str:
        return render_template_string(
            TEMPLATES["page.html"], refs=[echo, typed, bound.bind(note_id=7)]
        )

    return app


@pytest.fixture(scope="module")
def urls(fuzz_app: Flask) -> list[str]:
    html = fuzz_app.test_client().get("/page").text
    return [form_action(html, i) for i in range(3)]


def _no_500(r: t.Any, ran_before: int) -> None:
    assert r.status_code < 500, (r.status_code, r.text[:500])
    if r.status_code >= 400 and r.status_code != 422:
        assert len(calls) == ran_before, "a refused request ran the function"


# --- tokens -----------------------------------------------------------------


def _mutate(token: str, data: st.DataObject) -> str:
    chars = list(token)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, max(len(chars) - 1, 0)))
        op = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        c = data.draw(st.sampled_from("AZaz09-_.~=+/%\\é\x00 "))
        if op == "replace" and chars:
            chars[i] = c
        elif op == "delete" and chars:
            del chars[i]
        else:
            chars.insert(i, c)
    return "".join(chars)


@FUZZ
@given(data=st.data())
def test_random_tokens_never_500(fuzz_app: Flask, urls: list[str], data: st.DataObject) -> None:
    real = data.draw(st.sampled_from(urls)).rsplit("/", 1)[1]
    token = data.draw(
        st.one_of(
            st.text(max_size=300),
            st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
            st.just(real).map(lambda tok: _mutate(tok, data)),
        ),
        label="token",
    )
    headers = data.draw(st.sampled_from([HTMX, {}, {"Accept": "application/json"}]))
    before = len(calls)
    r = fuzz_app.test_client().post(
        "/_sf/" + quote(token, safe=""), data={"name": "x", "age": "1"}, headers=headers
    )
    _no_500(r, before)
    if len(calls) > before:
        # what runs carries exactly what was signed (base64 may ignore a change to
        # the signature's padding bits, which is harmless)
        assert token.rsplit(".", 1)[0] == real.rsplit(".", 1)[0], token


# --- bodies -----------------------------------------------------------------

FIELD_NAMES = st.one_of(
    st.sampled_from(
        ["name", "age", "tags", "note_id", "_sf_next", "_sf_state", "_sf_once", "csrf_token"]
    ),
    st.text(max_size=20),
)
# Form fields: no surrogates (they cannot be sent as UTF-8 at all).
FORM_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
# JSON can escape anything, lone surrogates included.
JSON_TEXT = st.text(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=30)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_TEXT, inner, max_size=4),
    max_leaves=12,
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=x",
            "application/json",
            "application/json; charset=latin-1",
            "text/plain",
            "",
        ]
    ),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
)


def _pairs(data: st.DataObject) -> list[tuple[str, str]]:
    return data.draw(st.lists(st.tuples(FIELD_NAMES, FORM_TEXT), max_size=12), label="fields")


@FUZZ
@given(data=st.data())
def test_random_bodies_never_500(fuzz_app: Flask, urls: list[str], data: st.DataObject) -> None:
    url = data.draw(st.sampled_from(urls), label="url")
    headers = dict(data.draw(st.sampled_from([HTMX, {}, {"Accept": "application/json"}])))
    kind = data.draw(st.sampled_from(["form", "multipart", "json", "raw"]), label="kind")
    client: FlaskClient = fuzz_app.test_client()
    before = len(calls)
    if kind == "form":
        r = client.post(url, data=MultiDict(_pairs(data)), headers=headers)
    elif kind == "multipart":
        r = client.post(
            url, data=MultiDict(_pairs(data)), content_type="multipart/form-data", headers=headers
        )
    elif kind == "json":
        value = data.draw(
            st.one_of(
                st.dictionaries(FIELD_NAMES | JSON_TEXT, JSON_VALUES, max_size=8), JSON_VALUES
            ),
            label="json",
        )
        r = client.post(
            url, data=json.dumps(value), content_type="application/json", headers=headers
        )
    else:
        body = data.draw(st.binary(max_size=500), label="body")
        content_type = data.draw(CONTENT_TYPES, label="content_type")
        r = client.post(url, data=body, content_type=content_type, headers=headers)
    _no_500(r, before)
