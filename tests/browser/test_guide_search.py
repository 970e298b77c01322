"""The guide's GET-view recipe for reads (a search box) in Chromium: with htmx the
results follow the typing, the caret and the typed text stay, the URL is
bookmarkable; without JavaScript the form submits as a plain GET."""

from __future__ import annotations

import importlib
import sys
import typing as t
from pathlib import Path

import pytest

from ..test_docs import apps
from .conftest import LiveServer

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the ``browser`` fixture skips (or fails in CI) with the reason
    pass

pytestmark = pytest.mark.browser


@pytest.fixture
def search_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[LiveServer]:
    app = next(found for found in apps("docs/guide.md") if "def search" in found.source)
    (tmp_path / "templates").mkdir()
    for name, code in app.templates.items():
        (tmp_path / "templates" / name).write_text(code)
    (tmp_path / "app.py").write_text(app.source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "app", raising=False)
    server = LiveServer(importlib.import_module("app").create_app())
    server.start()
    yield server
    server.stop()
    monkeypatch.delitem(sys.modules, "app", raising=False)


def test_search_follows_typing_and_keeps_the_caret(
    js_page: Page, search_server: LiveServer
) -> None:
    js_page.goto(search_server.url + "/")
    box = js_page.get_by_label("Search")
    box.press_sequentially("buy m", delay=40)
    results = js_page.locator("#results li")
    expect(results).to_have_text(["buy milk"])
    expect(box).to_have_value("buy m")
    assert box.evaluate("el => el.selectionStart") == len("buy m")
    expect(js_page).to_have_url(search_server.url + "/?q=buy+m")


def test_search_without_javascript(nojs_page: Page, search_server: LiveServer) -> None:
    nojs_page.goto(search_server.url + "/")
    nojs_page.get_by_label("Search").fill("call")
    nojs_page.get_by_role("button", name="Search").click()
    expect(nojs_page).to_have_url(search_server.url + "/?q=call")
    expect(nojs_page.locator("#results li")).to_have_text(["call mum"])
