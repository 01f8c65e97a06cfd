"""Every operation through the real Urllib3Transport against a real server on 127.0.0.1."""

from __future__ import annotations

import json

from conftest import SESSION_ID, make_config, sample
from loopback import LoopbackServer, Reply

import gr4vy_fn as g
from gr4vy_fn.transports import Urllib3Transport

CARD = "4111111111111111"


def test_create_sends_the_seed_cart_and_reads_the_session(server: LoopbackServer) -> None:
    """A create arrives as POST /checkout/sessions with JSON headers, auth and the exact body."""
    server.then(Reply(201, sample("session_201.json")))
    body = g.CheckoutSessionCreateRequest(
        cart_items=[g.CartItem(name="GoPro HERO9 Camcorder", quantity=1, unit_amount=37999)],
        metadata={"key": "value"},
    )
    config = make_config(server.url, merchant_account_id="default")
    session = g.new_checkout_session(body, config=config, transport=Urllib3Transport())
    assert isinstance(session, g.CheckoutSession)
    assert session.id == SESSION_ID
    [received] = server.received
    assert (received.method, received.path) == ("POST", "/checkout/sessions")
    assert received.body == (
        b'{"cart_items":[{"name":"GoPro HERO9 Camcorder","quantity":1,"unit_amount":37999}],'
        b'"metadata":{"key":"value"}}'
    )
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["Accept"] == "application/json"
    assert received.headers["Authorization"] == "Bearer test-token"
    assert received.headers["X-GR4VY-MERCHANT-ACCOUNT-ID"] == "default"
    assert received.headers["User-Agent"] == f"gr4vy_fn/{g.__version__}"
    assert received.headers["Content-Length"] == str(len(received.body))


def test_get_update_fields_and_delete_on_the_wire(server: LoopbackServer) -> None:
    """get, update, fields update and delete arrive as sent, all on one pooled connection."""
    server.then(
        Reply(200, sample("session_201.json")),
        Reply(200, sample("session_with_card.json")),
        Reply(204),
        Reply(204),
    )
    config = make_config(server.url)
    transport = Urllib3Transport()
    card = g.CardPaymentMethod(number=CARD, expiration_date="12/30", security_code="737")
    assert isinstance(
        g.get_checkout_session(SESSION_ID, config=config, transport=transport), g.CheckoutSession
    )
    updated = g.update_checkout_session(
        SESSION_ID,
        g.CheckoutSessionCreateRequest(amount=1299, currency="EUR"),
        config=config,
        transport=transport,
    )
    assert isinstance(updated, g.CheckoutSession)
    assert updated.amount == 1299
    fields = g.CheckoutSessionSecureFieldsUpdate(payment_method=card)
    assert g.update_checkout_session_fields(SESSION_ID, fields, config=config, transport=transport) is None
    assert g.delete_checkout_session(SESSION_ID, config=config, transport=transport) is None
    assert [(r.method, r.path) for r in server.received] == [
        ("GET", f"/checkout/sessions/{SESSION_ID}"),
        ("PUT", f"/checkout/sessions/{SESSION_ID}"),
        ("PUT", f"/checkout/sessions/{SESSION_ID}/fields"),
        ("DELETE", f"/checkout/sessions/{SESSION_ID}"),
    ]
    assert [r.body for r in server.received] == [
        b"",
        b'{"amount":1299,"currency":"EUR"}',
        json.dumps(
            {
                "payment_method": {
                    "number": CARD,
                    "expiration_date": "12/30",
                    "method": "card",
                    "security_code": "737",
                }
            },
            separators=(",", ":"),
        ).encode(),
        b"",
    ]
    assert "Content-Type" not in server.received[0].headers
    assert server.connections == 1


def test_errors_come_back_as_values_over_the_wire(server: LoopbackServer) -> None:
    """A 404 and a 401 from a real server are returned as their error values."""
    server.then(Reply(404, sample("error_404.json")), Reply(401, sample("error_401.json")))
    config = make_config(server.url)
    transport = Urllib3Transport()
    assert isinstance(
        g.get_checkout_session(SESSION_ID, config=config, transport=transport), g.Error404NotFound
    )
    assert isinstance(
        g.delete_checkout_session(SESSION_ID, config=config, transport=transport), g.Error401Unauthorized
    )


def test_per_call_headers_reach_the_server(server: LoopbackServer) -> None:
    """Per-call headers arrive on the wire."""
    server.then(Reply(204))
    g.delete_checkout_session(
        SESSION_ID,
        config=make_config(server.url),
        transport=Urllib3Transport(),
        headers={"X-Correlation-Id": "c-42"},
    )
    assert server.received[0].headers["X-Correlation-Id"] == "c-42"


def test_redirects_are_not_followed(server: LoopbackServer) -> None:
    """A 3xx is returned as an UnexpectedResponse; the bearer token never follows a Location."""
    server.then(Reply(302, b"", (("Location", "http://127.0.0.1:9/steal"),)))
    result = g.get_checkout_session(SESSION_ID, config=make_config(server.url), transport=Urllib3Transport())
    assert isinstance(result, g.UnexpectedResponse)
    assert result.status == 302
    assert len(server.received) == 1


def test_close_ends_pooled_connections_and_the_transport_stays_usable(server: LoopbackServer) -> None:
    """Two calls share one connection; after close() the next call opens a new one and succeeds."""
    transport = Urllib3Transport()
    config = make_config(server.url)
    for _ in range(3):
        server.then(Reply(200, sample("session_201.json")))
    for _ in range(2):
        assert isinstance(
            g.get_checkout_session(SESSION_ID, config=config, transport=transport), g.CheckoutSession
        )
    assert server.connections == 1
    transport.close()
    assert isinstance(
        g.get_checkout_session(SESSION_ID, config=config, transport=transport), g.CheckoutSession
    )
    assert server.connections == 2
