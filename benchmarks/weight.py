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


#: The scripts server-functions.js loads with the page where it needs them (its
#: ``load()``): the data attribute naming each, and what on the page makes it load.
#: (htmx's hx-sse, ``data-sse``, loads only when a streaming form is first sent.)
ON_DEMAND = {
    "data-live": (r"<form\b[^>]*\bdata-sf-live\b",),
    "data-upload": (
        r"<form\b[^>]*\bdata-sf-stream\b",
        r"<form\b(?=[^>]*\bdata-sf-form\b)[^>]*\benctype=\"multipart",
        r"\bdata-sf-cancel\b",
    ),
}


def script_urls(html: str) -> tuple[list[str], list[str]]:
    """The scripts a page loads: its ``<script src>`` tags, and those the extension's
    script loads on demand for what the page has (live, upload and streaming forms)."""
    tags = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"[^>]*>", html)
    own = re.search(r"<script\b[^>]*\bsrc=\"[^\"]*server-functions(?:\.min)?\.js[^>]*>", html)
    loaded = []
    for attribute, needs in ON_DEMAND.items():
        url = re.search(rf'\b{attribute}="([^"]+)"', own.group(0)) if own else None
        if url and any(re.search(need, html) for need in needs):
            loaded.append(url.group(1))
    return re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", html) if not tags else tags, loaded


def bench_weight(quick: bool) -> list[Result]:
    from flask_server_functions.htmx import HTMX_VERSION

    from .server_app import create_app

    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        app = create_app({"DATABASE": os.path.join(tmp, "w.sqlite"), "TESTING": True})
        client = app.test_client()
        page = client.get("/").get_data(as_text=True)
        tags, on_demand = script_urls(page)
        srcs = tags + on_demand
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
    always = {os.path.basename(urlsplit(src).path) for src in tags}
    always_gz = sum(len(gzip.compress(d, 9)) for n, d in scripts.items() if n in always)
    out.append(
        Result(
            "5 client weight",
            f"the {len(always)} scripts every page loads (gz) vs htmx {HTMX_VERSION} alone",
            f"{_kib(always_gz)} gz",
            f"{_kib(htmx_gz)} gz",
            always_gz / htmx_gz if htmx_gz else None,
            "≤ htmx + 2 KiB gz",
            bool(htmx_gz) and always_gz <= budget,
            note=f"{always_gz - htmx_gz} B gzipped beyond htmx (budget 2048 B)",
        )
    )
    out.append(
        Result(
            "5 client weight",
            f"all {len(scripts)} scripts the example page loads (gz), with those loaded"
            " on demand for its live and upload forms",
            f"{_kib(total_raw)} raw, {_kib(total_gz)} gz",
            f"{_kib(htmx_gz)} gz",
            total_gz / htmx_gz if htmx_gz else None,
            note=(
                f"{total_gz - htmx_gz} B gzipped beyond htmx; scripts of the example page `/`,"
                " fetched as served; gzip level 9; on demand: "
                + (", ".join(os.path.basename(urlsplit(s).path) for s in on_demand) or "none")
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
    tags, on_demand = script_urls(html)
    links = [("script", s) for s in tags + on_demand]
    links += [("style", s) for s in re.findall(r"<link\b[^>]*\bhref=\"([^\"]+\.css[^\"]*)\"", html)]
    for kind, src in links:
        url = urlsplit(src)
        resp = client.get(url.path, query_string=url.query, headers=headers)
        resp.direct_passthrough = False
        encoding = resp.headers.get("Content-Encoding", "identity")
        out[f"{os.path.basename(url.path)} ({encoding})"] = (kind, len(resp.get_data()))
        resp.close()
    return out


#: Next.js 16's UpdateName ``<form>`` (a Server Action with useActionState), measured
#: in issue 16 (its page cannot be built here: no Node toolchain in the benchmarks).
NEXTJS_FORM_BYTES = 435


def bench_wire(quick: bool) -> list[Result]:
    """Benchmark 8: bytes on the wire for the example page, as served."""
    from .server_app import create_app

    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        app = create_app({"DATABASE": os.path.join(tmp, "w.sqlite"), "TESTING": True})
        client = app.test_client()
        sf = _fetch_all(client, "/")
        page_html = client.get("/").get_data(as_text=True)
        plain = _fetch_all(client, "/_bench/page")
    out = [
        Result("8 bytes on the wire", f"{name}: {kind}", f"{size:,} B")
        for name, (kind, size) in sf.items()
    ]
    scripts = sum(size for kind, size in sf.values() if kind == "script")
    form = re.search(r"<form\b.*?</form>", page_html, re.S)  # UpdateName, the page's first
    form_bytes = len(form.group(0).encode()) if form else 0
    plain_scripts = sum(size for kind, size in plain.values() if kind == "script")
    out.append(
        Result(
            "8 bytes on the wire",
            "all scripts of the example page, with those loaded on demand (Accept-Encoding:"
            " gzip, br)",
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
    out.append(
        Result(
            "8 bytes on the wire",
            "the UpdateName <form>…</form> vs Next.js 16's (435 B, issue 16)",
            f"{form_bytes:,} B",
            f"{NEXTJS_FORM_BYTES} B",
            form_bytes / NEXTJS_FORM_BYTES,
            "≤ 1.2x",
            0 < form_bytes <= 1.2 * NEXTJS_FORM_BYTES,
            note=(
                "the example's name form as the page renders it: live validation"
                " (data-sf-live and a hidden error element) and the no-JS landing page"
                " (?_sf_next=) included; the saved name it starts from is computed on the"
                " server (a callable initial_state), so it carries no _sf_state"
            ),
        )
    )
    return out
