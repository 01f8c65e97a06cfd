"""Decoding: recorded answers for every status each operation documents, and anything else a server sends."""

from __future__ import annotations

import inspect
import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
import strategies
from conftest import SESSION_ID, sample
from hypothesis import given, settings
from hypothesis import strategies as st

import gr4vy_fn as g
from gr4vy_fn import operations as ops
from gr4vy_fn.answer._converter import converter
from gr4vy_fn.answer._readers import _DATETIME, by_hand, parse_datetime

CARD = "4111111111111111"
CARD_UPDATE = g.CheckoutSessionSecureFieldsUpdate(
    payment_method=g.CardPaymentMethod(number=CARD, expiration_date="12/30", security_code="737")
)

OPERATIONS: dict[str, g.Request[Any]] = {
    "new": ops.new_checkout_session(),
    "get": ops.get_checkout_session(SESSION_ID),
    "delete": ops.delete_checkout_session(SESSION_ID),
    "fields": ops.update_checkout_session_fields(SESSION_ID, CARD_UPDATE),
    "update": ops.update_checkout_session(SESSION_ID, g.CheckoutSessionCreateRequest()),
}


def answer(status: int, body: bytes = b"", **headers: str) -> g.HttpResponse:
    return g.HttpResponse(status=status, headers=headers, body=body)


@pytest.mark.parametrize(("operation", "status"), [("new", 201), ("get", 200), ("update", 200)])
def test_success_decodes_the_session(operation: str, status: int) -> None:
    """A documented success with a session body decodes into CheckoutSession."""
    session = g.decode(OPERATIONS[operation], answer(status, sample("session_201.json")))
    assert isinstance(session, g.CheckoutSession)
    assert session.id == SESSION_ID
    assert session.expires_at == datetime(2026, 11, 26, 19, 4, 5, 123456, tzinfo=timezone.utc)
    assert session.cart_items is not None
    assert session.cart_items[0].product_type is g.ProductType.PHYSICAL
    assert session.cart_items[0].categories == ("camera",)
    assert session.metadata == {"key": "value"}
    assert session.payment_method is None


@pytest.mark.parametrize("operation", ["delete", "fields"])
def test_empty_success_is_none(operation: str) -> None:
    """A 204 for delete or a fields update is the value None, whatever the body."""
    assert g.decode(OPERATIONS[operation], answer(204)) is None
    assert g.decode(OPERATIONS[operation], answer(204, b"ignored")) is None


def test_decoded_models_are_exactly_their_classes_and_frozen() -> None:
    """Each decoded part is an instance of exactly its model class, and refuses to be changed."""
    session = g.decode(OPERATIONS["get"], answer(200, sample("session_with_card.json")))
    with_cart = g.decode(OPERATIONS["get"], answer(200, sample("session_201.json")))
    assert isinstance(session, g.CheckoutSession)
    assert isinstance(with_cart, g.CheckoutSession)
    assert with_cart.cart_items is not None
    assert session.payment_method is not None
    details = session.payment_method.details
    assert details is not None
    parts: list[Any] = [session, with_cart.cart_items[0], session.payment_method, details]
    expected = [
        g.CheckoutSession,
        g.CartItem,
        g.CheckoutSessionPaymentMethod,
        g.CheckoutSessionPaymentMethodDetails,
    ]
    assert [type(part) for part in parts] == expected
    for part in parts:
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(part, attrs.fields(type(part))[0].name, None)


def test_a_full_live_session() -> None:
    """Every nested shape of a live session decodes; unknown fields are ignored."""
    session = g.decode(OPERATIONS["get"], answer(200, sample("session_with_card.json")))
    assert isinstance(session, g.CheckoutSession)
    method = session.payment_method
    assert method == g.CheckoutSessionPaymentMethod(
        id="77a76f7e-d2de-4bbc-ada9-d6a0015e6bd5",
        scheme=g.CardScheme.VISA,
        label="1111",
        fingerprint="a50b85c200ee0795d6fd33a5c66f37a4564f554355c5b46a756aac485dd168a4",
        details=g.CheckoutSessionPaymentMethodDetails(
            bin="411111", card_type=g.CardType.CREDIT, card_country="US", card_issuer_name="Example Bank"
        ),
    )
    assert session.intent is g.Intent.CAPTURE
    assert session.payment_source is g.PaymentSource.ECOMMERCE
    assert session.buyer is not None
    assert session.buyer.billing_details is not None
    assert session.buyer.billing_details.tax_id == g.TaxId(value="DE123456789", kind=g.TaxIdKind.EU_VAT)
    assert session.airline is not None
    assert session.airline.issued_at == datetime(
        2026, 11, 26, 10, 0, 0, 500000, tzinfo=timezone(timedelta(hours=-5))
    )
    assert session.airline.legs is not None
    assert session.airline.legs[0].route_type is g.RouteType.ONE_WAY
    assert session.airline.passengers is not None
    assert session.airline.passengers[0].date_of_birth == date(1990, 4, 1)


def test_unknown_enum_values_stay_strings() -> None:
    """An enum value this version does not know is kept as a plain str."""
    body = json.loads(sample("session_with_card.json"))
    body["payment_method"]["scheme"] = "new-scheme"
    body["payment_method"]["details"]["card_type"] = "charge"
    body["intent"] = "hold"
    session = g.decode(OPERATIONS["get"], answer(200, json.dumps(body).encode()))
    assert isinstance(session, g.CheckoutSession)
    assert session.payment_method is not None
    assert session.payment_method.scheme == "new-scheme"
    assert type(session.payment_method.scheme) is str
    assert session.intent == "hold"


def test_server_data_breaking_request_rules_is_still_decoded() -> None:
    """The server is the authority on its data: values our builders refuse still decode."""
    body = {
        "id": SESSION_ID,
        "cart_items": [{"name": "", "quantity": 0, "unit_amount": -1, "seller_country": "usa"}],
    }
    session = g.decode(OPERATIONS["get"], answer(200, json.dumps(body).encode()))
    assert isinstance(session, g.CheckoutSession)
    assert session.cart_items is not None
    assert len(session.cart_items) == 1
    item = session.cart_items[0]
    assert (item.name, item.quantity, item.unit_amount, item.seller_country) == ("", 0, -1, "usa")


def test_nulls_are_accepted_wherever_the_live_api_sends_them() -> None:
    """null in any optional field, even expires_at, decodes to None."""
    fields = [
        "expires_at",
        "cart_items",
        "metadata",
        "payment_method",
        "buyer",
        "airline",
        "amount",
        "intent",
    ]
    body = {"id": SESSION_ID, "type": "checkout-session", **dict.fromkeys(fields)}
    session = g.decode(OPERATIONS["get"], answer(200, json.dumps(body).encode()))
    assert session == g.CheckoutSession(id=SESSION_ID)


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-11-26T19:04:05Z",
        "2026-11-26T19:04:05.1Z",
        "2026-11-26T19:04:05.12345Z",
        "2026-11-26T19:04:05.123456+00:00",
        "2026-11-26T20:04:05.000+01:00",
        "2026-11-26T19:04:05z",
    ],
)
def test_date_times_with_z_offsets_and_fractions(stamp: str) -> None:
    """expires_at accepts Z, offsets and 0 to 6 fractional digits."""
    session = g.decode(
        OPERATIONS["get"], answer(200, json.dumps({"id": SESSION_ID, "expires_at": stamp}).encode())
    )
    assert isinstance(session, g.CheckoutSession)
    assert session.expires_at is not None
    assert abs(session.expires_at - datetime(2026, 11, 26, 19, 4, 5, tzinfo=timezone.utc)) < timedelta(
        seconds=1
    )


@pytest.mark.parametrize(
    ("status", "name", "cls", "fields"),
    [
        (401, "error_401.json", g.Error401Unauthorized, {"code": "unauthorized"}),
        (404, "error_404.json", g.Error404NotFound, {"code": "not_found"}),
        (
            409,
            "error_409.json",
            g.Error409DuplicateRecord,
            {"resource_id": "0cd1d6f3-1ec2-4b8d-9a4c-a8a4fae2d8d2"},
        ),
        (
            429,
            "error_429.json",
            g.Error429TooManyRequests,
            {"code": "too_many_requests", "retry_after": None},
        ),
        (500, "error_500.json", g.ErrorGeneric, {"code": "server_error"}),
        (403, "error_500.json", g.ErrorGeneric, {"status": 403}),
        (425, "error_500.json", g.ErrorGeneric, {"status": 425}),
    ],
)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_error_objects(operation: str, status: int, name: str, cls: type, fields: dict[str, Any]) -> None:
    """Each documented error status decodes into its error class for every operation."""
    error = g.decode(OPERATIONS[operation], answer(status, sample(name), **{"X-Request-Id": "r1"}))
    assert type(error) is cls
    assert isinstance(error, g.ApiError)
    assert error.status == status
    assert error.headers["x-request-id"] == "r1"
    for key, value in fields.items():
        assert getattr(error, key) == value


def test_429_reads_retry_after() -> None:
    """A 429's Retry-After (seconds or an HTTP date from the server's clock) lands in retry_after."""
    seconds = g.decode(OPERATIONS["fields"], answer(429, sample("error_429.json"), **{"Retry-After": "7"}))
    dated = g.decode(
        OPERATIONS["fields"],
        answer(
            429,
            sample("error_429.json"),
            **{"Retry-After": "Wed, 21 Oct 2026 07:28:30 GMT", "Date": "Wed, 21 Oct 2026 07:28:00 GMT"},
        ),
    )
    assert isinstance(seconds, g.Error429TooManyRequests)
    assert isinstance(dated, g.Error429TooManyRequests)
    assert (seconds.retry_after, dated.retry_after) == (7.0, 30.0)


def test_error_details_are_kept_and_unknown_locations_tolerated() -> None:
    """Error details decode; an unknown location is kept as the server's str; a malformed item is skipped."""
    error = g.decode(OPERATIONS["new"], answer(400, sample("error_400.json")))
    assert isinstance(error, g.ErrorGeneric)
    assert error.details == (
        g.ErrorDetail(
            location="body",
            type="value_error",
            pointer="/cart_items/0/quantity",
            message="must be greater than 0",
        ),
        g.ErrorDetail(location="somewhere-new", type="x", pointer="p", message="m"),
    )


def test_422_becomes_a_generic_error_without_the_echoed_input() -> None:
    """A 422 validation body becomes ErrorGeneric with its details; the echoed card number is dropped."""
    error = g.decode(OPERATIONS["fields"], answer(422, sample("error_422.json")))
    assert isinstance(error, g.ErrorGeneric)
    assert (error.status, error.code) == (422, "validation_error")
    assert error.details == (
        g.ErrorDetail(
            location="body",
            type="string_pattern_mismatch",
            pointer="/payment_method/number",
            message="String should match pattern '^\\d+$'",
        ),
    )
    assert CARD not in repr(error)
    assert CARD not in str(error)


def test_422_detail_items_of_odd_shapes() -> None:
    """A 422 `detail` list: non-objects skipped, loc parts not str or int dropped, no loc the root."""
    detail = [
        "not an object",
        None,
        {"loc": ["body", "cart_items", 0, ["x"], {"y": 1}, "quantity"], "msg": "too low", "type": "t"},
        {"loc": "body", "msg": "no list", "type": 5, "input": CARD, "ctx": {"card": CARD}},
        {},
    ]
    error = g.decode(OPERATIONS["new"], answer(422, json.dumps({"detail": detail}).encode()))
    assert isinstance(error, g.ErrorGeneric)
    assert error.details == (
        g.ErrorDetail(location="body", type="t", pointer="/cart_items/0/quantity", message="too low"),
        g.ErrorDetail(location="unknown", type="", pointer="/", message="no list"),
        g.ErrorDetail(location="unknown", type="", pointer="/", message=""),
    )
    assert error.message == "/cart_items/0/quantity: too low; /: no list; /: "
    assert CARD not in repr(error)
    not_a_list = {"detail": "oops", "type": "error", "code": "bad", "message": "m"}
    error = g.decode(OPERATIONS["new"], answer(422, json.dumps(not_a_list).encode()))
    assert isinstance(error, g.ErrorGeneric)
    assert (error.code, error.message, error.details) == ("bad", "m", ())


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (502, sample("proxy_502.html"), "not valid JSON"),
        (503, b"", "empty"),
        (500, b'{"type": "error", "code": "serv', "not valid JSON"),
        (500, b"[1, 2]", "without an error object"),
        (500, b'{"unexpected": true}', "without an error object"),
        (200, b'{"id": "x", "expires_at": ', "not valid JSON"),
        (200, b'["not", "a", "session"]', "expected a JSON object"),
        (200, b'{"id": 12}', "not a CheckoutSession"),
        (200, b'{"id": "x", "cart_items": {"name": "x"}}', "not a CheckoutSession"),
        (200, b'{"id": "x", "expires_at": "yesterday"}', "not a CheckoutSession"),
        (200, b'{"id": "x", "amount": "12"}', "not a CheckoutSession"),
        (200, b'{"id": "x", "is_subsequent_payment": "false"}', "not a CheckoutSession"),
        (200, b'{"id": "x", "intent": ["capture"]}', "$.intent: expected str, got list"),
        (200, b'{"id": "x", "payment_method": {"scheme": {"visa": 1}}}', "$.payment_method.scheme"),
        (200, b'{"expires_at": "2026-11-26T19:04:05Z"}', "not a CheckoutSession"),
        (200, b"\xff\xfe not utf-8", "not valid JSON"),
        (200, b"[" * 100000, "not valid JSON"),
        (201, sample("session_201.json"), "status 201 is not an answer get_checkout_session defines"),
        (204, b"", "status 204 is not an answer get_checkout_session defines"),
        (302, b"", "status 302"),
        (100, b"", "status 100"),
    ],
)
def test_unreadable_answers_are_unexpected_responses(status: int, body: bytes, reason: str) -> None:
    """HTML pages, empty, truncated or wrong-shaped JSON and undocumented statuses are UnexpectedResponse."""
    result = g.decode(OPERATIONS["get"], answer(status, body, **{"Content-Type": "text/html"}))
    assert isinstance(result, g.UnexpectedResponse)
    assert result.status == status
    assert reason in result.reason
    assert len(result.excerpt) <= 257
    assert result.headers["content-type"] == "text/html"


def test_excerpts_are_bounded_and_scrubbed() -> None:
    """An excerpt is at most 256 characters, with the request's secrets and card-like numbers removed."""
    body = b"<html>card 4111111111111111 code 737 other 5555-5555-5555-4444 " + b"x" * 1000
    result = g.decode(OPERATIONS["fields"], answer(500, body))
    assert isinstance(result, g.UnexpectedResponse)
    assert result.excerpt.startswith("<html>card [redacted] code [redacted] other [redacted] x")
    assert len(result.excerpt) == 257
    assert "737" not in result.excerpt


@settings(max_examples=300, deadline=None)
@given(
    operation=st.sampled_from(list(OPERATIONS)),
    status=st.integers(0, 999),
    headers=st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=40), max_size=4),
    body=st.binary(max_size=300)
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
        max_leaves=20,
    ).map(lambda value: json.dumps(value).encode()),
)
def test_decode_never_raises(operation: str, status: int, headers: dict[str, str], body: bytes) -> None:
    """For any status, headers and bytes, decode returns a value or an error value."""
    result = g.decode(OPERATIONS[operation], g.HttpResponse(status=status, headers=headers, body=body))
    assert result is None or isinstance(result, (g.CheckoutSession, g.Gr4vyError))


@settings(max_examples=200, deadline=None)
@given(
    status=st.sampled_from([200, 201, 400, 401, 404, 409, 422, 429, 500]),
    session=st.fixed_dictionaries(
        {"id": st.text(max_size=5)},
        optional={
            "expires_at": st.text(max_size=30),
            "cart_items": st.lists(
                st.dictionaries(
                    st.sampled_from(["name", "quantity", "unit_amount", "categories"]),
                    st.integers() | st.text(max_size=3) | st.none(),
                )
            ),
            "metadata": st.dictionaries(st.text(max_size=3), st.text(max_size=3) | st.integers()),
            "intent": st.none() | st.text(max_size=3) | st.lists(st.integers(), max_size=2),
            "payment_method": st.dictionaries(
                st.sampled_from(["scheme", "details", "label"]),
                st.none() | st.text(max_size=3) | st.dictionaries(st.text(max_size=3), st.text(max_size=3)),
            ),
        },
    ),
)
def test_decode_never_raises_on_session_like_json(status: int, session: dict[str, Any]) -> None:
    """Session-shaped JSON with wrong types anywhere never makes decode raise."""
    for request in OPERATIONS.values():
        result = g.decode(request, answer(status, json.dumps(session).encode()))
        assert result is None or isinstance(result, (g.CheckoutSession, g.Gr4vyError))


def test_excerpts_hide_echoed_bearer_tokens_and_jwts() -> None:
    """A proxy page echoing an Authorization header or a JWT shows neither in the excerpt."""
    jwt = b"eyJhbGciOiJFUzUxMiJ9.eyJzY29wZXMiOltdfQ.c2lnbmF0dXJl"
    body = b"<p>Authorization: Bearer s3cr3t-t0ken</p><p>" + jwt + b"</p>"
    result = g.decode(OPERATIONS["get"], answer(502, body))
    assert isinstance(result, g.UnexpectedResponse)
    assert result.excerpt == "<p>Authorization: Bearer [redacted]</p><p>[redacted]</p>"


def get_session(body: dict[str, Any]) -> Any:
    return g.decode(OPERATIONS["get"], answer(200, json.dumps(body).encode()))


@pytest.mark.parametrize("digits", range(10))
@pytest.mark.parametrize("zone", ["Z", "z", "+00:00", "-05:30", "+0100"])
def test_date_times_with_any_number_of_fractional_digits(digits: int, zone: str) -> None:
    """0 to 9 fractional digits, Z or an offset: read, truncated to microseconds."""
    fraction = ("." + "987654321"[:digits]) if digits else ""
    session = get_session({"id": SESSION_ID, "expires_at": f"2026-11-26T19:04:05{fraction}{zone}"})
    assert isinstance(session, g.CheckoutSession)
    assert session.expires_at is not None
    assert session.expires_at.microsecond == int("987654321"[: min(digits, 6)].ljust(6, "0"))
    assert session.expires_at.utcoffset() is not None


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-12-31T23:59:60Z",  # a leap second
        "2026-13-01T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00+01:75",
        "2026-01-01T00:00:00.Z",
        "2026-01-01",
    ],
)
def test_date_times_python_cannot_hold_are_unexpected_responses(stamp: str) -> None:
    """A date-time Python cannot hold (a leap second, month 13, a 24-hour offset) is UnexpectedResponse."""
    result = get_session({"id": SESSION_ID, "expires_at": stamp})
    assert isinstance(result, g.UnexpectedResponse)
    assert "$.expires_at" in result.reason


def test_integer_fields_take_integer_valued_floats() -> None:
    """1299.0 in an integer field is the int 1299; 1299.5 and true are not integers."""
    body = {
        "id": SESSION_ID,
        "amount": 1299.0,
        "cart_items": [{"name": "x", "quantity": 2.0, "unit_amount": 0.0}],
    }
    session = get_session(body)
    assert isinstance(session, g.CheckoutSession)
    assert session.amount == 1299
    assert type(session.amount) is int
    assert session.cart_items is not None
    assert type(session.cart_items[0].quantity) is int
    for amount in (1299.5, True, "1299", float("inf")):
        result = g.decode(
            OPERATIONS["get"], answer(200, json.dumps({"id": SESSION_ID, "amount": amount}).encode())
        )
        assert isinstance(result, g.UnexpectedResponse)
        assert "$.amount: expected an integer" in result.reason


def test_a_bug_in_decoding_is_not_hidden(mocker: Any) -> None:
    """An exception that is no answer's fault (a bug of ours) escapes decode instead of becoming a value."""
    mocker.patch.object(type(converter), "structure", side_effect=ZeroDivisionError)
    with pytest.raises(ZeroDivisionError):
        g.decode(OPERATIONS["get"], answer(200, sample("session_201.json")))


@settings(max_examples=100, deadline=None)
@given(
    strategies.create_requests,
    strategies.uuids,
    strategies.datetimes,
    st.sampled_from(["new", "get", "update"]),
)
def test_every_valid_session_decodes_to_itself(
    request: g.CheckoutSessionCreateRequest, session_id: str, expires: datetime, operation: str
) -> None:
    """Any session the API could send decodes to the equal model, never to UnexpectedResponse."""
    fields = {key: value for key, value in g.to_dict(request).items() if value is not None}
    fields.pop("expires_in", None)
    session = g.from_dict(g.CheckoutSession, {**fields, "id": session_id, "expires_at": expires.isoformat()})
    sent = {
        "new": ops.new_checkout_session(),
        "get": ops.get_checkout_session(session_id),
        "update": ops.update_checkout_session(session_id, g.CheckoutSessionCreateRequest()),
    }[operation]
    assert g.decode(sent, answer(sent.success_status, g.to_json(session).encode())) == session


@settings(max_examples=100, deadline=None)
@given(
    status=st.sampled_from([400, 401, 403, 404, 409, 422, 429, 500]),
    body=st.fixed_dictionaries(
        {},
        optional={
            "type": st.just("error") | st.text(max_size=5),
            "code": st.text(max_size=5) | st.integers() | st.none(),
            "message": st.text(max_size=5) | st.none(),
            "details": st.lists(
                st.dictionaries(
                    st.sampled_from(["location", "type", "pointer", "message"]),
                    st.text(max_size=5) | st.integers() | st.none(),
                )
            )
            | st.integers(),
            "detail": st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "loc": st.lists(st.text(max_size=3) | st.integers() | st.none())
                        | st.integers()
                        | st.text(max_size=3),
                        "msg": st.text(max_size=5) | st.none(),
                        "type": st.text(max_size=3),
                    },
                )
                | st.integers()
            ),
            "resource_id": st.text(max_size=5) | st.integers(),
        },
    ),
)
def test_error_bodies_of_any_shape_are_values(status: int, body: dict[str, Any]) -> None:
    """An error body with any field of any type decodes to an error value, never an exception."""
    result = g.decode(OPERATIONS["new"], answer(status, json.dumps(body).encode()))
    assert isinstance(result, (g.ApiError, g.UnexpectedResponse))


_OTHER_ISO_DATES = ("19900401", "1990-W13-7", "1990-04-01T00:00", "\uff11\uff19\uff19\uff10-04-01")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"expires_at": 5}, "$.expires_at: expected a date-time string, got int"),
        (
            {"airline": {"passengers": [{"date_of_birth": 19900401}]}},
            "$.airline.passengers[0].date_of_birth: expected a date",
        ),
        (
            {"airline": {"passengers": [{"date_of_birth": "1990-02-30"}]}},
            "$.airline.passengers[0].date_of_birth: not a date",
        ),
        *(
            (
                {"airline": {"passengers": [{"date_of_birth": other_iso_form}]}},
                "$.airline.passengers[0].date_of_birth: not a date (not YYYY-MM-DD)",
            )
            # Python 3.11's date.fromisoformat reads these; 3.10's does not: refused on both.
            for other_iso_form in _OTHER_ISO_DATES
        ),
        ({"metadata": ["key"]}, "$.metadata: expected an object, got list"),
        ({"metadata": {"key": 1}}, "$.metadata['key']: expected str, got int"),
        (
            {"cart_items": [{"name": "x", "quantity": 1, "unit_amount": 1, "categories": "camera"}]},
            "$.cart_items[0].categories: expected a list",
        ),
        (
            {"cart_items": [{"name": "x", "quantity": 1, "unit_amount": 1, "categories": ["a", 2]}]},
            "$.cart_items[0].categories[1]: expected str",
        ),
        (
            {"cart_items": [{"name": "x", "quantity": 1, "unit_amount": 1}, {"name": "y", "quantity": 1}]},
            "$.cart_items[1].unit_amount: is required",
        ),
        ({"buyer": "Jane"}, "$.buyer: expected an object, got str"),
    ],
)
def test_wrong_shapes_name_their_path(fields: dict[str, Any], reason: str) -> None:
    """A wrong type anywhere in an answer is an UnexpectedResponse naming its JSON path."""
    result = get_session({"id": SESSION_ID, **fields})
    assert isinstance(result, g.UnexpectedResponse)
    assert reason in result.reason


def test_a_date_time_without_a_zone_is_read_as_naive() -> None:
    """A date-time with no zone is read as given (naive), not refused: the server is the authority."""
    session = get_session({"id": SESSION_ID, "expires_at": "2026-11-26T19:04:05.5"})
    assert isinstance(session, g.CheckoutSession)
    assert session.expires_at == datetime(2026, 11, 26, 19, 4, 5, 500000)


# Every stamp the parser's pattern admits, drawn part by part (the values from_regex draws, for
# half the cost a draw); written for the pattern below, which the test checks is still the parser's.
STAMP_PATTERN = (
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):?([0-5]\d))?"
)
DIGITS = "0123456789"
two_digits = strategies.chars(DIGITS, 2)


def numbers_in(low: int, high: int, width: int = 2) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda number: f"{number:0{width}d}")


def date_and_time(
    year: st.SearchStrategy[str],
    month: st.SearchStrategy[str],
    day: st.SearchStrategy[str],
    hour: st.SearchStrategy[str],
    sixty: st.SearchStrategy[str],
) -> st.SearchStrategy[str]:
    return strategies.joined(year, "-", month, "-", day, st.sampled_from("Tt "), hour, ":", sixty, ":", sixty)


stamps = strategies.joined(
    # Any digits; or (as often) a date and time Python can hold, so that readings are compared too.
    date_and_time(strategies.chars(DIGITS, 4), two_digits, two_digits, two_digits, two_digits)
    | date_and_time(
        numbers_in(1, 9999, 4), numbers_in(1, 12), numbers_in(1, 28), numbers_in(0, 23), numbers_in(0, 59)
    ),
    st.just("") | strategies.joined(".", st.text(DIGITS, min_size=1)),
    st.just("")
    | st.sampled_from("Zz")
    | strategies.joined(
        st.sampled_from("+-"),
        numbers_in(0, 23) | two_digits,
        st.sampled_from(["", ":"]),
        st.sampled_from("012345"),
        st.sampled_from(DIGITS),
    ),
)


@settings(max_examples=300, deadline=None)
@given(stamps)
def test_python_s_parser_and_ours_read_date_times_alike(stamp: str) -> None:
    """Python's own ISO parser, where used, reads every stamp as the hand parser does, or refuses it too."""
    assert (_DATETIME.pattern, _DATETIME.flags & re.ASCII) == (STAMP_PATTERN, re.ASCII)  # the stamps' pattern
    match = _DATETIME.fullmatch(stamp)
    assert match is not None

    def read(parse: Any) -> Any:
        try:
            return parse()
        except ValueError:
            return ValueError

    assert read(lambda: parse_datetime(stamp)) == read(lambda: by_hand(match))


def test_a_409_built_by_hand_takes_no_resource_id() -> None:
    """Error409DuplicateRecord's constructor takes resource_id=None, as its signature and mypy say."""
    error = g.Error409DuplicateRecord(status=409, resource_id=None)
    assert error.resource_id is None
    assert inspect.signature(g.Error409DuplicateRecord).parameters["resource_id"].annotation == "str | None"
