"""The messages a user sees for invalid input, and who chooses them.

From the most specific to the least:

1. a function's own for one field: ``messages=`` on ``@sf.function`` when its input
   comes from type hints (:func:`set_field_messages`), or marshmallow's
   ``error_messages=`` on a field of an explicit schema; both are shown as written
   (a lazy string, such as Flask-Babel's ``lazy_gettext``, in the request's locale);
2. the app's, by key: ``SERVER_FUNCTIONS_MESSAGES = {"required": "..."}``;
3. the extension's plain defaults (:data:`DEFAULT_MESSAGES`, translated), instead of
   marshmallow's developer wording (:data:`MARSHMALLOW_MESSAGES`).

``messages=`` and ``SERVER_FUNCTIONS_MESSAGES`` use the same keys, those of
:data:`DEFAULT_MESSAGES`.
"""

from __future__ import annotations

import typing as t

from flask import current_app, has_app_context
from marshmallow import fields

from .i18n import N_, gettext, translate_field_message

#: ``messages=`` of a function: field name -> one message for anything wrong with
#: the field, or ``{key: message}`` with the keys of :data:`DEFAULT_MESSAGES`.
#: Messages may be lazy strings (Flask-Babel's ``lazy_gettext``).
FieldMessages = t.Mapping[str, "str | t.Mapping[str, str]"]

#: The messages a user sees by default, by key, instead of marshmallow's developer
#: wording (the value each replaces is in :data:`MARSHMALLOW_MESSAGES`).
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


def _parts(field: fields.Field[t.Any]) -> list[fields.Field[t.Any]]:
    """The field, and for a list the field of its items (whose messages it shows)."""
    return [field, field.inner] if isinstance(field, fields.List) else [field]


def message_keys(field: fields.Field[t.Any]) -> set[str]:
    """The keys of :data:`DEFAULT_MESSAGES` a field derived from a type hint can say
    (``"invalid"``, a validator's, never: a derived field has no validator)."""
    return {
        MARSHMALLOW_MESSAGES[text]
        for part in _parts(field)
        for key, text in part.error_messages.items()
        if key != "validator_failed" and isinstance(text, str) and text in MARSHMALLOW_MESSAGES
    }


def covers_required(given: str | t.Mapping[str, str]) -> bool:
    """Whether ``given`` (one field's ``messages=``) says what to show when it is missing."""
    return not isinstance(given, t.Mapping) or "required" in given


def set_field_messages(
    field: fields.Field[t.Any], given: str | t.Mapping[str, str], where: str
) -> None:
    """Give a derived ``field`` its own messages: ``given`` is one message for anything
    wrong with it, or ``{key: message}``.

    :raises TypeError: a key the field never says (``where`` names it in the message).
    """
    if isinstance(given, t.Mapping):
        unknown = set(given) - message_keys(field)
        if unknown:
            raise TypeError(
                f"{where}: {', '.join(map(repr, sorted(unknown)))} is not a message this"
                f" field can show; its keys: {', '.join(sorted(message_keys(field)))}"
                " (or pass one message for all of them)."
            )
    for part in _parts(field):
        own = dict(part.error_messages)
        for key, text in part.error_messages.items():
            plain_key = MARSHMALLOW_MESSAGES.get(text) if isinstance(text, str) else None
            if not isinstance(given, t.Mapping):
                own[key] = _as_written(given)
            elif plain_key is not None and plain_key in given:
                own[key] = _as_written(given[plain_key])
        part.error_messages = own


def _as_written(message: str) -> str:
    """``message`` for marshmallow, which formats a ``str`` message (``"{input}"``);
    a lazy string is not formatted."""
    return message.replace("{", "{{").replace("}", "}}") if isinstance(message, str) else message
