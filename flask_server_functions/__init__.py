"""Flask-Server-Functions: React 19-style Server Functions for Flask, with htmx.

See README.md and docs/ for a walkthrough; the public names are re-exported here.
"""

from __future__ import annotations

from ._version import __version__ as __version__
from .errors import CrossOriginRequest as CrossOriginRequest
from .errors import ExpiredReference as ExpiredReference
from .errors import InvalidReference as InvalidReference
from .errors import LoginRequired as LoginRequired
from .errors import Refuse as Refuse
from .errors import ServerFunctionError as ServerFunctionError
from .errors import UnknownFunction as UnknownFunction
from .errors import refuse as refuse
from .extension import ServerFunctions as ServerFunctions
from .functions import Reference as Reference
from .functions import ServerFunction as ServerFunction
from .page import Page as Page
from .page import current_page as current_page
from .page import refresh as refresh
from .state import FormState as FormState
