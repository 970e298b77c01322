"""Streamed progress: a server function written as a generator.

A generator function (``def``/``async def`` with ``yield``) yields intermediate
states and ends with its final one (the last state it yields, or the value it
``return``\\s)::

    @sf.function(template="partials/import.html")
    def import_notes(file: FileStorage):
        lines = file.read().decode().splitlines()
        for done, line in enumerate(lines, 1):
            db.add_note(line)
            yield {"done": done, "total": len(lines)}

Called by htmx with the ``hx-sse`` extension loaded (it asks for
``text/event-stream``), the answer is one response of server-sent events: each
state re-renders the form's partial, which htmx swaps in as it arrives; the last
message is the final state with the ``refresh=`` regions, then the ``trigger=``
events. Every other path (no JS, JSON, htmx without ``hx-sse``) runs the function
to its end and answers with its final state as usual (so without JS, the 303 shows
the final state only).

A failure on the way ends the stream with an error state (logged with an error id,
as :mod:`.invoke` does); a client that goes away (a cancel, a closed tab) closes the
generator on the next state it yields after its write fails, so its ``finally:``
blocks run. Nothing more reaches that client: its form keeps the last state it was
sent (the client script adds "Cancelled." on a cancel), and the ``refresh=``
regions and ``trigger=`` events, sent with the final state only, are not.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import re
import types
import typing as t

from flask import Response, current_app, request, stream_with_context
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from .answers import answer, fragment_answer, refusal
from .config import AppState, app_state
from .functions import Reference
from .idempotency import run_once, save_outcome
from .inputs import previous_state, typed_values
from .invoke import failure, invalid
from .negotiation import Path
from .signals import function_called
from .state import FormState, Outcome

#: The media type of the streamed answer (what ``hx-sse`` adds to ``Accept``).
EVENT_STREAM = "text/event-stream"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Stream:
    """The generator a streaming function returned, and what to do when it ends."""

    def __init__(self, source: t.Any) -> None:
        self.source = source
        #: Called with the final outcome (also when the client went away mid-stream),
        #: or with None when the function refused (``abort()``).
        self.on_end: list[t.Callable[[Outcome | None], None]] = []


#: What a streaming call returns: a generator (sync or async), or one wrapped.
_STREAMS = (Stream, types.GeneratorType, types.AsyncGeneratorType)


def is_stream(outcome: Outcome) -> bool:
    """Whether the call returned a generator (sync or async) still to run."""
    return isinstance(outcome.form.state, _STREAMS)


def _stream_of(outcome: Outcome) -> Stream:
    state = outcome.form.state
    if not isinstance(state, Stream):
        state = outcome.form.state = Stream(state)
    return state


def stream(
    path: Path, outcome: Outcome, page: str, form_data: MultiDict[str, t.Any]
) -> ResponseReturnValue:
    """The answer to a streaming call: events for ``hx-sse``, else its final state.

    The function runs up to its first state inside the view, where uploaded files
    are still open (Flask closes them when the view returns): read them before the
    first ``yield``. A function that ends before its first state (invalid input, a
    failure) is answered as any call, with its status.
    """
    if path is not Path.HTMX or EVENT_STREAM not in request.headers.get("Accept", ""):
        try:
            final = drained(outcome, form_data)
        except HTTPException as e:  # abort() inside the function: a refusal, as for any call
            return refusal(path, app_state(), e, outcome.form.ref, form_data)
        return answer(path, final, page)
    steps = _steps(outcome, form_data, refusals=False)
    first = next(steps)
    if first[1]:
        return answer(path, first[0], page)
    body = stream_with_context(_events(itertools.chain([first], steps)))
    response = Response(body, mimetype=EVENT_STREAM)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def drained(outcome: Outcome, form_data: MultiDict[str, t.Any] | None = None) -> Outcome:
    """The final outcome, the function run to its end (``abort()`` inside raises)."""
    if not is_stream(outcome):
        return outcome
    *_, (final, _) = _steps(outcome, form_data or MultiDict(), refusals=True)
    return final


def stream_once(
    state: AppState,
    key: str,
    ref: Reference,
    run: t.Callable[[], Outcome],
    *,
    fingerprints: t.Sequence[str] = (),
) -> Outcome | None:
    """:func:`.idempotency.run_once` for a streaming function: the key is claimed (with
    the input's fingerprint) before the stream and its outcome saved when the stream
    ends, so a replay of the same input gets the final state (or 409 while it still
    runs), one of other input a 409 at once, and none runs the function again."""
    store = state.idempotency_store
    ttl = int(state.config["SERVER_FUNCTIONS_IDEMPOTENCY_TTL"])
    fingerprint = fingerprints[0] if fingerprints else ""
    if not store.claim(key, ttl, fingerprint):  # a replay: wait for it
        return run_once(state, key, ref, lambda: drained(run()), fingerprints=fingerprints)
    try:
        outcome = run()
    except BaseException:
        store.release(key)
        raise
    if not is_stream(outcome):  # invalid input: answered (and replayed) as for any call
        save_outcome(state, key, outcome, fingerprint)
        return outcome

    def end(final: Outcome | None) -> None:
        if final is None:  # refused: a retry runs
            store.release(key)
        else:
            save_outcome(state, key, final, fingerprint)

    _stream_of(outcome).on_end.append(end)
    return outcome


def _steps(
    outcome: Outcome, form_data: MultiDict[str, t.Any], *, refusals: bool
) -> t.Iterator[tuple[Outcome, bool]]:
    """Each state as an outcome, and whether it is the final one (the last).

    :param refusals: let an ``HTTPException`` from the function through (to be
        answered as a refusal); else it ends the stream with its message.
    """
    stream = _stream_of(outcome)
    ref, carry = outcome.form.ref, outcome.form.carry_state
    last = previous_state(app_state().codec, ref, form_data)()

    def outcome_of(value: t.Any, status: int = 200, **errors: t.Any) -> Outcome:
        form = FormState(ref, value, **errors)
        form.carry_state = carry
        return Outcome(form, status)

    values = _values(stream.source)
    try:
        while True:
            try:
                value = next(values)
            except StopIteration as stop:
                final = outcome_of(last if stop.value is None else stop.value)
                break
            if isinstance(value, ValidationError):  # yielded as a state: invalid input
                final = invalid(ref, form_data, last, value)
                break
            last = value
            yield outcome_of(value), False
    except ValidationError as e:
        final = invalid(ref, form_data, last, e)
    except HTTPException as e:
        if refusals:
            _finish(ref, stream, None)
            raise
        status = e.code if e.code and e.code >= 400 else 500
        kept = typed_values(form_data)
        final = outcome_of(last, status, values=kept, errors={"_form": [str(e.description)]})
    except GeneratorExit:  # the client went away: what was done so far is the outcome
        _finish(ref, stream, outcome_of(last))
        raise
    except Exception:
        final = failure(ref, form_data, last)
    finally:
        values.close()  # the function's own finally: blocks run now
    final.form.carry_state = carry
    _finish(ref, stream, final)
    yield final, True


def _values(source: t.Any) -> t.Generator[t.Any, None, t.Any]:
    """The values a generator yields (an async one driven on its own event loop);
    closing this closes it."""
    if not inspect.isasyncgen(source):
        return (yield from source)
    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                value = loop.run_until_complete(source.__anext__())
            except StopAsyncIteration:
                return None
            yield value
    finally:
        loop.run_until_complete(source.aclose())
        loop.close()


def _finish(ref: Reference, stream: Stream, final: Outcome | None) -> None:
    """Run the end callbacks (None: refused) and send ``function_called``."""
    for callback in stream.on_end:
        callback(final)
    stream.on_end.clear()
    if final is None:
        return
    function_called.send(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        function=ref.function,
        ref=ref,
        state=final.form.state,
        errors=final.form.errors,
        status=final.status,
        ran=final.ran,
    )


def _events(steps: t.Iterator[tuple[Outcome, bool]]) -> t.Iterator[str]:
    """The server-sent events: one message per state, each the whole inside of the
    form (so nothing is ever half-swapped); after the final one, its events."""
    for step, final in steps:
        body, _, _ = t.cast(
            "tuple[str, int, dict[str, str]]",
            fragment_answer(step.form, step.status, refresh=final),
        )
        yield message(body)
        if final and step.status < 400:
            yield from (message("", event) for event in step.form.ref.function.triggers)


def message(data: str, event: str | None = None) -> str:
    """One server-sent event carrying ``data`` (split into ``data:`` lines)."""
    head = f"event: {event}\n" if event else ""
    return head + "".join(f"data: {line}\n" for line in _LINE_BREAK.split(data)) + "\n"
