"""Error values: what a call returns when it does not succeed, and what invalid input raises.

Every class here is a Gr4vyError; docs/errors.md draws the tree and says when each comes.

API errors, unexpected responses and transport errors are *returned* by the calls;
`unwrap` raises them for callers who prefer exceptions. ValidationError is raised.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import Factory, define, field

from ._error_root import Gr4vyError as Gr4vyError  # defined in a leaf, so _http can raise it
from ._error_root import ValidationError as ValidationError
from ._http import Headers, _headers
from ._redact import Scrubbed, clip
from ._value import Value

TEXT_LIMIT = 2000
"""The most characters of one text from the server (a message, a detail) an error value keeps."""


def _in_call(call: str, text: str) -> str:
    # `call` names the operation and the checkout session id (never a secret),
    # so a raised error says which call failed: "get_checkout_session(8724fd24-…): 404 …".
    return f"{call}: {text}" if call else text


def _server_text(value: str) -> str:
    # Scrubbed and clipped once, when the value is made, so a 900 KB message
    # neither shows whole nor is scanned again by every repr. What decode
    # clipped (with the request's own secrets) is kept as it is.
    if type(value) is Scrubbed:
        return str(value)
    return clip(value, limit=TEXT_LIMIT) if isinstance(value, str) else value


def _optional_server_text(value: str | None) -> str | None:
    # Its own converter so that the constructor (and mypy) take None for an optional field.
    return _server_text(value) if value is not None else None


def _shown_text(value: object) -> str:
    # Text was scrubbed when the value was made; anything else is scrubbed as it is shown.
    return repr(value) if isinstance(value, str) else clip(repr(value), limit=TEXT_LIMIT)


def _text_field(default: str = "") -> str:
    return field(default=default, converter=_server_text, repr=_shown_text)


@define(frozen=True, eq=False, repr=False)
class ErrorDetail(Value):
    """One item of an API error's `details`: where in the request, and what is wrong.

    `location` is the server's word (`body`, `query`, `path`, `header`, or one
    added later, kept as it came), or `unknown` when it sent none.
    """

    location: str = _text_field("unknown")
    type: str = _text_field()
    pointer: str = _text_field()
    message: str = _text_field()


@define(eq=False, repr=False, auto_exc=False, kw_only=True)
class ApiError(Gr4vyError):
    """The server answered with an error status and an error object."""

    status: int
    code: str = _text_field()
    message: str = _text_field()
    details: tuple[ErrorDetail, ...] = ()
    headers: Headers = field(factory=Headers, converter=_headers, repr=False)
    call: str = field(default="", eq=False, repr=False)

    def __str__(self) -> str:
        return _in_call(self.call, f"{self.status} {self.code}: {self.message}".rstrip(": "))


class Error401Unauthorized(ApiError):
    """401: no valid API authentication was found."""


class Error404NotFound(ApiError):
    """404: the checkout session does not exist (any more)."""


@define(eq=False, repr=False, auto_exc=False, kw_only=True)
class Error409DuplicateRecord(ApiError):
    """409: a record with these details exists already."""

    resource_id: str | None = field(default=None, converter=_optional_server_text, repr=_shown_text)


@define(eq=False, repr=False, auto_exc=False, kw_only=True)
class Error429TooManyRequests(ApiError):
    """429: too many requests; `retry_after` is the server's wait in seconds, if it gave one."""

    retry_after: float | None = None


class ErrorGeneric(ApiError):
    """Any other error status with an error object (400, 403, 405, 422, 425, 5xx)."""


@define(eq=False, repr=False, auto_exc=False, kw_only=True)
class UnexpectedResponse(Gr4vyError):
    """An answer this client cannot read: why, and a bounded, redacted excerpt of the body."""

    status: int
    reason: str = field(converter=_server_text, repr=_shown_text)
    excerpt: str = _text_field()
    headers: Headers = field(factory=Headers, converter=_headers, repr=False)
    call: str = field(default="", eq=False, repr=False)

    def __str__(self) -> str:
        return _in_call(self.call, f"unexpected response ({self.status}): {self.reason}")


@define(eq=False, repr=False, auto_exc=False, kw_only=True)
class TransportError(Gr4vyError):
    """No complete answer came; `request_sent` says whether the server may have acted.

    Unless told, a failure is taken to have happened after sending (the safe
    assumption for a create); subclasses for failures before sending say otherwise.
    """

    sent_by_default: ClassVar[bool] = True

    message: str
    request_sent: bool = field(default=Factory(lambda error: error.sent_by_default, takes_self=True))
    attempts: int = 1
    call: str = field(default="", eq=False, repr=False)

    def __str__(self) -> str:
        sent = "may have reached the server" if self.request_sent else "was not sent"
        where = _in_call(self.call, self.message)
        return f"{type(self).__name__}: {where} (the request {sent}; attempts: {self.attempts})"


# Subclasses that add no field are plain subclasses: attrs' generated methods
# are inherited, and each class attrs builds costs import time.


class ConnectError(TransportError):
    """The connection was refused or the host name did not resolve."""

    sent_by_default = False


class ConnectTimeout(TransportError):
    """No connection was made in time."""

    sent_by_default = False


@define(eq=False, repr=False, auto_exc=False, kw_only=True)
class TlsError(TransportError):
    """The TLS handshake failed, stalled, or the certificate did not verify."""

    sent_by_default = False

    verification: bool = False


class ReadTimeout(TransportError):
    """The request was sent but no answer came in time."""


class ConnectionDropped(TransportError):
    """The connection was closed or reset before a complete answer."""


class DeadlineExceeded(TransportError):
    """The call's overall deadline passed before a complete answer."""


def _deadline_exceeded(request_sent: bool) -> DeadlineExceeded:
    """The error of an attempt its deadline cut off, in the same words from every transport."""
    if request_sent:
        return DeadlineExceeded(message="no complete answer before the deadline", request_sent=True)
    return DeadlineExceeded(message="the deadline passed before the request was sent", request_sent=False)


@define(eq=False, repr=False, auto_exc=False, kw_only=True)
class ResponseTooLarge(TransportError):
    """The answer's body was larger than the transport accepts; it was not read to the end."""

    status: int = 0


ErrorValue = ApiError | UnexpectedResponse | TransportError
"""What a call returns instead of its value when it does not succeed."""
