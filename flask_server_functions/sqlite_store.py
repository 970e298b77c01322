"""The default store: one SQLite file shared by every worker process of one host.

Python's own ``sqlite3`` in WAL mode; every write is one ``BEGIN IMMEDIATE``
transaction, so a claim is atomic across processes (and survives a worker killed
mid-request: SQLite rolls its transaction back). Bounded like every store
(:mod:`.stores`): at most ``max_entries`` keys per namespace, each at most
``max_value`` bytes, each for its TTL. A claim's input fingerprint is a column of
its row, written by the claim's own transaction.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import typing as t

from .stores import MAX_VALUE, check_size, encode, full

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entry (
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT,
    expires REAL NOT NULL,
    fingerprint TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (ns, key)
);
CREATE INDEX IF NOT EXISTS entry_expires ON entry (ns, expires);
"""
#: A file made before claims kept their input's fingerprint gets the column.
_ADD_FINGERPRINT = "ALTER TABLE entry ADD COLUMN fingerprint TEXT NOT NULL DEFAULT ''"


def _has_fingerprint(conn: sqlite3.Connection) -> bool:
    return any(row[1] == "fingerprint" for row in conn.execute("PRAGMA table_info(entry)"))


class SQLiteStore:
    """A store in an SQLite file, shared by the processes of one host.

    :param path: the database file (made, with its folder, on first use).
    :param namespace: keeps this store's keys apart from others in the same file.
    :param max_entries: the most keys it holds.
    :param evict: when full, drop the key that expires first instead of refusing.
    :param max_value: the largest value it takes (bytes, encoded).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        namespace: str = "once",
        max_entries: int = 100_000,
        evict: bool = False,
        max_value: int = MAX_VALUE,
    ) -> None:
        self.path = os.fspath(path)
        self.namespace = namespace
        self.max_entries = max_entries
        self.evict = evict
        self.max_value = max_value
        self._local = threading.local()

    def sibling(self, *, max_entries: int = 10_000, evict: bool = True) -> SQLiteStore:
        """A store in the same file, apart from this one (for kept no-JS state)."""
        return SQLiteStore(
            self.path,
            namespace=f"{self.namespace}-kept",
            max_entries=max_entries,
            evict=evict,
            max_value=self.max_value,
        )

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork: never shared by processes)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(_SCHEMA)
            if not _has_fingerprint(conn):
                try:
                    conn.execute(_ADD_FINGERPRINT)
                except sqlite3.OperationalError:  # another process added it first
                    if not _has_fingerprint(conn):
                        raise
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _write(self, work: t.Callable[[sqlite3.Connection, float], bool]) -> bool:
        conn = self._db()
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = work(conn, time.time())
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return done

    def _make_room(self, conn: sqlite3.Connection, now: float) -> None:
        ns = self.namespace
        (count,) = conn.execute("SELECT COUNT(*) FROM entry WHERE ns = ?", (ns,)).fetchone()
        if count < self.max_entries:
            return
        conn.execute("DELETE FROM entry WHERE ns = ? AND expires <= ?", (ns, now))
        (count,) = conn.execute("SELECT COUNT(*) FROM entry WHERE ns = ?", (ns,)).fetchone()
        if count < self.max_entries:
            return
        if not self.evict:
            raise full()
        conn.execute(
            "DELETE FROM entry WHERE ns = ? AND key IN (SELECT key FROM entry WHERE ns = ?"
            " ORDER BY expires LIMIT ?)",
            (ns, ns, count - self.max_entries + 1),
        )

    def claim(self, key: str, ttl: int, fingerprint: str = "") -> bool:
        def work(conn: sqlite3.Connection, now: float) -> bool:
            row = conn.execute(
                "SELECT expires FROM entry WHERE ns = ? AND key = ?", (self.namespace, key)
            ).fetchone()
            if row is not None and row[0] > now:
                return False
            if row is None:
                self._make_room(conn, now)
            conn.execute(
                "INSERT OR REPLACE INTO entry (ns, key, value, expires, fingerprint)"
                " VALUES (?, ?, NULL, ?, ?)",
                (self.namespace, key, now + ttl, fingerprint),
            )
            return True

        return self._write(work)

    def save(self, key: str, outcome: dict[str, t.Any], ttl: int) -> None:
        encoded = encode(outcome)
        check_size(encoded, self.max_value)

        def work(conn: sqlite3.Connection, now: float) -> bool:
            known = conn.execute(
                "SELECT 1 FROM entry WHERE ns = ? AND key = ?", (self.namespace, key)
            ).fetchone()
            if known is None:
                self._make_room(conn, now)
            conn.execute(  # the claim's fingerprint stays
                "INSERT INTO entry (ns, key, value, expires) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value,"
                " expires = excluded.expires",
                (self.namespace, key, encoded, now + ttl),
            )
            return True

        self._write(work)

    def _row(self, key: str) -> tuple[str | None, str] | None:
        """(encoded outcome: None while claimed, fingerprint) of ``key``, if it lives."""
        row = (
            self._db()
            .execute(
                "SELECT value, fingerprint FROM entry WHERE ns = ? AND key = ? AND expires > ?",
                (self.namespace, key, time.time()),
            )
            .fetchone()
        )
        return None if row is None else (row[0], row[1])

    def get(self, key: str) -> dict[str, t.Any] | None:
        row = self._row(key)
        if row is None or row[0] is None:
            return None
        return t.cast(dict[str, t.Any], json.loads(row[0]))

    def fingerprint(self, key: str) -> str | None:
        row = self._row(key)
        return None if row is None else row[1]

    def release(self, key: str) -> None:
        self._write(
            lambda conn, now: bool(
                conn.execute(
                    "DELETE FROM entry WHERE ns = ? AND key = ?", (self.namespace, key)
                ).rowcount
            )
        )

    def size(self) -> tuple[int, int]:
        """(keys, bytes of values) this namespace holds now, expired ones included."""
        count, held = (
            self._db()
            .execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(value AS BLOB))), 0) FROM entry"
                " WHERE ns = ?",
                (self.namespace,),
            )
            .fetchone()
        )
        return int(count), int(held)
