"""Reading a server function's input from the request body, within limits.

Every malformed or oversized body ends here as a clear 4xx before the function
runs:

* a body over ``SERVER_FUNCTIONS_MAX_BODY`` (or the function's ``max_body``): 413;
* more fields than ``SERVER_FUNCTIONS_MAX_FIELDS``, a field name longer than
  ``SERVER_FUNCTIONS_MAX_FIELD_NAME``, invalid UTF-8 or a NUL character in a
  urlencoded or multipart body, a malformed multipart body, a JSON body that is
  not an object (or nested deeper than :data:`MAX_JSON_DEPTH`, or with a lone
  surrogate anywhere in it), a hidden field
  of the extension's (``_sf_next``, ``_sf_state``) that is not a string: 400.
"""

from __future__ import annotations

import typing as t
from urllib.parse import parse_qsl

from flask import Request, request
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from .i18n import gettext, lazy
from .wire import HIDDEN_FIELDS, STATE_FIELD

if t.TYPE_CHECKING:
    from .functions import Reference
    from .references import ReferenceCodec


class MalformedInput(BadRequest):
    """The body could not be read as a form (or JSON object) within the limits."""

    description = lazy("The submitted form could not be read.")


def read_input(
    config: t.Mapping[str, t.Any], *, max_body: int | None = None
) -> MultiDict[str, t.Any]:
    """The submitted fields (files included) as a ``MultiDict``.

    :param max_body: this function's body limit, if not the app's.
    """
    limit = max_body or config["SERVER_FUNCTIONS_MAX_BODY"]
    max_fields = config["SERVER_FUNCTIONS_MAX_FIELDS"]
    req = request._get_current_object()  # type: ignore[attr-defined]  # one lookup
    length = req.content_length
    if length is not None and length > limit:
        raise _too_large(limit)
    req.max_content_length = limit
    req.max_form_parts = max_fields + 10

    mimetype = req.mimetype
    max_name = config["SERVER_FUNCTIONS_MAX_FIELD_NAME"]
    if length is None:
        # A streamed body (chunked: no Content-Length) is cut short at the limit by
        # Werkzeug's get_data(), not refused: refuse it here rather than run the
        # function with the input truncated.
        if len(req.get_data(cache=True)) >= limit:
            raise _too_large(limit)
    if mimetype == "application/json":
        data = _read_json()
    elif mimetype == "multipart/form-data":
        data = _read_multipart()
    elif mimetype in ("application/x-www-form-urlencoded", ""):
        return _read_urlencoded(req, max_fields, max_name)
    else:
        raise MalformedInput(
            gettext("Server functions take form or JSON bodies, not %(type)r.", type=mimetype)
        )
    _check(data, max_fields, max_name)
    return data


def _too_large(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(
        lazy("The submitted form is too large (limit: %(limit)s bytes).", limit=limit)
    )


def _read_urlencoded(req: Request, max_fields: int, max_name: int) -> MultiDict[str, t.Any]:
    body = req.get_data(cache=True)
    if not body and "form" in req.__dict__:
        # Something parsed the form before us (Flask-WTF's CSRFProtect does, in a
        # before_request hook) and the raw body is gone: take Werkzeug's parse of
        # it, which keeps undecodable %-escapes as text instead of refusing them.
        data: MultiDict[str, t.Any] = MultiDict(req.form)
        _check(data, max_fields, max_name)
        return data
    # _check's checks, on the body (every name and value is a string here): a NUL
    # is sent as itself or as %00; parse_qsl counts the fields.
    if b"\x00" in body or b"%00" in body:
        raise MalformedInput(gettext("The submitted form contains a NUL character."))
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=max_fields,
        )
    except UnicodeDecodeError:
        raise MalformedInput(gettext("The submitted form is not valid UTF-8.")) from None
    except ValueError:
        raise MalformedInput(
            gettext("The submitted form has more than %(max)s fields.", max=max_fields)
        ) from None
    data = MultiDict(pairs)
    if data and max(map(len, data)) > max_name:
        raise _long_name(max_name)
    return data


#: The deepest nesting of arrays and objects a JSON body may have.
MAX_JSON_DEPTH = 32
_REPLACEMENT = "\ufffd"


def _read_multipart() -> MultiDict[str, t.Any]:
    # Read the body first (within the limit checked above), so its bytes are at hand:
    # Werkzeug decodes each part with errors="replace", hiding invalid UTF-8.
    body = request.get_data(cache=True)
    try:
        form = request.form
        files = request.files
    except ValueError:  # pragma: no cover - werkzeug reports most errors as empty
        raise MalformedInput() from None
    if not form and not files and body:
        boundary = request.mimetype_params.get("boundary")
        if not boundary or f"--{boundary}--".encode() not in body:  # no part, not even the end
            raise MalformedInput(gettext("The submitted multipart form is malformed."))
    replaced = sum(
        str(k).count(_REPLACEMENT) + str(v).count(_REPLACEMENT) for k, v in form.items(multi=True)
    )
    if replaced > body.count(_REPLACEMENT.encode()):  # more U+FFFD than were sent
        raise MalformedInput(gettext("The submitted form is not valid UTF-8."))
    data: MultiDict[str, t.Any] = MultiDict(form)
    for key, value in files.items(multi=True):
        data.add(key, value)
    return data


def _read_json() -> MultiDict[str, t.Any]:
    try:
        payload = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser's stack allows
        raise MalformedInput(gettext("The submitted JSON is nested too deeply.")) from None
    if not isinstance(payload, dict):
        raise MalformedInput(gettext("A JSON call must send a JSON object of arguments."))
    _check_json_strings(payload)
    data: MultiDict[str, t.Any] = MultiDict()
    for key, value in payload.items():
        for item in value if isinstance(value, list) else [value]:
            data.add(key, item)
    return data


def _check_json_strings(payload: dict[str, t.Any]) -> None:
    """Refuse nesting deeper than :data:`MAX_JSON_DEPTH` (keeping or rendering it would
    recurse), lone surrogates (JSON may escape them; no page can render them) and NUL
    characters in every key and string of ``payload``."""
    stack: list[tuple[t.Any, int]] = [(payload, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)) and depth > MAX_JSON_DEPTH:
            raise MalformedInput(
                f"The submitted JSON is nested too deeply (at most {MAX_JSON_DEPTH} levels)."
            )
        if isinstance(item, str):
            try:
                item.encode()
            except UnicodeEncodeError:
                raise MalformedInput(gettext("The submitted JSON is not valid Unicode.")) from None
            if "\x00" in item:
                raise MalformedInput(gettext("The submitted form contains a NUL character."))
        elif isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)


def _check(data: MultiDict[str, t.Any], max_fields: int, max_name: int) -> None:
    items = list(data.items(multi=True))
    if len(items) > max_fields:
        raise MalformedInput(
            gettext("The submitted form has more than %(max)s fields.", max=max_fields)
        )
    for key, value in items:
        if not isinstance(key, str):  # a multipart part without a name
            raise MalformedInput(gettext("The submitted multipart form is malformed."))
        if len(key) > max_name:
            raise _long_name(max_name)
        if "\x00" in key or (isinstance(value, str) and "\x00" in value):
            raise MalformedInput(gettext("The submitted form contains a NUL character."))
        if key in HIDDEN_FIELDS and not isinstance(value, str):  # a file, a JSON number
            raise MalformedInput(gettext("The form's hidden fields were changed."))


def _long_name(max_name: int) -> MalformedInput:
    return MalformedInput(gettext("A field name is longer than %(max)s characters.", max=max_name))


def typed_values(form_data: MultiDict[str, t.Any]) -> dict[str, list[t.Any]]:
    """The submitted values to show again after an error (files cannot be)."""
    return {
        k: [v for v in form_data.getlist(k) if not isinstance(v, FileStorage)]
        for k in form_data
        if k not in HIDDEN_FIELDS
    }


def previous_state(
    codec: ReferenceCodec, ref: Reference, form_data: MultiDict[str, t.Any]
) -> t.Callable[[], t.Any]:
    """The state the form carried (signed, in ``_sf_state``), else the function's initial
    state: verified now, and given by the callable returned. An initial state that is a
    callable (read from the database, say) is only computed when asked for, so a call
    that succeeds without taking ``state`` never computes it.

    :raises InvalidReference: the carried state was changed or belongs to another form.
    :raises ExpiredReference: it is older than ``SERVER_FUNCTIONS_MAX_AGE``.
    """
    if STATE_FIELD in form_data:
        carried = codec.loads_state(form_data[STATE_FIELD], ref.key)
        return lambda: carried
    return ref.initial_state
