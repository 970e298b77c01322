"""Each call is an OpenTelemetry span (the SDK's in-memory exporter); the signal has its facts."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask, redirect
from flask.testing import FlaskClient
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from flask_server_functions import ServerFunctions
from flask_server_functions import tracing as tracing_module
from flask_server_functions.signals import function_called
from tests.test_idempotency import render_form

from .conftest import HTMX, url_for_ref

JSON = {"Accept": "application/json"}
ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture(scope="module")
def provider() -> TracerProvider:
    return TracerProvider()


@pytest.fixture
def exporter(provider: TracerProvider, monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # The extension's tracer comes from this provider (not the process-wide one,
    # which can be set only once).
    monkeypatch.setattr(
        tracing_module, "_tracer", lambda: provider.get_tracer(tracing_module.TRACER_NAME)
    )
    yield exporter
    exporter.shutdown()


@pytest.fixture
def functions(sf: ServerFunctions):  # type: ignore[no-untyped-def]
    @sf.function(template="name_form.html", rate_limit="1/minute")
    def greet(name: str, password: str = ""):  # type: ignore[no-untyped-def]
        if name == "boom":
            raise RuntimeError("boom")
        if name == "away":
            return redirect("/elsewhere")
        return {"hello": name}

    @sf.function(template="name_form.html", idempotent=True)
    def pay(name: str):  # type: ignore[no-untyped-def]
        return {"paid": name}

    return greet, pay


def server_function_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name.startswith("server_function")]


def test_span_per_call_named_by_function(
    app: Flask, client: FlaskClient, exporter, functions
) -> None:  # type: ignore[no-untyped-def]
    greet, _ = functions
    app.config["SERVER_FUNCTIONS_RATE_LIMIT_STORAGE"] = "memory://"
    url = url_for_ref(app, greet)
    assert (
        client.post(
            url, data={"name": "Ada", "password": "hunter2"}, headers={**HTMX, **ORIGIN}
        ).status_code
        == 200
    )
    (span,) = server_function_spans(exporter)
    assert span.name == "server_function greet"
    assert dict(span.attributes or {}) == {
        "server_function.name": "greet",
        "server_function.id": greet.id,
        "server_function.path": "htmx",
        "server_function.outcome": "ok",
        "http.response.status_code": 200,
        "server_function.replay": False,
        "server_function.validate_only": False,
        "server_function.rate_limited": False,
    }
    values = [str(v) for v in (span.attributes or {}).values()]
    assert not any("Ada" in v or "hunter2" in v for v in values)  # never argument values


def test_outcomes(app: Flask, client: FlaskClient, exporter, functions) -> None:  # type: ignore[no-untyped-def]
    greet, _ = functions
    greet.rate_limit = None  # this test makes several calls
    url = url_for_ref(app, greet)
    client.post(url, data={}, headers={**JSON, **ORIGIN})  # 422
    client.post(url, data={"name": "boom"}, headers={**HTMX, **ORIGIN})  # 500
    client.post(url, data={"name": "away"}, headers=ORIGIN)  # redirect, no JS
    client.post(url, data={"name": "x"}, headers={**HTMX, "Origin": "http://evil.example"})
    client.post("/_sf/not-a-token", data={}, headers={**HTMX, **ORIGIN})
    spans = server_function_spans(exporter)
    facts = [
        (
            s.name,
            s.attributes["server_function.path"],  # type: ignore[index]
            s.attributes["server_function.outcome"],  # type: ignore[index]
            s.attributes["http.response.status_code"],  # type: ignore[index]
        )
        for s in spans
    ]
    assert facts == [
        ("server_function greet", "json", "invalid", 422),
        ("server_function greet", "htmx", "error", 500),
        ("server_function greet", "nojs", "redirect", 303),
        ("server_function", "htmx", "refused", 403),  # cross-origin: refused before verify
        ("server_function", "htmx", "refused", 400),  # no function known
    ]
    error_id = spans[1].attributes["server_function.error_id"]  # type: ignore[index]
    assert isinstance(error_id, str) and len(error_id) == 8
    assert spans[1].status.status_code is StatusCode.ERROR
    assert spans[0].status.status_code is StatusCode.UNSET  # a 422 is no server error


def test_rate_limited_and_replay(app: Flask, client: FlaskClient, exporter, functions) -> None:  # type: ignore[no-untyped-def]
    greet, pay = functions
    url = url_for_ref(app, greet)
    client.post(url, data={"name": "a"}, headers={**HTMX, **ORIGIN})
    client.post(url, data={"name": "a"}, headers={**HTMX, **ORIGIN})
    pay_url, once = render_form(app, pay)  # a one-time key is signed for its form
    for _ in range(2):
        client.post(pay_url, data={"name": "a", "_sf_once": once}, headers={**HTMX, **ORIGIN})
    spans = server_function_spans(exporter)
    attrs = [dict(s.attributes or {}) for s in spans]
    assert [a["server_function.rate_limited"] for a in attrs] == [False, True, False, False]
    assert attrs[1]["server_function.outcome"] == "refused"
    assert attrs[1]["http.response.status_code"] == 429
    assert [a["server_function.replay"] for a in attrs] == [False, False, False, True]


def test_nests_under_the_flask_request_span(app: Flask, exporter, provider, functions) -> None:  # type: ignore[no-untyped-def]
    greet, _ = functions
    FlaskInstrumentor().instrument_app(app, tracer_provider=provider)
    try:
        url = url_for_ref(app, greet)
        app.test_client().post(url, data={"name": "Ada"}, headers={**HTMX, **ORIGIN})
    finally:
        FlaskInstrumentor().uninstrument_app(app)
    (call,) = server_function_spans(exporter)
    (request_span,) = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert call.parent is not None and call.parent.span_id == request_span.context.span_id
    assert call.context.trace_id == request_span.context.trace_id


def test_signal_carries_the_same_facts(
    app: Flask, client: FlaskClient, exporter, functions
) -> None:  # type: ignore[no-untyped-def]
    greet, _ = functions
    seen: list[dict[str, t.Any]] = []

    def receiver(sender: Flask, **kw: t.Any) -> None:
        seen.append(kw)

    url = url_for_ref(app, greet)
    with function_called.connected_to(receiver, app):
        client.post(url, data={"name": "Ada"}, headers={**JSON, **ORIGIN})
        client.post(url, data={"name": "Ada"}, headers={**JSON, **ORIGIN})  # rate limited
    spans = server_function_spans(exporter)
    keys = ("path", "outcome", "error_id", "replay", "validate_only", "rate_limited")
    assert [{k: kw[k] for k in keys} for kw in seen] == [
        {
            "path": "json",
            "outcome": "ok",
            "error_id": None,
            "replay": False,
            "validate_only": False,
            "rate_limited": False,
        },
        {
            "path": "json",
            "outcome": "refused",
            "error_id": None,
            "replay": False,
            "validate_only": False,
            "rate_limited": True,
        },
    ]
    assert [kw["status"] for kw in seen] == [200, 429]
    assert seen[0]["state"] == {"hello": "Ada"} and seen[1]["state"] is None
    assert seen[1]["errors"]["_form"][0].startswith("Too many attempts.")
    for kw, span in zip(seen, spans, strict=True):
        assert span.attributes["server_function.outcome"] == kw["outcome"]  # type: ignore[index]
        assert span.attributes["server_function.path"] == kw["path"]  # type: ignore[index]


def test_without_opentelemetry_nothing_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins
    import sys

    tracing_module._tracer.cache_clear()
    tracing_module._trace.cache_clear()
    real_import = builtins.__import__

    def no_otel(name: str, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if name.startswith("opentelemetry"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_otel)
    monkeypatch.delitem(sys.modules, "opentelemetry", raising=False)
    try:
        assert tracing_module._tracer() is None
        facts = tracing_module.CallFacts(tracing_module.Path.JSON)
        assert tracing_module.call_span(facts) is None
    finally:
        tracing_module._tracer.cache_clear()
        tracing_module._trace.cache_clear()
