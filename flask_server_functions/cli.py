"""``flask server-functions ...`` commands."""

from __future__ import annotations

import inspect
import typing as t

import click
from flask import current_app, url_for
from flask.cli import with_appcontext
from werkzeug.routing import BuildError

from .config import app_state
from .errors import size_text
from .functions import ServerFunction


@click.group("server-functions", help="Inspect the app's server functions.")
def cli() -> None:
    pass


@cli.command("list")
@with_appcontext
def list_functions() -> None:
    """Print each registered function: name, where it is defined, its fields, template,
    the URL its forms post to, its group, guards and limits."""
    state = app_state(current_app)
    registry = state.registry
    if not len(registry):
        click.echo("No server functions are registered.")
        return
    for function in sorted(registry, key=lambda f: f.name):
        parameters = ", ".join(inspect.signature(function.func).parameters) or "-"
        fields = ", ".join(function.schema.fields) or "-"
        all_guards = (*state.extension.before_call_guards, *function.guards)
        guards = ", ".join(getattr(g, "__name__", repr(g)) for g in all_guards) or "-"
        limit = function.max_body or current_app.config["SERVER_FUNCTIONS_MAX_BODY"]
        fields_limit = current_app.config["SERVER_FUNCTIONS_MAX_FIELDS"]
        options = [
            "idempotent" if function.idempotent else "",
            "async" if function.is_async else "",
        ]
        click.echo(
            f"{function.name}  {function.func.__module__}.{function.func.__qualname__}\n"
            f"    parameters: {parameters}\n"
            f"    fields: {fields}\n"
            f"    guards: {guards}\n"
            f"    template: {function.template or '-'}\n"
            f"    url: POST {_url(function)}\n"
            f"    group: {function.group.name if function.group else '-'}\n"
            f"    limits: body {size_text(limit)}, {fields_limit} fields\n"
            f"    id: {function.id}  {' '.join(filter(None, options))}".rstrip()
        )


def _url(function: ServerFunction[t.Any]) -> str:
    """The URL the function's forms post to (``<token>`` for the signed reference)."""
    with current_app.test_request_context():
        try:
            return url_for(function.endpoint, token="-")[:-1] + "<token>"
        except BuildError:
            return "- (its group's blueprint is not registered on this app)"
