"""The guard step: the app's, the group's and the function's guards, before any input is read.

A falsy guard refuses the call with 403; without JavaScript, and with
``SERVER_FUNCTIONS_LOGIN_VIEW`` set, it redirects to the login view instead.
"""

from __future__ import annotations

import typing as t

from flask import abort, redirect, url_for
from werkzeug.exceptions import Forbidden, HTTPException

from .config import AppState
from .functions import ServerFunction
from .i18n import gettext
from .inputs import read_input
from .negotiation import Path
from .permalink import safe_next_url
from .wire import NEXT_FIELD


def check_guards(state: AppState, function: ServerFunction[t.Any], path: Path) -> None:
    """Run every guard of ``function``; refuse the call at the first falsy one."""
    for guard in (*state.extension.before_call_guards, *function.guards):
        if not guard():
            login_view = state.config["SERVER_FUNCTIONS_LOGIN_VIEW"]
            if login_view and path is Path.NOJS:
                try:
                    page = read_input(state.config, max_body=function.max_body).get(NEXT_FIELD)
                except HTTPException:
                    page = None
                abort(redirect(url_for(login_view, next=safe_next_url(page)), code=303))
            raise Forbidden(gettext("You are not allowed to do this."))
