"""The async driver of the attempt engine: `send` and the five calls under asyncio (see gr4vy_fn.aio)."""

from __future__ import annotations

import asyncio
import time
from typing import TypeVar

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
from ._sync import checked_keywords, checked_transport

T = TypeVar("T")


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
    """Send a Request built by gr4vy_fn.operations, retrying by policy; return its value or an error value.

    The async form of gr4vy_fn.send; `transport` is an AsyncTransport (None:
    this event loop's default). Waits between attempts are `asyncio.sleep`,
    unless the policy's `sleep` was replaced (a test's fake clock), which is called.

    Args:
        request, config, headers, timeout, deadline: as for gr4vy_fn.send.
        transport: the AsyncTransport that sends each attempt; None means
            this event loop's default.
    Returns:
        What the request's operation returns, or an error value (a TransportError,
        UnexpectedResponse or ErrorGeneric), as gr4vy_fn.send does.

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


async def new_checkout_session(
    body: CheckoutSessionCreateRequest | None = None,
    *,
    config: Config | None = None,
    transport: AsyncTransport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> CheckoutSession | ErrorValue:
    """Create a checkout session; return it, or the error value. The async gr4vy_fn.new_checkout_session.

    Never sent again once it may have reached the server.

    Args:
        body: the cart, metadata, buyer and transaction details; None for an empty session.
        config, transport, headers, timeout, deadline: as for aio.send.
    Returns:
        The new CheckoutSession, or an error value:
        Error401Unauthorized, Error429TooManyRequests;
        a TransportError, UnexpectedResponse or ErrorGeneric, as for aio.send.

    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        session = gr4vy_fn.unwrap(await aio.new_checkout_session(cart))
    """
    return await send(
        ops.new_checkout_session(body),
        config=config,
        transport=transport,
        headers=headers,
        timeout=timeout,
        deadline=deadline,
    )


async def get_checkout_session(
    checkout_session_id: str,
    *,
    config: Config | None = None,
    transport: AsyncTransport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> CheckoutSession | ErrorValue:
    """Return the checkout session, or the error value. The async gr4vy_fn.get_checkout_session.

    Args:
        checkout_session_id: the session's id.
        config, transport, headers, timeout, deadline: as for aio.send.
    Returns:
        The CheckoutSession, or an error value:
        Error404NotFound once deleted or expired, Error401Unauthorized;
        a TransportError, UnexpectedResponse or ErrorGeneric, as for aio.send.

    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        session = gr4vy_fn.unwrap(await aio.get_checkout_session(session_id))
    """
    return await send(
        ops.get_checkout_session(checkout_session_id),
        config=config,
        transport=transport,
        headers=headers,
        timeout=timeout,
        deadline=deadline,
    )


async def delete_checkout_session(
    checkout_session_id: str,
    *,
    config: Config | None = None,
    transport: AsyncTransport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> ErrorValue | None:
    """Delete the checkout session; return None, or the error value. The async delete_checkout_session.

    Args:
        checkout_session_id: the session's id.
        config, transport, headers, timeout, deadline: as for aio.send.
    Returns:
        None once deleted, or an error value:
        Error404NotFound when no such session existed, Error401Unauthorized;
        a TransportError, UnexpectedResponse or ErrorGeneric, as for aio.send.

    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        gr4vy_fn.unwrap(await aio.delete_checkout_session(session_id))
    """
    return await send(
        ops.delete_checkout_session(checkout_session_id),
        config=config,
        transport=transport,
        headers=headers,
        timeout=timeout,
        deadline=deadline,
    )


async def update_checkout_session_fields(
    checkout_session_id: str,
    body: CheckoutSessionSecureFieldsUpdate,
    *,
    config: Config | None = None,
    transport: AsyncTransport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> ErrorValue | None:
    """Put secure payment fields on the session; None or the error. The async update_checkout_session_fields.

    Args:
        checkout_session_id: the session's id.
        body: the payment method, and optionally a postal code.
        config, transport, headers, timeout, deadline: as for aio.send.
    Returns:
        None once stored, or an error value:
        Error404NotFound when no such session exists (any more);
        a TransportError, UnexpectedResponse or ErrorGeneric, as for aio.send.

    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        await aio.update_checkout_session_fields(session_id, fields)
    """
    return await send(
        ops.update_checkout_session_fields(checkout_session_id, body),
        config=config,
        transport=transport,
        headers=headers,
        timeout=timeout,
        deadline=deadline,
    )


async def update_checkout_session(
    checkout_session_id: str,
    body: CheckoutSessionCreateRequest,
    *,
    config: Config | None = None,
    transport: AsyncTransport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> CheckoutSession | ErrorValue:
    """Update the session's details; return it, or the error value. The async update_checkout_session.

    Args:
        checkout_session_id: the session's id.
        body: the same type as a create's.
        config, transport, headers, timeout, deadline: as for aio.send.
    Returns:
        The updated CheckoutSession, or an error value:
        Error404NotFound when no such session exists (any more);
        a TransportError, UnexpectedResponse or ErrorGeneric, as for aio.send.

    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        session = gr4vy_fn.unwrap(await aio.update_checkout_session(session_id, update))
    """
    return await send(
        ops.update_checkout_session(checkout_session_id, body),
        config=config,
        transport=transport,
        headers=headers,
        timeout=timeout,
        deadline=deadline,
    )
