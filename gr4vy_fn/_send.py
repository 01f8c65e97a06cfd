"""Execution: prepare a Request with a Config, send it through a Transport with retries, decode.

This is the only layer with a clock. API and network failures are returned
as error values; invalid input raises ValidationError before anything is sent.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import evolve

from . import operations as ops
from ._decode import decode
from ._http import Headers, HeadersInput, HttpRequest, HttpResponse, Timeout, Transport
from .config import Config, header_value_ok
from .errors import (
    DeadlineExceeded,
    ErrorValue,
    Gr4vyError,
    TransportError,
    ValidationError,
)
from .models import CheckoutSession, CheckoutSessionCreateRequest, CheckoutSessionSecureFieldsUpdate
from .operations import Request
from .retry import next_delay

T = TypeVar("T")

logger = logging.getLogger("gr4vy_fn")

_JSON = "application/json"
_HEADER_NAME = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Headers that frame the message or route the connection are the transport's to
# write: a wrong Content-Length would leave part of a body (card data) on the
# connection as the start of the next request.
_FRAMING_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "host", "connection", "te", "trailer", "upgrade", "keep-alive"}
)


def _header_pairs(headers: HeadersInput | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
    for name, value in pairs:
        if not isinstance(name, str) or not name or not set(name) <= _HEADER_NAME:
            raise ValidationError("headers", "a header name must be a non-empty HTTP token")
        if name.lower() in _FRAMING_HEADERS:
            raise ValidationError(f"headers.{name}", "is set by the transport and cannot be given")
        if not header_value_ok(value):
            raise ValidationError(
                f"headers.{name}", "must be a string without CR, LF or other control characters"
            )
    return pairs


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

    `headers` add to or override the computed ones. A token callable is called once.
    """
    merged: dict[str, str] = {"User-Agent": config.user_agent, "Accept": _JSON}
    if request.body is not None:
        merged["Content-Type"] = _JSON
    token = _bearer(config)
    if token is not None:
        merged["Authorization"] = f"Bearer {token}"
    if config.merchant_account_id is not None:
        merged["X-GR4VY-MERCHANT-ACCOUNT-ID"] = config.merchant_account_id
    extra = list(request.headers.items()) + _header_pairs(headers)
    if extra:
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


def unwrap(result: T | ErrorValue) -> T:
    """Return the value, or raise the error value."""
    if isinstance(result, Gr4vyError):
        raise result
    return result


_default_transport: Transport | None = None
_default_transport_lock = threading.Lock()
_default_config: tuple[tuple[str | None, ...], Config] | None = None
_ENV = (
    "GR4VY_ID",
    "GR4VY_ENVIRONMENT",
    "GR4VY_SERVER_URL",
    "GR4VY_BEARER_TOKEN",
    "GR4VY_PRIVATE_KEY",
    "GR4VY_PRIVATE_KEY_FILE",
    "GR4VY_MERCHANT_ACCOUNT_ID",
)


def default_transport() -> Transport:
    """Return the process-wide Urllib3Transport, created on first use; reused across calls and threads."""
    global _default_transport
    if _default_transport is None:
        with _default_transport_lock:
            if _default_transport is None:
                from .transports import Urllib3Transport

                _default_transport = Urllib3Transport()
    return _default_transport


def default_config() -> Config:
    """Return `Config.from_env()`, rebuilt only when the GR4VY_* variables change."""
    global _default_config
    key = tuple(os.environ.get(name) for name in _ENV)
    cached = _default_config
    if cached is not None and cached[0] == key:
        return cached[1]
    config = Config.from_env()
    _default_config = (key, config)
    return config


def _clean(error: TransportError, attempts: int, request_sent: bool) -> TransportError:
    # A fresh copy, without the traceback and urllib3 cause of the one raised: their
    # frames hold the request body (card data), which error trackers would capture.
    return evolve(error, attempts=attempts, request_sent=request_sent)


def send(
    request: Request[T],
    *,
    config: Config | None = None,
    transport: Transport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> T | ErrorValue:
    """Send `request`, retrying by the config's policy, and return its value or an error value.

    `deadline` (seconds) bounds the whole call, overriding the policy's; pass a
    serverless function's remaining time. Never raises for API or network failures.
    """
    config = config if config is not None else default_config()
    transport = transport if transport is not None else default_transport()
    policy = config.retry
    limit = deadline if deadline is not None else policy.deadline
    base_timeout = timeout if timeout is not None else config.timeout
    clock = policy.clock
    started = clock()
    attempt = 0
    may_have_acted = False  # may an earlier attempt have reached the server and been processed?
    debug = logger.isEnabledFor(logging.DEBUG)
    while True:
        attempt += 1
        remaining = None if limit is None else limit - (clock() - started)
        if remaining is not None and remaining <= 0:
            return _clean(
                DeadlineExceeded(message=f"the deadline of {limit:g} s passed", request_sent=may_have_acted),
                attempt - 1,
                may_have_acted,
            )
        http_request = prepare(request, config, headers)
        attempt_timeout = base_timeout if remaining is None else base_timeout.clipped(remaining)
        outcome: HttpResponse | TransportError
        try:
            outcome = transport.send(http_request, attempt_timeout)
        except TransportError as exc:
            outcome = exc
        if debug:
            _log(request, outcome, attempt, clock() - started)
        delay = next_delay(
            policy,
            idempotent=request.idempotent,
            outcome=outcome,
            attempt=attempt,
            remaining=None if limit is None else limit - (clock() - started),
            now=policy.wall_clock(),
            sample=policy.random(),
        )
        if delay is None:
            break
        # A 5xx may come from a gateway after the server acted; a transport error says itself.
        may_have_acted = may_have_acted or (
            outcome.request_sent if isinstance(outcome, TransportError) else outcome.status >= 500
        )
        policy.sleep(delay)
    if isinstance(outcome, TransportError):
        return _clean(outcome, attempt, may_have_acted or outcome.request_sent)
    if request.done_if_missing and outcome.status == 404 and may_have_acted:
        # An earlier attempt may have done it: the thing is gone, which is what was asked.
        return None  # type: ignore[return-value]  # such requests are Request[None]
    if outcome.status != request.success_status:
        # A server may echo the token it was sent in an error, with or without "Bearer".
        token = http_request.headers.get("authorization", "").removeprefix("Bearer ")
        if token:
            request = evolve(request, secrets=(*request.secrets, token))
    return decode(request, outcome)


def _log(request: Request[Any], outcome: HttpResponse | TransportError, attempt: int, elapsed: float) -> None:
    status: object = outcome.status if isinstance(outcome, HttpResponse) else type(outcome).__name__
    logger.debug(
        "%s %s %s -> %s (attempt %d, %.1f ms)",
        request.operation,
        request.method,
        request.path,
        status,
        attempt,
        elapsed * 1000,
    )


def new_checkout_session(
    body: CheckoutSessionCreateRequest | None = None,
    *,
    config: Config | None = None,
    transport: Transport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> CheckoutSession | ErrorValue:
    """Create a checkout session; return it, or the error value (never resent once it may have arrived)."""
    return send(
        ops.new_checkout_session(body),
        config=config,
        transport=transport,
        headers=headers,
        timeout=timeout,
        deadline=deadline,
    )


def get_checkout_session(
    checkout_session_id: str,
    *,
    config: Config | None = None,
    transport: Transport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> CheckoutSession | ErrorValue:
    """Return the checkout session, or the error value (Error404NotFound once deleted or expired)."""
    return send(
        ops.get_checkout_session(checkout_session_id),
        config=config,
        transport=transport,
        headers=headers,
        timeout=timeout,
        deadline=deadline,
    )


def delete_checkout_session(
    checkout_session_id: str,
    *,
    config: Config | None = None,
    transport: Transport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> ErrorValue | None:
    """Delete the checkout session; return None, or the error value."""
    return send(
        ops.delete_checkout_session(checkout_session_id),
        config=config,
        transport=transport,
        headers=headers,
        timeout=timeout,
        deadline=deadline,
    )


def update_checkout_session_fields(
    checkout_session_id: str,
    body: CheckoutSessionSecureFieldsUpdate,
    *,
    config: Config | None = None,
    transport: Transport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> ErrorValue | None:
    """Put secure payment fields on the session; return None, or the error value."""
    return send(
        ops.update_checkout_session_fields(checkout_session_id, body),
        config=config,
        transport=transport,
        headers=headers,
        timeout=timeout,
        deadline=deadline,
    )


def update_checkout_session(
    checkout_session_id: str,
    body: CheckoutSessionCreateRequest,
    *,
    config: Config | None = None,
    transport: Transport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> CheckoutSession | ErrorValue:
    """Update the session's cart, buyer and other details; return the session, or the error value."""
    return send(
        ops.update_checkout_session(checkout_session_id, body),
        config=config,
        transport=transport,
        headers=headers,
        timeout=timeout,
        deadline=deadline,
    )
