"""The example app: a small notes app on SQLite that shows every feature.

Run it with ``flask --app example run`` (or ``gunicorn 'example:create_app()'``).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import typing as t

from flask import Flask, Response, g, render_template, request, send_from_directory, url_for
from werkzeug.exceptions import HTTPException

from . import admin, db
from .actions import TASK_CHOICES, sf

#: Development only: set FLASK_SECRET_KEY in the environment, or SECRET_KEY in
#: instance/config.py, for anything else.
DEV_SECRET_KEY = "dev-only-not-secret-change-me"
#: A strict Content-Security-Policy: no inline code or styles, no eval.
CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self';"
    " object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


class ExampleFlask(Flask):
    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Static files asked for with their version (``static_url``) are cached for a
        year, so no page load (not even the one after a no-JS submission) asks again."""
        if request.args.get("v"):
            return 365 * 24 * 3600
        return super().get_send_file_max_age(filename)


def create_app(test_config: t.Mapping[str, t.Any] | None = None) -> Flask:
    # EXAMPLE_INSTANCE_PATH: another instance folder (an absolute path), e.g. per test.
    instance_path = os.environ.get("EXAMPLE_INSTANCE_PATH") or None
    app = ExampleFlask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_mapping(
        SECRET_KEY=DEV_SECRET_KEY,
        # The hosts this app answers for (others get a 400): set your own domain,
        # e.g. FLASK_TRUSTED_HOSTS='["notes.example.com"]'.
        TRUSTED_HOSTS=["localhost", "127.0.0.1"],
        # Session cookies are not sent with cross-site POSTs.
        SESSION_COOKIE_SAMESITE="Lax",
        # redis://... to share one-time keys and kept state across hosts (RedisStore);
        # unset, they are in instance/server-functions.sqlite3, for every worker of a host.
        REDIS_URL=None,
        DATABASE=os.path.join(app.instance_path, "example.sqlite"),
        # Test-only: seconds each server function sleeps, to show the pending state.
        EXAMPLE_SLOW_SECONDS=0,
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env()
    if test_config:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] == DEV_SECRET_KEY and not app.debug and not app.testing:
        app.logger.warning(
            "example: using the development SECRET_KEY; set FLASK_SECRET_KEY for real use"
        )

    if app.config["REDIS_URL"]:
        import redis

        from flask_server_functions.idempotency import RedisStore

        client = redis.Redis.from_url(app.config["REDIS_URL"])
        app.config["SERVER_FUNCTIONS_IDEMPOTENCY_STORE"] = RedisStore(client)

    os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)
    app.register_blueprint(admin.bp)
    sf.init_app(app)
    app.context_processor(lambda: {"task_choices": TASK_CHOICES})

    versions: dict[str, str] = {}

    @app.template_global()
    def static_url(filename: str) -> str:
        """``url_for('static', ...)`` with a hash of the file: a new URL when it changes."""
        if filename not in versions or app.debug:
            with app.open_resource(os.path.join("static", filename)) as f:
                versions[filename] = hashlib.sha256(f.read()).hexdigest()[:12]
        return url_for("static", filename=filename, v=versions[filename])

    @app.get("/")
    def index() -> str:
        return render_template("index.html")

    @app.get("/notes/total")
    def note_total() -> str:
        """The header's note count, re-fetched on the "notes-changed" event."""
        return render_template("partials/note_total.html")

    @app.get("/uploads/<path:name>")
    def upload(name: str) -> Response:
        return send_from_directory(db.upload_folder(), name)

    @app.before_request
    def csp_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)  # server_functions_scripts() uses it

    @app.after_request
    def strict_csp(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP.format(nonce=g.get("csp_nonce", ""))
        return response

    @app.errorhandler(403)
    def forbidden(error: HTTPException) -> tuple[str, int]:
        return render_template("forbidden.html", error=error), 403

    return app
