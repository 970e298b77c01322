"""The guard step: the app's, the group's and the function's guards, before any input is read.

A falsy guard refuses the call with 403. With ``SERVER_FUNCTIONS_LOGIN_VIEW`` set it
raises :class:`~.errors.LoginRequired` instead, which every path answers by sending
the user to the login view with ``next`` (the page the form is on): a redirect
without JS, ``HX-Redirect`` with htmx, a 401 with the login URL in JSON.
"""

from __future__ import annotations

import typing as t

from flask import url_for
from werkzeug.exceptions import Forbidden, HTTPException

from .config import AppState
from .errors import LoginRequired
from .functions import ServerFunction
from .i18n import gettext
from .inputs import read_input
from .negotiation import Path
from .permalink import form_page, safe_next_url


def check_guards(state: AppState, function: ServerFunction[t.Any], path: Path) -> None:
    """Run every guard of ``function``; refuse the call at the first falsy one."""
    for guard in (*state.extension.before_call_guards, *function.guards):
        if not guard():
            login_view = state.config["SERVER_FUNCTIONS_LOGIN_VIEW"]
            if login_view:
                raise LoginRequired(login_url(state, function, path, login_view))
            raise Forbidden(gettext("You are not allowed to do this."))


def login_url(state: AppState, function: ServerFunction[t.Any], path: Path, login_view: str) -> str:
    """The login view's absolute URL, with ``next`` the page the form is on."""
    if path is Path.JSON:  # code, not a form: no page of its own
        page = safe_next_url(None)
    else:  # a form says which page it is on
        try:
            page = form_page(read_input(state.config, max_body=function.max_body))
        except HTTPException:
            page = form_page({})
    return url_for(login_view, next=page, _external=True)
