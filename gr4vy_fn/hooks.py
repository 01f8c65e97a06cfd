"""Hooks: objects told of each call's start, each attempt, and the call's end, sync and async alike.

Give them to a Config (`Config(hooks=[MyHook()])`, or `attrs.evolve(config,
hooks=...)` for one call). The one attempt engine drives them, so the sync and
async calls tell the same story. A hook subclasses `Hook` and overrides the
methods it needs (`call_started`, `attempt_started`, `attempt_ended`,
`call_ended`); each takes one event, a frozen value (CallStarted,
AttemptStarted, AttemptEnded, CallEnded: each says what it holds).

Every call that tells `call_started` tells `call_ended`, however it ends; each
event's `call_id` tells one call's events from another's. A hook runs in the
call, so a slow hook is the call's time, counted against its deadline. A hook
that raises never changes a call's result: its first failure is logged
(logger `gr4vy_fn.hooks`, with the traceback), later ones are not. A hook
cannot change the call either: events are frozen, and an error in one is a
copy without traceback, cause or context. A hook sees no token, card number
or security code from gr4vy_fn: the request without `Authorization` or body,
error values redacted as the call returns them; a successful value is the
server's data as sent (see docs/configuration.md, Hooks).
"""

from __future__ import annotations

import logging
from typing import Any

from attrs import field, frozen

from ._http import HttpRequest
from .errors import TransportError

__all__ = ["AttemptEnded", "AttemptStarted", "CallEnded", "CallStarted", "Hook"]

logger = logging.getLogger(__name__)


@frozen(kw_only=True)
class _Event:
    """What every event names: the call's operation, its checkout session id (if any) and the call."""

    operation: str
    checkout_session_id: str | None
    call_id: int = field(default=0, eq=False)
    """Tells one call's events from another's (calls under way at once, or one made from a hook)."""


@frozen(kw_only=True)
class CallStarted(_Event):
    """A call begins: its operation (`get_checkout_session`) and checkout session id, if any."""


@frozen(kw_only=True)
class AttemptStarted(_Event):
    """An attempt is about to be sent: its number (from 1) and its request, without secrets.

    `request` holds the method, URL and headers sent, the Authorization header
    left out, and no body (a fields update's body holds card data).
    """

    attempt: int
    request: HttpRequest


@frozen(kw_only=True)
class AttemptEnded(_Event):
    """An attempt is over: its answer's status, or the transport error; and what comes next.

    Exactly one of `status` and `error` is set. `request_sent` says whether the
    request may have reached the server (True for every answer). `retry_delay`
    is the wait before the next attempt, or None when there is none, and
    `retry_reason` why (`status 503`, `Retry-After`, `ConnectError`).
    `duration` is the attempt's seconds.
    """

    attempt: int
    status: int | None
    error: TransportError | None
    request_sent: bool
    retry_delay: float | None
    retry_reason: str | None
    duration: float


@frozen(kw_only=True)
class CallEnded(_Event):
    """A call is over: what it returns (`result`, a value or an error value), its attempts and seconds.

    A call that raised instead (a ValidationError, a cancelled task, an
    exception from a transport) ends too: `result` is None and `raised` (like
    `result_class`) names the exception's class; `raised` is None otherwise.
    """

    result: Any
    result_class: str
    attempts: int
    duration: float
    raised: str | None = None


class Hook:
    """The base of hooks: each method does nothing; override the ones you need."""

    def call_started(self, event: CallStarted) -> None:
        """Told when a call begins, before its first attempt."""

    def attempt_started(self, event: AttemptStarted) -> None:
        """Told before each attempt is sent."""

    def attempt_ended(self, event: AttemptEnded) -> None:
        """Told after each attempt, with the retry decision."""

    def call_ended(self, event: CallEnded) -> None:
        """Told when a call is over, with its result."""


HOOK_METHODS = ("call_started", "attempt_started", "attempt_ended", "call_ended")
"""The methods a hook may have; an object with any of them is a hook (subclassing Hook is optional)."""

_process_hooks: list[Hook] = []
_failed: set[int] = set()


def add_process_hook(hook: Hook) -> None:
    """Tell `hook` of every call of the process, whatever its Config (as gr4vy_fn.otel does)."""
    if hook not in _process_hooks:
        _process_hooks.append(hook)


def remove_process_hook(hook: Hook) -> None:
    """Stop telling `hook` of the process's calls; nothing happens if it was not added."""
    if hook in _process_hooks:
        _process_hooks.remove(hook)


def hooks_of(configured: tuple[Hook, ...]) -> tuple[Hook, ...]:
    """The hooks of one call: the Config's, then the process's."""
    return (*configured, *_process_hooks) if _process_hooks else configured


def notify(hooks: tuple[Hook, ...], method: str, event: object) -> None:
    """Give `event` to each hook's `method`; a hook that raises is logged on its first failure only."""
    for hook in hooks:
        told = getattr(hook, method, None)
        if told is None:
            continue  # a hook of its own kind, without this method
        try:
            told(event)
        except Exception:
            if id(hook) not in _failed:
                _failed.add(id(hook))
                logger.warning(
                    "hook %r failed in %s; its later failures are not logged", hook, method, exc_info=True
                )
