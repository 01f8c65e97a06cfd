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
from typing import ClassVar

from attrs import field, frozen

from . import _rules as r
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


class _Checked(Value):
    """Base of the models: applies the class's wire rules once attrs has set the fields."""

    __slots__ = ()
    _rules: ClassVar[Mapping[str, r.Rule]] = {}
    _required: ClassVar[tuple[str, ...]] = ()

    def __attrs_post_init__(self) -> None:
        r.check_model(self, self._rules, self._required)


_COUNTRY = r.text(pattern="[A-Z]{2}")
_ANY_TEXT = r.text(min_length=0)  # the schemas set no length for these
_PHONE = r.text(pattern=r"\+[1-9][0-9]{1,14}")
_AMOUNT = r.integer()


def _t(max_length: int | None = None, min_length: int = 1) -> r.Rule:
    return r.text(min_length, max_length)


@frozen(kw_only=True, eq=False, repr=False)
class TaxId(_Checked):
    """A buyer's tax id."""

    value: str
    kind: TaxIdKind | str

    _rules: ClassVar[Mapping[str, r.Rule]] = {"value": _t(50), "kind": r.one_of(TaxIdKind)}
    _required = ("value", "kind")


@frozen(kw_only=True, eq=False, repr=False)
class Address(_Checked):
    """A postal address."""

    city: str | None = None
    country: str | None = None
    postal_code: str | None = None
    state: str | None = None
    state_code: str | None = None
    house_number_or_name: str | None = None
    line1: str | None = None
    line2: str | None = None
    organization: str | None = None

    _rules: ClassVar[Mapping[str, r.Rule]] = {
        "city": _t(100),
        "country": _COUNTRY,
        "postal_code": _t(50),
        "state": _t(255),
        "state_code": r.text(pattern="[A-Z]{2}-[A-Z0-9]{1,3}"),
        "house_number_or_name": _t(255),
        "line1": _t(255),
        "line2": _t(255),
        "organization": _t(255),
    }


_CONTACT: Mapping[str, r.Rule] = {
    "first_name": _t(255),
    "last_name": _t(255),
    "email_address": _t(320),
    "phone_number": _PHONE,
    "address": r.instance(Address),
}


@frozen(kw_only=True, eq=False, repr=False)
class BillingDetails(_Checked):
    """A buyer's billing contact, address and tax id."""

    first_name: str | None = None
    last_name: str | None = None
    email_address: str | None = None
    phone_number: str | None = None
    address: Address | None = None
    tax_id: TaxId | None = None

    _rules: ClassVar[Mapping[str, r.Rule]] = {**_CONTACT, "tax_id": r.instance(TaxId)}


@frozen(kw_only=True, eq=False, repr=False)
class ShippingDetails(_Checked):
    """Where and to whom an order ships."""

    first_name: str | None = None
    last_name: str | None = None
    email_address: str | None = None
    phone_number: str | None = None
    address: Address | None = None

    _rules = _CONTACT


@frozen(kw_only=True, eq=False, repr=False)
class GuestBuyer(_Checked):
    """A buyer given inline, without a stored buyer record."""

    display_name: str | None = None
    external_identifier: str | None = None
    billing_details: BillingDetails | None = None
    account_number: str | None = None
    shipping_details: ShippingDetails | None = None

    _rules: ClassVar[Mapping[str, r.Rule]] = {
        "display_name": _t(200),
        "external_identifier": _t(200),
        "billing_details": r.instance(BillingDetails),
        "account_number": _t(200),
        "shipping_details": r.instance(ShippingDetails),
    }


# One converter per item type (not one generic one) so type checkers see what __init__ takes.
def _strings(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return r.to_tuple(value)


def _legs(value: Iterable[AirlineLeg] | None) -> tuple[AirlineLeg, ...] | None:
    return r.to_tuple(value)


def _passengers(value: Iterable[AirlinePassenger] | None) -> tuple[AirlinePassenger, ...] | None:
    return r.to_tuple(value)


def _cart_items(value: Iterable[CartItem] | None) -> tuple[CartItem, ...] | None:
    return r.to_tuple(value)


_AIRPORT = r.text(3, 3)
_CARRIER_CODE = r.text(2, 3)
_IATA = r.text(2, 2)
_ICAO = r.text(3, 3)


@frozen(kw_only=True, eq=False, repr=False)
class AirlineLeg(_Checked):
    """One flight of an airline booking."""

    arrival_airport: str | None = None
    arrival_at: datetime | None = None
    arrival_city: str | None = None
    arrival_country: str | None = None
    carrier_code: str | None = None
    carrier_name: str | None = None
    iata_designator: str | None = None
    icao_code: str | None = None
    coupon_number: str | None = None
    departure_airport: str | None = None
    departure_at: datetime | None = None
    departure_city: str | None = None
    departure_country: str | None = None
    departure_tax_amount: int | None = None
    fare_amount: int | None = None
    fare_basis_code: str | None = None
    fee_amount: int | None = None
    flight_class: str | None = None
    flight_number: str | None = None
    route_type: RouteType | str | None = None
    seat_class: str | None = None
    stop_over: bool | None = None
    tax_amount: int | None = None

    _rules: ClassVar[Mapping[str, r.Rule]] = {
        "arrival_airport": _AIRPORT,
        "arrival_at": r.timestamp,
        "arrival_city": _t(100),
        "arrival_country": _COUNTRY,
        "carrier_code": _CARRIER_CODE,
        "carrier_name": _t(),
        "iata_designator": _IATA,
        "icao_code": _ICAO,
        "coupon_number": _t(50),
        "departure_airport": _AIRPORT,
        "departure_at": r.timestamp,
        "departure_city": _t(100),
        "departure_country": _COUNTRY,
        "departure_tax_amount": _AMOUNT,
        "fare_amount": _AMOUNT,
        "fare_basis_code": _t(8),
        "fee_amount": _AMOUNT,
        "flight_class": _t(5),
        "flight_number": r.text(3, 6),
        "route_type": r.one_of(RouteType),
        "seat_class": _t(5),
        "stop_over": r.boolean,
        "tax_amount": _AMOUNT,
    }


@frozen(kw_only=True, eq=False, repr=False)
class AirlinePassenger(_Checked):
    """A passenger of an airline booking."""

    age_group: AgeGroup | str | None = None
    date_of_birth: date | None = None
    email_address: str | None = None
    first_name: str | None = None
    frequent_flyer_number: str | None = None
    last_name: str | None = None
    passport_number: str | None = None
    phone_number: str | None = None
    ticket_number: str | None = None
    country_code: str | None = None

    _rules: ClassVar[Mapping[str, r.Rule]] = {
        "age_group": r.one_of(AgeGroup),
        "date_of_birth": r.day,
        "email_address": _t(320),
        "first_name": _t(255),
        "frequent_flyer_number": r.text(5, 50),
        "last_name": _t(255),
        "passport_number": _t(50),
        "phone_number": _PHONE,
        "ticket_number": _t(50),
        "country_code": _COUNTRY,
    }


@frozen(kw_only=True, eq=False, repr=False)
class Airline(_Checked):
    """Airline booking data for the session's transaction."""

    booking_code: str | None = None
    is_cardholder_traveling: bool | None = None
    issued_address: str | None = None
    issued_at: datetime | None = None
    issuing_carrier_code: str | None = None
    issuing_carrier_name: str | None = None
    issuing_iata_designator: str | None = None
    issuing_icao_code: str | None = None
    legs: tuple[AirlineLeg, ...] | None = field(default=None, converter=_legs)
    passenger_name_record: str | None = None
    passengers: tuple[AirlinePassenger, ...] | None = field(default=None, converter=_passengers)
    reservation_system: str | None = None
    restricted_ticket: bool | None = None
    ticket_delivery_method: TicketDeliveryMethod | str | None = None
    ticket_number: str | None = None
    travel_agency_code: str | None = None
    travel_agency_invoice_number: str | None = None
    travel_agency_name: str | None = None
    travel_agency_plan_name: str | None = None

    _rules: ClassVar[Mapping[str, r.Rule]] = {
        "booking_code": _t(50),
        "is_cardholder_traveling": r.boolean,
        "issued_address": _t(255),
        "issued_at": r.timestamp,
        "issuing_carrier_code": _CARRIER_CODE,
        "issuing_carrier_name": _t(),
        "issuing_iata_designator": _IATA,
        "issuing_icao_code": _ICAO,
        "legs": r.items(r.instance(AirlineLeg), max_items=20),
        "passenger_name_record": _t(50),
        "passengers": r.items(r.instance(AirlinePassenger), max_items=20),
        "reservation_system": _t(200),
        "restricted_ticket": r.boolean,
        "ticket_delivery_method": r.one_of(TicketDeliveryMethod),
        "ticket_number": _t(50),
        "travel_agency_code": _t(50),
        "travel_agency_invoice_number": _t(50),
        "travel_agency_name": _t(200),
        "travel_agency_plan_name": _t(200),
    }


@frozen(kw_only=True, eq=False, repr=False)
class CartItem(_Checked):
    """One line of the cart; amounts are in the currency's smallest unit."""

    name: str
    quantity: int
    unit_amount: int
    discount_amount: int | None = None
    tax_amount: int | None = None
    external_identifier: str | None = None
    sku: str | None = None
    upc: str | None = None
    product_url: str | None = None
    image_url: str | None = None
    categories: tuple[str, ...] | None = field(default=None, converter=_strings)
    product_type: ProductType | str | None = None
    seller_country: str | None = None
    tax_exempt: bool | None = None
    unit_of_measure: str | None = None
    commodity_code: str | None = None
    duty_amount: int | None = None
    shipping_amount: int | None = None

    _rules: ClassVar[Mapping[str, r.Rule]] = {
        "name": _t(255),
        "quantity": r.integer(1),
        "unit_amount": _AMOUNT,
        "discount_amount": _AMOUNT,
        "tax_amount": _AMOUNT,
        "external_identifier": _t(200),
        "sku": _t(200),
        "upc": _t(50),
        "product_url": _ANY_TEXT,
        "image_url": _ANY_TEXT,
        "categories": r.items(_t(50)),
        "product_type": r.one_of(ProductType),
        "seller_country": _COUNTRY,
        "tax_exempt": r.boolean,
        "unit_of_measure": _t(50),
        "commodity_code": _t(50),
        "duty_amount": _AMOUNT,
        "shipping_amount": _AMOUNT,
    }
    _required = ("name", "quantity", "unit_amount")


_SESSION_FIELDS: Mapping[str, r.Rule] = {
    "cart_items": r.items(r.instance(CartItem)),
    "metadata": r.string_map,
    "buyer": r.instance(GuestBuyer),
    "airline": r.instance(Airline),
    "amount": _AMOUNT,
    "currency": r.text(pattern="[A-Z]{3}"),
    "payment_service_id": r.text(pattern=r.UUID),
    "expires_in": r.number(3600, 86400),
    "country": _COUNTRY,
    "is_subsequent_payment": r.boolean,
    "merchant_initiated": r.boolean,
    "payment_source": r.one_of(PaymentSource),
    "intent": r.one_of(Intent),
}


@frozen(kw_only=True, eq=False, repr=False)
class CheckoutSessionCreateRequest(_Checked):
    """The body of a create or an update: the cart, metadata, buyer and transaction details."""

    cart_items: tuple[CartItem, ...] | None = field(default=None, converter=_cart_items)
    metadata: dict[str, str] | None = field(default=None, converter=r.to_dict)
    buyer: GuestBuyer | None = None
    airline: Airline | None = None
    amount: int | None = None
    currency: str | None = None
    payment_service_id: str | None = None
    expires_in: float | None = None
    country: str | None = None
    is_subsequent_payment: bool | None = None
    merchant_initiated: bool | None = None
    payment_source: PaymentSource | str | None = None
    intent: Intent | str | None = None

    _rules = _SESSION_FIELDS


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
    cart_items: tuple[CartItem, ...] | None = field(default=None, converter=_cart_items)
    metadata: dict[str, str] | None = field(default=None, converter=r.to_dict)
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


_SECURITY_CODE = r.text(3, 4, pattern="[0-9]+")


@frozen(kw_only=True, eq=False, repr=False)
class CardPaymentMethod(_Checked):
    """A raw card for the secure fields: number, expiry `MM/YY`, optional security code."""

    number: str = field(repr=_last_four)
    expiration_date: str
    security_code: str | None = field(default=None, repr=_hidden)
    method: str = field(default="card", init=False)

    _rules: ClassVar[Mapping[str, r.Rule]] = {
        "number": r.text(13, 19, pattern="[0-9]+"),
        "expiration_date": r.text(5, 5, pattern=r"(0[1-9]|1[0-2])/[0-9]{2}"),
        "security_code": _SECURITY_CODE,
    }
    _required = ("number", "expiration_date")


@frozen(kw_only=True, eq=False, repr=False)
class ClickToPayPaymentMethod(_Checked):
    """A Click to Pay result; the live API requires `src_dpa_id` too."""

    merchant_transaction_id: str
    src_correlation_id: str
    src_dpa_id: str | None = None
    src_cx_flow_id: str | None = None
    method: str = field(default="click-to-pay", init=False)

    _rules: ClassVar[Mapping[str, r.Rule]] = {
        "merchant_transaction_id": _ANY_TEXT,
        "src_correlation_id": _ANY_TEXT,
        "src_dpa_id": _ANY_TEXT,
        "src_cx_flow_id": _ANY_TEXT,
    }
    _required = ("merchant_transaction_id", "src_correlation_id")


@frozen(kw_only=True, eq=False, repr=False)
class IdPaymentMethod(_Checked):
    """A stored payment method by its id, with an optional security code."""

    id: str
    security_code: str | None = field(default=None, repr=_hidden)
    method: str = field(default="id", init=False)

    _rules: ClassVar[Mapping[str, r.Rule]] = {
        "id": r.text(pattern=r.UUID),
        "security_code": _SECURITY_CODE,
    }
    _required = ("id",)


SecureFieldsPaymentMethod = CardPaymentMethod | ClickToPayPaymentMethod | IdPaymentMethod


@frozen(kw_only=True, eq=False, repr=False)
class CheckoutSessionSecureFieldsUpdate(_Checked):
    """The body of a fields update: one payment method, and optionally a postal code."""

    payment_method: SecureFieldsPaymentMethod
    postal_code: str | None = None

    _rules: ClassVar[Mapping[str, r.Rule]] = {
        "payment_method": r.instance(CardPaymentMethod, ClickToPayPaymentMethod, IdPaymentMethod),
        "postal_code": _t(50),
    }
    _required = ("payment_method",)
