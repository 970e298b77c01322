"""Streaming server functions (generators): events for hx-sse, the final state elsewhere."""

from __future__ import annotations

import logging
import re
import typing as t

import pytest
from flask import Flask, abort, render_template
from flask.testing import FlaskClient
from marshmallow import Schema, ValidationError, fields

from flask_server_functions import ServerFunctions
from flask_server_functions.idempotency import ONCE_FIELD
from flask_server_functions.schemas import File
from flask_server_functions.streaming import message
from tests.conftest import HTMX, url_for_ref
from tests.test_idempotency import render_form

SSE = {**HTMX, "Accept": "text/html, text/event-stream"}


def events(body: str) -> list[tuple[str, str]]:
    """(event name, data) of each server-sent event in ``body``."""
    found = []
    for block in body.split("\n\n"):
        if not block:
            continue
        lines = block.split("\n")
        name = next((line[7:] for line in lines if line.startswith("event: ")), "")
        data = "\n".join(line[6:] for line in lines if line.startswith("data: "))
        found.append((name, data))
    return found


def states(body: str) -> list[str]:
    return re.findall(r"<p class=state>(.*?)</p>", body)


@pytest.fixture
def log(sf: ServerFunctions) -> list[str]:
    return []


@pytest.fixture
def count(sf: ServerFunctions, log: list[str]) -> t.Any:
    @sf.function(template="name_form.html", trigger="counted", refresh={"total": "name_form.html"})
    def count(name: str) -> t.Iterator[dict[str, int]]:
        try:
            for i in range(1, 4):
                log.append(f"wrote {i}")
                yield {"done": i, "total": 3}
        finally:
            log.append("finally")

    return count


def test_htmx_with_sse_streams_each_state_then_the_final_one(
    app: Flask, client: FlaskClient, count: t.Any, log: list[str]
) -> None:
    r = client.post(url_for_ref(app, count), data={"name": "x"}, headers=SSE)
    assert r.status_code == 200
    assert r.mimetype == "text/event-stream"
    assert r.headers["Cache-Control"] == "no-cache"
    got = events(r.get_data(as_text=True))
    messages = [data for name, data in got if not name]
    assert [states(m) for m in messages] == [
        ['{"done": 1, "total": 3}'],
        ['{"done": 2, "total": 3}'],
        ['{"done": 3, "total": 3}'],
        # the final one again, with the refresh= region
        ['{"done": 3, "total": 3}', '{"done": 3, "total": 3}'],
    ]
    assert "<hx-partial" not in "".join(messages[:3]) and "<hx-partial" in messages[3]
    assert got[-1] == ("counted", "")  # the trigger= event, after the final swap
    assert log == ["wrote 1", "wrote 2", "wrote 3", "finally"]


@pytest.mark.parametrize(
    "headers", [{}, HTMX, {"Accept": "application/json"}], ids=["nojs", "htmx-no-sse", "json"]
)
def test_other_paths_run_to_the_end_and_answer_the_final_state(
    app: Flask, client: FlaskClient, count: t.Any, log: list[str], headers: dict[str, str]
) -> None:
    app.add_url_rule("/", "page", lambda: render_template("page.html", refs=[count]))
    r = client.post(url_for_ref(app, count), data={"name": "x"}, headers=headers)
    assert log == ["wrote 1", "wrote 2", "wrote 3", "finally"]
    if headers.get("Accept") == "application/json":
        assert r.get_json() == {"state": {"done": 3, "total": 3}, "errors": None}
    elif headers:
        assert r.status_code == 200 and "text/event-stream" not in r.content_type
        assert states(r.get_data(as_text=True)) == ['{"done": 3, "total": 3}'] * 2
    else:
        assert r.status_code == 303
        page = client.get(r.location)  # the page, with the kept final state
        assert states(page.get_data(as_text=True)) == ['{"done": 3, "total": 3}']


def test_a_client_that_goes_away_closes_the_generator(
    app: Flask, client: FlaskClient, count: t.Any, log: list[str]
) -> None:
    r = client.post(url_for_ref(app, count), data={"name": "x"}, headers=SSE, buffered=False)
    chunks = iter(r.response)
    first = next(chunks)
    text = first if isinstance(first, str) else first.decode()
    assert states(text) == ['{"done": 1, "total": 3}']
    r.close()  # what the WSGI server does when the client disconnects
    assert log == ["wrote 1", "finally"]


def test_an_exception_mid_stream_ends_it_with_the_error_state(
    app: Flask, sf: ServerFunctions, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    @sf.function(template="name_form.html")
    def fails(name: str) -> t.Iterator[dict[str, int]]:
        yield {"done": 1}
        raise RuntimeError("disk full")

    with caplog.at_level(logging.ERROR, "flask_server_functions"):
        r = client.post(url_for_ref(app, fails), data={"name": "typed"}, headers=SSE)
    got = [data for name, data in events(r.get_data(as_text=True))]
    assert len(got) == 2
    error_id = re.search(r"\(Error ([0-9a-f]{8})\)", got[-1])
    assert error_id and f"[error {error_id.group(1)}]" in caplog.text
    assert "disk full" in caplog.text and "disk full" not in got[-1]
    assert states(got[-1]) == ['{"done": 1}']  # the progress reached, with the error
    assert 'value="typed"' in got[-1]  # the input kept
    assert "<hx-partial" not in got[-1]


@pytest.mark.parametrize("how", ["raised", "yielded"])
def test_a_validation_error_mid_stream_is_the_final_state(
    app: Flask, sf: ServerFunctions, client: FlaskClient, how: str
) -> None:
    @sf.function(template="name_form.html")
    def checks(name: str) -> t.Iterator[t.Any]:
        yield {"done": 1}
        error = ValidationError({"name": ["Line 2 is too long."]})
        if how == "raised":
            raise error
        yield error
        yield {"done": 2}  # never reached

    r = client.post(url_for_ref(app, checks), data={"name": "typed"}, headers=SSE)
    last = events(r.get_data(as_text=True))[-1][1]
    assert "Line 2 is too long." in last and 'aria-invalid="true"' in last
    j = client.post(
        url_for_ref(app, checks), data={"name": "typed"}, headers={"Accept": "application/json"}
    )
    assert j.status_code == 422 and j.get_json()["errors"] == {"name": ["Line 2 is too long."]}


def test_abort_mid_stream(app: Flask, sf: ServerFunctions, client: FlaskClient) -> None:
    @sf.function(template="name_form.html")
    def refuses(name: str) -> t.Iterator[t.Any]:
        yield {"done": 1}
        abort(403, "Not yours.")

    r = client.post(url_for_ref(app, refuses), data={"name": "typed"}, headers=SSE)
    assert "Not yours." in events(r.get_data(as_text=True))[-1][1]
    j = client.post(
        url_for_ref(app, refuses), data={"name": "x"}, headers={"Accept": "application/json"}
    )
    assert j.status_code == 403 and j.get_json() == {"error": "Not yours."}


def test_invalid_input_never_starts_the_generator(
    app: Flask, client: FlaskClient, count: t.Any, log: list[str]
) -> None:
    r = client.post(url_for_ref(app, count), data={}, headers=SSE)
    assert r.status_code == 422 and "text/event-stream" not in r.content_type
    assert log == []


def test_async_generator_and_return_value(
    app: Flask, sf: ServerFunctions, client: FlaskClient, log: list[str]
) -> None:
    @sf.function(template="name_form.html")
    async def slow(name: str) -> t.AsyncIterator[dict[str, int]]:
        import asyncio

        try:
            for i in (1, 2):
                await asyncio.sleep(0)
                yield {"done": i}
        finally:
            log.append("finally")

    @sf.function(template="name_form.html")
    def returns(name: str) -> t.Generator[dict[str, int], None, dict[str, str]]:
        yield {"done": 1}
        return {"result": "all done"}

    r = client.post(url_for_ref(app, slow), data={"name": "x"}, headers=SSE)
    messages = [d for _, d in events(r.get_data(as_text=True))]
    assert [states(m) for m in messages] == [['{"done": 1}'], ['{"done": 2}'], ['{"done": 2}']]
    assert log == ["finally"]
    j = client.post(
        url_for_ref(app, returns), data={"name": "x"}, headers={"Accept": "application/json"}
    )
    assert j.get_json()["state"] == {"result": "all done"}


def test_guarded_streams_are_refused_before_they_start(
    app: Flask, sf: ServerFunctions, client: FlaskClient, log: list[str]
) -> None:
    @sf.function(template="name_form.html", require=lambda: False)
    def guarded(name: str) -> t.Iterator[dict[str, int]]:
        log.append("ran")
        yield {"done": 1}

    r = client.post(url_for_ref(app, guarded), data={"name": "x"}, headers=SSE)
    assert r.status_code == 403 and "text/event-stream" not in r.content_type
    assert log == []


def test_idempotent_streams_run_once_and_replay_the_final_state(
    app: Flask, sf: ServerFunctions, client: FlaskClient, log: list[str]
) -> None:
    @sf.function(template="name_form.html", idempotent=True)
    def once(name: str) -> t.Iterator[dict[str, int]]:
        for i in (1, 2):
            log.append(f"wrote {i}")
            yield {"done": i}

    url, key = render_form(app, once)  # a one-time key is signed for its form
    data = {"name": "x", ONCE_FIELD: key}
    first = client.post(url, data=data, headers=SSE)
    assert len(events(first.get_data(as_text=True))) == 3
    again = client.post(url, data=data, headers=SSE)  # a replay: the final state, not a stream
    assert "text/event-stream" not in again.content_type
    assert states(again.get_data(as_text=True)) == ['{"done": 2}']
    nojs = client.post(url, data=data)
    assert nojs.status_code == 303
    assert log == ["wrote 1", "wrote 2"]


def test_idempotent_stream_cut_off_keeps_what_it_reached(
    app: Flask, sf: ServerFunctions, client: FlaskClient, log: list[str]
) -> None:
    @sf.function(template="name_form.html", idempotent=True)
    def once(name: str) -> t.Iterator[dict[str, int]]:
        for i in (1, 2, 3):
            log.append(f"wrote {i}")
            yield {"done": i}

    url, key = render_form(app, once)
    data = {"name": "x", ONCE_FIELD: key}
    r = client.post(url, data=data, headers=SSE, buffered=False)
    next(iter(r.response))
    r.close()
    j = client.post(url, data=data, headers={"Accept": "application/json"})
    assert j.get_json()["state"] == {"done": 1}
    assert log == ["wrote 1"]


def test_message_splits_lines_as_the_sse_parser_does() -> None:
    assert message("a\r\nb\rc\nd\u2028e") == "data: a\ndata: b\ndata: c\ndata: d\u2028e\n\n"
    assert message("", "done") == "event: done\ndata: \n\n"


def test_pages_mark_streaming_forms_and_name_the_scripts_to_load(
    app: Flask, client: FlaskClient, count: t.Any, sf: ServerFunctions
) -> None:
    @sf.function(template="name_form.html")
    def plain(name: str) -> str:
        return name

    app.add_url_rule("/", "page", lambda: render_template("page.html", refs=[count, plain]))
    html = client.get("/").get_data(as_text=True)
    forms = re.findall(r"<form[^>]*>", html)
    assert ["data-sf-stream" in f for f in forms] == [True, False]
    script = re.search(r"<script [^>]*server-functions\.min\.js[^>]*>", html)
    assert script
    assert 'data-sse="/_sf/static/vendor/htmx/ext/hx-sse.min.js?' in script.group(0)
    assert 'data-upload="/_sf/static/server-functions-upload.min.js?' in script.group(0)


def test_the_htmx_2_dialect_loads_neither(sf: ServerFunctions) -> None:
    from jinja2 import DictLoader

    from tests.conftest import TEMPLATES

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="s", SERVER_FUNCTIONS_DIALECT="2", SERVER_FUNCTIONS_HTMX="external"
    )
    app.jinja_loader = DictLoader(TEMPLATES)  # type: ignore[assignment]
    sf.init_app(app)
    app.add_url_rule("/", "page", lambda: render_template("page.html", refs=[]))
    html = app.test_client().get("/").get_data(as_text=True)
    assert (
        "server-functions.min.js" in html and "data-sse" not in html and "data-upload" not in html
    )


def test_a_file_input_is_preserved_after_another_fields_error(
    app: Flask, sf: ServerFunctions, client: FlaskClient
) -> None:
    import io

    from jinja2 import DictLoader

    app.jinja_loader = DictLoader(  # type: ignore[assignment]
        {"up.html": "<input {{ form.attrs('text') }}><input type=file {{ form.attrs('doc') }}>"}
    )

    class Upload(Schema):
        text = fields.String(required=True)
        doc = File(content_types=["text/plain"], load_default=None)

    @sf.function(template="up.html", schema=Upload)
    def upload(text: str, doc: t.Any = None) -> str:
        return "ok"

    url = url_for_ref(app, upload)

    def post(**data: t.Any) -> str:
        return client.post(url, data=data, headers=HTMX).get_data(as_text=True)

    file_input = re.compile(r"<input type=file [^>]*>")
    kept = file_input.findall(post(doc=(io.BytesIO(b"x"), "a.txt", "text/plain")))[0]
    assert "hx-preserve" in kept  # text missing: the chosen file stays
    bad = file_input.findall(post(text="t", doc=(io.BytesIO(b"x"), "a.png", "image/png")))[0]
    assert "hx-preserve" not in bad and 'aria-invalid="true"' in bad  # choose another
    done = file_input.findall(post(text="t", doc=(io.BytesIO(b"x"), "a.txt", "text/plain")))[0]
    assert "hx-preserve" not in done  # success: the form resets


def test_an_error_before_the_first_state_is_a_plain_answer(
    app: Flask, sf: ServerFunctions, client: FlaskClient
) -> None:
    @sf.function(template="name_form.html")
    def checks_first(name: str) -> t.Iterator[dict[str, int]]:
        if name == "bad":
            raise ValidationError({"name": ["Not this one."]})
        if name == "boom":
            raise RuntimeError("before any state")
        yield {"done": 1}

    url = url_for_ref(app, checks_first)
    r = client.post(url, data={"name": "bad"}, headers=SSE)
    assert r.status_code == 422 and "text/event-stream" not in r.content_type
    assert "Not this one." in r.get_data(as_text=True)
    r = client.post(url, data={"name": "boom"}, headers=SSE)
    assert r.status_code == 500 and "Something went wrong" in r.get_data(as_text=True)
    r = client.post(url, data={"name": "fine"}, headers=SSE)
    assert r.status_code == 200 and r.mimetype == "text/event-stream"
    r.close()  # an unread stream left to the garbage collector pops contexts late


def test_call_function_gets_the_final_state(app: Flask, client: FlaskClient, count: t.Any) -> None:
    from flask_server_functions.testing import call_function

    result = call_function(client, count, {"name": "x"})
    assert result.ok and result.state == {"done": 3, "total": 3}
    assert "<hx-partial" in result.html
