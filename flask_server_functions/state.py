"""Action state: what a form's partial renders from, and the outcome of a call.

:class:`FormState` is the ``form`` object a partial template sees (React's
``[state, formAction]`` plus field errors and the submitted values). An
:class:`Outcome` is what one call produced: the form's new state, the status to
answer with, and a response the function returned. Nothing here touches a request;
keeping a state across the no-JS redirect is :mod:`.kept`'s job.
"""

from __future__ import annotations

import dataclasses
import datetime
import typing as t

from markupsafe import Markup, escape

from .functions import Reference
from .wire import FORM_ID_OPTION, LIVE_OPTION

if t.TYPE_CHECKING:
    from werkzeug.wrappers import Response


class FormState:
    """Everything a form partial renders from.

    :param ref: the reference the form posts to.
    :param state: the current action state (initial, or what the function returned).
    :param values: the submitted values, kept after an error so nothing typed is lost;
        empty after a success, so the form resets (as React does).
    :param errors: field name to messages; ``"_form"`` holds form-wide messages.

    Each kind of field has a helper that renders its state: the value it starts
    with (``default=``) on a fresh form, what the user sent after an error, and
    nothing for a sensitive field (``password``...), which is never echoed::

        <input {{ form.attrs("title") }}>                      text, email, number
        <input type="date" {{ form.attrs("due", value=task.due) }}>        date
        {{ form.textarea("notes", default=task.notes, rows=3) }}          textarea
        <input {{ form.checkbox("done", default=task.done) }}>            checkbox
        <input {{ form.radio("size", "m", default="m") }}>                radio
        <select {{ form.attrs("tags", with_value=False) }} multiple>      select
          {{ form.option("tags", "work", "Work", default=task.tags) }}
        </select>
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
        self.values: dict[str, list[str]] = (
            {k: v for k, v in values.items() if not is_sensitive(k)} if values else {}
        )
        self.errors: dict[str, list[str]] = dict(errors) if errors else {}
        self.id = form_id or ref.options.get(FORM_ID_OPTION) or f"sf-{ref.key}"

    # Flags a form starts without (class attributes: set on a form when they change).
    #: Whether the form carries its state (signed) even though the function does
    #: not take it: it started from its own ``initial_state=``, so an error must
    #: re-render from that, not from the function's.
    carry_state = False
    #: Whether the state is the function's initial state, as the page computed it
    #: (the form need not carry it: a call without ``_sf_state`` starts from it).
    from_initial = False
    #: Whether the partial placed the form-wide errors itself (:meth:`form_error`,
    #: :attr:`form_errors`), so the form does not show them a second time.
    form_errors_placed = False
    _focus_given = False

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
        """Messages that belong to the whole form, not to one field.

        Shown at the top of the form (``<p class="sf-form-error">``) unless the partial
        places them: reading this list, or calling :meth:`form_error`, does.
        """
        self.form_errors_placed = True
        return self.errors.get("_form", [])

    def form_error(self) -> Markup:
        """The form-wide messages, where the partial puts this (instead of at the top)."""
        messages = self.form_errors
        if not messages:
            return Markup("")
        text = " ".join(str(escape(m)) for m in messages)
        return Markup(f'<p class="sf-form-error" role="alert">{text}</p>')

    def value(self, name: str, default: t.Any = "") -> t.Any:
        """The submitted value of ``name`` (after an error), else ``default``
        (a date as the HTML inputs write it)."""
        got = self.values.get(name)
        if got:
            return got[0]
        return _html_value(default)

    def values_of(self, name: str) -> list[str]:
        """Every submitted value of ``name`` (multi-selects, checkboxes)."""
        return list(self.values.get(name, []))

    def field_id(self, name: str) -> str:
        """The id :meth:`attrs` gives the input of ``name`` (for ``<label for=...>``)."""
        return f"{self.id}-{name}"

    def error_id(self, name: str) -> str:
        """The id of :meth:`errors_for`'s element, which ``aria-describedby`` names."""
        return f"{self.id}-{name}-error"

    def attrs(self, name: str, *, value: t.Any = "", with_value: bool = True) -> Markup:
        """The attributes of the input for field ``name``, as one ``Markup`` string.

        ``name``, ``id`` and (unless ``with_value=False``, for a textarea or a
        password) ``value``; after an error also ``aria-invalid``,
        ``aria-describedby`` pointing at :meth:`errors_for`'s element, and
        ``autofocus`` on the first invalid field; after another field's error,
        a file field's input is kept as it is by htmx (``hx-preserve``): the chosen
        file stays selected.
        """
        quoted = escape(name)
        html = f'name="{quoted}" id="{escape(self.id)}-{quoted}"'
        if with_value and not self.ref.function.is_sensitive(name):
            got = self.values.get(name) if self.values else None
            html += f' value="{escape(got[0] if got else _html_value(value))}"'
        return Markup(html + self._invalid(name) if self.errors else html)

    def _invalid(self, name: str) -> str:
        """``aria-invalid`` and ``aria-describedby`` for a field with errors, and
        ``autofocus`` on the first control of the first invalid field."""
        if not self.errors or name not in self.errors:
            if self.errors and name in self.ref.function.file_fields:
                return " hx-preserve"  # htmx keeps the chosen (valid) file across the swap
            return ""
        html = f' aria-invalid="true" aria-describedby="{escape(self.error_id(name))}"'
        if self.first_invalid == name and not self._focus_given:
            self._focus_given = True
            html += " autofocus"
        return html

    def is_chosen(self, name: str, value: t.Any, default: t.Any = None) -> bool:
        """Whether the option ``value`` of ``name`` is chosen: among what the user sent
        after an error, else in ``default`` (a value, a list of values, or for a
        single checkbox ``True``). Never for a sensitive field."""
        if self.ref.function.is_sensitive(name):
            return False
        if self.errors:
            return _html_value(value) in self.values.get(name, [])
        if isinstance(default, bool):
            return default
        if isinstance(default, (list, tuple, set, frozenset)):
            return _html_value(value) in {_html_value(d) for d in default}
        return default is not None and _html_value(default) == _html_value(value)

    def checked(self, name: str, value: t.Any = "on", default: t.Any = None) -> Markup:
        """``checked`` if the checkbox or radio button ``value`` is chosen (:meth:`is_chosen`)."""
        return Markup(" checked" if self.is_chosen(name, value, default) else "")

    def selected(self, name: str, value: t.Any, default: t.Any = None) -> Markup:
        """``selected`` if the ``<option>`` ``value`` is chosen (:meth:`is_chosen`)."""
        return Markup(" selected" if self.is_chosen(name, value, default) else "")

    def option(
        self, name: str, value: t.Any, label: t.Any = None, *, default: t.Any = None
    ) -> Markup:
        """An ``<option>`` of the ``<select>`` ``name`` (one or ``multiple``), selected
        as the user left it after an error, else if ``value`` is (in) ``default``."""
        text = escape(value if label is None else label)
        selected = self.selected(name, value, default)
        return Markup(f'<option value="{escape(_html_value(value))}"{selected}>{text}</option>')

    def checkbox(self, name: str, value: t.Any = "on", *, default: t.Any = False) -> Markup:
        """The attributes of a checkbox: ``type``, ``name``, ``id``, ``value``, and
        ``checked`` as the user left it after an error, else from ``default``.

        For one checkbox (a ``bool`` parameter) ``default`` is ``True``/``False``; for
        several with the same name (a ``list[str]``) give each its ``value`` and the
        chosen values as ``default``.
        """
        return self._choice("checkbox", name, value, default, own_id=value == "on")

    def radio(self, name: str, value: t.Any, *, default: t.Any = None) -> Markup:
        """The attributes of the radio button ``value`` of ``name``; ``default`` is the
        value chosen on a fresh form. Its id is ``field_id(name) + "-" + value``."""
        return self._choice("radio", name, value, default, own_id=False)

    def _choice(self, kind: str, name: str, value: t.Any, default: t.Any, own_id: bool) -> Markup:
        html_value = _html_value(value)
        control_id = self.field_id(name) if own_id else f"{self.field_id(name)}-{html_value}"
        html = (
            f'type="{kind}" name="{escape(name)}" id="{escape(control_id)}"'
            f' value="{escape(html_value)}"{self.checked(name, value, default)}'
        )
        return Markup(html + self._invalid(name))

    def textarea(self, name: str, default: t.Any = "", **attrs: t.Any) -> Markup:
        """A whole ``<textarea>``: its attributes (:meth:`attrs`, and ``attrs`` such as
        ``rows=4``; ``class_`` for ``class``) and, as content, what the user typed
        after an error, else ``default`` (nothing for a sensitive field)."""
        extra = "".join(
            f' {escape(k.rstrip("_").replace("_", "-"))}="{escape(v)}"'
            if v is not True
            else f" {escape(k.rstrip('_').replace('_', '-'))}"
            for k, v in attrs.items()
            if v is not None and v is not False
        )
        text = "" if self.ref.function.is_sensitive(name) else self.value(name, default)
        return Markup(
            f"<textarea {self.attrs(name, with_value=False)}{extra}>{escape(text)}</textarea>"
        )

    @property
    def first_invalid(self) -> str | None:
        """The first field with errors (it gets ``autofocus``), if any."""
        return next((name for name in self.errors if name != "_form"), None)

    @property
    def live(self) -> bool:
        """Whether the form validates each field as it is left (``live=True``)."""
        return bool(self.ref.options.get(LIVE_OPTION, self.ref.function.live))

    def errors_for(self, name: str) -> Markup:
        """The error messages of field ``name``, in an element the input points at: a
        ``<div>``, so text browsers (w3m, lynx) show them on their own line, not run
        into the next text. Put it beside the input, not inside a ``<p>`` or ``<label>``.
        In a live form, an empty hidden one when there are none, where live errors go."""
        messages = self.errors.get(name)
        if not messages:
            if self.live:
                return Markup(f'<span id="{escape(self.error_id(name))}" hidden></span>')
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


def _html_value(value: t.Any) -> str:
    """A value as a form sends it: dates as ``<input type="date">`` writes them."""
    if value.__class__ is str:  # most values, cheaply
        return value
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


@dataclasses.dataclass
class Outcome:
    """What one call produced."""

    #: The form's new state (or the previous one, with errors, after invalid input).
    form: FormState
    #: The HTTP status to answer with: 200, 422 for invalid input, 500 for a failure.
    status: int = 200
    #: A response the function returned (a redirect), answered instead of the form.
    response: Response | None = None
    #: The id logged with a failure (status 500), shown in the form's message.
    error_id: str | None = None

    #: Whether the function ran (not for input refused by validation, nor for the
    #: replay of an idempotent call).
    ran: bool = True

    def before_call(self) -> Outcome:
        """This outcome, for input refused before the function was called."""
        return dataclasses.replace(self, ran=False)
