"""Every path keeps the user informed, in a real Chromium.

* axe-core (from npm: ``node_modules/axe-core``, installed by ``.ci/run``) reports no
  violation on the example in every state, with JavaScript on and off, before and
  after errors and refusals;
* after a keyboard press, focus is back on the same control, or, when the answer
  removed it (a deleted note), on the nearest enclosing element still on the page;
* every call's outcome is announced through the live region, including changes
  that only refresh other regions;
* under ``Referrer-Policy: no-referrer`` (Chromium then posts ``Origin: null``), no-JS
  forms still work.
"""

from __future__ import annotations

import os
import pathlib
import typing as t

import pytest

try:
    from playwright.sync_api import Browser, Page, Route, expect
except ImportError:  # the ``browser`` fixture skips (or fails in CI) with the reason
    pass

from .conftest import _open_page, _unavailable
from .test_example import EMPTY_NOTE_ERROR, NotesPage, is_function_call
from .test_features import NOT_ALLOWED, FeaturesPage, png_bytes

if t.TYPE_CHECKING:
    from .conftest import LiveServer

pytestmark = pytest.mark.browser

AXE = pathlib.Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        _unavailable(f"{AXE} is missing: npm install --no-save axe-core@4 (done by .ci/run)")
    return AXE.read_text()


@pytest.fixture
def axe_notes(browser: Browser, server: LiveServer, mode: str) -> t.Iterator[FeaturesPage]:
    """The example with JavaScript on, or, for ``nojs``, with every script blocked: the
    page is then exactly what a browser without JavaScript gets, and axe (injected
    by Playwright, not loaded by the page) still runs, which it cannot with
    JavaScript switched off."""
    for page in _open_page(browser, javascript=True):
        if mode == "nojs":
            page.route("**/*.js*", lambda route: route.abort())
        yield FeaturesPage(page, server, javascript=mode == "js")


def violations(page: Page, axe_source: str) -> list[str]:
    page.evaluate("(src) => { if (!window.axe) (0, eval)(src) }", axe_source)
    found = page.evaluate(
        """() => axe.run(document).then(r => r.violations.map(v =>
            v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", ")))"""
    )
    return t.cast(list[str], found)


def test_axe_finds_nothing_in_any_state(axe_notes: FeaturesPage, axe_source: str) -> None:
    notes = axe_notes
    notes.open()
    assert violations(notes.page, axe_source) == [], "the empty page"

    notes.submit(notes.name_button)  # "Name is required"
    notes.add_note("")  # a field error
    expect(notes.add_form.locator(".sf-error")).to_have_text(EMPTY_NOTE_ERROR)
    assert violations(notes.page, axe_source) == [], "after field errors"

    notes.image_input.set_input_files(
        {"name": "dot.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    notes.add_note("With a picture")
    notes.add_note("Second")
    expect(notes.notes).to_have_count(2)
    notes.note_input(0).fill("")
    notes.submit(notes.note(0).get_by_role("button", name="Rename"))
    notes.submit(notes.clear_button)  # refused: a visitor
    expect(notes.clear_form.get_by_role("alert")).to_have_text(NOT_ALLOWED)
    assert violations(notes.page, axe_source) == [], "notes, a rename error and a refusal"

    notes.server.reset()  # another tab deleted the notes: renaming one is refused
    notes.note_input(1).fill("renamed")
    notes.submit(notes.note(1).get_by_role("button", name="Rename"))
    expect(notes.page.get_by_role("alert").filter(has_text="no longer exists")).to_be_visible()
    assert violations(notes.page, axe_source) == [], "a refusal from inside a function"


@pytest.fixture
def js_features(js_page: Page, server: LiveServer) -> FeaturesPage:
    return FeaturesPage(js_page, server, javascript=True)


# Focus after a keyboard press (JavaScript on: without it every answer is a new page).


def press(notes: NotesPage, key_target: t.Any) -> None:
    key_target.focus()
    with notes.page.expect_response(lambda r: is_function_call(r.request)):
        key_target.press("Enter")


def test_focus_is_back_on_the_pressed_button(js_features: FeaturesPage) -> None:
    notes = js_features.open()
    notes.name_input.fill("Ada")
    press(notes, notes.name_button)  # Save, valid
    expect(notes.name_form.locator(".saved-name")).to_have_text("Ada")
    expect(notes.name_button).to_be_focused()

    notes.add_input.fill("First")
    press(notes, notes.add_button)  # Add note: the form and the list re-rendered
    notes.expect_notes("First")
    expect(notes.add_button).to_be_focused()


def test_focus_after_a_delete_goes_to_the_list(js_features: FeaturesPage) -> None:
    notes = js_features
    notes.server.add_notes("older", "newer")
    notes.open()
    press(notes, notes.note(0).get_by_role("button", name="Delete"))
    notes.expect_notes("older")
    # the button's form is gone with its note: the nearest enclosing element left
    expect(notes.page.locator("#notes")).to_be_focused()


def test_refresh_only_changes_are_announced(js_features: FeaturesPage) -> None:
    notes = js_features.open()
    live = notes.page.locator(".sf-live[aria-live=polite]")
    notes.add_note("Announced")
    expect(live).to_have_text("1 note")  # the refreshed list's status
    notes.submit(notes.note(0).get_by_role("button", name="Delete"))
    expect(live).to_have_text("0 notes")


def test_delete_buttons_say_which_note(js_features: FeaturesPage) -> None:
    js_features.server.add_notes("Buy milk")
    js_features.open()
    expect(js_features.note(0).get_by_role("button", name="Delete “Buy milk”")).to_be_visible()


# Origin: null.


def test_no_referrer_policy_without_js(nojs_page: Page, server: LiveServer) -> None:
    """Chromium posts a no-JS form from a no-referrer page with ``Origin: null`` (and
    ``Sec-Fetch-Site: same-origin``): it is this site's own form, and it works."""
    origins: list[str | None] = []

    def no_referrer(route: Route) -> None:
        if route.request.method == "POST":
            origins.append(route.request.headers.get("origin"))
            route.continue_()
            return
        response = route.fetch()
        headers = {**response.headers, "referrer-policy": "no-referrer"}
        route.fulfill(response=response, headers=headers)

    nojs_page.route(f"{server.url}/**", no_referrer)
    notes = NotesPage(nojs_page, server, javascript=False).open()
    notes.add_note("Sent with Origin: null")
    notes.expect_notes("Sent with Origin: null")
    assert origins == ["null"]
    assert server.note_texts() == ["Sent with Origin: null"]


def test_text_browsers_show_field_errors_on_their_own_line(server: LiveServer) -> None:
    """w3m and lynx (no CSS) put a field's error on its own line."""
    import shutil
    import subprocess

    client = server.app.test_client()
    html = client.get("/").text
    import re

    action = re.findall(r'<form[^>]* action="([^"]+)"', html)[1]  # Add a note
    r = client.post(action, data={"text": "", "_sf_next": "/"})
    page = client.get(r.headers["Location"]).text
    for tool, args in (("w3m", ["-dump", "-T", "text/html"]), ("lynx", ["-dump", "-stdin"])):
        if shutil.which(tool) is None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"{tool} is missing (apt-get install {tool})")
            continue
        out = subprocess.run(
            [tool, *args], input=page, capture_output=True, text=True, timeout=30, check=True
        ).stdout
        lines = [line.strip() for line in out.splitlines()]
        assert EMPTY_NOTE_ERROR in lines, (tool, out)
