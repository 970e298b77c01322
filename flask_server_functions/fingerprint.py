"""The fingerprint of a call's input, kept with its one-time key (Stripe's rule: a key
answers only the input it was first sent with).

A fixed-size digest whatever the body's size: an HMAC-SHA256 (64 hex digits), under
the app's secret key, of a canonical digest of every field and its values (in their
order; the fields' own order does not count), a JSON body's values as canonical
JSON, and each uploaded file's name, type, size and the SHA-256 of its bytes. Not
the one-time key itself, nor the extension's bookkeeping fields (:data:`NOT_INPUT`).
Keyed, so that the store (Redis, an SQLite file) holds nothing from which a short
input, a password among it, could be guessed offline. Nothing here touches a request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import typing as t

from werkzeug.datastructures import FileStorage, MultiDict

from .references import secret_keys
from .wire import HIDDEN_FIELDS, STATE_FIELD

#: The extension's fields a fingerprint leaves out: the one-time key itself and
#: bookkeeping (the landing page, the CSRF token, the no-JS confirmation). The signed
#: previous state is the function's input: it counts.
NOT_INPUT = HIDDEN_FIELDS - {STATE_FIELD}
#: What the HMAC is for, beside the app's secret key (as itsdangerous salts do).
SALT = b"flask-server-functions.input"


def input_fingerprint(form_data: MultiDict[str, t.Any], key: str | bytes) -> str:
    """The fingerprint of ``form_data`` under the secret ``key``."""
    return _keyed(key, input_digest(form_data))


def input_fingerprints(
    config: t.Mapping[str, t.Any], form_data: MultiDict[str, t.Any]
) -> tuple[str, ...]:
    """The fingerprint of ``form_data`` under each of the app's secret keys, the
    current ``SECRET_KEY`` first (the one a claim keeps); a replay matches any, so a
    key rotated between a call and its retry changes nothing."""
    digest = input_digest(form_data)
    return tuple(_keyed(key, digest) for key in reversed(secret_keys(config)))


def input_digest(form_data: MultiDict[str, t.Any]) -> bytes:
    """The canonical SHA-256 of ``form_data``, less :data:`NOT_INPUT` (unkeyed)."""
    digest = hashlib.sha256()

    def part(kind: str, text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        digest.update(f"{kind}{len(data)}:".encode() + data)

    for name in sorted(set(form_data) - NOT_INPUT):
        part("n", name)
        for value in form_data.getlist(name):
            if isinstance(value, FileStorage):
                part("f", json.dumps([value.filename, value.content_type, *_file_digest(value)]))
            elif isinstance(value, str):
                part("s", value)
            else:  # a JSON body's number, boolean, null, list or object
                part("j", json.dumps(value, sort_keys=True, separators=(",", ":")))
    return digest.digest()


def _keyed(key: str | bytes, digest: bytes) -> str:
    secret = key.encode() if isinstance(key, str) else key
    return hmac.new(secret, SALT + b"\x00" + digest, hashlib.sha256).hexdigest()


def _file_digest(file: FileStorage) -> tuple[int, str]:
    """The size and SHA-256 of an uploaded file's bytes; the stream is rewound to where
    it was, for the function (unseekable: ``(-1, "")``, its name and type count)."""
    stream = file.stream
    try:
        start = stream.tell()
        stream.seek(0)
    except (AttributeError, OSError, ValueError):
        return -1, ""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(64 * 1024):
        data = chunk.encode() if isinstance(chunk, str) else chunk
        digest.update(data)
        size += len(data)
    stream.seek(start)
    return size, digest.hexdigest()


def differs(stored: str | None, fingerprints: t.Sequence[str]) -> bool:
    """Whether a key's stored fingerprint is of other input than ``fingerprints``' (a
    claim or outcome stored without one, or a call without any, is not compared)."""
    return bool(stored) and bool(fingerprints) and stored not in fingerprints
