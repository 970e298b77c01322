"""A server function plus the values bound to it: what one form posts to.

A :class:`Reference` is made by ``fn.bind(...)``, ``fn.using(...)`` or
``fn.reference``, and from a verified token at call time. What it seals into its
token (bound values, a template, render options) has one canonical JSON form
(:attr:`Reference.sealed_json`): the token carries it, and the form's
:attr:`Reference.key` is derived from it.
"""

from __future__ import annotations

import base64
import hashlib
import typing as t

from .references import encode_sealed, remember

if t.TYPE_CHECKING:
    from .functions import ServerFunction


#: Sealed JSON of references with scalar values bound, and digests of sealed JSON
#: made into form keys, lately (a page renders the same rows again and again): at
#: most this many of each, the oldest forgotten first.
DIGESTS_KEPT = 4096
_BOUND_JSON: dict[tuple[t.Any, ...], bytes] = {}
_DIGESTS: dict[bytes, str] = {}


def _bound_json(function_id: str, bound: dict[str, t.Any]) -> bytes:
    """The sealed JSON of a reference with only values bound: remembered for scalar
    values, as a page binds each row's id."""
    try:
        # with each value's type: True == 1 == 1.0 as keys, not as JSON
        key = (function_id, *((k, v.__class__, v) for k, v in bound.items()))
        cached = _BOUND_JSON.get(key)
    except TypeError:  # a list or a dict among the values: not remembered
        return encode_sealed({"b": bound})
    if cached is None:
        cached = encode_sealed({"b": bound})
        remember(_BOUND_JSON, key, cached, DIGESTS_KEPT)
    return cached


def short_hash(data: bytes, size: int) -> str:
    """The first ``size`` bytes of SHA-256 of ``data``, URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()[:size]).rstrip(b"=").decode()


class Reference:
    """A server function plus values bound to it: what a form posts to."""

    __slots__ = ("_json", "_key", "bound", "function", "options", "template")

    def __init__(
        self,
        function: ServerFunction[t.Any],
        bound: dict[str, t.Any],
        template: str | None = None,
        options: dict[str, t.Any] | None = None,
    ) -> None:
        self.function = function
        self.bound = bound
        #: A partial template other than the function's own (sealed in the token).
        self.template = template
        #: Values for that template, e.g. a button's label (sealed in the token).
        self.options: dict[str, t.Any] = options or {}
        self._key: str | None = None
        self._json: bytes | None = None

    def bind(self, **values: t.Any) -> Reference:
        """A new reference with more values bound (like ``functools.partial``)."""
        return Reference(
            self.function,
            self.function.bind(**{**self.bound, **values}).bound,
            self.template,
            self.options,
        )

    def using(self, template: str | None = None, **options: t.Any) -> Reference:
        """The same reference rendering ``template`` with ``options``."""
        return Reference(
            self.function, self.bound, template or self.template, {**self.options, **options}
        )

    def sealed(self) -> dict[str, t.Any]:
        """What goes into the token besides the function id (empty: nothing)."""
        sealed: dict[str, t.Any] = {}
        if self.bound:
            sealed["b"] = self.bound
        if self.template is not None:
            sealed["t"] = self.template
        if self.options:
            sealed["o"] = self.options
        return sealed

    @classmethod
    def from_sealed(
        cls,
        function: ServerFunction[t.Any],
        sealed: t.Mapping[str, t.Any],
        sealed_json: bytes | None = None,
    ) -> Reference:
        """The reference a verified token names (``sealed_json``: as the token had it)."""
        ref = cls(function, dict(sealed.get("b", {})), sealed.get("t"), dict(sealed.get("o", {})))
        ref._json = sealed_json
        return ref

    def initial_state(self) -> t.Any:
        """The function's state before the first call: its ``initial_state``, or what
        that returns if it is a callable (given the bound values, as keywords)."""
        initial = self.function.initial_state
        return initial(**self.bound) if callable(initial) else initial

    @property
    def partial(self) -> str:
        """The template the form renders inside its ``<form>``."""
        template = self.template or self.function.template
        if template is None:
            raise RuntimeError(
                f"server function {self.function.name!r} has no template for its form:"
                f" register it with @sf.function(template='...html'), or pass"
                f" template='...html' to server_form()."
            )
        return template

    @property
    def sealed_json(self) -> bytes:
        """:meth:`sealed` as its token carries it (canonical JSON; empty: nothing)."""
        if self._json is None:
            if self.bound and self.template is None and not self.options:
                self._json = _bound_json(self.function.id, self.bound)
            else:
                sealed = self.sealed()
                self._json = encode_sealed(sealed) if sealed else b""
        return self._json

    @property
    def key(self) -> str:
        """Identifies one form on a page: the function, its bound values and template."""
        if self._key is None:
            sealed = self.sealed_json
            if not sealed:
                self._key = self.function.id
            else:
                digest = _DIGESTS.get(sealed)
                if digest is None:
                    digest = short_hash(sealed, 6)
                    remember(_DIGESTS, sealed, digest, DIGESTS_KEPT)
                self._key = f"{self.function.id}-{digest}"
        return self._key

    def __repr__(self) -> str:
        return f"<Reference {self.function.name!r} bound={self.bound!r}>"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Reference)
            and other.function is self.function
            and other.bound == self.bound
            and other.template == self.template
            and other.options == self.options
        )

    __hash__ = None  # type: ignore[assignment]
