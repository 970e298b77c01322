"""Every htmx name the extension reads or writes, in one place.

Two dialects: htmx **4** (the vendored 4.0.1, the default) and htmx **2** (2.0.11+,
for apps that load their own htmx 2; ``SERVER_FUNCTIONS_DIALECT = "2"``). Nothing
else in the package spells an ``hx-*`` attribute, an ``HX-*`` header or an
``htmx:*`` event.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import typing as t

from flask import Request
from markupsafe import escape
from werkzeug.datastructures import Headers

#: The htmx release vendored in ``static/vendor/htmx`` (see its README.md).
HTMX_VERSION = "4.0.1"

#: The confirmation attribute ``server_button(confirm=...)`` writes.
HX_CONFIRM = "hx-confirm"

# Request headers htmx sends (htmx 4 names).
HX_REQUEST = "HX-Request"
HX_BOOSTED = "HX-Boosted"
HX_HISTORY_RESTORE_REQUEST = "HX-History-Restore-Request"
HX_CURRENT_URL = "HX-Current-URL"
HX_SOURCE = "HX-Source"
HX_TARGET = "HX-Target"

# Response headers the extension may set.
HX_REDIRECT = "HX-Redirect"
HX_TRIGGER = "HX-Trigger"
HX_RESWAP = "HX-Reswap"

#: The controls htmx 2 disables while a request is in flight (htmx 4: the script does).
_CONTROL_TAGS = ("input", "button", "select", "textarea")


@dataclasses.dataclass(frozen=True)
class Dialect:
    """The attribute and event names of one htmx major version."""

    name: str
    event_before_request: str
    event_finally_request: str
    #: The event in which the script lets 4xx/5xx answers swap (htmx 2 only).
    event_before_swap: str | None = None
    #: Whether the extension may serve its bundled htmx (4.0.1) for this markup.
    bundled_htmx: bool = True
    #: How attribute names are spelled on pages: ``"hx-"`` or ``"data-hx-"`` (which
    #: htmx 4 and 2 read alike, and which HTML validators accept).
    prefix: str = "hx-"

    def with_prefix(self, prefix: str) -> Dialect:
        """This dialect, writing attribute names with ``prefix`` (one of :data:`PREFIXES`)."""
        if prefix not in PREFIXES:
            raise ValueError(f"the attribute prefix must be one of: {', '.join(PREFIXES)}")
        return self if prefix == self.prefix else dataclasses.replace(self, prefix=prefix)

    def attr(self, name: str) -> str:
        """The page's spelling of the htmx attribute ``name`` (``hx-swap``, ``data-hx-swap``)."""
        canonical = canonical_name(name)
        return self.prefix + canonical[3:] if canonical.startswith("hx-") else canonical

    def disabled_controls(self, form_id: str) -> str:
        """htmx 2's ``hx-disabled-elt`` for every control of the form (no ``findAll``
        in htmx 2: global selectors scoped by the form's id)."""
        quoted = form_id.replace("\\", "\\\\").replace('"', '\\"')
        return ", ".join(f'form[id="{quoted}"] {tag}' for tag in _CONTROL_TAGS)

    def form_attributes(self, action: str, form_id: str) -> dict[str, str | bool]:
        """The htmx attributes of a server-function ``<form>`` (spelled with :attr:`prefix`).

        htmx 4: only an empty ``hx-post``. The extension's script does the rest in
        ``htmx:config:request`` and ``htmx:before:request``: it posts to the form's
        ``action`` (so the signed URL is written once), makes the form its own target
        and swaps its inside (unless the form has an ``hx-target`` or ``hx-swap`` of
        its own: nothing an ancestor passes down with ``hx-target:inherited``, nor
        ``htmx.config.defaultSwap``, changes that), disables the form's controls
        while the call runs and drops a second submit meanwhile.

        htmx 2 gets all of it written out (explicit attributes override inherited
        ones there).
        """
        if self.name != "2":
            return {self.attr("hx-post"): True}
        attrs = {
            "hx-post": action,
            "hx-target": "this",
            "hx-swap": "innerHTML",
            "hx-sync": "this:drop",  # a second submit while one is in flight is dropped
            # In htmx 2, hx-disable switches htmx off for the subtree: never write it.
            "hx-disabled-elt": self.disabled_controls(form_id),
        }
        return {self.attr(name): value for name, value in attrs.items()}

    def form_attributes_html(self, action: str, form_id: str) -> str:
        """:meth:`form_attributes` as HTML (escaped), the constant part built once."""
        if self.name != "2":
            return _constant_html(self, "")
        return f'{self.attr("hx-post")}="{escape(action)}" ' + _constant_html(self, form_id)

    def partial(self, target_id: str, html: str) -> str:
        """Wrap ``html`` so htmx swaps it into the element ``#target_id`` (``<hx-partial>``,
        in htmx 4 and 2.0.11+), besides the main swap."""
        return (
            f'<hx-partial hx-target="#{escape(target_id)}" hx-swap="innerHTML">{html}</hx-partial>'
        )

    def trigger_header(self, events: t.Iterable[str]) -> str:
        """The ``HX-Trigger`` value firing ``events`` on ``<body>``.

        htmx 4 fires header events on the form after the swap; a form inside a part
        the same answer re-renders is gone from the page by then, so the events are
        sent to ``body`` (the same in htmx 2), where ``hx-trigger="NAME from:body"``
        hears them.
        """
        return json.dumps({event: {"target": "body"} for event in events}, separators=(",", ":"))

    def script_events(self) -> dict[str, str]:
        """Event names the extension's script listens to (passed as data attributes)."""
        events = {
            "before": self.event_before_request,
            "finally": self.event_finally_request,
        }
        if self.event_before_swap:
            events["before-swap"] = self.event_before_swap
        return events


#: The spellings of htmx attribute names (``SERVER_FUNCTIONS_ATTRIBUTE_PREFIX``).
PREFIXES = ("hx-", "data-hx-")


def canonical_name(name: str) -> str:
    """An attribute name as compared: lower case, ``data-hx-*`` read as ``hx-*``."""
    name = name.lower()
    return name[5:] if name.startswith("data-hx-") else name


@functools.lru_cache(maxsize=1024)
def _constant_html(dialect: Dialect, form_id: str) -> str:
    attrs = dialect.form_attributes("", form_id)
    if dialect.name == "2":  # the URL is written per form
        del attrs[dialect.attr("hx-post")]
    return " ".join(
        name if value is True else f'{name}="{escape(value)}"' for name, value in attrs.items()
    )


HTMX4 = Dialect(
    name="4",
    event_before_request="htmx:before:request",
    event_finally_request="htmx:finally:request",
)

HTMX2 = Dialect(
    name="2",
    event_before_request="htmx:beforeRequest",
    event_finally_request="htmx:afterRequest",
    # htmx 2 does not swap 4xx/5xx: the script opts server-function forms in, so
    # field errors (422) and failures (500) are shown as with htmx 4.
    event_before_swap="htmx:beforeSwap",
    bundled_htmx=False,
)

DIALECTS: dict[str, Dialect] = {"4": HTMX4, "2": HTMX2}


@dataclasses.dataclass(frozen=True)
class HtmxDetails:
    """What htmx said about a request, one property per header (like django-htmx)."""

    headers: Headers | t.Mapping[str, str] | _EnvironHeaders

    @classmethod
    def from_request(cls, request: Request) -> HtmxDetails:
        return cls(_EnvironHeaders(request.environ))

    def _flag(self, name: str) -> bool:
        return _is_true(self.headers.get(name))

    @property
    def request(self) -> bool:
        """``HX-Request: true``: htmx sent this request."""
        return self._flag(HX_REQUEST)

    @property
    def boosted(self) -> bool:
        """``HX-Boosted: true``: a boosted request, which expects a full page."""
        return self._flag(HX_BOOSTED)

    @property
    def history_restore_request(self) -> bool:
        """``HX-History-Restore-Request: true``: htmx restores a page from history."""
        return self._flag(HX_HISTORY_RESTORE_REQUEST)

    @property
    def current_url(self) -> str | None:
        """``HX-Current-URL``: the URL of the page that sent the request."""
        return self.headers.get(HX_CURRENT_URL)

    @property
    def source(self) -> str | None:
        """``HX-Source``: the element that triggered the request (htmx 4)."""
        return self.headers.get(HX_SOURCE)

    @property
    def target(self) -> str | None:
        """``HX-Target``: the target element's id, if it has one."""
        return self.headers.get(HX_TARGET)

    @property
    def wants_fragment(self) -> bool:
        """Answer with a fragment to swap, not a redirect to a page.

        True for plain htmx requests; boosted and history-restore requests expect a
        page, so they take the no-JS path.
        """
        return self.request and not self.boosted and not self.history_restore_request


def environ_wants_fragment(environ: t.Mapping[str, str]) -> bool:
    """:attr:`HtmxDetails.wants_fragment` of the request with this WSGI environ, read
    straight from it (the call path asks on every call)."""
    return (
        environ.get(_HX_REQUEST_KEY, "").lower() == "true"
        and environ.get(_HX_BOOSTED_KEY, "").lower() != "true"
        and environ.get(_HX_RESTORE_KEY, "").lower() != "true"
    )


def _is_true(value: str | None) -> bool:
    return value is not None and value.lower() == "true"


class _EnvironHeaders:
    """The few request headers :class:`HtmxDetails` reads, straight from the WSGI
    environ (each call reads two or three; Werkzeug's ``request.headers`` costs more)."""

    __slots__ = ("environ",)

    def __init__(self, environ: t.Mapping[str, t.Any]) -> None:
        self.environ = environ

    def get(self, name: str) -> str | None:
        return t.cast("str | None", self.environ.get(environ_key(name)))


@functools.lru_cache(maxsize=64)
def environ_key(header: str) -> str:
    """The WSGI environ key of a request header (``HX-Request``: ``HTTP_HX_REQUEST``)."""
    return "HTTP_" + header.upper().replace("-", "_")


_HX_REQUEST_KEY = environ_key(HX_REQUEST)
_HX_BOOSTED_KEY = environ_key(HX_BOOSTED)
_HX_RESTORE_KEY = environ_key(HX_HISTORY_RESTORE_REQUEST)
