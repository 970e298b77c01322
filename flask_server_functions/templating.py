"""The Jinja helpers ``server_form``, ``server_button`` and ``server_function_url``
(``server_functions_scripts`` is in :mod:`.scripts`).

They are registered as Jinja globals by ``init_app`` and return ``Markup``. The
inside of a form comes from :func:`.rendering.render_form_body`, as the htmx
answer does.
"""

from __future__ import annotations

import typing as t

from jinja2 import Undefined
from markupsafe import Markup, escape

from . import htmx
from .config import app_state
from .functions import Reference, ServerFunction
from .page import current_page_url
from .permalink import with_landing
from .rendering import BUTTON_TEMPLATE, MISSING, form_state, render_form_body
from .wire import FORM_ID_OPTION, LIVE_OPTION


def as_reference(target: ServerFunction[t.Any] | Reference | str) -> Reference:
    """Accept a server function, a reference or a registered function's name."""
    if isinstance(target, Reference):
        return target
    if isinstance(target, ServerFunction):
        return target.reference
    if isinstance(target, str):
        return app_state().registry[target].reference
    if isinstance(target, Undefined):  # server_functions.typo in a template
        name = getattr(target, "_undefined_name", None)
        known = ", ".join(sorted(app_state().registry.by_name)) or "none"
        raise TypeError(
            f"no server function named {name!r} (the template names one that is not"
            f" registered); registered: {known}"
        )
    raise TypeError(
        "expected a server function, a reference (fn.bind(...)) or the name of a"
        f" registered function, not {type(target).__name__}"
    )


def attributes(attrs: t.Mapping[str, t.Any]) -> Markup:
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(str(escape(name)))
        else:
            parts.append(f'{escape(name)}="{escape(value)}"')
    return Markup(" ".join(parts))


def merge_attributes(
    own: t.Mapping[str, t.Any], given: t.Mapping[str, t.Any] | None, dialect: htmx.Dialect
) -> dict[str, t.Any]:
    """``given`` over ``own``: a given value replaces the one for the same attribute
    (``hx-swap`` and ``data-hx-swap`` are the same), ``class`` values are joined, and
    ``None`` or ``False`` leaves an attribute out. htmx names take the dialect's prefix.
    """
    merged = {dialect.attr(name): value for name, value in own.items()}
    for name, value in (given or {}).items():
        key = dialect.attr(name)
        if key == "class" and merged.get("class") and value:
            value = f"{merged['class']} {value}"
        merged[key] = value
    return merged


def server_form(
    target: ServerFunction[t.Any] | Reference | str,
    *,
    initial_state: t.Any = MISSING,
    template: str | None = None,
    permalink: str | None = None,
    id: str | None = None,
    class_: str | None = None,
    enctype: str | None = None,
    attrs: t.Mapping[str, t.Any] | None = None,
    live: bool | None = None,
) -> Markup:
    """Render a working ``<form>`` for a server function.

    ::

        {{ server_form(update_name) }}
        {{ server_form(server_functions.rename_note.bind(note_id=note.id),
                       initial_state={"text": note.text}) }}

    :param target: the function, a reference with bound values, or a function name.
    :param initial_state: the state before the first submission (overrides the
        function's ``initial_state``).
    :param template: the partial to render inside the form, if not the function's.
    :param permalink: where a no-JS submission lands (303) to show the result;
        default: this page.
    :param id: the form's id (default: derived from the reference, stable across
        renders).
    :param class_: CSS classes for the form.
    :param enctype: e.g. ``"multipart/form-data"`` for file uploads.
    :param attrs: more attributes for the ``<form>``, or other values for its own:
        a value given here replaces the extension's (``hx-swap``, ``hx-target``...),
        ``class`` is added to ``sf-form``, ``None`` leaves an attribute out, and no
        attribute is ever written twice. ``id`` here is the same as ``id=``.
    :param live: validate each field as it is left (default: the function's ``live=``).
    """
    attrs = dict(attrs or {})
    id = attrs.pop("id", None) or id  # the form's id is part of its identity: id=
    ref = as_reference(target)
    if live is not None and live != ref.function.live:
        ref = ref.using(None, **{LIVE_OPTION: live})
    if template is not None or id is not None:
        # Sealed in the token, so the htmx answer renders the same ids.
        ref = ref.using(template, **({FORM_ID_OPTION: id} if id is not None else {}))
    ref.partial  # noqa: B018 - fail early with a clear message if there is none
    state = app_state()
    dialect = state.dialect
    form = form_state(ref, initial_state=initial_state)
    # The page a no-JS submission lands on rides in the action (?_sf_next=).
    action = with_landing(state.url_for(ref), permalink or current_page_url())
    if enctype is None and ref.function.file_fields:
        enctype = "multipart/form-data"
    live_form, stream = form.live, ref.function.is_stream  # the page loads hx-sse for a stream
    if attrs:
        own = {
            "id": form.id,
            "class": f"sf-form {class_}" if class_ else "sf-form",
            "method": "post",
            "action": action,
            "enctype": enctype,
            "data-sf-form": True,
            "data-sf-live": live_form,
            "data-sf-stream": stream,
            **dialect.form_attributes(action, form.id),
        }
        start = f"<form {attributes(merge_attributes(own, attrs, dialect))}"
    else:  # the common case, written out (the same attributes, in the same order)
        classes = escape(f"sf-form {class_}") if class_ else "sf-form"
        start = (
            f'<form id="{escape(form.id)}" class="{classes}" method="post"'
            f' action="{escape(action)}"'
            + (f' enctype="{escape(enctype)}"' if enctype else "")
            + " data-sf-form"
            + (" data-sf-live" if live_form else "")
            + (" data-sf-stream" if stream else "")
            + " "
            + dialect.form_attributes_html(action, form.id)
        )
    return Markup(f"{start}>{render_form_body(form)}\n</form>")


def server_button(
    target: ServerFunction[t.Any] | Reference | str,
    label: str,
    *,
    pending_label: str | None = None,
    confirm: str | None = None,
    class_: str | None = None,
    button_class: str | None = None,
    aria_label: str | None = None,
    permalink: str | None = None,
    id: str | None = None,
    attrs: t.Mapping[str, t.Any] | None = None,
) -> Markup:
    """A single button that calls a server function (e.g. "Delete", "Like").

    It is a tiny form, so it has the same pending state and works without
    JavaScript. Bind the values it acts on::

        {{ server_button(server_functions.delete_note.bind(note_id=note.id), "Delete",
                         confirm="Delete this note?") }}

    Its label and options are sealed in the reference, so the re-rendered button
    is the same one. The function's state (or error) is shown after the button.

    :param label: the button's text.
    :param pending_label: its text while the call is in flight.
    :param confirm: a question asked before the call: with JavaScript a dialog
        (``hx-confirm``); without it, the first press comes back to the page with
        the question and a button that confirms, and only that one runs the function.
    :param class_: CSS classes for the button's ``<form>`` (besides ``sf-button``).
    :param button_class: CSS classes for the ``<button>`` itself.
    :param aria_label: the button's accessible name when the label alone does not
        say what it acts on (``"Delete note 'Buy milk'"``); start it with the label.
    :param permalink: where a no-JS submission lands; default: this page.
    :param id: the form's id, as in :func:`server_form`.
    :param attrs: attributes for the button's ``<form>``, merged as in
        :func:`server_form` (``data-optimistic``, ``hx-*``, ``class``).
    """
    ref = button_reference(
        target,
        label,
        pending_label=pending_label,
        button_class=button_class,
        confirm=confirm,
        aria_label=aria_label,
    )
    own = {htmx.HX_CONFIRM: confirm} if confirm else {}
    return server_form(
        ref,
        permalink=permalink,
        id=id,
        class_=" ".join(filter(None, ["sf-button", class_])),
        attrs={**own, **(attrs or {})},
    )


def button_reference(
    target: ServerFunction[t.Any] | Reference | str,
    label: str,
    *,
    pending_label: str | None = None,
    button_class: str | None = None,
    confirm: str | None = None,
    aria_label: str | None = None,
) -> Reference:
    """The reference :func:`server_button` posts to, for the same arguments.

    Its label and options are sealed in it, so a test can call exactly the button a
    page shows::

        call_function(client, button_reference(delete_note.bind(note_id=1), "Delete"))
    """
    options = {"confirm": confirm, "aria_label": aria_label}
    return as_reference(target).using(
        BUTTON_TEMPLATE,
        label=label,
        pending_label=pending_label,
        button_class=button_class,
        **{k: v for k, v in options.items() if v},  # unset options keep the token short
    )


def server_function_url(target: ServerFunction[t.Any] | Reference | str) -> str:
    """The URL to call a server function at from your own JavaScript.

    ::

        serverFunctions.call("{{ server_function_url(server_functions.like.bind(id=3)) }}",
                             {count: 1}).then(({state, errors}) => ...)
    """
    return app_state().url_for(as_reference(target))
