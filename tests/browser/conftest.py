"""Fixtures for the real-browser tests.

* ``browser``: one headless Debian Chromium (``/usr/bin/chromium``) for all the
  browser tests. Without Chromium or Playwright they skip with a one-line reason,
  or fail when ``CI=true``.
* ``server`` / ``slow_server``: the example app on a real, threaded Werkzeug server on
  127.0.0.1 (a free port), each with its own fresh SQLite file and instance folder
  (uploads land there, not in the checkout); the slow one makes every server
  function sleep (``EXAMPLE_SLOW_SECONDS``) to show the pending state. The database
  and the uploads are emptied before each test that uses one.
* ``htmx2_server`` / ``htmx2_slow_server``: the same, with
  ``SERVER_FUNCTIONS_DIALECT = "2"`` (the example then loads its own htmx 2.0.11).
* ``page``: a fresh browser context and page, once with JavaScript on (``js``) and
  once with it off (``nojs``); ``js_page`` and ``nojs_page`` are the one-mode
  variants. A page fails its test on an uncaught script error, a 5xx answer or a
  Content-Security-Policy violation (the example serves a strict policy).
"""

from __future__ import annotations

import os
import shutil
import threading
import typing as t

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

import example
from example import db
from flask_server_functions.ratelimit import reset_rate_limits

if t.TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Browser, Page, Response

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 900, "height": 900}
#: Seconds each server function of ``slow_server`` sleeps.
SLOW_SECONDS = 1.0
#: Playwright's wait for actions and ``expect`` (ms): ample for the slow server.
TIMEOUT_MS = 5_000
MODES = ["js", "nojs"]


def _unavailable(reason: str) -> t.NoReturn:
    """Skip on a developer machine; fail in CI, where the browser must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


class LiveServer:
    """The example app served over HTTP in a background thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"live-server-{self.url}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    # The database, read and written directly (not through the browser).

    def reset(self) -> None:
        """Empty the database (no notes, no saved name) and the uploads folder."""
        with self.app.app_context():
            db.init_db()
            shutil.rmtree(db.upload_folder(), ignore_errors=True)
        reset_rate_limits(self.app)  # add_note allows 30 a minute per client

    def uploads(self) -> list[str]:
        """The names of the files saved in the uploads folder."""
        with self.app.app_context():
            folder = db.upload_folder()
        return sorted(os.listdir(folder)) if os.path.isdir(folder) else []

    def add_notes(self, *texts: str) -> None:
        with self.app.app_context():
            for text in texts:
                db.add_note(text)

    def note_texts(self) -> list[str]:
        """The notes in the database, newest first (as the page lists them)."""
        with self.app.app_context():
            return [row["text"] for row in db.list_notes()]

    def setting(self, key: str) -> str | None:
        with self.app.app_context():
            return db.get_setting(key)


def _serve(tmp_path_factory: pytest.TempPathFactory, name: str, **config: t.Any) -> LiveServer:
    instance = tmp_path_factory.mktemp(name)
    database = instance / "example.sqlite"
    app = example.create_app({"DATABASE": str(database), "TESTING": True, **config})
    app.instance_path = str(instance)  # uploads go to <instance>/uploads
    server = LiveServer(app)
    server.reset()
    server.start()
    return server


@pytest.fixture(scope="session")
def _live_server(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[LiveServer]:
    server = _serve(tmp_path_factory, "server")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _slow_live_server(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[LiveServer]:
    server = _serve(tmp_path_factory, "slow-server", EXAMPLE_SLOW_SECONDS=SLOW_SECONDS)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _htmx2_live_server(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[LiveServer]:
    server = _serve(tmp_path_factory, "htmx2-server", SERVER_FUNCTIONS_DIALECT="2")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _htmx2_slow_live_server(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[LiveServer]:
    server = _serve(
        tmp_path_factory,
        "htmx2-slow-server",
        SERVER_FUNCTIONS_DIALECT="2",
        EXAMPLE_SLOW_SECONDS=SLOW_SECONDS,
    )
    yield server
    server.stop()


@pytest.fixture
def server(_live_server: LiveServer) -> LiveServer:
    """The example app with an empty database."""
    _live_server.reset()
    return _live_server


@pytest.fixture
def slow_server(_slow_live_server: LiveServer) -> LiveServer:
    """The example app, every server function taking ``SLOW_SECONDS``; empty database."""
    _slow_live_server.reset()
    return _slow_live_server


@pytest.fixture
def htmx2_server(_htmx2_live_server: LiveServer) -> LiveServer:
    """The example app in its htmx 2 mode (``SERVER_FUNCTIONS_DIALECT = "2"``); empty
    database."""
    _htmx2_live_server.reset()
    return _htmx2_live_server


@pytest.fixture
def htmx2_slow_server(_htmx2_slow_live_server: LiveServer) -> LiveServer:
    """The htmx 2 mode, every server function taking ``SLOW_SECONDS``; empty database."""
    _htmx2_slow_live_server.reset()
    return _htmx2_slow_live_server


# Package scope: one browser for all the browser tests (they all live in this
# package), stopped as soon as they are done. Between its calls Playwright's sync
# API leaves its asyncio loop marked as running on the main thread, which would
# break the async tests of tests/ that run after these ("You cannot use
# AsyncToSync in the same thread as an async event loop").
@pytest.fixture(scope="package")
def browser() -> t.Iterator[Browser]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        found = shutil.which("chromium")
        hint = f" (found {found}, but the tests use {CHROMIUM})" if found else ""
        _unavailable(f"{CHROMIUM} is missing{hint}: apt-get install chromium")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
        except Error as e:
            first_line = str(e).strip().splitlines()[0] if str(e).strip() else repr(e)
            _unavailable(f"{CHROMIUM} does not start: {first_line}")
        yield browser
        browser.close()


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    """``"js"`` or ``"nojs"``: whether the page runs JavaScript."""
    return t.cast(str, request.param)


#: Reports every ``securitypolicyviolation`` event to ``window.__sfCspViolation``.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__sfCspViolation(`${e.violatedDirective} blocked ${e.blockedURI} ${e.sample || ""}`);
}, true);
"""


def watch_csp(page: Page, problems: list[str], *, javascript: bool = True) -> None:
    """Add every CSP violation on ``page`` to ``problems``: Chromium's console message
    and, with JavaScript on, the ``securitypolicyviolation`` event."""
    page.on(
        "console",
        lambda message: (
            problems.append(f"CSP: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    if javascript:
        page.expose_function("__sfCspViolation", lambda text: problems.append(f"CSP: {text}"))
        page.add_init_script(_CSP_LISTENER)


def _open_page(browser: Browser, *, javascript: bool) -> t.Iterator[Page]:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(java_script_enabled=javascript, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []

    def on_response(response: Response) -> None:
        if response.status >= 500:
            problems.append(f"{response.status} from {response.request.method} {response.url}")

    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("response", on_response)
    watch_csp(page, problems, javascript=javascript)
    yield page
    context.close()
    assert not problems, "the page had problems:\n" + "\n".join(problems)


@pytest.fixture
def page(browser: Browser, mode: str) -> t.Iterator[Page]:
    """A new page in a new context, with JavaScript on (``js``) or off (``nojs``)."""
    yield from _open_page(browser, javascript=mode == "js")


@pytest.fixture
def js_page(browser: Browser) -> t.Iterator[Page]:
    """A new page in a new context with JavaScript on (for JS-only behaviour)."""
    yield from _open_page(browser, javascript=True)


@pytest.fixture
def nojs_page(browser: Browser) -> t.Iterator[Page]:
    """A new page in a new context with JavaScript off (for no-JS-only behaviour)."""
    yield from _open_page(browser, javascript=False)
