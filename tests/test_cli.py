from __future__ import annotations

from flask import Flask

from flask_server_functions import ServerFunctions


def test_list(app: Flask, sf: ServerFunctions) -> None:
    def is_admin() -> bool:
        return True

    @sf.function(template="name_form.html", require=is_admin, idempotent=True)
    def update_name(state, name: str, age: int = 3):  # type: ignore[no-untyped-def]
        ...

    result = app.test_cli_runner().invoke(args=["server-functions", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "update_name  tests.test_cli.test_list.<locals>.update_name"
    assert lines[1:5] == [
        "    parameters: state, name, age",
        "    fields: name, age",
        "    guards: is_admin",
        "    template: name_form.html",
    ]
    assert lines[5:9] == [
        "    url: POST /_sf/<token>",
        "    group: -",
        "    limits: body 1 MB, 200 fields",
        f"    id: {update_name.id}  idempotent",
    ]


def test_list_shows_each_group_url_guards_and_limits(app: Flask, sf: ServerFunctions) -> None:
    from flask import Blueprint

    def signed_in() -> bool:
        return True

    def is_admin() -> bool:
        return True

    sf.before_call(signed_in)
    admin = Blueprint("admin", __name__, url_prefix="/admin")
    admin_functions = sf.group("admin", blueprint=admin, require=is_admin)

    @admin_functions.function(max_body=300_000)
    def ban(user_id: int) -> None: ...

    app.register_blueprint(admin)
    result = app.test_cli_runner().invoke(args=["server-functions", "list"])
    assert result.exit_code == 0, result.output
    assert "    guards: signed_in, is_admin\n" in result.output
    assert "    url: POST /admin/_sf/<token>\n" in result.output
    assert "    group: admin\n" in result.output
    assert "    limits: body 300 KB, 200 fields\n" in result.output  # decimal, not 293 KB


def test_list_says_when_a_group_is_not_served(app: Flask, sf: ServerFunctions) -> None:
    from flask import Blueprint

    unregistered = Blueprint("later", __name__, url_prefix="/later")

    @sf.group("later", blueprint=unregistered).function
    def noop() -> None: ...

    result = app.test_cli_runner().invoke(args=["server-functions", "list"])
    assert "    url: POST - (its group's blueprint is not registered on this app)" in result.output


def test_list_empty(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["server-functions", "list"])
    assert result.output == "No server functions are registered.\n"
