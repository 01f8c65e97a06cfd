"""The airline models: `Airline`, its legs and passengers; import them from gr4vy_fn.models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from attrs import field, frozen

from ._rules import AMOUNT as _AMOUNT
from ._rules import COUNTRY as _COUNTRY
from ._rules import PHONE as _PHONE
from ._rules import (
    Checked,
    WireEnum,
    boolean,
    day,
    instance,
    items,
    one_of,
    rule,
    shown_in_models,
    text,
    timestamp,
    to_tuple,
)


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


_AIRPORT = text(3, 3)
_CARRIER_CODE = text(2, 3)
_IATA = text(2, 2)
_ICAO = text(3, 3)


def _legs(value: Iterable[AirlineLeg] | None) -> tuple[AirlineLeg, ...] | None:
    return to_tuple(value)


def _passengers(value: Iterable[AirlinePassenger] | None) -> tuple[AirlinePassenger, ...] | None:
    return to_tuple(value)


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


shown_in_models(TicketDeliveryMethod, RouteType, AgeGroup, AirlineLeg, AirlinePassenger, Airline)
