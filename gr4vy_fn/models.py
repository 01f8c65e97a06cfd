"""The Checkout Sessions models: frozen attrs classes named and shaped like the wire.

Request models check the wire rules when they are built and raise
ValidationError naming the field and the rule. Response models (what `decode`
builds) are checked for types only: the server is the authority on its data.
Enum fields hold an enum member, or a plain `str` for a value this version
does not know yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import Enum

from attrs import field, frozen

from ._clear import Clear
from ._rules import (
    UUID,
    Checked,
    boolean,
    day,
    instance,
    integer,
    items,
    number,
    one_of,
    rule,
    string_map,
    text,
    timestamp,
    to_frozen_map,
    to_tuple,
)
from ._value import Value


class WireEnum(str, Enum):
    """A str enum whose str() and format() give the wire value, as JSON does."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


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


class TicketDeliveryMethod(WireEnum):
    """How an airline ticket was delivered."""

    ELECTRONIC = "electronic"
    OTHER = "other"


class RouteType(WireEnum):
    """Whether an airline leg is part of a round trip."""

    ROUND_TRIP = "round_trip"
    ONE_WAY = "one_way"


class AgeGroup(WireEnum):
    """A passenger's age group."""

    ADULT = "adult"
    INFANT = "infant"


class TaxIdKind(WireEnum):
    """The kind of a tax id, by country."""

    AE_TRN = "ae.trn"
    AU_ABN = "au.abn"
    AR_DNI = "ar.dni"
    AR_CUIL = "ar.cuil"
    AR_CUIT = "ar.cuit"
    BR_CNPJ = "br.cnpj"
    BR_CPF = "br.cpf"
    CA_BN = "ca.bn"
    CA_GST_HST = "ca.gst_hst"
    CA_PST_BC = "ca.pst_bc"
    CA_PST_MB = "ca.pst_mb"
    CA_PST_SK = "ca.pst_sk"
    CA_QST = "ca.qst"
    CH_VAT = "ch.vat"
    CL_TIN = "cl.tin"
    CO_ITIN = "co.itin"
    CO_NIT = "co.nit"
    CO_CC = "co.cc"
    CO_CE = "co.ce"
    CO_DE = "co.de"
    CO_RC = "co.rc"
    CO_TI = "co.ti"
    CO_PASSPORT = "co.passport"
    ES_CIF = "es.cif"
    EU_VAT = "eu.vat"
    GB_VAT = "gb.vat"
    HK_BR = "hk.br"
    ID_NIK = "id.nik"
    ID_NPWP = "id.npwp"
    IN_GST = "in.gst"
    IN_PAN = "in.pan"
    JP_CN = "jp.cn"
    JP_RN = "jp.rn"
    KR_BRN = "kr.brn"
    LI_UID = "li.uid"
    MX_CURP = "mx.curp"
    MX_RFC = "mx.rfc"
    MY_FRP = "my.frp"
    MY_ITN = "my.itn"
    MY_NRIC = "my.nric"
    MY_SST = "my.sst"
    NO_VAT = "no.vat"
    NZ_GST = "nz.gst"
    PE_RUC = "pe.ruc"
    PH_TIN = "ph.tin"
    RU_INN = "ru.inn"
    RU_KPP = "ru.kpp"
    SA_VAT = "sa.vat"
    SG_GST = "sg.gst"
    SG_UEN = "sg.uen"
    TH_ID = "th.id"
    TH_VAT = "th.vat"
    TW_VAT = "tw.vat"
    US_EIN = "us.ein"
    ZA_VAT = "za.vat"
    BO_CI = "bo.ci"
    UY_RUT = "uy.rut"
    UY_CI = "uy.ci"


_COUNTRY = text(pattern="[A-Z]{2}")
_ANY_TEXT = text(min_length=0)  # the schemas set no length for these
_PHONE = text(pattern=r"\+[1-9][0-9]{1,14}")
_AMOUNT = integer()
_AIRPORT = text(3, 3)
_CARRIER_CODE = text(2, 3)
_IATA = text(2, 2)
_ICAO = text(3, 3)


@frozen(kw_only=True, eq=False, repr=False)
class TaxId(Checked):
    """A buyer's tax id."""

    value: str = field(metadata=rule(text(1, 50)))
    kind: TaxIdKind | str = field(metadata=rule(one_of(TaxIdKind)))


@frozen(kw_only=True, eq=False, repr=False)
class Address(Checked):
    """A postal address."""

    city: str | None = field(default=None, metadata=rule(text(1, 100)))
    country: str | None = field(default=None, metadata=rule(_COUNTRY))
    postal_code: str | None = field(default=None, metadata=rule(text(1, 50)))
    state: str | None = field(default=None, metadata=rule(text(1, 255)))
    state_code: str | None = field(default=None, metadata=rule(text(pattern="[A-Z]{2}-[A-Z0-9]{1,3}")))
    house_number_or_name: str | None = field(default=None, metadata=rule(text(1, 255)))
    line1: str | None = field(default=None, metadata=rule(text(1, 255)))
    line2: str | None = field(default=None, metadata=rule(text(1, 255)))
    organization: str | None = field(default=None, metadata=rule(text(1, 255)))


@frozen(kw_only=True, eq=False, repr=False)
class ShippingDetails(Checked):
    """Where and to whom an order ships."""

    first_name: str | None = field(default=None, metadata=rule(text(1, 255)))
    last_name: str | None = field(default=None, metadata=rule(text(1, 255)))
    email_address: str | None = field(default=None, metadata=rule(text(1, 320)))
    phone_number: str | None = field(default=None, metadata=rule(_PHONE))
    address: Address | None = field(default=None, metadata=rule(instance(Address)))


@frozen(kw_only=True, eq=False, repr=False)
class BillingDetails(Checked):
    """A buyer's billing contact, address and tax id."""

    first_name: str | None = field(default=None, metadata=rule(text(1, 255)))
    last_name: str | None = field(default=None, metadata=rule(text(1, 255)))
    email_address: str | None = field(default=None, metadata=rule(text(1, 320)))
    phone_number: str | None = field(default=None, metadata=rule(_PHONE))
    address: Address | None = field(default=None, metadata=rule(instance(Address)))
    tax_id: TaxId | None = field(default=None, metadata=rule(instance(TaxId)))


@frozen(kw_only=True, eq=False, repr=False)
class GuestBuyer(Checked):
    """A buyer given inline, without a stored buyer record."""

    display_name: str | None = field(default=None, metadata=rule(text(1, 200)))
    external_identifier: str | None = field(default=None, metadata=rule(text(1, 200)))
    billing_details: BillingDetails | None = field(default=None, metadata=rule(instance(BillingDetails)))
    account_number: str | None = field(default=None, metadata=rule(text(1, 200)))
    shipping_details: ShippingDetails | None = field(default=None, metadata=rule(instance(ShippingDetails)))


# One converter per item type (not one generic one) so type checkers see what __init__ takes.
def _strings(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return to_tuple(value)


def _legs(value: Iterable[AirlineLeg] | None) -> tuple[AirlineLeg, ...] | None:
    return to_tuple(value)


def _passengers(value: Iterable[AirlinePassenger] | None) -> tuple[AirlinePassenger, ...] | None:
    return to_tuple(value)


def _cart_items(value: Iterable[CartItem] | Clear | None) -> tuple[CartItem, ...] | Clear | None:
    return to_tuple(value)  # type: ignore[arg-type]  # CLEAR passes through unchanged


def _strict_cart_items(value: Iterable[CartItem] | None) -> tuple[CartItem, ...] | None:
    return to_tuple(value)


def _metadata(value: Mapping[str, str] | Clear | None) -> Mapping[str, str] | Clear | None:
    return to_frozen_map(value)  # type: ignore[arg-type]  # CLEAR passes through unchanged


@frozen(kw_only=True, eq=False, repr=False)
class AirlineLeg(Checked):
    """One flight of an airline booking."""

    arrival_airport: str | None = field(default=None, metadata=rule(_AIRPORT))
    arrival_at: datetime | None = field(default=None, metadata=rule(timestamp))
    arrival_city: str | None = field(default=None, metadata=rule(text(1, 100)))
    arrival_country: str | None = field(default=None, metadata=rule(_COUNTRY))
    carrier_code: str | None = field(default=None, metadata=rule(_CARRIER_CODE))
    carrier_name: str | None = field(default=None, metadata=rule(text()))
    iata_designator: str | None = field(default=None, metadata=rule(_IATA))
    icao_code: str | None = field(default=None, metadata=rule(_ICAO))
    coupon_number: str | None = field(default=None, metadata=rule(text(1, 50)))
    departure_airport: str | None = field(default=None, metadata=rule(_AIRPORT))
    departure_at: datetime | None = field(default=None, metadata=rule(timestamp))
    departure_city: str | None = field(default=None, metadata=rule(text(1, 100)))
    departure_country: str | None = field(default=None, metadata=rule(_COUNTRY))
    departure_tax_amount: int | None = field(default=None, metadata=rule(_AMOUNT))
    fare_amount: int | None = field(default=None, metadata=rule(_AMOUNT))
    fare_basis_code: str | None = field(default=None, metadata=rule(text(1, 8)))
    fee_amount: int | None = field(default=None, metadata=rule(_AMOUNT))
    flight_class: str | None = field(default=None, metadata=rule(text(1, 5)))
    flight_number: str | None = field(default=None, metadata=rule(text(3, 6)))
    route_type: RouteType | str | None = field(default=None, metadata=rule(one_of(RouteType)))
    seat_class: str | None = field(default=None, metadata=rule(text(1, 5)))
    stop_over: bool | None = field(default=None, metadata=rule(boolean))
    tax_amount: int | None = field(default=None, metadata=rule(_AMOUNT))


@frozen(kw_only=True, eq=False, repr=False)
class AirlinePassenger(Checked):
    """A passenger of an airline booking."""

    age_group: AgeGroup | str | None = field(default=None, metadata=rule(one_of(AgeGroup)))
    date_of_birth: date | None = field(default=None, metadata=rule(day))
    email_address: str | None = field(default=None, metadata=rule(text(1, 320)))
    first_name: str | None = field(default=None, metadata=rule(text(1, 255)))
    frequent_flyer_number: str | None = field(default=None, metadata=rule(text(5, 50)))
    last_name: str | None = field(default=None, metadata=rule(text(1, 255)))
    passport_number: str | None = field(default=None, metadata=rule(text(1, 50)))
    phone_number: str | None = field(default=None, metadata=rule(_PHONE))
    ticket_number: str | None = field(default=None, metadata=rule(text(1, 50)))
    title: str | None = field(default=None, metadata=rule(text(1, 50)))
    country_code: str | None = field(default=None, metadata=rule(_COUNTRY))


@frozen(kw_only=True, eq=False, repr=False)
class Airline(Checked):
    """Airline booking data for the session's transaction."""

    booking_code: str | None = field(default=None, metadata=rule(text(1, 50)))
    is_cardholder_traveling: bool | None = field(default=None, metadata=rule(boolean))
    issued_address: str | None = field(default=None, metadata=rule(text(1, 255)))
    issued_at: datetime | None = field(default=None, metadata=rule(timestamp))
    issuing_carrier_code: str | None = field(default=None, metadata=rule(_CARRIER_CODE))
    issuing_carrier_name: str | None = field(default=None, metadata=rule(text()))
    issuing_iata_designator: str | None = field(default=None, metadata=rule(_IATA))
    issuing_icao_code: str | None = field(default=None, metadata=rule(_ICAO))
    legs: tuple[AirlineLeg, ...] | None = field(
        default=None, converter=_legs, metadata=rule(items(instance(AirlineLeg), max_items=20))
    )
    passenger_name_record: str | None = field(default=None, metadata=rule(text(1, 50)))
    passengers: tuple[AirlinePassenger, ...] | None = field(
        default=None,
        converter=_passengers,
        metadata=rule(items(instance(AirlinePassenger), max_items=20)),
    )
    reservation_system: str | None = field(default=None, metadata=rule(text(1, 200)))
    restricted_ticket: bool | None = field(default=None, metadata=rule(boolean))
    ticket_delivery_method: TicketDeliveryMethod | str | None = field(
        default=None, metadata=rule(one_of(TicketDeliveryMethod))
    )
    ticket_number: str | None = field(default=None, metadata=rule(text(1, 50)))
    travel_agency_code: str | None = field(default=None, metadata=rule(text(1, 50)))
    travel_agency_invoice_number: str | None = field(default=None, metadata=rule(text(1, 50)))
    travel_agency_name: str | None = field(default=None, metadata=rule(text(1, 200)))
    travel_agency_plan_name: str | None = field(default=None, metadata=rule(text(1, 200)))


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


def _last_four(number: object) -> str:
    # Never more than the last four digits, and only of something long enough to be a card number.
    if isinstance(number, str) and len(number) >= 13:
        return f"'…{number[-4:]}'"
    return "<redacted>"


def _hidden(_: object) -> str:
    return "<redacted>"


_SECURITY_CODE = text(3, 4, pattern="[0-9]+")


@frozen(kw_only=True, eq=False, repr=False)
class CardPaymentMethod(Checked):
    """A raw card for the secure fields: number, expiry `MM/YY`, optional security code."""

    number: str = field(repr=_last_four, metadata={**rule(text(13, 19, pattern="[0-9]+")), "secret": True})
    expiration_date: str = field(metadata=rule(text(5, 5, pattern=r"(0[1-9]|1[0-2])/[0-9]{2}")))
    security_code: str | None = field(
        default=None, repr=_hidden, metadata={**rule(_SECURITY_CODE), "secret": True}
    )
    method: str = field(default="card", init=False)


@frozen(kw_only=True, eq=False, repr=False)
class ClickToPayPaymentMethod(Checked):
    """A Click to Pay result; the live API requires `src_dpa_id` too."""

    merchant_transaction_id: str = field(metadata=rule(_ANY_TEXT))
    src_correlation_id: str = field(metadata=rule(_ANY_TEXT))
    src_dpa_id: str | None = field(default=None, metadata=rule(_ANY_TEXT))
    src_cx_flow_id: str | None = field(default=None, metadata=rule(_ANY_TEXT))
    method: str = field(default="click-to-pay", init=False)


@frozen(kw_only=True, eq=False, repr=False)
class IdPaymentMethod(Checked):
    """A stored payment method by its id, with an optional security code."""

    id: str = field(metadata=rule(text(pattern=UUID)))
    security_code: str | None = field(
        default=None, repr=_hidden, metadata={**rule(_SECURITY_CODE), "secret": True}
    )
    method: str = field(default="id", init=False)


SecureFieldsPaymentMethod = CardPaymentMethod | ClickToPayPaymentMethod | IdPaymentMethod


@frozen(kw_only=True, eq=False, repr=False)
class CheckoutSessionSecureFieldsUpdate(Checked):
    """The body of a fields update: one payment method, and optionally a postal code."""

    payment_method: SecureFieldsPaymentMethod = field(
        metadata=rule(instance(CardPaymentMethod, ClickToPayPaymentMethod, IdPaymentMethod))
    )
    postal_code: str | None = field(default=None, metadata=rule(text(1, 50)))
