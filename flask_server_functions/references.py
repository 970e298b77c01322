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
"""

from __future__ import annotations

import base64
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
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from .errors import ExpiredReference, InvalidReference

#: The itsdangerous salt of reference tokens: a token is valid for nothing else.
REFERENCE_SALT = "flask-server-functions.reference"
#: The salt of the signed previous-state field a form carries.
STATE_SALT = "flask-server-functions.state"
#: The salt of the one-time submission keys of idempotent forms.
ONCE_SALT = "flask-server-functions.once"
#: Derives the encryption key of bound values from a secret key.
SEAL_CONTEXT = b"flask-server-functions.seal"


def _to_bytes(key: str | bytes) -> bytes:
    return key.encode() if isinstance(key, str) else key


def _b64encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _b64decode(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


def _is_canonical(segment: str) -> bool:
    """Whether ``segment`` is the one spelling of its bytes in unpadded URL-safe base64
    (no ``=``, no unused low bits set in the last character)."""
    try:
        return _b64encode(_b64decode(segment.encode("ascii"))).decode("ascii") == segment
    except (ValueError, binascii.Error):
        return False


def _canonical_token(token: str, *, payload_is_base64: bool) -> bool:
    """Whether each base64 part of a signed ``token`` is spelled canonically: four
    spellings of one token would otherwise be accepted (and be four one-time keys)."""
    value, _, rest = token.rpartition(".")
    value, _, stamp = value.rpartition(".")
    segments = [stamp, rest]
    if payload_is_base64:
        segments.append(value)
    elif "~" in value:
        segments.append(value.partition("~")[2])
    return all(_is_canonical(s) for s in segments)


def _dumps(value: t.Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


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


#: Seconds a token may seem to come from the future: the clocks of the hosts behind
#: one load balancer differ a little (the leeway JWT libraries give, too).
CLOCK_SKEW = 60


class _Signer(TimestampSigner):
    """itsdangerous's timestamp signer, deriving each key once instead of per call,
    and tolerating :data:`CLOCK_SKEW` for tokens minted by a host whose clock is ahead.

    The derivation (an HMAC of the salt) depends only on the key and the salt, so
    caching it changes no signature; it saves one HMAC per sign and verify.
    """

    def unsign_within(self, value: str | bytes, max_age: int | None) -> bytes:
        """Verify ``value``; refuse it if older than ``max_age`` or newer than now
        plus :data:`CLOCK_SKEW` (both :class:`SignatureExpired`)."""
        payload, signed = self.unsign(value, max_age=None, return_timestamp=True)
        if max_age is not None:
            age = time.time() - signed.timestamp()
            if age > max_age or age < -CLOCK_SKEW:
                raise SignatureExpired(
                    f"Signature age {age:.0f} s is outside [-{CLOCK_SKEW}, {max_age}]",
                    payload=payload,
                    date_signed=signed,
                )
        return payload

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[str | bytes, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        if secret_key is None:
            secret_key = self.secret_keys[-1]
        derived = self._derived.get(secret_key)
        if derived is None:
            derived = self._derived[secret_key] = super().derive_key(secret_key)
        return derived


class ReferenceCodec:
    """Signs and verifies reference tokens for one app (one set of keys).

    :param keys: secret keys, oldest first; tokens are signed with the last and
        verified with any (key rotation, as ``SECRET_KEY_FALLBACKS``).
    :param max_age: seconds a token stays valid, or ``None`` for no limit.
    """

    def __init__(self, keys: list[str | bytes], *, max_age: int | None) -> None:
        self.max_age = max_age
        self._signer = _Signer(
            keys, salt=REFERENCE_SALT, key_derivation="hmac", digest_method=hashlib.sha256
        )
        self._state_signer = _Signer(
            keys, salt=STATE_SALT, key_derivation="hmac", digest_method=hashlib.sha256
        )
        self._once_signer = _Signer(
            keys, salt=ONCE_SALT, key_derivation="hmac", digest_method=hashlib.sha256
        )
        # Unbound references are the same for every render: sign them once and
        # re-sign only when a token is older than a small part of max_age.
        self._unbound: dict[str, tuple[str, float]] = {}
        self._refresh_after = min(3600.0, (max_age or 36000) / 10)
        # Newest key first: seal with it, try it first when opening.
        self._ciphers = [
            AESGCM(hmac.new(_to_bytes(k), SEAL_CONTEXT, hashlib.sha256).digest())
            for k in reversed(keys)
        ]

    def _seal(self, data: bytes) -> bytes:
        nonce = os.urandom(12)
        return _b64encode(nonce + self._ciphers[0].encrypt(nonce, data, None))

    def _open(self, sealed: bytes) -> bytes:
        raw = _b64decode(sealed)
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
        if not sealed:
            cached = self._unbound.get(function_id)
            now = time.time()
            if cached is not None and now - cached[1] < self._refresh_after:
                return cached[0]
            token = self._signer.sign(function_id.encode()).decode()
            self._unbound[function_id] = (token, now)
            return token
        payload = function_id.encode() + b"~" + self._seal(_dumps(sealed))
        return self._signer.sign(payload).decode()

    def loads(self, token: str) -> tuple[str, dict[str, t.Any]]:
        """Verify ``token``; return the function id and what was sealed with it.

        :raises ExpiredReference: the signature is valid but older than ``max_age``.
        :raises InvalidReference: anything else wrong with it.
        """
        if not _canonical_token(token, payload_is_base64=False):
            raise InvalidReference()
        try:
            payload = self._signer.unsign_within(token, self.max_age)
        except SignatureExpired as e:
            expired = ExpiredReference()
            if e.payload is not None:  # lets the no-JS path find the form to explain it in
                try:
                    expired.reference = self._parse(e.payload)
                except InvalidReference:  # pragma: no cover - signed by us
                    pass
            raise expired from e
        except (BadSignature, UnicodeError, ValueError) as e:
            raise InvalidReference() from e
        return self._parse(payload)

    def _parse(self, payload: bytes) -> tuple[str, dict[str, t.Any]]:
        function_id, sep, sealed = payload.partition(b"~")
        try:
            if not sep:
                return function_id.decode("ascii"), {}
            opened = json.loads(self._open(sealed))
            if not isinstance(opened, dict):
                raise TypeError
            return function_id.decode("ascii"), opened
        except (binascii.Error, ValueError, TypeError) as e:  # pragma: no cover
            raise InvalidReference() from e  # signed by us: only a leaked key gets here

    def dumps_state(self, state: t.Any, key: str) -> str:
        """Sign a previous state for the form ``key`` (:attr:`Reference.key`), so the
        client can neither change it nor hand it to another form. Encoded with
        ``flask.json``, as the session that keeps it without JavaScript (dates, decimals)."""
        payload = flask_json.dumps([key, state]).encode()
        return self._state_signer.sign(_b64encode(payload)).decode()

    def loads_state(self, value: str, key: str) -> t.Any:
        try:
            if not _canonical_token(value, payload_is_base64=True):
                raise BadSignature("not canonical")
            payload = self._state_signer.unsign_within(value, self.max_age)
            signed_key, state = json.loads(_b64decode(payload))
        except SignatureExpired as e:
            raise ExpiredReference() from e
        except (BadSignature, UnicodeError, ValueError, TypeError, binascii.Error) as e:
            raise InvalidReference("The form's state was changed or is damaged.") from e
        if signed_key != key:
            raise InvalidReference("The form's state belongs to another form.")
        return state

    def sign_once(self, nonce: str, key: str) -> str:
        """A one-time submission key for the form ``key``: ``nonce`` and its signature,
        so that a key is valid for that form only."""
        signature = self._once_signer.get_signature(f"{key}:{nonce}").decode()
        return f"{nonce}.{signature}"

    def verify_once(self, value: str, key: str) -> bool:
        """Whether ``value`` is a one-time key :meth:`sign_once` made for the form ``key``."""
        nonce, _, signature = value.rpartition(".")
        if not nonce or not _is_canonical(signature):
            return False
        return self._once_signer.verify_signature(f"{key}:{nonce}", signature)
