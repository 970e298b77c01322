"""What one call came to (:class:`CallFacts`), as an OpenTelemetry span and for the signal.

With ``opentelemetry-api`` installed (``pip install 'Flask-Server-Functions[otel]'``),
each call is a span named by the function's stable name (``server_function
add_note``; every function posts to the same URL route, so the route says nothing),
a child of the current span, e.g. the Flask request span of
``opentelemetry-instrumentation-flask``. Its attributes (never argument values):

=================================  ==================================================
``server_function.name``           the function's name (``@sf.function(name=...)``)
``server_function.id``             its stable id (as in the token)
``server_function.path``           ``htmx``, ``json`` or ``nojs``
``server_function.outcome``        ``ok``, ``invalid`` (422), ``refused`` (a 4xx, or a
                                   guard's redirect to login), ``redirect`` (the
                                   function returned one) or ``error`` (it raised)
``http.response.status_code``      the status of the answer
``server_function.error_id``       the id logged with a failure
``server_function.replay``         an idempotent replay answered from the store
``server_function.validate_only``  a validate-only call
``server_function.rate_limited``   refused by the rate limit
=================================  ==================================================

Without OpenTelemetry nothing is imported and nothing is recorded. The
``function_called`` signal carries the same facts (:meth:`CallFacts.signal_facts`).
"""

from __future__ import annotations

import contextlib
import functools
import typing as t

from .functions import ServerFunction
from .negotiation import Path

#: The instrumentation scope's name.
TRACER_NAME = "flask_server_functions"
#: The span's name before the function is known (a refusal of a bad token).
UNKNOWN_SPAN = "server_function"


class CallFacts:
    """What one call was and came to; filled in by the steps of ``endpoint.call``.

    (The defaults are class attributes: a call sets only what differs from them.)
    """

    function: ServerFunction[t.Any] | None = None
    #: ``ok``, ``invalid``, ``refused``, ``redirect`` or ``error``.
    outcome: str = "ok"
    status: int = 200
    error_id: str | None = None
    replay: bool = False
    validate_only: bool = False
    rate_limited: bool = False

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"<CallFacts {vars(self)}>"

    def ran(self, status: int, redirected: bool, error_id: str | None) -> None:
        """The call ran (or was validated) and answered ``status``."""
        self.status = status
        self.error_id = error_id
        self.outcome = (
            "redirect"
            if redirected
            else "error"
            if status >= 500
            else "invalid"
            if status == 422
            else "ok"
        )

    def refused(self, status: int, rate_limited: bool) -> None:
        """The call was refused with ``status`` (a 4xx, or a redirect to a login view)."""
        self.status = status
        self.outcome = "refused"
        self.rate_limited = rate_limited

    def signal_facts(self) -> dict[str, t.Any]:
        """The keyword arguments ``function_called`` adds to ``function``, ``ref``,
        ``state``, ``errors`` and ``status``."""
        return {
            "path": self.path.value,
            "outcome": self.outcome,
            "error_id": self.error_id,
            "replay": self.replay,
            "validate_only": self.validate_only,
            "rate_limited": self.rate_limited,
        }

    def span_name(self) -> str:
        return f"{UNKNOWN_SPAN} {self.function.name}" if self.function else UNKNOWN_SPAN

    def attributes(self) -> dict[str, str | bool | int]:
        attributes: dict[str, str | bool | int] = {
            "server_function.path": self.path.value,
            "server_function.outcome": self.outcome,
            "http.response.status_code": self.status,
            "server_function.replay": self.replay,
            "server_function.validate_only": self.validate_only,
            "server_function.rate_limited": self.rate_limited,
        }
        if self.function is not None:
            attributes["server_function.name"] = self.function.name
            attributes["server_function.id"] = self.function.id
        if self.error_id is not None:
            attributes["server_function.error_id"] = self.error_id
        return attributes


@functools.cache
def _tracer() -> t.Any:
    """The extension's tracer, or None without OpenTelemetry."""
    trace = _trace()
    if trace is None:
        return None
    from ._version import __version__

    return trace.get_tracer(TRACER_NAME, __version__)


@functools.cache
def _trace() -> t.Any:
    """OpenTelemetry's ``trace`` module, or None without it."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace


def _configured(tracer: t.Any) -> bool:
    """Whether spans would record: the API's proxy tracer hands out spans that record
    nothing until the app sets a tracer provider, so none is made (the check costs
    less than one)."""
    trace = _trace()
    if not isinstance(tracer, trace.ProxyTracer):
        return True
    # What the proxy hands spans to now: a no-op tracer until a provider is set. (Asking
    # get_tracer_provider() instead reads os.environ on every call.)
    delegate = getattr(tracer, "_tracer", None)
    if delegate is None:  # pragma: no cover - an API without the attribute: ask it
        return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    return not isinstance(delegate, trace.NoOpTracer)


def call_span(facts: CallFacts) -> t.ContextManager[None] | None:
    """A span around one call, named and described by ``facts`` when it ends; None
    (nothing to record) without OpenTelemetry or before the app sets a tracer provider."""
    tracer = _tracer()
    if tracer is None or not _configured(tracer):
        return None
    return _span(tracer, facts)


@contextlib.contextmanager
def _span(tracer: t.Any, facts: CallFacts) -> t.Iterator[None]:
    from opentelemetry.trace import StatusCode

    with tracer.start_as_current_span(
        UNKNOWN_SPAN, record_exception=False, set_status_on_exception=False
    ) as span:
        try:
            yield
        except BaseException:  # a refusal Flask answers (its outcome is set), or a bug
            facts.outcome = "error" if facts.outcome == "ok" else facts.outcome
            raise
        finally:
            span.update_name(facts.span_name())
            span.set_attributes(facts.attributes())
            if facts.outcome == "error":
                span.set_status(StatusCode.ERROR)
