"""The attempt engine: the attempts, waits and result of one call, decided without I/O.

Both drivers (`gr4vy_fn.send` and `gr4vy_fn.aio.send`) run the same
generator, so their retries cannot drift apart. It yields `Send(request,
timeout)` when an attempt is due and `Sleep(seconds)` between attempts; the
driver sends back the attempt's outcome (the HttpResponse, or the
TransportError raised) or None after sleeping, and the generator's return
value is the call's result: the decoded value or an error value.

It owns the deadline (each attempt's timeout is clipped to what is left),
backoff and Retry-After (through `retry.next_delay`), the create's rule (a
request that may have arrived is never sent again), the rule that a 404 after
a delete that may have gone through is success, and the debug log line.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Generator
from typing import Any, TypeVar

from attrs import evolve

from .._http import HeadersInput, HttpRequest, HttpResponse, Timeout
from .._prepare import prepare
from ..answer._decode import decode
from ..config import Config
from ..errors import (
    ApiError,
    DeadlineExceeded,
    ErrorValue,
    Gr4vyError,
    TransportError,
    UnexpectedResponse,
)
from ..hooks import AttemptEnded, AttemptStarted, CallEnded, CallStarted, Hook, hooks_of, notify
from ..operations import Request
from ..retry import next_delay
from ._log_scrub import attempt_scope, end_attempt

T = TypeVar("T")
E = TypeVar("E")

logger = logging.getLogger("gr4vy_fn")


class _Step:
    """A step's value semantics, by its slots: equal and shown by its fields."""

    __slots__: tuple[str, ...] = ()

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._fields() == other._fields()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({shown})"


# The steps are plain slotted classes, not attrs ones: attrs compiles an `__init__` for each
# class it makes, a cost every cold start paid for two classes only this module builds.
class Send(_Step):
    """Send `request` once, giving up after `timeout`; then send the outcome back."""

    __slots__ = ("request", "timeout")

    def __init__(self, request: HttpRequest, timeout: Timeout) -> None:
        self.request = request
        self.timeout = timeout


class Sleep(_Step):
    """Wait `seconds` before the next attempt; then send None back."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


Outcome = HttpResponse | TransportError
Attempts = Generator[Send | Sleep, Outcome | None, T | ErrorValue]


def call_name(request: Request[Any]) -> str:
    """Name the call for messages: the operation and, if any, the checkout session id (never a secret)."""
    session_id = request.session_id
    return f"{request.operation}({session_id})" if session_id else request.operation


def attempts(
    request: Request[T],
    config: Config,
    *,
    headers: HeadersInput | None,
    timeout: Timeout | None,
    deadline: float | None,
) -> Attempts[T]:
    """Run one call's attempts as a generator of Send and Sleep steps; return its result.

    `deadline` (seconds) overrides the policy's. Raises ValidationError (from
    `prepare`) before the first Send for headers that could split the request.
    The call's hooks (see gr4vy_fn.hooks) are told of each step. A driver that
    fails between steps (an exception from a transport, a cancelled task)
    throws the exception in, so that the attempt's secrets are let go and the
    hooks told before it propagates.
    """
    hooks = hooks_of(config.hooks)
    if not hooks:
        return _attempts(request, config, headers, timeout, deadline, None)
    return _observed(request, config, headers, timeout, deadline, hooks)


_call_ids = itertools.count(1)


def _observed(
    request: Request[T],
    config: Config,
    headers: HeadersInput | None,
    timeout: Timeout | None,
    deadline: float | None,
    hooks: tuple[Hook, ...],
) -> Attempts[T]:
    """The attempts, with `hooks` told of the call's start and end (and, by `_attempts`, of each attempt)."""
    observer = _Observer(hooks, request, config.retry.clock)
    notify(hooks, "call_started", observer.event(CallStarted))
    try:
        result = yield from _attempts(request, config, headers, timeout, deadline, observer)
    except BaseException as exc:  # refused, cancelled or interrupted: the call ends all the same
        observer.call_ended(None, raised=type(exc).__name__)
        raise
    observer.call_ended(result)
    return result


class _Observer:
    """Tells a call's hooks of each attempt and of its end, in copies that cannot change the call."""

    def __init__(self, hooks: tuple[Hook, ...], request: Request[Any], clock: Any) -> None:
        self.hooks, self.clock = hooks, clock
        self.identity = {
            "operation": request.operation,
            "checkout_session_id": request.session_id,
            "call_id": next(_call_ids),
        }
        self.call_started = clock()  # the hooks' time is the call's time: the deadline counts from here
        self.attempts = 0
        self.attempt_began = 0.0

    def event(self, kind: type[E], **fields: Any) -> E:
        return kind(**self.identity, **fields)

    def attempt_started(self, attempt: int, http_request: HttpRequest) -> None:
        self.attempts = attempt
        shown = HttpRequest(
            method=http_request.method,
            url=http_request.url,
            headers=[(k, v) for k, v in http_request.headers.items() if k.lower() != "authorization"],
        )
        notify(self.hooks, "attempt_started", self.event(AttemptStarted, attempt=attempt, request=shown))
        self.attempt_began = self.clock()

    def attempt_ended(self, attempt: int, outcome: Outcome, delay: float | None) -> None:
        if isinstance(outcome, HttpResponse):
            status, error, sent = outcome.status, None, True
            waited_for = (
                "Retry-After" if outcome.headers.get("retry-after") is not None else f"status {status}"
            )
        else:
            # A fresh copy: no traceback, cause or context (their frames hold the request), and
            # nothing a hook changes reaches the call's result.
            status, error, sent = None, evolve(outcome), outcome.request_sent
            waited_for = type(outcome).__name__
        event = self.event(
            AttemptEnded,
            attempt=attempt,
            status=status,
            error=error,
            request_sent=sent,
            retry_delay=delay,
            retry_reason=None if delay is None else waited_for,
            duration=self.clock() - self.attempt_began,
        )
        notify(self.hooks, "attempt_ended", event)

    def call_ended(self, result: object, raised: str | None = None) -> None:
        shown = evolve(result) if isinstance(result, Gr4vyError) else result  # a copy, as above
        event = self.event(
            CallEnded,
            result=shown,
            result_class=raised or type(result).__name__,
            raised=raised,
            attempts=self.attempts,
            duration=self.clock() - self.call_started,
        )
        notify(self.hooks, "call_ended", event)


def _attempts(
    request: Request[T],
    config: Config,
    headers: HeadersInput | None,
    timeout: Timeout | None,
    deadline: float | None,
    observer: _Observer | None,
) -> Attempts[T]:
    policy = config.retry
    limit = deadline if deadline is not None else policy.deadline
    base_timeout = timeout if timeout is not None else config.timeout
    clock = policy.clock
    now = clock()
    started = now if observer is None else observer.call_started
    attempt = 0
    secrets = request.secrets
    may_have_acted = False  # may an earlier attempt have reached the server and been processed?
    debug = logger.isEnabledFor(logging.DEBUG)
    while True:
        attempt += 1
        remaining = None if limit is None else limit - (now - started)
        if remaining is not None and remaining <= 0:
            expired = DeadlineExceeded(message=f"the deadline of {limit:g} s passed")
            return _named(expired, request, attempt - 1, may_have_acted)
        http_request = prepare(request, config, headers)
        if observer is not None:
            observer.attempt_started(attempt, http_request)
            if limit is not None:
                remaining = limit - (clock() - started)
        if remaining is not None and remaining <= 0:  # spent in the hooks: this attempt is not sent
            outcome: Outcome | None = DeadlineExceeded(
                message=f"the deadline of {limit:g} s passed", request_sent=False
            )
        else:
            attempt_timeout = base_timeout if remaining is None else base_timeout.clipped(remaining)
            # Named for the log filter while the transport works (see gr4vy_fn.calls._log_scrub).
            secrets = _secrets_of(request, http_request)
            scope = attempt_scope(secrets)
            try:
                outcome = yield Send(http_request, attempt_timeout)
            finally:
                end_attempt(scope)
        assert outcome is not None  # a driver answers every Send with its outcome
        if debug:
            _log(request, outcome, attempt, clock() - started)
        if isinstance(outcome, HttpResponse) and outcome.status not in policy.retry_statuses:
            if observer is not None:
                observer.attempt_ended(attempt, outcome, None)
            break  # an answer no policy retries (next_delay would say so): no clocks or jitter needed
        delay = next_delay(
            policy,
            idempotent=request.idempotent,
            outcome=outcome,
            attempt=attempt,
            remaining=None if limit is None else limit - (clock() - started),
            now=policy.wall_clock(),
            sample=policy.random(),
        )
        if observer is not None:
            observer.attempt_ended(attempt, outcome, delay)
        if delay is None:
            break
        # A 5xx may come from a gateway after the server acted; a transport error says itself.
        may_have_acted = may_have_acted or (
            outcome.request_sent if isinstance(outcome, TransportError) else outcome.status >= 500
        )
        yield Sleep(delay)
        now = clock()
    if isinstance(outcome, TransportError):
        return _named(outcome, request, attempt, may_have_acted or outcome.request_sent)
    if request.done_if_missing and outcome.status == 404 and may_have_acted:
        # An earlier attempt may have done it: the thing is gone, which is what was asked.
        return None  # type: ignore[return-value]  # such requests are Request[None]
    result = decode(request, outcome, secrets)  # an error value is scrubbed of the token sent, too
    if isinstance(result, (ApiError, UnexpectedResponse)):
        return evolve(result, call=call_name(request))
    return result


def _secrets_of(request: Request[Any], http_request: HttpRequest) -> tuple[str, ...]:
    # The request's own secrets and its bearer token, which a server may echo with or without "Bearer".
    token = http_request.headers.get("authorization", "").removeprefix("Bearer ")
    return (*request.secrets, token) if token else request.secrets


def _named(error: TransportError, request: Request[Any], attempts: int, request_sent: bool) -> TransportError:
    # A fresh copy, not the error raised: the raised one's traceback and urllib3
    # cause hold frames with the request body (card data), which error trackers
    # would capture. The copy also names the call and counts the attempts.
    return evolve(error, attempts=attempts, request_sent=request_sent, call=call_name(request))


def _log(request: Request[Any], outcome: Outcome, attempt: int, elapsed: float) -> None:
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
