"""Streaming under real gunicorn (sync, gthread and gevent workers): the example's import.

The events must reach the client while the function still runs (not buffered to
the end), and a client that hangs up must stop the function: its ``finally:``
records how far it got, and no row is written after that. Both are observed in the
SQLite file the server writes, not by timing.
"""

from __future__ import annotations

import http.client
import os
import re
import sqlite3
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest

from tests.test_multiserver import READY_TIMEOUT, ROOT, _free_port

pytest.importorskip("gunicorn")

pytestmark = pytest.mark.server

LINES = [f"line {i}" for i in range(1, 11)]
BOUNDARY = "sf-test-boundary"


class Gunicorn:
    def __init__(self, tmp: Path, *args: str) -> None:
        self.port = _free_port()
        self.opened: list[http.client.HTTPConnection] = []
        self.database = tmp / "example.sqlite"
        self.log = tmp / "gunicorn.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
        # Each imported line sleeps EXAMPLE_SLOW_SECONDS / 5 = 0.1 s.
        env.update(FLASK_DATABASE=str(self.database), FLASK_EXAMPLE_SLOW_SECONDS="0.5")
        command = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{self.port}", *args]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [*command, "--graceful-timeout", "2", "example:create_app()"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                ready = self.connection()
                ready.request("GET", "/")
                status = ready.getresponse().status
                ready.close()
                if status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"gunicorn did not start:\n{self.log.read_text()[-2000:]}")

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def hang_up(self) -> None:
        """Close the client's connections, as a browser does when a request is aborted."""
        for conn in self.opened:
            conn.close()

    def stop(self) -> None:
        self.hang_up()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def rows(self) -> int:
        with sqlite3.connect(self.database) as db:
            return t.cast(int, db.execute("SELECT count(*) FROM note").fetchone()[0])

    def setting(self, key: str) -> str | None:
        with sqlite3.connect(self.database) as db:
            row = db.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
        return None if row is None else t.cast(str, row[0])

    def start_import(self) -> http.client.HTTPResponse:
        """POST the import form as htmx with hx-sse does; the response, unread."""
        page = self.connection()
        page.request("GET", "/")
        html = page.getresponse().read().decode()
        page.close()
        action = re.search(r'<form[^>]*action="([^"]+)"[^>]*data-sf-stream', html)
        assert action, "the import form is on the page"
        body = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="n.txt"\r\n'
            f"Content-Type: text/plain\r\n\r\n" + "\n".join(LINES) + f"\r\n--{BOUNDARY}--\r\n"
        ).encode()
        conn = self.connection()
        self.opened.append(conn)
        conn.request(
            "POST",
            action.group(1),
            body=body,
            headers={
                "HX-Request": "true",
                "Accept": "text/html, text/event-stream",
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            },
        )
        return conn.getresponse()


def read_message(response: http.client.HTTPResponse) -> str:
    """The next server-sent event (its lines, up to the blank line)."""
    lines = []
    while (line := response.readline().decode()) not in ("\n", ""):
        lines.append(line)
    return "".join(lines)


WORKERS = {
    "sync": ["-w", "1"],
    "gthread": ["-w", "1", "-k", "gthread", "--threads", "4"],
    "gevent": ["-w", "1", "-k", "gevent"],
}


@pytest.fixture(params=list(WORKERS), ids=list(WORKERS))
def gunicorn(request: pytest.FixtureRequest, tmp_path: Path) -> t.Iterator[Gunicorn]:
    server = Gunicorn(tmp_path, *WORKERS[request.param])
    yield server
    server.stop()


def test_events_arrive_while_the_function_runs(gunicorn: Gunicorn) -> None:
    response = gunicorn.start_import()
    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith("text/event-stream")
    first = read_message(response)
    assert "Imported 1 of 10" in first
    assert gunicorn.rows() < 10  # the first state came before the last line was written
    rest = response.read().decode()
    assert rest.count("Imported 10 of 10") == 2  # the last state, then the final message
    assert "event: notes-changed" in rest
    assert gunicorn.rows() == 10


def test_a_client_that_hangs_up_stops_the_function(gunicorn: Gunicorn) -> None:
    response = gunicorn.start_import()
    assert "Imported 1 of 10" in read_message(response)
    assert "Imported 2 of 10" in read_message(response)
    response.close()
    gunicorn.hang_up()  # the browser's abort: the connection goes away
    deadline = time.monotonic() + 15
    while (stopped := gunicorn.setting("last_import")) is None:
        assert time.monotonic() < deadline, "the function was never stopped"
        time.sleep(0.05)
    done = int(stopped.split(" of ")[0])
    assert 2 <= done < 10
    assert gunicorn.rows() == done
