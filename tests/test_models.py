"""Models: the wire rules on construction, redaction, and round trips through the converter."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

import attrs
import pytest
import strategies
from hypothesis import given, settings

import gr4vy_fn as g
from gr4vy_fn.answer._converter import converter
from gr4vy_fn.models._rules import FrozenMap, quick_test

CARD = "4111111111111111"


def cart_item(**overrides: Any) -> g.CartItem:
    fields: dict[str, Any] = {"name": "GoPro HERO9 Camcorder", "quantity": 1, "unit_amount": 37999}
    fields.update(overrides)
    return g.CartItem(**fields)


@pytest.mark.parametrize(
    ("overrides", "path", "rule"),
    [
        ({"name": ""}, "CartItem.name", "must have 1..255 characters"),
        ({"name": "x" * 256}, "CartItem.name", "must have 1..255 characters"),
        ({"name": None}, "CartItem.name", "is required"),
        ({"name": 5}, "CartItem.name", "must be a string, not int"),
        ({"name": "a\x00b"}, "CartItem.name", "must not contain NUL characters"),
        ({"name": "\ud800"}, "CartItem.name", "must be valid Unicode text (no lone surrogates)"),
        ({"quantity": 0}, "CartItem.quantity", "must be in 1..99999999"),
        ({"quantity": True}, "CartItem.quantity", "must be an integer, not bool"),
        ({"quantity": 1.0}, "CartItem.quantity", "must be an integer, not float"),
        ({"unit_amount": -1}, "CartItem.unit_amount", "must be in 0..99999999"),
        ({"unit_amount": 100_000_000}, "CartItem.unit_amount", "must be in 0..99999999"),
        ({"tax_amount": -5}, "CartItem.tax_amount", "must be in 0..99999999"),
        ({"categories": ["x" * 51]}, "CartItem.categories[0]", "must have 1..50 characters"),
        ({"categories": ["camera", "a\x00b"]}, "CartItem.categories[1]", "must not contain NUL characters"),
        ({"categories": "camera"}, "CartItem.categories", "must be a list, not str"),
        ({"product_type": "toy"}, "CartItem.product_type", "must be one of the ProductType values"),
        ({"seller_country": "usa"}, "CartItem.seller_country", "must match [A-Z]{2}"),
        ({"seller_country": "ÜS"}, "CartItem.seller_country", "must match [A-Z]{2}"),
        ({"tax_exempt": "yes"}, "CartItem.tax_exempt", "must be true or false, not str"),
    ],
)
def test_cart_item_rules(overrides: dict[str, Any], path: str, rule: str) -> None:
    """A cart item breaking a wire rule raises ValidationError naming the field and the rule."""
    with pytest.raises(g.ValidationError) as caught:
        cart_item(**overrides)
    assert (caught.value.path, caught.value.rule) == (path, rule)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"metadata": {"key": 1}}, "CheckoutSessionCreateRequest.metadata['key']"),
        ({"metadata": {"a": "b", "key": "\x00"}}, "CheckoutSessionCreateRequest.metadata['key']"),
        ({"metadata": {"k\x00": "value"}}, "CheckoutSessionCreateRequest.metadata"),
        ({"metadata": {1: "value"}}, "CheckoutSessionCreateRequest.metadata"),
        ({"metadata": ["key"]}, "CheckoutSessionCreateRequest.metadata"),
        ({"expires_in": float("nan")}, "CheckoutSessionCreateRequest.expires_in"),
        ({"expires_in": float("inf")}, "CheckoutSessionCreateRequest.expires_in"),
        ({"expires_in": 60}, "CheckoutSessionCreateRequest.expires_in"),
        ({"expires_in": True}, "CheckoutSessionCreateRequest.expires_in"),
        ({"currency": "eur"}, "CheckoutSessionCreateRequest.currency"),
        ({"amount": True}, "CheckoutSessionCreateRequest.amount"),
        ({"payment_service_id": "not-a-uuid"}, "CheckoutSessionCreateRequest.payment_service_id"),
        ({"intent": "later"}, "CheckoutSessionCreateRequest.intent"),
        ({"cart_items": [{"name": "x"}]}, "CheckoutSessionCreateRequest.cart_items[0]"),
        ({"cart_items": [cart_item(), "x"]}, "CheckoutSessionCreateRequest.cart_items[1]"),
        ({"buyer": {"display_name": "x"}}, "CheckoutSessionCreateRequest.buyer"),
    ],
)
def test_create_request_rules(fields: dict[str, Any], path: str) -> None:
    """Hostile or wrong-typed create fields are refused with the field's path."""
    with pytest.raises(g.ValidationError) as caught:
        g.CheckoutSessionCreateRequest(**fields)
    assert caught.value.path == path


def test_nested_rules_name_the_nested_class() -> None:
    """A rule broken deep inside names the class and field where it broke."""
    with pytest.raises(g.ValidationError, match=r"^Address\.state_code: must match"):
        g.GuestBuyer(billing_details=g.BillingDetails(address=g.Address(state_code="XX")))
    with pytest.raises(g.ValidationError, match=r"^Airline\.legs: must have at most 20 items"):
        g.Airline(legs=[g.AirlineLeg()] * 21)
    with pytest.raises(g.ValidationError, match=r"^AirlineLeg\.departure_at: must be a datetime"):
        g.AirlineLeg(departure_at=datetime(2026, 1, 1))
    with pytest.raises(g.ValidationError, match=r"^AirlinePassenger\.date_of_birth: must be a date"):
        g.AirlinePassenger(date_of_birth=datetime(2026, 1, 1, tzinfo=timezone.utc))
    with pytest.raises(g.ValidationError, match=r"^TaxId\.kind: must be one of"):
        g.TaxId(value="1", kind="xx.vat")


RULE_SAMPLES: list[object] = [
    *(0, 1, 50, 3600, 99_999_999, 100_000_000, -1, True, False, 1.5, float("nan")),
    *("", "a", "US", "usa", "USD", "x" * 300, "é", "a\x00b", "12/30", "13/30", "4111111111111111", "737"),
    *("physical", "toy", g.ProductType.PHYSICAL, "8724fd24-5489-4a5d-90fd-0604df7d3b83", "+4420"),
    *((), ("a",), {}, [], datetime(2026, 1, 1, tzinfo=timezone.utc), date(2026, 1, 1)),
]


def test_a_rules_quick_test_never_passes_what_the_rule_refuses() -> None:
    """Whatever a field's inlined quick test lets through, the field's full rule accepts too."""
    everything = [getattr(g, name) for name in g.__all__]  # the models made on first use too
    models = [obj for obj in everything if isinstance(obj, type) and attrs.has(obj)]
    checked = 0
    for cls in models:
        for field in attrs.fields(cls):
            check = field.metadata.get("rule", (None,))[0]
            quick = quick_test(check) if check is not None else None
            if quick is None:
                continue
            expression, names = quick
            for value in RULE_SAMPLES:
                if eval(expression, {**names}, {"v": value}):  # noqa: S307 - the rule's own expression
                    check(value, "path")  # raises ValidationError if the quick test let through too much
                    checked += 1
    assert checked > 100


def test_text_beyond_ascii_passes_the_rules() -> None:
    """Valid non-ASCII text passes the text rules, in fields, lists and metadata, and is kept as given."""
    item = cart_item(name="Caméra 📷", categories=["été"], seller_country="US")
    body = g.CheckoutSessionCreateRequest(cart_items=[item], metadata={"clé": "valeur ü"})
    assert (item.name, item.categories) == ("Caméra 📷", ("été",))
    assert body.metadata == {"clé": "valeur ü"}


def test_collections_become_tuples_and_metadata_is_copied() -> None:
    """Lists become tuples and metadata is copied, so a model never shares state with its caller."""
    metadata = {"key": "value"}
    request = g.CheckoutSessionCreateRequest(cart_items=[cart_item()], metadata=metadata)
    metadata["key"] = "changed"
    assert request.cart_items == (cart_item(),)
    assert request.metadata == {"key": "value"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        (lambda: g.CardPaymentMethod(number="4111 1111 1111 1111", expiration_date="12/30"), "number"),
        (lambda: g.CardPaymentMethod(number="411111111111", expiration_date="12/30"), "number"),
        (lambda: g.CardPaymentMethod(number=CARD, expiration_date="13/30"), "expiration_date"),
        (lambda: g.CardPaymentMethod(number=CARD, expiration_date="12/2030"), "expiration_date"),
        (
            lambda: g.CardPaymentMethod(number=CARD, expiration_date="12/30", security_code="12"),
            "security_code",
        ),
        (
            lambda: g.CardPaymentMethod(number=CARD, expiration_date="12/30", security_code="12a"),
            "security_code",
        ),
        (lambda: g.IdPaymentMethod(id="stored-card"), "id"),
        (
            lambda: g.IdPaymentMethod(id="77a76f7e-d2de-4bbc-ada9-d6a0015e6bd5", security_code="99999"),
            "security_code",
        ),
        (
            lambda: g.ClickToPayPaymentMethod(merchant_transaction_id=5, src_correlation_id="c"),  # type: ignore[arg-type]
            "merchant_transaction_id",
        ),
    ],
)
def test_payment_method_rules_never_echo_the_value(method: Any, path: str) -> None:
    """An invalid card or stored method is refused without its number or code in the message."""
    with pytest.raises(g.ValidationError) as caught:
        method()
    assert caught.value.path.endswith(f".{path}")
    for secret in ("4111", "411111111111", "12a", "99999", "stored-card"):
        assert secret not in str(caught.value)
        assert secret not in repr(caught.value)


def test_text_without_a_length_rule_may_be_empty() -> None:
    """Where the API's schemas set no minimum length, an empty string is accepted, as the API does."""
    assert g.ClickToPayPaymentMethod(merchant_transaction_id="", src_correlation_id="").src_dpa_id is None
    assert g.CartItem(name="x", quantity=1, unit_amount=0, product_url="", image_url="").product_url == ""


def test_fields_update_needs_a_payment_method() -> None:
    """The fields update takes one of the three payment-method shapes, and nothing else."""
    with pytest.raises(g.ValidationError, match="is required"):
        g.CheckoutSessionSecureFieldsUpdate(payment_method=None)  # type: ignore[arg-type]
    with pytest.raises(g.ValidationError, match="CardPaymentMethod or ClickToPayPaymentMethod"):
        g.CheckoutSessionSecureFieldsUpdate(payment_method={"method": "card"})  # type: ignore[arg-type]


def test_card_repr_shows_last_four_only() -> None:
    """repr and str of card data show at most the last four digits, never the security code."""
    card = g.CardPaymentMethod(number=CARD, expiration_date="12/30", security_code="737")
    update = g.CheckoutSessionSecureFieldsUpdate(payment_method=card)
    stored = g.IdPaymentMethod(id="77a76f7e-d2de-4bbc-ada9-d6a0015e6bd5", security_code="4242")
    for text in (repr(card), str(card), repr(update), str(update), repr(stored)):
        assert CARD not in text
        assert "411111" not in text
        assert "737" not in text
        assert "4242" not in text
    assert "…1111" in repr(card)


def test_enum_members_are_their_wire_values() -> None:
    """Enum members are named in UPPER_SNAKE_CASE and equal their wire strings."""
    pairs: list[tuple[str, str]] = [
        (g.ProductType.SHIPPING_FEE, "shipping_fee"),
        (g.CardScheme.CARTE_BANCAIRE, "carte-bancaire"),
        (g.CardType.CREDIT, "credit"),
        (g.TaxIdKind.CA_GST_HST, "ca.gst_hst"),
    ]
    for member, wire in pairs:
        assert member == wire


def test_a_plain_string_enum_value_is_accepted() -> None:
    """A request may give an enum field as its wire string."""
    assert converter.unstructure(cart_item(product_type="digital"))["product_type"] == "digital"


@settings(max_examples=60, deadline=None)
@given(strategies.create_requests)
def test_create_request_round_trip(request: g.CheckoutSessionCreateRequest) -> None:
    """Every create request survives to_json and from_dict, a CLEAR (null) read back as None."""
    cleared = {name: None for name, value in attrs.asdict(request, recurse=False).items() if value is g.CLEAR}
    read = g.from_dict(g.CheckoutSessionCreateRequest, json.loads(g.to_json(request)))
    assert read == attrs.evolve(request, **cleared)
    assert g.to_dict(read) == {key: value for key, value in g.to_dict(request).items() if value is not None}


@settings(max_examples=60, deadline=None)
@given(strategies.fields_updates)
def test_fields_update_round_trip(update: g.CheckoutSessionSecureFieldsUpdate) -> None:
    """Every fields update survives JSON and back, payment-method shape included."""
    wire = json.loads(json.dumps(converter.unstructure(update)))
    assert g.from_dict(g.CheckoutSessionSecureFieldsUpdate, wire) == update


@settings(max_examples=40, deadline=None)
@given(strategies.create_requests, strategies.uuids, strategies.datetimes)
def test_session_round_trip(
    request: g.CheckoutSessionCreateRequest, session_id: str, expires: datetime
) -> None:
    """A session built from any create request survives to_json and from_dict."""
    fields = {key: value for key, value in g.to_dict(request).items() if value is not None}
    fields.pop("expires_in", None)
    session = g.from_dict(g.CheckoutSession, {**fields, "id": session_id, "expires_at": expires.isoformat()})
    assert g.from_dict(g.CheckoutSession, json.loads(g.to_json(session))) == session
    assert hash(session) == hash(g.from_dict(g.CheckoutSession, g.to_dict(session)))


def test_dates_and_times_use_iso_8601() -> None:
    """Date-times go out as ISO 8601 with Z for UTC; dates as YYYY-MM-DD."""
    leg = g.AirlineLeg(departure_at=datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc))
    passenger = g.AirlinePassenger(date_of_birth=date(1990, 4, 1))
    assert converter.unstructure(leg) == {"departure_at": "2026-12-01T08:00:00Z"}
    assert converter.unstructure(passenger) == {"date_of_birth": "1990-04-01"}


def test_written_values_are_plain_json_types() -> None:
    """Written models hold only JSON's own types: enum members as plain str, tuples as lists."""
    request = g.CheckoutSessionCreateRequest(
        cart_items=[cart_item(product_type=g.ProductType.DIGITAL, categories=["camera"], tax_amount=5)],
        intent=g.Intent.CAPTURE,
        payment_source="moto",
    )
    wire = converter.unstructure(request)
    item = wire["cart_items"][0]
    assert (type(item["product_type"]), type(wire["intent"]), type(wire["payment_source"])) == (str, str, str)
    assert (item["product_type"], wire["intent"], item["categories"]) == ("digital", "capture", ["camera"])
    assert (type(wire["cart_items"]), item["tax_amount"]) == (list, 5)


def test_new_fields_follow_the_schema() -> None:
    """A cart item's description and a passenger's title exist, with the schema's lengths."""
    assert cart_item(description="A camera").description == "A camera"
    assert g.AirlinePassenger(title="Dr.").title == "Dr."
    with pytest.raises(g.ValidationError, match=r"^CartItem\.description: must have 1\.\.255"):
        cart_item(description="x" * 256)
    with pytest.raises(g.ValidationError, match=r"^AirlinePassenger\.title: must have 1\.\.50"):
        g.AirlinePassenger(title="")


def test_clear_sends_null_and_none_leaves_out() -> None:
    """CLEAR writes a nullable field as null; None leaves it out; CLEAR is refused where null is not."""
    request = g.CheckoutSessionCreateRequest(cart_items=g.CLEAR, buyer=g.CLEAR, amount=100)
    assert converter.unstructure(request) == {"cart_items": None, "buyer": None, "amount": 100}
    assert g.to_dict(g.CheckoutSessionCreateRequest()) == {}
    with pytest.raises(
        g.ValidationError, match=r"^CheckoutSessionCreateRequest\.expires_in: must be a number"
    ):
        g.CheckoutSessionCreateRequest(expires_in=g.CLEAR)  # type: ignore[arg-type]
    with pytest.raises(g.ValidationError, match=r"^CartItem\.name: must be a string, not Clear"):
        cart_item(name=g.CLEAR)
    assert repr(g.CLEAR) == "CLEAR"
    assert copy.deepcopy(g.CLEAR) is g.CLEAR


def test_models_survive_pickling_and_deep_copies() -> None:
    """A request holding CLEAR or metadata pickles and deep-copies to an equal value."""
    for value in (
        g.CheckoutSessionCreateRequest(cart_items=g.CLEAR, amount=100),
        g.CheckoutSessionCreateRequest(metadata={"a": "b"}),
    ):
        assert pickle.loads(pickle.dumps(value)) == value  # noqa: S301 - our own bytes
        assert copy.deepcopy(value) == value


def test_models_holding_metadata_are_hashable_and_their_metadata_read_only() -> None:
    """A request or session with metadata hashes like any value; its metadata cannot be changed."""
    request = g.CheckoutSessionCreateRequest(metadata={"a": "b"})
    assert hash(request) == hash(g.CheckoutSessionCreateRequest(metadata={"a": "b"}))
    assert {request, g.CheckoutSessionCreateRequest(metadata={"a": "b"})} == {request}
    assert isinstance(request.metadata, FrozenMap)
    changes: list[Callable[[Any], object]] = [
        lambda m: m.__setitem__("a", "c"),
        lambda m: m.update(a="c"),
        lambda m: m.pop("a"),
        lambda m: m.clear(),
    ]
    for change in changes:
        assert request.metadata is not None
        with pytest.raises(TypeError, match="read-only"):
            change(request.metadata)
    assert request.metadata == {"a": "b"}
    session = g.from_dict(g.CheckoutSession, {"id": "s", "metadata": {"k": "v"}})
    assert hash(session) == hash(g.from_dict(g.CheckoutSession, {"id": "s", "metadata": {"k": "v"}}))


@pytest.mark.parametrize(
    ("cls", "data", "path", "rule"),
    [
        (g.CheckoutSessionCreateRequest, {"amout": 1}, "$.amout", "is not a field of this object"),
        (
            g.CheckoutSessionCreateRequest,
            {"cart_items": [{"name": "x", "quantity": 1, "unit_amount": 1, "colour": "red"}]},
            "$.cart_items[0].colour",
            "is not a field of this object",
        ),
        (
            g.CheckoutSessionCreateRequest,
            {"cart_items": [{"name": "x", "quantity": 0, "unit_amount": 1}]},
            "$.cart_items[0].quantity",
            "must be in 1..99999999",
        ),
        (
            g.CheckoutSessionCreateRequest,
            {"cart_items": [{"name": "x", "quantity": 1, "unit_amount": 1, "categories": [""]}]},
            "$.cart_items[0].categories[0]",
            "must have 1..50 characters",
        ),
        (g.CheckoutSessionCreateRequest, {"amount": 12.5}, "$.amount", "expected an integer, got float"),
        (g.CheckoutSessionCreateRequest, {"amount": True}, "$.amount", "expected an integer, got bool"),
        (g.CheckoutSessionCreateRequest, {"metadata": {"k": 1}}, "$.metadata['k']", "expected str, got int"),
        (g.CheckoutSessionCreateRequest, [], "$", "expected an object, got list"),
        (g.CartItem, {"name": "x", "quantity": 1}, "$.unit_amount", "is required"),
        (
            g.CheckoutSessionSecureFieldsUpdate,
            {"payment_method": {"method": "cash"}},
            "$.payment_method.method",
            "must be card, click-to-pay or id",
        ),
        (g.CheckoutSession, {"id": "s", "expires_at": "soon"}, "$.expires_at", "not a date-time"),
        (g.CheckoutSession, {"id": "s", "surprise": 1}, "$.surprise", "is not a field of this object"),
        (
            g.CheckoutSessionCreateRequest,
            {"expires_in": "3600"},
            "$.expires_in",
            "expected a number, got str",
        ),
        (
            g.CheckoutSessionCreateRequest,
            {"expires_in": 60.5},
            "$.expires_in",
            "must be a finite number in 3600..86400",
        ),
    ],
)
def test_from_dict_names_the_path_of_what_is_wrong(cls: type, data: Any, path: str, rule: str) -> None:
    """from_dict raises ValidationError with the JSON path of an unknown key or a bad value."""
    with pytest.raises(g.ValidationError) as caught:
        g.from_dict(cls, data)
    assert caught.value.path == path
    assert caught.value.rule.startswith(rule)


def test_from_dict_reads_integer_valued_floats_and_explicit_nulls() -> None:
    """1299.0 is the integer 1299; a null is None, as a missing field is."""
    request = g.from_dict(
        g.CheckoutSessionCreateRequest,
        {
            "amount": 1299.0,
            "buyer": None,
            "expires_in": None,
            "cart_items": [{"name": "x", "quantity": 2.0, "unit_amount": 5}],
        },
    )
    assert request == g.CheckoutSessionCreateRequest(
        amount=1299, cart_items=[cart_item(name="x", quantity=2, unit_amount=5)]
    )
    assert type(request.amount) is int
    assert json.loads(g.to_json(request)) == {
        "amount": 1299,
        "cart_items": [{"name": "x", "quantity": 2, "unit_amount": 5}],
    }


def test_to_dict_writes_the_wire_shape() -> None:
    """to_dict gives wire names, ISO date-times with Z, dates, and enum wire values."""
    session = g.CheckoutSession(
        id="s",
        expires_at=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc),
        cart_items=(cart_item(product_type=g.ProductType.SHIPPING_FEE),),
        airline=g.Airline(passengers=[g.AirlinePassenger(date_of_birth=date(1990, 4, 1))]),
        intent=g.Intent.CAPTURE,
    )
    wire = g.to_dict(session)
    assert wire["expires_at"] == "2026-01-02T03:04:05.000006Z"
    assert wire["cart_items"][0]["product_type"] == "shipping_fee"
    assert type(wire["cart_items"][0]["product_type"]) is str
    assert wire["airline"] == {"passengers": [{"date_of_birth": "1990-04-01"}]}
    assert wire["intent"] == "capture"
    assert json.loads(g.to_json(session)) == wire


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (g.CardPaymentMethod(number=CARD, expiration_date="12/30"), "$.number"),
        (
            g.CheckoutSessionSecureFieldsUpdate(
                payment_method=g.CardPaymentMethod(number=CARD, expiration_date="12/30", security_code="737")
            ),
            "$.payment_method.number",
        ),
        (
            g.IdPaymentMethod(id="77a76f7e-d2de-4bbc-ada9-d6a0015e6bd5", security_code="737"),
            "$.security_code",
        ),
    ],
)
def test_to_dict_never_writes_a_secret(value: object, path: str) -> None:
    """A card number or security code is never written out: to_dict and to_json raise, naming where."""
    for write in (g.to_dict, g.to_json):
        with pytest.raises(g.ValidationError) as caught:
            write(value)
        assert caught.value.path == path
        assert CARD not in str(caught.value)
        assert "737" not in str(caught.value)


def test_to_dict_writes_payment_methods_without_secrets_and_refuses_non_models() -> None:
    """A stored-id method without a code is written; anything but a model is a TypeError."""
    stored = g.IdPaymentMethod(id="77a76f7e-d2de-4bbc-ada9-d6a0015e6bd5")
    assert g.to_dict(stored) == {"id": "77a76f7e-d2de-4bbc-ada9-d6a0015e6bd5", "method": "id"}
    with pytest.raises(TypeError, match="not dict"):
        g.to_dict({"id": "s"})


def test_from_dict_takes_models_only() -> None:
    """from_dict of a type that is not a model is a TypeError, a mistake in the calling code."""
    with pytest.raises(TypeError, match="no structuring rule"):
        g.from_dict(complex, {})
