"""Rate limits per function, built on the ``limits`` library (the one under Flask-Limiter).

::

    @sf.function(rate_limit="30/minute")
    def add_note(text: str): ...

A function's ``rate_limit=`` (else its group's, else ``SERVER_FUNCTIONS_RATE_LIMIT``)
is counted per function and per client: ``SERVER_FUNCTIONS_RATE_LIMIT_KEY`` (a
callable, e.g. returning the user's id), else the client's address. A call over the
limit is refused with :class:`RateLimited` (429 with ``Retry-After``) right after the
guard step, before the body is read, and answered per path like every refusal.

The counters live in ``SERVER_FUNCTIONS_RATE_LIMIT_STORAGE``: a ``limits`` storage URI
(``"memory://"``, the default, one process; ``"redis://host:6379"`` shared by every
worker) or a storage object, e.g. Flask-Limiter's ``limiter.storage`` to share it.
Each counter expires with its window, so the storage holds at most one counter (a
moving window: at most ``amount`` timestamps) per client and limited function seen
within one window. If the storage is out of reach, calls are let through and the
error is logged.
"""

from __future__ import annotations

import functools
import logging
import math
import time
import typing as t

from flask import Flask, current_app, make_response, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, TooManyRequests
from werkzeug.wrappers import Response

from .functions import ServerFunction
from .i18n import gettext

if t.TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.strategies import RateLimiter

#: Counters of real calls; a validate-only call counts under ``VALIDATE_NAMESPACE``.
CALL_NAMESPACE = "call"
VALIDATE_NAMESPACE = "validate"
#: The first part of every key, so a storage shared with Flask-Limiter never collides.
KEY_PREFIX = "server_functions"
#: Values of ``SERVER_FUNCTIONS_RATE_LIMIT_STRATEGY``.
STRATEGIES = ("fixed-window", "moving-window")
_LIMITER_KEY = "server_functions_rate_limiter"
logger = logging.getLogger("flask_server_functions")


class RateLimited(TooManyRequests):
    """Too many calls of one function by one client (429, with ``Retry-After``)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            gettext(
                "Too many attempts. Wait %(seconds)s seconds, then try again.", seconds=retry_after
            ),
            retry_after=retry_after,
        )


def parse_limit(spec: str) -> list[RateLimitItem]:
    """The limits in ``spec`` (``"10/minute"``, ``"5/second;100/hour"``).

    :raises ValueError: a malformed spec, or the ``limits`` library missing.
    """
    try:
        return _parse(spec)
    except ImportError:  # pragma: no cover - the extra is installed in the tests
        raise ValueError(
            f"rate_limit={spec!r} needs the limits library:"
            " pip install 'Flask-Server-Functions[ratelimit]'"
        ) from None


@functools.lru_cache(maxsize=256)
def _parse(spec: str) -> list[RateLimitItem]:
    from limits import parse_many

    return parse_many(spec)


def client_key(config: t.Mapping[str, t.Any]) -> str:
    """Who the call counts against: ``SERVER_FUNCTIONS_RATE_LIMIT_KEY()``, else the
    client's address (behind a proxy, use Werkzeug's ``ProxyFix`` so it is the client's)."""
    key_function = config["SERVER_FUNCTIONS_RATE_LIMIT_KEY"]
    key = key_function() if key_function is not None else request.remote_addr
    return str(key) if key is not None else "-"


def check_rate_limit(
    function: ServerFunction[t.Any],
    config: t.Mapping[str, t.Any],
    *,
    namespace: str = CALL_NAMESPACE,
) -> None:
    """Count this call against ``function``'s limit for this client: its own (or its
    group's), else the app's; ``rate_limit=False`` exempts a function from the app's
    default.

    :param namespace: what is counted: real calls (the default) and validate-only
        calls (:data:`VALIDATE_NAMESPACE`) each have their own counters.
    :raises RateLimited: over the limit (429).
    """
    spec = function.rate_limit
    if spec is None:
        spec = config["SERVER_FUNCTIONS_RATE_LIMIT"]
    if not spec or not config["SERVER_FUNCTIONS_RATE_LIMIT_ENABLED"]:
        return
    limiter = _limiter(current_app._get_current_object())  # type: ignore[attr-defined]
    identifiers = (KEY_PREFIX, namespace, function.id, client_key(config))
    for item in parse_limit(spec):
        try:
            allowed = limiter.hit(item, *identifiers)
            reset = 0.0 if allowed else limiter.get_window_stats(item, *identifiers).reset_time
        except limiter.storage.base_exceptions:
            # The counters are out of reach (Redis down): let the call through, loudly,
            # rather than refuse every call of the function.
            logger.exception("rate limit storage unavailable: %s not limited", function.name)
            return
        if not allowed:
            raise RateLimited(max(1, math.ceil(reset - time.time())))


def with_retry_after(answer: ResponseReturnValue, error: HTTPException) -> ResponseReturnValue:
    """``answer`` with the ``Retry-After`` header of a :class:`RateLimited` refusal
    (every path's answer, be it JSON, a fragment or a 303)."""
    if not isinstance(error, RateLimited):
        return answer
    response: Response = make_response(answer)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def _limiter(app: Flask) -> RateLimiter:
    """The app's rate limiter over the configured storage and strategy (made once,
    and again if the config changes)."""
    setting = app.config["SERVER_FUNCTIONS_RATE_LIMIT_STORAGE"]
    strategy = app.config["SERVER_FUNCTIONS_RATE_LIMIT_STRATEGY"]
    cached = app.extensions.get(_LIMITER_KEY)
    if cached is not None and cached[0] is setting and cached[1] == strategy:
        return t.cast("RateLimiter", cached[2])
    from limits.storage import Storage, storage_from_string
    from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

    if strategy not in STRATEGIES:
        raise ValueError(
            f"SERVER_FUNCTIONS_RATE_LIMIT_STRATEGY must be one of: {', '.join(STRATEGIES)};"
            f" got {strategy!r}"
        )
    storage = setting if isinstance(setting, Storage) else storage_from_string(setting)
    kind = MovingWindowRateLimiter if strategy == "moving-window" else FixedWindowRateLimiter
    limiter = kind(storage)
    app.extensions[_LIMITER_KEY] = (setting, strategy, limiter)
    return limiter


def reset_rate_limits(app: Flask) -> None:
    """Forget every counter of ``app``'s rate limits (for tests; the whole storage is
    cleared, so do not call it on a storage shared with other limits)."""
    cached = app.extensions.get(_LIMITER_KEY)
    if cached is not None:
        cached[2].storage.reset()
