"""Shared fixtures: a small app with a few server functions, and its test client."""

from __future__ import annotations

import re
import typing as t

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_server_functions import Reference, ServerFunction, ServerFunctions
from flask_server_functions.extension import app_state

TEMPLATES = {
    "page.html": (
        "<html><head>{{ server_functions_scripts() }}</head><body>"
        "{% for ref in refs %}{{ server_form(ref) }}{% endfor %}</body></html>"
    ),
    "name_form.html": (
        "<input {{ form.attrs('name') }}>{{ form.errors_for('name') }}"
        "<button>Save</button>"
        "{% for f, m in form.errors.items() %}<i data-f={{ f }}>{{ m | join(' ') }}</i>{% endfor %}"
        "{% if form.state %}<p class=state>{{ form.state | tojson }}</p>{% endif %}"
    ),
}


@pytest.fixture
def sf() -> ServerFunctions:
    return ServerFunctions()


@pytest.fixture
def app(sf: ServerFunctions) -> Flask:
    from jinja2 import DictLoader

    app = Flask(__name__)
    app.config.update(SECRET_KEY="test-secret", TESTING=True)
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment]
    sf.init_app(app)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def form_action(html: str, index: int = 0) -> str:
    """The ``action`` URL of the ``index``-th form in ``html``."""
    return t.cast(str, re.findall(r'<form[^>]* action="([^"]+)"', html)[index])


def token_url(action: str) -> str:
    """A form's ``action`` less the page it lands on (``?_sf_next=``): the token's URL."""
    return action.split("?", 1)[0]


def landing_of(html: str, index: int = 0) -> str:
    """The page the ``index``-th form's no-JS submission lands on (its action's
    ``?_sf_next=``)."""
    from urllib.parse import parse_qs, urlsplit

    query = urlsplit(form_action(html, index).replace("&amp;", "&")).query
    return parse_qs(query)["_sf_next"][0]


def url_for_ref(app: Flask, target: ServerFunction[t.Any] | Reference) -> str:
    """The URL a page's form for ``target`` posts to."""
    ref = target if isinstance(target, Reference) else target.reference
    with app.test_request_context("/"):
        return app_state(app).url_for(ref)


def landed(response: t.Any) -> str:
    """Where a 303 sends the browser: the path (and query) of its absolute ``Location``,
    less the one-time ``_sf_kept`` key a cookieless request gets."""
    from urllib.parse import urlsplit

    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.scheme in ("http", "https") and parts.netloc, f"not absolute: {location}"
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("_sf_kept="))
    return parts.path + (f"?{query}" if query else "")


HTMX = {"HX-Request": "true"}
