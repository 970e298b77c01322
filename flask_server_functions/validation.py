"""The validate step: form data onto the function's schema, and into its arguments.

:func:`arguments` maps the submitted fields onto the marshmallow schema (one value
per field, every value for list fields, bound names left out), loads them, and
adds the bound values: the keyword arguments of the call. Invalid input raises
marshmallow's ``ValidationError``; :func:`messages` turns it into field errors, in
the extension's plain wording (:data:`DEFAULT_MESSAGES`) where marshmallow would use
its own.

A blank value (``""``, what an empty input sends) counts as not sent, except for a
required string (:func:`.schemas.is_blank`): on both the type-hint and the
explicit-schema path, a field that is not required takes its default, and a
required one says "This field is required.".
"""

from __future__ import annotations

import typing as t

from flask import current_app, has_app_context
from marshmallow import EXCLUDE, ValidationError, fields
from werkzeug.datastructures import FileStorage, MultiDict

from .functions import Reference, ServerFunction
from .i18n import N_, gettext, translate_field_message
from .schemas import is_blank

#: The messages a user sees by default, by key, instead of marshmallow's developer
#: wording (the value each replaces is in :data:`MARSHMALLOW_MESSAGES`). Replace any
#: of them for an app with ``SERVER_FUNCTIONS_MESSAGES = {"required": "..."}``, and
#: for one field with marshmallow's own ``error_messages=`` (those are kept as written).
DEFAULT_MESSAGES: dict[str, str] = {
    "required": N_("This field is required."),
    "null": N_("This field is required."),
    "invalid": N_("This value is not valid."),
    "string": N_("Enter text."),
    "integer": N_("Enter a whole number."),
    "number": N_("Enter a number."),
    "too_large": N_("This number is too large."),
    "boolean": N_("Choose yes or no."),
    "date": N_("Enter a date."),
    "datetime": N_("Enter a date and time."),
    "time": N_("Enter a time."),
    "list": N_("Choose from the list."),
    "email": N_("Enter an email address."),
    "url": N_("Enter a web address (https://...)."),
    "uuid": N_("Enter a valid identifier."),
}

#: Marshmallow's default messages, and the key of :data:`DEFAULT_MESSAGES` each
#: becomes.
MARSHMALLOW_MESSAGES: dict[str, str] = {
    "Missing data for required field.": "required",
    "Field may not be null.": "null",
    "Invalid value.": "invalid",
    "Not a valid string.": "string",
    "Not a valid integer.": "integer",
    "Not a valid number.": "number",
    "Number too large.": "too_large",
    "Not a valid boolean.": "boolean",
    "Not a valid date.": "date",
    "Not a valid datetime.": "datetime",
    "Not a valid time.": "time",
    "Not a valid list.": "list",
    "Not a valid email address.": "email",
    "Not a valid URL.": "url",
    "Not a valid UUID.": "uuid",
}


def arguments(ref: Reference, form_data: MultiDict[str, t.Any]) -> dict[str, t.Any]:
    """The function's keyword arguments (without the previous state).

    :raises ValidationError: the input is invalid, or leaves out a field the
        function cannot do without.
    """
    function = ref.function
    loaded = function.schema.load(
        schema_input(function, form_data, ref.bound),
        partial=tuple(ref.bound),
        unknown=EXCLUDE,
    )
    kwargs: dict[str, t.Any] = {}
    if function.takes_data:
        kwargs["data"] = loaded
    else:
        kwargs.update(loaded)
    kwargs.update(ref.bound)
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
    in plain words (:func:`plain`)."""
    raw = error.messages
    if not isinstance(raw, dict):
        return {"_form": [plain(str(m)) for m in (raw if isinstance(raw, list) else [raw])]}
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        name = "_form" if key == "_schema" else str(key)
        out[name] = [plain(m) for m in _flatten(value)]
    return out


def plain(message: str) -> str:
    """``message``, or the app's (``SERVER_FUNCTIONS_MESSAGES``) or the extension's
    (:data:`DEFAULT_MESSAGES`, translated) wording if it is one of marshmallow's
    defaults; marshmallow's other defaults in the request's locale."""
    key = MARSHMALLOW_MESSAGES.get(message)
    if key is None:  # marshmallow's templated defaults ("Longer than ...") are translated
        return translate_field_message(message)
    own: t.Mapping[str, str] = (
        current_app.config.get("SERVER_FUNCTIONS_MESSAGES") or {} if has_app_context() else {}
    )
    return own.get(key) or gettext(DEFAULT_MESSAGES[key])


def _flatten(value: t.Any) -> list[str]:
    if isinstance(value, dict):
        return [m for item in value.values() for m in _flatten(item)]
    if isinstance(value, list):
        return [m for item in value for m in _flatten(item)]
    return [str(value)]
