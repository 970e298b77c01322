"""The example's admin functions: a group on a blueprint.

They post to ``/admin/_sf/<token>``, run the blueprint's hooks, and are refused
with 403 unless :func:`~example.actions.is_admin` says yes (the group's guard).
"""

from __future__ import annotations

import typing as t

from flask import Blueprint

from . import db
from .actions import NOTES_LIST, _maybe_slow, is_admin, sf

bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_functions = sf.group("admin", blueprint=bp, require=is_admin)


@admin_functions.function(
    template="partials/clear_notes.html",
    refresh=NOTES_LIST,
    trigger="notes-changed",
)
def clear_notes() -> dict[str, t.Any]:
    """Admin only: delete every note. Refused with 403 for everyone else."""
    _maybe_slow()
    return {"cleared": db.clear_notes()}
