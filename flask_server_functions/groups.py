"""Groups of server functions: shared guards, and a blueprint's URL and hooks.

::

    admin = Blueprint("admin", __name__, url_prefix="/admin")
    admin_functions = sf.group("admin", blueprint=admin, require=is_admin)

    @admin_functions.function(template="admin/ban.html")
    def ban_user(user_id: int): ...

The group's functions post to ``/admin/_sf/<token>``: the blueprint's URL prefix,
its ``before_request`` hooks and error handlers apply, and every function of the
group runs the group's guards before its own. A token of the group posted to
another group's URL (or the app's) is not run.
"""

from __future__ import annotations

import typing as t

from flask import Blueprint, current_app
from flask.blueprints import BlueprintSetupState
from flask.sansio.app import App

from .functions import F, Guard, ServerFunction, _as_tuple

if t.TYPE_CHECKING:
    from .extension import ServerFunctions

#: Where each app keeps the full endpoint names of its groups.
_ENDPOINTS_KEY = "server_functions_groups"


class Group:
    """A named set of server functions. Create it with :meth:`ServerFunctions.group`."""

    def __init__(
        self,
        extension: ServerFunctions,
        name: str,
        *,
        blueprint: Blueprint | None = None,
        require: Guard | t.Sequence[Guard] | None = None,
        rate_limit: str | t.Literal[False] | None = None,
        refresh: t.Mapping[str, str] | None = None,
        url_path: str = "/_sf",
    ) -> None:
        self.extension = extension
        self.name = name
        self.blueprint = blueprint
        #: The path of the group's endpoint under its blueprint's prefix.
        self.url_path = "/" + url_path.strip("/")
        self.guards = _as_tuple(require)
        #: The rate limit of the group's functions that set none of their own.
        self.rate_limit = rate_limit
        #: Regions every function of the group re-renders after a call (element id ->
        #: template); a function's own ``refresh=`` adds to them.
        self.refresh: dict[str, str] = dict(refresh or {})
        if blueprint is not None:  # the endpoint's rule is added by ServerFunctions.group
            blueprint.record(self._registered)

    def _registered(self, setup: BlueprintSetupState) -> None:
        # The endpoint's full name is known only now: a nested blueprint's endpoints
        # are "parent.child.server_function", and name= may rename it.
        name = f"{setup.name_prefix}.{setup.name}".lstrip(".")
        rule = f"{self.url_path}/<token>"
        if setup.url_prefix:
            rule = f"{setup.url_prefix.rstrip('/')}{rule}"
        check_unclaimed(setup.app, rule, f"the group {self.name!r} (blueprint {name!r})")
        endpoints = setup.app.extensions.setdefault(_ENDPOINTS_KEY, {})
        endpoints.setdefault(self, f"{name}.server_function")

    @property
    def endpoint(self) -> str:
        """Where the group's forms post: its blueprint's endpoint (as registered on the
        current app), or the app's."""
        if self.blueprint is None:
            return "server_functions.call"
        endpoints = current_app.extensions.get(_ENDPOINTS_KEY, {})
        return t.cast(str, endpoints.get(self, f"{self.blueprint.name}.server_function"))

    @t.overload
    def function(self, func: F, /) -> ServerFunction[F]: ...

    @t.overload
    def function(self, /, **options: t.Any) -> t.Callable[[F], ServerFunction[F]]: ...

    def function(
        self, func: F | None = None, /, **options: t.Any
    ) -> ServerFunction[F] | t.Callable[[F], ServerFunction[F]]:
        """Register a function in this group; options as :meth:`ServerFunctions.function`."""
        decorator: t.Callable[[F], ServerFunction[F]] = self.extension.function(
            group=self, **options
        )
        return decorator(func) if func is not None else decorator

    def __repr__(self) -> str:
        return f"<Group {self.name!r}>"


def check_unclaimed(app: App, rule: str, owner: str) -> None:
    """Refuse a second server-function endpoint at a URL another one already serves."""
    for existing in app.url_map.iter_rules():
        if existing.rule == rule and existing.endpoint.endswith(
            ("server_function", "server_functions.call")
        ):
            raise RuntimeError(
                f"{owner} would serve server functions at {rule}, where {existing.endpoint!r}"
                " already does, and take its calls. Give the blueprint a url_prefix, or the"
                " group a path of its own: sf.group(..., blueprint=bp,"
                " url_path='/_sf_<name>')."
            )
