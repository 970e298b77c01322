"""Every refusal lands the user back on their page, per path (htmx, JSON, no JS).

Refusing from inside a function (``Refuse``, ``refuse()``, ``abort(4xx)``), form-wide
messages for a form the landing page does not render, cookieless no-JS clients,
``Origin: null``, group URL collisions and the no-JS confirmation step.
"""

from __future__ import annotations

import logging
import typing as t

import pytest
from flask import Blueprint, Flask, abort, render_template_string
from flask.testing import FlaskClient
from marshmallow import ValidationError

from flask_server_functions import Refuse, ServerFunctions, refuse
from flask_server_functions.templating import button_reference

from .conftest import HTMX, form_action, landed, landing_of, url_for_ref

JSON = {"Accept": "application/json"}
PATHS = {"htmx": HTMX, "json": JSON, "nojs": {}}

calls: list[t.Any] = []


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()


@pytest.fixture
def owned(app: Flask, sf: ServerFunctions) -> t.Any:
    """A function that refuses the way the issue's task board does, on a page."""

    @sf.function(template="name_form.html")
    def rename(name: str, how: str = "refuse") -> str:
        calls.append(name)
        if how == "refuse":
            raise Refuse("Only the task's owner can rename it.", 403)
        if how == "refuse()":
            refuse("This task no longer exists.", 404)
        if how == "abort":
            abort(403)
        if how == "abort-described":
            abort(409, "Someone else renamed it first.")
        if how == "invalid":
            raise ValidationError("Names must be unique.")
        return f"renamed to {name}"

    @app.get("/board")
    def board() -> str:
        return render_template_string("{{ server_form(server_functions.rename) }}")

    return rename


CASES = {
    "Refuse": ("refuse", 403, "Only the task&#39;s owner can rename it."),
    "refuse()": ("refuse()", 404, "This task no longer exists."),
    "abort(403)": ("abort", 403, "You are not allowed to do this."),
    "abort(409, description)": ("abort-described", 409, "Someone else renamed it first."),
}


@pytest.mark.parametrize("how, status, message", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
def test_refusing_from_inside_a_function(
    client: FlaskClient, owned: t.Any, how: str, status: int, message: str, path: dict[str, str]
) -> None:
    url = form_action(client.get("/board").text)
    data = {"name": "typed name", "how": how, "_sf_next": "/board"}
    if path is JSON:
        r = client.post(url, json={"name": "typed name", "how": how}, headers=JSON)
        assert r.status_code == status
        assert r.json == {"error": message.replace("&#39;", "'")}
    elif path is HTMX:  # the form re-rendered with the message and the typed values
        r = client.post(url, data=data, headers=HTMX)
        assert r.status_code == status
        assert f'<p class="sf-form-error" role="alert">{message}</p>' in r.text
        assert 'value="typed name"' in r.text
        assert "Werkzeug" not in r.text and "server" not in r.text.lower()
    else:  # 303 back to the page, the message in the form and the input kept
        r = client.post(url, data=data)
        assert r.status_code == 303 and landed(r) == "/board"
        page = client.get(landed(r)).text
        assert message in page and 'value="typed name"' in page
        assert "renamed to" not in page
    assert calls == ["typed name"]


def test_validation_error_from_the_function_is_a_form_error(
    client: FlaskClient, owned: t.Any
) -> None:
    url = form_action(client.get("/board").text)
    r = client.post(url, data={"name": "n", "how": "invalid"}, headers=HTMX)
    assert r.status_code == 422 and "Names must be unique." in r.text
    assert 'value="n"' in r.text


def test_werkzeug_stock_descriptions_are_replaced(client: FlaskClient, owned: t.Any) -> None:
    url = form_action(client.get("/board").text)
    r = client.post(url, json={"name": "x", "how": "abort"}, headers=JSON)
    assert r.json == {"error": "You are not allowed to do this."}
    assert "permission" not in r.text  # Werkzeug's "You don't have the permission ..."


def test_refuse_takes_a_4xx_only() -> None:
    with pytest.raises(ValueError, match="4xx"):
        Refuse("no", 500)


# --- form-wide messages for a form the landing page does not render -------------------


def test_form_error_for_a_form_not_on_the_page_is_flashed(
    app: Flask, client: FlaskClient, sf: ServerFunctions
) -> None:
    tasks = {1: "write the report"}

    @sf.function(template="name_form.html")
    def rename_task(task_id: int, name: str) -> None:
        if task_id not in tasks:
            raise Refuse("This task no longer exists.", 404)

    @app.get("/tasks")
    def page() -> str:
        return render_template_string(
            "{% for m in get_flashed_messages() %}<p class=flash>{{ m }}</p>{% endfor %}"
            "{% for id in tasks %}{{ server_form(server_functions.rename_task.bind(task_id=id)) }}"
            "{% endfor %}",
            tasks=tasks,
        )

    url = form_action(client.get("/tasks").text)
    tasks.clear()  # another tab deleted the task
    r = client.post(url, data={"name": "x", "_sf_next": "/tasks"})
    assert r.status_code == 303
    landing = client.get(landed(r))
    # the page has no form for it: flashed, and the page shown again with it
    assert landing.status_code == 303 and landed(landing) == "/tasks"
    again = client.get(landed(landing)).text
    assert "<p class=flash>This task no longer exists.</p>" in again
    assert "no longer exists" not in client.get("/tasks").text  # once


def test_form_error_on_the_page_is_not_flashed_too(client: FlaskClient, owned: t.Any) -> None:
    url = form_action(client.get("/board").text)
    r = client.post(url, data={"name": "x", "_sf_next": "/board"})
    page = client.get(landed(r))
    assert page.status_code == 200 and "owner can rename" in page.text
    with client.session_transaction() as session:
        assert "_flashes" not in session


# --- no cookies ---------------------------------------------------------------------


def test_a_cookieless_no_js_client_sees_its_result(app: Flask, owned: t.Any) -> None:
    client = app.test_client(use_cookies=False)  # a browser that refuses cookies
    url = form_action(client.get("/board").text)
    r = client.post(url, data={"name": "typed", "_sf_next": "/board"})
    assert r.status_code == 303
    location = r.headers["Location"]
    assert "?_sf_kept=" in location
    page = client.get(location).text
    assert "owner can rename" in page and 'value="typed"' in page
    # the key is good for one request
    assert "owner can rename" not in client.get(location).text


def test_a_browser_that_keeps_the_cookie_lands_on_clean_urls(app: Flask, owned: t.Any) -> None:
    # A first visit has no session cookie: its first no-JS result rides in the URL.
    # The redirect also sets a marker cookie, which stays when the landing page takes
    # the result out of the session (and the emptied session cookie is deleted); the
    # form there must not carry the spent key on: later submissions use the session
    # and land on a clean URL.
    client = app.test_client()
    url = form_action(client.get("/board").text)
    first = client.post(url, data={"name": "one", "_sf_next": "/board?tab=2"})
    assert "?tab=2&_sf_kept=" in first.headers["Location"]
    marker = [c for c in first.headers.getlist("Set-Cookie") if c.startswith("_sf=1;")]
    assert marker and "HttpOnly" in marker[0] and "Expires" not in marker[0]
    landing = client.get(first.headers["Location"])
    assert 'value="one"' in landing.text
    assert not [c for c in landing.headers.getlist("Set-Cookie") if c.startswith("_sf=")]
    assert client.get_cookie("_sf") is not None
    page = landing.text
    for name in ("two", "three"):
        assert landing_of(page) == "/board?tab=2"
        again = client.post(form_action(page), data={"name": name})
        assert again.headers["Location"] == "http://localhost/board?tab=2"
        assert not [c for c in again.headers.getlist("Set-Cookie") if c.startswith("_sf=")]
        page = client.get("/board?tab=2").text
        assert f'value="{name}"' in page and "owner can rename" in page
    assert 'value="three"' not in client.get("/board").text  # shown once


def test_the_marker_cookie_has_the_session_cookies_scope_and_flags(
    app: Flask, owned: t.Any
) -> None:
    app.config.update(
        SESSION_COOKIE_PATH="/board",
        SESSION_COOKIE_DOMAIN="example.test",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
    )
    client = app.test_client()
    base = "https://example.test"
    url = form_action(client.get("/board", base_url=base).text)
    r = client.post(url, data={"name": "one", "_sf_next": "/board"}, base_url=base)
    (marker,) = [c for c in r.headers.getlist("Set-Cookie") if c.startswith("_sf=")]
    flags = {part.strip().split("=")[0]: part.strip() for part in marker.split(";")}
    assert flags["_sf"] == "_sf=1" and flags["Path"] == "Path=/board"
    assert flags["Domain"] == "Domain=example.test" and flags["SameSite"] == "SameSite=Strict"
    assert "Secure" in flags and "HttpOnly" in flags and "Expires" not in flags


def test_pages_without_forms_used_leave_the_session_alone(app: Flask, owned: t.Any) -> None:
    client = app.test_client()
    page = client.get("/board")
    assert "Set-Cookie" not in page.headers and "Cookie" not in page.headers.get("Vary", "")


def test_submitting_again_from_the_landing_page_carries_one_key(app: Flask, owned: t.Any) -> None:
    # The landing URL has a key; the form there posts it back as its page, and a
    # second no-JS submission must replace that (spent) key, not add another.
    client = app.test_client(use_cookies=False)
    url = form_action(client.get("/board").text)
    first = client.post(url, data={"name": "one", "_sf_next": "/board?tab=2"})
    landing = first.headers["Location"]
    assert landing.count("_sf_kept=") == 1
    page = landing.split("localhost", 1)[1]
    second = client.post(url, data={"name": "two", "_sf_next": page})
    location = second.headers["Location"]
    assert location.count("_sf_kept=") == 1 and location != landing
    assert "?tab=2&_sf_kept=" in location
    shown = client.get(location).text
    assert 'value="two"' in shown and "owner can rename" in shown


def test_a_cookieless_result_is_bounded(app: Flask, sf: ServerFunctions) -> None:
    @sf.function(template="name_form.html")
    def echo(name: str, state: t.Any = None) -> str:
        raise Refuse("No.", 400)

    @app.get("/echo")
    def echo_page() -> str:
        return render_template_string("{{ server_form(server_functions.echo) }}")

    client = app.test_client(use_cookies=False)
    url = form_action(client.get("/echo").text)
    r = client.post(url, data={"name": "x" * 200_000, "_sf_next": "/echo"})
    store = app.extensions["server_functions"].kept_store
    stored = [v for k, (_, v) in store._data.items() if k.startswith("kept:")]
    assert stored and all(len(v) <= 16 * 1024 + 100 for v in stored)
    landing = client.get(r.headers["Location"]).text
    assert "too long to keep" in landing and "No." in landing


# --- origin -------------------------------------------------------------------------


def test_origin_null_detail_goes_to_the_log_not_the_user(
    client: FlaskClient, owned: t.Any, caplog: pytest.LogCaptureFixture
) -> None:
    url = form_action(client.get("/board").text)
    with caplog.at_level(logging.WARNING, "flask_server_functions"):
        r = client.post(
            url,
            data={"name": "x"},
            headers={**HTMX, "Origin": "null", "Sec-Fetch-Site": "cross-site"},
        )
    assert r.status_code == 403
    assert "another site" in r.text and "null" not in r.text
    assert "Sec-Fetch-Site is 'cross-site' (Origin: 'null')" in caplog.text
    assert calls == []


def test_origin_null_alone_follows_the_missing_origin_policy(
    app: Flask, client: FlaskClient, owned: t.Any
) -> None:
    url = form_action(client.get("/board").text)
    app.config["SERVER_FUNCTIONS_MISSING_ORIGIN"] = "deny"
    r = client.post(url, data={"name": "x", "how": "ok"}, headers={**HTMX, "Origin": "null"})
    assert r.status_code == 403 and calls == []
    app.config["SERVER_FUNCTIONS_MISSING_ORIGIN"] = "allow"
    r = client.post(url, data={"name": "x", "how": "ok"}, headers={**HTMX, "Origin": "null"})
    assert r.status_code == 200 and calls == ["x"]


# --- groups -------------------------------------------------------------------------


def test_a_group_on_a_blueprint_without_prefix_is_refused(app: Flask, sf: ServerFunctions) -> None:
    board = Blueprint("board", __name__)  # no url_prefix
    group = sf.group("board", blueprint=board)

    @group.function
    def move(task_id: int) -> None: ...

    with pytest.raises(RuntimeError, match=r"/_sf/<token>.*url_path='/_sf_<name>'"):
        app.register_blueprint(board)


def test_a_group_registered_before_init_app_is_refused_too(sf: ServerFunctions) -> None:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "k"
    board = Blueprint("board", __name__)
    sf.group("board", blueprint=board)
    app.register_blueprint(board)
    with pytest.raises(RuntimeError, match="the app's own server functions"):
        sf.init_app(app)


def test_a_group_with_its_own_url_path_works(app: Flask, sf: ServerFunctions) -> None:
    board = Blueprint("board", __name__)
    group = sf.group("board", blueprint=board, url_path="/_sf_board")

    @group.function
    def move(task_id: int) -> str:
        return f"moved {task_id}"

    @sf.function
    def ping() -> str:
        return "pong"

    app.register_blueprint(board)
    client = app.test_client()
    move_url = url_for_ref(app, move.bind(task_id=3))
    assert move_url.startswith("/_sf_board/")
    assert client.post(move_url, json={}, headers=JSON).json["state"] == "moved 3"
    assert client.post(url_for_ref(app, ping), json={}, headers=JSON).json["state"] == "pong"


def test_a_token_at_the_wrong_url_is_not_called_out_of_date(
    app: Flask, sf: ServerFunctions
) -> None:
    admin = Blueprint("admin", __name__, url_prefix="/admin")
    group = sf.group("admin", blueprint=admin)

    @group.function
    def ban(user_id: int) -> None: ...

    app.register_blueprint(admin)
    token = url_for_ref(app, ban.bind(user_id=1)).rsplit("/", 1)[1]
    r = app.test_client().post(f"/_sf/{token}", json={}, headers=JSON)
    assert r.status_code == 404
    assert "out of date" not in r.json["error"] and "does not serve it" in r.json["error"]


# --- confirm= without JavaScript ----------------------------------------------------


@pytest.fixture
def delete_page(app: Flask, sf: ServerFunctions) -> t.Any:
    @sf.function
    def delete(note_id: int) -> str:
        calls.append(note_id)
        return "Deleted."

    @app.get("/notes")
    def page() -> str:
        return render_template_string(
            "{{ server_button(server_functions.delete.bind(note_id=7), 'Delete',"
            " confirm='Delete this note?', aria_label='Delete note 7') }}"
        )

    return delete


def test_confirm_without_js_asks_first(client: FlaskClient, delete_page: t.Any) -> None:
    html = client.get("/notes").text
    assert 'hx-confirm="Delete this note?"' in html and 'aria-label="Delete note 7"' in html
    url = form_action(html)
    r = client.post(url, data={"_sf_next": "/notes"})
    assert r.status_code == 303 and calls == []  # not run on the first press
    asking = client.get(landed(r)).text
    assert '<span class="sf-confirm" role="alert">Delete this note?</span>' in asking
    assert '<input type="hidden" name="_sf_confirmed" value="1">' in asking
    assert ">Yes, Delete</button>" in asking and 'href="/notes">Cancel</a>' in asking
    r = client.post(form_action(asking), data={"_sf_next": "/notes", "_sf_confirmed": "1"})
    assert r.status_code == 303 and calls == [7]
    assert "Deleted." in client.get(landed(r)).text


def test_confirm_with_htmx_is_htmx_s_job(client: FlaskClient, delete_page: t.Any) -> None:
    url = form_action(client.get("/notes").text)
    r = client.post(url, data={}, headers=HTMX)  # hx-confirm asked before sending
    assert r.status_code == 200 and calls == [7]


def test_the_confirm_option_is_sealed(app: Flask, delete_page: t.Any) -> None:
    ref = button_reference(delete_page.bind(note_id=7), "Delete", confirm="Sure?")
    assert ref.options["confirm"] == "Sure?"


# --- redirects ----------------------------------------------------------------------


def test_every_303_is_absolute(client: FlaskClient, owned: t.Any) -> None:
    url = form_action(client.get("/board").text)
    r = client.post(url, data={"name": "x", "how": "ok", "_sf_next": "/board?tab=2"})
    assert r.headers["Location"].startswith("http://localhost/board?tab=2")


# --- sizes, the client script --------------------------------------------------------


def test_sizes_speak_in_decimal_kb_and_mb() -> None:
    from flask_server_functions.errors import size_text

    sizes = (512, 999, 1000, 1500, 200_000, 300_000, 1_048_576, 1_960_000, 3_500_000, 5 * 10**9)
    assert [size_text(n) for n in sizes] == [
        "512 bytes",
        "999 bytes",
        "1 KB",
        "1.5 KB",
        "200 KB",  # as the developer wrote it, not 195.3 KB
        "300 KB",
        "1 MB",
        "1.9 MB",  # rounded down: never more than the limit
        "3.5 MB",
        "5 GB",
    ]


def test_a_file_over_its_size_says_so_in_mb(app: Flask, sf: ServerFunctions) -> None:
    import io

    from werkzeug.datastructures import FileStorage

    from flask_server_functions.schemas import File

    field = File(max_size=2_000_000)
    big = FileStorage(io.BytesIO(b"x" * 2_000_001), "big.png", content_type="image/png")
    with pytest.raises(ValidationError, match=r"at most 2 MB\)"):
        field.deserialize(big)
    field = File(max_size=200_000)
    big = FileStorage(io.BytesIO(b"x" * 200_001), "big.png", content_type="image/png")
    with pytest.raises(ValidationError, match=r"at most 200 KB\)"):
        field.deserialize(big)


def test_the_client_script_stays_within_2_kb_gzipped() -> None:
    import gzip
    import pathlib

    # What every page loads: the minified copy (tools/minify.py).
    script = pathlib.Path(__file__).resolve().parents[1] / "static" / "server-functions.min.js"
    assert len(gzip.compress(script.read_bytes(), compresslevel=9)) <= 2048


def test_an_expired_token_of_a_guarded_function_never_renders_it(
    app: Flask, sf: ServerFunctions
) -> None:
    import time

    secret = "the balance is 1,000,000"

    @sf.function(template="secret.html", require=lambda: False)
    def transfer(amount: int) -> None: ...

    app.jinja_loader.mapping["secret.html"] = (  # type: ignore[union-attr]
        "<input {{ form.attrs('amount') }}><p>" + secret + "</p>"
    )
    real = time.time
    with pytest.MonkeyPatch.context() as m:
        m.setattr(time, "time", lambda: real() - 8 * 24 * 3600)
        url = url_for_ref(app, transfer)
    client = app.test_client()
    for headers in (HTMX, JSON):
        r = client.post(url, data={"amount": "5"}, headers=headers)
        assert r.status_code == 400 and "expired" in r.text
        assert secret not in r.text


def test_a_refusal_without_a_form_flashes_and_sets_the_marker(app: Flask, owned: t.Any) -> None:
    # A tampered token names no form: the message is flashed on the page the browser
    # goes back to, and the redirect says (as every no-JS redirect does) that a
    # browser sending cookies back keeps its later results in the session.
    client = app.test_client()
    url = form_action(client.get("/board").text)
    tampered = url.split("?")[0][:-3] + "AAA"
    r = client.post(tampered, data={"name": "x", "_sf_next": "/board"})
    assert r.status_code == 303 and r.headers["Location"] == "http://localhost/board"
    assert [c for c in r.headers.getlist("Set-Cookie") if c.startswith("_sf=1;")]
    with client.session_transaction() as session:
        assert session["_flashes"]
