"""``flask server-functions ...`` commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .extension import app_state


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
        fields = ", ".join(function.schema.fields) or "-"
        click.echo(
            f"{function.name}  {function.func.__module__}.{function.func.__qualname__}"
            f"  fields: {fields}  template: {function.template or '-'}"
            f"  id: {function.id}"
        )
