"""The example's task form (every kind of field) in Chromium, with JavaScript on and off:
an error keeps every choice the user made, a success shows what was planned."""

from __future__ import annotations

import typing as t

import pytest

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the ``browser`` fixture skips (or fails in CI) with the reason
    pass

if t.TYPE_CHECKING:
    from .conftest import LiveServer

pytestmark = pytest.mark.browser


def fill_choices(form: t.Any) -> None:
    form.get_by_label("Size").select_option("l")
    form.get_by_label("High").check()
    form.get_by_label("Tags").select_option(["home", "errand"])
    form.get_by_label("Due").fill("2026-12-24")
    form.get_by_label("Urgent").check()
    form.get_by_label("Notes").fill("Bring <the> list")


def test_error_keeps_every_choice(page: Page, server: LiveServer, mode: str) -> None:
    page.goto(server.url + "/")
    form = page.locator("form.task-form")
    fill_choices(form)
    form.get_by_role("button", name="Plan task").click()
    expect(form.locator(".sf-error")).to_have_text("Give the task a title.")
    expect(form.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Size")).to_have_value("l")
    expect(form.get_by_label("High")).to_be_checked()
    expect(form.get_by_label("Normal")).not_to_be_checked()
    selected = form.get_by_label("Tags").evaluate(
        "s => Array.from(s.selectedOptions, o => o.value)"
    )
    assert selected == ["home", "errand"]
    expect(form.get_by_label("Due")).to_have_value("2026-12-24")
    expect(form.get_by_label("Urgent")).to_be_checked()
    expect(form.get_by_label("Notes")).to_have_value("Bring <the> list")

    form.get_by_label("Title").fill("Shopping")
    form.get_by_role("button", name="Plan task").click()
    expect(form.get_by_role("status")).to_contain_text(
        "Planned Shopping (l, priority 3, home, errand, due 2026-12-24, urgent)."
    )
    # After a success the form starts over from its defaults.
    expect(form.get_by_label("Size")).to_have_value("m")
    expect(form.get_by_label("Normal")).to_be_checked()
    expect(form.get_by_label("Urgent")).not_to_be_checked()


def test_blank_optional_fields_take_their_defaults(
    page: Page, server: LiveServer, mode: str
) -> None:
    page.goto(server.url + "/")
    form = page.locator("form.task-form")
    form.get_by_label("Title").fill("Read")
    form.get_by_role("button", name="Plan task").click()
    expect(form.get_by_role("status")).to_contain_text("Planned Read (m, priority 2).")


@pytest.fixture
def data_hx_server(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[LiveServer]:
    from .conftest import _serve

    server = _serve(
        tmp_path_factory,
        "data-hx",
        SERVER_FUNCTIONS_ATTRIBUTE_PREFIX="data-hx-",
        EXAMPLE_SLOW_SECONDS=0.5,
    )
    yield server
    server.stop()


def test_data_hx_attributes_work_with_the_bundled_htmx(
    js_page: Page, data_hx_server: LiveServer
) -> None:
    js_page.goto(data_hx_server.url + "/")
    form = js_page.locator("form.task-form")
    assert form.get_attribute("data-hx-post") == "" and form.get_attribute("hx-post") is None
    js_page.evaluate("window.sameDocument = true")
    form.get_by_label("Title").fill("Shopping")
    form.get_by_role("button", name="Plan task").click()
    expect(form.get_by_label("Title")).to_be_disabled()  # data-hx-disable, while pending
    expect(form.get_by_role("status")).to_contain_text("Planned Shopping")
    assert js_page.evaluate("window.sameDocument") is True  # swapped, not navigated
