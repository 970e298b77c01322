"""Refreshes that know the page: the page's URL and arguments, refreshes asked for at
run time, a group's refreshes, and the calling form inside a refreshed region."""

from __future__ import annotations

import typing as t

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from jinja2 import DictLoader

from flask_server_functions import ServerFunctions, current_page, refresh

from .conftest import HTMX, TEMPLATES, landed, url_for_ref

ITEMS = ["buy milk", "buy tea", "call mum"]
seen_pages: list[t.Any] = []

PAGE_TEMPLATES = {
    **TEMPLATES,
    "list.html": (
        "{% for item in items if page.args.get('q', '') in item %}<li>{{ item }}</li>{% endfor %}"
    ),
    "count.html": "{{ items | length }} items on {{ page.path }}",
    "with_form.html": "<div>{{ server_form(server_functions.add) }}</div>",
    "added.html": (
        "<input {{ form.attrs('text') }}>"
        "{% if form.state %}<p>Added {{ form.state }}</p>{% endif %}"
    ),
}


@pytest.fixture
def app(sf: ServerFunctions) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test-secret", TESTING=True)
    app.jinja_loader = DictLoader(PAGE_TEMPLATES)  # type: ignore[assignment]

    @app.context_processor
    def items() -> dict[str, t.Any]:
        return {"items": ITEMS}

    return app


@pytest.fixture
def add(sf: ServerFunctions, app: Flask):  # type: ignore[no-untyped-def]
    seen_pages.clear()

    @sf.function(template="added.html", refresh={"list": "list.html", "region": "with_form.html"})
    def add(text: str):  # type: ignore[no-untyped-def]
        seen_pages.append(current_page())
        if text == "more":
            refresh("count", "count.html")
        return text

    sf.init_app(app)
    return add


def region(html: str, element_id: str) -> str:
    """The contents of the ``<hx-partial>`` that refreshes ``#element_id``."""
    return html.split(f'hx-target="#{element_id}"')[1].split(">", 1)[1].split("</hx-partial>")[0]


def post(client: FlaskClient, url: str, text: str, page: str) -> str:
    r = client.post(url, data={"text": text, "_sf_next": page}, headers=HTMX)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_refresh_templates_and_the_function_see_the_page(
    app: Flask, client: FlaskClient, add: t.Any
) -> None:
    html = post(client, url_for_ref(app, add), "x", "/notes?q=buy")
    listed = region(html, "list")
    assert "<li>buy milk</li>" in listed and "<li>buy tea</li>" in listed
    assert "call mum" not in listed
    (page,) = seen_pages
    assert (page.url, page.path, page.args.getlist("q")) == ("/notes?q=buy", "/notes", ["buy"])


def test_a_function_asks_for_more_refreshes_at_run_time(
    app: Flask, client: FlaskClient, add: t.Any
) -> None:
    url = url_for_ref(app, add)
    assert 'hx-target="#count"' not in post(client, url, "x", "/")
    html = post(client, url, "more", "/board")
    assert region(html, "count") == "3 items on /board"
    # Asked for one call only: the next call does not inherit it.
    assert 'hx-target="#count"' not in post(client, url, "x", "/")


def test_the_calling_form_inside_a_refreshed_region_shows_its_answer(
    app: Flask, client: FlaskClient, add: t.Any
) -> None:
    html = post(client, url_for_ref(app, add), "tea", "/")
    assert "<p>Added tea</p>" in region(html, "region")
    # On a plain page render the form starts empty again.
    with app.test_request_context("/"):
        from flask import render_template

        assert "Added" not in render_template("with_form.html")


def test_a_group_refreshes_for_all_its_functions(sf: ServerFunctions, app: Flask) -> None:
    bp = Blueprint("board", __name__, url_prefix="/board")
    board = sf.group("board", blueprint=bp, refresh={"count": "count.html"})

    @board.function(template="added.html", refresh={"list": "list.html"})
    def add_card(text: str) -> str:
        return text

    app.register_blueprint(bp)
    sf.init_app(app)
    assert add_card.refresh == {"count": "count.html", "list": "list.html"}
    html = post(app.test_client(), url_for_ref(app, add_card), "x", "/board?q=call")
    assert "3 items on /board" in html and "<li>call mum</li>" in html


def test_htmx_current_url_is_the_page_when_it_is_this_site(
    app: Flask, client: FlaskClient, add: t.Any
) -> None:
    """A search (hx-push-url) changed the URL after the form was rendered: the refresh
    follows the URL the page shows now, and never a foreign one."""
    url = url_for_ref(app, add)
    data = {"text": "x", "_sf_next": "/"}
    r = client.post(url, data=data, headers={**HTMX, "HX-Current-URL": "http://localhost/?q=call"})
    assert region(r.get_data(as_text=True), "list") == "<li>call mum</li>"
    assert seen_pages[-1].url == "/?q=call"
    r = client.post(url, data=data, headers={**HTMX, "HX-Current-URL": "http://evil.example/?q=x"})
    assert seen_pages[-1].url == "/"
    # The no-JS landing page stays the form's own.
    r = client.post(url, data=data, headers={"HX-Current-URL": "http://localhost/?q=call"})
    assert r.status_code == 303 and landed(r) == "/"
