"""The registry: every server function of one extension, by id and by name.

Shared by every app the extension is registered on. ``server_functions.NAME`` in
templates is :class:`FunctionNames`, a view of it with no attributes of its own.
"""

from __future__ import annotations

import typing as t

from .functions import ServerFunction


class Registry:
    """Registered functions by id and by name. Shared by every app of one extension."""

    def __init__(self) -> None:
        self.by_id: dict[str, ServerFunction[t.Any]] = {}
        self.by_name: dict[str, ServerFunction[t.Any]] = {}

    def add(self, function: ServerFunction[t.Any]) -> None:
        other = self.by_name.get(function.name)
        if other is not None and other.func is not function.func:
            raise ValueError(
                f"a server function named {function.name!r} is already registered"
                f" ({other.func.__module__}.{other.func.__qualname__}); pass name=... to"
                " register this one under another name."
            )
        # One id per place of definition: a second registration would take over the
        # first one's tokens (and its guards, template and limits).
        other = self.by_id.get(function.id)
        if other is not None and other.name != function.name:
            raise ValueError(
                f"{function.func.__module__}.{function.func.__qualname__} is already"
                f" registered as a server function named {other.name!r}; a function"
                " (or another defined at the same place) can be registered only once."
            )
        self.by_id[function.id] = function
        self.by_name[function.name] = function

    def __getitem__(self, name: str) -> ServerFunction[t.Any]:
        try:
            return self.by_name[name]
        except KeyError:
            known = ", ".join(sorted(self.by_name)) or "none"
            raise KeyError(f"no server function named {name!r}; registered: {known}") from None

    def __getattr__(self, name: str) -> ServerFunction[t.Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(str(e)) from None

    @property
    def names(self) -> FunctionNames:
        """The functions by name and nothing else: the ``server_functions`` Jinja global."""
        return FunctionNames(self)

    def __iter__(self) -> t.Iterator[ServerFunction[t.Any]]:
        return iter(self.by_name.values())

    def __len__(self) -> int:
        return len(self.by_name)


class FunctionNames:
    """``server_functions.NAME`` in templates: registered functions by name, with no
    attributes of its own that a function's name could collide with."""

    __slots__ = ("_registry",)

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def __getattr__(self, name: str) -> ServerFunction[t.Any]:
        try:
            return self._registry[name]
        except KeyError as e:
            raise AttributeError(str(e)) from None

    def __getitem__(self, name: str) -> ServerFunction[t.Any]:
        return self._registry[name]

    def __contains__(self, name: object) -> bool:
        return name in self._registry.by_name
