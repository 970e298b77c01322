"""A one-time key answers only the input it was first sent with (Stripe's rule): the
same key with other input is a 409 on every path, while the first call runs and after
it; the same input still replays. Memory, SQLite and Redis stores keep the input's
fingerprint with the claim."""

from __future__ import annotations

import io
import re
import sqlite3
import threading
import typing as t

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from jinja2 import DictLoader
from werkzeug.datastructures import FileStorage, MultiDict

from flask_server_functions import ServerFunctions
from flask_server_functions.config import app_state
from flask_server_functions.errors import MismatchedReplay
from flask_server_functions.fingerprint import input_digest, input_fingerprint
from flask_server_functions.idempotency import (
    ONCE_FIELD,
    MemoryStore,
    RedisStore,
    SQLiteStore,
    Store,
)
from flask_server_functions.schemas import File

from .conftest import HTMX, TEMPLATES
from .test_idempotency import redis_url as redis_url  # the real redis-server fixture
from .test_idempotency import render_form
from .test_streaming import SSE, states

MISMATCH = str(MismatchedReplay.description)
runs: list[str] = []


@pytest.fixture(autouse=True)
def _reset() -> None:
    runs.clear()


def make_app(tmp_path: t.Any, *, testing: bool = True, **config: t.Any) -> Flask:
    sf = ServerFunctions()

    @sf.function(template="name_form.html", idempotent=True)
    def order(name: str) -> dict[str, t.Any]:
        if name.startswith("wait"):  # the test says when this call may end
            started.set()
            assert finish.wait(10)
        runs.append(name)
        return {"order": name}

    @sf.function(template="name_form.html", idempotent=True)
    def upload(name: str, file: t.Annotated[FileStorage, File()]) -> dict[str, t.Any]:
        runs.append(f"{name}:{file.read().decode()}")
        return {"stored": name}

    @sf.function(template="name_form.html", idempotent=True)
    def steps(name: str) -> t.Iterator[dict[str, t.Any]]:
        for i in (1, 2):
            runs.append(f"{name} {i}")
            yield {"step": i, "name": name}

    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="replay", TESTING=testing, **config)
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment]
    sf.init_app(app)
    functions = {"order": order, "upload": upload, "steps": steps}
    app.extensions["test_functions"] = functions

    @app.get("/page/<name>")
    def page(name: str) -> str:
        return render_template_string("{{ server_form(ref) }}", ref=functions[name])

    return app


started, finish = threading.Event(), threading.Event()


@pytest.fixture
def app(tmp_path: t.Any) -> t.Iterator[Flask]:
    started.clear()
    finish.clear()
    yield make_app(tmp_path)
    finish.set()


def form_of(client: FlaskClient, name: str = "order") -> tuple[str, str, str]:
    """The action, the one-time key and the landing page of the form the page rendered
    for this client (its session scopes the key)."""
    html = client.get(f"/page/{name}").text
    action = re.search(r'action="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    once = re.search(r'name="_sf_once" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    return action, once, f"/page/{name}"


def test_htmx_other_input_is_409_with_the_form_and_what_was_typed(app: Flask) -> None:
    client = app.test_client()
    url, once, _ = form_of(client)
    first = client.post(url, data={"name": "tea", ONCE_FIELD: once}, headers=HTMX)
    assert first.status_code == 200 and '{"order": "tea"}' in first.text
    other = client.post(url, data={"name": "coffee", ONCE_FIELD: once}, headers=HTMX)
    assert other.status_code == 409
    assert MISMATCH in other.text and 'value="coffee"' in other.text  # the form, as typed
    assert '{"order": "tea"}' not in other.text  # not the first call's outcome
    assert runs == ["tea"]
    # The re-rendered form carries a fresh key: sending it again runs the new input.
    fresh = re.search(r'name="_sf_once" value="([^"]+)"', other.text).group(1)  # type: ignore[union-attr]
    assert fresh != once
    again = client.post(url, data={"name": "coffee", ONCE_FIELD: fresh}, headers=HTMX)
    assert again.status_code == 200 and runs == ["tea", "coffee"]


def test_same_input_still_replays_whatever_the_bookkeeping_fields(app: Flask) -> None:
    client = app.test_client()
    url, once, page = form_of(client)
    data = {"name": "tea", ONCE_FIELD: once, "_sf_next": page}
    first = client.post(url, data=data, headers=HTMX)
    # another landing page and a CSRF token are bookkeeping, not input: still a replay
    again = client.post(
        url, data={**data, "_sf_next": "/elsewhere", "csrf_token": "x"}, headers=HTMX
    )
    assert first.status_code == again.status_code == 200
    assert '{"order": "tea"}' in again.text and runs == ["tea"]


def test_json_other_body_under_an_idempotency_key_is_a_409_json_error(app: Flask) -> None:
    client = app.test_client()
    url, _, _ = form_of(client)
    headers = {"Accept": "application/json", "Idempotency-Key": "k-1", "Authorization": "Bearer a"}
    assert client.post(url, json={"name": "x"}, headers=headers).get_json()["state"] == {
        "order": "x"
    }
    same = client.post(url, json={"name": "x"}, headers=headers)
    assert same.status_code == 200 and same.get_json()["state"] == {"order": "x"}
    other = client.post(url, json={"name": "y"}, headers=headers)
    assert other.status_code == 409 and other.get_json() == {"error": MISMATCH}
    assert runs == ["x"]


def test_nojs_other_input_lands_on_the_page_with_the_message_and_input(app: Flask) -> None:
    client = app.test_client()
    url, once, page = form_of(client)
    data = {"name": "tea", ONCE_FIELD: once, "_sf_next": page}
    assert client.post(url, data=data).status_code == 303
    client.get(page)  # the first call's result, shown
    r = client.post(url, data={**data, "name": "coffee"})
    assert r.status_code == 303 and r.headers["Location"].endswith(page)
    landed = client.get(r.headers["Location"]).text
    assert MISMATCH in landed and 'value="coffee"' in landed
    assert '{"order": "tea"}' not in landed and runs == ["tea"]


def test_other_input_while_the_first_call_runs_is_409_at_once(app: Flask) -> None:
    # A replay of the same input would wait (up to IDEMPOTENCY_WAIT) for the running
    # call; one of other input is refused without waiting: the first call is still
    # held when it is answered.
    app.config["SERVER_FUNCTIONS_IDEMPOTENCY_WAIT"] = 30.0
    client = app.test_client()
    url, once, _ = form_of(client)
    cookie = client.get_cookie("session").value  # type: ignore[union-attr]
    answers: list[t.Any] = []

    def first() -> None:
        other_client = app.test_client()
        other_client.set_cookie("session", cookie)
        data = {"name": "wait tea", ONCE_FIELD: once}
        answers.append(other_client.post(url, data=data, headers=HTMX))

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    other = client.post(url, data={"name": "coffee", ONCE_FIELD: once}, headers=HTMX)
    assert not finish.is_set() and thread.is_alive()  # answered while the first runs
    finish.set()
    thread.join(10)
    assert other.status_code == 409 and MISMATCH in other.text and 'value="coffee"' in other.text
    assert [a.status_code for a in answers] == [200] and runs == ["wait tea"]


def upload_data(once: str, name: str, content: bytes, filename: str = "a.txt") -> dict[str, t.Any]:
    return {"name": name, ONCE_FIELD: once, "file": (io.BytesIO(content), filename)}


def test_uploaded_files_count_by_their_bytes(app: Flask) -> None:
    client = app.test_client()
    url, once, _ = form_of(client, "upload")
    assert client.post(url, data=upload_data(once, "n", b"one"), headers=HTMX).status_code == 200
    same = client.post(url, data=upload_data(once, "n", b"one"), headers=HTMX)
    assert same.status_code == 200 and '{"stored": "n"}' in same.text
    # the same name and size, other bytes: other input
    other = client.post(url, data=upload_data(once, "n", b"two"), headers=HTMX)
    assert other.status_code == 409 and MISMATCH in other.text
    renamed = client.post(url, data=upload_data(once, "n", b"one", "b.txt"), headers=HTMX)
    assert renamed.status_code == 409
    assert runs == ["n:one"]  # the function read the file whole after it was hashed


def test_streams_other_input_is_409_while_streaming_and_after(app: Flask) -> None:
    app.config["SERVER_FUNCTIONS_IDEMPOTENCY_WAIT"] = 0.05
    client = app.test_client()
    url, once, _ = form_of(client, "steps")
    data = {"name": "a", ONCE_FIELD: once}
    stream = client.post(url, data=data, headers=SSE, buffered=False)
    body = iter(stream.response)
    next(body)  # the first state: the claim is held until the stream ends
    other = client.post(url, data={**data, "name": "b"}, headers=SSE)
    assert other.status_code == 409 and MISMATCH in other.text
    assert "text/event-stream" not in other.content_type
    running = client.post(url, data=data, headers=SSE)  # the same input waits, then 409
    assert running.status_code == 409 and MISMATCH not in running.text
    rest = b"".join(body).decode()
    stream.close()
    assert states(rest)[-1] == '{"name": "a", "step": 2}'
    after = client.post(url, data={**data, "name": "b"}, headers={"Accept": "application/json"})
    assert after.status_code == 409 and after.get_json() == {"error": MISMATCH}
    replay = client.post(url, data=data, headers={"Accept": "application/json"})
    assert replay.get_json()["state"] == {"name": "a", "step": 2}
    assert runs == ["a 1", "a 2"]


class ForgetfulStore(MemoryStore):
    """A store that keeps no fingerprint with its claims (a custom store's bare minimum)."""

    def fingerprint(self, key: str) -> str | None:
        return "" if super().fingerprint(key) is not None else None


def test_the_stored_outcome_says_which_input_it_answers(tmp_path: t.Any) -> None:
    app = make_app(tmp_path, SERVER_FUNCTIONS_IDEMPOTENCY_STORE=ForgetfulStore())
    client = app.test_client()
    url, once, _ = form_of(client)
    client.post(url, data={"name": "tea", ONCE_FIELD: once}, headers=HTMX)
    other = client.post(url, data={"name": "coffee", ONCE_FIELD: once}, headers=HTMX)
    assert other.status_code == 409 and runs == ["tea"]


def test_input_fingerprint() -> None:
    def fp(*pairs: tuple[str, t.Any]) -> str:
        return input_fingerprint(MultiDict(list(pairs)), "secret")

    base = fp(("a", "1"), ("b", "2"))
    assert re.fullmatch(r"[0-9a-f]{64}", base)  # fixed size, whatever the input's
    assert len(fp(("a", "x" * 100_000))) == 64
    assert fp(("b", "2"), ("a", "1")) == base  # the fields' order does not count
    assert fp(("a", "1"), ("a", "2")) != fp(("a", "2"), ("a", "1"))  # a field's values' does
    assert fp(("a", "12")) != fp(("a", "1"), ("a", "2")) != fp(("a1", "2"))  # no ambiguity
    assert fp(("a", 1)) != fp(("a", "1"))  # a JSON number is not a string
    assert fp(("a", {"x": 1, "y": 2})) == fp(("a", {"y": 2, "x": 1}))
    bookkeeping = [(k, "v") for k in ("_sf_once", "_sf_next", "csrf_token", "_sf_confirmed")]
    assert fp(("a", "1"), ("b", "2"), *bookkeeping) == base
    assert fp(("a", "1"), ("b", "2"), ("_sf_state", "signed")) != base  # the state is input
    # keyed by the app's secret: the store holds nothing to guess a short input from
    assert input_fingerprint(MultiDict([("a", "1"), ("b", "2")]), "other") != base
    assert input_digest(MultiDict([("a", "1"), ("b", "2")])).hex() != base

    def upload(content: bytes, name: str = "f.txt") -> FileStorage:
        stream = io.BytesIO(content)
        stream.seek(1)  # wherever it was, it is left there
        return FileStorage(stream, filename=name, content_type="text/plain")

    file = upload(b"abc")
    assert fp(("f", file)) == fp(("f", upload(b"abc"))) != fp(("f", upload(b"abd")))
    assert file.stream.tell() == 1
    assert fp(("f", upload(b"abc", "g.txt"))) != fp(("f", upload(b"abc")))


def test_a_rotated_secret_key_still_replays_the_same_input(app: Flask) -> None:
    client = app.test_client()
    url, once, _ = form_of(client)
    client.post(url, data={"name": "tea", ONCE_FIELD: once}, headers=HTMX)
    app.config.update(SECRET_KEY="rotated", SECRET_KEY_FALLBACKS=["replay"])
    same = client.post(url, data={"name": "tea", ONCE_FIELD: once}, headers=HTMX)
    assert same.status_code == 200 and '{"order": "tea"}' in same.text
    other = client.post(url, data={"name": "coffee", ONCE_FIELD: once}, headers=HTMX)
    assert other.status_code == 409 and runs == ["tea"]


def store_kinds(tmp_path: t.Any, redis_url: str | None) -> dict[str, Store]:
    stores: dict[str, Store] = {
        "memory": MemoryStore(),
        "sqlite": SQLiteStore(tmp_path / "s.sqlite3"),
    }
    if redis_url is not None:
        import redis

        client = redis.Redis.from_url(redis_url)
        client.flushdb()
        stores["redis"] = RedisStore(client)
    return stores


@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
def test_stores_keep_the_fingerprint_with_the_claim(
    tmp_path: t.Any, kind: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("redis_url") if kind == "redis" else None
    store = store_kinds(tmp_path, url)[kind]
    assert store.fingerprint("k") is None
    assert store.claim("k", 60, "f" * 64)
    assert store.fingerprint("k") == "f" * 64 and store.get("k") is None  # claimed, running
    assert not store.claim("k", 60, "e" * 64)  # a second claim changes nothing
    assert store.fingerprint("k") == "f" * 64
    store.save("k", {"status": 200}, 60)
    assert store.get("k") == {"status": 200} and store.fingerprint("k") == "f" * 64
    store.release("k")
    assert store.fingerprint("k") is None and store.get("k") is None
    assert store.claim("k", 60, "e" * 64) and store.fingerprint("k") == "e" * 64
    assert store.claim("bare", 60) and store.fingerprint("bare") == ""
    # kept no-JS state (saved without a claim) has no fingerprint, and reads as before
    kept = t.cast(t.Any, store).sibling()
    kept.save("kept:t", {"tagged": "x"}, 60)
    assert kept.get("kept:t") == {"tagged": "x"} and kept.fingerprint("kept:t") == ""


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_an_expired_claim_takes_its_fingerprint_with_it(tmp_path: t.Any, kind: str) -> None:
    store = store_kinds(tmp_path, None)[kind]
    assert store.claim("k", 0, "f" * 64)
    assert store.fingerprint("k") is None
    assert store.claim("k", 60, "e" * 64) and store.fingerprint("k") == "e" * 64


def test_sqlite_file_from_before_fingerprints_gets_the_column(tmp_path: t.Any) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE entry (ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT,"
            " expires REAL NOT NULL, PRIMARY KEY (ns, key))"
        )
        old.execute("INSERT INTO entry VALUES ('once', 'old', '{\"status\": 200}', 1e12)")
    old.close()
    store, other = SQLiteStore(path), SQLiteStore(path)  # two workers open it
    assert store.get("old") == {"status": 200} and store.fingerprint("old") == ""
    assert other.claim("new", 60, "f" * 64) and store.fingerprint("new") == "f" * 64


def test_redis_values_from_before_fingerprints_still_read(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    store = RedisStore(client, prefix="legacy:")
    client.set("legacy:done", '{"status":200}', ex=60)
    client.set("legacy:running", "", ex=60)
    assert store.get("done") == {"status": 200} and store.fingerprint("done") == ""
    assert store.get("running") is None and store.fingerprint("running") == ""
    store.save("done", {"status": 201}, 60)
    assert store.get("done") == {"status": 201}


def two_workers(tmp_path: t.Any, store: t.Callable[[], Store] | None) -> tuple[Flask, Flask]:
    """Two app objects standing for two worker processes (no shared memory)."""
    apps = []
    for _ in range(2):
        config = {} if store is None else {"SERVER_FUNCTIONS_IDEMPOTENCY_STORE": store()}
        apps.append(make_app(tmp_path, testing=False, **config))
    return apps[0], apps[1]


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_other_input_on_another_worker_is_409(
    tmp_path: t.Any, kind: str, request: pytest.FixtureRequest
) -> None:
    if kind == "redis":
        import redis

        url = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        worker_a, worker_b = two_workers(tmp_path, lambda: RedisStore(redis.Redis.from_url(url)))
    else:  # the default: the instance folder's SQLite file
        worker_a, worker_b = two_workers(tmp_path, None)
        assert isinstance(app_state(worker_a).idempotency_store, SQLiteStore)
    url_a, once = render_form(worker_a, worker_a.extensions["test_functions"]["order"])
    first = worker_a.test_client().post(
        url_a, data={"name": "rent", ONCE_FIELD: once}, headers=HTMX
    )
    assert first.status_code == 200
    b = worker_b.test_client()
    other = b.post(url_a, data={"name": "more", ONCE_FIELD: once}, headers=HTMX)
    assert other.status_code == 409 and MISMATCH in other.text
    same = b.post(url_a, data={"name": "rent", ONCE_FIELD: once}, headers=HTMX)
    assert same.status_code == 200 and '{"order": "rent"}' in same.text
    assert runs == ["rent"]
