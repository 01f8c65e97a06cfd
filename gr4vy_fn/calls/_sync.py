"""The calls: `send` (the sync driver of the attempt engine), the five operations, and `unwrap`.

API and network failures are returned as error values; invalid input raises
ValidationError before anything is sent. The retry rules live in `_attempts`,
shared with gr4vy_fn.aio.
"""

from __future__ import annotations

import math
from typing import TypeVar

from .. import operations as ops
from .._http import HeadersInput, Timeout, Transport
from ..config import Config
from ..defaults import default_config, default_transport
from ..errors import ErrorValue, Gr4vyError, TransportError, ValidationError
from ..models import CheckoutSession, CheckoutSessionCreateRequest, CheckoutSessionSecureFieldsUpdate
from ..operations import Request
from ._attempts import Send, attempts

T = TypeVar("T")


def checked_keywords(config: object, timeout: object, deadline: object) -> None:
    """Raise ValidationError for a call keyword of the wrong kind, before anything is sent."""
    if config is not None and not isinstance(config, Config):
        raise ValidationError("config", "must be a gr4vy_fn.Config (or None for Config.from_env())")
    if timeout is not None and not isinstance(timeout, Timeout):
        raise ValidationError("timeout", "must be a gr4vy_fn.Timeout (or None for the config's)")
    # Zero or less is allowed: a serverless function's time left may be spent already.
    if deadline is not None and (
        isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or math.isnan(deadline)
    ):
        raise ValidationError("deadline", "must be a number of seconds (or None)")


def checked_transport(transport: object) -> None:
    """Raise ValidationError unless `transport` has a send method."""
    if not callable(getattr(transport, "send", None)):
        raise ValidationError("transport", "must have a send(request, timeout) method")


def unwrap(result: T | ErrorValue) -> T:
    """Return the value, or raise the error value; for callers who prefer exceptions.

    The raised error names the call and the checkout session id, e.g.
    ``get_checkout_session(8724fd24-…): 404 not_found: The resource could not be found``.

    Example::

        session = gr4vy_fn.unwrap(gr4vy_fn.get_checkout_session(session_id))
    """
    if isinstance(result, Gr4vyError):
        raise result
    return result


def send(
    request: Request[T],
    *,
    config: Config | None = None,
    transport: Transport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> T | ErrorValue:
    """Send a Request built by gr4vy_fn.operations, retrying by policy; return its value or an error value.

    Args:
        request: from a builder in gr4vy_fn.operations.
        config: the account, auth, timeout and retry policy; None means
            `Config.from_env()` (the GR4VY_* environment variables).
        transport: what sends each attempt; None means the shared default
            (see gr4vy_fn.defaults).
        headers: headers to add or override for this call (a mapping or pairs).
        timeout: a Timeout replacing the config's for each attempt.
        deadline: seconds for the whole call, retries and waits included;
            overrides the retry policy's (pass a serverless function's time left).
    Returns:
        What the request's operation returns, or an error value:
        TransportError (ConnectError, ConnectTimeout, TlsError, ReadTimeout,
            ConnectionDropped, DeadlineExceeded, ResponseTooLarge) when no complete
            answer came; its `request_sent` says whether the server may have acted;
        UnexpectedResponse for an answer that cannot be read (an HTML proxy page);
        ErrorGeneric for other error answers (400, 403, 422, 5xx after retries).

    Raises:
        ValidationError: invalid input or keywords, before anything is sent.
        Nothing else: API and network failures are returned, never raised.

    Example::

        from gr4vy_fn import operations
        result = gr4vy_fn.send(operations.get_checkout_session(session_id), deadline=5)
    """
    checked_keywords(config, timeout, deadline)
    config = config if config is not None else default_config()
    if transport is None:
        transport = default_transport()
    else:
        checked_transport(transport)
    engine = attempts(request, config, headers=headers, timeout=timeout, deadline=deadline)
    sleep = config.retry.sleep
    try:
        step = next(engine)
        while True:
            outcome: object = None
            try:
                if type(step) is Send:
                    try:
                        outcome = transport.send(step.request, step.timeout)
                    except TransportError as exc:
                        outcome = exc
                else:
                    sleep(step.seconds)  # type: ignore[union-attr]
            except BaseException as exc:
                engine.throw(exc)  # the engine lets go of the secrets and ends the call, then raises it
                raise
            step = engine.send(outcome)  # type: ignore[arg-type]
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def new_checkout_session(
    body: CheckoutSessionCreateRequest | None = None,
    *,
    config: Config | None = None,
    transport: Transport | None = None,
    headers: HeadersInput | None = None,
    timeout: Timeout | None = None,
    deadline: float | None = None,
) -> CheckoutSession | ErrorValue:
    """Create a checkout session; return it, or the error value.

    A create is never sent again once it may have reached the server (Gr4vy
    takes no idempotency key): only a refused connection and a 429 are retried.

    Args:
        body: the cart, metadata, buyer and transaction details; None for an empty session.
        config, transport, headers, timeout, deadline: as for gr4vy_fn.send.
    Returns:
        The new CheckoutSession, or an error value:
        Error401Unauthorized for a missing or rejected token;
        Error429TooManyRequests when rate limited past the retries;
        a TransportError, UnexpectedResponse or ErrorGeneric, as for gr4vy_fn.send.
        A ConnectionDropped or ReadTimeout with request_sent=True means the
        session may exist.

    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        cart = gr4vy_fn.CheckoutSessionCreateRequest(
            cart_items=[gr4vy_fn.CartItem(name="Camera", quantity=1, unit_amount=37999)]
        )
        session = gr4vy_fn.unwrap(gr4vy_fn.new_checkout_session(cart))
    """
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
    """Return the checkout session, or the error value (Error404NotFound once deleted or expired).

    Args:
        checkout_session_id: the session's id.
        config, transport, headers, timeout, deadline: as for gr4vy_fn.send.
    Returns:
        The CheckoutSession, or an error value:
        Error404NotFound when no such session exists (any more);
        Error401Unauthorized for a missing or rejected token;
        a TransportError, UnexpectedResponse or ErrorGeneric, as for gr4vy_fn.send.

    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        match gr4vy_fn.get_checkout_session(session_id):
            case gr4vy_fn.CheckoutSession() as session: print(session.expires_at)
            case gr4vy_fn.Error404NotFound(): print("gone")
    """
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
    """Delete the checkout session; return None, or the error value.

    A 404 after an earlier attempt that may have gone through counts as done.

    Args:
        checkout_session_id: the session's id.
        config, transport, headers, timeout, deadline: as for gr4vy_fn.send.
    Returns:
        None once deleted, or an error value:
        Error404NotFound when no such session existed;
        Error401Unauthorized for a missing or rejected token;
        a TransportError, UnexpectedResponse or ErrorGeneric, as for gr4vy_fn.send.

    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        gr4vy_fn.unwrap(gr4vy_fn.delete_checkout_session(session_id))
    """
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
    """Put secure payment fields (a card, Click to Pay or a stored method) on the session; None or the error.

    The card number and security code never appear in a log, repr or error.

    Args:
        checkout_session_id: the session's id.
        body: the payment method, and optionally a postal code.
        config, transport, headers, timeout, deadline: as for gr4vy_fn.send.
    Returns:
        None once stored, or an error value:
        Error404NotFound when no such session exists (any more);
        ErrorGeneric (400) when the API refuses the card details;
        a TransportError, UnexpectedResponse or ErrorGeneric, as for gr4vy_fn.send.

    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        card = gr4vy_fn.CardPaymentMethod(number="4111111111111111", expiration_date="12/30")
        fields = gr4vy_fn.CheckoutSessionSecureFieldsUpdate(payment_method=card)
        gr4vy_fn.unwrap(gr4vy_fn.update_checkout_session_fields(session_id, fields))
    """
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
    """Update the session's cart, buyer and other details; return the session, or the error value.

    Args:
        checkout_session_id: the session's id.
        body: the same type as a create's; fields left out are left as they are.
        config, transport, headers, timeout, deadline: as for gr4vy_fn.send.
    Returns:
        The updated CheckoutSession, or an error value:
        Error404NotFound when no such session exists (any more);
        Error401Unauthorized for a missing or rejected token;
        a TransportError, UnexpectedResponse or ErrorGeneric, as for gr4vy_fn.send.

    Raises:
        ValidationError: invalid input or keywords, before anything is sent.

    Example::

        update = gr4vy_fn.CheckoutSessionCreateRequest(amount=37999, currency="USD")
        session = gr4vy_fn.unwrap(gr4vy_fn.update_checkout_session(session_id, update))
    """
    return send(
        ops.update_checkout_session(checkout_session_id, body),
        config=config,
        transport=transport,
        headers=headers,
        timeout=timeout,
        deadline=deadline,
    )
