"""The example's other features in a real Chromium: image uploads, optimistic UI,
the header badge refreshed by an HX-Trigger event, the guarded "Delete all notes",
and ``serverFunctions.call`` from the page.

Fixtures (``page``, ``js_page``, the servers) come from conftest.py; the page helper
is test_example's ``NotesPage``.
"""

from __future__ import annotations

import re
import struct
import typing as t
import zlib

import pytest

try:
    from playwright.sync_api import Locator, Page, Request, expect
except ImportError:  # the ``browser`` fixture skips (or fails in CI) with the reason
    pass

from .test_example import EMPTY_NOTE_ERROR, NotesPage, is_function_call

if t.TYPE_CHECKING:
    from .conftest import LiveServer

pytestmark = pytest.mark.browser

FILE_TYPE_ERROR = "This type of file is not accepted"
NOT_ALLOWED = "You are not allowed to do this."


def png_bytes(width: int = 3, height: int = 2) -> bytes:
    """A small, valid RGB PNG (every pixel red)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class FeaturesPage(NotesPage):
    """``NotesPage`` plus the parts of the page these tests use."""

    def __init__(self, page: Page, server: LiveServer, *, javascript: bool) -> None:
        super().__init__(page, server, javascript=javascript)
        self.image_input = self.add_form.locator("input[type=file]")
        self.badge = page.locator("#note-total")
        self.admin = page.get_by_role("region", name="Admin")
        self.clear_button = self.admin.get_by_role("button", name="Delete all notes")
        self.clear_form = self.admin.locator(
            "form", has=page.get_by_role("button", name="Delete all notes")
        )
        self.toggle_form = self.admin.locator("form").first

    def expect_error_for(self, field: Locator, text: str) -> None:
        """``field`` is invalid and its error message (aria-describedby) contains ``text``."""
        expect(field).to_have_attribute("aria-invalid", "true")
        described_by = field.get_attribute("aria-describedby")
        assert described_by, "the invalid input does not point at its error message"
        expect(self.page.locator(f"[id='{described_by}']")).to_contain_text(text)


@pytest.fixture
def notes(page: Page, server: LiveServer, mode: str) -> FeaturesPage:
    return FeaturesPage(page, server, javascript=mode == "js")


@pytest.fixture
def js_notes(js_page: Page, server: LiveServer) -> FeaturesPage:
    return FeaturesPage(js_page, server, javascript=True)


@pytest.fixture
def nojs_notes(nojs_page: Page, server: LiveServer) -> FeaturesPage:
    return FeaturesPage(nojs_page, server, javascript=False)


@pytest.fixture
def slow_notes(js_page: Page, slow_server: LiveServer) -> FeaturesPage:
    return FeaturesPage(js_page, slow_server, javascript=True)


# Image uploads (both modes).


def test_add_note_with_image(notes: FeaturesPage) -> None:
    notes.open()
    notes.add_input.fill("With a picture")
    png = png_bytes(3, 2)
    notes.image_input.set_input_files({"name": "red.png", "mimeType": "image/png", "buffer": png})
    notes.submit(notes.add_button)
    notes.expect_notes("With a picture")
    (saved,) = notes.server.uploads()
    assert saved.endswith(".png")
    image = notes.note(0).locator("img.note-image")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("src", f"/uploads/{saved}")
    # The browser fetched and decoded the uploaded file: it is our 3x2 PNG.
    size = image.evaluate("img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])")
    assert size == [3, 2]
    assert notes.server.note_texts() == ["With a picture"]
    expect(notes.image_input).to_have_value("")  # a success comes back with empty inputs


def test_add_note_with_a_text_file_is_refused(notes: FeaturesPage) -> None:
    notes.open()
    notes.add_input.fill("Not a picture")
    notes.image_input.set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"just some text\n"}
    )
    notes.submit(notes.add_button)
    notes.expect_error_for(notes.image_input, FILE_TYPE_ERROR)
    expect(notes.add_input).to_have_value("Not a picture")
    expect(notes.add_input).not_to_have_attribute("aria-invalid", "true")
    notes.expect_notes()
    assert notes.server.note_texts() == []
    assert notes.server.uploads() == []


# Optimistic UI (JavaScript only).


def test_optimistic_note_until_the_answer(slow_notes: FeaturesPage) -> None:
    slow_notes.server.add_notes("Existing")
    notes = slow_notes.open()
    optimistic = notes.page.locator("#notes .sf-optimistic")
    expect(optimistic).to_have_count(0)
    notes.add_input.fill("Coming right up")
    with notes.page.expect_response(lambda r: is_function_call(r.request)):
        notes.add_button.click()
        expect(optimistic).to_have_count(1)
        expect(optimistic).to_be_visible()
        expect(optimistic).to_contain_text("Coming right up")
        expect(optimistic).to_have_attribute("aria-busy", "true")
        # Shown first, above the existing note, while the function still runs.
        first = notes.page.locator("#notes > li").first
        expect(first).to_have_class(re.compile(r"\bsf-optimistic\b"))
    expect(optimistic).to_have_count(0)
    notes.expect_notes("Coming right up", "Existing")
    assert notes.server.note_texts() == ["Coming right up", "Existing"]


def test_optimistic_note_rolled_back_on_error(slow_notes: FeaturesPage) -> None:
    slow_notes.server.add_notes("Existing")
    notes = slow_notes.open()
    # Record every optimistic element put in the list (the 422 comes back fast).
    notes.page.evaluate(
        """() => {
            window.__optimistic = [];
            new MutationObserver((records) => {
                for (const record of records) for (const node of record.addedNodes)
                    if (node.classList && node.classList.contains("sf-optimistic"))
                        window.__optimistic.push(node.textContent.trim());
            }).observe(document.getElementById("notes-list"), {childList: true, subtree: true});
        }"""
    )
    notes.add_note("")
    notes.expect_field_error(notes.add_form, notes.add_input, EMPTY_NOTE_ERROR)
    expect(notes.page.locator(".sf-optimistic")).to_have_count(0)
    notes.expect_notes("Existing")
    assert notes.page.evaluate("() => window.__optimistic") == [""]  # shown, then removed
    assert notes.server.note_texts() == ["Existing"]


# The header badge, refreshed on the "notes-changed" event.


def _record_badge_requests(notes: FeaturesPage) -> tuple[list[str], list[Request]]:
    """Pages loaded (there should be none) and the badge's own requests, from now on."""
    loads: list[str] = []
    notes.page.on("load", lambda p: loads.append(p.url))
    badge_requests: list[Request] = []
    notes.page.on(
        "request",
        lambda r: badge_requests.append(r) if r.url.endswith("/notes/total") else None,
    )
    return loads, badge_requests


def test_badge_follows_added_notes_without_reload(js_notes: FeaturesPage) -> None:
    notes = js_notes.open()
    loads, badge_requests = _record_badge_requests(notes)
    expect(notes.badge).to_have_text("0 notes")
    notes.add_note("one")
    expect(notes.badge).to_have_text("1 note")
    notes.add_note("two")
    expect(notes.badge).to_have_text("2 notes")
    notes.expect_notes("two", "one")
    assert loads == []
    # One hx-get per "notes-changed" event (HX-Trigger), not a refreshed partial.
    assert [r.method for r in badge_requests] == ["GET", "GET"]
    assert all(r.headers.get("hx-request") == "true" for r in badge_requests)


def test_badge_follows_a_deleted_note_without_reload(js_notes: FeaturesPage) -> None:
    js_notes.server.add_notes("one", "two")
    notes = js_notes.open()
    loads, badge_requests = _record_badge_requests(notes)
    expect(notes.badge).to_have_text("2 notes")
    notes.submit(notes.note(0).get_by_role("button", name="Delete"))
    notes.expect_notes("one")
    expect(notes.badge).to_have_text("1 note", timeout=2_000)
    assert loads == []
    assert [r.method for r in badge_requests] == ["GET"]


def test_badge_after_redirect(nojs_notes: FeaturesPage) -> None:
    notes = nojs_notes.open()
    expect(notes.badge).to_have_text("0 notes")
    notes.add_note("one")
    expect(notes.badge).to_have_text("1 note")
    notes.add_note("two")
    expect(notes.badge).to_have_text("2 notes")
    notes.submit(notes.note(0).get_by_role("button", name="Delete"))
    expect(notes.badge).to_have_text("1 note")
    notes.expect_notes("one")


# The guarded "Delete all notes".


def test_clear_notes_refused_for_a_visitor(notes: FeaturesPage) -> None:
    notes.server.add_notes("keep me")
    notes.open()
    expect(notes.toggle_form).to_contain_text("You are a visitor.")
    if notes.javascript:
        with notes.page.expect_response(lambda r: is_function_call(r.request)) as answer:
            notes.clear_button.click()
        assert answer.value.status == 403
        expect(notes.clear_form.get_by_role("alert")).to_have_text(NOT_ALLOWED)
        expect(notes.clear_button).to_be_enabled()
        notes.expect_notes("keep me")
        expect(notes.badge).to_have_text("1 note")
    else:
        with notes.page.expect_navigation() as navigation:
            notes.clear_button.click()
        # back on the board (not an error page), the message in the form
        response = navigation.value
        assert response is not None and response.status == 200
        expect(notes.clear_form.get_by_role("alert")).to_have_text(NOT_ALLOWED)
        notes.expect_notes("keep me")
    assert notes.server.note_texts() == ["keep me"]


def test_admin_clears_notes(notes: FeaturesPage) -> None:
    notes.server.add_notes("first", "second")
    notes.open()
    notes.submit(notes.admin.get_by_role("button", name="Become admin (demo)"))
    expect(notes.toggle_form).to_contain_text("You are the admin (demo).")
    expect(notes.admin.get_by_role("button", name="Stop being admin")).to_be_visible()
    notes.submit(notes.clear_button)
    expect(notes.clear_form.get_by_role("status")).to_have_text("Deleted 2 notes.")
    notes.expect_notes()
    expect(notes.page.locator("#notes-list .empty")).to_be_visible()
    expect(notes.badge).to_have_text("0 notes")
    assert notes.server.note_texts() == []


# serverFunctions.call from the page's own script.


def test_server_functions_call(js_notes: FeaturesPage) -> None:
    notes = js_notes.open()
    results = notes.name_form.evaluate(
        """async (form) => {
            const url = form.getAttribute("action");
            const saved = await serverFunctions.call(url, {name: "From JS"});
            const missing = await serverFunctions.call(url, {});
            return {url, saved, missing};
        }"""
    )
    assert "/_sf/" in results["url"]
    assert results["saved"] == {
        "state": {"error": None, "name": "From JS"},
        "errors": None,
        "ok": True,
        "status": 200,
    }
    missing = results["missing"]
    assert missing["status"] == 422
    assert missing["ok"] is False
    assert missing["errors"]["name"] and all(isinstance(m, str) for m in missing["errors"]["name"])
    assert notes.server.setting("name") == "From JS"


# Announcements (JS on): swapped-in messages reach one persistent aria-live region.


def test_results_and_errors_are_announced(js_notes: FeaturesPage) -> None:
    notes = js_notes.open()
    live = notes.page.locator(".sf-live[aria-live=polite]")
    notes.submit(notes.name_button)
    expect(live).to_have_text("Name is required")
    notes.name_input.fill("Ada")
    notes.submit(notes.name_button)
    expect(live).to_have_text("Saved name: Ada")
    expect(live).to_have_count(1)  # one region for the page, reused


def test_announcements_survive_a_body_swap(js_notes: FeaturesPage) -> None:
    """A boosted navigation replaces <body>: the live region is made again."""
    notes = js_notes.open()
    live = notes.page.locator(".sf-live[aria-live=polite]")
    notes.submit(notes.name_button)
    expect(live).to_have_text("Name is required")
    notes.page.evaluate("document.querySelector('.sf-live').remove()")
    notes.name_input.fill("Grace")
    notes.submit(notes.name_button)
    expect(live).to_have_text("Saved name: Grace")


def test_renaming_a_note_deleted_meanwhile(notes: FeaturesPage) -> None:
    """The function refuses (``refuse(..., 404)``): with htmx the form says so; without
    JavaScript the landing page has no form for that note any more, so the message
    is flashed, and nothing is lost either way."""
    notes.server.add_notes("gone soon")
    notes.open()
    notes.server.reset()  # another tab deleted it
    notes.note_input(0).fill("renamed")
    notes.submit(notes.note(0).get_by_role("button", name="Rename"))
    message = "This note no longer exists."
    if notes.javascript:
        expect(notes.note(0).get_by_role("alert")).to_have_text(message)
        expect(notes.note_input(0)).to_have_value("renamed")
    else:
        expect(notes.page.locator("p.flash[role=alert]")).to_have_text(message)
        expect(notes.notes).to_have_count(0)
    assert notes.server.note_texts() == []
