"""``flask server-functions ...`` commands."""

from __future__ import annotations

import inspect

import click
from flask import current_app
from flask.cli import with_appcontext

from .config import app_state


@click.group("server-functions", help="Inspect the app's server functions.")
def cli() -> None:
    pass


@cli.command("list")
@with_appcontext
def list_functions() -> None:
    """Print each registered function: name, where it is defined, its fields and template."""
    registry = app_state(current_app).registry
    if not len(registry):
        click.echo("No server functions are registered.")
        return
    for function in sorted(registry, key=lambda f: f.name):
        parameters = ", ".join(inspect.signature(function.func).parameters) or "-"
        fields = ", ".join(function.schema.fields) or "-"
        guards = ", ".join(getattr(g, "__name__", repr(g)) for g in function.guards) or "-"
        options = [
            f"group: {function.group.name}" if function.group else "",
            "idempotent" if function.idempotent else "",
            "async" if function.is_async else "",
        ]
        click.echo(
            f"{function.name}  {function.func.__module__}.{function.func.__qualname__}\n"
            f"    parameters: {parameters}\n"
            f"    fields: {fields}\n"
            f"    guards: {guards}\n"
            f"    template: {function.template or '-'}\n"
            f"    id: {function.id}  {' '.join(filter(None, options))}".rstrip()
        )
