"""The vendored htmx and the extension's script: served, pinned, and in the wheel."""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import typing as t
import zipfile
from pathlib import Path

import brotli
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
        "server-functions.min.js",
        "server-functions-upload.min.js",
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
        "flask_server_functions/static/server-functions.min.js",
        "flask_server_functions/static/server-functions.min.js.gz",
        "flask_server_functions/static/server-functions.min.js.br",
        "flask_server_functions/static/vendor/htmx/htmx.min.js.br",
        "flask_server_functions/static/server-functions.css",
        "flask_server_functions/translations/flask_server_functions.pot",
        "flask_server_functions/translations/de/LC_MESSAGES/flask_server_functions.mo",
        "flask_server_functions/static/server-functions-upload.min.js",
        "flask_server_functions/static/vendor/htmx/ext/hx-sse.min.js",
        "flask_server_functions/static/vendor/htmx/ext/LICENSE",
        "flask_server_functions/templates/server_functions/button.html",
    ):
        assert expected in names
    assert not any(re.match(r"(example|tests|benchmarks)/", n) for n in names)

    with zipfile.ZipFile(wheel) as z:
        for name in ("server-functions.min.js", "vendor/htmx/htmx.min.js"):
            raw = (ROOT / "static" / name).read_bytes()
            packed = f"flask_server_functions/static/{name}"
            assert gzip.decompress(z.read(packed + ".gz")) == raw
            assert brotli.decompress(z.read(packed + ".br")) == raw


@pytest.mark.parametrize(
    ("accept", "encoding", "decompress"),
    [
        ("gzip, deflate, br, zstd", "br", brotli.decompress),
        ("gzip", "gzip", gzip.decompress),
        ("br;q=0, gzip;q=0.5", "gzip", gzip.decompress),
        ("identity", None, bytes),
    ],
)
def test_served_compressed_as_accepted(
    client: FlaskClient, accept: str, encoding: str | None, decompress: t.Callable[[bytes], bytes]
) -> None:
    for path in ("vendor/htmx/htmx.min.js", "server-functions.min.js"):
        with client.get(f"/_sf/static/{path}", headers={"Accept-Encoding": accept}) as r:
            assert r.status_code == 200
            assert r.headers.get("Content-Encoding") == encoding
            assert "Accept-Encoding" in r.headers["Vary"]
            assert decompress(r.data) == (ROOT / "static" / path).read_bytes()
            if encoding:
                assert len(r.data) < len((ROOT / "static" / path).read_bytes()) / 2


def test_versioned_urls_are_immutable_and_change_with_the_file(app: t.Any) -> None:
    from flask_server_functions.assets import asset_url

    client = app.test_client()
    with app.test_request_context("/"):
        page = app.jinja_env.from_string("{{ server_functions_scripts() }}").render()
        url = asset_url("server-functions.min.js")
    assert url in page and "?v=" in url
    digest = hashlib.sha256((ROOT / "static" / "server-functions.min.js").read_bytes()).hexdigest()
    assert url.endswith("?v=" + digest[:12])
    with client.get(url, headers={"Accept-Encoding": "br"}) as r:
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        etag = r.headers["ETag"]
    with client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": etag}) as r:
        assert r.status_code == 304
    # An unversioned or stale URL is revalidated, never cached for good.
    for stale in ("/_sf/static/server-functions.min.js", "/_sf/static/server-functions.min.js?v=0"):
        with client.get(stale) as r:
            assert r.status_code == 200
            assert r.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["../__init__.py", "server-functions.js.gz", "server-functions.js.br", "nope.js"]
)
def test_only_shipped_files_are_served(client: FlaskClient, path: str) -> None:
    assert client.get(f"/_sf/static/{path}").status_code == 404


def test_minified_scripts_are_up_to_date() -> None:
    """Pages load ``static/*.min.js``: each is its source, minified (``make assets``)."""
    from tools.minify import SOURCES, STATIC, minified

    for name in SOURCES:
        source = (STATIC / name).read_text()
        copy = (STATIC / name).with_suffix(".min.js").read_text()
        assert copy == minified(source), f"static/{name} changed: run `make assets`"
        assert len(copy) < len(source) * 0.85


def test_debug_serves_the_readable_scripts(app: t.Any) -> None:
    app.config["SERVER_FUNCTIONS_HTMX_DEBUG"] = True
    with app.test_request_context("/"):
        page = app.jinja_env.from_string("{{ server_functions_scripts() }}").render()
    assert "/htmx.js?" in page and "/server-functions.js?" in page and ".min.js" not in page
