from __future__ import annotations

import pytest
from flask import Flask

from flask_server_functions import htmx


def details(**headers: str) -> htmx.HtmxDetails:
    app = Flask(__name__)
    with app.test_request_context(headers=headers):
        from flask import request

        return htmx.HtmxDetails.from_request(request)


def test_unset() -> None:
    d = details()
    assert not d.request and not d.boosted and not d.history_restore_request
    assert d.current_url is None and d.source is None and d.target is None
    assert not d.wants_fragment


def test_set() -> None:
    d = details(
        **{
            "HX-Request": "true",
            "HX-Current-URL": "http://x/",
            "HX-Source": "form#f",
            "HX-Target": "form#f",
        }
    )
    assert d.request and d.wants_fragment
    assert (d.current_url, d.source, d.target) == ("http://x/", "form#f", "form#f")


@pytest.mark.parametrize("header", ["HX-Boosted", "HX-History-Restore-Request"])
def test_page_requests_do_not_want_fragments(header: str) -> None:
    d = details(**{"HX-Request": "true", header: "true"})
    assert d.request and not d.wants_fragment


def test_form_attributes_are_htmx4() -> None:
    attrs = htmx.HTMX4.form_attributes("/_sf/tok", "f")
    # The URL is the form's action (the script reads it); the form is its own target.
    # (the script disables its controls and drops a second submit meanwhile).
    assert attrs == {"hx-post": True}
    assert htmx.HTMX4.form_attributes_html("/_sf/tok", "f") == "hx-post"


def test_partial_escapes_target() -> None:
    assert htmx.HTMX4.partial('a"b', "<i>x</i>") == (
        '<hx-partial hx-target="#a&#34;b" hx-swap="innerHTML"><i>x</i></hx-partial>'
    )


def test_form_attributes_htmx2_never_write_hx_disable() -> None:
    attrs = htmx.HTMX2.form_attributes("/_sf/tok", "f1")
    assert "hx-disable" not in attrs
    assert attrs["hx-disabled-elt"] == (
        'form[id="f1"] input, form[id="f1"] button, form[id="f1"] select, form[id="f1"] textarea'
    )
    quoted = htmx.HTMX2.disabled_controls('a"b\\c')
    assert quoted.startswith('form[id="a\\"b\\\\c"] input')
    assert attrs["hx-sync"] == "this:drop"
    assert (attrs["hx-post"], attrs["hx-target"], attrs["hx-swap"]) == (
        "/_sf/tok",
        "this",
        "innerHTML",
    )


def test_script_events_per_dialect() -> None:
    assert htmx.HTMX4.script_events() == {
        "before": "htmx:before:request",
        "finally": "htmx:finally:request",
    }
    assert htmx.HTMX2.script_events() == {
        "before": "htmx:beforeRequest",
        "finally": "htmx:afterRequest",
        "before-swap": "htmx:beforeSwap",
    }


@pytest.mark.parametrize("request_", [None, "true", "TRUE", "false"])
@pytest.mark.parametrize("boosted", [None, "true", "false"])
@pytest.mark.parametrize("restore", [None, "true", "false"])
def test_the_call_paths_reading_of_the_environ_is_htmx_details_rule(
    request_: str | None, boosted: str | None, restore: str | None
) -> None:
    from werkzeug.datastructures import Headers

    from flask_server_functions.htmx import HtmxDetails, environ_wants_fragment

    sent = {"HX-Request": request_, "HX-Boosted": boosted, "HX-History-Restore-Request": restore}
    headers = Headers([(k, v) for k, v in sent.items() if v is not None])
    environ = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    assert environ_wants_fragment(environ) is HtmxDetails(headers).wants_fragment
    assert HtmxDetails(headers).wants_fragment is (
        request_ in ("true", "TRUE") and boosted != "true" and restore != "true"
    )
