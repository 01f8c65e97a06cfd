"""gr4vy_fn.testing.vcr_config(): cassettes recorded through every transport hold no secret, and replay.

Each recording is made against the emulator on 127.0.0.1, which is then stopped: the replay
can only come from the cassette. A cassette is searched as written (and as YAML and JSON
read it, escapes and base64 undone) for the bearer token, the card number and the security
code. Failures name what leaked, never the secret itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gzip
import json
import logging
import re
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import vcr  # type: ignore[import-untyped]
import yaml  # type: ignore[import-untyped]
from conftest import PLAIN_HTTP_TLS, fast_policy
from fresh_python import FreshPython
from loopback import LoopbackServer, Reply
from vcr.request import Request  # type: ignore[import-untyped]

import gr4vy_fn as g
from gr4vy_fn import aio
from gr4vy_fn.defaults import default_transport
from gr4vy_fn.testing import Emulator, vcr_config
from gr4vy_fn.transports import HttpxTransport, RequestsTransport, Urllib3Transport

# vcr_config() refuses vcrpy before 9.1 (see test_an_older_vcrpy_is_refused_by_name), the newest
# there is for Python 3.10.
pytestmark = pytest.mark.skipif(
    tuple(int(part) for part in version("vcrpy").split(".")[:2]) < (9, 1),
    reason=f"vcrpy {version('vcrpy')}: vcr_config() needs vcrpy 9.1, on Python 3.11 or later",
)

pytest_plugins = ["pytester"]  # the pytest-recording run below is a pytest run of its own

TOKEN = "cassette-bearer-7f3a9c1e5b2d8a64"
CARD = "4111111111111111"  # a Visa test card
NOTED_CARD = "5555 5555 5555 4444"  # a Mastercard test card, written in a note
SECURITY_CODE = "7391"
NOTE = f"paid by {NOTED_CARD}, cvv {SECURITY_CODE}"
NOTE_AS_RECORDED = "paid by [redacted], cvv [redacted]"

CART = g.CheckoutSessionCreateRequest(
    cart_items=[g.CartItem(name="Mug", quantity=1, unit_amount=900)],
    metadata={"order": "1042", "note": NOTE},
)
FIELDS = g.CheckoutSessionSecureFieldsUpdate(
    payment_method=g.CardPaymentMethod(number=CARD, expiration_date="12/30", security_code=SECURITY_CODE)
)

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

Checkout = Callable[[g.Config], tuple[g.CheckoutSession, g.CheckoutSession]]
"""Create a session (a card in a note), put a card on it, read it; return the created and the read."""


def leaks(text: str) -> list[str]:
    """Name each secret found in `text`: the token, a card number (grouped too), the security code."""
    found = []
    lowered = text.lower()
    if TOKEN.lower() in lowered:
        found.append("the bearer token")
    if "authorization" in lowered:
        found.append("an Authorization header")
    if re.search(r"bearer(?!\W*\[redacted\])", lowered):
        found.append("a bearer token")
    for name, number in (("the card number", CARD), ("the noted card number", NOTED_CARD)):
        digits = re.sub(r"\D", "", number)
        if re.search(r"\W{0,3}".join(digits), text):  # plain, or grouped as the scrubber sees groups
            found.append(name)
    # As a whole number only: ids (hex), a fingerprint and timestamps can hold the same digits.
    without_ids = re.sub(_UUID, "<id>", text)
    if re.search(rf"(?<![0-9A-Za-z]){SECURITY_CODE}(?![0-9A-Za-z])", without_ids):
        found.append("the security code")
    return found


def readings(path: Path) -> list[str]:
    """The cassette's text as written, and every string in it as YAML and then JSON read it."""
    raw = path.read_text(encoding="utf-8")
    texts = [raw]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, (str, bytes)):
            if isinstance(value, bytes):  # !!binary is base64: read as the client and as bytes
                texts.append(value.decode(json.detect_encoding(value), "replace"))
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            texts.append(text)
            with contextlib.suppress(ValueError, RecursionError):  # not JSON, or too deep to read
                texts.append(json.dumps(json.loads(text), ensure_ascii=False))  # \u escapes read

    walk(yaml.safe_load(raw))
    return texts


def assert_no_secret(path: Path) -> None:
    assert path.exists()
    assert sorted({leak for text in readings(path) for leak in leaks(text)}) == []


def interactions(path: Path) -> list[dict[str, Any]]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(document["interactions"])


def checkout_sync(
    config: g.Config, transport: g.Transport | None
) -> tuple[g.CheckoutSession, g.CheckoutSession]:
    created = g.unwrap(g.new_checkout_session(CART, config=config, transport=transport))
    g.unwrap(g.update_checkout_session_fields(created.id, FIELDS, config=config, transport=transport))
    read = g.unwrap(g.get_checkout_session(created.id, config=config, transport=transport))
    return created, read


async def checkout_async(
    config: g.Config, transport: aio.AsyncTransport
) -> tuple[g.CheckoutSession, g.CheckoutSession]:
    created = g.unwrap(await aio.new_checkout_session(CART, config=config, transport=transport))
    g.unwrap(await aio.update_checkout_session_fields(created.id, FIELDS, config=config, transport=transport))
    read = g.unwrap(await aio.get_checkout_session(created.id, config=config, transport=transport))
    return created, read


def through_the_default_transport(config: g.Config) -> tuple[g.CheckoutSession, g.CheckoutSession]:
    assert isinstance(default_transport(), Urllib3Transport)  # what a call given no transport uses
    return checkout_sync(config, None)


def through(make: Callable[[], RequestsTransport | HttpxTransport]) -> Checkout:
    def checkout(config: g.Config) -> tuple[g.CheckoutSession, g.CheckoutSession]:
        transport = make()  # a new one each time: a replay reuses no connection the recording opened
        try:
            return checkout_sync(config, transport)
        finally:
            transport.close()

    return checkout


def through_async(make: Callable[[], aio.AiohttpTransport | aio.HttpxTransport]) -> Checkout:
    def checkout(config: g.Config) -> tuple[g.CheckoutSession, g.CheckoutSession]:
        async def run() -> tuple[g.CheckoutSession, g.CheckoutSession]:
            transport = make()
            try:
                return await checkout_async(config, transport)
            finally:
                await transport.aclose()

        return asyncio.run(run())

    return checkout


CHECKOUTS: dict[str, Checkout] = {
    "default": through_the_default_transport,
    "requests": through(RequestsTransport),
    "httpx": through(lambda: HttpxTransport(httpx.Client(verify=PLAIN_HTTP_TLS))),
    "aiohttp": through_async(aio.AiohttpTransport),
    # Made with no client, so that aclose() closes the one it opens.
    "httpx-async": through_async(aio.HttpxTransport),
}


def config_for(url: str) -> g.Config:
    return g.Config(server_url=url, bearer_token=TOKEN, retry=fast_policy())


def record(path: Path, checkout: Checkout, **options: Any) -> tuple[g.Config, tuple[g.CheckoutSession, ...]]:
    """Record `checkout` against a fresh emulator into `path`, stop the emulator, and check it is gone."""
    emulator = Emulator(bearer_token=TOKEN)
    with emulator.serve() as url:
        config = config_for(url)
        with vcr.VCR(**vcr_config()).use_cassette(str(path), **options) as cassette:
            recorded = checkout(config)
        assert len(cassette.data) == 3
        assert [r.method for r in emulator.requests] == ["POST", "PUT", "GET"]  # live, while recording
    stopped = g.get_checkout_session(recorded[0].id, config=config)
    assert isinstance(stopped, g.ConnectError), type(stopped)  # the replay can only come from the cassette
    return config, recorded


@pytest.mark.parametrize("transport", list(CHECKOUTS))
def test_a_recording_holds_no_secret_and_replays_with_the_server_stopped(
    transport: str, tmp_path: Path
) -> None:
    """Every transport: recorded, the cassette has no token, card or code; replayed, the same results."""
    checkout = CHECKOUTS[transport]
    path = tmp_path / "checkout.yaml"
    config, (created, read) = record(path, checkout)

    assert_no_secret(path)
    [create, fields, get] = interactions(path)
    sent = json.loads(fields["request"]["body"])
    assert sent == {
        "payment_method": {
            "method": "card",
            "number": "[redacted]",
            "expiration_date": "12/30",
            "security_code": "[redacted]",
        }
    }
    assert json.loads(create["request"]["body"])["metadata"] == {"order": "1042", "note": NOTE_AS_RECORDED}

    with vcr.VCR(**vcr_config()).use_cassette(str(path), record_mode="none") as cassette:
        replayed_created, replayed_read = checkout(config)
    assert (cassette.play_count, cassette.all_played) == (3, True)
    # What the emulator answered, but for the card and code in the note: scrubbed before writing.
    assert (created.metadata, read.metadata) == ({"order": "1042", "note": NOTE},) * 2
    scrubbed = {"order": "1042", "note": NOTE_AS_RECORDED}
    assert replayed_created == attrs.evolve(created, metadata=scrubbed)
    assert replayed_read == attrs.evolve(read, metadata=scrubbed)
    method = replayed_read.payment_method
    assert method is not None
    assert (method.scheme, method.label) == ("visa", "1111")
    assert get["response"]["status"]["code"] == 200


def test_bodies_scrubbed_alike_still_match_on_body(tmp_path: Path) -> None:
    """With `body` among match_on, a replay still finds each request: a live one is scrubbed the same way."""
    path = tmp_path / "by-body.yaml"
    matching = ("method", "scheme", "host", "port", "path", "query", "body")
    config, (_, read) = record(path, through_the_default_transport, match_on=matching)
    with vcr.VCR(**vcr_config()).use_cassette(str(path), record_mode="none", match_on=matching) as cassette:
        _, replayed = through_the_default_transport(config)
    assert cassette.all_played
    assert replayed == attrs.evolve(read, metadata={"order": "1042", "note": NOTE_AS_RECORDED})


def test_secrets_in_an_answer_are_scrubbed_before_writing(server: LoopbackServer, tmp_path: Path) -> None:
    """An error answer echoing the card, code and token, with a cookie: none of them reaches the cassette."""
    echo = json.dumps(
        {
            "type": "error",
            "code": "bad_request",
            "status": 400,
            "message": f"Bearer {TOKEN} may not pay with {CARD}, cvv {SECURITY_CODE}",
            "details": [
                {
                    "location": "body",
                    "type": "value_error",
                    "pointer": "/cvv",
                    "message": f"security_code={SECURITY_CODE}",
                }
            ],
        }
    ).encode()
    cookie = ("Set-Cookie", f"session={TOKEN}; HttpOnly")
    server.then(Reply(400, echo, headers=(("Content-Type", "application/json"), cookie)))
    path = tmp_path / "echo.yaml"
    config = g.Config(server_url=server.url, bearer_token=TOKEN, retry=fast_policy())
    with vcr.VCR(**vcr_config()).use_cassette(str(path)):
        live = g.get_checkout_session("8724fd24-5489-4a5d-90fd-0604df7d3b83", config=config)
    server.close()

    assert_no_secret(path)
    [answer] = [interaction["response"] for interaction in interactions(path)]
    assert "set-cookie" not in {name.lower() for name in answer["headers"]}
    assert answer["headers"]["Content-Length"] == [str(len(answer["body"]["string"].encode()))]
    with vcr.VCR(**vcr_config()).use_cassette(str(path), record_mode="none"):
        replayed = g.get_checkout_session("8724fd24-5489-4a5d-90fd-0604df7d3b83", config=config)
    assert isinstance(live, g.ErrorGeneric)
    assert isinstance(replayed, g.ErrorGeneric)
    assert (live.status, replayed.status) == (400, 400)


# --- the hooks, one rule at a time ---


def scrubbed_request(
    body: bytes | None, headers: dict[str, str], uri: str = "https://api.example/checkout/sessions"
) -> Any:
    before_record_request = vcr_config()["before_record_request"]
    return before_record_request(Request("POST", uri, body, headers))


def scrubbed_response(body: bytes | str, headers: dict[str, list[str]] | None = None) -> dict[str, Any]:
    before_record_response = vcr_config()["before_record_response"]
    given = {"status": {"code": 200, "message": "OK"}, "headers": headers or {}, "body": {"string": body}}
    untouched = copy.deepcopy(given)
    scrubbed: dict[str, Any] = before_record_response(given)
    assert given == untouched  # the dict given may be what the live call is answered with
    return scrubbed


def test_credential_headers_are_dropped_and_the_rest_scrubbed() -> None:
    """Authorization, cookies and any header named for a credential go; other values are scrubbed."""
    request = scrubbed_request(
        None,
        {
            "Authorization": f"Bearer {TOKEN}",
            "Proxy-Authorization": "Basic dXNlcjpwYXNz",
            "Cookie": "session=abc",
            "X-Api-Key": "k-123",
            "X-Auth-Token": TOKEN,
            "X-Note": f"Bearer {TOKEN}",
            "X-GR4VY-MERCHANT-ACCOUNT-ID": "default",
            "User-Agent": "gr4vy_fn/0.1.0",
        },
    )
    assert dict(request.headers) == {
        "X-Note": "Bearer [redacted]",
        "X-GR4VY-MERCHANT-ACCOUNT-ID": "default",
        "User-Agent": "gr4vy_fn/0.1.0",
    }


def test_secret_json_keys_are_replaced_whole_whatever_their_spelling() -> None:
    """Card number, security codes, tokens and passwords, in any case or separator; null stays null."""
    body = {
        "payment_method": {"number": CARD, "securityCode": "12", "CVV": 123, "expiration_date": "12/30"},
        "access_token": "opaque",
        "Card-Number": "x",
        "password": {"nested": "anything"},
        "security_code": None,
        "flight_number": "BA117",  # a number that is not a card's
    }
    request = scrubbed_request(json.dumps(body).encode(), {"Content-Length": "999"})
    assert json.loads(request.body) == {
        "payment_method": {
            "number": "[redacted]",
            "securityCode": "[redacted]",
            "CVV": "[redacted]",
            "expiration_date": "12/30",
        },
        "access_token": "[redacted]",
        "Card-Number": "[redacted]",
        "password": "[redacted]",
        "security_code": None,
        "flight_number": "BA117",
    }
    assert request.headers["Content-Length"] == str(len(request.body))


def test_free_text_and_numbers_in_json_go_through_the_scrubber() -> None:
    """A card in a note or as a JSON number, a JWT anywhere; ids, amounts and dates are left as they are."""
    jwt = "eyJhbGciOiJFUzUxMiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    body = {
        "id": "8724fd24-5489-4a5d-90fd-0604df7d3b83",
        "amount": 37999,
        "metadata": {"note": f"card {NOTED_CARD}", "raw": int(CARD), "token_like": jwt, "when": "2026-01-01"},
    }
    response = scrubbed_response(json.dumps(body).encode(), {"Content-Length": ["1"]})
    answer = json.loads(response["body"]["string"])
    assert answer == {
        "id": "8724fd24-5489-4a5d-90fd-0604df7d3b83",
        "amount": 37999,
        "metadata": {
            "note": "card [redacted]",
            "raw": "[redacted]",
            "token_like": "[redacted]",
            "when": "2026-01-01",
        },
    }
    assert response["headers"]["Content-Length"] == [str(len(response["body"]["string"]))]


def test_a_reason_phrase_is_scrubbed() -> None:
    """The status line's text is the server's to write: a card, code or token in it is scrubbed too."""
    before_record_response = vcr_config()["before_record_response"]
    given = {
        "status": {"code": 402, "message": f"Declined {CARD} cvv {SECURITY_CODE} Bearer {TOKEN}"},
        "headers": {},
        "body": {"string": b""},
    }
    assert before_record_response(given)["status"] == {
        "code": 402,
        "message": "Declined [redacted] cvv [redacted] Bearer [redacted]",
    }


def test_json_with_a_repeated_key_is_scrubbed_as_text() -> None:
    """A parser keeps a repeated key's last value: every value of such a body is scrubbed."""
    body = f'{{"note":"{CARD}","note":"x","security_code":"{SECURITY_CODE}","security_code":null}}'
    scrubbed = scrubbed_response(body.encode())["body"]["string"]
    assert leaks(scrubbed.decode()) == []
    assert scrubbed.count(b"[redacted]") == 2


def test_an_older_vcrpy_is_refused_by_name(mocker: Any) -> None:
    """vcrpy before 9.1 cannot record urllib3 2's pools: said at once, not as an AttributeError mid-call."""
    mocker.patch("gr4vy_fn.testing._cassettes.version", return_value="8.5.0")
    with pytest.raises(RuntimeError, match=r"needs vcrpy 9\.1 or later .* vcrpy 8\.5\.0 cannot record"):
        vcr_config()


def test_a_fingerprint_is_kept_whole() -> None:
    """A hex digest whose digits hold a run passing the Luhn check is not a card: a replay gives it back."""
    fingerprint = "ab" + CARD + "cd" * 23
    assert len(fingerprint) == 64
    body = json.dumps({"payment_method": {"fingerprint": fingerprint}}).encode()
    assert scrubbed_response(body)["body"]["string"] == body  # nothing to hide: the same bytes


def test_a_body_that_is_not_json_is_scrubbed_as_text() -> None:
    """Form bodies, plain text and bytes that are not UTF-8: the scrubber reads them all."""
    form = scrubbed_request(f"number={CARD}&cvv={SECURITY_CODE}".encode(), {})
    assert form.body == b"number=[redacted]&cvv=[redacted]"
    text = scrubbed_response(f"declined: {NOTED_CARD}, Bearer {TOKEN}")
    assert text["body"]["string"] == "declined: [redacted], Bearer [redacted]"
    binary = scrubbed_response(b"\xff\xfe card " + CARD.encode() + b" \xff")
    assert binary["body"]["string"] == b"\xff\xfe card [redacted] \xff"


def test_an_answer_still_compressed_is_refused_not_written() -> None:
    """A Content-Encoding vcrpy could not undo leaves a body no scrubber can read: recording it fails."""
    body = gzip.compress(CARD.encode())
    with pytest.raises(ValueError, match="'zstd'-encoded"):
        scrubbed_response(body, {"Content-Encoding": ["zstd"]})


def test_the_config_is_new_each_call_and_takes_vcrpy_and_pytest_recording_options() -> None:
    """A fresh dict (add keys to it freely) whose values survive pytest-recording's deepcopy."""
    first, second = vcr_config(), vcr_config()
    assert first is not second
    assert first == second
    assert set(first) == {
        "before_record_request",
        "before_record_response",
        "decode_compressed_response",
        "custom_patches",
    }
    assert copy.deepcopy(first) == first
    vcr.VCR(**first, record_mode="none", match_on=("method", "uri"))


IMPORTED = FreshPython(
    "-c", "import sys, gr4vy_fn.testing; print(sorted({'vcr', 'yaml'} & set(sys.modules)))"
)


@pytest.mark.fresh_python(IMPORTED)
def test_importing_the_testing_module_leaves_vcrpy_unimported() -> None:
    """vcrpy is a test tool of the user's choice: `import gr4vy_fn.testing` does not load it."""
    assert IMPORTED.output().strip() == "[]"


# --- pytest-recording ---

RECORDED_TEST = """
import gr4vy_fn as g
import pytest
from gr4vy_fn.testing import vcr_config as gr4vy_vcr_config

URL, TOKEN = {url!r}, {token!r}


@pytest.fixture
def vcr_config():
    return gr4vy_vcr_config()


@pytest.mark.vcr
def test_checkout():
    config = g.Config(server_url=URL, bearer_token=TOKEN)
    created = g.unwrap(g.new_checkout_session(config=config))
    card = g.CardPaymentMethod(number={card!r}, expiration_date="12/30", security_code={code!r})
    fields = g.CheckoutSessionSecureFieldsUpdate(payment_method=card)
    g.unwrap(g.update_checkout_session_fields(created.id, fields, config=config))
    method = g.unwrap(g.get_checkout_session(created.id, config=config)).payment_method
    assert method is not None and (method.scheme, method.label) == ("visa", "1111")
"""


def test_pytest_recording_records_and_replays_with_the_config(pytester: pytest.Pytester) -> None:
    """The `vcr_config` fixture returning vcr_config(): `--record-mode=once` records, `none` replays."""
    with Emulator(bearer_token=TOKEN).serve() as url:
        pytester.makepyfile(
            test_checkout=RECORDED_TEST.format(url=url, token=TOKEN, card=CARD, code=SECURITY_CODE)
        )
        recorded = pytester.runpytest("--record-mode=once", "-p", "no:cacheprovider")
        recorded.assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_checkout" / "test_checkout.yaml"
    assert_no_secret(cassette)
    replayed = pytester.runpytest("--record-mode=none", "-p", "no:cacheprovider")
    replayed.assert_outcomes(passed=1)


# --- answers that once broke a call while recording, or reached the cassette ---

SESSION_ID = "8724fd24-5489-4a5d-90fd-0604df7d3b83"
JSON = ("Content-Type", "application/json")


def get_sync(make: Callable[[], RequestsTransport | HttpxTransport | None]) -> Callable[[g.Config], Any]:
    def get(config: g.Config) -> Any:
        transport = make()
        try:
            return g.get_checkout_session(SESSION_ID, config=config, transport=transport)
        finally:
            if transport is not None:
                transport.close()

    return get


def get_async(make: Callable[[], aio.AiohttpTransport | aio.HttpxTransport]) -> Callable[[g.Config], Any]:
    def get(config: g.Config) -> Any:
        async def run() -> Any:
            transport = make()
            try:
                return await aio.get_checkout_session(SESSION_ID, config=config, transport=transport)
            finally:
                await transport.aclose()

        return asyncio.run(run())

    return get


GETS: dict[str, Callable[[g.Config], Any]] = {
    "default": get_sync(lambda: None),
    "requests": get_sync(RequestsTransport),
    "httpx": get_sync(lambda: HttpxTransport(httpx.Client(verify=PLAIN_HTTP_TLS))),
    "aiohttp": get_async(aio.AiohttpTransport),
    "httpx-async": get_async(aio.HttpxTransport),
}

_SESSION = json.dumps({"type": "checkout-session", "id": SESSION_ID, "expires_at": "2030-01-01T00:00:00Z"})
_ECHO = f'{{"type":"error","code":"bad_request","status":400,"message":"card {CARD}, token {TOKEN}"}}'

ANSWERS: dict[str, Reply] = {
    # vcrpy inflates the body it keeps: the replay must not claim gzip still.
    "gzip": Reply(200, gzip.compress(_SESSION.encode()), headers=(JSON, ("Content-Encoding", "gzip"))),
    # Too deep for a recursive scrubber: the client says "not JSON", and so must a recording.
    "nested": Reply(200, b"[" * 200_000, headers=(JSON,)),
    # Not UTF-8 (a latin-1 byte), with a euro sign escaped in it and a card to scrub.
    "latin-1": Reply(400, b'{"message":"\\u20ac \xff ' + CARD.encode() + b'"}', headers=(JSON,)),
    # The client reads UTF-16 JSON: its card and token are scrubbed in UTF-16 too.
    "utf-16": Reply(400, _ECHO.encode("utf-16"), headers=(JSON,)),
    "utf-16-be": Reply(400, _ECHO.encode("utf-16-be"), headers=(JSON,)),
    # A card in a header's name.
    "header name": Reply(400, b'{"message":"declined"}', headers=(JSON, (f"X-Card-{CARD}", "1"))),
    # The request's own token, with no "Bearer" before it, in the body and a header.
    "own token": Reply(400, _ECHO.encode(), headers=(JSON, ("X-Echo", TOKEN))),
}


@pytest.mark.parametrize("transport", list(GETS))
@pytest.mark.parametrize("answer", list(ANSWERS))
def test_recording_changes_no_call_and_keeps_no_secret(
    answer: str, transport: str, server: LoopbackServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Each answer gives the same value recording or not, and replayed; no cassette or log has a secret."""
    caplog.set_level(logging.DEBUG, logger="vcr")  # vcrpy logs the whole answer at INFO while recording
    caplog.set_level(logging.DEBUG)
    get = GETS[transport]
    server.then(ANSWERS[answer], ANSWERS[answer])
    config = config_for(server.url)
    path = tmp_path / "answer.yaml"
    unrecorded = get(config)
    with vcr.VCR(**vcr_config()).use_cassette(str(path)):
        recorded = get(config)
    server.close()
    with vcr.VCR(**vcr_config()).use_cassette(str(path), record_mode="none") as cassette:
        replayed = get(config)

    assert cassette.all_played
    assert_no_secret(path)
    assert any(record.name.startswith("vcr") for record in caplog.records)
    assert leaks(caplog.text) == []
    assert recorded == unrecorded
    assert type(replayed) is type(unrecorded)
    if isinstance(unrecorded, g.CheckoutSession):
        assert replayed == unrecorded
    else:
        assert getattr(replayed, "status", None) == getattr(unrecorded, "status", None)


def test_a_copied_config_scrubs_the_token_its_requests_carried() -> None:
    """pytest-recording deepcopies the config: its response hook still knows the request's token."""
    config = copy.deepcopy(vcr_config())
    config["before_record_request"](
        Request("GET", "https://api.example/", None, {"Authorization": f"Bearer {TOKEN}"})
    )
    given = {
        "status": {"code": 400, "message": "Bad"},
        "headers": {"X": [TOKEN]},
        "body": {"string": TOKEN.encode()},
    }
    scrubbed = config["before_record_response"](given)
    assert (scrubbed["headers"], scrubbed["body"]["string"]) == ({"X": ["[redacted]"]}, b"[redacted]")
