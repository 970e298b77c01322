"""In-process benchmarks through Flask's WSGI stack: call path, render path, registry scale.

Each request is a raw WSGI call (``app(environ, start_response)``) with a prepared
environ, so what is timed is Flask plus the view, not a test client.
"""

from __future__ import annotations

import hmac
import io
import os
import re
import secrets
import typing as t
from urllib.parse import urlencode

from flask import Flask, current_app, render_template, render_template_string, request, session
from itsdangerous import BadData, URLSafeTimedSerializer
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from werkzeug.exceptions import BadRequest
from werkzeug.test import EnvironBuilder

from flask_server_functions import ServerFunctions

from .harness import Result, fmt_time, interleave, log, median, spread
from .plain import PlainForm

HERE = os.path.dirname(__file__)
ITEM_PARTIAL = "sf_bench/item_form.html"
HEADERS = {
    "HX-Request": "true",
    "HX-Current-URL": "http://localhost/items",
    "Accept": "text/html",
    "Origin": "http://localhost",
}


class ItemSchema(Schema):
    """The two validated fields, shared by the server function and the baseline."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    count = fields.Integer(required=True, validate=validate.Range(min=0))


#: The "database": the work the function itself does is the same in both paths.
STORE: dict[int, tuple[str, int]] = {}


def store_item(item_id: int, title: str, count: int) -> dict[str, t.Any]:
    STORE[item_id] = (title, count)
    return {"saved": True, "title": title, "count": count}


def save_item(item_id: int, title: str, count: int) -> dict[str, t.Any]:
    return store_item(item_id, title, count)


def save_item_hinted(item_id: int, title: str, count: int) -> dict[str, t.Any]:
    """The same function with a schema derived from its type hints (no explicit schema)."""
    return store_item(item_id, title, count)


_FILLER_SCHEMA = ItemSchema()


def _filler(i: int) -> t.Callable[..., t.Any]:
    def filler(title: str, count: int) -> None:
        return None

    filler.__name__ = filler.__qualname__ = f"filler_{i}"
    return filler


PLAIN_SCHEMA = ItemSchema(unknown=EXCLUDE)
CSRF_SALT = "wtf-csrf-token"


def _flask_app() -> Flask:
    app = Flask(__name__, template_folder=os.path.join(HERE, "templates"))
    app.config.update(SECRET_KEY="benchmark-secret-key")
    return app


def make_app(n_functions: int = 2) -> Flask:
    """The server-function app: ``save_item`` (explicit schema), ``save_item_hinted``
    (derived schema) and fillers up to ``n_functions`` registered functions."""
    sf = ServerFunctions()
    sf.function(template=ITEM_PARTIAL, schema=ItemSchema)(save_item)
    sf.function(template=ITEM_PARTIAL)(save_item_hinted)
    for i in range(n_functions - 2):
        sf.function(template=ITEM_PARTIAL, schema=_FILLER_SCHEMA)(_filler(i))
    app = _flask_app()
    sf.init_app(app)

    @app.get("/items")
    def items_sf() -> str:
        return render_template("sf_bench/page_sf.html", item_ids=range(PAGE_FORMS))

    return app


def make_plain_app() -> Flask:
    """The hand-written baseline: a Flask app without the extension (so none of its
    hooks run), with the same schema, function and partial."""
    app = _flask_app()
    app.add_template_global(PlainForm, "plain_form")

    @app.post("/plain/items")
    def plain_save_item() -> t.Any:
        item_id = request.form.get("item_id", type=int)
        if item_id is None:
            raise BadRequest()
        form_id = f"item-{item_id}"
        try:
            data = PLAIN_SCHEMA.load(request.form)
        except ValidationError as e:
            form = PlainForm(form_id, values=request.form, errors=e.normalized_messages())
            return render_template("sf_bench/plain_item_body.html", item_id=item_id, form=form), 422
        state = store_item(item_id, data["title"], data["count"])
        form = PlainForm(form_id, state)
        return render_template("sf_bench/plain_item_body.html", item_id=item_id, form=form)

    @app.get("/plain/csrf")
    def plain_csrf_token() -> str:
        """Flask-WTF's scheme: a raw token in the session, its signed form in the page."""
        raw = secrets.token_hex(20)
        session["csrf_token"] = raw
        return URLSafeTimedSerializer(current_app.secret_key, salt=CSRF_SALT).dumps(raw)

    @app.post("/plain/items-csrf")
    def plain_save_item_csrf() -> t.Any:
        """The hand-written view behind Flask-WTF-style CSRF protection."""
        serializer = URLSafeTimedSerializer(current_app.secret_key, salt=CSRF_SALT)
        try:
            token = serializer.loads(request.form.get("csrf_token", ""), max_age=3600)
        except BadData:
            raise BadRequest("The CSRF token is invalid.") from None
        if not hmac.compare_digest(session.get("csrf_token", ""), token):
            raise BadRequest("The CSRF tokens do not match.")
        return plain_save_item()

    @app.get("/plain/items")
    def items_plain() -> str:
        return render_template("sf_bench/page_plain.html", item_ids=range(PAGE_FORMS))

    return app


PAGE_FORMS = 1000


class WSGICall:
    """One prepared request, replayed through ``app`` as a raw WSGI call."""

    def __init__(
        self,
        app: Flask,
        method: str,
        path: str,
        data: t.Mapping[str, str] | None = None,
        headers: t.Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.body = urlencode(data or {}).encode()
        builder = EnvironBuilder(
            path=path,
            method=method,
            data=self.body if data is not None else None,
            content_type="application/x-www-form-urlencoded" if data is not None else None,
            headers=dict(headers or {}),
        )
        self.environ = builder.get_environ()
        self.status = ""

    def _start_response(self, status: str, headers: t.Any, exc_info: t.Any = None) -> t.Any:
        self.status = status
        return None

    def __call__(self) -> bytes:
        environ = self.environ.copy()
        environ["wsgi.input"] = io.BytesIO(self.body)
        result = self.app(environ, self._start_response)
        try:
            return b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def check(self, expect_status: str, expect: str) -> None:
        body = self().decode()
        if not self.status.startswith(expect_status) or expect not in body:
            raise AssertionError(
                f"unexpected response to {self.environ['PATH_INFO']}: {self.status}\n{body[:2000]}"
            )


def _action(app: Flask, function: str, item_id: int) -> str:
    """The action URL of a bound form, as a page renders it."""
    with app.test_request_context("/items"):
        html = render_template_string(
            "{{ server_form(server_functions[name].bind(item_id=item_id)) }}",
            name=function,
            item_id=item_id,
        )
    return re.search(r' action="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def call_pair(
    app: Flask, function: str = "save_item", plain_app: Flask | None = None
) -> tuple[WSGICall, WSGICall]:
    """(server function call, hand-written call), both checked once."""
    plain_app = plain_app or make_plain_app()
    fields_ = {"title": "Hello <world>", "count": "3"}
    sf_call = WSGICall(app, "POST", _action(app, function, 7), fields_, HEADERS)
    plain_call = WSGICall(plain_app, "POST", "/plain/items", {"item_id": "7", **fields_}, HEADERS)
    expect = "Saved Hello &lt;world&gt; \u00d7 3"
    sf_call.check("200", expect)
    plain_call.check("200", expect)
    return sf_call, plain_call


def csrf_call(app: Flask) -> WSGICall:
    """The hand-written call with Flask-WTF-style CSRF: session cookie + signed field."""
    client = app.test_client()
    signed = client.get("/plain/csrf").get_data(as_text=True)
    cookie = client.get_cookie("session")
    assert cookie is not None
    fields_ = {"item_id": "7", "title": "Hello <world>", "count": "3", "csrf_token": signed}
    headers = {**HEADERS, "Cookie": f"session={cookie.value}"}
    call = WSGICall(app, "POST", "/plain/items-csrf", fields_, headers)
    call.check("200", "Saved Hello &lt;world&gt; \u00d7 3")
    return call


def bench_call(quick: bool) -> list[Result]:
    app, plain_app = make_app(), make_plain_app()
    sf_call, plain_call = call_pair(app, plain_app=plain_app)
    hinted_call, _ = call_pair(app, "save_item_hinted", plain_app)
    plain_csrf = csrf_call(plain_app)
    number, rounds = (100, 7) if quick else (300, 40)
    log(f"call: {rounds} rounds x {number} calls of each")
    times = interleave(
        {"sf": sf_call, "hinted": hinted_call, "plain": plain_call, "csrf": plain_csrf},
        number=number,
        rounds=rounds,
        budget=45,
    )
    base = median(times["plain"])
    out = []
    for key, case in (
        ("sf", "server function (explicit schema) vs hand-written view"),
        ("hinted", "server function (schema from type hints) vs same view"),
    ):
        m = median(times[key])
        out.append(
            Result(
                "1 call path",
                case,
                fmt_time(m),
                fmt_time(base),
                m / base,
                "≤ 1.25x" if key == "sf" else "",
                (m / base <= 1.25) if key == "sf" else None,
                note=(
                    f"noise ±{spread(times[key]) * 100:.0f}% / ±{spread(times['plain']) * 100:.0f}%"
                    " (half IQR of rounds); one POST through Flask's WSGI stack in-process:"
                    " verify the bound token, validate title+count, call, render the partial"
                    if key == "sf"
                    else ""
                ),
            )
        )
    m, csrf = median(times["sf"]), median(times["csrf"])
    out.append(
        Result(
            "1 call path",
            "server function vs hand-written view + Flask-WTF-style CSRF check",
            fmt_time(m),
            fmt_time(csrf),
            m / csrf,
            "≤ 0.95x",
            m / csrf <= 0.95,
            note=(
                "the baseline above checks nothing; this one verifies a signed csrf_token"
                " field against the session cookie, as Flask-WTF does (the server function's"
                " signed token and Origin check play that part)"
            ),
        )
    )
    return out


def render_pair(app: Flask, plain_app: Flask | None = None) -> tuple[WSGICall, WSGICall]:
    sf_page = WSGICall(app, "GET", "/items")
    plain_page = WSGICall(plain_app or make_plain_app(), "GET", "/plain/items")
    for call in (sf_page, plain_page):
        body = call().decode()
        n = body.count("<form ")
        if not call.status.startswith("200") or n != PAGE_FORMS:
            raise AssertionError(f"{call.environ['PATH_INFO']}: {call.status}, {n} forms")
    return sf_page, plain_page


def bench_render(quick: bool) -> list[Result]:
    app = make_app()
    sf_page, plain_page = render_pair(app)
    sizes = {name: len(c()) for name, c in (("sf", sf_page), ("plain", plain_page))}
    number, rounds = (1, 5) if quick else (2, 15)
    log(f"render: {rounds} rounds x {number} pages of {PAGE_FORMS} forms")
    times = interleave(
        {"sf": sf_page, "plain": plain_page}, number=number, rounds=rounds, budget=30
    )
    m, base = median(times["sf"]), median(times["plain"])
    return [
        Result(
            "2 render path",
            f"page of {PAGE_FORMS} bound forms vs plain forms + hidden ids",
            fmt_time(m),
            fmt_time(base),
            m / base,
            "≤ 1.5x",
            m / base <= 1.5,
            note=(
                f"per form {fmt_time(m / PAGE_FORMS)} vs {fmt_time(base / PAGE_FORMS)};"
                f" page {sizes['sf'] / 1024:.0f} KiB vs {sizes['plain'] / 1024:.0f} KiB;"
                f" noise ±{spread(times['sf']) * 100:.0f}% / ±{spread(times['plain']) * 100:.0f}%"
            ),
        )
    ]


def bench_registry(quick: bool) -> list[Result]:
    import time

    small = make_app(10)
    t0 = time.perf_counter()
    large = make_app(10_000)
    build = time.perf_counter() - t0
    small_call, _ = call_pair(small)
    large_call, _ = call_pair(large)
    number, rounds = (100, 7) if quick else (300, 25)
    log(f"registry: {rounds} rounds x {number} calls with 10 and 10,000 functions")
    times = interleave(
        {"small": small_call, "large": large_call}, number=number, rounds=rounds, budget=20
    )
    m_small, m_large = median(times["small"]), median(times["large"])
    noise = max(spread(times["small"]), spread(times["large"]))
    ratio = m_large / m_small
    return [
        Result(
            "3 registry scale",
            "call with 10,000 functions vs with 10",
            fmt_time(m_large),
            fmt_time(m_small),
            ratio,
            "equal within noise",
            abs(ratio - 1) <= max(2 * noise, 0.03),
            note=(
                f"noise ±{noise * 100:.1f}%; registering 10,000 functions (shared schema)"
                f" took {build:.2f} s"
            ),
        )
    ]


def profile_targets(
    quick: bool,
) -> dict[str, tuple[t.Callable[[], t.Any], t.Callable[[], t.Any], int]]:
    """What ``--profile`` profiles: (package, baseline, runs) for the call and render paths."""
    app = make_app()
    sf_call, plain_call = call_pair(app)
    sf_page, plain_page = render_pair(app)
    return {
        "call": (sf_call, plain_call, 2000 if quick else 10000),
        "render": (sf_page, plain_page, 3 if quick else 10),
    }
