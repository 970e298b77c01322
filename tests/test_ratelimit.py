"""Rate limits per function: 429 with Retry-After on every path, per client, shared storage."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from flask_server_functions import ServerFunctions
from flask_server_functions.ratelimit import (
    VALIDATE_NAMESPACE,
    RateLimited,
    check_rate_limit,
)

from . import conftest
from .conftest import HTMX, url_for_ref
from .test_idempotency import redis_url as redis_url  # the real redis-server fixture

JSON = {"Accept": "application/json"}


@pytest.fixture
def greet(sf: ServerFunctions):  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html", rate_limit="2/minute")
    def greet(name: str):  # type: ignore[no-untyped-def]
        return {"hello": name}

    return greet


def post(client: FlaskClient, url: str, headers: t.Mapping[str, str] = HTMX, **kw: t.Any):  # type: ignore[no-untyped-def]
    data = {"name": "Ada", "_sf_next": "/page", **kw}
    return client.post(url, data=data, headers={"Origin": "http://localhost", **headers})


def test_htmx_third_call_is_429_with_the_form_and_typed_input(app: Flask, client, greet) -> None:  # type: ignore[no-untyped-def]
    url = url_for_ref(app, greet)
    assert post(client, url).status_code == 200
    assert post(client, url).status_code == 200
    refused = post(client, url, name="Grace Hopper")
    assert refused.status_code == 429
    retry = int(refused.headers["Retry-After"])
    assert 1 <= retry <= 60
    assert 'value="Grace Hopper"' in refused.text  # the typed input is kept
    assert f"Too many attempts. Wait {retry} seconds, then try again." in refused.text
    assert "<input" in refused.text  # the form itself, not an error page


def test_json_is_429_with_error_and_retry_after(app: Flask, client, greet) -> None:  # type: ignore[no-untyped-def]
    url = url_for_ref(app, greet)
    post(client, url, JSON), post(client, url, JSON)
    refused = post(client, url, JSON)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"].isdigit()
    assert refused.json is not None and refused.json["error"].startswith("Too many attempts.")


def test_nojs_is_303_back_with_the_message_and_retry_after(app: Flask, client, greet) -> None:  # type: ignore[no-untyped-def]
    @app.get("/page")
    def page() -> str:
        from flask import render_template

        return render_template("page.html", refs=[greet.reference])

    url = url_for_ref(app, greet)
    post(client, url, {}), post(client, url, {})
    refused = post(client, url, {}, name="Typed")
    assert refused.status_code == 303
    assert conftest.landed(refused) == "/page"
    assert refused.headers["Retry-After"].isdigit()
    landed = client.get("/page")
    assert "Too many attempts." in landed.text and 'value="Typed"' in landed.text


def test_counted_per_client_address(app: Flask, client, greet) -> None:  # type: ignore[no-untyped-def]
    url = url_for_ref(app, greet)
    for _ in range(2):
        post(client, url)
    assert post(client, url).status_code == 429
    other = app.test_client()
    other_post = other.post(
        url,
        data={"name": "x"},
        headers={**HTMX, "Origin": "http://localhost"},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert other_post.status_code == 200


def test_keyed_by_the_apps_function(app: Flask, client, greet) -> None:  # type: ignore[no-untyped-def]
    app.config["SERVER_FUNCTIONS_RATE_LIMIT_KEY"] = lambda: g.user

    @app.before_request
    def who() -> None:
        from flask import request

        g.user = request.headers.get("X-User", "anon")

    url = url_for_ref(app, greet)
    for _ in range(2):
        assert post(client, url, {**HTMX, "X-User": "ada"}).status_code == 200
    assert post(client, url, {**HTMX, "X-User": "ada"}).status_code == 429
    assert post(client, url, {**HTMX, "X-User": "grace"}).status_code == 200  # same address


def test_functions_count_apart(app: Flask, client, sf: ServerFunctions, greet) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html", rate_limit="2/minute")
    def other(name: str):  # type: ignore[no-untyped-def]
        return name

    url = url_for_ref(app, greet)
    post(client, url), post(client, url)
    assert post(client, url).status_code == 429
    assert post(client, url_for_ref(app, other)).status_code == 200


def test_app_default_group_and_exemption(app: Flask, client, sf: ServerFunctions) -> None:  # type: ignore[no-untyped-def]
    app.config["SERVER_FUNCTIONS_RATE_LIMIT"] = "1/minute"
    group = sf.group("g", rate_limit="3/minute")

    @sf.function(template="name_form.html")
    def plain(name: str):  # type: ignore[no-untyped-def]
        return name

    @group.function(template="name_form.html")
    def grouped(name: str):  # type: ignore[no-untyped-def]
        return name

    @sf.function(template="name_form.html", rate_limit=False)
    def free(name: str):  # type: ignore[no-untyped-def]
        return name

    def statuses(fn: t.Any, n: int) -> list[int]:
        url = url_for_ref(app, fn)
        return [post(client, url).status_code for _ in range(n)]

    assert statuses(plain, 2) == [200, 429]
    assert statuses(grouped, 4) == [200, 200, 200, 429]
    assert statuses(free, 5) == [200] * 5


def test_refused_before_the_function_runs(app: Flask, client, sf: ServerFunctions) -> None:  # type: ignore[no-untyped-def]
    runs: list[str] = []

    @sf.function(template="name_form.html", rate_limit="1/hour")
    def once(name: str):  # type: ignore[no-untyped-def]
        runs.append(name)

    url = url_for_ref(app, once)
    post(client, url), post(client, url)
    assert runs == ["Ada"]


def test_validate_only_calls_count_separately(app: Flask, greet) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.1.1.1"}):
        for _ in range(2):
            check_rate_limit(greet, app.config)
        with pytest.raises(RateLimited):
            check_rate_limit(greet, app.config)
        check_rate_limit(greet, app.config, namespace=VALIDATE_NAMESPACE)  # its own counter


def test_malformed_limits_fail_at_registration(app: Flask, sf: ServerFunctions) -> None:
    with pytest.raises(ValueError):

        @sf.function(rate_limit="ten per minute")
        def bad() -> None: ...

    with pytest.raises(ValueError):
        sf.group("bad", rate_limit="often")
    other = Flask(__name__)
    other.config["SERVER_FUNCTIONS_RATE_LIMIT"] = "1/fortnight"
    with pytest.raises(ValueError):
        ServerFunctions(other)


def test_moving_window_and_unknown_strategy(app: Flask, client, greet) -> None:  # type: ignore[no-untyped-def]
    app.config["SERVER_FUNCTIONS_RATE_LIMIT_STRATEGY"] = "moving-window"
    url = url_for_ref(app, greet)
    assert [post(client, url).status_code for _ in range(3)] == [200, 200, 429]
    app.config["SERVER_FUNCTIONS_RATE_LIMIT_STRATEGY"] = "leaky-bucket"
    with app.test_request_context("/"), pytest.raises(ValueError, match="fixed-window"):
        check_rate_limit(greet, app.config)


def test_shares_flask_limiters_storage(app: Flask, client, greet) -> None:  # type: ignore[no-untyped-def]
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")
    app.config["SERVER_FUNCTIONS_RATE_LIMIT_STORAGE"] = limiter.storage

    @app.get("/ping")
    @limiter.limit("1/minute")
    def ping() -> str:
        return "pong"

    url = url_for_ref(app, greet)
    post(client, url), post(client, url)
    assert post(client, url).status_code == 429
    # The counter is in Flask-Limiter's storage, under a key of its own...
    keys = [k for k in limiter.storage.storage if "server_functions" in k]  # type: ignore[attr-defined]
    assert len(keys) == 1 and greet.id in keys[0]
    # ... and Flask-Limiter's own limits are untouched by it.
    assert client.get("/ping").status_code == 200
    assert client.get("/ping").status_code == 429


def test_redis_storage_shared_by_two_apps(redis_url: str) -> None:
    from jinja2 import DictLoader

    from .conftest import TEMPLATES

    sf = ServerFunctions()

    @sf.function(template="name_form.html", rate_limit="3/minute")
    def shared(name: str):  # type: ignore[no-untyped-def]
        return name

    def make_app() -> Flask:
        app = Flask(__name__)
        app.config.update(SECRET_KEY="shared", SERVER_FUNCTIONS_RATE_LIMIT_STORAGE=redis_url)
        app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment]
        sf.init_app(app)
        return app

    app_a, app_b = make_app(), make_app()  # two "workers", no shared memory
    url = url_for_ref(app_a, shared)
    clients = [app_a.test_client(), app_b.test_client()]
    statuses = [post(clients[i % 2], url).status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_no_limit_no_counter(app: Flask, client, sf: ServerFunctions) -> None:  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html")
    def unlimited(name: str):  # type: ignore[no-untyped-def]
        return name

    for _ in range(3):
        assert post(client, url_for_ref(app, unlimited)).status_code == 200
    assert "server_functions_rate_limiter" not in app.extensions


def test_example_limits_add_note_to_30_a_minute(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import re

    from example import create_app

    app = create_app({"DATABASE": str(tmp_path / "n.sqlite"), "TESTING": True})
    client = app.test_client()
    page = client.get("/").text
    assert "You can add up to 30 notes a minute." in page
    add_url = re.findall(r'<form[^>]* action="([^"]+)"', page)[1]
    statuses = [
        client.post(add_url, data={"text": f"n{i}"}, headers=HTMX).status_code for i in range(31)
    ]
    assert statuses == [200] * 30 + [429]


def test_storage_out_of_reach_lets_calls_through_and_logs(
    app: Flask, client: FlaskClient, greet: t.Any, caplog: pytest.LogCaptureFixture
) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.config["SERVER_FUNCTIONS_RATE_LIMIT_STORAGE"] = f"redis://127.0.0.1:{port}"
    url = url_for_ref(app, greet)
    assert [post(client, url).status_code for _ in range(3)] == [200, 200, 200]
    assert "rate limit storage unavailable: greet not limited" in caplog.text
