"""Signals sent by the extension (blinker, as Flask's own).

``function_called`` is sent after every call whose function is known, with the app
as sender and ``function``, ``ref``, ``state``, ``errors`` and ``status`` as keyword
arguments, ``ran`` (whether the function ran: not for input refused by validation,
nor for an idempotent replay), plus what the tracing span records (:mod:`.tracing`):
``path`` (``"htmx"``, ``"json"``, ``"nojs"``), ``outcome`` (``"ok"``, ``"invalid"``,
``"refused"``, ``"redirect"``, ``"error"``), ``error_id``, ``replay``,
``validate_only`` and ``rate_limited``. A refused call has ``state=None`` and its
message in ``errors["_form"]``. For logging, metrics, and
:mod:`flask_server_functions.testing`.

::

    from flask_server_functions.signals import function_called

    @function_called.connect_via(app)
    def log_call(sender, function, status, **extra):
        sender.logger.info("%s -> %s", function.name, status)
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent after a server function call (or its refused validation).
function_called = _signals.signal("server-functions.function-called")
