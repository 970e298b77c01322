from __future__ import annotations

import hashlib
import pathlib
import re

import pytest
from flask import Flask, g, render_template_string
from werkzeug.datastructures import FileStorage

from flask_server_functions import ServerFunctions


@pytest.fixture
def greet(sf: ServerFunctions):  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def greet(name: str):  # type: ignore[no-untyped-def]
        return {"name": name}

    return greet


def render(app: Flask, source: str, path: str = "/here", **context) -> str:  # type: ignore[no-untyped-def]
    with app.test_request_context(path):
        return render_template_string(source, **context)


def test_form_markup_is_the_contract(app: Flask, greet) -> None:  # type: ignore[no-untyped-def]
    html = render(app, "{{ server_form(fn) }}", fn=greet)
    token = re.search(r'action="/_sf/([^"?]+)', html).group(1)  # type: ignore[union-attr]
    fid = greet.id
    assert html == (
        f'<form id="sf-{fid}" class="sf-form" method="post"'
        f' action="/_sf/{token}?_sf_next=/here" data-sf-form hx-post>'
        f'<input name="name" id="sf-{fid}-name" value=""><button>Save</button>\n'
        "</form>"
    )


def test_form_by_name_with_options(app: Flask, greet) -> None:  # type: ignore[no-untyped-def]
    html = render(
        app,
        "{{ server_form('greet', id='f1', class_='wide', enctype='multipart/form-data',"
        " attrs={'data-x': 'y', 'hx-confirm': 'Sure?'}, initial_state={'name': 'init'}) }}",
    )
    assert html.startswith('<form id="f1" class="sf-form wide" method="post"')
    assert 'enctype="multipart/form-data"' in html
    assert 'data-x="y"' in html and 'hx-confirm="Sure?"' in html
    assert 'id="f1-name"' in html
    assert '<p class=state>{"name": "init"}</p>' in html  # the initial state


def test_bad_target_type(app: Flask) -> None:
    with pytest.raises(TypeError, match="expected a server function"):
        render(app, "{{ server_form(3) }}")


def test_misspelt_function_name_says_which(app: Flask, greet) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match=r"no server function named 'gret'.*registered: greet"):
        render(app, "{{ server_form(server_functions.gret) }}")


def test_template_override_is_sealed_in_the_token(app: Flask, greet) -> None:  # type: ignore[no-untyped-def]
    plain = render(app, "{{ server_form(fn) }}", fn=greet)
    other = render(app, "{{ server_form(fn, template='name_form.html') }}", fn=greet)
    assert re.search(r'action="([^"]+)"', plain).group(1) != re.search(
        r'action="([^"]+)"', other
    ).group(1)  # type: ignore[union-attr]


def test_scripts_bundled(app: Flask) -> None:
    html = render(app, "{{ server_functions_scripts() }}")
    # Versioned by content (cached for good, a new URL when the file changes).
    version = _content_hash("vendor/htmx/htmx.min.js")
    assert f'<script src="/_sf/static/vendor/htmx/htmx.min.js?v={version}" defer></script>' in html
    assert 'data-event-before="htmx:before:request"' in html
    assert "server-functions.min.js" in html
    # No inline <style> (a strict CSP refuses it): the indicator rules are served.
    assert html.startswith('<link rel="stylesheet" href="/_sf/static/server-functions.css?v=')
    assert "<style" not in html


def test_scripts_external_htmx_and_nonce(app: Flask) -> None:
    app.config["SERVER_FUNCTIONS_HTMX"] = "external"
    html = render(app, "{{ server_functions_scripts(nonce='abc') }}")
    assert "htmx.min.js" not in html
    assert html.count('nonce="abc"') == 2


def test_scripts_debug_htmx(app: Flask) -> None:
    app.config["SERVER_FUNCTIONS_HTMX_DEBUG"] = True
    version = _content_hash("vendor/htmx/htmx.js")
    assert f"/vendor/htmx/htmx.js?v={version}" in render(app, "{{ server_functions_scripts() }}")


def _content_hash(name: str) -> str:
    path = pathlib.Path(__file__).parent.parent / "static" / name
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_extension_scripts_method(app: Flask, sf: ServerFunctions) -> None:
    with app.test_request_context():
        assert "server-functions.min.js" in sf.scripts()


def test_server_button(app: Flask, sf: ServerFunctions) -> None:
    @sf.function
    def like(post_id: int):  # type: ignore[no-untyped-def]
        return "Liked!"

    html = render(
        app,
        "{{ server_button(fn.bind(post_id=3), 'Like', pending_label='Liking…',"
        " confirm='Sure?', button_class='btn') }}",
        fn=like,
    )
    assert 'class="sf-form sf-button"' in html and 'hx-confirm="Sure?"' in html
    assert '<button type="submit" class="btn" data-pending-label="Liking…">Like</button>' in html

    from .conftest import HTMX, form_action

    r = app.test_client().post(form_action(html), headers=HTMX)
    # re-rendered from the sealed options: the same button, then the state
    assert '<button type="submit" class="btn" data-pending-label="Liking…">Like</button>' in r.text
    assert '<span class="sf-result" role="status">Liked!</span>' in r.text


def test_server_function_url_and_json_call(app: Flask, sf: ServerFunctions) -> None:
    @sf.function
    def add(a: int, b: int):  # type: ignore[no-untyped-def]
        return a + b

    url = render(app, "{{ server_function_url(fn) }}", fn=add)
    assert url.startswith("/_sf/")
    r = app.test_client().post(url, json={"a": 2, "b": 3}, headers={"Accept": "application/json"})
    assert r.get_json() == {"state": 5, "errors": None}


def test_file_fields_make_the_form_multipart(app: Flask, sf: ServerFunctions) -> None:
    @sf.function(template="name_form.html")
    def upload(doc: FileStorage):  # type: ignore[no-untyped-def]
        ...

    assert 'enctype="multipart/form-data"' in render(app, "{{ server_form(fn) }}", fn=upload)


def test_htmx2_dialect_markup_and_scripts(sf: ServerFunctions, greet) -> None:  # type: ignore[no-untyped-def]
    from jinja2 import DictLoader

    from .conftest import TEMPLATES

    app = Flask(__name__)
    app.config.update(SECRET_KEY="s", SERVER_FUNCTIONS_DIALECT="2")
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment]
    sf.init_app(app)
    assert app.config["SERVER_FUNCTIONS_HTMX"] == "external"
    html = render(app, "{{ server_form(fn) }}", fn=greet)
    assert "hx-disabled-elt=" in html and "hx-disable=" not in html
    scripts = render(app, "{{ server_functions_scripts() }}")
    assert "htmx.min.js" not in scripts
    assert 'data-event-before-swap="htmx:beforeSwap"' in scripts


def test_htmx2_dialect_refuses_bundled_htmx(sf: ServerFunctions) -> None:
    app = Flask(__name__)
    app.config.update(SERVER_FUNCTIONS_DIALECT="2", SERVER_FUNCTIONS_HTMX="bundled")
    with pytest.raises(ValueError, match="load your own htmx 2"):
        sf.init_app(app)


def test_function_without_a_template_still_answers(app: Flask, sf: ServerFunctions) -> None:
    from flask_server_functions.templating import button_reference
    from flask_server_functions.testing import call_function

    @sf.function
    def toggle(item_id: int):  # type: ignore[no-untyped-def]
        return "Done!"

    client = app.test_client()
    # called without its button (a hand-made hx-post, a test): the state is the answer
    result = call_function(client, toggle.bind(item_id=1), {})
    assert (
        result.status == 200 and '<span class="sf-result" role="status">Done!</span>' in result.html
    )
    # called as the page's button: the same button comes back
    button = button_reference(toggle.bind(item_id=1), "Toggle", button_class="b")
    result = call_function(client, button, {})
    assert '<button type="submit" class="b">Toggle</button>' in result.html


def test_group_blueprint_not_registered_is_a_clear_error(sf: ServerFunctions) -> None:
    from flask import Blueprint

    bp = Blueprint("admin", __name__)
    admin = sf.group("admin", blueprint=bp)

    @admin.function(template="name_form.html")
    def ban(user_id: int):  # type: ignore[no-untyped-def]
        ...

    app = Flask(__name__)
    app.config["SECRET_KEY"] = "s"
    sf.init_app(app)
    with pytest.raises(RuntimeError, match="not registered on this app"):
        render(app, "{{ server_function_url(fn) }}", fn=ban.bind(user_id=1))


@pytest.mark.parametrize(("dialect", "prefix"), [("4", "hx-"), ("4", "data-hx-"), ("2", "hx-")])
def test_the_form_tag_is_the_same_with_and_without_attrs(dialect: str, prefix: str) -> None:
    """server_form writes its tag on two paths (the common one, and the one that merges
    ``attrs``): an attribute left out (``None``) must give exactly the common one."""
    from jinja2 import DictLoader

    sf = ServerFunctions()

    @sf.function(template="p.html", live=True)
    def upload(note_id: int, image: FileStorage):  # type: ignore[no-untyped-def]
        return None

    @sf.function(template="p.html")
    def progress(n: int):  # type: ignore[no-untyped-def]
        yield {"n": n}

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="s", SERVER_FUNCTIONS_DIALECT=dialect, SERVER_FUNCTIONS_ATTRIBUTE_PREFIX=prefix
    )
    app.jinja_loader = DictLoader({"p.html": "<button>Go</button>"})  # type: ignore[assignment]
    sf.init_app(app)
    for source in (
        "{{ server_form(server_functions.upload.bind(note_id=3)ATTRS) }}",
        "{{ server_form(server_functions.upload.bind(note_id=3), class_='wide'ATTRS) }}",
        "{{ server_form(server_functions.progress, id='p1', enctype='text/plain'ATTRS) }}",
    ):
        common = render(app, source.replace("ATTRS", ""))
        merged = render(app, source.replace("ATTRS", ", attrs={'data-unused': None}"))
        tag = re.search(r"<form\b[^>]*>", common).group(0)  # type: ignore[union-attr]
        assert tag == re.search(r"<form\b[^>]*>", merged).group(0)  # type: ignore[union-attr]


def test_script_tags_are_made_once_per_root_and_bounded(app: Flask) -> None:
    from flask_server_functions.scripts import SCRIPT_TAGS_MAX

    state = app.extensions["server_functions"]
    template = "{{ server_functions_scripts() }}"
    with app.test_request_context("/"):
        at_root = render_template_string(template)
    # Under another root (SCRIPT_NAME: mounted under /shop), the URLs follow it.
    with app.test_request_context("/", base_url="http://localhost/shop"):
        mounted = render_template_string(template)
    assert 'src="/_sf/static/' in at_root and 'src="/shop/_sf/static/' in mounted
    # Each request's own nonce, in every tag.
    for nonce in ("first", "second"):
        with app.test_request_context("/"):
            g.csp_nonce = nonce
            tags = render_template_string(template)
        assert tags.count(f'nonce="{nonce}"') == 3 and "\x00" not in tags
    # A client choosing the root (a forwarded prefix) cannot grow the cache.
    for n in range(SCRIPT_TAGS_MAX * 3):
        with app.test_request_context("/", base_url=f"http://localhost/p{n}"):
            assert f'src="/p{n}/_sf/static/' in render_template_string(template)
    assert len(state.script_tags) <= SCRIPT_TAGS_MAX


def test_script_tags_follow_a_changed_file_in_debug_mode(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from flask_server_functions import assets

    app.debug = True
    with app.test_request_context("/"):
        before = render_template_string("{{ server_functions_scripts() }}")
        monkeypatch.setattr(assets, "asset_hash", lambda filename: "changed12345")
        after = render_template_string("{{ server_functions_scripts() }}")
    assert "?v=changed12345" not in before and "?v=changed12345" in after


def test_script_tags_keep_what_url_defaults_add_per_request(app: Flask) -> None:
    from flask import request

    @app.url_defaults
    def language(endpoint: str, values: dict) -> None:  # type: ignore[type-arg]
        if "lang" in request.args:
            values.setdefault("lang", request.args["lang"])

    with app.test_request_context("/?lang=fr"):
        french = render_template_string("{{ server_functions_scripts() }}")
    with app.test_request_context("/"):
        plain = render_template_string("{{ server_functions_scripts() }}")
    assert french.count("lang=fr") == 6 and "lang=" not in plain


def test_script_tags_render_outside_a_request(app: Flask) -> None:
    app.config["SERVER_NAME"] = "example.test"
    with app.app_context():
        g.csp_nonce = "n1"
        tags = render_template_string("{{ server_functions_scripts() }}")
    assert 'src="http://example.test/_sf/static/' in tags and 'nonce="n1"' in tags
