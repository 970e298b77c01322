"""A small app of its own (not the example) in a real Chromium, for what the example
cannot show:

* no-JS submissions on a page that stores nothing in the session (the example's
  one-time form keys put a client id there): the first result rides in a one-time
  key, since the browser has no session cookie yet; once the browser has kept the
  cookie, later ones use it and land on a clean URL;
* announcements read only what is rendered: status text inside a ``hidden``
  refreshed region, or ``display: none``, is not announced.
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
    '{% if form.state %}<p role="status">Saved {{ form.state }}.</p>'
    '<p role="status" style="display: none">Not shown: display none.</p>'
    '<p role="status" style="visibility: hidden">Not shown: visibility hidden.</p>'
    "{% endif %}"
)
#: A region the function refreshes, which the page keeps ``hidden``.
HISTORY = (
    '{% if form.state %}<p role="status">Not shown: {{ form.state }} in history.</p>{% endif %}'
)


def small_app() -> Flask:
    """One page, one plain (not idempotent) form: nothing puts the session in use."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="browser-session", TESTING=True)
    app.jinja_loader = DictLoader(  # type: ignore[assignment]
        {"name.html": FORM, "history.html": HISTORY}
    )
    sf = ServerFunctions(app)

    @sf.function(template="name.html", refresh={"history": "history.html"})
    def save_name(name: str) -> str:
        return name

    @app.get("/")
    def index() -> str:
        return render_template_string(
            "<!doctype html><html lang=en><head><title>Name</title>"
            "{{ server_functions_scripts() }}</head>"
            "<main>{{ server_form(server_functions.save_name) }}"
            '<section id="history" hidden></section></main></html>'
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
    # The marker cookie says this browser keeps cookies; the session that carried
    # nothing more once the result was taken is deleted.
    assert [(c["name"], c["value"]) for c in page.context.cookies()] == [("_sf", "1")]
    for typed in ("Grace", "Edsger"):
        name.fill(typed)
        with page.expect_navigation():
            page.get_by_role("button", name="Save").click()
        expect(status).to_have_text(f"Saved {typed}.")
        assert page.url == small_server.url + "/"  # the session carried it
    page.reload()
    expect(status).to_have_count(0)  # shown once


def test_only_rendered_status_text_is_announced(js_page: Page, small_server: LiveServer) -> None:
    page = js_page
    page.goto(small_server.url + "/")
    form = page.locator("form[data-sf-form]")
    expect(form).to_have_attribute("data-htmx-powered", "true")
    page.get_by_role("textbox", name="Name").fill("Ada")
    page.get_by_role("button", name="Save").click()
    live = page.locator(".sf-live[aria-live=polite]")
    expect(live).to_have_text("Saved Ada.")  # not the hidden ones beside it
    # the hidden ones are there (new since the call began), just not rendered
    expect(page.locator("#history [role=status]")).to_have_text("Not shown: Ada in history.")
    expect(form.locator("[role=status]")).to_have_count(3)


def test_without_check_visibility_hidden_regions_are_still_left_out(
    js_page: Page, small_server: LiveServer
) -> None:
    """Browsers without ``Element.checkVisibility`` (Safari before 17.4) fall back to
    ``getClientRects()``: ``display: none`` and ``hidden`` are left out (not
    ``visibility: hidden``, which still takes room)."""
    page = js_page
    page.add_init_script("delete Element.prototype.checkVisibility")
    page.goto(small_server.url + "/")
    expect(page.locator("form[data-sf-form]")).to_have_attribute("data-htmx-powered", "true")
    assert page.evaluate("typeof document.body.checkVisibility") == "undefined"
    page.get_by_role("textbox", name="Name").fill("Grace")
    page.get_by_role("button", name="Save").click()
    live = page.locator(".sf-live[aria-live=polite]")
    expect(live).to_contain_text("Saved Grace.")
    text = live.text_content() or ""
    assert "display none" not in text and "history" not in text, text
