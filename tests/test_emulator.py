"""The emulator: the live API's behaviour, in-process and on loopback, with fault injection."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import strategies
from attrs import frozen
from conftest import FakeTime, make_config, request_schema
from hypothesis import given, settings
from hypothesis import strategies as st

import gr4vy_fn as g
from gr4vy_fn.testing import Emulator, EmulatorTransport, _faults
from gr4vy_fn.testing._emulator import error_body
from gr4vy_fn.testing.pytest_plugin import TOKEN, emulator_environment
from gr4vy_fn.transports import Urllib3Transport

CARD = "5555555555554444"
CODE = "737"


@frozen
class Api:
    emulator: Emulator
    config: g.Config
    transport: g.Transport
    time: FakeTime

    @property
    def now(self) -> datetime:
        return self.time.utc()

    def call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("config", self.config)
        return function(*args, transport=self.transport, **kwargs)


@pytest.fixture(params=["in-process", "loopback"])
def api(request: pytest.FixtureRequest, fake_time: FakeTime) -> Iterator[Api]:
    """One emulator with a fake clock for expiry: called in-process, or served as the plugin does.

    In-process, the scripted delays and the waits between attempts pass on fake clocks.
    """
    emulator = Emulator(bearer_token=TOKEN, clock=fake_time.utc)
    if request.param == "in-process":
        config = make_config("http://localhost", bearer_token=TOKEN)
        yield Api(emulator, config, EmulatorTransport(emulator, sleep=fake_time.sleep), fake_time)
        return
    with emulator_environment(emulator) as served:
        yield Api(emulator, served.config, Urllib3Transport(), fake_time)


def cart(name: str = "GoPro HERO9 Camcorder", **fields: Any) -> g.CheckoutSessionCreateRequest:
    return g.CheckoutSessionCreateRequest(
        cart_items=[g.CartItem(name=name, quantity=1, unit_amount=37999)], **fields
    )


def card_update(number: str = CARD) -> g.CheckoutSessionSecureFieldsUpdate:
    return g.CheckoutSessionSecureFieldsUpdate(
        payment_method=g.CardPaymentMethod(number=number, expiration_date="12/30", security_code=CODE)
    )


def test_create_returns_an_id_and_expiry_one_hour_out(api: Api) -> None:
    """A create answers 201 with a new id, the cart, and expires_at one hour after now."""
    session = api.call(g.new_checkout_session, cart(metadata={"order": "7"}))
    assert isinstance(session, g.CheckoutSession)
    assert session.expires_at == api.now + timedelta(hours=1)
    assert session.metadata == {"order": "7"}
    assert session.cart_items is not None
    assert session.cart_items[0].name == "GoPro HERO9 Camcorder"
    assert api.call(g.get_checkout_session, session.id) == session


def test_create_without_a_body_and_with_expires_in(api: Api) -> None:
    """A create may have no body; expires_in sets the lifetime."""
    bare = api.call(g.new_checkout_session)
    assert isinstance(bare, g.CheckoutSession)
    long = api.call(g.new_checkout_session, g.CheckoutSessionCreateRequest(expires_in=7200))
    assert long.expires_at == api.now + timedelta(hours=2)


def test_sessions_expire(api: Api) -> None:
    """After expires_at, a session answers 404."""
    session = api.call(g.new_checkout_session, cart())
    api.time.now += 59 * 60
    assert isinstance(api.call(g.get_checkout_session, session.id), g.CheckoutSession)
    api.time.now += 60
    assert isinstance(api.call(g.get_checkout_session, session.id), g.Error404NotFound)


def test_delete_then_404(api: Api) -> None:
    """A deleted session answers 404 to get, delete and both updates."""
    session = api.call(g.new_checkout_session, cart())
    assert api.call(g.delete_checkout_session, session.id) is None
    assert isinstance(api.call(g.get_checkout_session, session.id), g.Error404NotFound)
    assert isinstance(api.call(g.delete_checkout_session, session.id), g.Error404NotFound)
    assert isinstance(
        api.call(g.update_checkout_session_fields, session.id, card_update()), g.Error404NotFound
    )
    assert isinstance(api.call(g.update_checkout_session, session.id, cart()), g.Error404NotFound)


def test_no_or_wrong_token_is_401(api: Api) -> None:
    """Without a bearer token, or with the wrong one, every call is 401."""
    anonymous = make_config(api.config.base_url, bearer_token=None)
    wrong = make_config(api.config.base_url, bearer_token="not-it")
    assert isinstance(api.call(g.new_checkout_session, config=anonymous), g.Error401Unauthorized)
    assert isinstance(
        api.call(g.get_checkout_session, "8724fd24-5489-4a5d-90fd-0604df7d3b83", config=wrong),
        g.Error401Unauthorized,
    )
    assert api.emulator.sessions() == []


def test_an_emulator_given_no_token_accepts_calls_with_none() -> None:
    """Emulator() with no token accepts a Config on loopback that has none, as Config allows there."""
    emulator = Emulator()
    with emulator.serve() as url:
        config = g.Config(server_url=url, retry=g.RetryPolicy.none())
        assert config.bearer_token is None
        assert isinstance(
            g.new_checkout_session(config=config, transport=Urllib3Transport()), g.CheckoutSession
        )
    assert "authorization" not in emulator.requests[0].headers


def test_serving_on_a_bad_port_says_so() -> None:
    """A port outside 0..65535 is a ValidationError; a port in use is the OSError of the bind."""
    with pytest.raises(g.ValidationError, match=r"0\.\.65535"), Emulator().serve(port=99999):
        pass
    with Emulator().serve() as url:
        port = int(url.rsplit(":", 1)[1])
        with pytest.raises(OSError, match="in use"), Emulator().serve(port=port):
            pass


def test_card_fields_derive_the_payment_method_and_keep_no_secret(api: Api) -> None:
    """A card update stores label, BIN, scheme and type from the number; never the number or code."""
    session = api.call(g.new_checkout_session, cart())
    assert api.call(g.update_checkout_session_fields, session.id, card_update()) is None
    method = api.call(g.get_checkout_session, session.id).payment_method
    assert method.label == "4444"
    assert method.scheme is g.CardScheme.MASTERCARD
    assert method.details == g.CheckoutSessionPaymentMethodDetails(
        bin="555555", card_type=g.CardType.DEBIT, card_country="US"
    )
    stored = repr(api.emulator.sessions()) + repr(api.emulator.requests)
    raw_answer = api.emulator.exchange(g.prepare(g.operations.get_checkout_session(session.id), api.config))
    assert raw_answer.response is not None
    for text in (stored, raw_answer.response.body.decode()):
        assert CARD not in text
        assert f'"{CODE}"' not in text


@pytest.mark.parametrize(
    ("number", "scheme", "card_type"),
    [
        ("4111111111111111", g.CardScheme.VISA, g.CardType.CREDIT),
        ("4000056655665556", g.CardScheme.VISA, g.CardType.DEBIT),
        ("378282246310005", g.CardScheme.AMEX, g.CardType.CREDIT),
        ("6011111111111117", g.CardScheme.DISCOVER, g.CardType.CREDIT),
        ("3530111333300000", g.CardScheme.JCB, g.CardType.CREDIT),
        ("2223003122003222", g.CardScheme.MASTERCARD, g.CardType.CREDIT),
        ("36227206271667", g.CardScheme.DINERS_CLUB, g.CardType.CREDIT),
        ("6200000000000005", g.CardScheme.UNIONPAY, g.CardType.CREDIT),
        ("4000066666666666", g.CardScheme.VISA, g.CardType.PREPAID),
        ("9999999999999995", g.CardScheme.OTHER, g.CardType.CREDIT),
    ],
)
def test_scheme_and_type_come_from_the_number(
    number: str, scheme: g.CardScheme, card_type: g.CardType
) -> None:
    """The scheme follows the published IIN ranges; the type follows the emulator's test BINs."""
    emulator = Emulator()
    config = make_config("http://localhost")
    session = g.unwrap(g.new_checkout_session(config=config, transport=emulator.transport()))
    g.unwrap(
        g.update_checkout_session_fields(
            session.id, card_update(number), config=config, transport=emulator.transport()
        )
    )
    method = emulator.sessions()[0].payment_method
    assert method is not None
    assert method.details is not None
    assert (method.scheme, method.details.card_type, method.details.bin) == (scheme, card_type, number[:6])


def test_stored_and_click_to_pay_methods(api: Api) -> None:
    """A stored method keeps its id; Click to Pay (either spelling) is accepted."""
    session = api.call(g.new_checkout_session)
    stored = g.IdPaymentMethod(id="77a76f7e-d2de-4bbc-ada9-d6a0015e6bd5")
    api.call(
        g.update_checkout_session_fields,
        session.id,
        g.CheckoutSessionSecureFieldsUpdate(payment_method=stored),
    )
    assert api.call(g.get_checkout_session, session.id).payment_method.id == stored.id
    for spelling in ("click-to-pay", "click_to_pay"):
        body = {
            "payment_method": {"method": spelling, "merchant_transaction_id": "m", "src_correlation_id": "c"}
        }
        assert (
            raw(api, "PUT", f"/checkout/sessions/{session.id}/fields", json.dumps(body).encode()).status
            == 204
        )


def test_update_replaces_the_details(api: Api) -> None:
    """An update replaces cart and details and keeps id and expiry unless expires_in is given."""
    session = api.call(g.new_checkout_session, cart())
    updated = api.call(g.update_checkout_session, session.id, cart("Tripod", amount=37999, currency="USD"))
    assert (updated.id, updated.expires_at, updated.amount, updated.cart_items[0].name) == (
        session.id,
        session.expires_at,
        37999,
        "Tripod",
    )
    later = api.call(g.update_checkout_session, session.id, g.CheckoutSessionCreateRequest(expires_in=86400))
    assert later.expires_at == api.now + timedelta(days=1)


def test_merchant_accounts_are_isolated(api: Api) -> None:
    """A session made for one merchant account cannot be seen or touched from another."""
    first = make_config(api.config.base_url, bearer_token=TOKEN, merchant_account_id="first")
    second = make_config(api.config.base_url, bearer_token=TOKEN, merchant_account_id="second")
    session = api.call(g.new_checkout_session, cart(), config=first)
    assert isinstance(api.call(g.get_checkout_session, session.id, config=first), g.CheckoutSession)
    assert isinstance(api.call(g.get_checkout_session, session.id, config=second), g.Error404NotFound)
    assert isinstance(api.call(g.get_checkout_session, session.id), g.Error404NotFound)
    assert isinstance(api.call(g.delete_checkout_session, session.id, config=second), g.Error404NotFound)
    assert [s.id for s in api.emulator.sessions("first")] == [session.id]
    assert api.emulator.sessions("second") == []


def raw(api: Api, method: str, path: str, body: bytes | None) -> g.HttpResponse:
    """Send bytes as a caller bypassing the models would."""
    request = g.HttpRequest(
        method=method,
        url=api.config.base_url + path,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        body=body,
    )
    return api.transport.send(request, g.Timeout())


@pytest.mark.parametrize(
    ("method", "suffix", "body", "loc"),
    [
        (
            "POST",
            "",
            {"cart_items": [{"name": "", "quantity": 1, "unit_amount": 1}]},
            ["body", "cart_items", 0, "name"],
        ),
        (
            "POST",
            "",
            {"cart_items": [{"name": "x", "quantity": 0, "unit_amount": 1}]},
            ["body", "cart_items", 0, "quantity"],
        ),
        (
            "POST",
            "",
            {"cart_items": [{"name": "x", "quantity": "1", "unit_amount": 1}]},
            ["body", "cart_items", 0, "quantity"],
        ),
        ("POST", "", {"currency": "usd"}, ["body", "currency"]),
        ("POST", "", {"metadata": {"a": 1}}, ["body", "metadata", "a"]),
        ("POST", "", {"surprise": True}, ["body", "surprise"]),
        ("POST", "", {"expires_in": 10}, ["body", "expires_in"]),
        ("POST", "", {"expires_in": None}, ["body", "expires_in"]),
        ("PUT", "", {"expires_in": None}, ["body", "expires_in"]),
        ("PUT", "", {"amount": -1}, ["body", "amount"]),
        (
            "PUT",
            "/fields",
            {"payment_method": {"method": "card", "number": "41", "expiration_date": "12/30"}},
            ["body", "payment_method", "number"],
        ),
        ("PUT", "/fields", {"payment_method": {"method": "cash"}}, ["body", "payment_method", "method"]),
        ("PUT", "/fields", {}, ["body", "payment_method"]),
        ("PUT", "/fields", None, ["body"]),
    ],
)
def test_invalid_bodies_get_422_with_the_apis_error_body(
    api: Api, method: str, suffix: str, body: Any, loc: list[Any]
) -> None:
    """A request our models would refuse, sent raw, gets 422 {"detail": [...]} naming the location."""
    session = api.call(g.new_checkout_session)
    path = "/checkout/sessions" if method == "POST" else f"/checkout/sessions/{session.id}{suffix}"
    answer = raw(api, method, path, None if body is None else json.dumps(body).encode())
    assert answer.status == 422
    [detail] = json.loads(answer.body)["detail"]
    assert detail["loc"] == loc
    assert detail["msg"]


def test_malformed_json_is_400_and_unknown_routes_404_or_405(api: Api) -> None:
    """Bytes that are not JSON get 400; other paths 404; other methods 405; a non-UUID id 422."""
    assert raw(api, "POST", "/checkout/sessions", b"{nope").status == 400
    assert raw(api, "GET", "/buyers", None).status == 404
    assert raw(api, "PATCH", "/checkout/sessions", None).status == 405
    assert raw(api, "GET", "/checkout/sessions/not-a-uuid", None).status == 422


def test_the_request_log_masks_card_data(api: Api) -> None:
    """Every request is logged with method, path and headers; card data is masked."""
    session = api.call(g.new_checkout_session, cart())
    api.call(g.update_checkout_session_fields, session.id, card_update())
    logged = api.emulator.requests
    assert [(r.method, r.path) for r in logged] == [
        ("POST", "/checkout/sessions"),
        ("PUT", f"/checkout/sessions/{session.id}/fields"),
    ]
    assert logged[1].body is not None
    assert json.loads(logged[1].body)["payment_method"] == {
        "number": "…4444",
        "expiration_date": "12/30",
        "method": "card",
        "security_code": "[redacted]",
    }


# --- fault injection drives the client's retries ---


def test_injected_503s_are_retried_by_idempotent_calls(api: Api) -> None:
    """Two injected 503s, then the real answer: a get succeeds on its third attempt."""
    session = api.call(g.new_checkout_session)
    api.emulator.fail_next(503, times=2)
    assert isinstance(api.call(g.get_checkout_session, session.id), g.CheckoutSession)
    assert len(api.emulator.requests) == 4


def test_an_injected_429_with_retry_after_is_retried_by_a_create(api: Api) -> None:
    """A create meeting 429 with Retry-After waits and tries again; one session results."""
    api.emulator.fail_next(429, retry_after=0.01)
    assert isinstance(api.call(g.new_checkout_session), g.CheckoutSession)
    assert len(api.emulator.sessions()) == 1


def test_an_injected_500_is_returned_to_a_create(api: Api) -> None:
    """A create meeting a 5xx returns it without retrying."""
    api.emulator.fail_next(500, times=3)
    result = api.call(g.new_checkout_session)
    assert isinstance(result, g.ErrorGeneric)
    assert result.status == 500
    assert len(api.emulator.requests) == 1


def test_a_str_body_is_sent_as_utf8(api: Api) -> None:
    """fail_next(body=str) answers with that text encoded as UTF-8, on loopback as in-process."""
    api.emulator.fail_next(500, body='{"type": "error", "code": "boom", "status": 500, "message": "déjà vu"}')
    result = api.call(g.new_checkout_session)
    assert isinstance(result, g.ErrorGeneric)
    assert (result.status, result.code, result.message) == (500, "boom", "déjà vu")
    assert len(api.emulator.requests) == 1


@pytest.mark.parametrize(
    ("inject", "named"),
    [
        (lambda e: e.fail_next(500, body={"message": "x"}), "fail_next(body)"),
        (lambda e: e.fail_next(500, body=3), "fail_next(body)"),
        (lambda e: e.fail_next("500"), "fail_next(status)"),
        (lambda e: e.fail_next(True), "fail_next(status)"),
        (lambda e: e.fail_next(99), "fail_next(status)"),
        (lambda e: e.fail_next(600), "fail_next(status)"),
        (lambda e: e.fail_next(500, times=-1), "fail_next(times)"),
        (lambda e: e.fail_next(500, times=1.5), "fail_next(times)"),
        (lambda e: e.fail_next(429, retry_after=-1), "fail_next(retry_after)"),
        (lambda e: e.fail_next(429, retry_after=float("nan")), "fail_next(retry_after)"),
        (lambda e: e.fail_next(429, retry_after="1\r\nX-Injected: 1"), "fail_next(retry_after)"),
        (lambda e: e.fail_next(429, retry_after=[1]), "fail_next(retry_after)"),
        (lambda e: e.drop_next(times="2"), "drop_next(times)"),
        (lambda e: e.drop_next(after_processing="yes"), "drop_next(after_processing)"),
        (lambda e: e.delay_next("0.5"), "delay_next(seconds)"),
        (lambda e: e.delay_next(-0.1), "delay_next(seconds)"),
        (lambda e: e.delay_next(float("inf")), "delay_next(seconds)"),
        (lambda e: e.delay_next(0.1, times=None), "delay_next(times)"),
    ],
)
def test_a_fault_argument_of_the_wrong_kind_is_refused_when_given(inject: Any, named: str) -> None:
    """Every fault-injection argument is checked at the call, naming it; nothing is queued."""
    emulator = Emulator()
    with pytest.raises(g.ValidationError) as raised:
        inject(emulator)
    assert raised.value.path == named
    created = g.new_checkout_session(config=make_config("http://localhost"), transport=emulator.transport())
    assert isinstance(created, g.CheckoutSession)  # no fault was queued


def test_a_drop_after_processing_leaves_a_session_the_client_reports_as_maybe(api: Api) -> None:
    """The ambiguous create: the emulator made the session, the answer was lost; never retried."""
    api.emulator.drop_next(after_processing=True)
    result = api.call(g.new_checkout_session, cart())
    assert isinstance(result, g.ConnectionDropped)
    assert result.request_sent
    assert len(api.emulator.sessions()) == 1
    assert len(api.emulator.requests) == 1


def test_drops_are_retried_by_idempotent_calls(api: Api) -> None:
    """A dropped connection on get is retried."""
    session = api.call(g.new_checkout_session)
    api.emulator.drop_next()
    assert isinstance(api.call(g.get_checkout_session, session.id), g.CheckoutSession)


def test_delays_beyond_the_read_timeout_time_out(api: Api) -> None:
    """A delay longer than the read timeout is a ReadTimeout; a create is then not retried."""
    api.emulator.delay_next(3.0)  # seconds beyond the read timeout: a slow machine cannot turn this green
    # On loopback the request is written before the read and its timeout begin: nothing has to beat it.
    result = api.call(g.new_checkout_session, timeout=g.Timeout(connect=1, read=0.03))
    assert isinstance(result, g.ReadTimeout)
    assert len(api.emulator.requests) == 1


def test_two_hundred_concurrent_creates_from_eight_threads() -> None:
    """8 threads x 25 creates against the served emulator: 200 sessions, none lost or mixed up."""
    emulator = Emulator(bearer_token=TOKEN)
    with emulator.serve() as url:
        config = make_config(url, bearer_token=TOKEN)
        transport = Urllib3Transport()
        made: dict[str, str] = {}
        lock = threading.Lock()
        barrier = threading.Barrier(8)

        def worker(number: int) -> None:
            barrier.wait()
            for index in range(25):
                name = f"item-{number}-{index}"
                session = g.unwrap(g.new_checkout_session(cart(name), config=config, transport=transport))
                with lock:
                    made[session.id] = name

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(made) == 200
        assert len(emulator.sessions()) == 200
        for session_id, name in made.items():
            read = g.unwrap(g.get_checkout_session(session_id, config=config, transport=transport))
            assert read.cart_items is not None
            assert read.cart_items[0].name == name


MUTATIONS: list[tuple[str, Any]] = [
    ("amount", -1),
    ("amount", 100_000_000),
    ("amount", "12"),
    ("amount", 1.5),
    ("amount", True),
    ("currency", "usd"),
    ("currency", 5),
    ("country", "USA"),
    ("expires_in", 60),
    ("expires_in", "3600"),
    ("expires_in", None),
    ("metadata", {"key": 1}),
    ("intent", "later"),
    ("payment_source", "mail"),
    ("is_subsequent_payment", "no"),
    ("surprise", 1),
    ("cart_items", [{"name": "x"}]),
    ("cart_items", [{"name": "", "quantity": 1, "unit_amount": 1}]),
    ("cart_items", [{"name": "x", "quantity": 0, "unit_amount": 1}]),
    ("cart_items", [{"name": "x", "quantity": 1, "unit_amount": 1, "extra": 1}]),
    ("cart_items", [{"name": "x", "quantity": 1, "unit_amount": 1, "categories": ["y" * 51]}]),
    ("buyer", {"billing_details": {"phone_number": "0123"}}),
    ("buyer", {"display_name": ""}),
    ("buyer", {"billing_details": {"tax_id": {"value": "1"}}}),
    ("airline", {"legs": [{"route_type": "circle"}]}),
    ("airline", {"passengers": [{"frequent_flyer_number": "1234"}]}),
]


@settings(max_examples=100, deadline=None)
@given(request=strategies.create_requests, mutation=st.sampled_from(MUTATIONS))
def test_the_emulator_validates_as_the_apis_schema_does(
    openapi: dict[str, Any], request: g.CheckoutSessionCreateRequest, mutation: tuple[str, Any]
) -> None:
    """A body the schema accepts gets 201; the same body broken in one place is refused by both."""
    emulator = Emulator()
    validator = request_schema(openapi, "/checkout/sessions", "post")
    body = json.loads(g.operations.new_checkout_session(request).body or b"{}")

    def status(data: Any) -> int:
        http = g.HttpRequest(
            method="POST",
            url="http://emulator/checkout/sessions",
            headers={"Authorization": "Bearer t"},
            body=json.dumps(data).encode(),
        )
        return emulator.transport().send(http, g.Timeout()).status

    assert validator.is_valid(body)
    assert status(body) == 201
    key, value = mutation
    body[key] = value
    assert not validator.is_valid(body)
    assert status(body) == 422


unchecked_faults: Any = _faults  # the module, with its type checks off: wrong kinds on purpose


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda: unchecked_faults.Reply(500, body='{"message": "x"}'), "Reply.body"),
        (lambda: unchecked_faults.Reply("500"), "Reply.status"),
        (lambda: unchecked_faults.Reply(delay=-1), "Reply.delay"),
        (lambda: unchecked_faults.Truncated(200, "abc", 1), "Truncated.body"),
        (lambda: unchecked_faults.Truncated(200, b"abc", -1), "Truncated.sent"),
        (lambda: unchecked_faults.Endless(chunk="x"), "Endless.chunk"),
        (lambda: unchecked_faults.Endless(declared=1.5), "Endless.declared"),
        (lambda: unchecked_faults.Raw("HTTP/1.1 200 OK\r\n\r\n"), "Raw.data"),
        (lambda: unchecked_faults.Trickle("HTTP/1.1", interval=0.01), "Trickle.data"),
        (lambda: unchecked_faults.Trickle(b"HTTP/1.1", interval=float("nan")), "Trickle.interval"),
        (lambda: unchecked_faults.StallHandshake(seconds=-5), "StallHandshake.seconds"),
    ],
)
def test_a_loopback_fault_of_the_wrong_kind_is_refused_when_made(make: Any, named: str) -> None:
    """The raw fault server's actions check their fields when made, not in the server thread."""
    with pytest.raises(g.ValidationError) as raised:
        make()
    assert raised.value.path == named


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("TRACE", "/checkout/sessions", "POST"),
        ("PATCH", f"/checkout/sessions/{uuid.UUID(int=1)}", "GET, PUT, DELETE"),
        ("OPTIONS", f"/checkout/sessions/{uuid.UUID(int=1)}/fields", "PUT"),
        ("HEAD", f"/checkout/sessions/{uuid.UUID(int=1)}", "GET, PUT, DELETE"),
        ("GET", "/checkout/sessions", "POST"),
    ],
)
def test_an_undeclared_method_is_405_with_allow(method: str, path: str, allowed: str) -> None:
    """Over HTTP, a method a route does not declare gets the API's JSON 405 and Allow, before auth."""
    with Emulator(bearer_token=TOKEN).serve() as url:
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=5)
        try:
            for _ in range(2):  # the connection stays usable: a HEAD's answer carries no body
                connection.request(method, path)
                answer = connection.getresponse()
                body = answer.read()
                assert answer.status == 405
                assert answer.getheader("Allow") == allowed
                assert answer.getheader("Content-Type") == "application/json"
                if method != "HEAD":
                    assert json.loads(body) == json.loads(error_body(405))
                    assert json.loads(body)["code"] == "method_not_allowed"
        finally:
            connection.close()


def test_an_answer_to_head_has_no_body_on_the_wire() -> None:
    """HEAD's 405 sends headers only: the next answer on the connection starts right after them."""
    with Emulator().serve() as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            head = b"HEAD /checkout/sessions HTTP/1.1\r\nHost: x\r\n\r\n"
            raw.sendall(head + head.replace(b"HEAD", b"TRACE"))
            received = b""
            while received.count(b"\r\n\r\n") < 2 or not received.endswith(b"}"):
                chunk = raw.recv(65536)
                assert chunk, received
                received += chunk
    first_head, rest = received.split(b"\r\n\r\n", 1)
    assert first_head.startswith(b"HTTP/1.1 405")
    assert rest.startswith(b"HTTP/1.1 405"), rest


@pytest.mark.parametrize(
    "body",
    [
        {"payment_method": "4111111111111111"},
        {"payment_method": {"method": "card", "number": 4111111111111111}},
        ["4111111111111111"],
        "4111111111111111",
        b"4111111111111111 not json",
    ],
)
def test_the_request_log_masks_a_card_number_in_a_fields_update_of_any_shape(api: Api, body: object) -> None:
    """A fields update the emulator refuses still reaches its request log without the card number."""
    session = api.call(g.new_checkout_session)
    sent = body if isinstance(body, bytes) else json.dumps(body).encode()
    assert raw(api, "PUT", f"/checkout/sessions/{session.id}/fields", sent).status in (400, 422)
    logged = api.emulator.requests[-1]
    assert logged.body is not None
    assert b"4111111111111111" not in logged.body
    assert "4111111111111111" not in repr(logged)


@pytest.mark.parametrize("path", ["/checkout/sessions", "/fields"])
def test_json_nested_past_the_parser_is_400(api: Api, path: str) -> None:
    """A body nested deeper than the JSON parser's recursion limit is a 400, as malformed JSON is."""
    if path == "/fields":
        path = f"/checkout/sessions/{api.call(g.new_checkout_session).id}/fields"
    deep = b"[" * 100_000 + b"]" * 100_000
    assert raw(api, "PUT" if path.endswith("/fields") else "POST", path, deep).status == 400
