"""Registered server functions.

A :class:`ServerFunction` wraps the developer's function: calling it calls the
function, and it knows its stable id, its schema and its partial template.
``fn.bind(note_id=7)`` returns a :class:`~.binding.Reference` (also importable from
here) whose values travel sealed in the token. Nothing here touches a request.
"""

from __future__ import annotations

import inspect
import json
import typing as t

from marshmallow import Schema

from .binding import Reference as Reference
from .binding import short_hash
from .messages import FieldMessages
from .schemas import STATE_PARAMETERS, File, schema_from_signature, sensitive_name

if t.TYPE_CHECKING:
    from .groups import Group

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
#: A guard: called with no arguments before a call; a falsy result refuses it (403).
Guard = t.Callable[[], t.Any]


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _as_tuple(guards: Guard | t.Sequence[Guard] | None) -> tuple[Guard, ...]:
    if guards is None:
        return ()
    return tuple(guards) if isinstance(guards, t.Sequence) else (guards,)


def function_id(func: t.Callable[..., t.Any]) -> str:
    """A stable id for ``func``: the same in every process, worker and deploy.

    Derived from where the function is defined (module and qualified name), hashed
    so the token does not spell the Python name: 64 bits of SHA-256 in 11 URL-safe
    base64 characters (each form's ids repeat it).
    """
    name = f"{func.__module__}:{func.__qualname__}"
    return short_hash(name.encode(), 8)


def _check_async_support(func: t.Callable[..., t.Any]) -> None:
    try:
        import asgiref.sync  # noqa: F401 - what Flask's ensure_sync needs
    except ImportError:
        raise RuntimeError(
            f"server function {getattr(func, '__qualname__', func)!r} is an async def,"
            " which needs asgiref: pip install 'flask-server-functions[async]'"
            " (or 'flask[async]')."
        ) from None


class ServerFunction(t.Generic[F]):
    """A function callable from a form. Create it with :meth:`ServerFunctions.function`.

    Calling the object calls the function unchanged, so it stays usable (and
    testable) as plain Python.
    """

    def __init__(
        self,
        func: F,
        *,
        name: str | None = None,
        schema: type[Schema] | Schema | None = None,
        messages: FieldMessages | None = None,
        template: str | None = None,
        initial_state: t.Any = None,
        refresh: t.Mapping[str, str] | None = None,
        trigger: str | t.Sequence[str] | None = None,
        require: Guard | t.Sequence[Guard] | None = None,
        max_body: int | None = None,
        idempotent: bool = False,
        rate_limit: str | t.Literal[False] | None = None,
        live: bool = False,
        group: Group | None = None,
    ) -> None:
        self.func = func
        #: The group the function belongs to (its URL and guards), if any.
        self.group = group
        self.name = name or func.__name__
        self.id = function_id(func)
        self.template = template
        self.initial_state = initial_state
        #: Other parts of the page to re-render after a call: element id -> template
        #: (the group's, then the function's own).
        self.refresh: dict[str, str] = {**(group.refresh if group else {}), **(refresh or {})}
        #: Client events to fire after a successful call (htmx ``HX-Trigger``).
        self.triggers: tuple[str, ...] = (
            () if trigger is None else (trigger,) if isinstance(trigger, str) else tuple(trigger)
        )
        #: Guards that must all pass before the input is even validated: the
        #: group's, then the function's own.
        self.guards: tuple[Guard, ...] = (*(group.guards if group else ()), *_as_tuple(require))
        #: Body size limit in bytes for this function (None: the app's).
        self.max_body = max_body
        #: Whether a replayed submission key answers with the first outcome.
        self.idempotent = idempotent
        #: Calls per client allowed (``"10/minute"``); None: the group's or the app's.
        self.rate_limit = group.rate_limit if rate_limit is None and group else rate_limit
        #: Whether its forms validate each field as it is left (validate-only calls).
        self.live = live
        self.is_async = inspect.iscoroutinefunction(func)
        #: A generator function (sync or async): its states stream (see streaming.py).
        self.is_stream = inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func)
        if self.is_async:
            _check_async_support(func)
        parameters = inspect.signature(func).parameters
        #: Names ``bind()`` accepts.
        self._bindable = frozenset(parameters)
        #: The name of the parameter that receives the previous state, if any.
        self.state_parameter = next((p for p in STATE_PARAMETERS if p in parameters), None)
        #: Whether the function takes the whole validated input as ``data``.
        self.takes_data = schema is not None and "data" in parameters
        if schema is None:
            schema = schema_from_signature(func, messages)
        elif messages is not None:
            raise TypeError(
                f"{self.name}(): messages= is for input read from type hints; with"
                " schema=, give the schema's fields error_messages= instead."
            )
        self.schema: Schema = schema() if isinstance(schema, type) else schema
        self._bindable |= frozenset(self.schema.fields)
        #: Fields whose values are never echoed back into a form, the session or logs:
        #: ``load_only`` fields, fields with ``metadata={"sensitive": True}``, and
        #: any field named like a secret (:func:`sensitive_name`).
        self.sensitive_fields = frozenset(
            key
            for name, field in self.schema.fields.items()
            if field.load_only or field.metadata.get("sensitive") or sensitive_name(name)
            for key in {name, field.data_key or name}
        )
        #: Fields the call cannot do without (their parameter has no default) although
        #: the schema may not require them: loaded name -> (input name, message; a
        #: lazy one stays lazy).
        self.needed_fields: dict[str, tuple[str, t.Any]] = {
            field.attribute or name: (field.data_key or name, field.error_messages["required"])
            for name, field in self.schema.load_fields.items()
            if not self.takes_data
            and (field.attribute or name) in parameters
            and parameters[field.attribute or name].default is inspect.Parameter.empty
        }
        #: Fields that take uploaded files (the form is sent as multipart).
        self.file_fields = frozenset(
            name for name, field in self.schema.fields.items() if isinstance(field, File)
        )
        self.__doc__ = func.__doc__
        self.__wrapped__ = func

    @property
    def endpoint(self) -> str:
        """The endpoint its forms post to (a group on a blueprint has its own)."""
        return self.group.endpoint if self.group else "server_functions.call"

    def is_sensitive(self, name: str) -> bool:
        """Whether the value of field ``name`` must never be echoed back."""
        return name in self.sensitive_fields or sensitive_name(name)

    if t.TYPE_CHECKING:
        #: Calling the object is calling the function, with its signature.
        __call__: F
    else:

        def __call__(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
            return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<ServerFunction {self.name!r} ({self.func.__module__})>"

    def bind(self, **values: t.Any) -> Reference:
        """A reference with ``values`` sealed into its token.

        The function receives them as keyword arguments; the client can neither
        change them nor supply them as form fields. Values must be JSON-able.
        """
        if not self._bindable.issuperset(values):
            unknown = sorted(set(values) - self._bindable)
            raise TypeError(f"{self.name}() has no parameter named {', '.join(unknown)}")
        if not all(type(v) in _SCALARS for v in values.values()):
            try:
                json.dumps(values)
            except TypeError as e:
                raise TypeError(f"values bound to {self.name}() must be JSON-able: {e}") from None
        return Reference(self, values)

    def using(self, template: str | None = None, **options: t.Any) -> Reference:
        """A reference whose form renders ``template`` instead of the function's own,
        with ``options`` for that template (both sealed in the token)."""
        return Reference(self, {}, template, options)

    @property
    def reference(self) -> Reference:
        """The reference with nothing bound."""
        return Reference(self, {})
