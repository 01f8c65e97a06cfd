"""The public names: a contract that code outside this repository imports."""

from __future__ import annotations

import gr4vy_fn
from gr4vy_fn import errors, operations, transports


def test_all_is_pinned() -> None:
    """gr4vy_fn.__all__ is exactly the documented set of public names, sorted."""
    assert gr4vy_fn.__all__ == sorted(gr4vy_fn.__all__, key=str)
    assert set(gr4vy_fn.__all__) == {
        "Address",
        "AgeGroup",
        "Airline",
        "AirlineLeg",
        "AirlinePassenger",
        "ApiError",
        "AsyncTransport",
        "BillingDetails",
        "CLEAR",
        "CardPaymentMethod",
        "CardScheme",
        "CardType",
        "CartItem",
        "CheckoutSession",
        "CheckoutSessionCreateRequest",
        "CheckoutSessionPaymentMethod",
        "CheckoutSessionPaymentMethodDetails",
        "CheckoutSessionSecureFieldsUpdate",
        "Clear",
        "ClickToPayPaymentMethod",
        "Config",
        "ConnectError",
        "ConnectTimeout",
        "ConnectionDropped",
        "DeadlineExceeded",
        "Error401Unauthorized",
        "Error404NotFound",
        "Error409DuplicateRecord",
        "Error429TooManyRequests",
        "ErrorDetail",
        "ErrorGeneric",
        "ErrorValue",
        "Gr4vyError",
        "GuestBuyer",
        "Headers",
        "HttpRequest",
        "HttpResponse",
        "IdPaymentMethod",
        "Intent",
        "PaymentSource",
        "ProductType",
        "ReadTimeout",
        "Request",
        "ResponseTooLarge",
        "RetryPolicy",
        "RouteType",
        "ShippingDetails",
        "TaxId",
        "TaxIdKind",
        "TicketDeliveryMethod",
        "Timeout",
        "TlsError",
        "Transport",
        "TransportError",
        "UnexpectedResponse",
        "ValidationError",
        "__version__",
        "decode",
        "delete_checkout_session",
        "from_dict",
        "get_checkout_session",
        "new_checkout_session",
        "prepare",
        "send",
        "to_dict",
        "to_json",
        "unwrap",
        "update_checkout_session",
        "update_checkout_session_fields",
    }
    for name in gr4vy_fn.__all__:
        assert hasattr(gr4vy_fn, name), name


def test_submodules_expose_the_designed_names() -> None:
    """operations, errors and transports hold the names DESIGN.md promises."""
    assert set(operations.__all__) == {
        "Request",
        "new_checkout_session",
        "get_checkout_session",
        "delete_checkout_session",
        "update_checkout_session_fields",
        "update_checkout_session",
    }
    for name in (
        "Gr4vyError",
        "ApiError",
        "Error401Unauthorized",
        "Error404NotFound",
        "Error409DuplicateRecord",
        "Error429TooManyRequests",
        "ErrorGeneric",
        "UnexpectedResponse",
        "TransportError",
        "ValidationError",
    ):
        assert issubclass(getattr(errors, name), errors.Gr4vyError)
    assert {"Urllib3Transport", "MockTransport", "Transport"} <= set(transports.__all__)


def test_call_functions_are_not_the_builders() -> None:
    """The top-level calls perform I/O; the operations module's namesakes only build requests."""
    assert gr4vy_fn.get_checkout_session.__module__ != operations.get_checkout_session.__module__
    assert isinstance(operations.get_checkout_session("abc"), operations.Request)
