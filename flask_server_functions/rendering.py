"""Rendering a form's inside, and the other regions a call refreshes.

:func:`render_form_body` (hidden fields, form-wide errors, then the function's
partial template) is what the page renders inside ``<form>`` and what an htmx
answer is made of: one source of HTML for the first GET, the htmx swap and the
page after a no-JS redirect.
"""

from __future__ import annotations

import secrets
import typing as t

from flask import current_app, g
from jinja2 import Environment
from markupsafe import escape

from .config import app_state
from .functions import Reference
from .idempotency import remember_client
from .kept import kept_for, mark_private
from .page import asked_refreshes
from .state import FormState
from .wire import CSRF_FIELD, ONCE_FIELD, STATE_FIELD

#: ``form_state(initial_state=...)`` not given.
MISSING: t.Any = object()

#: The partial of a function that has none of its own: its state, if a string.
RESULT_TEMPLATE = "server_functions/result.html"
#: The partial of server_button().
BUTTON_TEMPLATE = "server_functions/button.html"


def form_state(ref: Reference, *, initial_state: t.Any = MISSING) -> FormState:
    """The state a form renders with on a page: what the last no-JS POST kept for
    it, else its initial state. While a call's refreshed regions render, the form that
    made the call renders with its new state (so a region holding it shows its answer,
    as the page after a no-JS redirect does)."""
    calling: FormState | None = g.get("_server_functions_calling")
    if calling is not None and calling.ref.key == ref.key:
        return calling
    kept = kept_for(ref)
    if kept is not None:
        state = kept["state"] if "state" in kept else ref.initial_state()  # a small record has none
        form = FormState(ref, state, values=kept.get("values"), errors=kept.get("errors"))
        form.carry_state = bool(kept.get("carry"))
        return form
    function_initial = ref.function.initial_state
    if initial_state is MISSING or (
        not callable(function_initial) and initial_state == function_initial
    ):
        form = FormState(ref, ref.initial_state())
        form.from_initial = True
        return form
    form = FormState(ref, initial_state)
    form.carry_state = True  # its own initial state: the server does not have it
    return form


def render(template_name: str, **context: t.Any) -> str:
    """``render_template`` for the many small renders of one request.

    The template context (the Jinja globals, Flask's ``request``, ``session``, ``g``,
    ``config`` and the app's context processors) is built once per request rather
    than per form, and each render shares it (Jinja's ``new_context(shared=True)``,
    what ``{% include %}`` does) instead of copying the globals again.
    """
    return _render(*_rendering(), template_name, context)


def _render(
    base: dict[str, t.Any], env: Environment, template_name: str, context: dict[str, t.Any]
) -> str:
    template = env.get_template(template_name)
    if env.is_async:  # pragma: no cover - Flask's environment is not async
        return template.render({**base, **context})
    jinja_context = template.new_context({**base, **context}, shared=True)
    try:
        return env.concat(template.root_render_func(jinja_context))
    except Exception:
        env.handle_exception()  # a template's traceback, as render() gives it


def request_context() -> dict[str, t.Any]:
    """What every template the extension renders in this request sees (built once)."""
    return _rendering()[0]


def _rendering() -> tuple[dict[str, t.Any], Environment]:
    """This request's template context and the app's Jinja environment."""
    cached: tuple[dict[str, t.Any], Environment] | None = g.get("_server_functions_context")
    if cached is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        base = dict(app.jinja_env.globals)
        app.update_template_context(base)
        cached = g._server_functions_context = (base, app.jinja_env)
    return cached


def render_form_body(form: FormState) -> str:
    """The inside of the form: hidden fields, form-wide errors and the partial.

    The page renders it inside ``<form>``, and an htmx answer is exactly this, so
    both come from one source.
    """
    function = form.ref.function
    parts: list[str] = []
    base, env = _rendering()
    csrf_token = base.get("csrf_token")  # Flask-WTF's CSRFProtect
    if callable(csrf_token):
        parts.append(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token())}">')
    # The state travels with the form when the function takes it (unless it is the
    # function's initial state, which the server has), or when this form started from
    # its own initial state (so an error re-renders from it, too).
    if (function.state_parameter and not form.from_initial) or form.carry_state:
        try:
            signed = app_state().codec.dumps_state(form.state, form.ref.key)
        except TypeError:
            if function.state_parameter:
                raise
            signed = ""  # an own initial state that is no JSON (an object): not carried
        if signed:
            parts.append(f'<input type="hidden" name="{STATE_FIELD}" value="{signed}">')
    if function.idempotent:
        # random, bound to this form by its signature; no shared cache may keep the page
        once = app_state().codec.sign_once(secrets.token_urlsafe(16), form.ref.key)
        mark_private()
        remember_client()
        parts.append(f'<input type="hidden" name="{ONCE_FIELD}" value="{once}">')
    ref = form.ref
    # A function called without a form of its own (JSON, call_function, a hand-made
    # hx-post) still gets an answer: its state, if it is a message.
    partial = ref.template or ref.function.template or RESULT_TEMPLATE
    form.form_errors_placed = False
    inside = _render(base, env, partial, {"form": form})
    # Form-wide errors go first, unless the partial placed them itself.
    if form.errors and not form.form_errors_placed:
        parts.append(form.form_error())
    if inside:
        parts.append(inside)
    return "\n".join(parts)


def render_refreshed(form: FormState) -> str:
    """The other parts of the page to re-render after ``form``'s call, as htmx
    partials: the group's and the function's ``refresh=``, and what the function asked
    for with :func:`.page.refresh`."""
    asked = asked_refreshes()
    regions = {**form.ref.function.refresh, **asked} if asked else form.ref.function.refresh
    if not regions:
        return ""
    dialect = app_state().dialect
    g._server_functions_calling = form
    try:
        return "".join(
            dialect.partial(target_id, render(template, form=form))
            for target_id, template in regions.items()
        )
    finally:
        g.pop("_server_functions_calling", None)
