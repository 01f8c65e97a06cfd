"""The retry policy and the pure decision of whether, and when, to try again.

Gr4vy takes no idempotency key on checkout sessions, so a create that may
have reached the server is never sent again: a duplicate would leave a stray
session. Everything else (GET, DELETE, both PUTs) is safe to repeat.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from attrs import Attribute, field, frozen

from ._http import HttpResponse
from ._value import Value
from .errors import DeadlineExceeded, ResponseTooLarge, TlsError, TransportError, ValidationError

__all__ = ["RetryPolicy", "next_delay", "retryable_error"]

# The only status that proves the server did not act on a create.
_SAFE_FOR_CREATE = frozenset({429})


def _non_negative(_: object, attribute: Attribute[float], value: float) -> None:
    _check_non_negative(attribute.name, value)


def _check_non_negative(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValidationError(f"RetryPolicy.{name}", "must be a number >= 0")


def _callable(_: object, attribute: Attribute[Any], value: object) -> None:
    if not callable(value):
        raise ValidationError(f"RetryPolicy.{attribute.name}", "must be callable")


def _statuses(value: object) -> frozenset[int]:
    try:
        statuses: frozenset[object] = frozenset(value)  # type: ignore[call-overload]  # checked below
    except TypeError:
        raise ValidationError("RetryPolicy.retry_statuses", "must be a collection of HTTP statuses") from None
    if not all(type(status) is int and 100 <= status <= 599 for status in statuses):
        raise ValidationError("RetryPolicy.retry_statuses", "must hold HTTP statuses (integers 100..599)")
    return statuses  # type: ignore[return-value]  # every member is an int, checked above


@frozen(kw_only=True, eq=False, repr=False)
class RetryPolicy(Value):
    """How often and how long to retry; `sleep`, `clock`, `wall_clock` and `random` are injectable.

    `deadline` (seconds, None for none) bounds a whole call, retries and
    waits included; a call may pass its own. Delays grow from `initial_delay`
    by `multiplier` up to `max_delay`, each shortened by up to `jitter` (a
    fraction) at random. A `Retry-After` of at most `max_retry_after` seconds
    is waited out exactly when it fits the deadline; otherwise the answer is returned.
    Raises ValidationError naming the setting that cannot work.
    """

    max_attempts: int = 3
    initial_delay: float = field(default=0.5, validator=_non_negative)
    multiplier: float = field(default=2.0, validator=_non_negative)
    max_delay: float = field(default=5.0, validator=_non_negative)
    jitter: float = field(default=0.5, validator=_non_negative)
    retry_statuses: frozenset[int] = field(default=frozenset({429, 502, 503, 504}), converter=_statuses)
    respect_retry_after: bool = True
    max_retry_after: float = field(default=10.0, validator=_non_negative)
    deadline: float | None = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep, eq=False, repr=False, validator=_callable)
    clock: Callable[[], float] = field(default=time.monotonic, eq=False, repr=False, validator=_callable)
    wall_clock: Callable[[], float] = field(default=time.time, eq=False, repr=False, validator=_callable)
    random: Callable[[], float] = field(default=random.random, eq=False, repr=False, validator=_callable)

    def __attrs_post_init__(self) -> None:
        if (
            isinstance(self.max_attempts, bool)
            or not isinstance(self.max_attempts, int)
            or self.max_attempts < 1
        ):
            raise ValidationError("RetryPolicy.max_attempts", "must be an integer >= 1")
        if self.jitter > 1:
            raise ValidationError("RetryPolicy.jitter", "must be a fraction in 0..1")
        if not isinstance(self.respect_retry_after, bool):
            raise ValidationError("RetryPolicy.respect_retry_after", "must be True or False")
        if self.deadline is not None:
            _check_non_negative("deadline", self.deadline)

    @classmethod
    def none(cls) -> RetryPolicy:
        """Return a policy that makes exactly one attempt (the deadline still applies)."""
        return cls(max_attempts=1)

    def backoff(self, attempt: int, sample: float) -> float:
        """Return the wait after failed attempt number `attempt` (1-based), for a sample in [0, 1)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1))
        return base * (1 - self.jitter * sample)


def retryable_error(error: TransportError, idempotent: bool) -> bool:
    """Say whether a network failure may be retried for an operation of this kind."""
    if isinstance(error, (DeadlineExceeded, ResponseTooLarge)):
        return False
    if isinstance(error, TlsError) and error.verification:
        return False
    return idempotent or not error.request_sent


def next_delay(
    policy: RetryPolicy,
    *,
    idempotent: bool,
    outcome: HttpResponse | TransportError,
    attempt: int,
    remaining: float | None,
    now: float,
    sample: float,
) -> float | None:
    """Return the seconds to wait before another attempt, or None to stop and return `outcome`.

    Pure: `attempt` is the number of attempts made, `remaining` the seconds
    left before the deadline (None: no deadline), `now` the wall-clock time
    for an HTTP-date Retry-After, `sample` a random number in [0, 1) for jitter.
    """
    if attempt >= policy.max_attempts:
        return None
    if isinstance(outcome, TransportError):
        if not retryable_error(outcome, idempotent):
            return None
        delay = policy.backoff(attempt, sample)
    else:
        statuses = policy.retry_statuses if idempotent else policy.retry_statuses & _SAFE_FOR_CREATE
        if outcome.status not in statuses:
            return None
        asked = retry_after(outcome.headers, now) if policy.respect_retry_after else None
        if asked is not None and asked > policy.max_retry_after:
            return None
        delay = policy.backoff(attempt, sample) if asked is None else asked
    if remaining is not None and delay >= remaining:
        return None
    return delay


def _epoch(http_date: str) -> float | None:
    try:
        return parsedate_to_datetime(http_date).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Return the seconds a server asked to wait, or None when it did not say (or said nonsense).

    An HTTP date is measured from the response's own `Date` header when there is
    one (the server's clock), else from `now` (seconds since the epoch).
    """
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    when = _epoch(value)
    if when is None:
        return None
    date = headers.get("date")
    base = _epoch(date) if date is not None else None
    if base is None:
        base = now
    if base is None:
        return None
    return max(0.0, when - base)
