"""Names the extension puts on the wire: hidden form fields, headers, reference options.

A leaf module, so the request readers, the stores and the renderers share the
names without depending on each other.
"""

from __future__ import annotations

#: The page a no-JS submission lands on (the permalink).
NEXT_FIELD = "_sf_next"
#: The signed previous state of a form whose function takes ``state``.
STATE_FIELD = "_sf_state"
#: Flask-WTF's CSRF field, rendered when the app uses ``CSRFProtect``.
CSRF_FIELD = "csrf_token"
#: The one-time submission key of idempotent functions.
ONCE_FIELD = "_sf_once"
#: Sent by the no-JS confirmation step of ``server_button(confirm=...)``.
CONFIRMED_FIELD = "_sf_confirmed"
#: Hidden fields the form renders; never input to a function.
HIDDEN_FIELDS = frozenset({NEXT_FIELD, STATE_FIELD, CSRF_FIELD, ONCE_FIELD, CONFIRMED_FIELD})
#: The error key a no-JS button's confirmation question is kept under.
CONFIRM_KEY = "_confirm"
#: The query parameter that carries a no-JS result to a page when the browser keeps
#: no cookies (a one-time key into the kept store).
KEPT_PARAM = "_sf_kept"

#: The header calls from code may send instead of the hidden one-time key.
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: The longest one-time submission key (hidden field or ``Idempotency-Key`` header).
MAX_ONCE_KEY = 255

#: The reference option holding a form's own id (``server_form(id=...)``).
FORM_ID_OPTION = "form_id"
#: The reference option saying a form validates live (``server_form(live=...)``).
LIVE_OPTION = "live"
#: The reference option holding ``server_button(confirm=...)``'s question.
CONFIRM_OPTION = "confirm"
