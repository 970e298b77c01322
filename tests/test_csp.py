"""A strict CSP with no set-up: nothing inline, and the request's nonce on every tag.

The browser side (zero violations in Chromium, every state) is tests/browser/test_csp.py.
"""

from __future__ import annotations

import re

from flask import Flask, g, render_template_string

from flask_server_functions import ServerFunctions


def tags(html: str) -> list[str]:
    return re.findall(r"<(?:script|link|style)[^>]*>", html)


def test_nothing_inline(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        html = render_template_string("{{ server_functions_scripts() }}")
    assert "<style" not in html and " style=" not in html
    assert all("src=" in t or "href=" in t for t in tags(html))
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    with client.get(href) as css:
        assert css.status_code == 200 and "text/css" in css.content_type
        assert b".htmx-indicator" in css.data


def test_nonce_from_the_request(app: Flask) -> None:
    with app.test_request_context("/"):
        g.csp_nonce = "from-g"
        html = render_template_string("{{ server_functions_scripts() }}")
    assert [t for t in tags(html) if 'nonce="from-g"' not in t] == []
    assert len(tags(html)) == 3  # the stylesheet, htmx, server-functions.js
    with app.test_request_context("/"):
        g.csp_nonce = "from-g"
        html = render_template_string("{{ server_functions_scripts(nonce='given') }}")
    assert html.count('nonce="given"') == 3 and "from-g" not in html


def test_nonce_from_flask_talisman(sf: ServerFunctions) -> None:
    from flask_talisman import Talisman

    app = Flask(__name__)
    app.config["SECRET_KEY"] = "s"
    sf.init_app(app)
    Talisman(
        app,
        force_https=False,
        content_security_policy={
            "default-src": "'self'",
            "script-src": "'self'",
            "style-src": "'self'",
            "object-src": "'none'",
            "base-uri": "'none'",
            "frame-ancestors": "'none'",
        },
        content_security_policy_nonce_in=["script-src"],
    )

    @app.get("/")
    def index() -> str:
        return render_template_string("<head>{{ server_functions_scripts() }}</head>")

    response = app.test_client().get("/")
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)  # type: ignore[union-attr]
    scripts = re.findall(r"<script[^>]*>", response.text)
    assert len(scripts) == 2 and all(f'nonce="{nonce}"' in s for s in scripts)
    assert "unsafe" not in policy


def test_example_serves_the_strict_policy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from example import create_app

    app = create_app({"DATABASE": str(tmp_path / "n.sqlite"), "TESTING": True})
    response = app.test_client().get("/")
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)  # type: ignore[union-attr]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "style-src 'self';" in policy and "object-src 'none'" in policy
    scripts = re.findall(r"<script[^>]*>", response.text)
    assert scripts and all(f'nonce="{nonce}"' in s for s in scripts)
    assert "<style" not in response.text and " style=" not in response.text
    assert " hx-on" not in response.text and "js:" not in response.text
    # A new nonce per response.
    again = app.test_client().get("/").headers["Content-Security-Policy"]
    assert again != policy
