"""Stores: where idempotent outcomes and long no-JS input wait, with a TTL and a bound.

* :class:`SQLiteStore`: a file in the app's instance folder, shared by every worker
  process of one host (the default; Python's own ``sqlite3``, WAL mode).
* :class:`RedisStore`: shared by every worker and host.
* :class:`MemoryStore`: one process (tests).

Each holds at most ``max_entries`` keys of at most ``max_value`` bytes, each for its
TTL. Full of keys that are still live, a store either drops the soonest to expire
(``evict=True``: kept no-JS state, which is lost at worst) or refuses the new key
with :class:`~.errors.StoreUnavailable` (a 503; the default, for one-time claims,
which must never be forgotten before their outcome may be asked for again). A claim
keeps the fingerprint of the input it was made for (a fixed-size digest, written in
the same atomic step), for as long as its key lives. Any object with the five
methods of :class:`Store` works. Values are encoded with
``flask.json`` (:func:`encode`). Nothing here touches a request.
"""

from __future__ import annotations

import json
import threading
import time
import typing as t

from flask import json as flask_json

from .errors import StoreUnavailable

#: The largest value (encoded, in bytes) a store takes by default.
MAX_VALUE = 32 * 1024


class Store(t.Protocol):
    """Where outcomes of idempotent calls are kept, keyed by submission key."""

    def claim(self, key: str, ttl: int, fingerprint: str = "") -> bool:
        """Atomically claim ``key`` for ``ttl`` seconds, keeping ``fingerprint`` (of the
        input it is claimed for) with it; False if it was claimed already."""

    def save(self, key: str, outcome: dict[str, t.Any], ttl: int) -> None:
        """Store the outcome of the call that claimed ``key`` (its fingerprint stays)."""

    def get(self, key: str) -> dict[str, t.Any] | None:
        """The stored outcome, or None while the first call still runs (or never saved)."""

    def fingerprint(self, key: str) -> str | None:
        """The fingerprint ``key`` was claimed with (``""``: none), or None if no live
        claim or outcome has that key."""

    def release(self, key: str) -> None:
        """Forget ``key`` (its call was refused), so that a retry runs."""


def encode(value: dict[str, t.Any]) -> str:
    """``value`` as a store keeps it (``flask.json``); its length is what is bounded."""
    return flask_json.dumps(value, separators=(",", ":"))


def full() -> StoreUnavailable:
    return StoreUnavailable(
        "Too many forms are being submitted right now. Nothing was done: try again later."
    )


def check_size(encoded: str, max_value: int) -> None:
    if len(encoded.encode()) > max_value:
        raise ValueError(f"a stored value is limited to {max_value} bytes")


class MemoryStore:
    """An in-process store: correct for one process (development, tests).

    :param max_entries: the most keys it holds.
    :param evict: when full, drop the oldest key instead of refusing a new one.
    :param max_value: the largest value it takes (bytes, encoded).
    """

    _PENDING: t.Final = object()

    def __init__(
        self, *, max_entries: int = 10_000, evict: bool = False, max_value: int = MAX_VALUE
    ) -> None:
        self.max_entries = max_entries
        self.evict = evict
        self.max_value = max_value
        self._lock = threading.Lock()
        self._data: dict[str, tuple[float, t.Any]] = {}
        #: The fingerprint each claimed key was claimed with (its keys are _data's).
        self._fingerprints: dict[str, str] = {}

    def sibling(self, *, max_entries: int = 10_000, evict: bool = True) -> MemoryStore:
        """A store of the same kind, apart from this one (for kept no-JS state)."""
        return MemoryStore(max_entries=max_entries, evict=evict, max_value=self.max_value)

    def _make_room(self, now: float) -> None:
        if len(self._data) < self.max_entries:
            return
        for key in [k for k, (expires, _) in self._data.items() if expires <= now]:
            self._drop(key)
        while len(self._data) >= self.max_entries:
            if not self.evict:
                raise full()
            self._drop(next(iter(self._data)))  # the oldest key

    def _drop(self, key: str) -> None:
        self._data.pop(key, None)
        self._fingerprints.pop(key, None)

    def claim(self, key: str, ttl: int, fingerprint: str = "") -> bool:
        now = time.monotonic()
        with self._lock:
            entry = self._data.get(key)
            if entry is not None and entry[0] > now:
                return False
            self._drop(key)
            self._make_room(now)
            self._data[key] = (now + ttl, self._PENDING)
            self._fingerprints[key] = fingerprint
            return True

    def save(self, key: str, outcome: dict[str, t.Any], ttl: int) -> None:
        encoded = encode(outcome)
        check_size(encoded, self.max_value)
        now = time.monotonic()
        with self._lock:
            if key not in self._data:
                self._make_room(now)
            self._data[key] = (now + ttl, encoded)  # its claim's fingerprint stays

    def get(self, key: str) -> dict[str, t.Any] | None:
        with self._lock:
            entry = self._data.get(key)
        if entry is None or entry[1] is self._PENDING or entry[0] <= time.monotonic():
            return None
        return t.cast(dict[str, t.Any], json.loads(entry[1]))

    def fingerprint(self, key: str) -> str | None:
        with self._lock:
            entry = self._data.get(key)
            fingerprint = self._fingerprints.get(key, "")
        return None if entry is None or entry[0] <= time.monotonic() else fingerprint

    def release(self, key: str) -> None:
        with self._lock:
            self._drop(key)

    def size(self) -> tuple[int, int]:
        """(keys, bytes of values) held now."""
        with self._lock:
            values = [v for _, v in self._data.values() if isinstance(v, str)]
            return len(self._data), sum(len(v.encode()) for v in values)


# A key's value is "<fingerprint>\n<encoded outcome>" (no outcome while claimed), so
# the fingerprint is written with the claim, in one SET, and a save keeps it.
# KEYS: the key, the index (a sorted set of keys by expiry).
# ARGV: value ("" to claim), ttl, expiry time, now, max entries, evict ("1"), claim ("1"),
# fingerprint (of a claim).
_PUT = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
local known = redis.call('ZSCORE', KEYS[2], KEYS[1])
local old = redis.call('GET', KEYS[1])
if ARGV[7] == '1' and old then return 0 end
local fingerprint = ARGV[8]
if ARGV[7] ~= '1' and old then
  local at = string.find(old, '\\n', 1, true)
  fingerprint = at and string.sub(old, 1, at - 1) or ''
end
if not known then
  while redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) do
    if ARGV[6] ~= '1' then return -1 end
    local oldest = redis.call('ZPOPMIN', KEYS[2])
    redis.call('DEL', oldest[1])
  end
end
redis.call('SET', KEYS[1], fingerprint .. '\\n' .. ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
return 1
"""


class RedisStore:
    """A store in Redis, shared by every worker and host.

    :param client: a ``redis.Redis`` client (``redis.Redis.from_url(url)``).
    :param prefix: prefix of the keys it writes (and of its index, ``<prefix>index``).
    :param max_entries: the most keys it holds (counted in its index).
    :param evict: when full, drop the key that expires first instead of refusing.
    :param max_value: the largest value it takes (bytes, encoded).

    While Redis cannot be reached, every call raises
    :class:`~.errors.StoreUnavailable` (a 503 that says to try again). Give Redis
    persistence (``appendonly yes``) if one-time keys must survive its restart.
    """

    def __init__(
        self,
        client: t.Any,
        *,
        prefix: str = "server-functions:once:",
        max_entries: int = 100_000,
        evict: bool = False,
        max_value: int = MAX_VALUE,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.max_entries = max_entries
        self.evict = evict
        self.max_value = max_value
        self._put = client.register_script(_PUT)
        try:
            from redis.exceptions import RedisError
        except ImportError:  # pragma: no cover - a client of another library
            self._errors: tuple[type[Exception], ...] = (OSError,)
        else:
            self._errors = (RedisError, OSError)

    def sibling(self, *, max_entries: int = 10_000, evict: bool = True) -> RedisStore:
        """A store on the same Redis, apart from this one (for kept no-JS state)."""
        prefix = self.prefix.removesuffix("once:") + "kept:"
        return RedisStore(
            self.client,
            prefix=prefix if prefix != self.prefix else self.prefix + "kept:",
            max_entries=max_entries,
            evict=evict,
            max_value=self.max_value,
        )

    def _call(self, what: t.Callable[[], t.Any]) -> t.Any:
        try:
            return what()
        except self._errors as e:
            raise StoreUnavailable() from e

    def _store(self, key: str, value: str, ttl: int, *, claim: bool, fingerprint: str = "") -> bool:
        now = time.time()
        limits = [self.max_entries, int(self.evict), int(claim), fingerprint]
        args = [value, max(1, ttl), now + ttl, now, *limits]
        keys = [self.prefix + key, self.prefix + "index"]
        done = self._call(lambda: self._put(keys=keys, args=args))
        if done == -1:
            raise full()
        return bool(done)

    def claim(self, key: str, ttl: int, fingerprint: str = "") -> bool:
        return self._store(key, "", ttl, claim=True, fingerprint=fingerprint)

    def save(self, key: str, outcome: dict[str, t.Any], ttl: int) -> None:
        encoded = encode(outcome)
        check_size(encoded, self.max_value)
        self._store(key, encoded, ttl, claim=False)

    def _read(self, key: str) -> tuple[str, str] | None:
        """(fingerprint, encoded outcome: "" while claimed) of ``key``, if it lives."""
        value = self._call(lambda: self.client.get(self.prefix + key))
        if value is None:
            return None
        if isinstance(value, bytes):  # unless the client decodes responses itself
            value = value.decode()
        fingerprint, newline, outcome = value.partition("\n")
        if not newline:  # written before claims kept fingerprints: the outcome alone
            return "", value
        return fingerprint, outcome

    def get(self, key: str) -> dict[str, t.Any] | None:
        entry = self._read(key)
        if entry is None or not entry[1]:
            return None
        return t.cast(dict[str, t.Any], json.loads(entry[1]))

    def fingerprint(self, key: str) -> str | None:
        entry = self._read(key)
        return None if entry is None else entry[0]

    def release(self, key: str) -> None:
        self._call(lambda: self.client.delete(self.prefix + key))
        self._call(lambda: self.client.zrem(self.prefix + "index", self.prefix + key))


def wait_for(store: Store, key: str, timeout: float) -> dict[str, t.Any] | None:
    """Poll ``store`` for the outcome of ``key`` (bounded by ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        outcome = store.get(key)
        if outcome is not None or time.monotonic() >= deadline:
            return outcome
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
