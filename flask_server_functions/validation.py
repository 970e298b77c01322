"""The validate step: form data onto the function's schema, and into its arguments.

:func:`arguments` maps the submitted fields onto the marshmallow schema (one value
per field, every value for list fields, bound names left out), loads them, and
adds the bound values: the keyword arguments of the call. Invalid input raises
marshmallow's ``ValidationError``; :func:`messages` turns it into field errors, in
the extension's plain wording (:data:`.messages.DEFAULT_MESSAGES`) where marshmallow
would use its own.

A blank value (``""``, what an empty input sends) counts as not sent, except for a
required string (:func:`.schemas.is_blank`): on both the type-hint and the
explicit-schema path, a field that is not required takes its default, and a
required one says "This field is required.".
"""

from __future__ import annotations

import typing as t

from marshmallow import EXCLUDE, ValidationError, fields
from werkzeug.datastructures import FileStorage, MultiDict

from .functions import Reference, ServerFunction
from .messages import DEFAULT_MESSAGES as DEFAULT_MESSAGES
from .messages import MARSHMALLOW_MESSAGES as MARSHMALLOW_MESSAGES
from .messages import plain
from .schemas import is_blank


def arguments(ref: Reference, form_data: MultiDict[str, t.Any]) -> dict[str, t.Any]:
    """The function's keyword arguments (without the previous state).

    :raises ValidationError: the input is invalid, or leaves out a field the
        function cannot do without.
    """
    function = ref.function
    loaded = function.schema.load(
        schema_input(function, form_data, ref.bound),
        # (False, not (): marshmallow works out a nested partial per field for any tuple)
        partial=tuple(ref.bound) or False,
        unknown=EXCLUDE,
    )
    kwargs: dict[str, t.Any] = {}
    if function.takes_data:
        kwargs["data"] = loaded
    else:
        kwargs.update(loaded)
    kwargs.update(ref.bound)
    if function.needed_fields:
        missing = {
            key: [msg] for name, (key, msg) in function.needed_fields.items() if name not in kwargs
        }
        if missing:  # a field the schema lets be left out, which the function needs
            raise ValidationError(missing)
    return kwargs


def schema_input(
    function: ServerFunction[t.Any], form_data: MultiDict[str, t.Any], bound: t.Mapping[str, t.Any]
) -> dict[str, t.Any]:
    """The schema's input: one value per field (all values for list fields).

    Bound names are left out: the client cannot supply or override them.
    """
    data: dict[str, t.Any] = {}
    for name, field in function.schema.load_fields.items():
        key = field.data_key or name
        if name in bound or key not in form_data:
            continue
        if isinstance(field, fields.List):
            data[key] = form_data.getlist(key)
        else:
            value = form_data.get(key)
            if isinstance(value, FileStorage) and not value.filename:
                continue  # an empty file input: no file chosen
            if is_blank(field, value):
                continue  # an empty input: its default, or "required"
            data[key] = value
    return data


def messages(error: ValidationError) -> dict[str, list[str]]:
    """Marshmallow's messages as ``{field: [message, ...]}`` (``"_form"`` for the rest),
    in plain words (:func:`.messages.plain`)."""
    raw = error.messages
    if not isinstance(raw, dict):
        return {"_form": [plain(str(m)) for m in (raw if isinstance(raw, list) else [raw])]}
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        name = "_form" if key == "_schema" else str(key)
        out[name] = [plain(m) for m in _flatten(value)]
    return out


def _flatten(value: t.Any) -> list[str]:
    if isinstance(value, dict):
        return [m for item in value.values() for m in _flatten(item)]
    if isinstance(value, list):
        return [m for item in value for m in _flatten(item)]
    return [str(value)]
