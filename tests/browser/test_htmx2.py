"""The example in its htmx 2 mode (``SERVER_FUNCTIONS_DIALECT = "2"``): the page loads
the example's own htmx 2.0.11 and the extension writes htmx 2 markup.

The core scenarios of test_example.py, with JavaScript on; without JavaScript the
HTML is the same as with htmx 4, so one smoke test is enough.
"""

from __future__ import annotations

import typing as t

import pytest

try:
    from playwright.sync_api import Page, Request, expect
except ImportError:  # the ``browser`` fixture skips (or fails in CI) with the reason
    pass

from .test_example import EMPTY_NOTE_ERROR, LONG_NOTE, LONG_NOTE_ERROR, NotesPage, is_function_call

if t.TYPE_CHECKING:
    from .conftest import LiveServer

pytestmark = pytest.mark.browser

#: The extension's bundled htmx 4 (``/_sf/static/vendor/htmx/htmx.min.js``).
BUNDLED_HTMX = "/vendor/htmx/"
#: The example's htmx 2 (``/static/vendor/htmx2/htmx.min.js``).
OWN_HTMX2 = "/static/vendor/htmx2/htmx.min.js"


class Htmx2NotesPage(NotesPage):
    """``NotesPage`` for htmx 2, which marks processed elements differently."""

    def wait_until_ready(self) -> None:
        """With JavaScript, wait until htmx 2 has processed the forms (htmx 2 keeps
        its per-element data in the ``htmx-internal-data`` property; htmx 4 sets
        ``data-htmx-powered``, which htmx 2 does not)."""
        if self.javascript:
            self.add_form.wait_for()
            self.page.wait_for_function(
                """() => Array.from(document.querySelectorAll("form[data-sf-form]"))
                    .every((form) => form["htmx-internal-data"]?.initHash)"""
            )


@pytest.fixture
def notes(js_page: Page, htmx2_server: LiveServer) -> Htmx2NotesPage:
    return Htmx2NotesPage(js_page, htmx2_server, javascript=True)


@pytest.fixture
def slow_notes(js_page: Page, htmx2_slow_server: LiveServer) -> Htmx2NotesPage:
    return Htmx2NotesPage(js_page, htmx2_slow_server, javascript=True)


def test_page_runs_htmx2_not_the_bundled_htmx4(notes: Htmx2NotesPage) -> None:
    requested: list[str] = []
    notes.page.on("request", lambda r: requested.append(r.url))
    notes.open()
    version = notes.page.evaluate("() => window.htmx.version")
    assert version.startswith("2."), version
    # (versioned URLs: the path, without the ?v= cache key)
    assert any(url.split("?")[0].endswith(OWN_HTMX2) for url in requested), requested
    assert not [url for url in requested if BUNDLED_HTMX in url], requested
    # The markup is htmx 2's: hx-disabled-elt (hx-disable switches htmx 2 off).
    form_id = notes.add_form.get_attribute("id")
    controls = ", ".join(
        f'form[id="{form_id}"] {tag}' for tag in ("input", "button", "select", "textarea")
    )
    expect(notes.add_form).to_have_attribute("hx-disabled-elt", controls)
    expect(notes.add_form).not_to_have_attribute("hx-disable", "")


def test_update_name_required(notes: Htmx2NotesPage) -> None:
    notes.open()
    notes.submit(notes.name_button)
    notes.expect_field_error(notes.name_form, notes.name_input, "Name is required")
    expect(notes.name_form.locator(".saved-name")).to_have_count(0)
    assert notes.server.setting("name") is None


def test_update_name_saves(notes: Htmx2NotesPage) -> None:
    notes.open()
    notes.name_input.fill("Ada Lovelace")
    notes.submit(notes.name_button)
    expect(notes.name_form.locator(".saved-name")).to_have_text("Ada Lovelace")
    expect(notes.name_form.locator(".sf-error")).to_have_count(0)
    assert notes.server.setting("name") == "Ada Lovelace"


def test_add_note(notes: Htmx2NotesPage) -> None:
    notes.open()
    notes.expect_notes()
    notes.add_note("Buy milk")
    notes.expect_notes("Buy milk")
    expect(notes.add_input).to_have_value("")
    notes.add_note("Call Grace")
    notes.expect_notes("Call Grace", "Buy milk")
    assert notes.server.note_texts() == ["Call Grace", "Buy milk"]
    # The refreshed list is swapped into #notes-list, not left inside the form.
    expect(notes.add_form.locator("#notes, hx-partial, template")).to_have_count(0)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", EMPTY_NOTE_ERROR), (LONG_NOTE, LONG_NOTE_ERROR)],
    ids=["empty", "201-chars"],
)
def test_add_note_invalid(notes: Htmx2NotesPage, text: str, message: str) -> None:
    """A 422 answer: htmx 2 would not swap it; the extension's script lets it."""
    notes.server.add_notes("Existing")
    notes.open()
    with notes.page.expect_response(lambda r: is_function_call(r.request)) as answer:
        notes.add_input.fill(text)
        notes.add_button.click()
    assert answer.value.status == 422
    notes.expect_field_error(notes.add_form, notes.add_input, message)
    expect(notes.add_input).to_have_value(text)
    notes.expect_notes("Existing")
    assert notes.server.note_texts() == ["Existing"]


def test_delete_note(notes: Htmx2NotesPage) -> None:
    notes.server.add_notes("first", "second", "third")
    notes.open()
    notes.expect_notes("third", "second", "first")
    notes.submit(notes.note(1).get_by_role("button", name="Delete"))
    notes.expect_notes("third", "first")
    expect(notes.page.locator("#note-total")).to_have_text("2 notes")
    assert notes.server.note_texts() == ["third", "first"]


def test_pending_state(slow_notes: Htmx2NotesPage) -> None:
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
        # Only this form's controls: the name form stays usable.
        expect(notes.name_input).to_be_enabled()
    notes.expect_notes("Slow note")
    expect(notes.add_form).not_to_have_attribute("aria-busy", "true")
    expect(notes.add_input).to_be_enabled()
    expect(notes.add_button).to_be_enabled()
    expect(notes.add_button).to_have_text("Add note")
    expect(indicator).to_be_hidden()


def test_double_click_adds_once(slow_notes: Htmx2NotesPage) -> None:
    notes = slow_notes.open()
    calls: list[Request] = []
    notes.page.on("request", lambda r: calls.append(r) if is_function_call(r) else None)
    notes.add_input.fill("Only once")
    notes.add_button.dblclick()
    notes.expect_notes("Only once")
    expect(notes.add_form).not_to_have_attribute("aria-busy", "true")
    expect(notes.add_button).to_be_enabled()
    for request in calls:
        assert request.response() is not None  # blocks until answered
    assert len(calls) == 1
    assert notes.server.note_texts() == ["Only once"]


def test_without_javascript(nojs_page: Page, htmx2_server: LiveServer) -> None:
    notes = Htmx2NotesPage(nojs_page, htmx2_server, javascript=False).open()
    notes.add_note("")
    notes.expect_field_error(notes.add_form, notes.add_input, EMPTY_NOTE_ERROR)
    notes.add_note("No script")
    notes.expect_notes("No script")
    notes.submit(notes.note(0).get_by_role("button", name="Delete"))
    notes.expect_notes()
    assert notes.server.note_texts() == []
