"""SQLite storage for the example: one connection per request, the schema made once per file."""

from __future__ import annotations

import os
import sqlite3
import typing as t
import uuid

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from werkzeug.datastructures import FileStorage

SCHEMA = """
CREATE TABLE IF NOT EXISTS note (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    text TEXT NOT NULL,
    image TEXT,
    created REAL NOT NULL DEFAULT (julianday('now'))
);
CREATE TABLE IF NOT EXISTS setting (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


#: The database files this process has made the schema in: once per file, not per
#: request (a file that is not there yet, or ``:memory:``, gets it on connecting).
_schema_made: set[str] = set()


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        path = current_app.config["DATABASE"]
        known = path in _schema_made and os.path.exists(path)
        conn = sqlite3.connect(path, timeout=10)
        conn.row_factory = sqlite3.Row
        if not known:
            _make_schema(conn)
            if path != ":memory:":
                _schema_made.add(path)
        g.db = conn
    return t.cast(sqlite3.Connection, g.db)


def _make_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)
    columns = {row["name"] for row in conn.execute("PRAGMA table_info(note)")}
    if "image" not in columns:  # a database made before notes had images
        conn.execute("ALTER TABLE note ADD COLUMN image TEXT")


def close_db(exc: BaseException | None = None) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_db() -> None:
    conn = get_db()
    conn.executescript("DROP TABLE IF EXISTS note; DROP TABLE IF EXISTS setting;")
    conn.executescript(SCHEMA)
    conn.commit()


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Empty the example's database (notes and the saved name)."""
    init_db()
    click.echo(f"Initialized the database at {current_app.config['DATABASE']}.")


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
    app.add_template_global(list_notes, "list_notes")
    app.add_template_global(count_notes, "count_notes")


def get_setting(key: str) -> str | None:
    row = get_db().execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
    return row["value"] if row else None


def set_setting(key: str, value: str) -> None:
    conn = get_db()
    conn.execute(
        "INSERT INTO setting (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
    conn.commit()


def list_notes(query: str = "") -> list[sqlite3.Row]:
    """The notes, newest first; with ``query``, only those whose text contains it."""
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql = "SELECT id, text, image FROM note WHERE text LIKE ? ESCAPE '\\' ORDER BY id DESC"
        return get_db().execute(sql, (pattern,)).fetchall()
    return get_db().execute("SELECT id, text, image FROM note ORDER BY id DESC").fetchall()


def count_notes() -> int:
    return t.cast(int, get_db().execute("SELECT count(*) FROM note").fetchone()[0])


def add_note(text: str, image: str | None = None) -> int:
    conn = get_db()
    cur = conn.execute("INSERT INTO note (text, image) VALUES (?, ?)", (text, image))
    conn.commit()
    return t.cast(int, cur.lastrowid)


_IMAGE_SUFFIXES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
}


def upload_folder() -> str:
    return os.path.join(current_app.instance_path, "uploads")


def save_upload(image: FileStorage) -> str:
    """Save an uploaded image under a random name in instance/uploads; return the name."""
    os.makedirs(upload_folder(), exist_ok=True)
    name = uuid.uuid4().hex + _IMAGE_SUFFIXES.get(image.mimetype, "")
    image.save(os.path.join(upload_folder(), name))
    return name


def delete_note(note_id: int) -> bool:
    """Delete a note and its uploaded image."""
    conn = get_db()
    images = [
        row["image"] for row in conn.execute("SELECT image FROM note WHERE id = ?", (note_id,))
    ]
    cur = conn.execute("DELETE FROM note WHERE id = ?", (note_id,))
    conn.commit()
    _remove_uploads(images)
    return cur.rowcount > 0


def _remove_uploads(names: list[str | None]) -> None:
    for name in names:
        if name:
            try:
                os.remove(os.path.join(upload_folder(), os.path.basename(name)))
            except FileNotFoundError:
                pass


def rename_note(note_id: int, text: str) -> bool:
    conn = get_db()
    cur = conn.execute("UPDATE note SET text = ? WHERE id = ?", (text, note_id))
    conn.commit()
    return cur.rowcount > 0


def clear_notes() -> int:
    """Delete every note and their uploaded images."""
    conn = get_db()
    images = [row["image"] for row in conn.execute("SELECT image FROM note")]
    cur = conn.execute("DELETE FROM note")
    conn.commit()
    _remove_uploads(images)
    return cur.rowcount
