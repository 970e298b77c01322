"""Regressions of issue 10: what a black-box attack run found, at the request level."""

from __future__ import annotations

import io
import re
import time
import typing as t

import hypothesis
import hypothesis.strategies
import pytest
from flask import Blueprint, Flask, render_template_string
from jinja2 import DictLoader

from flask_server_functions import ServerFunctions
from flask_server_functions.config import STORE_FILE, app_state
from flask_server_functions.idempotency import ALREADY_DONE, OUTCOME_MAX
from flask_server_functions.kept import KEPT_RECORD_MAX, TOO_LARGE_TO_KEEP
from flask_server_functions.schemas import File, schema_from_signature
from flask_server_functions.sqlite_store import SQLiteStore
from flask_server_functions.stores import MemoryStore

from .conftest import HTMX, TEMPLATES

NOJS = {"Origin": "http://localhost"}
runs: list[str] = []


@pytest.fixture(autouse=True)
def _reset() -> None:
    runs.clear()


def make_app(tmp_path: t.Any, *, testing: bool = True) -> tuple[Flask, ServerFunctions]:
    sf = ServerFunctions()

    @sf.function(template="name_form.html")
    def echo(name: str) -> dict[str, str]:
        runs.append("echo")
        return {"echo": name}

    @sf.function(template="name_form.html", idempotent=True)
    def pay(name: str) -> dict[str, str]:
        runs.append(name[:10])
        return {"paid": name}

    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="hostile", TESTING=testing)
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment]
    sf.init_app(app)

    @app.get("/page")
    def page() -> str:
        return render_template_string(
            "{{ server_form(server_functions.echo) }}{{ server_form(server_functions.pay) }}"
        )

    return app, sf


def actions(html: str) -> list[str]:
    return re.findall(r'<form[^>]* action="([^"]+)"', html)


def once_of(html: str) -> str:
    return re.findall(r'name="_sf_once" value="([^"]+)"', html)[0]


def test_kept_record_of_an_echo_is_bounded(tmp_path: t.Any) -> None:
    app, _ = make_app(tmp_path)
    echo_url = actions(app.test_client().get("/page").text)[0]
    for _ in range(5):  # cookie-less clients, each posting ~900 KB
        client = app.test_client()
        r = client.post(echo_url, data={"name": "x" * 900_000, "_sf_next": "/page"}, headers=NOJS)
        assert r.status_code == 303
        page = client.get("/page")
        assert TOO_LARGE_TO_KEEP in page.text  # the small record says so
    keys, held = app_state(app).kept_store.size()  # type: ignore[attr-defined]
    assert held <= keys * KEPT_RECORD_MAX and held < 5 * 1024


def test_idempotent_outcome_is_capped_and_replay_says_done(tmp_path: t.Any) -> None:
    app, _ = make_app(tmp_path)
    client = app.test_client()
    html = client.get("/page").text
    pay_url, once = actions(html)[1], once_of(html)
    data = {"name": "y" * 900_000, "_sf_once": once}
    assert client.post(pay_url, data=data, headers=HTMX).status_code == 200
    again = client.post(pay_url, data=data, headers=HTMX)
    assert again.status_code == 200 and ALREADY_DONE in again.text
    assert runs == ["y" * 10]
    store = app_state(app).idempotency_store
    keys, held = store.size()  # type: ignore[attr-defined]
    assert keys == 1 and held <= OUTCOME_MAX


def test_deeply_nested_json_is_refused_on_every_path(tmp_path: t.Any) -> None:
    app, _ = make_app(tmp_path)
    client = app.test_client()
    echo_url = actions(client.get("/page").text)[0]
    body = '{"name": ' + "[" * 400 + "]" * 400 + "}"
    for headers in (HTMX, {"Accept": "application/json"}):
        r = client.post(echo_url, data=body, content_type="application/json", headers=headers)
        assert r.status_code == 400 and "nested too deeply" in r.text
    # Without JavaScript, a refusal lands back on the page with its message (no 500).
    r = client.post(echo_url, data=body, content_type="application/json", headers=NOJS)
    assert r.status_code == 303
    # (a JSON body names no page: the result waits in the session for its form)
    assert "nested too deeply" in client.get("/page").text
    app.config["SERVER_FUNCTIONS_MAX_AGE"] = 1
    app_state(app)._codec = None
    with app.test_request_context("/page"):
        old = app_state(app).url_for(app_state(app).registry["echo"].reference)
    time.sleep(2.1)
    r = client.post(old, data=body, content_type="application/json", headers=NOJS)
    assert r.status_code == 303  # the expired form goes back to its page, no 500
    assert runs == []


def test_expired_token_of_a_group_posted_elsewhere_is_not_rendered() -> None:
    sf = ServerFunctions()
    bp = Blueprint("admin", __name__, url_prefix="/admin")
    admin = sf.group("admin", blueprint=bp)

    @admin.function(template="t.html")
    def ban() -> str:
        return "banned"

    app = Flask(__name__)
    app.config.update(SECRET_KEY="s", SERVER_FUNCTIONS_MAX_AGE=1)
    app.jinja_loader = DictLoader({"t.html": "{{ url_for('.index') }}GROUP-PARTIAL"})  # type: ignore[assignment]
    bp.add_url_rule("/", "index", lambda: "admin")
    app.register_blueprint(bp)
    sf.init_app(app)
    with app.test_request_context("/admin/"):
        token = app_state(app).url_for(ban.reference).rsplit("/", 1)[1]
    time.sleep(2.1)
    r = app.test_client().post(f"/_sf/{token}", headers=HTMX)
    assert r.status_code == 400 and "expired" in r.text and "GROUP-PARTIAL" not in r.text


def test_once_key_is_bound_to_its_form_and_pages_are_private(tmp_path: t.Any) -> None:
    app, _ = make_app(tmp_path)
    client = app.test_client()
    page = client.get("/page")
    assert page.headers["Cache-Control"] == "private, no-store"
    pay_url, once = actions(page.text)[1], once_of(page.text)
    for forged in ("chosen-by-client", once.rsplit(".", 1)[0] + ".AAAA", once + "="):
        r = client.post(pay_url, data={"name": "a", "_sf_once": forged}, headers=HTMX)
        assert r.status_code == 400, forged
    # another client (no cookie) replaying this client's key: its own call runs
    assert (
        client.post(pay_url, data={"name": "mine", "_sf_once": once}, headers=HTMX).status_code
        == 200
    )
    other = app.test_client().post(pay_url, data={"name": "theirs", "_sf_once": once}, headers=HTMX)
    assert "mine" not in other.text and runs == ["mine", "theirs"]


def test_idempotency_key_ignores_other_cookies(tmp_path: t.Any) -> None:
    app, _ = make_app(tmp_path)
    client = app.test_client()
    pay_url = actions(client.get("/page").text)[1]
    headers = {"Accept": "application/json", "Idempotency-Key": "k1", "Authorization": "Bearer a"}
    client.set_cookie("analytics", "1")
    assert client.post(pay_url, json={"name": "once"}, headers=headers).status_code == 200
    client.set_cookie("analytics", "2")
    assert client.post(pay_url, json={"name": "once"}, headers=headers).json == {
        "state": {"paid": "once"},
        "errors": None,
    }
    assert runs == ["once"]


def test_kept_state_never_evicts_a_claim(tmp_path: t.Any) -> None:
    app, _ = make_app(tmp_path)
    app.config["SERVER_FUNCTIONS_IDEMPOTENCY_STORE"] = MemoryStore(max_entries=50)
    client = app.test_client()
    html = client.get("/page").text
    pay_url, once = actions(html)[1], once_of(html)
    assert (
        client.post(pay_url, data={"name": "first", "_sf_once": once}, headers=HTMX).status_code
        == 200
    )
    echo_url = actions(html)[0]
    for _ in range(120):  # anonymous long no-JS submissions, kept in the store
        anonymous = app.test_client()
        data = {"name": "z" * 3000, "_sf_next": "/page"}
        assert anonymous.post(echo_url, data=data, headers=NOJS).status_code == 303
    assert (
        client.post(pay_url, data={"name": "first", "_sf_once": once}, headers=HTMX).status_code
        == 200
    )
    assert runs.count("first") == 1


def test_default_store_is_one_sqlite_file_for_every_worker(tmp_path: t.Any) -> None:
    # Two app objects stand for two worker processes: they share only the instance folder.
    app_a, _ = make_app(tmp_path, testing=False)
    app_b, _ = make_app(tmp_path, testing=False)
    store = app_state(app_a).idempotency_store
    assert isinstance(store, SQLiteStore) and store.path.endswith(STORE_FILE)
    client = app_a.test_client()
    html = client.get("/page").text
    echo_url, pay_url, once = *actions(html), once_of(html)
    long = "w" * 5000
    r = client.post(echo_url, data={"name": long, "_sf_next": "/page"}, headers=NOJS)
    assert r.status_code == 303
    other = app_b.test_client()
    other.set_cookie("session", client.get_cookie("session").value)  # type: ignore[union-attr]
    assert long in other.get("/page").text  # B shows what A kept (the echo)
    data = {"name": "twice", "_sf_once": once}
    cookie = client.get_cookie("session").value  # type: ignore[union-attr]
    assert client.post(pay_url, data=data, headers=HTMX).status_code == 200
    other.set_cookie("session", cookie)
    assert "twice" in other.post(pay_url, data=data, headers=HTMX).text
    assert runs == ["echo", "twice"]


def test_kept_result_waits_for_its_form(tmp_path: t.Any) -> None:
    app, _ = make_app(tmp_path)
    client = app.test_client()
    echo_url = actions(client.get("/page").text)[0]
    long = "v" * 5000
    client.post(echo_url, data={"name": long, "_sf_next": "/page"}, headers=NOJS)
    assert client.get("/favicon.ico").status_code == 404  # the browser's next request
    client.get("/nothing-here")
    page = client.get("/page")
    assert "v" * 5000 in page.text  # its state (the echo) is shown after the 303
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "v" * 5000 not in client.get("/page").text  # shown once


def test_empty_fallback_key_is_refused(tmp_path: t.Any) -> None:
    app, _ = make_app(tmp_path)
    app.config["SECRET_KEY_FALLBACKS"] = ["", "old"]
    with pytest.raises(RuntimeError, match="empty key"):
        app.test_client().get("/page")


def test_sensitive_names_are_not_echoed(tmp_path: t.Any) -> None:
    sf = ServerFunctions()
    names = ["pwd", "passwd", "pin", "otp", "cvv", "secret", "api_token", "cardCvv"]

    @sf.function(template="name_form.html")
    def login(
        name: str,
        pwd: str,
        passwd: str,
        pin: str,
        otp: str,
        cvv: str,
        secret: str,
        api_token: str,
        cardCvv: str,
        n: int,
    ) -> None: ...

    assert all(login.is_sensitive(n) for n in names)
    assert not any(login.is_sensitive(n) for n in ("name", "spinner", "shipping", "opinion"))


def test_multipart_invalid_utf8_is_400(tmp_path: t.Any) -> None:
    app, _ = make_app(tmp_path)
    client = app.test_client()
    echo_url = actions(client.get("/page").text)[0]
    for value in (b"\xff", "é".encode()[:1]):
        body = (
            b'--xx\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
            + value
            + b"\r\n--xx--\r\n"
        )
        r = client.post(
            echo_url, data=body, content_type="multipart/form-data; boundary=xx", headers=HTMX
        )
        assert r.status_code == 400 and "not valid UTF-8" in r.text
    # a U+FFFD the user typed is fine
    body = '--xx\r\nContent-Disposition: form-data; name="name"\r\n\r\n\ufffd\r\n--xx--\r\n'
    r = client.post(
        echo_url, data=body.encode(), content_type="multipart/form-data; boundary=xx", headers=HTMX
    )
    assert r.status_code == 200


@pytest.mark.parametrize("value", ["١٢٣", "1_000", 1.9, "1.5"])
def test_ints_take_ascii_digits_only(value: t.Any) -> None:
    def f(n: int) -> None: ...

    errors = schema_from_signature(f)().validate({"n": value})
    assert "n" in errors


def test_image_wildcard_leaves_out_svg() -> None:
    from werkzeug.datastructures import FileStorage

    field = File(content_types=["image/*"])
    svg = FileStorage(io.BytesIO(b"<svg/>"), "a.svg", content_type="image/svg+xml")
    png = FileStorage(io.BytesIO(b"\x89PNG"), "a.png", content_type="image/png")
    with pytest.raises(Exception, match="not accepted"):
        field.deserialize(svg)
    assert field.deserialize(png) is png
    assert File(content_types=["image/*", "image/svg+xml"]).deserialize(svg) is svg


def test_only_the_canonical_token_spelling_is_accepted(tmp_path: t.Any) -> None:
    app, _ = make_app(tmp_path)
    client = app.test_client()
    echo_url = actions(client.get("/page").text)[0].split("?")[0]
    assert client.post(echo_url, data={"name": "a"}, headers=HTMX).status_code == 200
    last = echo_url[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = alphabet[alphabet.index(last) ^ 1]  # same leading bits, an unused one flipped
    for spelling in (echo_url + "=", echo_url[:-1] + sibling):
        assert client.post(spelling, data={"name": "a"}, headers=HTMX).status_code in (400, 404)
    assert runs == ["echo"]


def test_async_function_without_asgiref_fails_at_registration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "asgiref.sync", None)  # as if not installed
    sf = ServerFunctions()
    with pytest.raises(RuntimeError, match=r"flask-server-functions\[async\]"):

        @sf.function()
        async def later() -> None: ...


@hypothesis.given(hypothesis.strategies.text(max_size=40))
def test_a_local_path_has_neither_scheme_nor_host(value: str) -> None:
    """The permalink check reads no URL parser: what it accepts, urlsplit and browsers
    read as a path of this site."""
    from urllib.parse import urlsplit

    from flask_server_functions.permalink import _is_local_path

    for candidate in (value, "/" + value):
        if _is_local_path(candidate):
            parts = urlsplit(candidate)
            assert not parts.scheme and not parts.netloc
            assert not candidate.replace("\\", "/").startswith("//")
