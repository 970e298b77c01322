"""The extension's static files, served pre-compressed and cached for good.

``GET {SERVER_FUNCTIONS_URL_PREFIX}/static/<file>`` (the ``server_functions.static``
endpoint) serves htmx and the extension's own script and stylesheet:

* **compressed**: the Brotli (``.br``) or gzip (``.gz``) copy the wheel was built with
  (``setup.py``), when the client's ``Accept-Encoding`` takes it, with
  ``Content-Encoding`` and ``Vary: Accept-Encoding``. A checkout without those copies
  (an editable install) compresses each file once per process instead; only the
  files shipped in ``static/`` are ever compressed, so that cache is bounded.
* **versioned**: :func:`asset_url` adds ``?v=<hash of the file>``; a request with the
  current hash is ``Cache-Control: public, max-age=31536000, immutable``, so no page
  load asks for it again, and a changed file gets a new URL. Any other request is
  revalidated (``no-cache`` with an ``ETag``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import mimetypes
import os
import typing as t

from flask import abort, request, send_file, url_for
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

STATIC_FOLDER = os.path.join(os.path.dirname(__file__), "static")
#: Types worth compressing (images and the like already are).
COMPRESSIBLE = (".js", ".css", ".map", ".svg", ".json", ".txt")
#: Encodings in order of preference, with the suffix of their pre-built copy.
ENCODINGS: tuple[tuple[str, str], ...] = (("br", ".br"), ("gzip", ".gz"))
IMMUTABLE = "public, max-age=31536000, immutable"

try:  # Brotli is optional at run time: the wheel ships .br copies built with it
    import brotli as _brotli
except ImportError:  # pragma: no cover - installed by the test extra
    _brotli = None

# (path, mtime) -> content hash; (path, mtime, encoding) -> compressed bytes.
_hashes: dict[tuple[str, float], str] = {}
_compressed: dict[tuple[str, float, str], bytes] = {}


def compress(data: bytes, encoding: str) -> bytes | None:
    """``data`` compressed as ``encoding`` (the same settings as the build), or None."""
    if encoding == "gzip":
        return gzip.compress(data, 9, mtime=0)
    if encoding == "br" and _brotli is not None:
        return t.cast(bytes, _brotli.compress(data, quality=11))
    return None


def _path(filename: str) -> str:
    path = safe_join(STATIC_FOLDER, filename)
    if path is None or not os.path.isfile(path) or path.endswith((".gz", ".br")):
        abort(404)
    return path


def asset_hash(filename: str) -> str:
    """A short hash of a static file's content: its version in :func:`asset_url`."""
    path = _path(filename)
    key = (path, os.path.getmtime(path))
    digest = _hashes.get(key)
    if digest is None:
        with open(path, "rb") as f:
            digest = _hashes[key] = hashlib.sha256(f.read()).hexdigest()[:12]
    return digest


def asset_url(filename: str) -> str:
    """The versioned URL of a static file (cached by browsers until it changes)."""
    return url_for("server_functions.static", filename=filename, v=asset_hash(filename))


def _encoded(path: str, mtime: float, encoding: str, suffix: str) -> bytes | None:
    """The file compressed as ``encoding``: the pre-built copy, else compressed once."""
    if os.path.isfile(path + suffix) and os.path.getmtime(path + suffix) >= mtime:
        with open(path + suffix, "rb") as f:
            return f.read()
    key = (path, mtime, encoding)
    if key not in _compressed:
        with open(path, "rb") as f:
            data = compress(f.read(), encoding)
        if data is None:
            return None
        _compressed[key] = data
    return _compressed[key]


def static_file(filename: str) -> Response:
    """The view: the file, compressed as the client accepts, cached if versioned."""
    path = _path(filename)
    mtime = os.path.getmtime(path)
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if mimetype.startswith("text/") or mimetype.endswith("javascript"):
        mimetype += "; charset=utf-8"
    body: bytes | None = None
    encoding = None
    if path.endswith(COMPRESSIBLE):
        accepted = request.accept_encodings
        for name, suffix in ENCODINGS:
            if accepted[name] and (body := _encoded(path, mtime, name, suffix)) is not None:
                encoding = name
                break
    if body is None:
        response = send_file(path, mimetype=mimetype, conditional=True, max_age=None)
    else:
        etag = f"{asset_hash(filename)}-{encoding}"
        response = send_file(
            io.BytesIO(body), mimetype=mimetype, etag=etag, last_modified=mtime, max_age=None
        )
        response.headers["Content-Encoding"] = encoding
    if path.endswith(COMPRESSIBLE):
        response.vary.add("Accept-Encoding")
    if request.args.get("v") == asset_hash(filename):
        response.headers["Cache-Control"] = IMMUTABLE
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response
