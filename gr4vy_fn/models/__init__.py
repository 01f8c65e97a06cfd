"""The Checkout Sessions models: frozen attrs classes named and shaped like the wire.

Request models check the wire rules when they are built and raise
ValidationError naming the field and the rule. Response models (what `decode`
builds) are checked for types only: the server is the authority on its data.
Enum fields hold an enum member, or a plain `str` for a value this version
does not know yet.

Every model is an ordinary attrs class whose `__module__` is this module: tools
that read annotations (`typing.get_type_hints`, `attrs.resolve_types`,
`inspect.signature(..., eval_str=True)`, hypothesis' `from_type`, pydantic)
resolve each one with no prior call, and pickles name this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime  # noqa: F401 - date: the airline models' annotations are read here too

from attrs import field, frozen

from .._value import Value
from ._airline import AgeGroup, Airline, AirlineLeg, AirlinePassenger, RouteType, TicketDeliveryMethod
from ._buyer import Address, BillingDetails, GuestBuyer, ShippingDetails, TaxId, TaxIdKind
from ._rules import AMOUNT as _AMOUNT
from ._rules import ANY_TEXT as _ANY_TEXT
from ._rules import COUNTRY as _COUNTRY
from ._rules import (
    UUID,
    Checked,
    Clear,
    WireEnum,
    boolean,
    instance,
    integer,
    items,
    number,
    one_of,
    rule,
    string_map,
    text,
    to_frozen_map,
    to_tuple,
)
from ._secure_fields import (
    CardPaymentMethod,
    CheckoutSessionSecureFieldsUpdate,
    ClickToPayPaymentMethod,
    IdPaymentMethod,
    SecureFieldsPaymentMethod,
)

__all__ = [
    "Address",
    "AgeGroup",
    "Airline",
    "AirlineLeg",
    "AirlinePassenger",
    "BillingDetails",
    "CardPaymentMethod",
    "CardScheme",
    "CardType",
    "CartItem",
    "CheckoutSession",
    "CheckoutSessionCreateRequest",
    "CheckoutSessionPaymentMethod",
    "CheckoutSessionPaymentMethodDetails",
    "CheckoutSessionSecureFieldsUpdate",
    "ClickToPayPaymentMethod",
    "GuestBuyer",
    "IdPaymentMethod",
    "Intent",
    "PaymentSource",
    "ProductType",
    "RouteType",
    "SecureFieldsPaymentMethod",
    "ShippingDetails",
    "TaxId",
    "TaxIdKind",
    "TicketDeliveryMethod",
    "WireEnum",
]


class ProductType(WireEnum):
    """The kind of a cart item."""

    PHYSICAL = "physical"
    DISCOUNT = "discount"
    SHIPPING_FEE = "shipping_fee"
    SALES_TAX = "sales_tax"
    DIGITAL = "digital"
    GIFT_CARD = "gift_card"
    STORE_CREDIT = "store_credit"
    SURCHARGE = "surcharge"


class CardScheme(WireEnum):
    """A card scheme; the live API adds values over time."""

    ACCEL = "accel"
    AMEX = "amex"
    BANCONTACT = "bancontact"
    CARTE_BANCAIRE = "carte-bancaire"
    CIRRUS = "cirrus"
    CULIANCE = "culiance"
    DANKORT = "dankort"
    DINERS_CLUB = "diners-club"
    DISCOVER = "discover"
    EFTPOS_AUSTRALIA = "eftpos-australia"
    ELO = "elo"
    HIPERCARD = "hipercard"
    JCB = "jcb"
    MAESTRO = "maestro"
    MASTERCARD = "mastercard"
    MIR = "mir"
    NYCE = "nyce"
    OTHER = "other"
    PULSE = "pulse"
    QCARD = "qcard"
    RUPAY = "rupay"
    STAR = "star"
    UATP = "uatp"
    UNIONPAY = "unionpay"
    VISA = "visa"


class CardType(WireEnum):
    """Whether a card is a credit, debit or prepaid card."""

    CREDIT = "credit"
    DEBIT = "debit"
    PREPAID = "prepaid"


class PaymentSource(WireEnum):
    """The source of a transaction."""

    ECOMMERCE = "ecommerce"
    MOTO = "moto"
    RECURRING = "recurring"
    INSTALLMENT = "installment"
    CARD_ON_FILE = "card_on_file"


class Intent(WireEnum):
    """Whether a transaction is only authorized or captured at once."""

    AUTHORIZE = "authorize"
    CAPTURE = "capture"


# One converter per item type (not one generic one) so type checkers see what __init__ takes.
def _strings(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return to_tuple(value)


def _cart_items(value: Iterable[CartItem] | Clear | None) -> tuple[CartItem, ...] | Clear | None:
    return to_tuple(value)  # type: ignore[arg-type]  # CLEAR passes through unchanged


def _strict_cart_items(value: Iterable[CartItem] | None) -> tuple[CartItem, ...] | None:
    return to_tuple(value)


def _metadata(value: Mapping[str, str] | Clear | None) -> Mapping[str, str] | Clear | None:
    return to_frozen_map(value)  # type: ignore[arg-type]  # CLEAR passes through unchanged


@frozen(kw_only=True, eq=False, repr=False)
class CartItem(Checked):
    """One line of the cart; amounts are in the currency's smallest unit."""

    name: str = field(metadata=rule(text(1, 255)))
    quantity: int = field(metadata=rule(integer(1)))
    unit_amount: int = field(metadata=rule(_AMOUNT))
    discount_amount: int | None = field(default=None, metadata=rule(_AMOUNT))
    tax_amount: int | None = field(default=None, metadata=rule(_AMOUNT))
    external_identifier: str | None = field(default=None, metadata=rule(text(1, 200)))
    sku: str | None = field(default=None, metadata=rule(text(1, 200)))
    upc: str | None = field(default=None, metadata=rule(text(1, 50)))
    product_url: str | None = field(default=None, metadata=rule(_ANY_TEXT))
    image_url: str | None = field(default=None, metadata=rule(_ANY_TEXT))
    categories: tuple[str, ...] | None = field(
        default=None, converter=_strings, metadata=rule(items(text(1, 50)))
    )
    product_type: ProductType | str | None = field(default=None, metadata=rule(one_of(ProductType)))
    seller_country: str | None = field(default=None, metadata=rule(_COUNTRY))
    tax_exempt: bool | None = field(default=None, metadata=rule(boolean))
    unit_of_measure: str | None = field(default=None, metadata=rule(text(1, 50)))
    commodity_code: str | None = field(default=None, metadata=rule(text(1, 50)))
    duty_amount: int | None = field(default=None, metadata=rule(_AMOUNT))
    shipping_amount: int | None = field(default=None, metadata=rule(_AMOUNT))
    description: str | None = field(default=None, metadata=rule(text(1, 255)))


@frozen(kw_only=True, eq=False, repr=False)
class CheckoutSessionCreateRequest(Checked):
    """The body of a create or an update: the cart, metadata, buyer and transaction details.

    None leaves a field out; `CLEAR` sends it as null. An update replaces the
    session's details with this body: a field left out is cleared too.
    """

    cart_items: tuple[CartItem, ...] | Clear | None = field(
        default=None, converter=_cart_items, metadata=rule(items(instance(CartItem)), clearable=True)
    )
    metadata: Mapping[str, str] | Clear | None = field(
        default=None, converter=_metadata, metadata=rule(string_map, clearable=True)
    )
    buyer: GuestBuyer | Clear | None = field(
        default=None, metadata=rule(instance(GuestBuyer), clearable=True)
    )
    airline: Airline | Clear | None = field(default=None, metadata=rule(instance(Airline), clearable=True))
    amount: int | Clear | None = field(default=None, metadata=rule(_AMOUNT, clearable=True))
    currency: str | Clear | None = field(
        default=None, metadata=rule(text(pattern="[A-Z]{3}"), clearable=True)
    )
    payment_service_id: str | Clear | None = field(
        default=None, metadata=rule(text(pattern=UUID), clearable=True)
    )
    expires_in: float | None = field(default=None, metadata=rule(number(3600, 86400)))
    country: str | Clear | None = field(default=None, metadata=rule(_COUNTRY, clearable=True))
    is_subsequent_payment: bool | Clear | None = field(default=None, metadata=rule(boolean, clearable=True))
    merchant_initiated: bool | Clear | None = field(default=None, metadata=rule(boolean, clearable=True))
    payment_source: PaymentSource | str | Clear | None = field(
        default=None, metadata=rule(one_of(PaymentSource), clearable=True)
    )
    intent: Intent | str | Clear | None = field(default=None, metadata=rule(one_of(Intent), clearable=True))


@frozen(kw_only=True, eq=False, repr=False)
class CheckoutSessionPaymentMethodDetails(Value):
    """What is known of the card on a session: BIN, type, country, issuer."""

    bin: str | None = None
    card_type: CardType | str | None = None
    card_country: str | None = None
    card_issuer_name: str | None = None


@frozen(kw_only=True, eq=False, repr=False)
class CheckoutSessionPaymentMethod(Value):
    """The payment method stored on a session; `label` holds the last four digits."""

    type: str = "payment-method"
    id: str | None = None
    method: str = "card"
    scheme: CardScheme | str | None = None
    label: str | None = None
    fingerprint: str | None = None
    details: CheckoutSessionPaymentMethodDetails | None = None


@frozen(kw_only=True, eq=False, repr=False)
class CheckoutSession(Value):
    """A checkout session as the API returns it."""

    id: str
    type: str = "checkout-session"
    expires_at: datetime | None = None
    cart_items: tuple[CartItem, ...] | None = field(default=None, converter=_strict_cart_items)
    metadata: Mapping[str, str] | None = field(default=None, converter=to_frozen_map)
    payment_method: CheckoutSessionPaymentMethod | None = None
    buyer: GuestBuyer | None = None
    airline: Airline | None = None
    amount: int | None = None
    currency: str | None = None
    payment_service_id: str | None = None
    country: str | None = None
    is_subsequent_payment: bool | None = None
    merchant_initiated: bool | None = None
    payment_source: PaymentSource | str | None = None
    intent: Intent | str | None = None
