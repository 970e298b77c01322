"""Hostile requests through the Flask test client.

Every test asserts the status, that nothing answered 500 or leaked a traceback
(the app runs with ``TESTING``, so an unhandled exception would also fail the test
outright), and whether the function ran: each function appends to ``calls``.

Sections: references (tokens), origin checks, bodies, unicode, methods and paths,
sensitive fields, guards, expiry, Flask-WTF. The threat model is docs/security.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import typing as t
from urllib.parse import quote

import pytest
from flask import Flask, abort, render_template
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from jinja2 import DictLoader
from marshmallow import Schema, fields, validate
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.test import TestResponse

from flask_server_functions import ServerFunctions
from flask_server_functions.references import REFERENCE_SALT, STATE_SALT

from .conftest import HTMX, form_action, landed, token_url

calls: list[t.Any] = []

JSON = {"Accept": "application/json"}
TEMPLATES = {
    "echo.html": (
        "<input {{ form.attrs('name') }}>{{ form.errors_for('name') }}"
        "{% if form.state %}<output>{{ form.state.name }}</output>{% endif %}"
    ),
    "login.html": (
        "<input {{ form.attrs('user') }}>{{ form.errors_for('user') }}"
        "<input type=password {{ form.attrs('password') }}>"
        "<input {{ form.attrs('secret') }}>"
        "<input {{ form.attrs('pin') }}>"
    ),
}


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


@pytest.fixture
def app(app: Flask) -> Flask:
    app.jinja_loader = DictLoader({**app.jinja_loader.mapping, **TEMPLATES})  # type: ignore[union-attr]
    return app


@pytest.fixture
def page(app: Flask) -> list[t.Any]:
    """The references ``GET /page`` renders forms for."""
    refs: list[t.Any] = []

    @app.get("/page")
    def show_page() -> str:
        return render_template("page.html", refs=refs)

    return refs


@pytest.fixture
def echo(sf: ServerFunctions):  # type: ignore[no-untyped-def]
    @sf.function(template="echo.html")
    def echo(name: str):  # type: ignore[no-untyped-def]
        calls.append(("echo", name))
        return {"name": name}

    return echo


@pytest.fixture
def url(client: FlaskClient, page: list[t.Any], echo) -> str:  # type: ignore[no-untyped-def]
    """The action of ``echo``'s form, as a page renders it, less the page it lands on
    (``?_sf_next=``): the tests below send ``_sf_next`` themselves, or none."""
    page[:] = [echo]
    return form_action(client.get("/page").text).split("?")[0]


def verdict(r: TestResponse, status: int, *, ran: bool) -> None:
    """The common assertions: the status, no 500, no traceback, whether the function ran."""
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.status_code != 500
    assert "Traceback" not in r.text and 'File "' not in r.text
    assert bool(calls) is ran, calls


def render_at(client: FlaskClient, offset: float) -> str:
    """The page rendered ``offset`` seconds from now (tokens minted then)."""
    real = time.time
    with pytest.MonkeyPatch.context() as m:
        m.setattr(time, "time", lambda: real() + offset)
        return client.get("/page").text


def signed(key: str, salt: str, payload: str) -> str:
    """A token made like the extension's, with any key and salt."""
    from flask_server_functions.signing import HMAC128

    signer = TimestampSigner(
        key,
        salt=salt,
        key_derivation="hmac",
        digest_method=hashlib.sha256,
        algorithm=HMAC128(hashlib.sha256),
    )
    return signer.sign(payload).decode()


def session_data(app: Flask, client: FlaskClient) -> dict[str, t.Any]:
    cookie = client.get_cookie("session")
    if cookie is None:
        return {}
    return t.cast(dict, app.session_interface.get_signing_serializer(app).loads(cookie.value))  # type: ignore[attr-defined]


# --- references ---------------------------------------------------------------


def _flip(s: str, i: int) -> str:
    return s[:i] + ("B" if s[i] == "A" else "A") + s[i + 1 :]


def _swap_ts(token: str) -> str:
    payload, ts, sig = token.rsplit(".", 2)
    return f"{payload}.{_flip(ts, len(ts) - 1)}.{sig}"


MANGLED = {
    "tampered-payload": lambda tok: ("1" if tok[0] == "0" else "0") + tok[1:],
    # not the last character: base64 ignores its low (padding) bits
    "tampered-signature": lambda tok: _flip(tok, len(tok) - 10),
    "tampered-timestamp": _swap_ts,
    "truncated": lambda tok: tok[: len(tok) // 2],
    "signature-cut-off": lambda tok: tok.rsplit(".", 1)[0],
    "junk": lambda tok: "not-a-token",
    "only-dots": lambda tok: "....",
    "huge": lambda tok: "A" * 10_000,
    "non-ascii": lambda tok: quote("é✓.x.y"),
    "sealed-on-unbound": lambda tok: tok.replace(".", "~AAAA.", 1),
}


@pytest.mark.parametrize("mangle", MANGLED.values(), ids=MANGLED.keys())
@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "nojs"])
def test_mangled_token_is_400(client: FlaskClient, url: str, mangle, headers) -> None:  # type: ignore[no-untyped-def]
    prefix, token = url.rsplit("/", 1)
    r = client.post(
        f"{prefix}/{mangle(token)}", data={"name": "x", "_sf_next": "/page"}, headers=headers
    )
    if headers:
        verdict(r, 400, ran=False)
        assert "Reload the page" in r.text
    else:
        # without JS, back to the page (no form to render: the message is flashed)
        verdict(r, 303, ran=False)
        assert landed(r) == "/page"
        with client.session_transaction() as session:
            assert "Reload the page" in str(session["_flashes"])


def test_empty_token_is_404(client: FlaskClient, url: str) -> None:
    verdict(client.post("/_sf/", data={"name": "x"}, headers=HTMX), 404, ran=False)


FOREIGN = {
    "other-key": lambda fid: signed("another-secret", REFERENCE_SALT, fid),
    "state-salt": lambda fid: signed("test-secret", STATE_SALT, fid),
    "itsdangerous-default-salt": lambda fid: TimestampSigner("test-secret").sign(fid).decode(),
    "serializer-other-salt": lambda fid: URLSafeTimedSerializer("test-secret", salt="x").dumps(fid),
}


@pytest.mark.parametrize("make", FOREIGN.values(), ids=FOREIGN.keys())
def test_token_from_another_key_or_salt_is_400(client: FlaskClient, echo, make) -> None:  # type: ignore[no-untyped-def]
    r = client.post(f"/_sf/{make(echo.id)}", data={"name": "x"}, headers=HTMX)
    verdict(r, 400, ran=False)


def test_session_cookie_is_not_a_token(client: FlaskClient, url: str) -> None:
    with client.session_transaction() as session:
        session["x"] = 1
    cookie = client.get_cookie("session")
    assert cookie is not None
    r = client.post(f"/_sf/{cookie.value}", data={"name": "x"}, headers=HTMX)
    verdict(r, 400, ran=False)


def test_state_field_value_is_not_a_token(sf: ServerFunctions, client: FlaskClient, page) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="echo.html", initial_state={"n": 0})
    def count(state):  # type: ignore[no-untyped-def]
        calls.append(state)
        return state

    page.append(count)
    answer = client.post(form_action(client.get("/page").text), headers=HTMX).text
    calls.clear()
    state = re.search(r'name="_sf_state" value="([^"]+)"', answer).group(1)  # type: ignore[union-attr]
    verdict(client.post(f"/_sf/{state}", headers=HTMX), 400, ran=False)


def test_tampered_state_field_is_400(sf: ServerFunctions, client: FlaskClient, page) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="echo.html", initial_state={"n": 0})
    def count(state):  # type: ignore[no-untyped-def]
        calls.append(state)
        return state

    page.append(count)
    html = client.get("/page").text
    answer = client.post(form_action(html), headers=HTMX).text
    calls.clear()
    forged = "eyJuIjo5OTl9" + re.search(r'name="_sf_state" value="[^".]+(\.[^"]+)"', answer).group(
        1
    )  # type: ignore[union-attr]
    verdict(
        client.post(form_action(html), data={"_sf_state": forged}, headers=HTMX), 400, ran=False
    )


def test_unknown_function_is_404(client: FlaskClient, url: str) -> None:
    token = signed("test-secret", REFERENCE_SALT, "0123456789abcdef")
    verdict(client.post(f"/_sf/{token}", data={"name": "x"}, headers=HTMX), 404, ran=False)


@pytest.mark.parametrize(("offset", "name"), [(-8 * 24 * 3600, "expired"), (3600, "future-dated")])
def test_expired_and_future_dated_tokens_are_400(
    client: FlaskClient, page, echo, offset: int, name: str
) -> None:  # type: ignore[no-untyped-def]
    page.append(echo)
    url = form_action(render_at(client, offset))  # default max age: 7 days
    r = client.post(url, data={"name": "x"}, headers=HTMX)
    verdict(r, 400, ran=False)
    assert "expired" in r.text


@pytest.fixture
def rename(sf: ServerFunctions):  # type: ignore[no-untyped-def]
    @sf.function(template="echo.html")
    def rename(note_id: int, name: str):  # type: ignore[no-untyped-def]
        calls.append(("rename", note_id, name))
        return {"name": name}

    return rename


def test_bound_values_cannot_be_swapped(client: FlaskClient, page, rename) -> None:  # type: ignore[no-untyped-def]
    page[:] = [rename.bind(note_id=1), rename.bind(note_id=2)]
    html = client.get("/page").text
    one, two = form_action(html, 0), form_action(html, 1)
    payload_one = one.rsplit("/", 1)[1].rsplit(".", 2)[0]
    ts_sig_two = two.rsplit("/", 1)[1].rsplit(".", 2)[1:]
    forged = ".".join([payload_one, *ts_sig_two])
    verdict(client.post(f"/_sf/{forged}", data={"name": "x"}, headers=HTMX), 400, ran=False)


def test_sealed_values_cannot_be_edited(client: FlaskClient, page, rename) -> None:  # type: ignore[no-untyped-def]
    page[:] = [rename.bind(note_id=1)]
    token = form_action(client.get("/page").text).split("?")[0].rsplit("/", 1)[1]
    fid, rest = token.split("~", 1)
    forged = f"{fid}~{_flip(rest, 20)}"
    assert "note_id" not in token  # sealed: nothing readable
    verdict(client.post(f"/_sf/{forged}", data={"name": "x"}, headers=HTMX), 400, ran=False)


def test_bound_value_sent_as_a_field_is_ignored(client: FlaskClient, page, rename) -> None:  # type: ignore[no-untyped-def]
    page[:] = [rename.bind(note_id=1)]
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"name": "x", "note_id": "2"}, headers=HTMX)
    verdict(r, 200, ran=True)
    assert calls == [("rename", 1, "x")]


def test_token_for_a_with_the_fields_of_b(client: FlaskClient, page, echo, rename) -> None:  # type: ignore[no-untyped-def]
    page[:] = [echo, rename.bind(note_id=1)]
    html = client.get("/page").text
    # echo's token with rename's fields: echo validates its own fields, rename never runs
    r = client.post(form_action(html, 0), data={"note_id": "1", "title": "x"}, headers=HTMX)
    verdict(r, 422, ran=False)
    assert "This field is required." in r.text


# --- origin -----------------------------------------------------------------


REFUSED_ORIGINS = {
    "other-origin": {"Origin": "https://evil.example"},
    "origin-null-cross-site": {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    "origin-null-same-site": {"Origin": "null", "Sec-Fetch-Site": "same-site"},
    "suffix-trick": {"Origin": "http://localhost.evil.example"},
    "other-scheme": {"Origin": "https://localhost"},
    "other-port": {"Origin": "http://localhost:8080"},
    "fetch-cross-site": {"Sec-Fetch-Site": "cross-site"},
    "fetch-same-site": {"Sec-Fetch-Site": "same-site"},
    "referer-cross-site": {"Referer": "https://evil.example/page"},
    "referer-suffix-trick": {"Referer": "http://localhost.evil.example/page"},
    "referer-garbage": {"Referer": "not a url"},
    "origin-wins-over-fetch": {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"},
}


@pytest.mark.parametrize("headers", REFUSED_ORIGINS.values(), ids=REFUSED_ORIGINS.keys())
@pytest.mark.parametrize("mode", [HTMX, {}], ids=["htmx", "nojs"])
def test_cross_origin_is_403(client: FlaskClient, url: str, headers, mode) -> None:  # type: ignore[no-untyped-def]
    r = client.post(url, data={"name": "x"}, headers={**headers, **mode})
    verdict(r, 403, ran=False)


ACCEPTED_ORIGINS = {
    "own-origin": {"Origin": "http://localhost"},
    "fetch-same-origin": {"Sec-Fetch-Site": "same-origin"},
    "fetch-none": {"Sec-Fetch-Site": "none"},
    "own-referer": {"Referer": "http://localhost/page"},
    # Chromium's plain form POST under Referrer-Policy: no-referrer
    "origin-null-fetch-same-origin": {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    # no Sec-Fetch-Site: the missing-origin policy ("allow" by default) decides
    "origin-null-alone": {"Origin": "null"},
}


@pytest.mark.parametrize("headers", ACCEPTED_ORIGINS.values(), ids=ACCEPTED_ORIGINS.keys())
def test_same_origin_passes(client: FlaskClient, url: str, headers) -> None:  # type: ignore[no-untyped-def]
    verdict(client.post(url, data={"name": "x"}, headers={**headers, **HTMX}), 200, ran=True)


def test_allowed_origins_config(app: Flask, client: FlaskClient, url: str) -> None:
    app.config["SERVER_FUNCTIONS_ALLOWED_ORIGINS"] = ["https://admin.example/"]
    r = client.post(url, data={"name": "x"}, headers={"Origin": "https://admin.example", **HTMX})
    verdict(r, 200, ran=True)


@pytest.mark.parametrize(
    ("policy", "mode", "status"),
    [
        ("allow", HTMX, 200),
        ("allow", {}, 303),
        ("deny", HTMX, 403),
        ("deny", {}, 403),
    ],
    ids=["allow-htmx", "allow-nojs", "deny-htmx", "deny-nojs"],
)
def test_missing_origin_policy(
    app: Flask, client: FlaskClient, url: str, policy: str, mode, status: int
) -> None:  # type: ignore[no-untyped-def]
    app.config["SERVER_FUNCTIONS_MISSING_ORIGIN"] = policy
    # the test client sends no Origin, Sec-Fetch-Site or Referer
    r = client.post(url, data={"name": "x"}, headers=mode)
    verdict(r, status, ran=policy == "allow")


def test_missing_origin_policy_is_validated(sf: ServerFunctions) -> None:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", SERVER_FUNCTIONS_MISSING_ORIGIN="maybe")
    with pytest.raises(ValueError, match="allow, deny"):
        sf.init_app(app)


def test_forged_forwarded_host_without_proxy_fix(client: FlaskClient, url: str) -> None:
    headers = {
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Proto": "https",
        "Origin": "https://evil.example",
        **HTMX,
    }
    verdict(client.post(url, data={"name": "x"}, headers=headers), 403, ran=False)


def test_forwarded_origin_passes_behind_proxy_fix(
    app: Flask, client: FlaskClient, url: str
) -> None:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_host=1, x_proto=1)  # type: ignore[method-assign]
    forwarded = {"X-Forwarded-Host": "public.example", "X-Forwarded-Proto": "https"}
    r = client.post(
        url, data={"name": "x"}, headers={**forwarded, "Origin": "https://public.example", **HTMX}
    )
    verdict(r, 200, ran=True)
    calls.clear()
    # behind the proxy, the internal name is not the site's origin any more
    r = client.post(
        url, data={"name": "x"}, headers={**forwarded, "Origin": "http://localhost", **HTMX}
    )
    verdict(r, 403, ran=False)


# --- bodies -----------------------------------------------------------------


@pytest.mark.parametrize("mode", [HTMX, {}, JSON], ids=["htmx", "nojs", "json"])
def test_body_over_the_limit_is_413(app: Flask, client: FlaskClient, url: str, mode) -> None:  # type: ignore[no-untyped-def]
    app.config["SERVER_FUNCTIONS_MAX_BODY"] = 2000
    # the body is not read: the page is the Referer's
    headers = {**mode, "Referer": "http://localhost/page"}
    r = client.post(url, data={"name": "x" * 3000, "_sf_next": "/page"}, headers=headers)
    message = "What you sent is too large (at most 2 KB)."
    if mode:
        verdict(r, 413, ran=False)
        assert message in r.text
    else:  # without JS: back to the page, the message in the form (not a bare 413)
        verdict(r, 303, ran=False)
        assert landed(r) == "/page"
        assert message in client.get(landed(r)).text


def test_body_over_the_limit_in_json_says_the_limit(
    app: Flask, client: FlaskClient, url: str
) -> None:
    app.config["SERVER_FUNCTIONS_MAX_BODY"] = 3_000_000
    r = client.post(
        url,
        json={"name": "x"},
        headers={"Accept": "application/json"},
        environ_overrides={"CONTENT_LENGTH": str(10**8)},
    )
    assert r.status_code == 413
    assert r.json == {"error": "What you sent is too large (at most 3 MB)."}


def test_declared_length_over_the_limit_is_413_before_reading(
    client: FlaskClient, url: str
) -> None:
    r = client.post(
        url, data={"name": "x"}, headers=HTMX, environ_overrides={"CONTENT_LENGTH": str(10**12)}
    )
    verdict(r, 413, ran=False)


def test_body_shorter_than_its_length_is_400(client: FlaskClient, url: str) -> None:
    r = client.post(
        url,
        data=b"name=x",
        content_type="application/x-www-form-urlencoded",
        headers=HTMX,
        environ_overrides={"CONTENT_LENGTH": "100"},
    )
    verdict(r, 400, ran=False)


def _streamed(client: FlaskClient, url: str, body: bytes, content_type: str) -> TestResponse:
    """A chunked request: no Content-Length, the server marks the input terminated."""
    return client.post(
        url,
        input_stream=io.BytesIO(body),
        content_type=content_type,
        headers={**HTMX, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


STREAMED = {
    "urlencoded": (b"name=" + b"x" * 5000, "application/x-www-form-urlencoded"),
    "json": (b'{"name": "' + b"x" * 5000 + b'"}', "application/json"),
    "multipart": (
        b'--xx\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
        + b"x" * 5000
        + b"\r\n--xx--\r\n",
        "multipart/form-data; boundary=xx",
    ),
}


@pytest.mark.parametrize(("body", "content_type"), STREAMED.values(), ids=STREAMED.keys())
def test_streamed_body_over_the_limit_is_413_not_truncated(
    app: Flask, client: FlaskClient, url: str, body: bytes, content_type: str
) -> None:
    app.config["SERVER_FUNCTIONS_MAX_BODY"] = 1000
    verdict(_streamed(client, url, body, content_type), 413, ran=False)
    # under the limit, a streamed body is read whole
    verdict(
        _streamed(client, url, body.replace(b"x" * 5000, b"y" * 500), content_type), 200, ran=True
    )
    assert calls == [("echo", "y" * 500)]


def test_per_function_max_body(sf: ServerFunctions, app: Flask, client: FlaskClient, page) -> None:  # type: ignore[no-untyped-def]
    app.config["SERVER_FUNCTIONS_MAX_BODY"] = 1000

    @sf.function(template="echo.html", max_body=100)
    def small(name: str):  # type: ignore[no-untyped-def]
        calls.append(name)

    @sf.function(template="echo.html", max_body=10_000)
    def upload(name: str):  # type: ignore[no-untyped-def]
        calls.append(len(name))

    page[:] = [small, upload]
    html = client.get("/page").text
    verdict(
        client.post(form_action(html, 0), data={"name": "x" * 500}, headers=HTMX), 413, ran=False
    )
    # a function may take more than the app's limit (uploads)
    verdict(
        client.post(form_action(html, 1), data={"name": "x" * 5000}, headers=HTMX), 200, ran=True
    )
    assert calls == [5000]


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": {f"f{i}": "x" for i in range(201)}}, 400),
        ({"data": {f"f{i}": "x" for i in range(205)}, "content_type": "multipart/form-data"}, 400),
        ({"data": {f"f{i}": "x" for i in range(300)}, "content_type": "multipart/form-data"}, 413),
        ({"json": {f"f{i}": "x" for i in range(201)}}, 400),
        ({"json": {"name": ["x"] * 201}}, 400),
    ],
    ids=["urlencoded", "multipart", "multipart-far-over", "json", "json-list"],
)
def test_too_many_fields(client: FlaskClient, url: str, kwargs, status: int) -> None:  # type: ignore[no-untyped-def]
    verdict(client.post(url, headers=HTMX, **kwargs), status, ran=False)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"--xx\r\ngarbage", "multipart/form-data; boundary=xx"),
        (b"garbage", "multipart/form-data; boundary=xx"),
        (b"garbage", "multipart/form-data"),
        (
            b'--xx\r\nContent-Disposition: form-data; name="name"\r\n\r\nx',
            "multipart/form-data; boundary=xx",
        ),
        (
            b"--xx\r\nContent-Disposition: form-data\r\n\r\nx\r\n--xx--\r\n",
            "multipart/form-data; boundary=xx",
        ),
        (
            b'--xx\r\nContent-Disposition: form-data; filename="a.txt"\r\n\r\nx\r\n--xx--\r\n',
            "multipart/form-data; boundary=xx",
        ),
    ],
    ids=[
        "no-headers",
        "no-boundary-in-body",
        "no-boundary-param",
        "unterminated",
        "part-without-name",
        "file-without-name",
    ],
)
def test_malformed_multipart_is_400(
    client: FlaskClient, url: str, body: bytes, content_type: str
) -> None:
    verdict(client.post(url, data=body, content_type=content_type, headers=HTMX), 400, ran=False)


@pytest.mark.parametrize(
    "body",
    [b"name=%ff", b"name=\xff", b"name=%c3", b"na%80me=x", b"name=%ed%a0%80"],
    ids=["escaped-ff", "raw-ff", "cut-sequence", "in-the-name", "lone-surrogate"],
)
def test_invalid_utf8_urlencoded_is_400(client: FlaskClient, url: str, body: bytes) -> None:
    r = client.post(url, data=body, content_type="application/x-www-form-urlencoded", headers=HTMX)
    verdict(r, 400, ran=False)
    assert "not valid UTF-8" in r.text


def test_raw_utf8_urlencoded_is_accepted(client: FlaskClient, url: str) -> None:
    # browsers percent-encode, but curl --data sends raw UTF-8: it is valid, so it is read
    r = client.post(
        url, data="name=é".encode(), content_type="application/x-www-form-urlencoded", headers=HTMX
    )
    verdict(r, 200, ran=True)
    assert calls == [("echo", "é")]


@pytest.mark.parametrize("length", [201, 100_000])
def test_huge_field_name_is_400(client: FlaskClient, url: str, length: int) -> None:
    r = client.post(url, data={"name": "x", "n" * length: "y"}, headers=HTMX)
    verdict(r, 400, ran=False)
    assert "field name is longer" in r.text


@pytest.mark.parametrize(
    "body",
    ["[]", '"name"', "1", "null", "{", '{"name": "x"'],
    ids=["array", "string", "number", "null", "invalid", "cut-short"],
)
def test_json_that_is_not_an_object_is_400(client: FlaskClient, url: str, body: str) -> None:
    r = client.post(url, data=body, content_type="application/json", headers=JSON)
    verdict(r, 400, ran=False)
    assert "error" in r.get_json()


def test_deeply_nested_json_is_400(client: FlaskClient, url: str) -> None:
    body = '{"name":' + "[" * 200_000 + "]" * 200_000 + "}"
    r = client.post(url, data=body, content_type="application/json", headers=HTMX)
    verdict(r, 400, ran=False)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "text/html", "application/octet-stream"]
)
def test_unsupported_content_type_is_400(client: FlaskClient, url: str, content_type: str) -> None:
    r = client.post(url, data=b"name=x", content_type=content_type, headers=HTMX)
    verdict(r, 400, ran=False)
    assert "form or JSON bodies" in r.text


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": {"name": "x", "_sf_next": 5}},
        {"json": {"name": "x", "_sf_next": {"a": 1}}},
        {"json": {"name": "x", "_sf_state": None}},
        {"data": {"name": "x", "_sf_next": (io.BytesIO(b"/page"), "next.txt")}},
    ],
    ids=["json-next-number", "json-next-object", "json-state-null", "multipart-next-file"],
)
def test_hidden_fields_of_the_wrong_type_are_400(client: FlaskClient, url: str, kwargs) -> None:  # type: ignore[no-untyped-def]
    verdict(client.post(url, headers=HTMX, **kwargs), 400, ran=False)


def test_state_field_of_the_wrong_type_is_400(
    sf: ServerFunctions, client: FlaskClient, page
) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="echo.html", initial_state={"n": 0})
    def count(state, name: str):  # type: ignore[no-untyped-def]
        calls.append(state)

    page.append(count)
    url = form_action(client.get("/page").text)
    verdict(client.post(url, json={"name": "x", "_sf_state": 7}, headers=HTMX), 400, ran=False)


@pytest.mark.parametrize(
    "next_url",
    ["//evil.example/x", "/\\evil.example", "/\t/evil.example", "https:evil.example", "\\\\evil"],
)
@pytest.mark.parametrize("where", ["field", "action"])
def test_next_url_stays_on_the_site(
    client: FlaskClient, url: str, next_url: str, where: str
) -> None:
    if where == "field":  # a hand-made form's hidden field
        r = client.post(url, data={"name": "x", "_sf_next": next_url})
    else:  # the action's ?_sf_next=, as a form writes it
        r = client.post(f"{url}?_sf_next={quote(next_url, safe='')}", data={"name": "x"})
    verdict(r, 303, ran=True)
    assert landed(r) == "/"


@pytest.mark.parametrize("where", ["field", "action"])
def test_next_url_with_a_newline(client: FlaskClient, url: str, where: str) -> None:
    evil = "/page\r\nSet-Cookie: a=b"
    if where == "field":
        r = client.post(url, data={"name": "x", "_sf_next": evil})
    else:
        r = client.post(f"{url}?_sf_next={quote(evil, safe='/')}", data={"name": "x"})
    verdict(r, 303, ran=True)
    assert landed(r) == "/"
    assert "Set-Cookie" not in r.headers.get("Location", "")


# --- unicode ----------------------------------------------------------------


def test_rtl_marks_and_emoji_are_accepted_and_echoed_escaped(client: FlaskClient, url: str) -> None:
    name = "\u202egnp.exe<script>\u200f😀\u200d👩‍💻"
    r = client.post(url, data={"name": name}, headers=HTMX)
    verdict(r, 200, ran=True)
    assert calls == [("echo", name)]
    assert "<output>\u202egnp.exe&lt;script&gt;\u200f😀\u200d👩‍💻</output>" in r.text
    r = client.post(url, json={"name": name}, headers=JSON)
    assert r.status_code == 200 and r.get_json()["state"] == {"name": name}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": {"name": "a\x00b"}},
        {"data": b"name=a\x00b", "content_type": "application/x-www-form-urlencoded"},
        {"data": {"na\x00me": "x"}},
        {"data": {"name": "a\x00b"}, "content_type": "multipart/form-data"},
        {"json": {"name": "a\x00b"}},
        {"json": {"name": "x", "deep": [{"k": "a\x00"}]}},
    ],
    ids=[
        "urlencoded-value",
        "urlencoded-raw-byte",
        "urlencoded-name",
        "multipart",
        "json",
        "json-nested",
    ],
)
def test_nul_is_400(client: FlaskClient, url: str, kwargs) -> None:  # type: ignore[no-untyped-def]
    r = client.post(url, headers=HTMX, **kwargs)
    verdict(r, 400, ran=False)
    assert "NUL" in r.text


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "\\ud800"}',
        '{"\\udfff": "x", "name": "x"}',
        '{"name": "x", "deep": {"a": ["\\ud800"]}}',
    ],
    ids=["value", "name", "nested"],
)
def test_json_lone_surrogate_is_400(client: FlaskClient, url: str, body: str) -> None:
    r = client.post(url, data=body, content_type="application/json", headers=HTMX)
    verdict(r, 400, ran=False)
    assert "not valid Unicode" in r.text


# --- methods and paths ----------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD"])
def test_wrong_method_is_405(client: FlaskClient, url: str, method: str) -> None:
    verdict(client.open(url, method=method, data={"name": "x"}), 405, ran=False)


def test_options_runs_nothing(client: FlaskClient, url: str) -> None:
    r = client.options(url)
    verdict(r, 200, ran=False)
    assert "POST" in r.headers["Allow"]


@pytest.mark.parametrize("path", ["/{token}", "/_sf/{token}/x", "/page/{token}", "/_sf/x/{token}"])
def test_valid_token_on_another_path_is_404(client: FlaskClient, url: str, path: str) -> None:
    token = url.rsplit("/", 1)[1]
    verdict(client.post(path.format(token=token), data={"name": "x"}, headers=HTMX), 404, ran=False)


def test_token_of_a_group_only_runs_on_its_blueprint(
    sf: ServerFunctions, app: Flask, page, echo
) -> None:  # type: ignore[no-untyped-def]
    from flask import Blueprint

    admin = Blueprint("admin", __name__, url_prefix="/admin")
    admin_only: list[bool] = []
    admin.before_request(lambda: None if admin_only else abort(401))
    group = sf.group("admin", blueprint=admin)

    @group.function(template="echo.html")
    def ban(name: str):  # type: ignore[no-untyped-def]
        calls.append(("ban", name))

    app.register_blueprint(admin)
    client = app.test_client()
    page[:] = [ban, echo]
    html = client.get("/page").text
    ban_url, echo_url = form_action(html, 0), form_action(html, 1)
    assert ban_url.startswith("/admin/_sf/")
    ban_token, echo_token = (
        token_url(ban_url).rsplit("/", 1)[1],
        token_url(echo_url).rsplit("/", 1)[1],
    )
    # the blueprint's hook refuses; the same token on the app's URL skips the hook: 404
    verdict(client.post(ban_url, data={"name": "x"}, headers=HTMX), 401, ran=False)
    verdict(client.post(f"/_sf/{ban_token}", data={"name": "x"}, headers=HTMX), 404, ran=False)
    # and the app's functions do not run on the group's URL
    admin_only.append(True)
    verdict(
        client.post(f"/admin/_sf/{echo_token}", data={"name": "x"}, headers=HTMX), 404, ran=False
    )


# --- sensitive fields -----------------------------------------------------------


class LoginSchema(Schema):
    user = fields.String(required=True, validate=validate.Length(min=3, error="Too short."))
    password = fields.String(required=True)
    secret = fields.String(load_only=True)


@pytest.fixture
def login(sf: ServerFunctions):  # type: ignore[no-untyped-def]
    @sf.function(template="login.html", schema=LoginSchema)
    def login(user: str, password: str, secret: str = ""):  # type: ignore[no-untyped-def]
        calls.append(user)
        if user == "boom":
            raise RuntimeError("failed")
        return {"user": user}

    return login


SECRETS = {"password": "hunter2-pw", "secret": "s3cr3t-value"}


def _no_secrets(text: str) -> None:
    for value in SECRETS.values():
        assert value not in text


def test_sensitive_fields_not_echoed_with_htmx(client: FlaskClient, page, login) -> None:  # type: ignore[no-untyped-def]
    page.append(login)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"user": "ab", **SECRETS}, headers=HTMX)
    verdict(r, 422, ran=False)
    assert 'value="ab"' in r.text and "Too short." in r.text  # the rest is kept
    _no_secrets(r.text)


def test_sensitive_fields_not_in_session_without_js(
    app: Flask, client: FlaskClient, page, login
) -> None:  # type: ignore[no-untyped-def]
    page.append(login)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"user": "ab", "_sf_next": "/page", **SECRETS})
    verdict(r, 303, ran=False)
    kept = session_data(app, client)
    assert kept, "the no-JS error keeps the form's state in the session"
    _no_secrets(json.dumps(kept))
    html = client.get("/page").text
    assert 'value="ab"' in html and "Too short." in html
    _no_secrets(html)


def test_sensitive_fields_not_echoed_after_a_failure(
    app: Flask, client: FlaskClient, page, login
) -> None:  # type: ignore[no-untyped-def]
    page.append(login)
    url = form_action(client.get("/page").text)
    # the function itself failed: 500 is its answer by design, not the hostile request's
    r = client.post(url, data={"user": "boom", **SECRETS}, headers=HTMX)
    assert r.status_code == 500 and "Something went wrong" in r.text
    _no_secrets(r.text)
    r = client.post(url, data={"user": "boom", "_sf_next": "/page", **SECRETS})
    assert r.status_code == 303
    _no_secrets(json.dumps(session_data(app, client)))
    _no_secrets(client.get("/page").text)


def test_sensitive_fields_not_kept_after_expiry(
    app: Flask, client: FlaskClient, page, login
) -> None:  # type: ignore[no-untyped-def]
    page.append(login)
    url = form_action(render_at(client, -8 * 24 * 3600))
    r = client.post(url, data={"user": "abc", "_sf_next": "/page", **SECRETS})
    verdict(r, 303, ran=False)
    _no_secrets(json.dumps(session_data(app, client)))
    html = client.get("/page").text
    assert "expired" in html and 'value="abc"' in html
    _no_secrets(html)


def test_load_only_field_with_data_key_not_echoed(
    sf: ServerFunctions, app: Flask, client: FlaskClient, page
) -> None:  # type: ignore[no-untyped-def]
    class PinSchema(Schema):
        user = fields.String(required=True, validate=validate.Length(min=3))
        code = fields.String(load_only=True, data_key="pin")

    @sf.function(template="login.html", schema=PinSchema)
    def with_pin(user: str, code: str = ""):  # type: ignore[no-untyped-def]
        calls.append(user)

    page.append(with_pin)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"user": "ab", "pin": "9876-pin"}, headers=HTMX)
    verdict(r, 422, ran=False)
    assert "9876-pin" not in r.text
    client.post(url, data={"user": "ab", "pin": "9876-pin"})
    assert "9876-pin" not in json.dumps(session_data(app, client))


def test_sensitive_fields_not_in_the_idempotency_store(
    sf: ServerFunctions, app: Flask, client: FlaskClient, page
) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="login.html", schema=LoginSchema, idempotent=True)
    def pay(user: str, password: str, secret: str = ""):  # type: ignore[no-untyped-def]
        calls.append(user)

    page.append(pay)
    html = client.get("/page").text
    once = re.search(r'name="_sf_once" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    r = client.post(
        form_action(html), data={"user": "ab", "_sf_once": once, **SECRETS}, headers=HTMX
    )
    verdict(r, 422, ran=False)
    _no_secrets(r.text)
    store = app.extensions["server_functions"].idempotency_store
    (key,) = [k for k in store._data if k.startswith(f"{pay.id}:")]
    stored = store.get(key)
    assert stored is not None
    _no_secrets(json.dumps(stored))


# --- guards -------------------------------------------------------------------


@pytest.fixture
def guarded(sf: ServerFunctions):  # type: ignore[no-untyped-def]
    allowed: list[bool] = []

    @sf.function(template="echo.html", require=lambda: bool(allowed))
    def guarded(name: str):  # type: ignore[no-untyped-def]
        calls.append(name)
        return {"name": name}

    guarded.allowed = allowed  # type: ignore[attr-defined]
    return guarded


@pytest.mark.parametrize("mode", [HTMX, {}, JSON], ids=["htmx", "nojs", "json"])
def test_require_guard_refuses_with_403(client: FlaskClient, page, guarded, mode) -> None:  # type: ignore[no-untyped-def]
    page.append(guarded)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"name": "typed", "_sf_next": "/page"}, headers=mode)
    if mode is JSON:
        verdict(r, 403, ran=False)
        assert r.json == {"error": "You are not allowed to do this."}
    elif mode is HTMX:
        # only the message, appended to the form (whose inputs keep what was typed):
        # never the function's partial, which the caller may not see
        verdict(r, 403, ran=False)
        assert r.headers["HX-Reswap"] == "afterbegin"
        assert r.text == '<p class="sf-form-error" role="alert">You are not allowed to do this.</p>'
    else:  # back to the page, the message in the form and the input kept
        verdict(r, 303, ran=False)
        landed_page = client.get(landed(r)).text
        assert "You are not allowed to do this." in landed_page
        assert 'value="typed"' in landed_page
    guarded.allowed.append(True)
    verdict(client.post(url, data={"name": "x"}, headers=HTMX), 200, ran=True)


def test_before_call_guard(sf: ServerFunctions, client: FlaskClient, url: str) -> None:
    sf.before_call(lambda: False)
    verdict(client.post(url, data={"name": "x"}, headers=HTMX), 403, ran=False)


def test_guard_may_abort_itself(sf: ServerFunctions, client: FlaskClient, page) -> None:  # type: ignore[no-untyped-def]
    def must_log_in() -> bool:
        abort(401)

    @sf.function(template="echo.html", require=must_log_in)
    def private(name: str):  # type: ignore[no-untyped-def]
        calls.append(name)

    page.append(private)
    url = form_action(client.get("/page").text)
    verdict(client.post(url, data={"name": "x"}, headers=HTMX), 401, ran=False)


def test_login_view_redirects_without_js(app: Flask, client: FlaskClient, page, guarded) -> None:  # type: ignore[no-untyped-def]
    app.config["SERVER_FUNCTIONS_LOGIN_VIEW"] = "login"
    app.add_url_rule("/login", "login", lambda: "log in")
    page.append(guarded)
    url = form_action(client.get("/page").text)
    r = client.post(url, data={"name": "x", "_sf_next": "/page"})
    verdict(r, 303, ran=False)
    assert r.headers["Location"] == "http://localhost/login?next=/page"
    # htmx: the same place, through HX-Redirect
    r = client.post(url, data={"name": "x", "_sf_next": "/page"}, headers=HTMX)
    verdict(r, 200, ran=False)
    assert r.headers["HX-Redirect"] == "http://localhost/login?next=/page"
    assert r.text == ""
    # JSON: 401 with the login URL (next: the Referer's page, or /)
    r = client.post(url, json={"name": "x"}, headers={"Accept": "application/json"})
    verdict(r, 401, ran=False)
    assert r.json == {
        "error": "Please sign in to do this.",
        "login": "http://localhost/login?next=/",
    }


# --- expiry -------------------------------------------------------------------


@pytest.fixture
def expired_url(client: FlaskClient, page, echo) -> str:  # type: ignore[no-untyped-def]
    page.append(echo)
    return form_action(render_at(client, -8 * 24 * 3600))


def test_expired_without_js_goes_back_with_the_message_and_input(
    client: FlaskClient, expired_url: str
) -> None:
    r = client.post(expired_url, data={"name": "typed text", "_sf_next": "/page"})
    verdict(r, 303, ran=False)
    assert landed(r) == "/page"
    html = client.get("/page").text
    assert '<p class="sf-form-error" role="alert">This form has expired.' in html
    assert 'value="typed text"' in html
    # the page's new form works
    verdict(client.post(form_action(html), data={"name": "again"}, headers=HTMX), 200, ran=True)


def test_expired_with_htmx_is_400_with_the_message_only(
    client: FlaskClient, expired_url: str
) -> None:
    r = client.post(expired_url, data={"name": "typed text"}, headers=HTMX)
    verdict(r, 400, ran=False)
    # the message, appended to the form whose inputs still hold what was typed; never
    # the function's partial (its bound values and live data), rendered for a token
    # no longer valid
    assert r.headers["HX-Reswap"] == "afterbegin"
    assert r.text == (
        '<p class="sf-form-error" role="alert">This form has expired. Reload the page and'
        " try again.</p>"
    )


def test_expired_json_call_is_400(client: FlaskClient, expired_url: str) -> None:
    r = client.post(expired_url, json={"name": "x"}, headers=JSON)
    verdict(r, 400, ran=False)
    assert "expired" in r.get_json()["error"]


def test_max_age_config(app: Flask, client: FlaskClient, page, echo) -> None:  # type: ignore[no-untyped-def]
    app.config["SERVER_FUNCTIONS_MAX_AGE"] = 60
    page.append(echo)
    url = form_action(render_at(client, -120))
    verdict(client.post(url, data={"name": "x"}, headers=HTMX), 400, ran=False)


# --- Flask-WTF ------------------------------------------------------------------


@pytest.fixture
def csrf_app(app: Flask) -> Flask:
    from flask_wtf.csrf import CSRFProtect

    CSRFProtect(app)
    return app


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("mode", "content_type", "status"),
    [
        (HTMX, "application/x-www-form-urlencoded", 200),
        (HTMX, "multipart/form-data", 200),
        ({}, "application/x-www-form-urlencoded", 303),
    ],
    ids=["htmx", "htmx-multipart", "nojs"],
)
def test_csrf_protect_form_posts(
    csrf_app: Flask, page, echo, mode, content_type: str, status: int
) -> None:  # type: ignore[no-untyped-def]
    client = csrf_app.test_client()
    page.append(echo)
    html = client.get("/page").text
    token = _csrf_token(html)
    r = client.post(
        form_action(html),
        data={"name": "Ada", "csrf_token": token, "_sf_next": "/page"},
        content_type=content_type,
        headers=mode,
    )
    verdict(r, status, ran=True)
    assert calls == [("echo", "Ada")]  # the CSRF field is not an argument
    shown = r.text if mode else client.get("/page").text
    assert "<output>Ada</output>" in shown and _csrf_token(shown)


def test_csrf_protect_json_call_with_header(csrf_app: Flask, page, echo) -> None:  # type: ignore[no-untyped-def]
    client = csrf_app.test_client()
    page.append(echo)
    html = client.get("/page").text
    r = client.post(
        form_action(html), json={"name": "J"}, headers={"X-CSRFToken": _csrf_token(html), **JSON}
    )
    verdict(r, 200, ran=True)


@pytest.mark.parametrize("token", [None, "forged"], ids=["missing", "forged"])
@pytest.mark.parametrize("mode", [HTMX, {}], ids=["htmx", "nojs"])
def test_csrf_protect_refuses_without_its_token(csrf_app: Flask, page, echo, token, mode) -> None:  # type: ignore[no-untyped-def]
    client = csrf_app.test_client()
    page.append(echo)
    url = form_action(client.get("/page").text)
    data = {"name": "x"} if token is None else {"name": "x", "csrf_token": token}
    r = client.post(url, data=data, headers=mode)
    verdict(r, 400, ran=False)
    assert "CSRF" in r.text
