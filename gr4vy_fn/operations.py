"""Pure request builders, one per operation, and the Request they return: no I/O, no clock, no environment.

Each returns a `Request` describing the call; `send` (or any HTTP client of
yours, with `prepare` and `decode`) carries it out. Invalid input raises
ValidationError here, so nothing invalid ever leaves the process.
"""

from __future__ import annotations

import json
import re
from typing import Any, Generic, TypeVar

from attrs import field, frozen

from ._http import NO_HEADERS, Headers, _body_repr, _headers
from ._value import Value
from .answer._converter import converter
from .errors import ValidationError
from .models import (
    CardPaymentMethod,
    CheckoutSession,
    CheckoutSessionCreateRequest,
    CheckoutSessionSecureFieldsUpdate,
    IdPaymentMethod,
)

__all__ = [
    "Request",
    "delete_checkout_session",
    "get_checkout_session",
    "new_checkout_session",
    "update_checkout_session",
    "update_checkout_session_fields",
]

T = TypeVar("T")

_COLLECTION = "/checkout/sessions"
# One path segment of RFC 3986 unreserved characters: nothing in it can be
# read as a separator, a query, a fragment or an escape, by us or by a proxy.
_SESSION_ID = re.compile(r"[A-Za-z0-9._~-]{1,255}")


@frozen(repr=False, eq=False)
class Request(Value, Generic[T]):
    """What to send for one operation, and how to read its answer.

    `path` is percent-encoded already; `body` is JSON bytes or None. `idempotent`
    says whether sending twice is safe. `success_status` and `response_type`
    (None for an empty answer) tell `decode` what success looks like. `secrets`
    are the request's values that must never be echoed (card number, security code).
    `done_if_missing` says a 404 after an attempt that may have gone through is success.
    `answer_id` is the id the answer must carry (the session asked for): an
    answer naming another is not this request's, whatever the connection did.
    `session_id` is the checkout session the request is about, if any, to name the call by.
    """

    operation: str
    method: str
    path: str
    body: bytes | None = None
    headers: Headers = field(default=NO_HEADERS, converter=_headers)
    idempotent: bool = True
    success_status: int = 200
    response_type: type[T] | None = None
    secrets: tuple[str, ...] = ()
    done_if_missing: bool = False
    answer_id: str | None = None
    session_id: str | None = field(default=None, eq=False)  # named by the path already

    def __repr__(self) -> str:
        return (
            f"Request(operation={self.operation!r}, method={self.method!r}, "
            f"path={self.path!r}, body={_body_repr(self.body)}, idempotent={self.idempotent!r})"
        )


def _session_path(checkout_session_id: object, suffix: str = "") -> str:
    if not isinstance(checkout_session_id, str):
        msg = f"must be a string, not {type(checkout_session_id).__name__}"
        raise ValidationError("checkout_session_id", msg)
    if checkout_session_id in {".", ".."} or not _SESSION_ID.fullmatch(checkout_session_id):
        raise ValidationError(
            "checkout_session_id",
            "must be 1..255 letters, digits, '-', '_', '.' or '~' (one path segment), and not '.' or '..'",
        )
    return f"{_COLLECTION}/{checkout_session_id}{suffix}"


def _json(body: Any) -> bytes:
    return json.dumps(
        converter.unstructure(body), separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def _require(body: object, cls: type, name: str = "body") -> None:
    if not isinstance(body, cls):
        msg = f"must be a {cls.__name__}, not {type(body).__name__}"
        raise ValidationError(name, msg)


def new_checkout_session(
    body: CheckoutSessionCreateRequest | None = None,
) -> Request[CheckoutSession]:
    """Build the request that creates a checkout session (POST; never safe to repeat)."""
    if body is not None:
        _require(body, CheckoutSessionCreateRequest)
    return Request(
        operation="new_checkout_session",
        method="POST",
        path=_COLLECTION,
        body=None if body is None else _json(body),
        idempotent=False,
        success_status=201,
        response_type=CheckoutSession,
    )


def get_checkout_session(checkout_session_id: str) -> Request[CheckoutSession]:
    """Build the request that reads a checkout session."""
    return Request(
        operation="get_checkout_session",
        method="GET",
        path=_session_path(checkout_session_id),
        response_type=CheckoutSession,
        answer_id=checkout_session_id,
        session_id=checkout_session_id,
    )


def delete_checkout_session(checkout_session_id: str) -> Request[None]:
    """Build the request that deletes a checkout session."""
    return Request(
        operation="delete_checkout_session",
        method="DELETE",
        path=_session_path(checkout_session_id),
        success_status=204,
        done_if_missing=True,
        session_id=checkout_session_id,
    )


def update_checkout_session_fields(
    checkout_session_id: str, body: CheckoutSessionSecureFieldsUpdate
) -> Request[None]:
    """Build the request that puts secure payment fields (card, Click to Pay, stored id) on a session."""
    path = _session_path(checkout_session_id, "/fields")
    _require(body, CheckoutSessionSecureFieldsUpdate)
    method = body.payment_method
    secrets: tuple[str | None, ...] = ()
    if isinstance(method, CardPaymentMethod):
        secrets = (method.number, method.security_code)
    elif isinstance(method, IdPaymentMethod):
        secrets = (method.security_code,)
    return Request(
        operation="update_checkout_session_fields",
        method="PUT",
        path=path,
        body=_json(body),
        success_status=204,
        secrets=tuple(secret for secret in secrets if secret),
        session_id=checkout_session_id,
    )


def update_checkout_session(
    checkout_session_id: str, body: CheckoutSessionCreateRequest
) -> Request[CheckoutSession]:
    """Build the request that replaces a checkout session's cart, buyer and other details."""
    path = _session_path(checkout_session_id)
    _require(body, CheckoutSessionCreateRequest)
    return Request(
        operation="update_checkout_session",
        method="PUT",
        path=path,
        body=_json(body),
        response_type=CheckoutSession,
        answer_id=checkout_session_id,
        session_id=checkout_session_id,
    )
