"""The signatures of tokens: HMAC-SHA256 with a timestamp, spelled one way only.

itsdangerous's :class:`~itsdangerous.TimestampSigner` (the way Flask signs its
session), with three changes, none of which weakens a check:

* the tag is HMAC-SHA256 truncated to 128 bits (:class:`HMAC128`), as RFC 2104 and
  NIST SP 800-107 allow: forging one still takes 2^128 tries, and every form carries
  shorter strings;
* each derived key is computed once, not per call (:class:`Signer`);
* a token is accepted only in its canonical spelling (:func:`canonical_token`):
  unpadded URL-safe base64 has several spellings of the same bytes, and four
  spellings of one token would be four one-time keys.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
import time
import typing as t

from itsdangerous import SignatureExpired, TimestampSigner
from itsdangerous.signer import HMACAlgorithm

#: Bytes of HMAC-SHA256 kept in a signature (128 bits).
SIGNATURE_BYTES = 16
#: Seconds a token may seem to come from the future: the clocks of the hosts behind
#: one load balancer differ a little (the leeway JWT libraries give, too).
CLOCK_SKEW = 60

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def b64decode(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


def is_canonical(segment: str) -> bool:
    """Whether ``segment`` is the one spelling of its bytes in unpadded URL-safe base64:
    only the alphabet (no ``=``), a possible length, and no unused low bits set in
    the last character (which the decoder would ignore)."""
    if not _BASE64URL.fullmatch(segment):
        return False
    rest = len(segment) % 4
    if rest == 0:
        return True
    if rest == 1:
        return False
    unused = 0b1111 if rest == 2 else 0b11  # 4 bits left over of 12, or 2 of 18
    return not _ALPHABET.index(segment[-1]) & unused


def canonical_token(token: str, *, payload_is_base64: bool) -> bool:
    """Whether each base64 part of a signed ``token`` is spelled canonically."""
    value, _, rest = token.rpartition(".")
    value, _, stamp = value.rpartition(".")
    if not (is_canonical(stamp) and is_canonical(rest)):
        return False
    if payload_is_base64:
        return is_canonical(value)
    return "~" not in value or is_canonical(value.partition("~")[2])


class HMAC128(HMACAlgorithm):
    """HMAC-SHA256, its tag truncated to :data:`SIGNATURE_BYTES` (compared in
    constant time by itsdangerous, against the truncated tag)."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return super().get_signature(key, value)[:SIGNATURE_BYTES]


class Signer(TimestampSigner):
    """itsdangerous's timestamp signer with :class:`HMAC128`, deriving each key once
    instead of per call, and tolerating :data:`CLOCK_SKEW` for tokens minted by a host
    whose clock is ahead.

    The derivation (an HMAC of the salt) depends only on the key and the salt, so
    caching it changes no signature; it saves one HMAC per sign and verify.
    """

    def __init__(self, keys: list[str | bytes], salt: str) -> None:
        super().__init__(
            keys,  # type: ignore[arg-type]  # a list of both kinds, as Flask's own
            salt=salt,
            key_derivation="hmac",
            digest_method=hashlib.sha256,
            algorithm=HMAC128(hashlib.sha256),
        )
        self._derived: dict[str | bytes, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        if secret_key is None:
            secret_key = self.secret_keys[-1]
        derived = self._derived.get(secret_key)
        if derived is None:
            derived = self._derived[secret_key] = super().derive_key(secret_key)
        return derived

    def unsign_stamped(self, value: str | bytes) -> tuple[bytes, float]:
        """Verify ``value``'s signature; its payload and when it was signed."""
        payload, signed = self.unsign(value, max_age=None, return_timestamp=True)
        return payload, signed.timestamp()

    def unsign_within(self, value: str | bytes, max_age: int | None) -> bytes:
        """Verify ``value``; refuse it if older than ``max_age`` or newer than now
        plus :data:`CLOCK_SKEW` (both :class:`SignatureExpired`)."""
        payload, signed = self.unsign_stamped(value)
        check_age(payload, signed, max_age)
        return payload


def check_age(payload: t.Any, signed: float, max_age: int | None) -> None:
    """:raises SignatureExpired: signed more than ``max_age`` seconds ago, or more than
    :data:`CLOCK_SKEW` seconds in the future."""
    if max_age is None:
        return
    age = time.time() - signed
    if age > max_age or age < -CLOCK_SKEW:
        raise SignatureExpired(
            f"Signature age {age:.0f} s is outside [-{CLOCK_SKEW}, {max_age}]",
            payload=payload,
            date_signed=datetime.datetime.fromtimestamp(signed, datetime.timezone.utc),
        )
