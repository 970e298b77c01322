"""Load, faults and memory on real gunicorn (``-w 4``, default settings) and real Redis.

Bounded in count and time (``LOAD_SUBMISSIONS``, default 5,000; a deadline stops the
load early on a slow machine, and the figures say what was done). Each test prints
its figures (``pytest -s``). Loopback only.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import typing as t
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import pytest

from .test_multiserver import Server, form_actions

pytest.importorskip("gunicorn")
pytestmark = pytest.mark.server

SUBMISSIONS = int(os.environ.get("LOAD_SUBMISSIONS", "5000"))
#: Seconds the main load may take before it stops early (and says so).
LOAD_DEADLINE = float(os.environ.get("LOAD_DEADLINE", "60"))
THREADS = 8
STORE_FILE = "server-functions.sqlite3"


class Answer(t.NamedTuple):
    status: int  # 0: a connection error
    headers: dict[str, str]
    text: str


def send(
    server: Server,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: t.Mapping[str, str] | None = None,
) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        raw = conn.getresponse()
        found: dict[str, str] = {}
        for k, v in raw.getheaders():
            if k.lower() == "set-cookie" and v.startswith("session="):
                found["session"] = v.split(";", 1)[0]
            found.setdefault(k.lower(), v)
        return Answer(raw.status, found, raw.read().decode())
    except (OSError, http.client.HTTPException):
        return Answer(0, {}, "")
    finally:
        conn.close()


def form(server: Server, path: str, data: t.Mapping[str, str], **headers: str) -> Answer:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": server.origin,
        **{k.replace("_", "-"): v for k, v in headers.items()},
    }
    return send(server, "POST", path, body=urlencode(data).encode(), headers=headers)


def add_note_form(html: str) -> tuple[str, str]:
    """The add-note form's action and its one-time key."""
    match = re.search(r'<form[^>]* action="([^"]+)"[^>]*>(?:(?!</form>).)*?Add note', html, re.S)
    assert match, html[:500]
    block = html[match.start() : html.index("</form>", match.start())]
    once = re.search(r'name="_sf_once" value="([^"]+)"', block)
    assert once, block
    return match.group(1), once.group(1)


def notes_written(database: Path, text: str) -> int:
    with sqlite3.connect(database, timeout=30) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM note WHERE text = ?", (text,)).fetchone()[0])


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: children of the master process this test started."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(entry))
    return found


class Load:
    """Mixed submissions from several threads, with counts of what happened."""

    def __init__(self, server: Server, database: Path) -> None:
        self.server = server
        self.database = database
        self.counts: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        #: (text, hit by a connection error or a 503, action, key, cookie)
        self.dups: list[tuple[str, bool, str, str, str]] = []
        #: Redis may be down: a one-time key is then a 503 (nothing ran).
        self.allow_503 = False
        self.lock = threading.Lock()
        self.page = server.request("GET", "/").text
        self.actions = form_actions(self.page)

    def count(self, *names: str, status: int | None = None) -> None:
        with self.lock:
            for name in names:
                self.counts[name] += 1
            if status is not None:
                self.statuses[status] += 1

    def submit(self, kind: int, n: int) -> None:
        s = self.server
        save = self.actions["Save"]
        if kind in (0, 1, 2):  # htmx
            r = form(s, save, {"name": f"h{n}"}, HX_Request="true")
            self.count("htmx", "submissions", status=r.status)
            assert r.status in (0, 200), r
        elif kind in (3, 4):  # JSON
            body = json.dumps({"name": f"j{n}"}).encode()
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            r = send(s, "POST", save, body=body, headers={**headers, "Origin": s.origin})
            self.count("json", "submissions", status=r.status)
            assert r.status == 0 or (r.status == 200 and r.text.count(f"j{n}") == 1), r
        elif kind in (5, 6):  # no JS, long text: the result is shown after the 303
            long = f"n{n}-" + "x" * 3000
            r = form(s, save, {"name": long, "_sf_next": "/"})
            self.count("nojs", "submissions", status=r.status)
            if r.status == 0:
                return
            if self.allow_503 and r.status == 503:  # the store down: said plainly, nothing lost
                assert "try again" in r.text, r
                return
            assert r.status == 303, r
            for _ in range(3):  # a GET that met a killed worker is safe to repeat
                page = send(s, "GET", "/", headers={"Cookie": r.headers["session"]})
                if page.status:
                    break
            assert page.status == 200
            self.count("nojs shown" if long in page.text else "nojs lost")
        elif kind == 7:  # invalid input, several ways
            way = n % 4
            if way == 0:
                r = form(s, self.actions["Add note"], {"text": ""}, HX_Request="true")
                want = 422
            elif way == 1:
                r = form(s, save.split("?")[0][:-3] + "AAA", {"name": "x"}, HX_Request="true")
                want = 400
            elif way == 2:
                body = b'{"name": ' + b"[" * 300 + b"]" * 300 + b"}"
                headers = {"Content-Type": "application/json", "Origin": s.origin}
                r = send(s, "POST", save, body=body, headers=headers)
                want = 303  # no JS: back to the page with the message
            else:
                r = form(s, save, {"name": "x", "n" * 300: "y"}, HX_Request="true")
                want = 400
            self.count("invalid", "submissions", status=r.status)
            assert r.status in (0, want) or (self.allow_503 and r.status == 503), (way, r)
        else:  # one submission sent three times with the same key
            page = send(s, "GET", "/")
            if not page.status:
                return
            action, once = add_note_form(page.text)
            text = f"dup-{n}"
            hit = False
            cookie = page.headers["session"]
            for _ in range(3):
                for _attempt in range(3):  # a connection error is retried, with the same key
                    r = form(
                        s,
                        action,
                        {"text": text, "_sf_once": once},
                        HX_Request="true",
                        Cookie=cookie,
                    )
                    self.count("duplicates", "submissions", status=r.status)
                    if r.status and r.status != 503:
                        break
                    hit = True
                assert r.status in (0, 200, 409) or (self.allow_503 and r.status == 503), r
            with self.lock:
                self.dups.append((text, hit, action, once, cookie))

    def run(self, total: int, deadline: float, *, midway: t.Callable[[], None]) -> float:
        kinds = [0, 1, 2, 3, 4, 5, 6, 7, 7, 8]
        started = time.monotonic()
        done = threading.Event()
        errors: list[BaseException] = []
        fired = threading.Event()

        def worker(index: int) -> None:
            n = index
            while not done.is_set() and self.counts["submissions"] < total:
                if time.monotonic() - started > deadline:
                    return
                try:
                    self.submit(kinds[n % len(kinds)], n)
                except BaseException as e:  # reported after the join
                    errors.append(e)
                    done.set()
                n += THREADS
                halfway = (
                    self.counts["submissions"] >= total // 2
                    or time.monotonic() - started > deadline / 2
                )
                if halfway and not fired.is_set():
                    with self.lock:
                        if fired.is_set():
                            continue
                        fired.set()
                    midway()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=deadline + 60)
        if errors:
            raise errors[0]
        return time.monotonic() - started


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "notes.sqlite"


def start(tmp_path: Path, database: Path, name: str, workers: int, **env: str) -> Server:
    # Every client here is 127.0.0.1: the example's per-client rate limit would answer
    # most of the load with 429s, so it is turned off (it has tests of its own).
    env.setdefault("FLASK_SERVER_FUNCTIONS_RATE_LIMIT_ENABLED", "false")
    server = Server(name, database, tmp_path, workers=workers, **env)
    server.wait_ready()
    return server


def test_four_workers_default_settings_load_and_sigkill(tmp_path: Path, database: Path) -> None:
    server = start(tmp_path, database, "load", 4)
    try:
        load = Load(server, database)
        killed: list[int] = []

        def kill_a_worker() -> None:
            pid = worker_pids(server.proc.pid)[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        seconds = load.run(SUBMISSIONS, LOAD_DEADLINE, midway=kill_a_worker)
        written = {text: notes_written(database, text) for text, *_ in load.dups}
    finally:
        server.stop()
    c = load.counts
    print(
        f"\nload: {c['submissions']} submissions in {seconds:.0f} s ({dict(c)});"
        f" statuses {dict(load.statuses)}; killed worker {killed};"
        f" duplicated keys {len(load.dups)}, written once {sum(v == 1 for v in written.values())}"
    )
    assert killed, "the load ended before a worker was killed"
    assert not [s for s in load.statuses if s >= 500]
    assert c["nojs lost"] == 0 and c["nojs shown"] > 0
    assert all(v <= 1 for v in written.values()), written  # never twice
    assert all(written[text] == 1 for text, hit, *_ in load.dups if not hit)
    assert c["submissions"] >= min(SUBMISSIONS, 1000)
    instance = tmp_path / "instance"
    assert (instance / STORE_FILE).exists()  # the default store, shared by the 4 workers


@pytest.fixture
def redis_server(tmp_path: Path) -> t.Iterator[t.Callable[[], subprocess.Popen[bytes]]]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = tmp_path / "redis"
    data.mkdir()
    procs: list[subprocess.Popen[bytes]] = []

    def launch() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(data),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        return proc
            except OSError:
                time.sleep(0.05)
        pytest.fail("redis-server did not start")

    launch.port = port  # type: ignore[attr-defined]
    yield launch
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


def test_redis_restart_mid_load(tmp_path: Path, database: Path, redis_server: t.Any) -> None:
    proc = redis_server()
    url = f"redis://127.0.0.1:{redis_server.port}/0"
    server = start(tmp_path, database, "redis", 2, FLASK_REDIS_URL=url)
    try:
        load = Load(server, database)
        load.allow_503 = True
        down: list[float] = []

        def restart() -> None:
            nonlocal proc
            proc.terminate()  # SIGTERM: Redis writes its append-only file and stops
            proc.wait(timeout=10)
            down.append(time.monotonic())
            # while it is down: a clear 503 for a one-time key, nothing else fails
            page = send(server, "GET", "/")
            action, once = add_note_form(page.text)
            r = form(server, action, {"text": "while-down", "_sf_once": once}, HX_Request="true")
            load.count("while down", status=r.status)
            assert r.status == 503 and "try again" in r.text, r
            time.sleep(1)
            proc = redis_server()

        total = min(SUBMISSIONS, 800)
        load.run(total, LOAD_DEADLINE / 2, midway=restart)
        written = {text: notes_written(database, text) for text, *_ in load.dups}
        # keys used before the restart are still claimed after it: a replay runs nothing
        replayed = 0
        for text, _, action, once, cookie in load.dups[:20]:
            r = form(
                server, action, {"text": text, "_sf_once": once}, HX_Request="true", Cookie=cookie
            )
            assert r.status == 200 and notes_written(database, text) == 1, (text, r.status)
            replayed += 1
    finally:
        server.stop()
    print(
        f"\nredis: {dict(load.counts)}; statuses {dict(load.statuses)};"
        f" duplicated keys {len(load.dups)}, written once {sum(v == 1 for v in written.values())},"
        f" replayed after the restart {replayed}"
    )
    assert down and load.statuses[503] >= 1
    assert not [s for s in load.statuses if s >= 500 and s != 503]
    assert all(v <= 1 for v in written.values()), written
    assert notes_written(database, "while-down") == 0


def store_size(path: Path) -> dict[str, tuple[int, int, int]]:
    """Per namespace of the default store: (keys, bytes of values, largest value)."""
    with sqlite3.connect(path, timeout=30) as conn:
        rows = conn.execute(
            "SELECT ns, COUNT(*), COALESCE(SUM(LENGTH(CAST(value AS BLOB))), 0),"
            " COALESCE(MAX(LENGTH(CAST(value AS BLOB))), 0) FROM entry GROUP BY ns"
        ).fetchall()
    return {ns: (int(n), int(b), int(m)) for ns, n, b, m in rows}


def test_anonymous_one_megabyte_submissions_stay_within_the_bounds(
    tmp_path: Path, database: Path
) -> None:
    from flask_server_functions.idempotency import OUTCOME_MAX
    from flask_server_functions.kept import KEPT_RECORD_MAX

    server = start(tmp_path, database, "memory", 2)
    megabyte = 1_000_000 - 100
    posted = Counter[str]()
    started = time.monotonic()
    deadline = LOAD_DEADLINE / 2
    lock = threading.Lock()
    try:
        save = form_actions(server.request("GET", "/").text)["Save"]

        def worker(index: int) -> None:
            for n in range(index, 1000, 4):
                if time.monotonic() - started > deadline:
                    return
                if n % 2:  # no JS, echoed into the state: too large to keep, a small record
                    r = form(server, save, {"name": "e" * megabyte, "_sf_next": "/"})
                    kind = "nojs echo"
                else:  # idempotent, no JS, too long: a one-time outcome and kept state
                    page = send(server, "GET", "/")
                    action, once = add_note_form(page.text)
                    r = form(
                        server,
                        action,
                        {"text": "t" * megabyte, "_sf_once": once, "_sf_next": "/"},
                        Cookie=page.headers["session"],
                    )
                    kind = "nojs idempotent"
                assert r.status == 303, (kind, r.status, r.text[:300])
                with lock:
                    posted[kind] += 1

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=deadline + 60)
        seconds = time.monotonic() - started
        store = tmp_path / "instance" / STORE_FILE
        sizes = store_size(store)
        file_bytes = sum(p.stat().st_size for p in store.parent.glob(STORE_FILE + "*"))
    finally:
        server.stop()
    total = sum(posted.values())
    print(
        f"\nmemory: {total} anonymous 1 MB submissions ({dict(posted)}) in {seconds:.0f} s,"
        f" {total} MB posted; store (keys, bytes, largest) per namespace {sizes};"
        f" store files {file_bytes / 1024:.0f} KiB"
    )
    assert total >= 200
    once_keys, once_bytes, once_largest = sizes.get("once", (0, 0, 0))
    kept_keys, kept_bytes, kept_largest = sizes.get("once-kept", (0, 0, 0))
    assert once_keys == posted["nojs idempotent"] and once_largest <= OUTCOME_MAX
    assert kept_largest <= KEPT_RECORD_MAX and kept_keys <= 10_000
    assert once_bytes + kept_bytes < total * 2048  # not a trace of the megabytes
    assert file_bytes < 16 * 1024 * 1024
