"""gr4vy_fn: a small, typed, functional client for Gr4vy's Checkout Sessions API.

Pure builders (`gr4vy_fn.operations`) describe each call, a `Transport` sends
it, and `decode` turns the answer into a model or an error value. The
module-level calls below do all three, with retries by policy;
`gr4vy_fn.aio` has the same calls for asyncio.
"""

from typing import TYPE_CHECKING

from ._clear import CLEAR, Clear
from ._decode import decode
from ._http import AsyncTransport, Headers, HttpRequest, HttpResponse, Timeout, Transport
from ._prepare import prepare
from ._send import (
    delete_checkout_session,
    get_checkout_session,
    new_checkout_session,
    send,
    unwrap,
    update_checkout_session,
    update_checkout_session_fields,
)
from ._version import __version__
from ._wire import from_dict, to_dict, to_json
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
    CardScheme,
    CardType,
    CartItem,
    CheckoutSession,
    CheckoutSessionCreateRequest,
    CheckoutSessionPaymentMethod,
    CheckoutSessionPaymentMethodDetails,
    Intent,
    PaymentSource,
    ProductType,
)
from .operations import Request
from .retry import RetryPolicy

if TYPE_CHECKING:  # to type checkers, as if imported above
    from .models import Address as Address
    from .models import AgeGroup as AgeGroup
    from .models import Airline as Airline
    from .models import AirlineLeg as AirlineLeg
    from .models import AirlinePassenger as AirlinePassenger
    from .models import BillingDetails as BillingDetails
    from .models import CardPaymentMethod as CardPaymentMethod
    from .models import CheckoutSessionSecureFieldsUpdate as CheckoutSessionSecureFieldsUpdate
    from .models import ClickToPayPaymentMethod as ClickToPayPaymentMethod
    from .models import GuestBuyer as GuestBuyer
    from .models import IdPaymentMethod as IdPaymentMethod
    from .models import RouteType as RouteType
    from .models import ShippingDetails as ShippingDetails
    from .models import TaxId as TaxId
    from .models import TaxIdKind as TaxIdKind
    from .models import TicketDeliveryMethod as TicketDeliveryMethod


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

if not TYPE_CHECKING:  # the buyer, airline and secure-fields models are made on first use (see models)
    from ._lazy import made_on_first_use as _made_on_first_use
    from .models import MADE_ON_FIRST_USE as _MADE_ON_FIRST_USE

    __getattr__, __dir__ = _made_on_first_use(__name__, dict.fromkeys(_MADE_ON_FIRST_USE, ".models"))

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
