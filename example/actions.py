"""The example's server functions."""

from __future__ import annotations

import datetime
import time
import typing as t

from flask import current_app, session
from marshmallow import Schema, ValidationError, fields, pre_load, validate
from werkzeug.datastructures import FileStorage

from flask_server_functions import ServerFunctions, refuse
from flask_server_functions.schemas import File

from . import db

sf = ServerFunctions()


def _maybe_slow() -> None:
    delay = current_app.config.get("EXAMPLE_SLOW_SECONDS") or 0
    if delay:
        time.sleep(delay)


class Name(Schema):
    """A name: trimmed, then 1 to 80 characters (checked live, as the user leaves the field)."""

    @pre_load
    def strip(self, data: dict[str, t.Any], **kwargs: t.Any) -> dict[str, t.Any]:
        if isinstance(data.get("name"), str):
            data = {**data, "name": data["name"].strip()}
        return data

    name = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, error="Name is required"),
            validate.Length(max=80, error="Keep it under 80 characters."),
        ],
    )


def saved_name() -> dict[str, t.Any]:
    """The name form's state before a call: read when needed, never carried by the form."""
    return {"error": None, "name": db.get_setting("name")}


@sf.function(template="partials/name_form.html", schema=Name, live=True, initial_state=saved_name)
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
        max_size=2_000_000,
        content_types=["image/png", "image/jpeg", "image/gif", "image/webp"],
        load_default=None,
    )


NOTES_LIST = {"notes-list": "partials/notes_list.html"}


@sf.function(
    template="partials/note_add.html",
    schema=NewNote,
    refresh=NOTES_LIST,
    trigger="notes-changed",
    max_body=3_000_000,
    idempotent=True,
    rate_limit="30/minute",
    live=True,
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


#: The task form's choices: every kind of field (see partials/task_form.html).
TASK_SIZES = {"s": "Small", "m": "Medium", "l": "Large"}
TASK_PRIORITIES = {1: "Low", 2: "Normal", 3: "High"}
TASK_TAGS = {"home": "Home", "work": "Work", "errand": "Errand"}
#: What the template lists (a context processor gives it to every template).
TASK_CHOICES = {"sizes": TASK_SIZES, "priorities": TASK_PRIORITIES, "tags": TASK_TAGS}


@sf.function(template="partials/task_form.html")
def plan_task(
    title: str,
    size: str = "m",
    priority: int = 2,
    tags: list[str] | None = None,
    due: datetime.date | None = None,
    urgent: bool = False,
    notes: str = "",
) -> dict[str, t.Any]:
    """Plan a task: a select, radio buttons, a multi-select, a date, a checkbox and a
    textarea. An error keeps every choice the user made."""
    _maybe_slow()
    errors = {}
    if not title.strip():
        errors["title"] = ["Give the task a title."]
    if size not in TASK_SIZES:
        errors["size"] = ["Choose a size from the list."]
    if priority not in TASK_PRIORITIES:
        errors["priority"] = ["Choose a priority."]
    if set(tags or ()) - set(TASK_TAGS):
        errors["tags"] = ["Choose tags from the list."]
    if errors:
        raise ValidationError(errors)
    return {
        "title": title.strip(),
        "size": size,
        "priority": priority,
        "tags": tags or [],
        "due": due.isoformat() if due else None,
        "urgent": urgent,
        "notes": notes,
    }


class NotesFile(Schema):
    """A text file of notes, one per line."""

    file = File(required=True, max_size=64_000, content_types=["text/plain"])


@sf.function(
    template="partials/note_import.html",
    schema=NotesFile,
    refresh=NOTES_LIST,
    trigger="notes-changed",
)
def import_notes(file: FileStorage) -> t.Iterator[dict[str, t.Any]]:
    """Import notes from a text file, one per line, streaming the progress (a generator:
    with JS each state is swapped in as it comes; without JS the page shows the last)."""
    text = file.read().decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    too_long = next((n for n, line in enumerate(lines, 1) if len(line) > 200), None)
    if not lines or too_long:  # checked before anything is written
        message = f"Line {too_long} is over 200 characters." if too_long else "The file is empty."
        raise ValidationError({"file": [message]})
    # EXAMPLE_SLOW_SECONDS set: a short sleep per line, so the stream can be watched.
    delay = (current_app.config.get("EXAMPLE_SLOW_SECONDS") or 0) / 5
    done = 0
    try:
        for done, line in enumerate(lines, 1):
            db.add_note(line)
            yield {"done": done, "total": len(lines)}
            if delay:
                time.sleep(delay)
    finally:  # also when the client cancels: the stream stops at the next line
        db.set_setting("last_import", f"{done} of {len(lines)}")
