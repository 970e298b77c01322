"""What a hand-written Flask app would use to render the same partial templates.

The baselines render the *same* partial templates as the server functions, so the
templates call ``form.field_id(...)``, ``form.attrs(...)`` and so on. This is the
small helper a hand-written app would write for that: plain f-strings, no tokens,
no registry.
"""

from __future__ import annotations

import typing as t

from markupsafe import Markup, escape


class PlainForm:
    def __init__(
        self,
        id: str,
        state: t.Any = None,
        *,
        values: t.Mapping[str, t.Any] | None = None,
        errors: t.Mapping[str, list[str]] | None = None,
    ) -> None:
        self.id = id
        self.state = state
        self.values = values or {}
        self.errors = errors or {}

    def field_id(self, name: str) -> str:
        return f"{self.id}-{name}"

    def error_id(self, name: str) -> str:
        return f"{self.id}-{name}-error"

    def attrs(self, name: str, *, value: t.Any = "") -> Markup:
        value = self.values.get(name, value)
        out = f'name="{name}" id="{self.id}-{name}" value="{escape(value)}"'
        if name in self.errors:
            out += f' aria-invalid="true" aria-describedby="{self.id}-{name}-error"'
        return Markup(out)

    def errors_for(self, name: str) -> Markup:
        messages = self.errors.get(name)
        if not messages:
            return Markup("")
        text = escape(" ".join(messages))
        return Markup(f'<span class="sf-error" id="{self.id}-{name}-error">{text}</span>')
