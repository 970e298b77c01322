"""The vendored htmx and the extension's script: served, pinned, and in the wheel."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from flask_server_functions.htmx import HTMX_VERSION

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor" / "htmx"


def sri(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def test_vendored_htmx_matches_its_note() -> None:
    note = (VENDOR / "README.md").read_text()
    assert f"**{HTMX_VERSION}**" in note
    for name in ("htmx.min.js", "htmx.js", "ext/hx-sse.min.js", "ext/hx-sse.js"):
        assert f"`{name}` | `{sri(VENDOR / name)}`" in note
    assert f"version = '{HTMX_VERSION}'" in (VENDOR / "htmx.js").read_text()
    assert "Zero-Clause BSD" in (VENDOR / "LICENSE").read_text()
    assert (VENDOR / "ext" / "LICENSE").read_text() == (VENDOR / "LICENSE").read_text()


@pytest.mark.parametrize(
    "path",
    [
        "vendor/htmx/htmx.min.js",
        "vendor/htmx/htmx.js",
        "vendor/htmx/ext/hx-sse.min.js",
        "server-functions.js",
        "server-functions-upload.js",
    ],
)
def test_served_by_the_extension(client: FlaskClient, path: str) -> None:
    with client.get(f"/_sf/static/{path}") as r:
        assert r.status_code == 200
        assert r.data == (ROOT / "static" / path).read_bytes()
        assert "javascript" in r.content_type


def test_package_static_is_the_top_level_static() -> None:
    import flask_server_functions

    package_static = Path(flask_server_functions.__file__).parent / "static"
    assert package_static.resolve() == (ROOT / "static").resolve()


def test_wheel_contains_assets_and_templates(tmp_path: Path) -> None:
    # Build from a copy of the tracked files: a stale build/ directory in the
    # checkout must not hide a file missing from the package data.
    source = tmp_path / "src"
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_symlink():
            target.symlink_to(os.readlink(ROOT / name))
        elif (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target)
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        check=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    (wheel,) = out.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "flask_server_functions/py.typed",
        "flask_server_functions/static/vendor/htmx/htmx.min.js",
        "flask_server_functions/static/vendor/htmx/htmx.js",
        "flask_server_functions/static/vendor/htmx/LICENSE",
        "flask_server_functions/static/server-functions.js",
        "flask_server_functions/static/server-functions-upload.js",
        "flask_server_functions/static/vendor/htmx/ext/hx-sse.min.js",
        "flask_server_functions/static/vendor/htmx/ext/LICENSE",
        "flask_server_functions/templates/server_functions/button.html",
    ):
        assert expected in names
    assert not any(re.match(r"(example|tests|benchmarks)/", n) for n in names)
