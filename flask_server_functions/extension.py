"""The Flask extension object, its config and its per-app state."""

from __future__ import annotations

import os
import typing as t

from flask import Blueprint, Flask, current_app, g, url_for
from markupsafe import Markup
from marshmallow import Schema
from werkzeug.routing import BuildError

from . import htmx
from .functions import F, Guard, Reference, Registry, ServerFunction
from .groups import Group
from .idempotency import MemoryStore, Store
from .origin import MISSING_ORIGIN_POLICIES
from .references import ReferenceCodec, secret_keys
from .state import take_kept

#: The key in ``app.extensions``.
EXTENSION_KEY = "server_functions"

#: Config keys and their defaults (all prefixed ``SERVER_FUNCTIONS_``).
DEFAULTS: dict[str, t.Any] = {
    # Where function URLs (and the extension's static files) live.
    "SERVER_FUNCTIONS_URL_PREFIX": "/_sf",
    # Seconds a reference token stays valid; None for no limit.
    "SERVER_FUNCTIONS_MAX_AGE": 7 * 24 * 3600,
    # "bundled": serve the vendored htmx 4; "external": the app loads its own htmx.
    # Default: "bundled", or "external" with the htmx 2 dialect.
    "SERVER_FUNCTIONS_HTMX": None,
    # Serve the unminified htmx.js (for debugging).
    "SERVER_FUNCTIONS_HTMX_DEBUG": False,
    # The htmx major version of the markup the extension writes.
    "SERVER_FUNCTIONS_DIALECT": "4",
    # Other origins ("https://example.com") allowed to post to server functions.
    "SERVER_FUNCTIONS_ALLOWED_ORIGINS": [],
    # A POST with no Origin, Sec-Fetch-Site or Referer header: "allow" or "deny".
    "SERVER_FUNCTIONS_MISSING_ORIGIN": "allow",
    # Limits on a request body: bytes, number of fields, length of a field name.
    "SERVER_FUNCTIONS_MAX_BODY": 1024 * 1024,
    "SERVER_FUNCTIONS_MAX_FIELDS": 200,
    "SERVER_FUNCTIONS_MAX_FIELD_NAME": 200,
    # Endpoint to redirect a refused (guarded) no-JS call to, e.g. "auth.login".
    "SERVER_FUNCTIONS_LOGIN_VIEW": None,
    # Idempotent functions: where outcomes are kept (None: in this process), for how
    # long (seconds), and how long a replay waits for the first call to finish.
    "SERVER_FUNCTIONS_IDEMPOTENCY_STORE": None,
    "SERVER_FUNCTIONS_IDEMPOTENCY_TTL": 24 * 3600,
    "SERVER_FUNCTIONS_IDEMPOTENCY_WAIT": 10.0,
    # Where no-JS state too large for the session cookie (long typed text) is kept for
    # the redirect; None: the idempotency store. Share it (Redis) across workers.
    "SERVER_FUNCTIONS_KEPT_STORE": None,
}

_STATIC_FOLDER = os.path.join(os.path.dirname(__file__), "static")
_HTMX_VALUES = ("bundled", "external")


class AppState:
    """What one app needs at request time, kept in ``app.extensions["server_functions"]``."""

    def __init__(self, extension: ServerFunctions, app: Flask) -> None:
        self.extension = extension
        self.config = app.config
        dialect = app.config["SERVER_FUNCTIONS_DIALECT"]
        _check_choice(app.config, "SERVER_FUNCTIONS_DIALECT", tuple(htmx.DIALECTS))
        self.dialect = htmx.DIALECTS[dialect]
        if app.config["SERVER_FUNCTIONS_HTMX"] is None:
            app.config["SERVER_FUNCTIONS_HTMX"] = (
                "bundled" if self.dialect.bundled_htmx else "external"
            )
        _check_choice(app.config, "SERVER_FUNCTIONS_HTMX", _HTMX_VALUES)
        _check_choice(app.config, "SERVER_FUNCTIONS_MISSING_ORIGIN", MISSING_ORIGIN_POLICIES)
        if app.config["SERVER_FUNCTIONS_HTMX"] == "bundled" and not self.dialect.bundled_htmx:
            raise ValueError(
                f"SERVER_FUNCTIONS_DIALECT = {dialect!r} writes htmx {dialect} markup, but the"
                f" bundled htmx is {htmx.HTMX_VERSION}: load your own htmx {dialect} and set"
                " SERVER_FUNCTIONS_HTMX = 'external'."
            )
        self._codec: ReferenceCodec | None = None
        self._memory_store = MemoryStore()

    @property
    def idempotency_store(self) -> Store:
        """Where idempotent calls keep their outcomes: the configured store (read at
        each call, so it may be set after ``init_app``), else this app's memory store."""
        return t.cast(
            Store, self.config["SERVER_FUNCTIONS_IDEMPOTENCY_STORE"] or self._memory_store
        )

    @property
    def kept_store(self) -> Store:
        """Where no-JS state too large for the session cookie is kept for one request:
        ``SERVER_FUNCTIONS_KEPT_STORE``, else the idempotency store."""
        return t.cast(Store, self.config["SERVER_FUNCTIONS_KEPT_STORE"] or self.idempotency_store)

    @property
    def registry(self) -> Registry:
        return self.extension.registry

    @property
    def codec(self) -> ReferenceCodec:
        """The app's signer, made on first use (``SECRET_KEY`` may be set after ``init_app``)."""
        if self._codec is None:
            self._codec = ReferenceCodec(
                secret_keys(self.config), max_age=self.config["SERVER_FUNCTIONS_MAX_AGE"]
            )
        return self._codec

    def url_for(self, ref: Reference) -> str:
        """The URL a form posts to for ``ref``.

        ``url_for`` runs once per endpoint and request; each form only adds its token.
        """
        token = self.codec.dumps(ref.function.id, ref.sealed())
        urls: dict[str, str] | None = g.get("_server_functions_urls")
        if urls is None:
            urls = g._server_functions_urls = {}
        endpoint = ref.function.endpoint
        base = urls.get(endpoint)
        if base is None:
            try:
                base = urls[endpoint] = url_for(endpoint, token="-")[:-1]
            except BuildError:
                group = ref.function.group
                if group is None or group.blueprint is None:
                    raise
                raise RuntimeError(
                    f"server function {ref.function.name!r} belongs to the group"
                    f" {group.name!r} on the blueprint {group.blueprint.name!r}, which is"
                    f" not registered on this app: call app.register_blueprint(...) for it"
                    " (before or after init_app)."
                ) from None
        return base + token


def _check_choice(config: t.Mapping[str, t.Any], key: str, choices: t.Sequence[str]) -> None:
    if config[key] not in choices:
        raise ValueError(f"{key} must be one of: {', '.join(choices)}; got {config[key]!r}")


def app_state(app: Flask | None = None) -> AppState:
    """The extension's state for ``app`` (default: the current app)."""
    app = app or current_app
    try:
        return t.cast(AppState, app.extensions[EXTENSION_KEY])
    except KeyError:
        raise RuntimeError(
            "Flask-Server-Functions is not set up on this app: call"
            " ServerFunctions(app) or server_functions.init_app(app) first."
        ) from None


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
        state = AppState(self, app)
        app.extensions[EXTENSION_KEY] = state

        from .cli import cli
        from .templating import (
            server_button,
            server_form,
            server_function_url,
            server_functions_scripts,
        )
        from .views import call

        prefix = app.config["SERVER_FUNCTIONS_URL_PREFIX"].rstrip("/")
        blueprint = Blueprint(
            "server_functions",
            __name__,
            url_prefix=prefix,
            template_folder="templates",
            static_folder=_STATIC_FOLDER,
            static_url_path="/static",
        )
        blueprint.add_url_rule("/<token>", "call", call, methods=["POST"])
        app.register_blueprint(blueprint)
        app.before_request(take_kept)
        app.add_template_global(server_form, "server_form")
        app.add_template_global(server_button, "server_button")
        app.add_template_global(server_function_url, "server_function_url")
        app.add_template_global(server_functions_scripts, "server_functions_scripts")
        app.jinja_env.globals["server_functions"] = self.registry.names
        app.cli.add_command(cli)

    @t.overload
    def function(self, func: F, /) -> ServerFunction[F]: ...

    @t.overload
    def function(
        self,
        *,
        name: str | None = None,
        schema: type[Schema] | Schema | None = None,
        template: str | None = None,
        initial_state: t.Any = None,
        refresh: t.Mapping[str, str] | None = None,
        trigger: str | t.Sequence[str] | None = None,
        require: Guard | t.Sequence[Guard] | None = None,
        max_body: int | None = None,
        idempotent: bool = False,
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
        :param template: the partial the form renders (its inputs, errors, result);
            a form may name another with ``server_form(fn, template=...)``.
        :param initial_state: the state before the first call (``useActionState``'s
            second argument); a form can override it.
        :param refresh: other parts of the page to re-render after each call (like
            Next.js's ``revalidatePath``): a mapping of element id to the template
            that renders that element's contents. htmx swaps them in with the form;
            without JavaScript the whole page is rendered anyway.
        :param trigger: client event name(s) fired after a successful htmx call
            (``HX-Trigger``), for elements that listen with ``hx-trigger="NAME from:body"``.
        :param require: a guard (or several), called with no arguments before the
            input is validated; a falsy result refuses the call with 403 (or, without
            JavaScript, a redirect to ``SERVER_FUNCTIONS_LOGIN_VIEW`` if set). Guards
            may also ``abort()`` themselves.
        :param max_body: the largest body this function accepts, in bytes (e.g. for
            uploads); default ``SERVER_FUNCTIONS_MAX_BODY``.
        :param idempotent: each rendered form carries a one-time submission key, and
            a replay of a key answers with the first outcome instead of calling again
            (see :mod:`flask_server_functions.idempotency`).
        :param group: the :class:`Group` it belongs to (prefer ``group.function``).

        The function receives the validated fields as keyword arguments, values
        bound with ``.bind()``, and the previous state if it has a parameter named
        ``state`` (or ``prev_state``). What it returns is the new state.
        """

        def decorator(f: F) -> ServerFunction[F]:
            function = ServerFunction(f, **options)
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
    ) -> Group:
        """A group of functions sharing guards and, with ``blueprint``, its URL
        prefix and hooks (their forms post to ``<blueprint prefix><url_path>/<token>``).
        Create it before the blueprint is registered on the app."""
        return Group(self, name, blueprint=blueprint, require=require, url_path=url_path)

    def before_call(self, guard: Guard) -> Guard:
        """Register a guard that runs before every server-function call (a decorator).

        Like ``require=`` on one function: a falsy result refuses the call (403).
        """
        self.before_call_guards.append(guard)
        return guard

    def scripts(self, *, nonce: str | None = None) -> Markup:
        """The ``<script>`` tags for htmx and the extension's script (also a Jinja global)."""
        from .templating import server_functions_scripts

        return server_functions_scripts(nonce=nonce)
