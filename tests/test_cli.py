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
    assert lines[5] == f"    id: {update_name.id}  idempotent"


def test_list_empty(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["server-functions", "list"])
    assert result.output == "No server functions are registered.\n"
