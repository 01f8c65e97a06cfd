"""Pure builders: whole Request values, the seed's example bodies, ids, and the OpenAPI schemas."""

from __future__ import annotations

import json
from typing import Any

import pytest
import strategies
from conftest import SESSION_ID, request_schema
from hypothesis import given, settings

import gr4vy_fn as g
from gr4vy_fn import operations as ops

CARD = "4111111111111111"


def seed_create_request() -> g.CheckoutSessionCreateRequest:
    """The seed's newCheckoutSession example, in Python."""
    return g.CheckoutSessionCreateRequest(
        cart_items=[
            g.CartItem(
                name="GoPro HERO9 Camcorder",
                quantity=1,
                unit_amount=37999,
                discount_amount=0,
                tax_amount=0,
                external_identifier="item-789123",
                sku="sku-789123",
                product_url="https://example.com/items/gopro",
                image_url="https://example.com/images/items/gopro.png",
                categories=["<value>"],
                product_type=g.ProductType.PHYSICAL,
            )
        ],
        metadata={"key": "value"},
    )


SEED_CREATE_BODY = {
    "cart_items": [
        {
            "name": "GoPro HERO9 Camcorder",
            "quantity": 1,
            "unit_amount": 37999,
            "discount_amount": 0,
            "tax_amount": 0,
            "external_identifier": "item-789123",
            "sku": "sku-789123",
            "product_url": "https://example.com/items/gopro",
            "image_url": "https://example.com/images/items/gopro.png",
            "categories": ["<value>"],
            "product_type": "physical",
        }
    ],
    "metadata": {"key": "value"},
}

SEED_CLICK_TO_PAY = g.CheckoutSessionSecureFieldsUpdate(
    payment_method=g.ClickToPayPaymentMethod(
        merchant_transaction_id="1a3f0b9.3f334ba9.v094c1c526e0e39c10491a6a947249b5a9200ed6",
        src_correlation_id="34f4a24c.977cf2c2-3cv1-489e-b024-188a11a07491",
    )
)


def body_of(request: g.Request[Any]) -> Any:
    assert request.body is not None
    return json.loads(request.body)


def test_new_checkout_session_with_the_seed_example() -> None:
    """The seed's create example becomes a POST to /checkout/sessions with its body, expecting 201."""
    request = ops.new_checkout_session(seed_create_request())
    assert request == g.Request(
        operation="new_checkout_session",
        method="POST",
        path="/checkout/sessions",
        body=json.dumps(SEED_CREATE_BODY, separators=(",", ":")).encode(),
        idempotent=False,
        success_status=201,
        response_type=g.CheckoutSession,
    )


def test_new_checkout_session_without_a_body() -> None:
    """A create without a body sends none."""
    assert ops.new_checkout_session() == g.Request(
        operation="new_checkout_session",
        method="POST",
        path="/checkout/sessions",
        idempotent=False,
        success_status=201,
        response_type=g.CheckoutSession,
    )


def test_get_checkout_session() -> None:
    """A get is an idempotent GET of the session's path, expecting 200 and that very session."""
    assert ops.get_checkout_session(SESSION_ID) == g.Request(
        operation="get_checkout_session",
        method="GET",
        path=f"/checkout/sessions/{SESSION_ID}",
        response_type=g.CheckoutSession,
        answer_id=SESSION_ID,
    )


def test_delete_checkout_session() -> None:
    """A delete is an idempotent DELETE expecting an empty 204."""
    assert ops.delete_checkout_session(SESSION_ID) == g.Request(
        operation="delete_checkout_session",
        method="DELETE",
        path=f"/checkout/sessions/{SESSION_ID}",
        success_status=204,
        done_if_missing=True,
    )


def test_update_checkout_session_fields_with_the_seed_example() -> None:
    """The seed's Click to Pay example is a PUT to /fields, with the live API's method spelling."""
    assert ops.update_checkout_session_fields(SESSION_ID, SEED_CLICK_TO_PAY) == g.Request(
        operation="update_checkout_session_fields",
        method="PUT",
        path=f"/checkout/sessions/{SESSION_ID}/fields",
        body=(
            b'{"payment_method":{"merchant_transaction_id":'
            b'"1a3f0b9.3f334ba9.v094c1c526e0e39c10491a6a947249b5a9200ed6",'
            b'"src_correlation_id":"34f4a24c.977cf2c2-3cv1-489e-b024-188a11a07491",'
            b'"method":"click-to-pay"}}'
        ),
        success_status=204,
    )


def test_update_checkout_session_fields_with_a_card_keeps_its_secrets_listed() -> None:
    """A card fields update carries the number and code as secrets, for redaction, and hides them in repr."""
    card = g.CardPaymentMethod(number=CARD, expiration_date="12/30", security_code="737")
    request = ops.update_checkout_session_fields(
        SESSION_ID, g.CheckoutSessionSecureFieldsUpdate(payment_method=card, postal_code="10115")
    )
    assert body_of(request) == {
        "payment_method": {
            "method": "card",
            "number": CARD,
            "expiration_date": "12/30",
            "security_code": "737",
        },
        "postal_code": "10115",
    }
    assert request.secrets == (CARD, "737")
    assert CARD not in repr(request)
    assert "737" not in repr(request)


def test_update_checkout_session_fields_with_a_stored_method() -> None:
    """A stored method is sent by id, its security code listed as a secret."""
    stored = g.IdPaymentMethod(id="77a76f7e-d2de-4bbc-ada9-d6a0015e6bd5", security_code="123")
    request = ops.update_checkout_session_fields(
        SESSION_ID, g.CheckoutSessionSecureFieldsUpdate(payment_method=stored)
    )
    assert body_of(request) == {
        "payment_method": {
            "method": "id",
            "id": "77a76f7e-d2de-4bbc-ada9-d6a0015e6bd5",
            "security_code": "123",
        }
    }
    assert request.secrets == ("123",)


def test_update_checkout_session() -> None:
    """An update is an idempotent PUT of the create body, expecting 200 and that very session."""
    assert ops.update_checkout_session(SESSION_ID, seed_create_request()) == g.Request(
        operation="update_checkout_session",
        method="PUT",
        path=f"/checkout/sessions/{SESSION_ID}",
        body=json.dumps(SEED_CREATE_BODY, separators=(",", ":")).encode(),
        response_type=g.CheckoutSession,
        answer_id=SESSION_ID,
    )


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        ".",
        "..",
        "../../buyers",
        "a/b",
        "/",
        "a?b=1",
        "a#b",
        "a%2Fb",
        "%2e%2e",
        "a b",
        "a\r\nb",
        "é",
        "x" * 256,
    ],
)
@pytest.mark.parametrize(
    "build",
    [
        ops.get_checkout_session,
        ops.delete_checkout_session,
        lambda i: ops.update_checkout_session(i, g.CheckoutSessionCreateRequest()),
        lambda i: ops.update_checkout_session_fields(i, SEED_CLICK_TO_PAY),
    ],
)
def test_ids_that_would_leave_the_path_are_refused(bad_id: str, build: Any) -> None:
    """An id that is not one plain path segment raises ValidationError, for every operation."""
    with pytest.raises(g.ValidationError) as caught:
        build(bad_id)
    assert caught.value.path == "checkout_session_id"


@pytest.mark.parametrize("good_id", [SESSION_ID, "a", "A-b_c.d~e", "...", "x" * 255])
def test_ids_of_unreserved_characters_are_kept_as_they_are(good_id: str) -> None:
    """An id of unreserved characters is used verbatim as the last path segment."""
    assert ops.get_checkout_session(good_id).path == f"/checkout/sessions/{good_id}"


def test_a_non_string_id_or_body_is_refused() -> None:
    """Wrong types for the id or body raise ValidationError before anything is built."""
    with pytest.raises(g.ValidationError, match="must be a string, not int"):
        ops.get_checkout_session(5)  # type: ignore[arg-type]
    with pytest.raises(g.ValidationError, match="must be a CheckoutSessionCreateRequest, not dict"):
        ops.new_checkout_session({"cart_items": []})  # type: ignore[arg-type]
    with pytest.raises(g.ValidationError, match="must be a CheckoutSessionSecureFieldsUpdate"):
        ops.update_checkout_session_fields(SESSION_ID, seed_create_request())  # type: ignore[arg-type]


# --- every body a builder can produce validates against Gr4vy's own schemas ---


@pytest.fixture(scope="module")
def body_schemas(openapi: dict[str, Any]) -> dict[str, Any]:
    """Validators of the create, update and fields bodies, built once (each keeps what it resolved)."""
    return {
        "create": request_schema(openapi, "/checkout/sessions", "post"),
        "update": request_schema(openapi, "/checkout/sessions/{session_id}", "put"),
        "fields": request_schema(openapi, "/checkout/sessions/{session_id}/fields", "put"),
    }


@settings(max_examples=150, deadline=None)
@given(strategies.create_requests)
def test_create_and_update_bodies_match_the_openapi_schema(
    body_schemas: dict[str, Any], request: g.CheckoutSessionCreateRequest
) -> None:
    """Any create or update body the builders produce is valid by the live API's schema."""
    body_schemas["create"].validate(body_of(ops.new_checkout_session(request)))
    body_schemas["update"].validate(body_of(ops.update_checkout_session(SESSION_ID, request)))


@settings(max_examples=150, deadline=None)
@given(strategies.fields_updates)
def test_fields_bodies_match_the_openapi_schema(
    body_schemas: dict[str, Any], update: g.CheckoutSessionSecureFieldsUpdate
) -> None:
    """Any fields-update body the builder produces is valid by the live API's schema."""
    body_schemas["fields"].validate(body_of(ops.update_checkout_session_fields(SESSION_ID, update)))


def test_seed_bodies_match_the_openapi_schema(openapi: dict[str, Any]) -> None:
    """The seed's examples validate, except Click to Pay's src_dpa_id, which the live API requires."""
    request_schema(openapi, "/checkout/sessions", "post").validate(
        body_of(ops.new_checkout_session(seed_create_request()))
    )
    validator = request_schema(openapi, "/checkout/sessions/{session_id}/fields", "put")
    seed_body = body_of(ops.update_checkout_session_fields(SESSION_ID, SEED_CLICK_TO_PAY))
    assert not validator.is_valid(seed_body)
    seed_body["payment_method"]["src_dpa_id"] = "dpa-1"
    validator.validate(seed_body)
