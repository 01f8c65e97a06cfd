"""gr4vy_fn: a small, typed, functional client for Gr4vy's Checkout Sessions API.

Pure builders (`gr4vy_fn.operations`) describe each call, a `Transport` sends
it, and `decode` turns the answer into a model or an error value. The
module-level calls below do all three, with retries by policy;
`gr4vy_fn.aio` has the same calls for asyncio.
"""

from ._http import AsyncTransport, Headers, HttpRequest, HttpResponse, Timeout, Transport
from ._prepare import prepare
from ._version import __version__
from .answer._converter import from_dict, to_dict, to_json
from .answer._decode import decode
from .calls._sync import (
    delete_checkout_session,
    get_checkout_session,
    new_checkout_session,
    send,
    unwrap,
    update_checkout_session,
    update_checkout_session_fields,
)
from .config import Config
from .errors import (
    ApiError,
    ConnectError,
    ConnectionDropped,
    ConnectTimeout,
    DeadlineExceeded,
    Error401Unauthorized,
    Error404NotFound,
    Error409DuplicateRecord,
    Error429TooManyRequests,
    ErrorDetail,
    ErrorGeneric,
    ErrorValue,
    Gr4vyError,
    ReadTimeout,
    ResponseTooLarge,
    TlsError,
    TransportError,
    UnexpectedResponse,
    ValidationError,
)
from .models import (
    Address,
    AgeGroup,
    Airline,
    AirlineLeg,
    AirlinePassenger,
    BillingDetails,
    CardPaymentMethod,
    CardScheme,
    CardType,
    CartItem,
    CheckoutSession,
    CheckoutSessionCreateRequest,
    CheckoutSessionPaymentMethod,
    CheckoutSessionPaymentMethodDetails,
    CheckoutSessionSecureFieldsUpdate,
    ClickToPayPaymentMethod,
    GuestBuyer,
    IdPaymentMethod,
    Intent,
    PaymentSource,
    ProductType,
    RouteType,
    ShippingDetails,
    TaxId,
    TaxIdKind,
    TicketDeliveryMethod,
)
from .models._rules import CLEAR, Clear
from .operations import Request
from .retry import RetryPolicy

__all__ = [
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
]

# help(gr4vy_fn.get_checkout_session) shows where users find it, not a private module.
for _call in (
    delete_checkout_session,
    get_checkout_session,
    new_checkout_session,
    prepare,
    send,
    unwrap,
    update_checkout_session,
    update_checkout_session_fields,
):
    _call.__module__ = __name__
del _call
