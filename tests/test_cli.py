from __future__ import annotations

from flask import Flask

from flask_server_functions import ServerFunctions


def test_list(app: Flask, sf: ServerFunctions) -> None:
    @sf.function(template="name_form.html")
    def update_name(name: str, age: int = 3):  # type: ignore[no-untyped-def]
        ...

    result = app.test_cli_runner().invoke(args=["server-functions", "list"])
    assert result.exit_code == 0
    assert "update_name  tests.test_cli." in result.output
    assert "fields: name, age  template: name_form.html" in result.output


def test_list_empty(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["server-functions", "list"])
    assert result.output == "No server functions are registered.\n"
