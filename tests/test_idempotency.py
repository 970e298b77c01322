"""Idempotent submissions: a replayed key runs the function once (memory and Redis stores)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
import typing as t

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient

from flask_server_functions import ServerFunctions
from flask_server_functions.errors import StoreUnavailable
from flask_server_functions.idempotency import MemoryStore, RedisStore

from .conftest import HTMX, landed

runs: list[str] = []


@pytest.fixture(autouse=True)
def _reset() -> None:
    runs.clear()


@pytest.fixture
def order(sf: ServerFunctions):  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html", idempotent=True)
    def order(name: str):  # type: ignore[no-untyped-def]
        if name == "slow":
            time.sleep(0.3)
        if name == "refuse":
            abort(403)
        runs.append(name)
        return {"order": len(runs)}

    return order


def render_form(app: Flask, ref: t.Any) -> tuple[str, str]:
    from flask import render_template_string

    with app.test_request_context("/"):
        html = render_template_string("{{ server_form(ref) }}", ref=ref)
    action = re.search(r'action="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    once = re.search(r'name="_sf_once" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    return action, once


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "nojs"])
def test_replay_runs_once_and_answers_the_same(
    app: Flask, client: FlaskClient, order, headers
) -> None:  # type: ignore[no-untyped-def]
    url, once = render_form(app, order)
    first = client.post(url, data={"name": "tea", "_sf_once": once}, headers=headers)
    again = client.post(url, data={"name": "tea", "_sf_once": once}, headers=headers)
    assert runs == ["tea"]
    assert first.status_code == again.status_code
    if headers:
        assert '{"order": 1}' in first.text and '{"order": 1}' in again.text
        # the re-rendered form carries a fresh key for the next submission
        assert once not in first.text and 'name="_sf_once"' in first.text
    else:
        assert landed(first) == landed(again)


def test_new_key_runs_again(app: Flask, client: FlaskClient, order) -> None:  # type: ignore[no-untyped-def]
    url, once1 = render_form(app, order)
    _, once2 = render_form(app, order)
    assert once1 != once2
    client.post(url, data={"name": "a", "_sf_once": once1}, headers=HTMX)
    client.post(url, data={"name": "b", "_sf_once": once2}, headers=HTMX)
    assert runs == ["a", "b"]


def test_idempotency_key_header_for_json_calls(app: Flask, client: FlaskClient, order) -> None:  # type: ignore[no-untyped-def]
    url, _ = render_form(app, order)
    headers = {
        "Accept": "application/json",
        "Idempotency-Key": "k-123",
        "Authorization": "Bearer a",
    }
    a = client.post(url, json={"name": "x"}, headers=headers).get_json()
    b = client.post(url, json={"name": "x"}, headers=headers).get_json()
    assert a == b == {"state": {"order": 1}, "errors": None}
    assert runs == ["x"]
    # another client (other credentials) with the same key: its own call
    other = {**headers, "Authorization": "Bearer b"}
    assert client.post(url, json={"name": "y"}, headers=other).get_json()["state"] == {"order": 2}
    assert runs == ["x", "y"]


def test_refused_call_releases_the_key(app: Flask, client: FlaskClient, order) -> None:  # type: ignore[no-untyped-def]
    url, once = render_form(app, order)
    assert (
        client.post(url, data={"name": "refuse", "_sf_once": once}, headers=HTMX).status_code == 403
    )
    assert client.post(url, data={"name": "ok", "_sf_once": once}, headers=HTMX).status_code == 200
    assert runs == ["ok"]


def test_concurrent_double_submit(app: Flask, order) -> None:  # type: ignore[no-untyped-def]
    url, once = render_form(app, order)
    results: list[tuple[int, bool]] = []

    def submit() -> None:
        r = app.test_client().post(url, data={"name": "slow", "_sf_once": once}, headers=HTMX)
        results.append((r.status_code, '{"order": 1}' in r.text))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=10)
    assert runs == ["slow"]
    assert results == [(200, True), (200, True)]


def test_memory_store_expiry() -> None:
    store = MemoryStore()
    assert store.claim("k", ttl=0) is True
    assert store.claim("k", ttl=10) is True  # expired: claimable again
    assert store.claim("k", ttl=10) is False
    assert store.get("k") is None
    store.save("k", {"a": 1}, ttl=10)
    assert store.get("k") == {"a": 1}


@pytest.fixture(scope="module")
def redis_url() -> t.Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_redis_store_shared_by_two_apps(redis_url: str) -> None:
    import redis
    from jinja2 import DictLoader

    from .conftest import TEMPLATES

    sf = ServerFunctions()

    @sf.function(template="name_form.html", idempotent=True)
    def pay(name: str):  # type: ignore[no-untyped-def]
        runs.append(name)
        return {"paid": name}

    def make_app() -> Flask:
        app = Flask(__name__)
        app.config.update(
            SECRET_KEY="shared",
            SERVER_FUNCTIONS_IDEMPOTENCY_STORE=RedisStore(redis.Redis.from_url(redis_url)),
        )
        app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment]
        sf.init_app(app)
        return app

    app_a, app_b = make_app(), make_app()  # two "workers", no shared memory
    url, once = render_form(app_a, pay)
    a = app_a.test_client().post(url, data={"name": "rent", "_sf_once": once}, headers=HTMX)
    b = app_b.test_client().post(url, data={"name": "rent", "_sf_once": once}, headers=HTMX)
    assert runs == ["rent"]
    assert '{"paid": "rent"}' in a.text and '{"paid": "rent"}' in b.text


def test_replay_while_the_first_call_still_runs_is_409(app: Flask, order) -> None:  # type: ignore[no-untyped-def]
    app.config["SERVER_FUNCTIONS_IDEMPOTENCY_WAIT"] = 0.05
    url, once = render_form(app, order)
    results: list[int] = []

    def submit() -> None:
        r = app.test_client().post(url, data={"name": "slow", "_sf_once": once}, headers=HTMX)
        results.append(r.status_code)

    first = threading.Thread(target=submit)
    first.start()
    time.sleep(0.1)
    second = app.test_client().post(url, data={"name": "slow", "_sf_once": once}, headers=HTMX)
    first.join(timeout=10)
    assert second.status_code == 409 and "already being submitted" in second.text
    assert results == [200] and runs == ["slow"]


@pytest.mark.parametrize("once", ["x" * 256, ""], ids=["too-long", "empty"])
def test_malformed_submission_key_is_400_and_runs_nothing(
    app: Flask, client: FlaskClient, order, once: str
) -> None:  # type: ignore[no-untyped-def]
    url, _ = render_form(app, order)
    r = client.post(url, data={"name": "tea", "_sf_once": once}, headers=HTMX)
    assert r.status_code == 400 and "submission key is malformed" in r.text, r.text
    assert runs == []
    headers = {"Accept": "application/json", "Idempotency-Key": "k" * 256, "Authorization": "x"}
    r = client.post(url, json={"name": "tea"}, headers=headers)
    assert r.status_code == 400 and runs == []


def test_memory_store_is_bounded() -> None:
    # Claims are never evicted (a retry would run again): a full store refuses (503).
    store = MemoryStore(max_entries=3)
    for i in range(3):
        assert store.claim(f"k{i}", ttl=60)
        store.save(f"k{i}", {"i": i}, ttl=60)
    with pytest.raises(StoreUnavailable):
        store.claim("k3", ttl=60)
    assert len(store._data) == 3 and store.get("k0") == {"i": 0}
    # Kept state may be evicted: the oldest goes.
    kept = MemoryStore(max_entries=3, evict=True)
    for i in range(5):
        kept.save(f"k{i}", {"i": i}, ttl=60)
    assert len(kept._data) == 3
    assert kept.get("k0") is None and kept.get("k4") == {"i": 4}
