"""The example's server functions."""

from __future__ import annotations

import time
import typing as t

from flask import current_app, session
from marshmallow import Schema, fields, pre_load, validate
from werkzeug.datastructures import FileStorage

from flask_server_functions import ServerFunctions, refuse
from flask_server_functions.schemas import File

from . import db

sf = ServerFunctions()


def _maybe_slow() -> None:
    delay = current_app.config.get("EXAMPLE_SLOW_SECONDS") or 0
    if delay:
        time.sleep(delay)


@sf.function(template="partials/name_form.html")
def update_name(name: str) -> dict[str, t.Any]:
    """The seed example: save a name, or say it is required."""
    _maybe_slow()
    name = name.strip()
    if not name:
        return {"error": "Name is required", "name": None}
    db.set_setting("name", name)
    return {"error": None, "name": name}


class NoteText(Schema):
    """A note's text: trimmed, then 1 to 200 characters."""

    @pre_load
    def strip(self, data: dict[str, t.Any], **kwargs: t.Any) -> dict[str, t.Any]:
        if isinstance(data.get("text"), str):
            data = {**data, "text": data["text"].strip()}
        return data

    text = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, error="Write something first."),
            validate.Length(max=200, error="Keep it under 200 characters."),
        ],
    )


class NewNote(NoteText):
    """A new note: its text, and an optional image."""

    image = File(
        max_size=2 * 1024 * 1024,
        content_types=["image/png", "image/jpeg", "image/gif", "image/webp"],
        load_default=None,
    )


NOTES_LIST = {"notes-list": "partials/notes_list.html"}


@sf.function(
    template="partials/note_add.html",
    schema=NewNote,
    refresh=NOTES_LIST,
    trigger="notes-changed",
    max_body=3 * 1024 * 1024,
    idempotent=True,
)
def add_note(text: str, image: FileStorage | None = None) -> dict[str, t.Any]:
    """Add a note (with an image, if one was chosen). A replayed submission adds nothing."""
    _maybe_slow()
    filename = db.save_upload(image) if image is not None else None
    note_id = db.add_note(text, image=filename)
    return {"added": note_id}


@sf.function(refresh=NOTES_LIST, trigger="notes-changed")
def delete_note(note_id: int) -> dict[str, t.Any]:
    """Delete one note: used through server_button(), bound to the note's id."""
    _maybe_slow()
    return {"deleted": db.delete_note(note_id)}


@sf.function(template="partials/note_rename.html", schema=NoteText)
def rename_note(note_id: int, text: str) -> dict[str, t.Any]:
    _maybe_slow()
    if not db.rename_note(note_id, text):  # deleted meanwhile (another tab)
        refuse("This note no longer exists.", 404)
    return {"text": text, "renamed": True}


def is_admin() -> bool:
    """The example's guard. A real app would check its logged-in user here."""
    return bool(session.get("admin"))


@sf.function(template="partials/admin_toggle.html")
def toggle_admin() -> dict[str, t.Any]:
    """Demo only: become (or stop being) the admin, to try the guarded function."""
    session["admin"] = not session.get("admin")
    return {"admin": session["admin"]}
