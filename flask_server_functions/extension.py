"""The Flask extension object: ``ServerFunctions``, ``init_app`` and the wiring.

``init_app`` puts the config defaults and the per-app state (:mod:`.config`) on the
app, registers the endpoint (:mod:`.endpoint`), the static files, the Jinja globals
(:mod:`.templating`) and the ``flask server-functions`` commands (:mod:`.cli`).
"""

from __future__ import annotations

import typing as t

from flask import Blueprint, Flask
from markupsafe import Markup
from marshmallow import Schema
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response

from .assets import static_file
from .cli import cli
from .config import DEFAULTS as DEFAULTS
from .config import EXTENSION_KEY as EXTENSION_KEY
from .config import AppState as AppState
from .config import app_state as app_state
from .endpoint import call
from .functions import F, Guard, ServerFunction
from .groups import Group, check_unclaimed
from .kept import private_cache, take_kept
from .landing import flash_unshown, take_from_url
from .messages import FieldMessages
from .page import current_page
from .ratelimit import parse_limit
from .registry import Registry
from .scripts import server_functions_scripts
from .templating import server_button, server_form, server_function_url

#: ``page`` in every template (a Jinja global): the page a form is on
#: (:func:`.page.current_page`), looked up when a template uses it; a value passed to
#: ``render_template`` by the same name wins.
_PAGE = LocalProxy(current_page)


def _before_request() -> None:
    """Each request starts with nothing of the extension's in ``g``; a cookieless
    no-JS result comes out of the store (:mod:`.landing`)."""
    take_kept()
    take_from_url()


def _after_request(response: Response) -> Response:
    """Pages showing kept state are private; unshown form messages are flashed."""
    return flash_unshown(private_cache(response))


class ServerFunctions:
    """The extension: a registry of server functions, served by one or many apps.

    ::

        sf = ServerFunctions()

        @sf.function(template="name_form.html")
        def update_name(name: str):
            ...

        def create_app():
            app = Flask(__name__)
            sf.init_app(app)
            return app

    The object holds only the registry; each app's state lives in
    ``app.extensions["server_functions"]``.
    """

    def __init__(self, app: Flask | None = None) -> None:
        self.registry = Registry()
        #: Guards run before every call of every function (see :meth:`before_call`).
        self.before_call_guards: list[Guard] = []
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the extension on ``app``: config defaults, the endpoint, static
        files, templates, Jinja globals and the ``flask server-functions`` commands."""
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "Flask-Server-Functions is already registered on this app; call"
                " init_app(app) once per app."
            )
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        if app.config["SERVER_FUNCTIONS_RATE_LIMIT"]:
            parse_limit(app.config["SERVER_FUNCTIONS_RATE_LIMIT"])
        state = AppState(self, app)
        app.extensions[EXTENSION_KEY] = state

        prefix = app.config["SERVER_FUNCTIONS_URL_PREFIX"].rstrip("/")
        check_unclaimed(app, f"{prefix}/<token>", "the app's own server functions")
        blueprint = Blueprint(
            "server_functions",
            __name__,
            url_prefix=prefix,
            template_folder="templates",
        )
        # Every blueprint starts with Flask's default context processor (g, request,
        # session), which the app's already runs: not a second time per call.
        blueprint.template_context_processors.pop(None, None)
        blueprint.add_url_rule("/<token>", "call", call, methods=["POST"])
        blueprint.add_url_rule("/static/<path:filename>", "static", static_file)
        app.register_blueprint(blueprint)
        app.before_request(_before_request)
        app.after_request(_after_request)
        app.add_template_global(server_form, "server_form")
        app.add_template_global(server_button, "server_button")
        app.add_template_global(server_function_url, "server_function_url")
        app.add_template_global(server_functions_scripts, "server_functions_scripts")
        app.jinja_env.globals["server_functions"] = self.registry.names
        app.jinja_env.globals["page"] = _PAGE
        app.cli.add_command(cli)

    @t.overload
    def function(self, func: F, /) -> ServerFunction[F]: ...

    @t.overload
    def function(
        self,
        *,
        name: str | None = None,
        schema: type[Schema] | Schema | None = None,
        messages: FieldMessages | None = None,
        template: str | None = None,
        initial_state: t.Any = None,
        refresh: t.Mapping[str, str] | None = None,
        trigger: str | t.Sequence[str] | None = None,
        require: Guard | t.Sequence[Guard] | None = None,
        max_body: int | None = None,
        idempotent: bool = False,
        rate_limit: str | t.Literal[False] | None = None,
        live: bool = False,
        group: Group | None = None,
    ) -> t.Callable[[F], ServerFunction[F]]: ...

    def function(  # type: ignore[misc]  # the options are spelled out in the overload
        self, func: F | None = None, /, **options: t.Any
    ) -> ServerFunction[F] | t.Callable[[F], ServerFunction[F]]:
        """Register a server function (React's ``"use server"``).

        Use it bare (``@sf.function``) or with options:

        :param name: the name templates use (``server_functions.NAME``); default:
            the function's ``__name__``. It never appears in a URL.
        :param schema: a marshmallow schema for the input. Default: derived from the
            function's type hints (see :mod:`flask_server_functions.schemas`).
        :param messages: the fields' own error messages, for input derived from type
            hints (with ``schema=``, use the fields' ``error_messages=``): field name
            -> one message for anything wrong with it, or ``{key: message}`` with the
            keys of ``SERVER_FUNCTIONS_MESSAGES`` (``"required"``, ``"integer"``,
            ``"date"``...), e.g. ``messages={"title": "Give the task a title.",
            "count": {"integer": "Digits only."}}``. Shown as written; lazy strings
            (Flask-Babel's ``lazy_gettext``) in the request's locale. A ``required``
            message on a ``str`` without a default also makes its blank value missing,
            so an empty input shows it. A name that is not a field, or a key the field
            cannot show, is a ``TypeError`` here (see :mod:`.messages`).
        :param template: the partial the form renders (its inputs, errors, result);
            a form may name another with ``server_form(fn, template=...)``.
        :param initial_state: the state before the first call (``useActionState``'s
            second argument); a form can override it. A callable is called for it
            (with the form's bound values as keywords) when a page renders the form
            and when a call needs it: the state stays on the server instead of
            travelling in the form (``initial_state=lambda: {"name": saved_name()}``).
        :param refresh: other parts of the page to re-render after each call (like
            Next.js's ``revalidatePath``): a mapping of element id to the template
            that renders that element's contents. htmx swaps them in with the form;
            without JavaScript the whole page is rendered anyway.
        :param trigger: client event name(s) fired after a successful htmx call
            (``HX-Trigger``), for elements that listen with ``hx-trigger="NAME from:body"``.
        :param require: a guard (or several), called with no arguments before the
            input is validated; a falsy result refuses the call with 403 (or, with
            ``SERVER_FUNCTIONS_LOGIN_VIEW`` set, sends the user to the login view).
            Guards may also ``abort()`` themselves. Inside the function, refuse with
            ``Refuse(message, status)`` (or ``abort(4xx)``).
        :param max_body: the largest body this function accepts, in bytes (e.g. for
            uploads); default ``SERVER_FUNCTIONS_MAX_BODY``.
        :param idempotent: each rendered form carries a one-time submission key, and
            a replay of a key answers with the first outcome instead of calling again
            (see :mod:`flask_server_functions.idempotency`).
        :param rate_limit: calls allowed per client, e.g. ``"10/minute"`` (see
            :mod:`flask_server_functions.ratelimit`); default: the group's, else
            ``SERVER_FUNCTIONS_RATE_LIMIT``; ``False`` for no limit.
        :param live: its forms validate each field on the server as the user leaves
            it (a validate-only call; the function does not run), showing only the
            errors of fields the user has touched; a form can say otherwise with
            ``server_form(fn, live=...)``. Without JavaScript nothing changes.
        :param group: the :class:`Group` it belongs to (prefer ``group.function``).

        The function receives the validated fields as keyword arguments, values
        bound with ``.bind()``, and the previous state if it has a parameter named
        ``state`` (or ``prev_state``). What it returns is the new state.
        """

        def decorator(f: F) -> ServerFunction[F]:
            function = ServerFunction(f, **options)
            if function.rate_limit:
                parse_limit(function.rate_limit)  # a malformed limit fails here, not on a call
            self.registry.add(function)
            return function

        if func is not None:
            return decorator(func)
        return decorator

    def group(
        self,
        name: str,
        *,
        blueprint: Blueprint | None = None,
        require: Guard | t.Sequence[Guard] | None = None,
        url_path: str = "/_sf",
        rate_limit: str | t.Literal[False] | None = None,
        refresh: t.Mapping[str, str] | None = None,
    ) -> Group:
        """A group of functions sharing guards and, with ``blueprint``, its URL
        prefix and hooks (their forms post to ``<blueprint prefix><url_path>/<token>``).
        Create it before the blueprint is registered on the app.

        :param url_path: the path under the blueprint's prefix (default ``/_sf``). A
            blueprint without ``url_prefix`` needs its own (``url_path="/_sf_admin"``):
            the app's functions already post to ``/_sf/<token>``, and registering the
            blueprint refuses a second rule at the same URL.
        :param rate_limit: calls allowed per client for its functions (``"10/minute"``).
        :param refresh: regions every function of the group re-renders after a call.
        """
        if rate_limit:
            parse_limit(rate_limit)
        group = Group(
            self,
            name,
            blueprint=blueprint,
            require=require,
            url_path=url_path,
            rate_limit=rate_limit,
            refresh=refresh,
        )
        if blueprint is not None:
            blueprint.add_url_rule(
                f"{group.url_path}/<token>", "server_function", call, methods=["POST"]
            )
        return group

    def before_call(self, guard: Guard) -> Guard:
        """Register a guard that runs before every server-function call (a decorator).

        Like ``require=`` on one function: a falsy result refuses the call (403).
        """
        self.before_call_guards.append(guard)
        return guard

    def scripts(self, *, nonce: str | None = None) -> Markup:
        """The ``<script>`` tags for htmx and the extension's script (also a Jinja global)."""
        return server_functions_scripts(nonce=nonce)
