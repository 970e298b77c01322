"""Validate-only calls: Laravel Precognition's wire protocol on every function URL.

A POST to a function's URL with ``Precognition: true`` runs everything a real call
runs before the function (the origin check, the guards, reading the body, the
schema) and stops there: the function is never called, an idempotent form's
one-time key is neither consumed nor replayed, and nothing is kept.

* ``Precognition-Validate-Only: title,count`` restricts the answer to those fields
  (the whole form is sent and validated, as Precognition's clients do; errors of the
  other fields are left out, so a user sees only what they touched). A form-wide
  error (marshmallow's ``validates_schema``) is answered only when every field of the
  form was named.
* Valid: ``204 No Content`` with ``Precognition-Success: true``.
* Invalid: ``422`` with ``{"message": ..., "errors": {field: [messages]}}``.
* An htmx request gets HTML instead: the error element of each named field
  (:meth:`.state.FormState.errors_for`), ``200`` when valid, ``422`` else.

Every answer, refusals included, carries ``Precognition: true`` and
``Vary: Precognition``. A refusal (cross-origin, a guard, an expired token) is the
same refusal a real call gets, so a validate-only call tells a caller nothing the
real call would not.
"""

from __future__ import annotations

import typing as t

from flask import after_this_request, request
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from .functions import Reference
from .negotiation import Path
from .state import FormState
from .validation import arguments, messages

#: The request header that asks for a validate-only call (and marks every answer).
PRECOGNITION = "Precognition"
#: The request header naming the fields to validate, comma-separated.
VALIDATE_ONLY = "Precognition-Validate-Only"
#: The answer header of a valid validate-only call.
SUCCESS = "Precognition-Success"


def requested(environ: t.Mapping[str, t.Any]) -> bool:
    """Whether the request with this WSGI environ asks for validation only."""
    value: str = environ.get("HTTP_PRECOGNITION", "")
    return value.strip().lower() == "true"


def mark_answer() -> None:
    """Mark whatever this request answers (refusals too) as a Precognition answer."""

    @after_this_request
    def mark(response: Response) -> Response:
        response.headers[PRECOGNITION] = "true"
        response.vary.add(PRECOGNITION)
        return response


def named_fields() -> frozenset[str] | None:
    """The fields ``Precognition-Validate-Only`` names (``None``: all of them)."""
    header = request.headers.get(VALIDATE_ONLY)
    if header is None:
        return None
    return frozenset(name.strip() for name in header.split(",") if name.strip())


def validate(ref: Reference, form_data: MultiDict[str, t.Any]) -> dict[str, list[str]]:
    """The errors of the named fields (never calls the function)."""
    try:
        arguments(ref, form_data)
    except ValidationError as e:
        errors = messages(e)
    else:
        return {}
    only = named_fields()
    if only is None:
        return errors
    every_field = {f.data_key or name for name, f in ref.function.schema.load_fields.items()}
    return {
        name: found
        for name, found in errors.items()
        if name in only or (name == "_form" and every_field - set(ref.bound) <= only)
    }


def answer(path: Path, ref: Reference, errors: dict[str, list[str]]) -> ResponseReturnValue:
    """The answer to a validate-only call that found ``errors`` (:func:`validate`)."""
    if path is Path.HTMX:
        form = FormState(ref, values={}, errors=errors)
        names = named_fields() or frozenset(errors)
        body = "".join(str(form.errors_for(name)) for name in sorted(names))
        headers = {} if errors else {SUCCESS: "true"}
        return body, 422 if errors else 200, headers
    if not errors:
        return "", 204, {SUCCESS: "true"}
    first = next(iter(errors.values()))[0]
    return {"message": first, "errors": errors}, 422
