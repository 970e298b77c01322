"""Translated messages: the extension's own, and marshmallow's default field messages.

Every message the extension shows to a user goes through :func:`gettext` (or
:func:`lazy`, for messages defined at import time, such as an error's description).
With Flask-Babel set up on the app, they are translated into the request's locale
(its ``locale_selector``) from the catalogue shipped in
``flask_server_functions/translations`` (domain ``flask_server_functions``);
otherwise they stay in English. Marshmallow's default messages are translated as
they leave validation (:func:`translate_field_message`), since marshmallow formats
them itself.
"""

from __future__ import annotations

import functools
import os
import re
import typing as t

from flask import current_app, has_request_context

#: The gettext domain of the extension's catalogue, and where it lives.
DOMAIN = "flask_server_functions"
TRANSLATIONS = os.path.join(os.path.dirname(__file__), "translations")


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue without translating it."""
    return message


def gettext(message: str, **variables: t.Any) -> str:
    """``message`` in the request's locale (``%(name)s`` placeholders filled in)."""
    domain = _domain()
    if domain is not None:
        return t.cast(str, domain.gettext(message, **variables))
    return message % variables if variables else message


def lazy(message: str, **variables: t.Any) -> str:
    """``message``, translated each time it is turned into text (for messages defined
    at import time, or made before they are shown); typed as ``str`` for the APIs
    that take text (a Werkzeug ``description``)."""
    return t.cast(str, LazyText(message, **variables))


class LazyText:
    """A message translated each time it is turned into text: see :func:`lazy`."""

    __slots__ = ("message", "variables")

    def __init__(self, message: str, **variables: t.Any) -> None:
        self.message = message
        self.variables = variables

    def __str__(self) -> str:
        return gettext(self.message, **self.variables)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.message)

    def __repr__(self) -> str:
        return f"lazy({self.message!r})"


def _domain() -> t.Any:
    """Flask-Babel's domain for the extension's catalogue, if the app uses Flask-Babel."""
    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    return _babel_domain()


@functools.cache
def _babel_domain() -> t.Any:
    from flask_babel import Domain

    return Domain(translation_directories=[TRANSLATIONS], domain=DOMAIN)


#: Marshmallow's default messages (and those of the ``File`` field), as marshmallow
#: formats them; ``%(name)s`` stands for the value it fills in.
FIELD_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid input."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Unknown field."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid datetime."),
    N_("Not a valid naive datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid date."),
    N_("Not a valid time."),
    N_("Not a valid period of time."),
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid mapping type."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("Not a valid IP address."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 interface."),
    N_("String does not match expected pattern."),
    N_("Shorter than minimum length %(min)s."),
    N_("Longer than maximum length %(max)s."),
    N_("Length must be between %(min)s and %(max)s."),
    N_("Length must be %(equal)s."),
    N_("Must be greater than or equal to %(min)s."),
    N_("Must be greater than %(min)s."),
    N_("Must be less than or equal to %(max)s."),
    N_("Must be less than %(max)s."),
    N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    N_("Must be greater than %(min)s and less than %(max)s."),
    N_("Must be equal to %(other)s."),
    N_("Must be one of: %(choices)s."),
    N_("One or more of the choices you made was not in: %(choices)s."),
    N_("One or more of the choices you made was in: %(values)s."),
    N_('"%(input)s" cannot be formatted as a datetime.'),
    N_('"%(input)s" cannot be formatted as a date.'),
    N_('"%(input)s" cannot be formatted as a time.'),
    N_("Not a file."),
    N_("The file is too large (at most %(max_size)s bytes)."),
    N_("This type of file is not accepted (allowed: %(allowed)s)."),
)


@functools.cache
def _field_patterns() -> list[tuple[re.Pattern[str], str]]:
    """A regular expression per templated message, longest first."""
    patterns = []
    for template in sorted(FIELD_MESSAGES, key=len, reverse=True):
        if "%(" not in template:
            continue
        parts = re.split(r"%\((\w+)\)s", template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        patterns.append((re.compile(f"^{regex}$", re.S), template))
    return patterns


_PLAIN = frozenset(m for m in FIELD_MESSAGES if "%(" not in m)


def translate_field_message(message: str) -> str:
    """A marshmallow default message in the request's locale; any other message as is."""
    if _domain() is None:
        return message
    if message in _PLAIN:
        return gettext(message)
    for pattern, template in _field_patterns():
        match = pattern.match(message)
        if match:
            return gettext(template, **match.groupdict())
    return message
