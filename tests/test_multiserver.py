"""Stateless across servers: separate gunicorn processes of the example app.

Each server is its own ``gunicorn -w 1`` process on 127.0.0.1 sharing only the
secret key (``FLASK_SECRET_KEY``) and the SQLite file (``FLASK_DATABASE``), as two
hosts behind a load balancer share them. Requests go through ``http.client``: no
redirect is followed and the session cookie is carried by hand, so every hop is
visible. Nothing here is sticky: a page from A posts to A, the redirect lands on
B, a token A minted is accepted by B, and after a key rotation by C.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import typing as t
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

pytest.importorskip("gunicorn")

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
OLD_KEY = "multi-server-old-key"
NEW_KEY = "multi-server-new-key"
#: Seconds a server has to answer its first request.
READY_TIMEOUT = 15.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return t.cast(int, s.getsockname()[1])


class Server:
    """One gunicorn process serving ``example:create_app()`` on 127.0.0.1."""

    def __init__(
        self, name: str, database: Path, log_dir: Path, *, workers: int = 1, **env: str
    ) -> None:
        self.name = name
        self.port = _free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"gunicorn-{name}.log"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
        # the default store's file too: one instance folder per test run (one "host")
        environ.update(
            FLASK_DATABASE=str(database), EXAMPLE_INSTANCE_PATH=str(log_dir / "instance")
        )
        environ.update(env)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-w",
                    str(workers),
                    "-b",
                    f"127.0.0.1:{self.port}",
                    "--graceful-timeout",
                    "2",
                    "example:create_app()",
                ],
                cwd=ROOT,
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if self.request("GET", "/").status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"gunicorn {self.name} did not start:\n{self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def request(
        self,
        method: str,
        path: str,
        *,
        form: t.Mapping[str, str] | None = None,
        headers: t.Mapping[str, str] | None = None,
        cookie: str | None = None,
    ) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            all_headers = dict(headers or {})
            body = None
            if form is not None:
                body = urlencode(form)
                all_headers["Content-Type"] = "application/x-www-form-urlencoded"
                all_headers.setdefault("Origin", self.origin)
            if cookie:
                all_headers["Cookie"] = cookie
            conn.request(method, path, body=body, headers=all_headers)
            raw = conn.getresponse()
            return Response(raw.status, raw.getheaders(), raw.read().decode())
        finally:
            conn.close()


class Response(t.NamedTuple):
    status: int
    headers: list[tuple[str, str]]
    text: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def session_cookie(self) -> str | None:
        """``session=...`` from Set-Cookie, ready for a Cookie header."""
        for k, v in self.headers:
            if k.lower() == "set-cookie" and v.startswith("session="):
                return v.split(";", 1)[0]
        return None


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[dict[str, Server]]:
    """A and B with the same key; C rotated to a new key with A's as a fallback;
    D with only the new key. All on one database."""
    tmp = tmp_path_factory.mktemp("multiserver")
    database = tmp / "notes.sqlite"
    started: dict[str, Server] = {}
    try:
        started["A"] = Server("A", database, tmp, FLASK_SECRET_KEY=OLD_KEY)
        started["B"] = Server("B", database, tmp, FLASK_SECRET_KEY=OLD_KEY)
        started["C"] = Server(
            "C",
            database,
            tmp,
            FLASK_SECRET_KEY=NEW_KEY,
            FLASK_SECRET_KEY_FALLBACKS=f'["{OLD_KEY}"]',
        )
        started["D"] = Server("D", database, tmp, FLASK_SECRET_KEY=NEW_KEY)
        for server in started.values():
            server.wait_ready()
        yield started
    finally:
        for server in started.values():
            server.stop()


def form_actions(html: str) -> dict[str, str]:
    """Each form's action, by the label of its first button."""
    found = {}
    for action, inner in re.findall(r'<form[^>]* action="([^"]+)"[^>]*>(.*?)</form>', html, re.S):
        button = re.search(r"<button[^>]*>\s*([^<]+?)\s*</button>", inner)
        if button:
            found.setdefault(button.group(1), action)
    return found


def test_no_js_post_on_a_redirect_lands_on_b(servers: dict[str, Server]) -> None:
    a, b = servers["A"], servers["B"]
    add = form_actions(a.request("GET", "/").text)["Add note"]

    # too long: the error and the typed text are kept in the session cookie...
    typed = "y" * 201
    r = a.request("POST", add, form={"text": typed, "_sf_next": "/"})
    location = urlsplit(r.header("Location") or "")
    assert r.status == 303 and location.netloc and location.path == "/"
    cookie = r.session_cookie()
    assert cookie
    # ...and shown by B, which never saw the POST
    page = b.request("GET", f"{location.path}?{location.query}", cookie=cookie)
    assert page.status == 200
    assert "Keep it under 200 characters." in page.text
    assert f'value="{typed}"' in page.text
    # for exactly one request
    assert (
        "Keep it under 200"
        not in b.request("GET", "/", cookie=page.session_cookie() or cookie).text
    )

    # a note added through A is listed by B, with the add form reset
    r = a.request("POST", add, form={"text": "written on A", "_sf_next": "/"})
    assert r.status == 303
    page = b.request("GET", "/", cookie=r.session_cookie())
    assert 'value="written on A"' in page.text  # the note's rename form, on B
    assert "1 note<" in page.text


def test_token_minted_by_a_is_accepted_by_b(servers: dict[str, Server]) -> None:
    a, b = servers["A"], servers["B"]
    save_name = form_actions(a.request("GET", "/").text)["Save"]
    r = b.request("POST", save_name, form={"name": "Ada"}, headers={"HX-Request": "true"})
    assert r.status == 200
    assert 'Saved name: <strong class="saved-name">Ada</strong>' in r.text
    assert "<form" not in r.text  # an htmx fragment


def test_old_token_works_after_key_rotation(servers: dict[str, Server]) -> None:
    a, c, d = servers["A"], servers["C"], servers["D"]
    save_name = form_actions(a.request("GET", "/").text)["Save"]
    htmx = {"HX-Request": "true"}
    # C signs with the new key and still verifies the old one (SECRET_KEY_FALLBACKS)
    r = c.request("POST", save_name, form={"name": "Rotated"}, headers=htmx)
    assert r.status == 200 and "Rotated" in r.text
    # without the fallback the old token is refused, with the form's message
    r = d.request("POST", save_name, form={"name": "Refused"}, headers=htmx)
    assert r.status == 400 and "Reload the page" in r.text
    # C's new tokens are its own: A (old key only) refuses them
    new_token = form_actions(c.request("GET", "/").text)["Save"]
    assert urlsplit(new_token).path != urlsplit(save_name).path
    assert a.request("POST", new_token, form={"name": "x"}, headers=htmx).status == 400


def test_old_session_cookie_works_after_key_rotation(servers: dict[str, Server]) -> None:
    a, c = servers["A"], servers["C"]
    add = form_actions(a.request("GET", "/").text)["Add note"]
    r = a.request("POST", add, form={"text": "", "_sf_next": "/"})
    assert r.status == 303
    page = c.request("GET", "/", cookie=r.session_cookie())
    assert "Write something first." in page.text
