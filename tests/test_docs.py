"""The first examples of the README and the guide run as written."""

from __future__ import annotations

import importlib.util
import re
import sys
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
