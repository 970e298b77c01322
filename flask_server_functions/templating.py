"""The Jinja helpers: ``server_form``, ``server_button``, ``server_function_url``
and ``server_functions_scripts``.

They are registered as Jinja globals by ``init_app`` and return ``Markup``. The
inside of a form comes from :func:`.rendering.render_form_body`, as the htmx
answer does.
"""

from __future__ import annotations

import typing as t

from flask import url_for
from jinja2 import Undefined
from markupsafe import Markup, escape

from . import htmx
from ._version import __version__
from .config import app_state
from .functions import Reference, ServerFunction
from .rendering import BUTTON_TEMPLATE, MISSING, current_page, form_state, render_form_body
from .wire import FORM_ID_OPTION

_BASE_CSS = (
    ".htmx-indicator{visibility:hidden}"
    ".htmx-request .htmx-indicator,.htmx-request.htmx-indicator{visibility:visible}"
    "form[aria-busy=true]{cursor:progress}"
)


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


def _attributes(attrs: t.Mapping[str, t.Any]) -> Markup:
    parts = []
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(str(escape(name)))
        else:
            parts.append(f'{escape(name)}="{escape(value)}"')
    return Markup(" ".join(parts))


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
    :param attrs: any other attributes for the ``<form>``.
    """
    ref = as_reference(target)
    if template is not None or id is not None:
        # Sealed in the token, so the htmx answer renders the same ids.
        ref = ref.using(template, **({FORM_ID_OPTION: id} if id is not None else {}))
    ref.partial  # noqa: B018 - fail early with a clear message if there is none
    state = app_state()
    form = form_state(ref, initial_state=initial_state)
    action = escape(state.url_for(ref))
    if enctype is None and ref.function.file_fields:
        enctype = "multipart/form-data"
    form_id = escape(form.id)
    classes = escape(f"sf-form {class_}" if class_ else "sf-form")
    start = [f'<form id="{form_id}" class="{classes}" method="post" action="{action}"']
    if enctype:
        start.append(f'enctype="{escape(enctype)}"')
    start.append("data-sf-form")
    start.append(state.dialect.form_attributes_html(action, form.id))
    if attrs:
        start.append(_attributes(attrs))
    body = render_form_body(form, permalink or current_page())
    return Markup(f"{' '.join(start)}>{body}\n</form>")


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
) -> Markup:
    """A single button that calls a server function (e.g. "Delete", "Like").

    It is a tiny form, so it has the same pending state and works without
    JavaScript. Bind the values it acts on::

        {{ server_button(server_functions.delete_note.bind(note_id=note.id), "Delete",
                         confirm="Delete this note?") }}

    Its label and options are sealed in the reference, so the re-rendered button
    is the same one. The function's state (or error) is shown after the button.

    :param confirm: a question asked before the call: with JavaScript a dialog
        (``hx-confirm``); without it, the first press comes back to the page with
        the question and a button that confirms, and only that one runs the function.
    :param aria_label: the button's accessible name when the label alone does not
        say what it acts on (``"Delete note 'Buy milk'"``); start it with the label.
    """
    ref = button_reference(
        target,
        label,
        pending_label=pending_label,
        button_class=button_class,
        confirm=confirm,
        aria_label=aria_label,
    )
    attrs = {"hx-confirm": confirm} if confirm else None
    return server_form(
        ref,
        permalink=permalink,
        id=id,
        class_=" ".join(filter(None, ["sf-button", class_])),
        attrs=attrs,
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
    """The URL to call a server function from your own JavaScript::

    serverFunctions.call("{{ server_function_url(server_functions.like.bind(id=3)) }}",
                         {count: 1}).then(({state, errors}) => ...)
    """
    return app_state().url_for(as_reference(target))


def server_functions_scripts(*, nonce: str | None = None) -> Markup:
    """The ``<script>`` tags a page needs: htmx (unless the app loads its own, with
    ``SERVER_FUNCTIONS_HTMX = "external"``) and the extension's small script.

    Put it in the page's ``<head>``. ``nonce`` is added for a strict CSP.
    """
    state = app_state()
    config = state.config
    nonce_attr = {"nonce": nonce} if nonce else {}
    # Indicators stay hidden before htmx has loaded and with JavaScript off.
    tags = [f"<style {_attributes(nonce_attr)}>{_BASE_CSS}</style>".replace("<style >", "<style>")]
    if config["SERVER_FUNCTIONS_HTMX"] == "bundled":
        debug = config["SERVER_FUNCTIONS_HTMX_DEBUG"]
        filename = "htmx.js" if debug else "htmx.min.js"
        src = url_for(
            "server_functions.static",
            filename=f"vendor/htmx/{filename}",
            v=htmx.HTMX_VERSION,
        )
        tags.append(f"<script {_attributes({'src': src, 'defer': True, **nonce_attr})}></script>")
    events = {f"data-event-{k}": v for k, v in state.dialect.script_events().items()}
    src = url_for("server_functions.static", filename="server-functions.js", v=__version__)
    tags.append(
        f"<script {_attributes({'src': src, 'defer': True, **events, **nonce_attr})}></script>"
    )
    return Markup("\n".join(tags))
