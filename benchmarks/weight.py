"""Benchmark 5: the bytes of every script the example page loads, raw and gzip -9."""

from __future__ import annotations

import gzip
import os
import re
import tempfile
import typing as t
from urllib.parse import urlsplit

from .harness import Result


def _kib(n: int) -> str:
    return f"{n / 1024:.1f} KiB"


def bench_weight(quick: bool) -> list[Result]:
    from flask_server_functions.htmx import HTMX_VERSION

    from .server_app import create_app

    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        app = create_app({"DATABASE": os.path.join(tmp, "w.sqlite"), "TESTING": True})
        client = app.test_client()
        page = client.get("/").get_data(as_text=True)
        srcs = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", page)
        styles = re.findall(r"<style\b[^>]*>(.*?)</style>", page, re.S)
        inline = re.findall(r"<script\b(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page, re.S)
        scripts: dict[str, bytes] = {}
        for src in srcs:
            url = urlsplit(src)
            resp = client.get(url.path, query_string=url.query)
            resp.direct_passthrough = False
            scripts[os.path.basename(url.path)] = resp.get_data()
            resp.close()
        for n, code in enumerate(inline):
            scripts[f"inline script {n + 1}"] = code.encode()

    out = []
    total_raw = total_gz = htmx_gz = 0
    for name, data in scripts.items():
        gz = len(gzip.compress(data, 9))
        total_raw += len(data)
        total_gz += gz
        if name.startswith("htmx"):
            htmx_gz += gz
        out.append(Result("5 client weight", name, f"{_kib(len(data))} raw, {_kib(gz)} gz"))
    if styles:
        css = "".join(styles).encode()
        out.append(
            Result(
                "5 client weight",
                "inline `<style>` in the page (not a script)",
                f"{len(css)} B raw",
            )
        )
    budget = htmx_gz + 2048
    out.append(
        Result(
            "5 client weight",
            f"all {len(scripts)} scripts (gz) vs htmx {HTMX_VERSION} alone",
            f"{_kib(total_raw)} raw, {_kib(total_gz)} gz",
            f"{_kib(htmx_gz)} gz",
            total_gz / htmx_gz if htmx_gz else None,
            "≤ htmx + 2 KiB gz",
            bool(htmx_gz) and total_gz <= budget,
            note=(
                f"{total_gz - htmx_gz} B gzipped beyond htmx (budget 2048 B);"
                " scripts of the example page `/`, fetched as served; gzip level 9"
            ),
        )
    )
    return out


def _fetch_all(client: t.Any, path: str) -> dict[str, tuple[str, int]]:
    """The page at ``path`` and every script and stylesheet it loads, as served to a
    browser sending ``Accept-Encoding: gzip, br``: name -> (kind, bytes on the wire)."""
    headers = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    page = client.get(path, headers=headers)
    html = page.get_data(as_text=True)
    out = {path: ("HTML", len(page.get_data()))}
    links = [("script", s) for s in re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", html)]
    links += [("style", s) for s in re.findall(r"<link\b[^>]*\bhref=\"([^\"]+\.css[^\"]*)\"", html)]
    for kind, src in links:
        url = urlsplit(src)
        resp = client.get(url.path, query_string=url.query, headers=headers)
        resp.direct_passthrough = False
        encoding = resp.headers.get("Content-Encoding", "identity")
        out[f"{os.path.basename(url.path)} ({encoding})"] = (kind, len(resp.get_data()))
        resp.close()
    return out


def bench_wire(quick: bool) -> list[Result]:
    """Benchmark 8: bytes on the wire for the example page, as served."""
    from .server_app import create_app

    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        app = create_app({"DATABASE": os.path.join(tmp, "w.sqlite"), "TESTING": True})
        client = app.test_client()
        sf = _fetch_all(client, "/")
        plain = _fetch_all(client, "/_bench/page")
    out = [
        Result("8 bytes on the wire", f"{name}: {kind}", f"{size:,} B")
        for name, (kind, size) in sf.items()
    ]
    scripts = sum(size for kind, size in sf.values() if kind == "script")
    plain_scripts = sum(size for kind, size in plain.values() if kind == "script")
    out.append(
        Result(
            "8 bytes on the wire",
            "all scripts of the example page (Accept-Encoding: gzip, br)",
            f"{scripts:,} B",
            f"{plain_scripts:,} B",
            scripts / plain_scripts if plain_scripts else None,
            "≤ 16 KB",
            scripts <= 16 * 1024,
            note=(
                "baseline: the hand-written htmx page (/_bench/page), which loads the same"
                " htmx as served by the extension; the HTML is as Flask serves it"
                " (uncompressed: compressing pages is the web server's job)"
            ),
        )
    )
    return out
