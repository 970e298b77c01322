"""Write the intersphinx inventories in this folder, for a build without network.

Run ``python docs/_inventories/make.py`` after upgrading Flask, Werkzeug or
marshmallow. Each inventory lists the public names of the installed package with
the page of the project's online docs that documents them (the URL bases are in
``docs/conf.py``), in Sphinx's ``objects.inv`` format (version 2).
"""

from __future__ import annotations

import inspect
import types
import zlib
from importlib.metadata import version
from pathlib import Path

import flask
import flask.testing
import marshmallow
import marshmallow.fields
import marshmallow.validate
import werkzeug.datastructures
import werkzeug.exceptions
import werkzeug.test
import werkzeug.wrappers

HERE = Path(__file__).resolve().parent


def public(module: types.ModuleType, page: str, prefix: str | None = None) -> list[str]:
    """One inventory line per public class and function of ``module``, on ``page``."""
    prefix = prefix or module.__name__
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    lines = []
    for name in sorted(set(names)):
        obj = getattr(module, name, None)
        if inspect.isclass(obj):
            role = "exception" if issubclass(obj, BaseException) else "class"
        elif inspect.isfunction(obj):
            role = "function"
        else:
            continue
        lines.append(f"{prefix}.{name} py:{role} 1 {page}#$ -")
    return lines


def write(name: str, version: str, lines: list[str]) -> None:
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {name}\n# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    body = zlib.compress(("\n".join(lines) + "\n").encode())
    (HERE / f"{name}.inv").write_bytes(header.encode() + body)


def main() -> None:
    write(
        "flask",
        version("flask"),
        public(flask, "api/")
        + public(flask.testing, "api/")
        + [f"flask.{n} py:data 1 api/#$ -" for n in ("request", "session", "g", "current_app")],
    )
    write(
        "werkzeug",
        version("werkzeug"),
        public(werkzeug.datastructures, "datastructures/")
        + public(werkzeug.exceptions, "exceptions/")
        + public(werkzeug.test, "test/")
        + public(werkzeug.wrappers, "wrappers/"),
    )
    write(
        "marshmallow",
        version("marshmallow"),
        public(marshmallow.fields, "marshmallow.fields.html")
        + public(marshmallow.validate, "marshmallow.validate.html")
        + [
            "marshmallow.Schema py:class 1 marshmallow.schema.html#marshmallow.schema.Schema -",
            "marshmallow.schema.Schema py:class 1 marshmallow.schema.html#$ -",
            "marshmallow.ValidationError py:exception 1"
            " marshmallow.exceptions.html#marshmallow.exceptions.ValidationError -",
            "marshmallow.exceptions.ValidationError py:exception 1 marshmallow.exceptions.html#$ -",
            "marshmallow.pre_load py:function 1"
            " marshmallow.decorators.html#marshmallow.decorators.pre_load -",
        ],
    )


if __name__ == "__main__":
    main()
