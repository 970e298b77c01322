"""Signals sent by the extension (blinker, as Flask's own).

``function_called`` is sent after every call that got as far as validation, with
the app as sender and ``function``, ``ref``, ``state``, ``errors``, ``status`` and
``ran`` (whether the function ran: not for input refused by validation, nor for an
idempotent replay) as keyword arguments: for logging, metrics, and
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
