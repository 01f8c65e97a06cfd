"""What a call writes and what it shows: framing stays the transport's, echoed secrets stay hidden.

Through the real Urllib3Transport against the raw tagged server on loopback.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import make_config
from tagged_server import Step, TaggedServer

import gr4vy_fn as g
from gr4vy_fn.transports import Urllib3Transport

CARD = "4012888888881881"
CODE = "8317"
TOKEN = "opaque5b8e1c0f9d2a"  # not a JWT, and echoed without the word Bearer


def escaped(text: str) -> str:
    """`text` as JSON writes it with every character escaped."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


def error_answer(status: int, body: str, content_type: str = "application/json") -> list[Step]:
    data = body.encode()
    head = f"HTTP/1.1 {status} Oops\r\nContent-Type: {content_type}\r\nContent-Length: {len(data)}\r\n\r\n"
    return [head.encode() + data]


ECHOES = {
    "token in an error object": json.dumps(
        {"type": "error", "code": "unauthorized", "message": f"token {TOKEN} is not valid"}
    ),
    "token in an HTML page": f"<html>no access for {TOKEN}</html>",
    "card with dots": f"<p>card {CARD[:4]}.{CARD[4:8]}.{CARD[8:12]}.{CARD[12:]} refused</p>",
    "card with spaces": f"<p>card {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]} refused</p>",
    "card with dashes": f"<p>card {CARD[:4]}-{CARD[4:8]}-{CARD[8:12]}-{CARD[12:]} refused</p>",
    "card and code as JSON escapes": '{"input": "' + escaped(CARD) + '", "cvv": "' + escaped(CODE) + '"}',
}


@pytest.fixture
def tagged() -> Iterator[TaggedServer]:
    with TaggedServer() as server:
        yield server


def card_update() -> g.CheckoutSessionSecureFieldsUpdate:
    card = g.CardPaymentMethod(number=CARD, expiration_date="12/30", security_code=CODE)
    return g.CheckoutSessionSecureFieldsUpdate(payment_method=card)


@pytest.mark.parametrize("status", [400, 401, 502])
@pytest.mark.parametrize("echo", sorted(ECHOES))
def test_echoed_tokens_and_cards_show_nowhere(
    tagged: TaggedServer, echo: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """An error echoing the token or the card, in any spelling, shows it in no value, message or log."""
    body = ECHOES[echo]
    tagged.script = lambda tag: error_answer(
        status, body, "text/html" if body.startswith("<") else "application/json"
    )
    config = make_config(tagged.url, bearer_token=TOKEN, retry=g.RetryPolicy.none())
    result = g.update_checkout_session_fields("s", card_update(), config=config, transport=Urllib3Transport())
    assert isinstance(result, (g.ApiError, g.UnexpectedResponse))
    logger = logging.getLogger("test.echo")
    try:
        g.unwrap(result)
    except g.Gr4vyError:
        logger.exception("the call failed")
        shown = traceback.format_exc()
    observed: list[Any] = [repr(result), str(result), shown, caplog.text]
    observed += [getattr(result, name, "") for name in ("message", "excerpt", "details")]
    for text in map(str, observed):
        text = text.replace(tagged.url.split("//")[1], "<server>")  # the port's digits may spell the code
        for secret in (TOKEN, CARD, CODE, escaped(CARD), escaped(CODE)):
            assert secret not in text


@pytest.mark.parametrize(
    "name", ["Content-Length", "transfer-encoding", "Host", "Connection", "TE", "Upgrade"]
)
def test_framing_headers_cannot_be_given_per_call(tagged: TaggedServer, name: str) -> None:
    """A per-call header that frames or routes the message is refused before anything is sent."""
    config = make_config(tagged.url, retry=g.RetryPolicy.none())
    with pytest.raises(g.ValidationError) as raised:
        g.update_checkout_session_fields(
            "s", card_update(), config=config, transport=Urllib3Transport(), headers={name: "12"}
        )
    assert raised.value.path == f"headers.{name}"
    assert tagged.requests == []
