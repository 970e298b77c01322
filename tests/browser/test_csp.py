"""The example under its strict Content-Security-Policy, in a real Chromium with JavaScript on.

Every browser test fails on a CSP violation (``watch_csp`` in conftest.py); these
walk the states of the page explicitly, check the policy is the strict one, and
check that a violation would be caught at all.
"""

from __future__ import annotations

import re
import typing as t

import pytest

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # the ``browser`` fixture skips (or fails in CI) with the reason
    pass

from .conftest import TIMEOUT_MS, VIEWPORT, watch_csp

if t.TYPE_CHECKING:
    from .conftest import LiveServer

pytestmark = pytest.mark.browser

STRICT = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self';"
    " object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def open_page(browser: Browser, problems: list[str]) -> Page:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch_csp(page, problems)
    return page


def ready(page: Page) -> None:
    page.wait_for_function("() => window.htmx && window.serverFunctions")


def test_every_state_has_no_violation(browser: Browser, slow_server: LiveServer) -> None:
    problems: list[str] = []
    page = open_page(browser, problems)
    response = page.goto(slow_server.url + "/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)  # type: ignore[union-attr]
    assert policy == STRICT.format(nonce=nonce)
    assert "unsafe" not in policy
    ready(page)
    # Every script the page runs carries the request's nonce; no inline code or style.
    assert page.eval_on_selector_all("script", "els => els.every(e => e.src && e.nonce)"), (
        "a script without src or nonce"
    )
    assert page.locator("style, [style]").count() == 0

    add_form = page.locator("form.sf-form", has=page.get_by_label("Note", exact=True))
    note = add_form.get_by_label("Note", exact=True)
    # Pending (the server is slow): indicator shown, controls disabled.
    note.fill("Under CSP")
    add_form.locator("button[type=submit]").click()
    expect(add_form).to_have_attribute("aria-busy", "true")
    expect(add_form.locator(".htmx-indicator")).to_be_visible()
    expect(page.locator("#notes-list li.note").first).to_contain_text("Under CSP")
    expect(add_form).not_to_have_attribute("aria-busy", "true")
    # Invalid input (422): the error swapped in, announced.
    add_form.locator("button[type=submit]").click()
    expect(add_form).to_contain_text("Write something first.")
    # Refused (403): the admin-only function as a visitor.
    page.locator("form", has_text="Delete all notes").locator("button").click()
    expect(page.get_by_text("You are not allowed to do this.")).to_be_visible()
    # Rate limited (429): the 30 calls of this minute used up from this address.
    from example.actions import add_note
    from flask_server_functions.ratelimit import RateLimited, check_rate_limit

    app = slow_server.app
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        with pytest.raises(RateLimited):  # use up this minute's 30 calls
            for _ in range(30):
                check_rate_limit(add_note, app.config)
    note.fill("One too many")
    add_form.locator("button[type=submit]").click()
    expect(add_form).to_contain_text("Too many attempts.")
    expect(note).to_have_value("One too many")
    page.context.close()
    assert problems == []


def test_a_violation_is_caught(browser: Browser, server: LiveServer) -> None:
    problems: list[str] = []
    page = open_page(browser, problems)
    page.goto(server.url + "/")
    ready(page)
    # What the extension must never do: an inline style element, an inline script.
    page.evaluate(
        """() => {
        const style = document.createElement("style");
        style.textContent = "body { color: red }";
        document.head.appendChild(style);
        const script = document.createElement("script");
        script.textContent = "window.inlineRan = true";
        document.head.appendChild(script);
    }"""
    )
    page.wait_for_timeout(200)  # the violation events are queued
    assert page.evaluate("window.inlineRan") is None  # blocked
    page.context.close()
    assert any("style-src" in p for p in problems), problems
    assert any("script-src" in p for p in problems), problems


def test_extension_script_makes_no_html_from_strings() -> None:
    """Trusted Types: server-functions.js builds DOM from templates and text only."""
    from pathlib import Path

    source = (Path(__file__).parents[2] / "static" / "server-functions.js").read_text()
    for sink in (
        ".innerHTML",  # the swap style "innerHTML" is a word, not the sink
        ".outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        'setAttribute("style"',
        "DOMParser",
    ):
        assert sink not in source, sink
