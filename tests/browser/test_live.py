"""Live forms in Chromium: fields validate on the server as they are left, without the
function running, and the input being typed in is never disturbed; the notes list
keeps the page's search across calls."""

from __future__ import annotations

import typing as t

import pytest

try:
    from playwright.sync_api import Page, Request, expect
except ImportError:  # the ``browser`` fixture skips (or fails in CI) with the reason
    pass

from .test_example import LONG_NOTE, LONG_NOTE_ERROR, NotesPage, is_function_call

if t.TYPE_CHECKING:
    from .conftest import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def notes(js_page: Page, server: LiveServer) -> NotesPage:
    return NotesPage(js_page, server, javascript=True)


def validate_only(request: Request) -> bool:
    return request.method == "POST" and request.headers.get("precognition") == "true"


def error_of(notes: NotesPage, field: t.Any) -> t.Any:
    """The element ``field``'s aria-describedby points at."""
    return notes.page.locator(f"[id='{field.get_attribute('aria-describedby')}']")


def test_leaving_an_invalid_field_shows_its_error_without_calling(notes: NotesPage) -> None:
    notes.open()
    calls: list[Request] = []
    notes.page.on("request", lambda r: calls.append(r) if is_function_call(r) else None)
    with notes.page.expect_response(lambda r: validate_only(r.request)) as answer:
        notes.add_input.fill(LONG_NOTE)
        notes.add_input.press("Tab")
    assert answer.value.status == 422
    expect(notes.add_input).to_have_attribute("aria-invalid", "true")
    expect(error_of(notes, notes.add_input)).to_have_text(LONG_NOTE_ERROR)
    expect(error_of(notes, notes.add_input)).to_be_visible()
    # Only the touched field: the untouched name form and image field say nothing.
    expect(notes.name_form.locator(".sf-error")).to_have_count(0)
    assert calls == [] and notes.server.note_texts() == []

    # Fixing it (typing, debounced) removes the error, still without a call.
    with notes.page.expect_response(lambda r: validate_only(r.request)) as answer:
        notes.add_input.fill("Short enough")
    assert answer.value.status == 204
    expect(notes.add_input).not_to_have_attribute("aria-invalid", "true")
    expect(notes.add_form.locator(".sf-error")).to_have_count(0)
    assert calls == [] and notes.server.note_texts() == []

    # Submitting still validates everything, and adds the note once.
    notes.submit(notes.add_button)
    notes.expect_notes("Short enough")


def test_typing_fast_under_latency_loses_nothing(notes: NotesPage) -> None:
    notes.open()
    cdp = notes.page.context.new_cdp_session(notes.page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 150, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    answers: list[int] = []
    notes.page.on(
        "response", lambda r: answers.append(r.status) if validate_only(r.request) else None
    )
    notes.add_input.fill(LONG_NOTE)
    notes.add_input.press("Tab")  # touched: every keystroke now validates (debounced)
    expect(notes.add_input).to_have_attribute("aria-invalid", "true")
    expect(error_of(notes, notes.add_input)).to_have_text(LONG_NOTE_ERROR)
    notes.add_input.fill("")
    notes.add_input.focus()
    typed = "The quick brown fox jumps over the lazy dog, twice: the quick brown fox."
    notes.add_input.press_sequentially(typed, delay=25)
    expect(notes.add_input).to_have_value(typed)
    # Answers came back while typing, and nothing moved the caret or the focus.
    notes.page.wait_for_timeout(800)
    assert answers, "no validate-only call answered while typing"
    assert notes.add_input.evaluate("el => [el.selectionStart, el.selectionEnd]") == [
        len(typed),
        len(typed),
    ]
    assert notes.add_input.evaluate("el => el === document.activeElement")
    expect(notes.add_input).to_have_value(typed)
    expect(notes.add_form.locator(".sf-error")).to_have_count(0)


def test_the_search_stays_applied_after_add_rename_and_delete(notes: NotesPage) -> None:
    notes.server.add_notes("buy milk", "call mum")
    notes.open()
    search = notes.page.get_by_role("searchbox", name="Search notes")
    search.press_sequentially("buy", delay=20)
    expect(notes.page).to_have_url(notes.server.url + "/?q=buy")
    expect(notes.notes).to_have_count(1)
    expect(search).to_be_focused()
    expect(search).to_have_value("buy")

    notes.add_note("buy tea")
    expect(notes.notes).to_have_count(2)  # "call mum" stays filtered out
    expect(notes.note_input(0)).to_have_value("buy tea")
    expect(notes.count_heading).to_contain_text("matching “buy”")

    rename = notes.note(1).locator("form.rename")
    rename.get_by_role("textbox", name="Note text").fill("buy oat milk")
    notes.submit(rename.locator("button[type=submit]"))
    expect(notes.note(1).get_by_role("textbox", name="Note text")).to_have_value("buy oat milk")

    notes.submit(notes.note(0).locator("form.delete button"))
    expect(notes.notes).to_have_count(1)
    expect(notes.count_heading).to_contain_text("matching “buy”")
    assert sorted(notes.server.note_texts()) == ["buy oat milk", "call mum"]


def test_search_without_javascript(nojs_page: Page, server: LiveServer) -> None:
    server.add_notes("buy milk", "call mum")
    notes = NotesPage(nojs_page, server, javascript=False).open()
    search = nojs_page.get_by_role("searchbox", name="Search notes")
    search.fill("call")
    with nojs_page.expect_navigation():
        search.press("Enter")
    assert nojs_page.url.endswith("/?q=call")
    expect(notes.notes).to_have_count(1)
    notes.add_note("call the bank")
    # (a first visit has no session cookie yet: the result rides in ?_sf_kept=)
    assert nojs_page.url.split("&_sf_kept=")[0].endswith("/?q=call")
    expect(notes.notes).to_have_count(2)
