"""Opaque, signed references to server functions (React's ``$$id``).

A reference names a registered function and carries the values bound to it. It is
serialised into a URL-safe token and signed with the app's ``SECRET_KEY`` the way
Flask signs its session: itsdangerous, a dedicated salt, HMAC key derivation, the
current key plus ``SECRET_KEY_FALLBACKS``. The token is the last path segment of
the form's ``action``; nothing else identifies the function.

Bound values are also *sealed*: encrypted with AES-GCM under a key derived from
the secret key, so the client can neither read nor change them. The signature
covers the whole token (and its timestamp); the encryption adds confidentiality.

Layers, as in itsdangerous: :class:`ReferenceCodec` turns a (function id, bound
values) pair into a signed token and back; it knows nothing of Flask's request.

Token layout (URL-safe)::

    <function id>.<timestamp>.<signature>                  nothing bound
    <function id>~<base64(nonce + AES-GCM(json))>.<timestamp>.<signature>

The signatures (HMAC-SHA256, truncated to 128 bits) and their canonical spelling
are :mod:`.signing`'s.

What a token says never changes, only its age: the codec remembers the tokens it
verified lately (:data:`VERIFIED_CACHE`, checking their age on every call) and the
tokens it signed lately (:data:`SIGNED_CACHE`, re-signing when one is older than a
small part of ``max_age``), so a form posted again, or rendered again, costs no
cryptography. Both are bounded; only tokens this app signed enter them.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import os
import time
import typing as t

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import json as flask_json
from itsdangerous import BadSignature, SignatureExpired

from .errors import ExpiredReference, InvalidReference
from .signing import Signer, b64decode, b64encode, canonical_token, check_age, is_canonical

#: The itsdangerous salt of reference tokens: a token is valid for nothing else.
REFERENCE_SALT = "flask-server-functions.reference"
#: The salt of the signed previous-state field a form carries.
STATE_SALT = "flask-server-functions.state"
#: The salt of the one-time submission keys of idempotent forms.
ONCE_SALT = "flask-server-functions.once"
#: Derives the encryption key of bound values from a secret key.
SEAL_CONTEXT = b"flask-server-functions.seal"
#: Verified tokens remembered (the oldest is forgotten first).
VERIFIED_CACHE = 1024
#: Signed tokens remembered, for bound values up to :data:`SIGNED_CACHE_VALUES` bytes.
SIGNED_CACHE = 4096
SIGNED_CACHE_VALUES = 512


def _to_bytes(key: str | bytes) -> bytes:
    return key.encode() if isinstance(key, str) else key


_CANONICAL = json.JSONEncoder(separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def encode_sealed(sealed: t.Mapping[str, t.Any]) -> bytes:
    """What a token seals, as canonical JSON: the same values, the same bytes."""
    return _CANONICAL.encode(sealed).encode()


def secret_keys(config: t.Mapping[str, t.Any]) -> list[str | bytes]:
    """The app's keys, oldest first, as itsdangerous wants them (it signs with the last)."""
    key = config.get("SECRET_KEY")
    if not key:
        raise RuntimeError(
            "Flask-Server-Functions signs references with the app's SECRET_KEY, and"
            " it is not set. Set app.config['SECRET_KEY'] (for example from an"
            " environment variable) before handling requests."
        )
    fallbacks = config.get("SECRET_KEY_FALLBACKS") or []
    if isinstance(fallbacks, (str, bytes)):
        raise RuntimeError(
            "SECRET_KEY_FALLBACKS must be a list of old keys, not one string"
            " (SECRET_KEY_FALLBACKS = ['old-key'])."
        )
    if not all(fallbacks):
        raise RuntimeError(
            "SECRET_KEY_FALLBACKS holds an empty key: anyone could sign tokens and"
            " sealed values with it. Remove it."
        )
    return [*fallbacks, key]


def _flat(value: t.Any) -> bool:
    """A scalar, or a dict of scalars (so a copy of the dict shares nothing mutable)."""
    if value.__class__ is dict:
        return all(v.__class__ in (str, int, float, bool) or v is None for v in value.values())
    return value.__class__ in (str, int, float, bool) or value is None


def remember(cache: dict[t.Any, t.Any], key: t.Any, value: t.Any, size: int) -> None:
    """``cache[key] = value``, forgetting the oldest entry past ``size``."""
    if len(cache) >= size:
        try:
            del cache[next(iter(cache))]
        except (KeyError, RuntimeError, StopIteration):  # another thread got there first
            pass
    cache[key] = value


class ReferenceCodec:
    """Signs and verifies reference tokens for one app (one set of keys).

    :param keys: secret keys, oldest first; tokens are signed with the last and
        verified with any (key rotation, as ``SECRET_KEY_FALLBACKS``).
    :param max_age: seconds a token stays valid, or ``None`` for no limit.
    """

    def __init__(self, keys: list[str | bytes], *, max_age: int | None) -> None:
        self.max_age = max_age
        self._signer = Signer(keys, REFERENCE_SALT)
        self._state_signer = Signer(keys, STATE_SALT)
        self._once_signer = Signer(keys, ONCE_SALT)
        # token -> (function id, sealed JSON or b"", when signed, its values if flat)
        self._verified: dict[str, tuple[str, bytes, float, dict[str, t.Any] | None]] = {}
        # (function id, sealed JSON) -> (token, when signed)
        self._signed: dict[tuple[str, bytes], tuple[str, float]] = {}
        self._refresh_after = min(3600.0, (max_age or 36000) / 10)
        # Newest key first: seal with it, try it first when opening.
        self._ciphers = [
            AESGCM(hmac.new(_to_bytes(k), SEAL_CONTEXT, hashlib.sha256).digest())
            for k in reversed(keys)
        ]

    def _seal(self, data: bytes) -> bytes:
        nonce = os.urandom(12)
        return b64encode(nonce + self._ciphers[0].encrypt(nonce, data, None))

    def _open(self, sealed: bytes) -> bytes:
        raw = b64decode(sealed)
        nonce, ciphertext = raw[:12], raw[12:]
        for cipher in self._ciphers:
            try:
                return cipher.decrypt(nonce, ciphertext, None)
            except InvalidTag:
                continue
        raise InvalidReference()

    def dumps(self, function_id: str, sealed: t.Mapping[str, t.Any] | None = None) -> str:
        """The token for ``function_id`` with ``sealed`` (bound values and render
        options, see :meth:`Reference.sealed`) encrypted into it."""
        return self.dumps_json(function_id, encode_sealed(sealed) if sealed else b"")

    def dumps_json(self, function_id: str, plaintext: bytes) -> str:
        """:meth:`dumps`, for values already encoded by :func:`encode_sealed`."""
        key = (function_id, plaintext)
        now = time.time()
        cached = self._signed.get(key)
        if cached is not None and 0 <= now - cached[1] < self._refresh_after:
            return cached[0]
        payload = function_id.encode()
        if plaintext:
            payload += b"~" + self._seal(plaintext)
        token = self._signer.sign(payload).decode()
        if len(plaintext) <= SIGNED_CACHE_VALUES:
            remember(self._signed, key, (token, now), SIGNED_CACHE)
        return token

    def loads(self, token: str) -> tuple[str, dict[str, t.Any]]:
        """Verify ``token``; return the function id and what was sealed with it.

        :raises ExpiredReference: the signature is valid but older than ``max_age``.
        :raises InvalidReference: anything else wrong with it.
        """
        function_id, sealed, _ = self.open(token)
        return function_id, sealed

    def open(self, token: str) -> tuple[str, dict[str, t.Any], bytes]:
        """:meth:`loads`, and the sealed values as :func:`encode_sealed` wrote them."""
        verified = self._verified.get(token)
        if verified is None:
            verified = self._verify(token)
            remember(self._verified, token, verified, VERIFIED_CACHE)
        function_id, plaintext, signed, flat = verified
        if flat is not None:  # scalars two levels down: copies of the dicts are enough
            sealed = (
                {k: dict(v) if v.__class__ is dict else v for k, v in flat.items()} if flat else {}
            )
        else:
            sealed = json.loads(plaintext) if plaintext else {}
        try:
            check_age(None, signed, self.max_age)
        except SignatureExpired as e:
            expired = ExpiredReference()
            # lets the no-JS path find the form to explain it in
            expired.reference = function_id, sealed
            raise expired from e
        return function_id, sealed, plaintext

    def _verify(self, token: str) -> tuple[str, bytes, float, dict[str, t.Any] | None]:
        """The function id, sealed JSON (opened) and signing time of a token of ours.

        :raises InvalidReference: not canonical, not signed by us, or not sealed by us.
        """
        if not canonical_token(token, payload_is_base64=False):
            raise InvalidReference()
        try:
            payload, signed = self._signer.unsign_stamped(token)
        except (BadSignature, UnicodeError, ValueError) as e:
            raise InvalidReference() from e
        function_id, sep, sealed = payload.partition(b"~")
        try:
            plaintext = self._open(sealed) if sep else b""
            opened = json.loads(plaintext) if plaintext else {}
            if not isinstance(opened, dict):
                raise TypeError
            flat = opened if all(map(_flat, opened.values())) else None
            return function_id.decode("ascii"), plaintext, signed, flat
        except (binascii.Error, ValueError, TypeError) as e:  # pragma: no cover
            raise InvalidReference() from e  # signed by us: only a leaked key gets here

    def dumps_state(self, state: t.Any, key: str) -> str:
        """Sign a previous state for the form ``key`` (:attr:`Reference.key`), so the
        client can neither change it nor hand it to another form: the signature covers
        ``key`` too, which is not written (the form knows it). Encoded with
        ``flask.json``, as the session that keeps it without JavaScript (dates, decimals)."""
        payload = b64encode(flask_json.dumps(state, separators=(",", ":")).encode())
        signed = self._state_signer.sign(key.encode() + b":" + payload)
        return signed[len(key) + 1 :].decode()

    def loads_state(self, value: str, key: str) -> t.Any:
        try:
            if not canonical_token(value, payload_is_base64=True):
                raise BadSignature("not canonical")
            payload = self._state_signer.unsign_within(f"{key}:{value}", self.max_age)
            return json.loads(b64decode(payload[len(key) + 1 :]))
        except SignatureExpired as e:
            raise ExpiredReference() from e
        except (BadSignature, UnicodeError, ValueError, TypeError, binascii.Error) as e:
            raise InvalidReference(
                "The form's state was changed, is damaged or belongs to another form."
            ) from e

    def sign_once(self, nonce: str, key: str) -> str:
        """A one-time submission key for the form ``key``: ``nonce`` and its signature,
        so that a key is valid for that form only."""
        signature = self._once_signer.get_signature(f"{key}:{nonce}").decode()
        return f"{nonce}.{signature}"

    def verify_once(self, value: str, key: str) -> bool:
        """Whether ``value`` is a one-time key :meth:`sign_once` made for the form ``key``."""
        nonce, _, signature = value.rpartition(".")
        if not nonce or not is_canonical(signature):
            return False
        return self._once_signer.verify_signature(f"{key}:{nonce}", signature)
