"""The example app plus hand-written baseline routes, for the benchmarks only.

``gunicorn 'benchmarks.server_app:create_app()'``. The example itself is unchanged;
this wraps it and adds, under ``/_bench/``:

* ``POST /_bench/update-name``: ``update_name`` written by hand (the example's schema, the
  same SQLite write, the same partial), answering a plain htmx form;
* ``GET /_bench/page``: the example's layout with that plain htmx form (the
  browser baseline);
* ``POST /_bench/update-name-prg``: the same form posted without JavaScript, validated
  by the same schema, Post/Redirect/Get by hand (the state, or the errors and what was
  typed, in the session, ``303`` to ``/_bench/page``);
* ``POST /_bench/update-name-page``: the same, answering with the page itself (one
  request, no redirect: how Next.js answers a form posted before hydration);
* ``GET /_bench/sf-page``: the same layout with only the UpdateName server form.
"""

from __future__ import annotations

import typing as t

from flask import Blueprint, Flask, redirect, render_template, request, session
from marshmallow import EXCLUDE, ValidationError

from example import create_app as create_example_app
from example import db
from example.actions import Name

from .plain import PlainForm

#: The example's own schema for the name (trimmed, 1 to 80 characters): the hand-written
#: view validates exactly as the server function does.
NAME_SCHEMA = Name(unknown=EXCLUDE)
FORM_ID = "plain-name"

bp = Blueprint("sf_bench", __name__, template_folder="templates", url_prefix="/_bench")


@bp.post("/update-name")
def update_name() -> t.Any:
    try:
        data = NAME_SCHEMA.load(request.form)
    except ValidationError as e:
        form = PlainForm(FORM_ID, values=request.form, errors=e.normalized_messages())
        return render_template("sf_bench/plain_name_body.html", form=form), 422
    name = data["name"].strip()
    if not name:
        state = {"error": "Name is required", "name": None}
    else:
        db.set_setting("name", name)
        state = {"error": None, "name": name}
    return render_template("sf_bench/plain_name_body.html", form=PlainForm(FORM_ID, state))


def _save_name() -> dict[str, t.Any]:
    """``update_name`` without a form to render: validated by the same schema, the
    state, or the errors and what was typed (for the no-JS variants)."""
    try:
        data = NAME_SCHEMA.load(request.form)
    except ValidationError as e:
        return {"values": request.form.to_dict(), "errors": e.normalized_messages()}
    name = data["name"].strip()
    if not name:
        return {"state": {"error": "Name is required", "name": None}}
    db.set_setting("name", name)
    return {"state": {"error": None, "name": name}}


def _plain_name(kept: dict[str, t.Any] | None) -> PlainForm:
    if kept is None:
        return PlainForm(FORM_ID, {"error": None, "name": db.get_setting("name")})
    if "state" in kept:
        return PlainForm(FORM_ID, kept["state"])
    state = {"error": None, "name": db.get_setting("name")}
    return PlainForm(FORM_ID, state, values=kept["values"], errors=kept["errors"])


@bp.get("/page")
def page() -> str:
    form = _plain_name(session.pop("bench_state", None))
    return render_template("sf_bench/page_plain_name.html", form=form)


@bp.post("/update-name-prg")
def update_name_prg() -> t.Any:
    session["bench_state"] = _save_name()
    return redirect("/_bench/page", code=303)


@bp.post("/update-name-page")
def update_name_page() -> str:
    form = _plain_name(_save_name())
    return render_template("sf_bench/page_plain_name.html", form=form)


@bp.get("/sf-page")
def sf_page() -> str:
    return render_template("sf_bench/page_sf_name.html")


def create_app(test_config: t.Mapping[str, t.Any] | None = None) -> Flask:
    app = create_example_app(test_config)
    app.register_blueprint(bp)
    return app
