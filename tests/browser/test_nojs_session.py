"""No-JS submissions on a page that stores nothing in the session, in a real Chromium
with JavaScript off: the first result rides in a one-time key (the browser has no
session cookie yet); once the browser has kept the cookie, later ones use it.
"""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask, render_template_string
from jinja2 import DictLoader

from flask_server_functions import ServerFunctions

from .conftest import LiveServer

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the ``browser`` fixture skips (or fails in CI) with the reason
    pass

pytestmark = pytest.mark.browser

FORM = (
    '<label for="{{ form.field_id("name") }}">Name</label>'
    '<input {{ form.attrs("name") }}>{{ form.errors_for("name") }}'
    "<button>Save</button>"
    '{% if form.state %}<p role="status">Saved {{ form.state }}.</p>{% endif %}'
)


def small_app() -> Flask:
    """One page, one plain (not idempotent) form: nothing puts the session in use."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="browser-session", TESTING=True)
    app.jinja_loader = DictLoader({"name.html": FORM})  # type: ignore[assignment]
    sf = ServerFunctions(app)

    @sf.function(template="name.html")
    def save_name(name: str) -> str:
        return name

    @app.get("/")
    def index() -> str:
        return render_template_string(
            "<!doctype html><html lang=en><title>Name</title>"
            "<main>{{ server_form(server_functions.save_name) }}</main></html>"
        )

    return app


@pytest.fixture(scope="module")
def small_server() -> t.Iterator[LiveServer]:
    server = LiveServer(small_app())
    server.start()
    yield server
    server.stop()


def test_once_the_cookie_is_kept_results_land_on_a_clean_url(
    nojs_page: Page, small_server: LiveServer
) -> None:
    page = nojs_page
    page.goto(small_server.url + "/")
    assert page.context.cookies() == []  # the page itself sets none
    status = page.get_by_role("status")
    name = page.get_by_role("textbox", name="Name")
    name.fill("Ada")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(status).to_have_text("Saved Ada.")
    assert "?_sf_kept=" in page.url  # a first submission: no cookie came with it
    assert [c["name"] for c in page.context.cookies()] == ["session"]
    for typed in ("Grace", "Edsger"):
        name.fill(typed)
        with page.expect_navigation():
            page.get_by_role("button", name="Save").click()
        expect(status).to_have_text(f"Saved {typed}.")
        assert page.url == small_server.url + "/"  # the session carried it
    page.reload()
    expect(status).to_have_count(0)  # shown once
