"""Header preparation: a Request plus a Config becomes an HttpRequest ready for the wire; no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._http import NO_HEADERS, Headers, HeadersInput, HttpRequest
from .config import Config, header_value_ok
from .errors import ValidationError
from .operations import Request

_JSON = "application/json"
_HEADER_NAME = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Headers that frame the message or route the connection are the transport's to
# write: a wrong Content-Length would leave part of a body (card data) on the
# connection as the start of the next request.
_FRAMING_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "host", "connection", "te", "trailer", "upgrade", "keep-alive"}
)


def _checked_headers(headers: HeadersInput | None) -> list[tuple[str, str]]:
    """Return a caller's headers as pairs, refusing any that could split the request."""
    if headers is None:
        return []
    given: object = headers  # checked as it came: callers may pass anything
    if not isinstance(given, (Mapping, list, tuple)):
        raise ValidationError("headers", "must be a mapping or a list of (name, value) pairs")
    pairs: list[object] = list(given.items() if isinstance(given, Mapping) else given)
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise ValidationError("headers", "must be a mapping or a list of (name, value) pairs")
        name, value = pair
        if not isinstance(name, str) or not name or not set(name) <= _HEADER_NAME:
            raise ValidationError("headers", "a header name must be a non-empty HTTP token")
        if name.lower() in _FRAMING_HEADERS:
            raise ValidationError(f"headers.{name}", "is set by the transport and cannot be given")
        if not header_value_ok(value):
            raise ValidationError(
                f"headers.{name}", "must be a string without CR, LF or other control characters"
            )
    return pairs  # type: ignore[return-value]  # each checked above to be a (str, str) pair


def _bearer(config: Config) -> str | None:
    token = config.bearer_token
    if token is None or isinstance(token, str):
        return token
    value = token()
    if not header_value_ok(value):
        raise ValidationError("bearer_token", "the token provider returned a value that cannot be a header")
    return value


def prepare(request: Request[Any], config: Config, headers: HeadersInput | None = None) -> HttpRequest:
    """Return the HttpRequest for `request` under `config`: absolute URL, auth and every header.

    `headers` add to or override the computed ones, whatever their case. A
    token callable is called once. Raises ValidationError for a header that
    could split the request, or a token provider's value that cannot be a header.
    """
    merged: dict[str, str] = {"User-Agent": config.user_agent, "Accept": _JSON}
    if request.body is not None:
        merged["Content-Type"] = _JSON
    token = _bearer(config)
    if token is not None:
        merged["Authorization"] = f"Bearer {token}"
    if config.merchant_account_id is not None:
        merged["X-GR4VY-MERCHANT-ACCOUNT-ID"] = config.merchant_account_id
    extra = _checked_headers(headers)
    if request.headers is not NO_HEADERS:  # the builders set none: skip reading an empty mapping
        extra[:0] = request.headers.items()
    if extra:
        # Header names are case-insensitive: an override replaces the computed
        # header whatever its case, and the caller's spelling is what is sent.
        # `lower` maps each lower-cased name to the spelling now in `merged`.
        lower = {name.lower(): name for name in merged}
        for name, value in extra:
            merged.pop(lower.pop(name.lower(), name), None)
            merged[name] = value
            lower[name.lower()] = name
    # `merged` is ours and has one entry a name: the transport may take it as it is.
    return HttpRequest(
        method=request.method,
        url=config.base_url + request.path,
        headers=Headers.deferred(merged),
        body=request.body,
    )
