"""The docs' examples run as written: every whole app (``# app.py``, its templates and
its ``# test_app.py``) runs with its test, every other snippet compiles or parses."""

from __future__ import annotations

import importlib.util
import re
import sys
import typing as t
from pathlib import Path

import pytest

from flask_server_functions.testing import call_function

ROOT = Path(__file__).resolve().parent.parent


def first_example(doc: Path) -> tuple[str, dict[str, str]]:
    """The first ``# app.py`` block and the templates right after it."""
    blocks = re.findall(r"```(python|jinja)\n(.*?)```", doc.read_text(), re.S)
    start = next(i for i, (lang, code) in enumerate(blocks) if code.startswith("# app.py"))
    templates = {}
    for lang, code in blocks[start + 1 :]:
        match = re.match(r"\{# templates/([\w.]+)", code)
        if lang != "jinja" or not match:
            break
        templates[match.group(1)] = code
    return blocks[start][1], templates


@pytest.mark.parametrize("doc", ["README.md", "docs/guide.md"])
def test_first_example_runs(doc: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, templates = first_example(ROOT / doc)
    assert set(templates) == {"index.html", "name_form.html"}
    (tmp_path / "templates").mkdir()
    for name, code in templates.items():
        (tmp_path / "templates" / name).write_text(code)
    module_name = f"docs_app_{doc.replace('/', '_').replace('.', '_')}"
    (tmp_path / f"{module_name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = importlib.util.spec_from_file_location(module_name, tmp_path / f"{module_name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, module_name, module)
    spec.loader.exec_module(module)  # type: ignore[union-attr]

    client = module.create_app().test_client()
    page = client.get("/").text
    assert 'hx-post="/_sf/' in page and "htmx.min.js" in page
    # a valid page to copy: its language and a title
    assert re.search(r'<html lang="\w+">', page) and re.search(r"<title>[^<]+</title>", page)
    result = call_function(client, module.update_name, {"name": "Ada"})
    assert result.state == {"error": None, "name": "Ada"} and "Saved Ada" in result.html
    result = call_function(client, module.update_name, {"name": " "}, js=False)
    assert result.status == 303 and "Name is required" in result.html


DOCS = [
    "README.md",
    "docs/guide.md",
    "docs/security.md",
    "docs/client.md",
    "docs/design.md",
    "docs/index.md",
]


def blocks(doc: Path) -> list[tuple[str, str]]:
    return re.findall(r"```(\w+)\n(.*?)```", doc.read_text(), re.S)


def apps(doc: Path) -> list[tuple[str, dict[str, str], str | None]]:
    """Every ``# app.py`` block, with the templates and the ``# test_app.py`` block
    right after it."""
    found = []
    all_blocks = blocks(doc)
    for i, (lang, code) in enumerate(all_blocks):
        if lang != "python" or not code.startswith("# app.py"):
            continue
        templates, test = {}, None
        for lang2, code2 in all_blocks[i + 1 :]:
            match = re.match(r"\{# templates/([\w.]+)", code2)
            if lang2 == "jinja" and match:
                templates[match.group(1)] = code2
                continue
            if lang2 == "python" and code2.startswith("# test_app.py"):
                test = code2
            break
        found.append((code, templates, test))
    return found


APPS = [(doc, i) for doc in DOCS for i in range(len(apps(ROOT / doc)))]


@pytest.mark.parametrize(("doc", "index"), APPS)
def test_every_app_in_the_docs_runs_with_its_test(
    doc: str, index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, templates, test = apps(ROOT / doc)[index]
    (tmp_path / "templates").mkdir()
    for name, code in templates.items():
        (tmp_path / "templates" / name).write_text(code)
    (tmp_path / "app.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "app", raising=False)
    module = importlib.import_module("app")
    client = module.create_app().test_client()
    assert client.get("/").status_code == 200
    if test is not None:
        namespace: dict[str, t.Any] = {}
        exec(compile(test, f"{doc}:test_app.py", "exec"), namespace)
        tests = [f for name, f in namespace.items() if name.startswith("test_")]
        assert tests
        for test_function in tests:
            test_function()
    monkeypatch.delitem(sys.modules, "app", raising=False)


@pytest.mark.parametrize("doc", DOCS)
def test_every_snippet_is_valid(doc: str) -> None:
    """Every Python snippet compiles and every template parses (the whole apps above
    also run)."""
    from flask import Flask

    env = Flask(__name__).jinja_env
    for lang, code in blocks(ROOT / doc):  # docs/index.md and docs/client.md have none
        if lang == "python":
            compile(code, doc, "exec")
        elif lang in ("jinja", "html"):
            env.parse(code)


def test_the_api_reference_names_every_public_name() -> None:
    """docs/api.md documents every name ``flask_server_functions`` exports, and the
    public helpers of the modules users import from."""
    api = (ROOT / "docs/api.md").read_text()
    init = (ROOT / "flask_server_functions/__init__.py").read_text()
    exported = re.findall(r"from \.(\w+) import (\w+) as \2", init)
    missing = [
        name
        for module, name in exported
        if f"flask_server_functions.{name}" not in api
        and f"automodule:: flask_server_functions.{module}" not in api
        and module != "_version"
    ]
    modules = {
        "errors": "automodule:: flask_server_functions.errors",
        "testing": "call_function, CallResult, call_server_function",
        "schemas": "File, is_blank",
        "signals": "automodule:: flask_server_functions.signals",
        "stores": "automodule:: flask_server_functions.stores",
        "templating": "templating.server_form",
    }
    missing += [m for m, text in modules.items() if text not in api]
    assert not missing and {"ServerFunctions", "FormState"} <= {n for _, n in exported}


def test_the_configuration_table_lists_every_key_once() -> None:
    """The guide's configuration table has one row per key of ``config.DEFAULTS``
    (a key listed twice had two different defaults)."""
    from flask_server_functions.config import DEFAULTS

    table = (ROOT / "docs/guide.md").read_text().split("\n## Configuration\n", 1)[1]
    rows = re.findall(r"^\| `(SERVER_FUNCTIONS_\w+)` \|", table, re.M)
    assert sorted(rows) == sorted(DEFAULTS)
