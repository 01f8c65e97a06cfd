"""Hypothesis strategies for every request model, drawing only values the wire rules allow."""

from __future__ import annotations

from datetime import timezone
from enum import Enum
from typing import Any

from hypothesis import strategies as st

import gr4vy_fn as g

_ALPHABET = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")


def text(max_size: int | None = None, min_size: int = 1) -> st.SearchStrategy[str]:
    return st.text(_ALPHABET, min_size=min_size, max_size=max_size if max_size is not None else 40)


# Values of a wire pattern are drawn part by part, each part as text of its
# characters: the same values as `st.from_regex(pattern, fullmatch=True)` gives,
# for a third of its cost a draw (it tracks groups and filters every draw).
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"


def chars(alphabet: str, size: int, max_size: int | None = None) -> st.SearchStrategy[str]:
    """`size` (to `max_size`) characters of `alphabet`: the pattern `[alphabet]{size,max_size}`."""
    if max_size is None or max_size == size:
        return st.text(alphabet, min_size=size, max_size=size)
    # The longest values as often as all the others: the edge a rule's upper bound is tested at.
    longest = st.text(alphabet, min_size=max_size, max_size=max_size)
    return longest | st.text(alphabet, min_size=size, max_size=max_size)


def joined(*parts: st.SearchStrategy[str] | str) -> st.SearchStrategy[str]:
    """One draw of each part (a str stands for itself), written one after another."""
    return st.tuples(*(st.just(part) if isinstance(part, str) else part for part in parts)).map("".join)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def clearable(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """None (left out), CLEAR (sent as null) or a value."""
    return st.none() | st.just(g.CLEAR) | strategy


amounts = st.integers(0, 99_999_999)
countries = chars(_UPPER, 2)  # [A-Z]{2}
phones = joined("+", chars("123456789", 1), chars(_DIGITS, 1, 14))  # \+[1-9][0-9]{1,14}
uuids = st.uuids().map(str)
datetimes = st.datetimes(timezones=st.just(timezone.utc))


def enum_values(enum: type[Enum]) -> st.SearchStrategy[Any]:
    members = list(enum)
    return st.sampled_from(members) | st.sampled_from([member.value for member in members])


addresses = st.builds(
    g.Address,
    city=maybe(text(100)),
    country=maybe(countries),
    postal_code=maybe(text(50)),
    state=maybe(text(255)),
    state_code=maybe(joined(chars(_UPPER, 2), "-", chars(_UPPER + _DIGITS, 1, 3))),  # [A-Z]{2}-[A-Z0-9]{1,3}
    house_number_or_name=maybe(text()),
    line1=maybe(text()),
    line2=maybe(text()),
    organization=maybe(text()),
)
tax_ids = st.builds(g.TaxId, value=text(50), kind=enum_values(g.TaxIdKind))
contact = {
    "first_name": maybe(text()),
    "last_name": maybe(text()),
    "email_address": maybe(text(320)),
    "phone_number": maybe(phones),
    "address": maybe(addresses),
}
buyers = st.builds(
    g.GuestBuyer,
    display_name=maybe(text(200)),
    external_identifier=maybe(text(200)),
    account_number=maybe(text(200)),
    billing_details=maybe(st.builds(g.BillingDetails, tax_id=maybe(tax_ids), **contact)),
    shipping_details=maybe(st.builds(g.ShippingDetails, **contact)),
)
legs = st.builds(
    g.AirlineLeg,
    arrival_airport=maybe(text(3, 3)),
    arrival_at=maybe(datetimes),
    departure_country=maybe(countries),
    departure_tax_amount=maybe(amounts),
    fare_basis_code=maybe(text(8)),
    flight_number=maybe(text(6, 3)),
    route_type=maybe(enum_values(g.RouteType)),
    stop_over=maybe(st.booleans()),
    carrier_code=maybe(text(3, 2)),
)
passengers = st.builds(
    g.AirlinePassenger,
    age_group=maybe(enum_values(g.AgeGroup)),
    date_of_birth=maybe(st.dates()),
    frequent_flyer_number=maybe(text(50, 5)),
    phone_number=maybe(phones),
    country_code=maybe(countries),
    title=maybe(text(50)),
)
airlines = st.builds(
    g.Airline,
    booking_code=maybe(text(50)),
    issued_at=maybe(datetimes),
    issuing_iata_designator=maybe(text(2, 2)),
    legs=maybe(st.lists(legs, max_size=2)),
    passengers=maybe(st.lists(passengers, max_size=2)),
    ticket_delivery_method=maybe(enum_values(g.TicketDeliveryMethod)),
    restricted_ticket=maybe(st.booleans()),
)
cart_items = st.builds(
    g.CartItem,
    name=text(255),
    quantity=st.integers(1, 99_999_999),
    unit_amount=amounts,
    discount_amount=maybe(amounts),
    tax_amount=maybe(amounts),
    external_identifier=maybe(text(200)),
    sku=maybe(text(200)),
    upc=maybe(text(50)),
    product_url=maybe(text(min_size=0)),
    image_url=maybe(text(min_size=0)),
    categories=maybe(st.lists(text(50), max_size=3)),
    product_type=maybe(enum_values(g.ProductType)),
    seller_country=maybe(countries),
    tax_exempt=maybe(st.booleans()),
    unit_of_measure=maybe(text(50)),
    commodity_code=maybe(text(50)),
    duty_amount=maybe(amounts),
    shipping_amount=maybe(amounts),
    description=maybe(text(255)),
)
create_requests = st.builds(
    g.CheckoutSessionCreateRequest,
    cart_items=clearable(st.lists(cart_items, max_size=3)),
    metadata=clearable(st.dictionaries(text(20), text(50), max_size=3)),
    buyer=clearable(buyers),
    airline=clearable(airlines),
    amount=clearable(amounts),
    currency=clearable(chars(_UPPER, 3)),  # [A-Z]{3}
    payment_service_id=clearable(uuids),
    expires_in=maybe(st.integers(3600, 86400) | st.floats(3600, 86400)),
    country=clearable(countries),
    is_subsequent_payment=clearable(st.booleans()),
    merchant_initiated=clearable(st.booleans()),
    payment_source=clearable(enum_values(g.PaymentSource)),
    intent=clearable(enum_values(g.Intent)),
)
months = st.sampled_from([f"{month:02d}" for month in range(1, 13)])  # 0[1-9]|1[0-2]
security_codes = chars(_DIGITS, 3, 4)  # [0-9]{3,4}
payment_methods = (
    st.builds(
        g.CardPaymentMethod,
        number=chars(_DIGITS, 13, 19),  # [0-9]{13,19}
        expiration_date=joined(months, "/", chars(_DIGITS, 2)),  # (0[1-9]|1[0-2])/[0-9]{2}
        security_code=maybe(security_codes),
    )
    | st.builds(
        g.ClickToPayPaymentMethod,
        merchant_transaction_id=text(min_size=0),
        src_correlation_id=text(min_size=0),
        src_dpa_id=text(min_size=0),
        src_cx_flow_id=maybe(text(min_size=0)),
    )
    | st.builds(g.IdPaymentMethod, id=uuids, security_code=maybe(security_codes))
)
fields_updates = st.builds(
    g.CheckoutSessionSecureFieldsUpdate, payment_method=payment_methods, postal_code=maybe(text(50))
)
