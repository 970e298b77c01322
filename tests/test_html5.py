"""With ``SERVER_FUNCTIONS_ATTRIBUTE_PREFIX = "data-hx-"`` the example's pages are valid
HTML5 for the Nu Html Checker (``vnu.jar``, from npm's ``vnu-jar``, run with Java),
before and after an error. ``.ci/run`` installs both; elsewhere the test skips when
they are missing (and fails with ``CI=true``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import example
from flask_server_functions.testing import call_function

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = Path(os.environ.get("VNU_JAR", ROOT / ".ci/node/node_modules/vnu-jar/build/dist/vnu.jar"))


def validate(pages: dict[str, str], folder: Path) -> list[str]:
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        reason = f"the Nu Html Checker needs java and {VNU_JAR}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    files = []
    for name, html in pages.items():
        path = folder / f"{name}.html"
        path.write_text(html)
        files.append(str(path))
    done = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(done.stderr or '{"messages": []}')["messages"]
    return [f"{Path(m.get('url', '')).name}: {m['message']}" for m in messages]


def test_example_pages_validate_with_data_hx(tmp_path: Path) -> None:
    app = example.create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "example.sqlite"),
            "SERVER_FUNCTIONS_ATTRIBUTE_PREFIX": "data-hx-",
        }
    )
    client = app.test_client()
    first = client.get("/").text
    after_error = call_function(
        client, "plan_task", {"title": "", "size": "l", "tags": ["home"]}, js=False
    ).html
    assert "aria-invalid" in after_error and " hx-" not in first
    assert validate({"first": first, "after-error": after_error}, tmp_path) == []


def test_the_checker_finds_hx_attributes(tmp_path: Path) -> None:
    """The same check fails for the default spelling: it is not vacuous."""
    app = example.create_app({"TESTING": True, "DATABASE": str(tmp_path / "example.sqlite")})
    errors = validate({"first": app.test_client().get("/").text}, tmp_path)
    assert errors and all("hx-" in e for e in errors)
