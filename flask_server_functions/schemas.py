"""Marshmallow schemas derived from a function's type hints.

Done once, at registration: a request never inspects a signature. Only simple
parameters are derived; anything richer takes an explicit ``schema=``.

=====================  ==========================================  ==============
hint                   field                                       empty input
=====================  ==========================================  ==============
``str``                ``String``                                  ``""``
``int``/``float``      ``Integer``/``Float``                       required
``Decimal``            ``Decimal``                                 required
``bool``               ``Boolean`` (a missing checkbox is False)   False
``date``/``datetime``  ``Date``/``DateTime`` (HTML input formats)  required
``list[X]``            ``List(X)`` (every value of the field)      ``[]``
``X | None``           not required; empty input is ``None``       ``None``
``FileStorage``        :class:`File` (an uploaded file)             missing
=====================  ==========================================  ==============

A parameter with a default is not required and takes that default when missing.

**Blank means missing** (:func:`is_blank`), on this path and for an explicit
``schema=`` alike: an empty value (``""``, what an empty input sends) is read as if
the field had not been sent. A field that is not required takes its default
(``priority: int = 2`` gets 2, ``due: date | None = None`` gets ``None``, as does
``fields.Date(load_default=None, allow_none=True)``); a required one says "This
field is required.". The one exception is a required string: a text input always
sends its value, so ``name: str`` gets ``""`` (check it in the function, or use
``validate.Length(min=1)`` in a schema), unless ``messages=`` gives it a
``required`` message: then its blank value is missing too, and shows that message
(:func:`.messages.set_field_messages`).
"""

from __future__ import annotations

import datetime
import decimal
import functools
import inspect
import re
import types
import typing as t

from marshmallow import Schema, fields, pre_load
from werkzeug.datastructures import FileStorage

from .errors import size_text
from .messages import FieldMessages, covers_required, set_field_messages

#: Parameters that are never form input: the previous state.
STATE_PARAMETERS = ("state", "prev_state", "previous_state")


class File(fields.Field[FileStorage]):
    """An uploaded file (Werkzeug's ``FileStorage``), with optional limits.

    An empty file input (no file chosen) counts as missing.

    :param max_size: the largest accepted size in bytes.
    :param content_types: accepted MIME types; ``"image/*"`` matches any image but
        SVG (``image/svg+xml`` can carry script: name it to accept it).
    """

    default_error_messages = {  # noqa: RUF012 - marshmallow's convention
        "invalid": "Not a file.",
        "too_large": "The file is too large (at most {max_size}).",
        "content_type": "This type of file is not accepted (allowed: {allowed}).",
    }

    def __init__(
        self,
        *,
        max_size: int | None = None,
        content_types: t.Sequence[str] | None = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(**kwargs)
        self.max_size = max_size
        self.content_types = tuple(content_types or ())

    def _deserialize(
        self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any
    ) -> FileStorage:
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        if self.content_types and not any(
            _type_matches(value.mimetype, ct) for ct in self.content_types
        ):
            raise self.make_error("content_type", allowed=", ".join(self.content_types))
        if self.max_size is not None:
            stream = value.stream
            position = stream.tell()
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(position)
            if size > self.max_size:
                raise self.make_error("too_large", max_size=size_text(self.max_size))
        return value


#: Types a wildcard (``image/*``) never matches: they must be named.
NOT_WILDCARD = frozenset({"image/svg+xml"})


def _type_matches(mimetype: str, accepted: str) -> bool:
    if accepted.endswith("/*"):
        return mimetype.startswith(accepted[:-1]) and mimetype not in NOT_WILDCARD
    return mimetype == accepted


_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")
_ASCII_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


class Integer(fields.Integer):
    """An ``int`` from a form or JSON: ASCII digits only (not ``١٢٣`` or ``1_000``,
    which Python's ``int()`` takes), and no JSON number with a fraction (``1.9``)."""

    def _validated(self, value: t.Any) -> int:
        if isinstance(value, str) and not _ASCII_INTEGER.fullmatch(value.strip()):
            raise self.make_error("invalid", input=value)
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        if not isinstance(value, (str, int, float)):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class Float(fields.Float):
    """A ``float`` from a form or JSON, written with ASCII digits only."""

    def _validated(self, value: t.Any) -> float:
        if isinstance(value, str) and not _ASCII_NUMBER.fullmatch(value.strip()):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class Decimal(fields.Decimal):
    """A ``Decimal`` from a form or JSON, written with ASCII digits only."""

    def _validated(self, value: t.Any) -> decimal.Decimal:
        if isinstance(value, str) and not _ASCII_NUMBER.fullmatch(value.strip()):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


_SIMPLE: dict[type, type[fields.Field[t.Any]]] = {
    str: fields.String,
    int: Integer,
    float: Float,
    decimal.Decimal: Decimal,
    bool: fields.Boolean,
    datetime.date: fields.Date,
    datetime.datetime: fields.DateTime,
    FileStorage: File,
}


class FilledString(fields.String):
    """A required ``str`` with a ``required`` message of its own (``messages=``): its
    blank value is missing, so the message shows."""


def is_blank(field: fields.Field[t.Any], value: t.Any) -> bool:
    """Whether ``value`` counts as not sent for ``field``: ``""``, unless the field is
    a required string (whose empty value is ``""``) other than a :class:`FilledString`."""
    if value != "":  # most values, cheaply
        return False
    text = isinstance(field, fields.String) and not isinstance(field, FilledString)
    return not (field.required and text)


class FormSchema(Schema):
    """Base of derived schemas: HTML forms send ``""`` for an empty optional field
    (read as missing, :func:`is_blank`, also when the schema is loaded directly)."""

    @pre_load
    def _blank_is_missing(self, data: dict[str, t.Any], **kwargs: t.Any) -> dict[str, t.Any]:
        blank = {
            field.data_key or name
            for name, field in self.load_fields.items()
            if is_blank(field, data.get(field.data_key or name))
        }
        return {k: v for k, v in data.items() if k not in blank} if blank else data


def _unwrap_optional(hint: t.Any) -> tuple[t.Any, bool]:
    origin = t.get_origin(hint)
    if origin is t.Union or origin is types.UnionType:
        args = [a for a in t.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(t.get_args(hint)) == 2:
            return args[0], True
    return hint, False


def field_for(
    name: str, hint: t.Any, default: t.Any, messages: str | t.Mapping[str, str] | None = None
) -> fields.Field[t.Any]:
    """The marshmallow field for one parameter; :class:`TypeError` if it is not simple.

    :param messages: its own messages (one, or by key), see :mod:`.messages`.
    """
    field = _field_for(name, hint, default, messages is not None and covers_required(messages))
    if messages is not None:
        set_field_messages(field, messages, f"messages= for {name!r}")
    return field


def _field_for(name: str, hint: t.Any, default: t.Any, filled: bool) -> fields.Field[t.Any]:
    hint, optional = _unwrap_optional(hint)
    has_default = default is not inspect.Parameter.empty
    kwargs: dict[str, t.Any] = {}
    if optional:
        kwargs["allow_none"] = True
    if has_default:
        kwargs["load_default"] = default
    elif optional:
        kwargs["load_default"] = None

    if t.get_origin(hint) is list:
        (item,) = t.get_args(hint) or (str,)
        item_field = _SIMPLE.get(item)
        if item_field is None:
            raise TypeError(f"parameter {name!r}: list items of type {item!r} are not supported")
        kwargs.setdefault("load_default", list)
        return fields.List(item_field(), **kwargs)

    field_cls = _SIMPLE.get(hint)
    if field_cls is None:
        raise TypeError(
            f"parameter {name!r} has type {hint!r}, which cannot be read from a form."
            " Supported: str, int, float, Decimal, bool, date, datetime, list[...],"
            " and Optional of those. Pass schema=YourSchema for anything else."
        )
    if field_cls is fields.Boolean:
        kwargs.setdefault("load_default", False)
    if "load_default" not in kwargs:
        kwargs["required"] = True
        if field_cls is fields.String and filled:
            field_cls = FilledString
    return field_cls(**kwargs)


def schema_from_signature(
    func: t.Callable[..., t.Any], messages: FieldMessages | None = None
) -> type[Schema]:
    """A schema class with one field per form parameter of ``func``.

    Parameters without a type hint are read as strings. ``messages`` gives fields
    their own messages (``messages=`` of ``@sf.function``); naming a parameter that
    is not a field is a :class:`TypeError`.
    """
    messages = messages or {}
    qualname = getattr(func, "__qualname__", func)
    signature = inspect.signature(func)
    try:
        hints = t.get_type_hints(func)
    except NameError as e:
        raise TypeError(
            f"the type hints of {qualname!r} cannot be resolved"
            f" ({e}); import the types they name at module level."
        ) from e
    declared: dict[str, fields.Field[t.Any]] = {}
    for name, param in signature.parameters.items():
        if name in STATE_PARAMETERS or param.kind in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ):
            continue
        try:
            declared[name] = field_for(
                name, hints.get(name, str), param.default, messages.get(name)
            )
        except TypeError as e:
            raise TypeError(f"{qualname!r}: {e}") from None
    unknown = sorted(set(messages) - set(declared))
    if unknown:
        raise TypeError(
            f"messages= of {qualname!r} names {', '.join(unknown)}, which is not one of its"
            f" fields ({', '.join(declared) or 'none'})."
        )
    name = f"{getattr(func, '__name__', 'function')}Schema"
    return FormSchema.from_dict(declared, name=name)


#: Parts of a field name that mark it secret anywhere in it ("new_password").
SENSITIVE_PARTS = ("password", "passwd", "passphrase", "passcode", "secret", "token")
#: Words of a field name that mark it secret ("pin", "otp_code", "cardCvv").
SENSITIVE_WORDS = frozenset({"pwd", "pass", "pin", "otp", "totp", "cvv", "cvc", "csc", "ssn"})


@functools.lru_cache(maxsize=4096)  # asked for each field of each form: a bounded cache
def sensitive_name(name: str) -> bool:
    """Whether a field named ``name`` holds a secret, by its name alone: its value is
    never echoed into a form, kept in the session or stored."""
    lowered = name.lower()
    if any(part in lowered for part in SENSITIVE_PARTS):
        return True
    words = re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower())
    return any(word.rstrip("0123456789") in SENSITIVE_WORDS for word in words)
