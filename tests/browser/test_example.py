"""The example notes app in a real Chromium, with JavaScript on and off.

Each scenario in the first part runs twice (``page`` is parametrized over ``js`` and
``nojs``) and asserts the same visible outcome: with JavaScript htmx swaps the
answer in place; without it the browser posts, follows the 303 and renders the
page. The second part checks what only exists with JavaScript (the pending state,
dropped double submits, no navigation, focus) or only without it (no resubmission
on reload), and that a submission made before htmx has loaded is not lost.
"""

from __future__ import annotations

import os
import typing as t
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Error, Locator, Page, Request, Route, expect
except ImportError:  # the ``browser`` fixture skips (or fails in CI) with the reason
    pass

if t.TYPE_CHECKING:
    from .conftest import LiveServer

pytestmark = pytest.mark.browser

LONG_NOTE = "x" * 201
EMPTY_NOTE_ERROR = "Write something first."
LONG_NOTE_ERROR = "Keep it under 200 characters."


def is_function_call(request: Request) -> bool:
    """A POST to a server function's endpoint (not a live form's validate-only call)."""
    return (
        request.method == "POST"
        and "/_sf/" in request.url
        and "precognition" not in request.headers
    )


class NotesPage:
    """The example's page, with the same verbs in both modes."""

    def __init__(self, page: Page, server: LiveServer, *, javascript: bool) -> None:
        self.page = page
        self.server = server
        self.javascript = javascript
        name_region = page.get_by_role("region", name="Your name")
        self.name_form = name_region.locator("form")
        self.name_input = self.name_form.get_by_role("textbox", name="Name")
        self.name_button = self.name_form.locator("button[type=submit]")
        self.add_form = page.locator("form.sf-form", has=page.get_by_label("Note", exact=True))
        self.add_input = self.add_form.get_by_label("Note", exact=True)
        self.add_button = self.add_form.locator("button[type=submit]")
        self.notes = page.locator("#notes-list li.note")
        self.count_heading = page.locator("#notes-count")

    def open(self) -> NotesPage:
        self.page.goto(self.server.url + "/")
        self.wait_until_ready()
        return self

    def wait_until_ready(self) -> None:
        """With JavaScript, wait until htmx has taken over the forms."""
        if self.javascript:
            expect(self.add_form).to_have_attribute("data-htmx-powered", "true")

    def submit(self, button: Locator) -> None:
        """Click a submit button and wait for the answer: with JavaScript the
        server function's response (htmx swaps it in; ``expect`` waits for that),
        without it the page the 303 lands on."""
        if self.javascript:
            with self.page.expect_response(lambda r: is_function_call(r.request)):
                button.click()
        else:
            with self.page.expect_navigation():
                button.click()

    # Notes

    def note(self, index: int) -> Locator:
        return self.notes.nth(index)

    def note_input(self, index: int) -> Locator:
        return self.note(index).get_by_role("textbox", name="Note text")

    def expect_notes(self, *texts: str) -> None:
        """The list shows exactly ``texts``, newest first."""
        expect(self.notes).to_have_count(len(texts))
        for index, text in enumerate(texts):
            expect(self.note_input(index)).to_have_value(text)
        label = f"{len(texts)} note{'' if len(texts) == 1 else 's'}"
        expect(self.count_heading).to_have_text(label)

    def add_note(self, text: str) -> None:
        self.add_input.fill(text)
        self.submit(self.add_button)

    def expect_field_error(self, form: Locator, field: Locator, message: str) -> None:
        """``message`` is shown in ``form``, tied to ``field`` by aria-describedby."""
        expect(field).to_have_attribute("aria-invalid", "true")
        described_by = field.get_attribute("aria-describedby")
        assert described_by, "the invalid input does not point at its error message"
        expect(form.locator(f"[id='{described_by}']")).to_have_text(message)


@pytest.fixture
def notes(page: Page, server: LiveServer, mode: str) -> NotesPage:
    return NotesPage(page, server, javascript=mode == "js")


@pytest.fixture
def js_notes(js_page: Page, server: LiveServer) -> NotesPage:
    return NotesPage(js_page, server, javascript=True)


@pytest.fixture
def nojs_notes(nojs_page: Page, server: LiveServer) -> NotesPage:
    return NotesPage(nojs_page, server, javascript=False)


@pytest.fixture
def slow_notes(js_page: Page, slow_server: LiveServer) -> NotesPage:
    return NotesPage(js_page, slow_server, javascript=True)


# Both modes: the same visible outcome with JavaScript on and off.


def test_update_name_required(notes: NotesPage) -> None:
    notes.open()
    notes.submit(notes.name_button)
    notes.expect_field_error(notes.name_form, notes.name_input, "Name is required")
    expect(notes.name_form.locator(".saved-name")).to_have_count(0)
    assert notes.server.setting("name") is None


def test_update_name_saves(notes: NotesPage) -> None:
    notes.open()
    notes.name_input.fill("Ada Lovelace")
    notes.submit(notes.name_button)
    expect(notes.name_form.locator(".saved-name")).to_have_text("Ada Lovelace")
    expect(notes.name_input).not_to_have_attribute("aria-invalid", "true")
    expect(notes.name_form.locator(".sf-error")).to_have_count(0)
    assert notes.server.setting("name") == "Ada Lovelace"
    notes.page.reload()
    expect(notes.name_form.locator(".saved-name")).to_have_text("Ada Lovelace")


def test_add_note(notes: NotesPage) -> None:
    notes.open()
    notes.expect_notes()
    notes.add_note("Buy milk")
    notes.expect_notes("Buy milk")
    expect(notes.add_input).to_have_value("")
    notes.add_note("Call Grace")
    notes.expect_notes("Call Grace", "Buy milk")
    expect(notes.add_input).to_have_value("")
    assert notes.server.note_texts() == ["Call Grace", "Buy milk"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("", EMPTY_NOTE_ERROR), (LONG_NOTE, LONG_NOTE_ERROR)],
    ids=["empty", "201-chars"],
)
def test_add_note_invalid(notes: NotesPage, text: str, message: str) -> None:
    notes.server.add_notes("Existing")
    notes.open()
    notes.add_note(text)
    notes.expect_field_error(notes.add_form, notes.add_input, message)
    expect(notes.add_input).to_have_value(text)
    notes.expect_notes("Existing")
    assert notes.server.note_texts() == ["Existing"]


def test_delete_middle_note(notes: NotesPage) -> None:
    notes.server.add_notes("first", "second", "third")
    notes.open()
    notes.expect_notes("third", "second", "first")
    notes.submit(notes.note(1).get_by_role("button", name="Delete"))
    notes.expect_notes("third", "first")
    assert notes.server.note_texts() == ["third", "first"]


def test_rename_note(notes: NotesPage) -> None:
    notes.server.add_notes("first", "secnod", "third")
    notes.open()
    notes.note_input(1).fill("second")
    notes.submit(notes.note(1).get_by_role("button", name="Rename"))
    expect(notes.note(1).get_by_role("status")).to_have_text("Renamed")
    notes.expect_notes("third", "second", "first")
    assert notes.server.note_texts() == ["third", "second", "first"]
    notes.page.reload()
    notes.expect_notes("third", "second", "first")


def test_invalid_input_is_focused(notes: NotesPage) -> None:
    """The first invalid field has focus after the answer (``autofocus``: htmx
    honours it in swapped content, the browser on page load)."""
    notes.open()
    notes.add_note("")
    expect(notes.add_input).to_be_focused()
    notes.submit(notes.name_button)
    expect(notes.name_input).to_be_focused()


def test_add_note_of_spaces_is_refused(notes: NotesPage) -> None:
    notes.open()
    notes.add_note("   ")
    # Whichever comes first, the error or a note, without waiting out a timeout.
    expect(notes.add_form.locator(".sf-error").or_(notes.notes).first).to_be_visible()
    assert notes.server.note_texts() == []
    notes.expect_field_error(notes.add_form, notes.add_input, EMPTY_NOTE_ERROR)


# With JavaScript only.


def test_focus_stays_in_the_form_after_success(js_notes: NotesPage) -> None:
    """Adding notes from the keyboard: type, Enter, type the next one."""
    notes = js_notes.open()
    notes.add_input.fill("First")
    with notes.page.expect_response(lambda r: is_function_call(r.request)):
        notes.add_input.press("Enter")
    notes.expect_notes("First")
    expect(notes.add_input).to_be_focused(timeout=1_000)


def test_pending_state(slow_notes: NotesPage) -> None:
    """While the function runs: aria-busy, disabled controls, the indicator and the
    pending label; all cleared when the answer is swapped in."""
    notes = slow_notes.open()
    indicator = notes.add_form.locator(".htmx-indicator")
    expect(indicator).to_be_hidden()
    notes.add_input.fill("Slow note")
    with notes.page.expect_response(lambda r: is_function_call(r.request)):
        notes.add_button.click()
        expect(notes.add_form).to_have_attribute("aria-busy", "true")
        expect(notes.add_input).to_be_disabled()
        expect(notes.add_button).to_be_disabled()
        expect(notes.add_button).to_have_text("Adding…")
        expect(indicator).to_be_visible()
    notes.expect_notes("Slow note")
    expect(notes.add_form).not_to_have_attribute("aria-busy", "true")
    expect(notes.add_input).to_be_enabled()
    expect(notes.add_input).to_have_value("")
    expect(notes.add_button).to_be_enabled()
    expect(notes.add_button).to_have_text("Add note")
    expect(indicator).to_be_hidden()


def test_pending_state_of_delete(slow_notes: NotesPage) -> None:
    """The delete form (a lone button) shows its pending state too, with a spinner
    that is a real 1rem circle, not a squashed inline box."""
    slow_notes.server.add_notes("first", "second")
    notes = slow_notes.open()
    form = notes.note(0).locator("form.delete")
    button = form.locator("button[type=submit]")
    indicator = form.locator(".htmx-indicator")
    expect(indicator).to_be_hidden()
    with notes.page.expect_response(lambda r: is_function_call(r.request)):
        button.click()
        expect(form).to_have_attribute("aria-busy", "true")
        expect(button).to_be_disabled()
        expect(button).to_have_text("Deleting…")
        expect(indicator).to_be_visible()
        box = indicator.bounding_box()
        assert box is not None and box["width"] >= 12 and box["height"] >= 12, box
    notes.expect_notes("first")
    assert notes.server.note_texts() == ["first"]


def _settled(notes: NotesPage, calls: list[Request], expected_notes: tuple[str, ...]) -> None:
    """Wait until the form is idle and every call made has been answered."""
    notes.expect_notes(*expected_notes)
    expect(notes.add_form).not_to_have_attribute("aria-busy", "true")
    expect(notes.add_button).to_be_enabled()
    for request in calls:
        assert request.response() is not None  # blocks until answered


def test_double_click_adds_once(slow_notes: NotesPage) -> None:
    notes = slow_notes.open()
    calls: list[Request] = []
    notes.page.on("request", lambda r: calls.append(r) if is_function_call(r) else None)
    notes.add_input.fill("Only once")
    notes.add_button.dblclick()
    _settled(notes, calls, ("Only once",))
    assert len(calls) == 1
    assert notes.server.note_texts() == ["Only once"]


def test_rapid_submits_add_once(slow_notes: NotesPage) -> None:
    """Two submits in the same task (no chance to disable the button in between):
    ``hx-sync="this:drop"`` drops the second."""
    notes = slow_notes.open()
    calls: list[Request] = []
    notes.page.on("request", lambda r: calls.append(r) if is_function_call(r) else None)
    notes.add_input.fill("Only once")
    notes.add_form.evaluate("form => { form.requestSubmit(); form.requestSubmit(); }")
    _settled(notes, calls, ("Only once",))
    assert len(calls) == 1
    assert notes.server.note_texts() == ["Only once"]


def test_no_full_navigation(js_notes: NotesPage) -> None:
    notes = js_notes.open()
    page = notes.page
    # New documents only: htmx's history.replaceState is a same-document navigation.
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    page.evaluate("() => { window.__marker = 1; }")
    with page.expect_request(is_function_call) as call:
        notes.add_note("No reload")
    notes.expect_notes("No reload")
    notes.name_input.fill("Grace")
    notes.submit(notes.name_button)
    expect(notes.name_form.locator(".saved-name")).to_have_text("Grace")
    assert page.evaluate("() => window.__marker") == 1
    assert loads == []
    assert page.url.split("?_sf_kept=")[0] == notes.server.url + "/"
    assert call.value.headers.get("hx-request") == "true"


def test_submit_before_htmx_loaded_aborted(js_notes: NotesPage) -> None:
    """htmx never loads (blocked): the form posts natively and the note is added."""
    notes = js_notes
    page = notes.page
    page.route("**/htmx.min.js*", lambda route: route.abort())
    page.goto(notes.server.url + "/")
    assert page.evaluate("() => typeof window.htmx") == "undefined"
    expect(notes.add_form).not_to_have_attribute("data-htmx-powered", "true")
    notes.javascript = False  # a native submission: wait for the page it lands on
    notes.add_note("Typed before htmx")
    notes.expect_notes("Typed before htmx")
    expect(notes.add_input).to_have_value("")
    assert notes.server.note_texts() == ["Typed before htmx"]


def test_submit_before_htmx_loaded_held(js_notes: NotesPage) -> None:
    """htmx is still downloading when the user submits: the native submission is
    served, and the page it lands on works once htmx arrives."""
    notes = js_notes
    page = notes.page
    held: list[Route] = []
    page.route("**/htmx.min.js*", lambda route: held.append(route))
    page.goto(notes.server.url + "/", wait_until="commit")
    notes.add_input.fill("Typed before htmx")
    expect(notes.add_form).not_to_have_attribute("data-htmx-powered", "true")
    with page.expect_navigation(wait_until="commit"):
        notes.add_button.click()
    expect(notes.count_heading).to_have_text("1 note")
    assert page.evaluate("() => typeof window.htmx") == "undefined"
    page.unroute("**/htmx.min.js*")
    for route in held:
        try:
            route.continue_()
        except Error:  # the first page's request, cancelled by the navigation
            pass
    notes.wait_until_ready()
    notes.expect_notes("Typed before htmx")
    assert notes.server.note_texts() == ["Typed before htmx"]
    notes.add_note("After htmx")  # and now htmx serves the form
    notes.expect_notes("After htmx", "Typed before htmx")


# With JavaScript off only.


def test_reload_after_redirect_does_not_resubmit(nojs_notes: NotesPage) -> None:
    notes = nojs_notes.open()
    notes.add_note("Posted once")
    notes.expect_notes("Posted once")
    # the 303 landed on the page (with a one-time key, for a browser that keeps no cookie)
    assert notes.page.url.split("?_sf_kept=")[0] == notes.server.url + "/"
    notes.page.reload()
    notes.expect_notes("Posted once")
    notes.page.reload()
    notes.expect_notes("Posted once")
    assert notes.server.note_texts() == ["Posted once"]


def test_error_is_shown_once(nojs_notes: NotesPage) -> None:
    """The state is kept for exactly one request: a reload shows a clean form."""
    notes = nojs_notes.open()
    notes.add_note("")
    notes.expect_field_error(notes.add_form, notes.add_input, EMPTY_NOTE_ERROR)
    notes.page.reload()
    expect(notes.add_form.locator(".sf-error")).to_have_count(0)
    expect(notes.add_input).not_to_have_attribute("aria-invalid", "true")
    assert notes.server.note_texts() == []


# The picture in the README.

#: Set to "js" or "nojs" to write that mode's screenshot to docs/example.png.
SCREENSHOT_ENV = "SF_UPDATE_SCREENSHOT"
SCREENSHOT_PATH = Path(__file__).parents[2] / "docs" / "example.png"


def test_screenshot(notes: NotesPage, mode: str, tmp_path: Path) -> None:
    """The page with a saved name, a few notes and a validation error, as a person
    sees it (900x900). ``SF_UPDATE_SCREENSHOT=js pytest -k screenshot`` refreshes
    the README's picture."""
    notes.server.add_notes(
        "Water the basil",
        "Read the htmx 4 release notes",
        "Book the train to Lyon",
    )
    notes.open()
    notes.name_input.fill("Ada")
    notes.submit(notes.name_button)
    expect(notes.name_form.locator(".saved-name")).to_have_text("Ada")
    notes.add_note("")
    notes.expect_field_error(notes.add_form, notes.add_input, EMPTY_NOTE_ERROR)
    path = tmp_path / f"example-{mode}.png"
    notes.page.screenshot(path=path)
    assert path.read_bytes().startswith(b"\x89PNG")
    if os.environ.get(SCREENSHOT_ENV) == mode:
        SCREENSHOT_PATH.parent.mkdir(exist_ok=True)
        SCREENSHOT_PATH.write_bytes(path.read_bytes())
