"""Action state: what a form's partial renders from, and the outcome of a call.

:class:`FormState` is the ``form`` object a partial template sees (React's
``[state, formAction]`` plus field errors and the submitted values). An
:class:`Outcome` is what one call produced: the form's new state, the status to
answer with, and a response the function returned. Nothing here touches a request;
keeping a state across the no-JS redirect is :mod:`.kept`'s job.
"""

from __future__ import annotations

import dataclasses
import typing as t

from markupsafe import Markup, escape

from .functions import Reference
from .wire import FORM_ID_OPTION

if t.TYPE_CHECKING:
    from werkzeug.wrappers import Response


class FormState:
    """Everything a form partial renders from.

    :param ref: the reference the form posts to.
    :param state: the current action state (initial, or what the function returned).
    :param values: the submitted values, kept after an error so nothing typed is lost;
        empty after a success, so the form resets (as React does).
    :param errors: field name to messages; ``"_form"`` holds form-wide messages.
    """

    def __init__(
        self,
        ref: Reference,
        state: t.Any = None,
        *,
        values: t.Mapping[str, list[str]] | None = None,
        errors: t.Mapping[str, list[str]] | None = None,
        form_id: str | None = None,
    ) -> None:
        self.ref = ref
        self.state = state
        is_sensitive = ref.function.is_sensitive
        #: The submitted values, less sensitive fields (never echoed, kept or stored).
        self.values: dict[str, list[str]] = {
            k: v for k, v in (values or {}).items() if not is_sensitive(k)
        }
        self.errors: dict[str, list[str]] = dict(errors or {})
        self.id = form_id or ref.options.get(FORM_ID_OPTION) or f"sf-{ref.key}"
        #: Whether the form carries its state (signed) even though the function does
        #: not take it: it started from its own ``initial_state=``, so an error must
        #: re-render from that, not from the function's.
        self.carry_state = False

    @property
    def bound(self) -> dict[str, t.Any]:
        """The values bound to the reference (verified, server-side)."""
        return self.ref.bound

    @property
    def ok(self) -> bool:
        """No errors: the last submission (if any) succeeded."""
        return not self.errors

    @property
    def form_errors(self) -> list[str]:
        """Messages that belong to the whole form, not to one field."""
        return self.errors.get("_form", [])

    def value(self, name: str, default: t.Any = "") -> t.Any:
        """The submitted value of ``name`` (after an error), else ``default``."""
        got = self.values.get(name)
        if got:
            return got[0]
        return default if default is not None else ""

    def values_of(self, name: str) -> list[str]:
        """Every submitted value of ``name`` (multi-selects, checkboxes)."""
        return list(self.values.get(name, []))

    def field_id(self, name: str) -> str:
        return f"{self.id}-{name}"

    def error_id(self, name: str) -> str:
        return f"{self.id}-{name}-error"

    def attrs(self, name: str, *, value: t.Any = "", with_value: bool = True) -> Markup:
        """The attributes of the input for field ``name``, as one ``Markup`` string.

        ``name``, ``id`` and (unless ``with_value=False``, for a textarea or a
        password) ``value``; after an error also ``aria-invalid``,
        ``aria-describedby`` pointing at :meth:`errors_for`'s element, and
        ``autofocus`` on the first invalid field.
        """
        quoted = escape(name)
        form_id = escape(self.id)
        html = f'name="{quoted}" id="{form_id}-{quoted}"'
        if with_value and not self.ref.function.is_sensitive(name):
            html += f' value="{escape(self.value(name, value))}"'
        if self.errors and name in self.errors:
            html += f' aria-invalid="true" aria-describedby="{form_id}-{quoted}-error"'
            if self.first_invalid == name:
                html += " autofocus"
        return Markup(html)

    @property
    def first_invalid(self) -> str | None:
        return next((name for name in self.errors if name != "_form"), None)

    def errors_for(self, name: str) -> Markup:
        """The error messages of field ``name``, in an element the input points at: a
        ``<div>``, so text browsers (w3m, lynx) show them on their own line, not run
        into the next text. Put it beside the input, not inside a ``<p>`` or ``<label>``."""
        messages = self.errors.get(name)
        if not messages:
            return Markup("")
        text = " ".join(str(escape(m)) for m in messages)
        return Markup(f'<div class="sf-error" id="{escape(self.error_id(name))}">{text}</div>')

    def to_kept(self) -> dict[str, t.Any]:
        """The JSON-able data kept in the session across a no-JS redirect."""
        return {
            "key": self.ref.key,
            "state": self.state,
            "values": self.values,
            "errors": self.errors,
            "carry": self.carry_state,
        }


@dataclasses.dataclass
class Outcome:
    """What one call produced."""

    #: The form's new state (or the previous one, with errors, after invalid input).
    form: FormState
    #: The HTTP status to answer with: 200, 422 for invalid input, 500 for a failure.
    status: int = 200
    #: A response the function returned (a redirect), answered instead of the form.
    response: Response | None = None
