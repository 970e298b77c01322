"""Long work in a real Chromium: the streamed import, upload progress, cancel, and the
file kept after a 422. No timing assertions: the page records what it showed (a
MutationObserver), and the tests look at those records and at the database.
"""

from __future__ import annotations

import os
import struct
import time
import typing as t
import zlib

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the ``browser`` fixture skips (or fails in CI) with the reason
    pass

if t.TYPE_CHECKING:
    from .conftest import LiveServer

from flask_server_functions.config import app_state
from flask_server_functions.errors import MismatchedReplay

pytestmark = pytest.mark.browser

#: What a one-time key sent again with other input answers (409).
MISMATCH = str(MismatchedReplay.description)

#: Notes the server has saved (not the optimistic copy shown while it works).
SAVED_NOTES = "#notes-list li.note[data-note-id]"
LINES = [f"Imported note {i}" for i in range(1, 11)]

#: Records every "Imported n of m" the import form shows, and every value the
#: upload progress bar takes, in the order they appear.
RECORDER = """
window.seen = {imports: [], progress: [], texts: [], answered: null};
document.addEventListener("DOMContentLoaded", () => {
new MutationObserver(() => {
  const status = document.querySelector("#import-form .import-status");
  const text = status && status.textContent.replace(/\\s+/g, " ").trim();
  if (text && text !== window.seen.imports.at(-1)) window.seen.imports.push(text);
}).observe(document.body, {subtree: true, childList: true, characterData: true});
new MutationObserver((records) => {
  for (const r of records) {
    if (r.target.matches("progress[data-sf-progress]") && r.attributeName === "value") {
      window.seen.progress.push([r.target.value, r.target.max]);
      const text = r.target.parentElement.querySelector("[data-sf-progress-text]");
      if (text) window.seen.texts.push(text.textContent);
    }
  }
}).observe(document.body, {subtree: true, attributes: true, attributeFilter: ["value"]});
});
document.addEventListener("htmx:after:request", (e) => {
  if (!window.seen.answered) window.seen.answered = window.seen.progress.length;
});
"""


def notes_file(lines: list[str] = LINES) -> dict[str, t.Any]:
    return {"name": "notes.txt", "mimeType": "text/plain", "buffer": "\n".join(lines).encode()}


def big_png(side: int = 420) -> bytes:
    """A valid PNG of about ``3 * side**2`` bytes (noise does not compress)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + os.urandom(3 * side) for _ in range(side))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 0))
        + chunk(b"IEND", b"")
    )


def open_page(page: Page, server: LiveServer) -> None:
    page.add_init_script(RECORDER.replace("#import-form", "form[data-sf-stream]"))
    page.goto(server.url + "/")
    page.wait_for_load_state("networkidle")  # the scripts server-functions.js loads, too


def import_form(page: Page) -> t.Any:
    return page.get_by_role("region", name="Import notes").locator("form")


def is_call(response: t.Any) -> bool:
    """A server function's answer to a submission (not a live validation's)."""
    request = response.request
    return bool(
        request.method == "POST"
        and "/_sf/" in request.url
        and "precognition" not in request.headers
    )


def wait_for_notes(server: LiveServer, deadline: float = 15.0) -> list[str]:
    """The notes once the server has written one (bounded wait, not a timing check)."""
    end = time.monotonic() + deadline
    while not (texts := server.note_texts()):
        assert time.monotonic() < end, "the server never wrote a note"
        time.sleep(0.05)
    return texts


def wait_for_setting(server: LiveServer, key: str, deadline: float = 15.0) -> str:
    """The setting once the server has written it (bounded wait, not a timing check)."""
    end = time.monotonic() + deadline
    while (value := server.setting(key)) is None:
        assert time.monotonic() < end, f"the server never wrote {key!r}"
        time.sleep(0.05)
    return value


def test_streamed_import_shows_intermediate_states(js_page: Page, slow_server: LiveServer) -> None:
    open_page(js_page, slow_server)
    form = import_form(js_page)
    expect(form).to_have_attribute("data-htmx-powered", "true")
    sse = js_page.locator('script[src*="hx-sse"]')
    expect(sse).to_have_count(0)  # hx-sse loads when a streaming form is first sent
    form.locator("input[type=file]").set_input_files(notes_file())
    form.get_by_role("button", name="Import").click()
    expect(sse).to_have_count(1)
    expect(form).to_have_attribute("aria-busy", "true")
    expect(form.locator(".import-status")).to_contain_text("Imported 10 of 10")
    expect(form).not_to_have_attribute("aria-busy", "true")  # pending until the last state
    seen = js_page.evaluate("window.seen.imports")
    assert seen[-1] == "Imported 10 of 10"
    intermediate = [s for s in seen[:-1] if s.startswith("Imported ")]
    assert len(intermediate) >= 2, seen
    numbers = [int(s.split()[1]) for s in seen]
    assert numbers == sorted(numbers)  # in order, never back
    assert sorted(slow_server.note_texts()) == sorted(LINES)  # each line written once
    expect(js_page.locator(SAVED_NOTES)).to_have_count(10)  # the refresh= region
    expect(js_page.locator("#note-total")).to_contain_text("10")  # the trigger= event
    assert wait_for_setting(slow_server, "last_import") == "10 of 10"


def test_cancel_mid_stream_stops_the_writes(js_page: Page, slow_server: LiveServer) -> None:
    open_page(js_page, slow_server)
    form = import_form(js_page)
    expect(form).to_have_attribute("data-htmx-powered", "true")
    form.locator("input[type=file]").set_input_files(notes_file())
    form.get_by_role("button", name="Import").click()
    expect(form.locator(".import-status")).to_contain_text("Imported 2 of 10")
    cancel = form.get_by_role("button", name="Cancel")
    expect(cancel).to_be_enabled()
    cancel.click()
    expect(form).not_to_have_attribute("aria-busy", "true")
    expect(form.get_by_role("button", name="Import")).to_be_enabled()
    # the call ends visibly: the form says it was cancelled, and so does the live region
    expect(form.locator(".sf-cancelled[role=status]")).to_have_text("Cancelled.")
    live = js_page.locator(".sf-live[aria-live=polite]")
    expect(live).to_contain_text("Cancelled.")
    stopped = wait_for_setting(slow_server, "last_import")  # the generator's finally: ran
    done, total = (int(n) for n in stopped.split(" of "))
    assert total == 10 and done < 10
    assert len(slow_server.note_texts()) == done  # no write after the stop
    assert not form.locator(".import-status").text_content().strip().endswith("10 of 10")
    # imported again: the answer replaces the notice
    form.locator("input[type=file]").set_input_files(notes_file(LINES[:2]))
    form.get_by_role("button", name="Import").click()
    expect(form.locator(".import-status")).to_contain_text("Imported 2 of 2")
    expect(form).not_to_have_attribute("aria-busy", "true")
    expect(form.locator(".sf-cancelled")).to_have_count(0)


def test_escape_cancels_a_pending_import(js_page: Page, slow_server: LiveServer) -> None:
    open_page(js_page, slow_server)
    form = import_form(js_page)
    expect(form).to_have_attribute("data-htmx-powered", "true")
    form.locator("input[type=file]").set_input_files(notes_file())
    form.get_by_role("button", name="Import").click()
    expect(form.locator(".import-status")).to_contain_text("Imported 1 of 10")
    # the button's own text for the notice (to translate it)
    form.locator("[data-sf-cancel]").evaluate("b => { b.dataset.sfCancelled = 'Abgebrochen.' }")
    js_page.keyboard.press("Escape")
    expect(form).not_to_have_attribute("aria-busy", "true")
    expect(form.get_by_role("status").filter(has_text="Abgebrochen.")).to_have_count(1)
    expect(js_page.locator(".sf-live[aria-live=polite]")).to_contain_text("Abgebrochen.")
    done = int(wait_for_setting(slow_server, "last_import").split(" of ")[0])
    assert done < 10 and len(slow_server.note_texts()) == done


def test_without_js_the_import_lands_on_the_final_state(
    nojs_page: Page, slow_server: LiveServer
) -> None:
    nojs_page.goto(slow_server.url + "/")
    form = import_form(nojs_page)
    form.locator("input[type=file]").set_input_files(notes_file(LINES[:4]))
    with nojs_page.expect_navigation():
        form.get_by_role("button", name="Import").click()
    assert nojs_page.url.split("?_sf_kept=")[0] == slow_server.url + "/"
    expect(form.locator(".import-status")).to_have_text("Imported 4 of 4")
    assert sorted(slow_server.note_texts()) == sorted(LINES[:4])
    expect(nojs_page.locator(SAVED_NOTES)).to_have_count(4)


def test_throttled_upload_reports_progress(js_page: Page, server: LiveServer) -> None:
    open_page(js_page, server)
    cdp = js_page.context.new_cdp_session(js_page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 400_000},
    )
    form = js_page.locator("form.sf-form", has=js_page.get_by_label("Note", exact=True))
    expect(form).to_have_attribute("data-htmx-powered", "true")
    form.get_by_label("Note", exact=True).fill("With a big picture")
    image = big_png()
    form.locator("input[type=file]").set_input_files(
        {"name": "big.png", "mimeType": "image/png", "buffer": image}
    )
    form.get_by_role("button", name="Add note").click()
    expect(js_page.locator(SAVED_NOTES)).to_have_count(1)
    seen = js_page.evaluate("window.seen")
    before_answer = seen["progress"][: seen["answered"]]
    intermediate = {v for v, total in before_answer if 0 < v < total}
    assert len(intermediate) >= 2, seen
    values = [v for v, _ in before_answer]
    assert values == sorted(values)  # it only rises
    assert before_answer[-1][1] >= len(image)  # bytes of the whole body
    total = before_answer[-1][1]  # under 1 MB: in decimal KB (1 KB = 1000 bytes)
    assert seen["texts"][-1].endswith(f" of {-(-total // 1000)} KB"), seen["texts"][-3:]
    assert server.note_texts() == ["With a big picture"] and len(server.uploads()) == 1


def test_after_a_422_the_chosen_file_stays(js_page: Page, server: LiveServer) -> None:
    open_page(js_page, server)
    form = js_page.locator("form.sf-form", has=js_page.get_by_label("Note", exact=True))
    expect(form).to_have_attribute("data-htmx-powered", "true")
    form.locator("input[type=file]").set_input_files(
        {"name": "pic.png", "mimeType": "image/png", "buffer": big_png(4)}
    )
    form.get_by_role("button", name="Add note").click()  # no text: 422
    expect(form.locator(".sf-error")).to_be_visible()
    assert form.locator("input[type=file]").evaluate("i => i.files.length && i.files[0].name") == (
        "pic.png"
    )
    form.get_by_label("Note", exact=True).fill("Now with text")
    form.get_by_role("button", name="Add note").click()
    expect(js_page.locator(SAVED_NOTES)).to_have_count(1)
    assert len(server.uploads()) == 1  # the kept file was sent
    assert form.locator("input[type=file]").evaluate("i => i.files.length") == 0  # reset


def test_without_js_a_422_says_to_choose_the_file_again(
    nojs_page: Page, server: LiveServer
) -> None:
    nojs_page.goto(server.url + "/")
    form = nojs_page.locator("form.sf-form", has=nojs_page.get_by_label("Note", exact=True))
    form.locator("input[type=file]").set_input_files(
        {"name": "pic.png", "mimeType": "image/png", "buffer": big_png(4)}
    )
    with nojs_page.expect_navigation():
        form.get_by_role("button", name="Add note").click()  # no text: the error, after a 303
    expect(form.locator(".sf-error")).to_be_visible()
    expect(form).to_contain_text("choose it again")
    assert server.note_texts() == [] and server.uploads() == []


# Werkzeug's multipart parser leaves the temporary file of a body cut off mid-file to
# the garbage collector (a ResourceWarning in the server thread): not this test's subject.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_cancel_a_throttled_upload(js_page: Page, server: LiveServer) -> None:
    open_page(js_page, server)
    cdp = js_page.context.new_cdp_session(js_page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 200_000},
    )
    form = js_page.locator("form.sf-form", has=js_page.get_by_label("Note", exact=True))
    expect(form).to_have_attribute("data-htmx-powered", "true")
    form.get_by_label("Note", exact=True).fill("Never sent")
    form.locator("input[type=file]").set_input_files(
        {"name": "big.png", "mimeType": "image/png", "buffer": big_png()}
    )
    form.get_by_role("button", name="Add note").click()
    js_page.wait_for_function("() => window.seen.progress.some(([v, max]) => v > 0 && v < max)")
    form.get_by_role("button", name="Cancel").click()
    expect(form).not_to_have_attribute("aria-busy", "true")
    expect(form.get_by_role("button", name="Add note")).to_be_enabled()
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    form.get_by_label("Note", exact=True).fill("Sent")
    form.locator("input[type=file]").set_input_files([])
    with js_page.expect_response(is_call) as answered:
        form.get_by_role("button", name="Add note").click()
    if answered.value.status == 200:  # the cancelled call never reached the function
        expect(js_page.locator(SAVED_NOTES)).to_have_count(1)
        assert server.note_texts() == ["Sent"]
        return
    # Chromium's emulated throttling can deliver the body before the abort: then the
    # cancelled call ran, and its one-time key is spent on other input. The next
    # submission (the same key, other input) is refused, never answered with the
    # cancelled call's outcome; the form says so and keeps what was typed.
    assert answered.value.status == 409
    expect(form).to_contain_text(MISMATCH)
    expect(form.get_by_label("Note", exact=True)).to_have_value("Sent")
    assert wait_for_notes(server) == ["Never sent"]
    form.get_by_role("button", name="Add note").click()  # the form's fresh key: it runs
    expect(js_page.locator(SAVED_NOTES)).to_have_count(2)
    assert sorted(server.note_texts()) == ["Never sent", "Sent"]


def test_cancel_while_the_note_is_saved_then_change_it(
    js_page: Page, slow_server: LiveServer
) -> None:
    # Cancelled after its body arrived, the call runs on (the server cannot tell): the
    # form's one-time key is spent on that input. Changed and sent again, the note is
    # refused, never answered with the cancelled call's outcome; sent once more, with
    # the fresh key the answer carried, it is added.
    open_page(js_page, slow_server)
    store = app_state(slow_server.app).idempotency_store
    claims = t.cast(t.Any, store).size()[0]
    form = js_page.locator("form.sf-form", has=js_page.get_by_label("Note", exact=True))
    expect(form).to_have_attribute("data-htmx-powered", "true")
    note = form.get_by_label("Note", exact=True)
    note.fill("First")
    form.get_by_role("button", name="Add note").click()
    end = time.monotonic() + 15  # the server has claimed the key (bounded wait)
    while t.cast(t.Any, store).size()[0] == claims:
        assert time.monotonic() < end, "the call never reached the server"
        time.sleep(0.02)
    form.get_by_role("button", name="Cancel").click()
    expect(form).not_to_have_attribute("aria-busy", "true")
    note.fill("Changed")
    with js_page.expect_response(is_call) as answered:
        form.get_by_role("button", name="Add note").click()
    assert answered.value.status == 409
    expect(form).to_contain_text(MISMATCH)
    expect(note).to_have_value("Changed")
    assert wait_for_notes(slow_server) == ["First"]
    form.get_by_role("button", name="Add note").click()
    expect(js_page.locator(SAVED_NOTES)).to_have_count(2)
    assert sorted(slow_server.note_texts()) == ["Changed", "First"]
