"""HTTP value types shared by the pure layers and the transports; no I/O."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol

from attrs import field, frozen

from ._error_root import ValidationError
from ._redact import scrub
from ._value import Value

HeadersInput = Mapping[str, str] | Iterable[tuple[str, str]]

MAX_RESPONSE_BYTES = 1 << 20
"""The largest body a shipped transport reads; a larger one is ResponseTooLarge."""

_SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})


class Headers(Mapping[str, str]):
    """An immutable, case-insensitive header mapping; repeated names are joined by ', '."""

    __slots__ = ("_pending", "_table")

    def __init__(self, headers: HeadersInput | None = None) -> None:
        self._pending: HeadersInput | None = None
        self._table: dict[str, tuple[str, str]] | None = self._build(headers)

    @classmethod
    def deferred(cls, headers: HeadersInput) -> Headers:
        """Wrap headers that nobody else holds, and read them only if asked (most answers never are)."""
        deferred = cls.__new__(cls)
        deferred._pending = headers
        deferred._table = None
        return deferred

    @staticmethod
    def _build(headers: HeadersInput | None) -> dict[str, tuple[str, str]]:
        items: dict[str, tuple[str, str]] = {}
        pairs = headers.items() if isinstance(headers, Mapping) else (headers or ())
        for name, value in pairs:
            key = name.lower()
            if key in items:
                value = f"{items[key][1]}, {value}"
            items[key] = (name, value)
        return items

    @property
    def _items(self) -> dict[str, tuple[str, str]]:
        if self._table is None:
            self._table = self._build(self._pending)
            self._pending = None
        return self._table

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self.lower_items()) == {str(k).lower(): v for k, v in other.items()}
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self.lower_items()))

    def __repr__(self) -> str:
        # A server may echo a token or card number in any header; card-like numbers and tokens are scrubbed.
        shown = {
            scrub(name): "<redacted>" if name.lower() in _SENSITIVE_HEADERS else scrub(value)
            for name, value in self._items.values()
        }
        return f"Headers({shown!r})"

    def to_dict(self) -> dict[str, str]:
        """Return a plain dict of the headers, names as given."""
        if self._table is None and isinstance(self._pending, dict):
            return dict(self._pending)  # built by us, one value a name: no need to normalize
        return dict(self._items.values())

    def lower_items(self) -> Iterator[tuple[str, str]]:
        """Yield (lower-case name, value) pairs."""
        return ((key, pair[1]) for key, pair in self._items.items())


NO_HEADERS = Headers()


def _headers(value: HeadersInput | None) -> Headers:
    return value if isinstance(value, Headers) else Headers(value)


def _body_repr(body: bytes | None) -> str:
    return "None" if body is None else f"<{len(body)} bytes>"


@frozen(repr=False, eq=False)
class HttpRequest(Value):
    """A request ready for the wire: absolute URL, every header, body bytes."""

    method: str
    url: str
    headers: Headers = field(factory=Headers, converter=_headers)
    body: bytes | None = None

    def __repr__(self) -> str:
        # The body may hold card data and the headers a bearer token: neither is shown.
        return (
            f"HttpRequest(method={self.method!r}, url={self.url!r}, "
            f"headers={self.headers!r}, body={_body_repr(self.body)})"
        )


@frozen(repr=False, eq=False)
class HttpResponse(Value):
    """What a server answered: status, headers (case-insensitive), body bytes."""

    status: int
    headers: Headers = field(factory=Headers, converter=_headers)
    body: bytes = b""

    def __repr__(self) -> str:
        return f"HttpResponse(status={self.status!r}, headers={self.headers!r}, body={_body_repr(self.body)})"


def _seconds(name: str, value: float | None) -> float | None:
    """Return None, or a positive, finite number of seconds as a float; anything else is refused."""
    if value is None or (type(value) is float and 0 < value < math.inf):
        return value  # the common case first
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"Timeout.{name}", "must be a number of seconds or None")
    if not math.isfinite(value) or value <= 0:
        raise ValidationError(f"Timeout.{name}", "must be a positive, finite number of seconds")
    return float(value)


# One named converter per field, so an error names the field and mypy sees Timeout's parameters.


def _connect_seconds(value: float | None) -> float | None:
    return _seconds("connect", value)


def _read_seconds(value: float | None) -> float | None:
    return _seconds("read", value)


def _total_seconds(value: float | None) -> float | None:
    return _seconds("total", value)


@frozen(eq=False, repr=False)
class Timeout(Value):
    """Seconds to wait: to connect, for each read, and for the whole attempt (None: no limit).

    Raises ValidationError for anything but None or a positive, finite number.
    """

    connect: float | None = field(default=5.0, converter=_connect_seconds)
    read: float | None = field(default=15.0, converter=_read_seconds)
    total: float | None = field(default=None, converter=_total_seconds)

    def clipped(self, remaining: float) -> Timeout:
        """Return this timeout with every limit at most `remaining` (finite) seconds."""
        remaining = max(remaining, 0.001)
        # Every attempt under a deadline makes one: built without __init__, because limits
        # already checked and a finite positive `remaining` need no converter run again.
        clipped = object.__new__(Timeout)
        for name in ("connect", "read", "total"):
            limit = getattr(self, name)
            object.__setattr__(clipped, name, remaining if limit is None else min(limit, remaining))
        return clipped


class Transport(Protocol):
    """Sends one HttpRequest once; raises a TransportError when no complete answer came."""

    def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Send the request and return the whole response."""
        ...


class AsyncTransport(Protocol):
    """Sends one HttpRequest once, under asyncio; raises a TransportError when no complete answer came."""

    async def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Send the request and return the whole response."""
        ...
