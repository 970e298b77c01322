"""Stores: where idempotent outcomes and long no-JS input wait, with a TTL and a bound.

:class:`MemoryStore` (one process: development, tests) and :class:`RedisStore`
(shared by every worker and host). Any object with the four methods of
:class:`Store` works. Values are encoded with ``flask.json`` (the app's JSON
provider: dates, decimals and UUIDs too). Nothing here touches a request.
"""

from __future__ import annotations

import json
import threading
import time
import typing as t

from flask import json as flask_json


class Store(t.Protocol):
    """Where outcomes of idempotent calls are kept, keyed by submission key."""

    def claim(self, key: str, ttl: int) -> bool:
        """Atomically claim ``key`` for ``ttl`` seconds; False if it was claimed already."""

    def save(self, key: str, outcome: dict[str, t.Any], ttl: int) -> None:
        """Store the outcome of the call that claimed ``key``."""

    def get(self, key: str) -> dict[str, t.Any] | None:
        """The stored outcome, or None while the first call still runs (or never saved)."""

    def release(self, key: str) -> None:
        """Forget ``key`` (its call was refused), so that a retry runs."""


class MemoryStore:
    """An in-process store: correct for one process (development, tests).

    :param max_entries: the most keys it holds; past it the oldest are dropped, so a
        flood of submissions cannot grow it without bound.
    """

    _PENDING: t.Final = object()

    def __init__(self, *, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._data: dict[str, tuple[float, t.Any]] = {}
        self._next_purge = 0.0

    def _purge(self, now: float) -> None:
        if now < self._next_purge:  # at most once a second, not on every claim
            return
        self._next_purge = now + 1.0
        for key in [k for k, (expires, _) in self._data.items() if expires <= now]:
            del self._data[key]

    def claim(self, key: str, ttl: int) -> bool:
        now = time.monotonic()
        with self._lock:
            self._purge(now)
            entry = self._data.get(key)
            if entry is not None and entry[0] > now:
                return False
            self._make_room()
            self._data[key] = (now + ttl, self._PENDING)
            return True

    def _make_room(self) -> None:
        while len(self._data) >= self.max_entries:
            del self._data[next(iter(self._data))]  # the oldest key

    def save(self, key: str, outcome: dict[str, t.Any], ttl: int) -> None:
        with self._lock:
            if key not in self._data:
                self._make_room()
            self._data[key] = (time.monotonic() + ttl, flask_json.dumps(outcome))

    def get(self, key: str) -> dict[str, t.Any] | None:
        with self._lock:
            entry = self._data.get(key)
        if entry is None or entry[1] is self._PENDING or entry[0] <= time.monotonic():
            return None
        return t.cast(dict[str, t.Any], json.loads(entry[1]))

    def release(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class RedisStore:
    """A store in Redis, shared by every worker and host.

    :param client: a ``redis.Redis`` client (``redis.Redis.from_url(url)``).
    :param prefix: prefix of the keys it writes.
    """

    def __init__(self, client: t.Any, *, prefix: str = "server-functions:once:") -> None:
        self.client = client
        self.prefix = prefix

    def claim(self, key: str, ttl: int) -> bool:
        return bool(self.client.set(self.prefix + key, b"", nx=True, ex=ttl))

    def save(self, key: str, outcome: dict[str, t.Any], ttl: int) -> None:
        self.client.set(self.prefix + key, flask_json.dumps(outcome), ex=ttl)

    def get(self, key: str) -> dict[str, t.Any] | None:
        value = self.client.get(self.prefix + key)
        if not value:
            return None
        return t.cast(dict[str, t.Any], json.loads(value))

    def release(self, key: str) -> None:
        self.client.delete(self.prefix + key)


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
