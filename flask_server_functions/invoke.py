"""The call step: validate, then run the function, and say what came of it.

Invalid input is a 422 with the field errors and the typed values; an exception
inside the function is logged with an error id and shown as a safe error state
(500); an ``HTTPException`` (``abort()``) goes on to the refusal answer.
"""

from __future__ import annotations

import logging
import secrets
import typing as t

from flask import current_app
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .functions import Reference
from .i18n import N_, gettext
from .inputs import typed_values
from .state import FormState, Outcome
from .validation import arguments, messages

logger = logging.getLogger("flask_server_functions")

#: Message shown in the form when a function raised; ``{error_id}`` matches the log.
FAILURE_MESSAGE = N_("Something went wrong on our side. (Error %(error_id)s)")


def run(
    ref: Reference, form_data: MultiDict[str, t.Any], previous: t.Callable[[], t.Any]
) -> Outcome:
    """Validate ``form_data`` and call the function with the previous state (``previous()``,
    asked for only when the function takes it or the form shows it again).

    The app's code around the function (an ``initial_state`` callable, a schema's own
    validator) failing is a failure as the function's own is: logged with an error id.
    """
    try:
        return _run(ref, form_data, previous)
    except (HTTPException, ValidationError):
        raise
    except Exception:
        return failure(ref, form_data, None)


def _run(
    ref: Reference, form_data: MultiDict[str, t.Any], previous: t.Callable[[], t.Any]
) -> Outcome:
    function = ref.function
    try:
        kwargs = arguments(ref, form_data)
    except ValidationError as e:
        return invalid(ref, form_data, previous(), e).before_call()
    if function.state_parameter:
        kwargs[function.state_parameter] = previous()

    try:
        if function.is_async:
            result = current_app.ensure_sync(function.func)(**kwargs)
        else:
            result = function.func(**kwargs)
    except ValidationError as e:
        return invalid(ref, form_data, previous(), e)
    except HTTPException:
        raise
    except Exception:
        return failure(ref, form_data, previous())

    if isinstance(result, Response):
        return Outcome(FormState(ref, previous()), result.status_code, result)
    return Outcome(FormState(ref, result))


def invalid(
    ref: Reference, form_data: MultiDict[str, t.Any], previous: t.Any, error: ValidationError
) -> Outcome:
    values = typed_values(form_data)
    return Outcome(FormState(ref, previous, values=values, errors=messages(error)), 422)


def failure(ref: Reference, form_data: MultiDict[str, t.Any], state: t.Any) -> Outcome:
    """The function raised: log it with an error id, show ``state`` with the message (500).

    Call it inside the ``except`` block (the log carries the traceback).
    """
    function = ref.function
    error_id = secrets.token_hex(4)
    logger.exception(
        "server function %s (%s.%s) failed [error %s]",
        function.name,
        function.func.__module__,
        function.func.__qualname__,
        error_id,
    )
    message = gettext(FAILURE_MESSAGE, error_id=error_id)
    values = typed_values(form_data)
    form = FormState(ref, state, values=values, errors={"_form": [message]})
    return Outcome(form, 500, error_id=error_id)
