"""Per-app state: the config defaults, :class:`AppState` and :func:`app_state`.

Everything that runs inside a request reaches the app's extension state through
:func:`app_state`, from here, so no module has to import the extension object.
"""

from __future__ import annotations

import os
import typing as t

from flask import Flask, current_app, g, url_for
from werkzeug.routing import BuildError

from . import htmx
from .functions import Reference
from .references import ReferenceCodec, secret_keys
from .sqlite_store import SQLiteStore
from .stores import MemoryStore, Store

if t.TYPE_CHECKING:
    from .extension import ServerFunctions
    from .registry import Registry

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
    # How htmx attribute names are written: "hx-" or "data-hx-" (valid HTML5; htmx
    # reads both).
    "SERVER_FUNCTIONS_ATTRIBUTE_PREFIX": "hx-",
    # Your own default error messages over the extension's, by the keys of
    # messages.DEFAULT_MESSAGES ("required", "integer", "date", ...).
    "SERVER_FUNCTIONS_MESSAGES": {},
    # Other origins ("https://example.com") allowed to post to server functions.
    "SERVER_FUNCTIONS_ALLOWED_ORIGINS": [],
    # A POST with no Origin, Sec-Fetch-Site or Referer header: "allow" or "deny".
    "SERVER_FUNCTIONS_MISSING_ORIGIN": "allow",
    # Limits on a request body: bytes, number of fields, length of a field name.
    "SERVER_FUNCTIONS_MAX_BODY": 1024 * 1024,
    "SERVER_FUNCTIONS_MAX_FIELDS": 200,
    "SERVER_FUNCTIONS_MAX_FIELD_NAME": 200,
    # Endpoint a guard's refusal sends the user to (every path), e.g. "auth.login".
    "SERVER_FUNCTIONS_LOGIN_VIEW": None,
    # Idempotent functions: where outcomes are kept, for how long (seconds), and how
    # long a replay waits for the first call to finish. None: an SQLite file in the
    # instance folder (STORE_FILE), shared by every worker process of this host; with
    # TESTING, a store in this process. For many hosts: a RedisStore.
    "SERVER_FUNCTIONS_IDEMPOTENCY_STORE": None,
    "SERVER_FUNCTIONS_IDEMPOTENCY_TTL": 24 * 3600,
    "SERVER_FUNCTIONS_IDEMPOTENCY_WAIT": 10.0,
    # Where no-JS state too large for the session cookie (long typed text) is kept for
    # the redirect. None: a store beside the idempotency store's (same file or Redis),
    # with its own keys and bound, so kept state never pushes out a one-time claim.
    "SERVER_FUNCTIONS_KEPT_STORE": None,
    # Rate limits (see ratelimit.py): the default for every function ("100/minute";
    # None: none), who a call counts against (a callable; None: the client's address),
    # where the counters live (a limits storage URI or object) and the strategy.
    "SERVER_FUNCTIONS_RATE_LIMIT": None,
    # False turns every rate limit off (as Flask-Limiter's RATELIMIT_ENABLED), e.g. for
    # a load test from one address.
    "SERVER_FUNCTIONS_RATE_LIMIT_ENABLED": True,
    "SERVER_FUNCTIONS_RATE_LIMIT_KEY": None,
    "SERVER_FUNCTIONS_RATE_LIMIT_STORAGE": "memory://",
    "SERVER_FUNCTIONS_RATE_LIMIT_STRATEGY": "fixed-window",
}

#: The default store's file, in the app's instance folder.
STORE_FILE = "server-functions.sqlite3"

_HTMX_VALUES = ("bundled", "external")
#: Values of ``SERVER_FUNCTIONS_MISSING_ORIGIN``.
MISSING_ORIGIN_POLICIES = ("allow", "deny")


class AppState:
    """What one app needs at request time, kept in ``app.extensions["server_functions"]``."""

    def __init__(self, extension: ServerFunctions, app: Flask) -> None:
        self.extension = extension
        self.config = app.config
        dialect = app.config["SERVER_FUNCTIONS_DIALECT"]
        _check_choice(app.config, "SERVER_FUNCTIONS_DIALECT", tuple(htmx.DIALECTS))
        _check_choice(app.config, "SERVER_FUNCTIONS_ATTRIBUTE_PREFIX", htmx.PREFIXES)
        self.dialect = htmx.DIALECTS[dialect].with_prefix(
            app.config["SERVER_FUNCTIONS_ATTRIBUTE_PREFIX"]
        )
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
        self._instance_path = app.instance_path
        self._default_store: Store | None = None
        self._kept: tuple[Store, Store] | None = None
        #: server_functions_scripts()'s tags, made once per script root (scripts.py).
        self.script_tags: dict[tuple[t.Any, ...], str] = {}

    @property
    def idempotency_store(self) -> Store:
        """Where idempotent calls keep their outcomes: the configured store (read at
        each call, so it may be set after ``init_app``), else the default: an
        :class:`SQLiteStore` in the instance folder (a :class:`MemoryStore` with ``TESTING``)."""
        configured = self.config["SERVER_FUNCTIONS_IDEMPOTENCY_STORE"]
        if configured is not None:
            return t.cast(Store, configured)
        if self._default_store is None:
            if self.config.get("TESTING"):
                self._default_store = MemoryStore()
            else:
                path = os.path.join(self._instance_path, STORE_FILE)
                self._default_store = SQLiteStore(path)
        return self._default_store

    @property
    def kept_store(self) -> Store:
        """Where no-JS state too large for the session cookie is kept for one request:
        ``SERVER_FUNCTIONS_KEPT_STORE``, else a sibling of the idempotency store (its
        own keys, bounded apart, evicting), or that store itself if it has no siblings."""
        configured = self.config["SERVER_FUNCTIONS_KEPT_STORE"]
        if configured is not None:
            return t.cast(Store, configured)
        once = self.idempotency_store
        if self._kept is None or self._kept[0] is not once:
            sibling = getattr(once, "sibling", None)
            self._kept = (once, sibling() if callable(sibling) else once)
        return self._kept[1]

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
        token = self.codec.dumps_json(ref.function.id, ref.sealed_json)
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
        state: AppState = app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "Flask-Server-Functions is not set up on this app: call"
            " ServerFunctions(app) or server_functions.init_app(app) first."
        ) from None
    return state
