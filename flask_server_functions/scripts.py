"""``server_functions_scripts()``: the tags a page's ``<head>`` needs.

htmx (unless the app loads its own), the extension's script and its stylesheet, each
at its versioned URL (:func:`.assets.asset_url`), with the request's CSP nonce. The
tags are the same on every page but for the nonce: they are made once per script
root (and host, with host or subdomain matching), at most :data:`SCRIPT_TAGS_MAX`
variants per app. They are made afresh on every page in debug mode (a changed file
gets a new URL), outside a request, and when the app has ``url_defaults`` hooks,
which could put the request's own values in the URLs.
"""

from __future__ import annotations

import typing as t

from flask import Flask, current_app, g, has_request_context, request
from markupsafe import Markup, escape

from .assets import asset_url
from .config import AppState, app_state
from .templating import attributes

#: htmx 2's config: no inline indicator styles (the served stylesheet has them).
_HTMX2_CONFIG = '{"includeIndicatorStyles": false}'
#: Upload progress and cancel, loaded by server-functions.js where a page needs it.
UPLOAD_JS = "server-functions-upload"

#: The most variants of the script tags kept per app (script roots, hosts).
SCRIPT_TAGS_MAX = 32
#: Where the nonce goes in the kept tags (no URL or attribute has it).
_NONCE = "\x00nonce\x00"


def server_functions_scripts(*, nonce: str | None = None) -> Markup:
    """The ``<script>`` tags a page needs: htmx (unless the app loads its own, with
    ``SERVER_FUNCTIONS_HTMX = "external"``) and the extension's small script.

    Put it in the page's ``<head>``. Nothing it writes is inline, so it works under a
    strict Content-Security-Policy; the tags carry ``nonce``, else the request's
    (:func:`request_nonce`).
    """
    state = app_state()
    config = state.config
    nonce = nonce or request_nonce()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    key = _cache_key(app, config, bool(nonce))
    tags = None if key is None else state.script_tags.get(key)
    if tags is None:
        tags = _script_tags(state, _NONCE if nonce else None)
        if key is not None:
            if len(state.script_tags) >= SCRIPT_TAGS_MAX:
                state.script_tags.clear()
            state.script_tags[key] = tags
    return Markup(tags.replace(_NONCE, escape(nonce)) if nonce else tags)


def _cache_key(app: Flask, config: t.Mapping[str, t.Any], nonce: bool) -> tuple[t.Any, ...] | None:
    """What the tags depend on in this request, or None when they are made afresh:
    in debug mode (a changed file gets a new ``?v=``), outside a request, and when
    ``url_defaults`` hooks could add the request's own values to the URLs."""
    if app.debug or not has_request_context():
        return None
    hooks = app.url_default_functions
    if hooks.get(None) or hooks.get("server_functions"):
        return None
    host = request.host if app.url_map.host_matching or app.subdomain_matching else ""
    return (
        request.script_root,
        host,
        config["SERVER_FUNCTIONS_HTMX"],
        config["SERVER_FUNCTIONS_HTMX_DEBUG"],
        nonce,
    )


def _script_tags(state: AppState, nonce: str | None) -> str:
    config = state.config
    nonce_attr = {"nonce": nonce} if nonce else {}
    # Indicators stay hidden before htmx has loaded and with JavaScript off.
    href = asset_url("server-functions.css")
    tags = [f"<link {attributes({'rel': 'stylesheet', 'href': href, **nonce_attr})}>"]
    if not state.dialect.bundled_htmx:  # htmx 2 would add an inline <style> (CSP refuses it)
        tags.append(f"<meta {attributes({'name': 'htmx-config', 'content': _HTMX2_CONFIG})}>")
    debug = config["SERVER_FUNCTIONS_HTMX_DEBUG"]
    own = ".js" if debug else ".min.js"  # the extension's scripts, as htmx's: see tools/minify.py
    if config["SERVER_FUNCTIONS_HTMX"] == "bundled":
        filename = "htmx.js" if debug else "htmx.min.js"
        src = asset_url(f"vendor/htmx/{filename}")
        tags.append(f"<script {attributes({'src': src, 'defer': True, **nonce_attr})}></script>")
    events = {f"data-event-{k}": v for k, v in state.dialect.script_events().items()}
    if state.dialect.bundled_htmx:  # htmx 4: streaming, uploads, live forms: loaded where used
        for key, filename in (
            ("sse", "vendor/htmx/ext/hx-sse" + own),
            ("upload", UPLOAD_JS + own),
            ("live", "server-functions-live" + own),
        ):
            events[f"data-{key}"] = asset_url(filename)
    src = asset_url("server-functions" + own)
    tags.append(
        f"<script {attributes({'src': src, 'defer': True, **events, **nonce_attr})}></script>"
    )
    if state.dialect.event_before_swap:  # htmx 2: let error answers swap
        src = asset_url("server-functions-htmx2" + own)
        tags.append(f"<script {attributes({'src': src, 'defer': True, **nonce_attr})}></script>")
    return "\n".join(tags)


def request_nonce() -> str | None:
    """The CSP nonce the app gave this request: ``g.csp_nonce``, or Flask-Talisman's
    ``request.csp_nonce``."""
    nonce = g.get("csp_nonce") or getattr(request, "csp_nonce", None)
    return str(nonce) if nonce else None
