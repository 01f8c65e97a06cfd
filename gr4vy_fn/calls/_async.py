"""The async driver of the attempt engine: `send` and the five calls under asyncio (see gr4vy_fn.aio)."""

from __future__ import annotations

import asyncio
import time
from typing import TypedDict, TypeVar, Unpack

from .. import operations as ops
from .._http import AsyncTransport, HeadersInput, Timeout
from ..config import Config
from ..defaults import default_config
from ..errors import ErrorValue, ReadTimeout, TransportError
from ..models import CheckoutSession, CheckoutSessionCreateRequest, CheckoutSessionSecureFieldsUpdate
from ..operations import Request
from ..transports._async_default import default_async_transport
from ..transports._loops import note_loop
from ..transports._time_limit import KEEPS_TOTAL, time_limit
from ._attempts import Outcome, Send, Sleep, attempts
from ._sync import checked_keywords, checked_transport, with_send_keywords

T = TypeVar("T")


class AsyncKeywords(TypedDict, total=False):
    """The keywords every async call takes, passed on to `send` (see its Args)."""

    config: Config | None
    transport: AsyncTransport | None
    headers: HeadersInput | None
    timeout: Timeout | None
    deadline: float | None


_GRACE = 0.05
"""Seconds past an attempt's total before it is stopped from outside: a transport that keeps the total
itself says first, and better, whether its request went out."""


async def _attempt(transport: AsyncTransport, step: Send) -> Outcome:
    """Await one attempt, never past its timeout's total (which the engine clips to the deadline)."""
    try:
        if step.timeout.total is None or type(transport) in KEEPS_TOTAL:
            return await transport.send(step.request, step.timeout)
        async with time_limit(step.timeout.total + _GRACE):
            return await transport.send(step.request, step.timeout)
    except TransportError as exc:
        return exc
    except (TimeoutError, asyncio.TimeoutError):
        # Stopped from outside, at any point of the exchange: it may have been sent.
        return ReadTimeout(message="no complete answer in time", request_sent=True)


async def send(
    request: Request[T],
    *,
    config: Config | None = None,
    transport: AsyncTransport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> T | ErrorValue:
    """The async gr4vy_fn.send: send a Request, retrying by policy; return its value or an error value.

    Waits between attempts are `asyncio.sleep`, unless the policy's `sleep` was
    replaced (a test's fake clock), which is called.

    Args:
        request, config, headers, timeout, deadline: as for gr4vy_fn.send.
        transport: the AsyncTransport that sends each attempt; None means
            this event loop's default.
    Returns:
        As for gr4vy_fn.send: what the request's operation returns, or an error value
        (a TransportError, UnexpectedResponse or ErrorGeneric).
    Raises:
        ValidationError: invalid input or keywords, before anything is sent.
        Nothing else: API and network failures are returned, never raised.

    Example::

        from gr4vy_fn import operations
        result = await aio.send(operations.get_checkout_session(session_id), deadline=5)
    """
    checked_keywords(config, timeout, deadline)
    config = config if config is not None else default_config()
    note_loop(asyncio.get_running_loop())
    if transport is None:
        transport = await default_async_transport()
    else:
        checked_transport(transport)
    engine = attempts(request, config, headers=headers, timeout=timeout, deadline=deadline)
    sleep = config.retry.sleep
    try:
        step = next(engine)
        while True:
            outcome: Outcome | None = None
            try:
                if type(step) is Send:
                    outcome = await _attempt(transport, step)
                else:
                    assert isinstance(step, Sleep)
                    if sleep is time.sleep:
                        await asyncio.sleep(step.seconds)
                    else:
                        sleep(step.seconds)
            except BaseException as exc:  # cancelled, or a transport's bug
                engine.throw(exc)  # the engine lets go of the secrets and ends the call, then raises it
                raise
            step = engine.send(outcome)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


@with_send_keywords(send)
async def new_checkout_session(
    body: CheckoutSessionCreateRequest | None = None, **keywords: Unpack[AsyncKeywords]
) -> CheckoutSession | ErrorValue:
    """The async gr4vy_fn.new_checkout_session: create a checkout session; return it, or the error value.

    Args:
        body: the cart and other details; None for an empty session.
        config, transport, headers, timeout, deadline: as for aio.send.
    Returns:
        As for gr4vy_fn.new_checkout_session: the new CheckoutSession, or an error value
        (Error429TooManyRequests; a TransportError, UnexpectedResponse or ErrorGeneric).
    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        session = gr4vy_fn.unwrap(await aio.new_checkout_session(cart))
    """
    return await send(ops.new_checkout_session(body), **keywords)


@with_send_keywords(send)
async def get_checkout_session(
    checkout_session_id: str, **keywords: Unpack[AsyncKeywords]
) -> CheckoutSession | ErrorValue:
    """The async gr4vy_fn.get_checkout_session: return the checkout session, or the error value.

    Args:
        checkout_session_id: the session's id.
        config, transport, headers, timeout, deadline: as for aio.send.
    Returns:
        As for gr4vy_fn.get_checkout_session: the CheckoutSession, or an error value
        (Error404NotFound once deleted or expired; a TransportError, UnexpectedResponse or ErrorGeneric).
    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        session = gr4vy_fn.unwrap(await aio.get_checkout_session(session_id))
    """
    return await send(ops.get_checkout_session(checkout_session_id), **keywords)


@with_send_keywords(send)
async def delete_checkout_session(
    checkout_session_id: str, **keywords: Unpack[AsyncKeywords]
) -> ErrorValue | None:
    """The async gr4vy_fn.delete_checkout_session: delete the session; return None, or the error value.

    Args:
        checkout_session_id: the session's id.
        config, transport, headers, timeout, deadline: as for aio.send.
    Returns:
        As for gr4vy_fn.delete_checkout_session: None once deleted, or an error value
        (Error404NotFound; a TransportError, UnexpectedResponse or ErrorGeneric).
    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        gr4vy_fn.unwrap(await aio.delete_checkout_session(session_id))
    """
    return await send(ops.delete_checkout_session(checkout_session_id), **keywords)


@with_send_keywords(send)
async def update_checkout_session_fields(
    checkout_session_id: str, body: CheckoutSessionSecureFieldsUpdate, **keywords: Unpack[AsyncKeywords]
) -> ErrorValue | None:
    """The async gr4vy_fn.update_checkout_session_fields: put secure payment fields on the session.

    Args:
        checkout_session_id: the session's id.
        body: the payment method, and optionally a postal code.
        config, transport, headers, timeout, deadline: as for aio.send.
    Returns:
        As for gr4vy_fn.update_checkout_session_fields: None once stored, or an error value
        (Error404NotFound; a TransportError, UnexpectedResponse or ErrorGeneric).
    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        await aio.update_checkout_session_fields(session_id, fields)
    """
    return await send(ops.update_checkout_session_fields(checkout_session_id, body), **keywords)


@with_send_keywords(send)
async def update_checkout_session(
    checkout_session_id: str, body: CheckoutSessionCreateRequest, **keywords: Unpack[AsyncKeywords]
) -> CheckoutSession | ErrorValue:
    """The async gr4vy_fn.update_checkout_session: update the session's details.

    Args:
        checkout_session_id: the session's id.
        body: the same type as a create's.
        config, transport, headers, timeout, deadline: as for aio.send.
    Returns:
        As for gr4vy_fn.update_checkout_session: the updated CheckoutSession, or an error value
        (Error404NotFound; a TransportError, UnexpectedResponse or ErrorGeneric).
    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        session = gr4vy_fn.unwrap(await aio.update_checkout_session(session_id, update))
    """
    return await send(ops.update_checkout_session(checkout_session_id, body), **keywords)
