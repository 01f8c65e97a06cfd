"""Turning an HTTP response into the operation's value or an error value; pure.

Nothing a server sends makes `decode` raise: each way an answer can be
unreadable (no JSON, the wrong shape, a value Python cannot hold) is caught
where it happens and becomes an UnexpectedResponse. Any other exception is a
bug of ours, and is left to surface.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .._http import Headers, HttpResponse
from .._redact import Scrubbed, clip, excerpt, reach
from ..errors import (
    TEXT_LIMIT,
    ApiError,
    Error401Unauthorized,
    Error404NotFound,
    Error409DuplicateRecord,
    Error429TooManyRequests,
    ErrorDetail,
    ErrorGeneric,
    ErrorValue,
    UnexpectedResponse,
)
from ..operations import Request
from ..retry import retry_after
from ._converter import converter
from ._readers import ShapeError

T = TypeVar("T")

_REASON_LIMIT = 300

_API_ERRORS: Mapping[int, type[ApiError]] = {
    401: Error401Unauthorized,
    404: Error404NotFound,
    409: Error409DuplicateRecord,
    429: Error429TooManyRequests,
}


def decode(
    request: Request[T], response: HttpResponse, secrets: tuple[str, ...] | None = None
) -> T | ErrorValue:
    """Return the operation's value, or the error value the response amounts to.

    Takes the Request that was sent and the HttpResponse that came back, and
    the texts to scrub from an error value (None: the request's secrets; the
    engine adds the token it sent). Never raises on anything a server sends:
    a body that cannot be read becomes UnexpectedResponse.
    """
    if secrets is None:
        secrets = request.secrets
    status = response.status
    if status == request.success_status:
        if request.response_type is None:
            return None  # type: ignore[return-value]  # Request[None]: the empty answer is the value
        value = _structure(secrets, response, request.response_type)
        if request.answer_id is not None and getattr(value, "id", request.answer_id) != request.answer_id:
            return _unexpected(secrets, response, "the answer is for another checkout session")
        return value
    if 400 <= status <= 599:
        return _api_error(secrets, response)
    return _unexpected(secrets, response, f"status {status} is not an answer {request.operation} defines")


def _unexpected(secrets: tuple[str, ...], response: HttpResponse, reason: str) -> UnexpectedResponse:
    return UnexpectedResponse(
        status=response.status,
        reason=Scrubbed(clip(reason, secrets, limit=_REASON_LIMIT)),
        excerpt=Scrubbed(excerpt(response.body, secrets)),
        headers=_shown_headers(response.headers, secrets),
    )


def _shown_headers(headers: Headers, secrets: tuple[str, ...]) -> Headers:
    """Return the headers an error value keeps, with what a server echoed of the secrets scrubbed.

    They are read within a budget of their own (HEADERS_SCAN_BUDGET): past it, the rest are dropped.
    """
    reading = _Reading(secrets, HEADERS_SCAN_BUDGET)
    kept: list[tuple[str, str]] = []
    for name, value in headers.items():
        if reading.spent:
            break
        kept.append((reading.text(name), reading.text(value)))
    return Headers(kept)


def _parsed_body(secrets: tuple[str, ...], response: HttpResponse) -> Any:
    """Return the parsed body, or an UnexpectedResponse saying why it is not JSON."""
    try:
        return json.loads(response.body)
    except (ValueError, RecursionError):
        # Only a body that failed to parse is looked at again, to say why.
        if not response.body or response.body.isspace():
            return _unexpected(secrets, response, "the body is empty")
        return _unexpected(secrets, response, "the body is not valid JSON (truncated or not JSON)")


def _structure(secrets: tuple[str, ...], response: HttpResponse, cls: type[T]) -> T | ErrorValue:
    data = _parsed_body(secrets, response)
    if isinstance(data, UnexpectedResponse):
        return data
    if not isinstance(data, dict):
        return _unexpected(secrets, response, f"expected a JSON object, got {type(data).__name__}")
    try:
        return converter.structure(data, cls)
    except ShapeError as exc:
        return _unexpected(secrets, response, f"not a {cls.__name__}: {exc}")


SCAN_BUDGET = 17_000
"""The most characters of one error answer's texts (code, message, details), or headers, scrubbed.

Scrubbing a hostile text costs up to some 8 µs a character (single digits
between spaces, each a possible card), so a body of a thousand details would
cost seconds past the call's deadline; three whole
texts (2,000 characters each, and the reach of a secret around them) fit. The texts are
read in order (code, message, resource id, then each detail); one that does
not fit in what is left is cut shorter, and once the budget is spent no
further detail is kept."""


HEADERS_SCAN_BUDGET = 6_000
"""The most characters of one error answer's header names and values scrubbed (typically 1,000 are)."""


class _Reading:
    """The texts of one error answer, scrubbed of the request's secrets within SCAN_BUDGET."""

    __slots__ = ("left", "reach", "secrets")

    def __init__(self, secrets: tuple[str, ...], budget: int = SCAN_BUDGET) -> None:
        self.secrets = secrets
        self.reach = reach(secrets)
        self.left = budget

    @property
    def spent(self) -> bool:
        return self.left <= self.reach

    def text(self, value: object) -> str:
        # Clipped: only the start of a long text is scanned, and no secret is cut in part.
        if not isinstance(value, str):
            return ""
        limit = min(TEXT_LIMIT, (self.left - self.reach) // 2)
        if limit <= 0:
            return "…" if value else ""
        self.left -= min(len(value), 2 * limit + self.reach)
        return Scrubbed(clip(value, self.secrets, limit=limit))

    def location(self, value: object) -> str:
        # An enum that grows over time: a value this version does not know is kept, as for every enum.
        return self.text(value) if isinstance(value, str) and value else "unknown"


def _details(items: object, reading: _Reading, validation: bool = False) -> tuple[ErrorDetail, ...]:
    """Read an error's `details`, or with `validation` a 422 `detail` list (its `input` and `ctx`
    may echo the request and are dropped)."""
    details: list[ErrorDetail] = []
    for item in items if isinstance(items, list) else ():
        if reading.spent:
            break
        if not isinstance(item, dict):
            continue
        if validation:
            parts = item.get("loc")
            loc = (
                [str(part) for part in parts if isinstance(part, (str, int))]
                if isinstance(parts, list)
                else []
            )
            where = {"location": loc[0] if loc else None, "pointer": "/" + "/".join(loc[1:])}
            item = {**where, "type": item.get("type"), "message": item.get("msg")}
        details.append(
            ErrorDetail(
                location=reading.location(item.get("location")),
                type=reading.text(item.get("type")),
                pointer=reading.text(item.get("pointer")),
                message=reading.text(item.get("message")),
            )
        )
    return tuple(details)


def _api_error(secrets: tuple[str, ...], response: HttpResponse) -> ErrorValue:
    data = _parsed_body(secrets, response)
    if isinstance(data, UnexpectedResponse):
        return data
    reading = _Reading(secrets)
    if isinstance(data, dict) and isinstance(data.get("detail"), list):
        details = _details(data["detail"], reading, validation=True)
        joined = "; ".join(f"{d.pointer}: {d.message}" for d in details)
        # Made of scrubbed texts: scanned again only for a secret the joining spelled, within the window.
        message = Scrubbed(clip(joined, secrets, limit=TEXT_LIMIT)) or "validation failed"
        return ErrorGeneric(
            status=response.status,
            code="validation_error",
            message=message,
            details=details,
            headers=_shown_headers(response.headers, secrets),
        )
    looks_like_error = isinstance(data, dict) and (
        data.get("type") == "error" or isinstance(data.get("code"), str)
    )
    if not looks_like_error:
        return _unexpected(secrets, response, f"status {response.status} without an error object")
    cls = _API_ERRORS.get(response.status, ErrorGeneric)
    code, message = reading.text(data.get("code")), reading.text(data.get("message"))
    extra: dict[str, Any] = {}
    if cls is Error409DuplicateRecord:
        resource_id = data.get("resource_id")
        extra["resource_id"] = reading.text(resource_id) if isinstance(resource_id, str) else None
    elif cls is Error429TooManyRequests:
        extra["retry_after"] = retry_after(response.headers)
    make: Callable[..., ApiError] = cls
    return make(
        status=response.status,
        code=code,
        message=message,
        details=_details(data.get("details"), reading),
        headers=_shown_headers(response.headers, secrets),
        **extra,
    )
