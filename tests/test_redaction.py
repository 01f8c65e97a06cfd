"""No secret leaks: card numbers, security codes and bearer tokens stay out of logs, reprs and tracebacks."""

from __future__ import annotations

import json
import logging
import traceback

import pytest
from conftest import SESSION_ID, make_config
from loopback import DropAfterRead, LoopbackServer, Reply, Truncated

import gr4vy_fn as g
from gr4vy_fn.transports import Urllib3Transport

CARD = "4012888888881881"
CODE = "8317"
TOKEN = "tok-5b8e1c0f9d2a"
ECHO_422 = json.dumps(
    {
        "detail": [
            {
                "type": "x",
                "loc": ["body", "payment_method", "number"],
                "msg": f"bad {CARD}",
                "input": CARD,
                "ctx": {"code": CODE},
            }
        ]
    }
).encode()
ECHO_HTML = f"<html><body>Rejected card {CARD} with code {CODE}; auth Bearer {TOKEN}</body></html>".encode()
ECHO_ERROR = json.dumps(
    {
        "type": "error",
        "code": "bad_request",
        "status": 400,
        "message": f"card {CARD} code {CODE}",
        "details": [{"location": "body", "type": "x", "pointer": f"/{CARD}", "message": f"{CODE} is wrong"}],
    }
).encode()

FAILURES = [
    Reply(422, ECHO_422),
    Reply(500, ECHO_HTML, (("Content-Type", "text/html"),)),
    Reply(400, ECHO_ERROR),
    Reply(502, ECHO_HTML),
    Truncated(400, ECHO_ERROR, sent=60),
    DropAfterRead(),
]


@pytest.mark.parametrize("failure", FAILURES, ids=lambda f: type(f).__name__ + str(getattr(f, "status", "")))
def test_a_failing_card_update_leaks_nothing(
    failure: object,
    server: LoopbackServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Everything observable about a failed card fields update is free of the card, the code and the token."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="gr4vy_fn")
    server.default = failure  # type: ignore[assignment]
    card = g.CardPaymentMethod(number=CARD, expiration_date="12/30", security_code=CODE)
    update = g.CheckoutSessionSecureFieldsUpdate(payment_method=card)
    config = make_config(
        server.url, bearer_token=TOKEN, retry=g.RetryPolicy(initial_delay=0.001, max_delay=0.001)
    )
    result = g.update_checkout_session_fields(SESSION_ID, update, config=config, transport=Urllib3Transport())
    assert isinstance(result, g.Gr4vyError)
    observed = [repr(result), str(result), repr(update), str(update), repr(card), repr(config)]
    try:
        g.unwrap(result)
    except g.Gr4vyError:
        observed.append(traceback.format_exc())
    observed.extend(record.getMessage() for record in caplog.records)
    observed.append(caplog.text)
    captured = capsys.readouterr()
    observed.extend([captured.out, captured.err])
    assert any("update_checkout_session_fields" in line for line in caplog.messages)
    for text in observed:
        for secret in (CARD, CODE, TOKEN):
            assert secret not in text


def test_debug_logs_say_what_happened_and_nothing_more(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The gr4vy_fn logger records operation, method, path, status, attempt and elapsed time."""
    caplog.set_level(logging.DEBUG, logger="gr4vy_fn")
    server.then(Reply(503), Reply(204))
    config = make_config(server.url, retry=g.RetryPolicy(initial_delay=0.001, max_delay=0.001))
    g.delete_checkout_session(SESSION_ID, config=config, transport=Urllib3Transport())
    messages = [r.getMessage() for r in caplog.records if r.name == "gr4vy_fn"]
    assert len(messages) == 2
    assert messages[0].startswith(
        f"delete_checkout_session DELETE /checkout/sessions/{SESSION_ID} -> 503 (attempt 1, "
    )
    assert messages[1].startswith(
        f"delete_checkout_session DELETE /checkout/sessions/{SESSION_ID} -> 204 (attempt 2, "
    )
    assert messages[1].endswith(" ms)")


def test_nothing_is_formatted_when_debug_is_off(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    """With DEBUG off, no record is made at all."""
    caplog.set_level(logging.INFO, logger="gr4vy_fn")
    server.then(Reply(204))
    g.delete_checkout_session(SESSION_ID, config=make_config(server.url), transport=Urllib3Transport())
    assert [r for r in caplog.records if r.name == "gr4vy_fn"] == []
