"""No secret leaks: card numbers, security codes and bearer tokens stay out of logs, reprs and tracebacks."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import random
import signal
import traceback
import uuid
from collections.abc import Callable

import pytest
from conftest import SESSION_ID, make_config
from loopback import DropAfterRead, LoopbackServer, Raw, Reply, Truncated
from pytest_mock import MockerFixture

import gr4vy_fn as g
from gr4vy_fn import _redact
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
        text = text.replace(f"127.0.0.1:{server.port}", "127.0.0.1:<port>")  # its digits may spell the code
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


def _fields_update(number: str, code: str) -> g.Request[None]:
    card = g.CardPaymentMethod(number=number, expiration_date="12/30", security_code=code)
    return g.operations.update_checkout_session_fields(
        SESSION_ID, g.CheckoutSessionSecureFieldsUpdate(payment_method=card)
    )


def test_a_huge_error_message_is_clipped_once_and_shown_without_scanning_again(
    mocker: MockerFixture,
) -> None:
    """A 900 KB message and detail are scanned only as far as kept; repr and str scan nothing again."""
    huge = "abcdefghij -." * 70_000
    body = {"type": "error", "code": "bad", "message": huge, "details": [{"message": huge, "pointer": huge}]}
    scans = mocker.spy(_redact, "_spans")
    result = g.decode(_fields_update(CARD, CODE), g.HttpResponse(status=400, body=json.dumps(body).encode()))
    assert isinstance(result, g.ApiError)
    scanned = [len(call.args[0]) for call in scans.call_args_list]
    assert max(scanned) < 5 * g.errors.TEXT_LIMIT
    assert sum(length > g.errors.TEXT_LIMIT for length in scanned) == 3  # each long text once
    for text in (result.message, result.details[0].message, result.details[0].pointer):
        assert len(text) == g.errors.TEXT_LIMIT + 1
        assert text == huge[: g.errors.TEXT_LIMIT] + "…"
    scans.reset_mock()
    assert len(repr(result)) < 4 * g.errors.TEXT_LIMIT
    assert len(str(result)) < 2 * g.errors.TEXT_LIMIT
    assert [call.args[0] for call in scans.call_args_list] == ["400"]  # the status alone is scanned


@pytest.mark.parametrize("at", range(g.errors.TEXT_LIMIT - 40, g.errors.TEXT_LIMIT + 5, 3))
def test_a_card_number_cut_by_the_clip_leaves_no_part(at: int) -> None:
    """The request's card, grouped with wide gaps and straddling where a message is clipped, shows no part."""
    spelled = "4012    8888    8888    1881"
    body = {"type": "error", "code": "bad", "message": "x" * at + spelled + " y" * 3000}
    result = g.decode(_fields_update(CARD, CODE), g.HttpResponse(status=400, body=json.dumps(body).encode()))
    assert isinstance(result, g.ApiError)
    for part in ("4012", "8888", "1881"):
        assert part not in result.message


def test_an_error_made_by_hand_is_scrubbed_when_made() -> None:
    """An ApiError built directly scrubs its message once, so its repr shows no card number."""
    error = g.ErrorGeneric(status=400, message=f"card {CARD}", details=(g.ErrorDetail(message=CARD),))
    assert error.message == "card [redacted]"
    assert CARD not in repr(error) + str(error)


def _library_frames(error: BaseException) -> list[traceback.FrameSummary]:
    """The frames of this package on `error`'s traceback, with their locals as error trackers capture them."""
    captured = traceback.TracebackException.from_exception(error, capture_locals=True)
    return [
        frame
        for frame in captured.stack
        # Its modules, and the code it generates (named `<gr4vy_fn …>`), not attrs' `__init__`.
        if f"{os.sep}gr4vy_fn{os.sep}" in frame.filename or frame.filename.startswith("<gr4vy_fn")
    ]


REFUSED_INPUT = {
    "card with a bad expiry": lambda: g.CardPaymentMethod(
        number=CARD, expiration_date="13/99", security_code=CODE
    ),
    "card number with a letter": lambda: g.CardPaymentMethod(
        number=CARD + "x", expiration_date="12/30", security_code=CODE
    ),
    "card number as an int": lambda: g.CardPaymentMethod(
        number=int(CARD),  # type: ignore[arg-type]
        expiration_date="12/30",
        security_code=CODE,
    ),
    "from_dict with a bad expiry": lambda: g.from_dict(
        g.CheckoutSessionSecureFieldsUpdate,
        {
            "payment_method": {
                "method": "card",
                "number": CARD,
                "expiration_date": "13/99",
                "security_code": CODE,
            }
        },
    ),
    "token with a line break": lambda: g.Config(gr4vy_id="acme", bearer_token=f"{TOKEN} abc\n"),
    "token of bytes": lambda: g.Config(gr4vy_id="acme", bearer_token=TOKEN.encode()),  # type: ignore[arg-type]
    "token from the environment with a control character": lambda: g.Config.from_env(
        {"GR4VY_ID": "acme", "GR4VY_BEARER_TOKEN": f"{TOKEN}\x01"}
    ),
}


@pytest.mark.parametrize("make", REFUSED_INPUT.values(), ids=REFUSED_INPUT.keys())
def test_refused_input_leaves_no_secret_in_the_librarys_frames(make: Callable[[], object]) -> None:
    """A traceback of a ValidationError captured with locals shows no card, code or token in our frames."""
    with pytest.raises(g.ValidationError) as raised:
        make()
    frames = _library_frames(raised.value)
    assert frames  # the package's own frames are there, and their locals were captured
    shown = "\n".join(
        f"{frame.name}: {name} = {value}" for frame in frames for name, value in (frame.locals or {}).items()
    )
    for secret in (CARD, CODE, TOKEN):
        assert secret not in shown


@pytest.mark.skipif(importlib.util.find_spec("httpx") is None, reason="needs the httpx extra")
def test_httpx_loggers_raised_to_warning_log_no_echo(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    """With httpx and httpcore at WARNING, as the logging guide says, no echoed reason or header is logged."""
    from gr4vy_fn.transports import HttpxTransport

    for name in ("httpx", "httpcore"):
        caplog.set_level(logging.WARNING, logger=name)
    # Last, as each call sets the capturing handler's level too.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="gr4vy_fn")
    body = b'{"type":"error","code":"bad","message":"no"}'
    server.default = Raw(
        b"HTTP/1.1 400 Card "
        + CARD.encode()
        + b"\r\nContent-Type: application/json\r\nX-Echo: "
        + CARD.encode()
        + b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        + body
    )
    config = make_config(server.url, bearer_token=TOKEN, retry=g.RetryPolicy(max_attempts=1))
    result = g.get_checkout_session(SESSION_ID, config=config, transport=HttpxTransport())
    assert isinstance(result, g.ApiError)
    assert any(record.name == "gr4vy_fn" for record in caplog.records)  # DEBUG was on
    assert CARD not in caplog.text
    assert logging.getLogger("httpx").level == logging.WARNING  # as the application set it, untouched


def test_a_successful_answers_repr_hides_what_needs_no_request() -> None:
    """A session echoing a Bearer token, a JWT and a named security code hides them in its repr."""
    jwt = "eyJhbGciOiJFUzUxMiJ9.eyJzY29wZXMiOltdfQ.c2lnbmF0dXJl"
    note = f"auth Bearer {TOKEN}; {jwt}; cvv={CODE}"
    session = g.from_dict(g.CheckoutSession, {"id": SESSION_ID, "metadata": {"note": note}})
    assert session.metadata is not None
    assert session.metadata["note"] == note  # the attribute keeps what the server sent
    shown = repr(session)
    assert "auth Bearer [redacted]; [redacted]; cvv=[redacted]" in shown


def test_session_ids_are_never_taken_for_card_numbers() -> None:
    """Of 5,000 random UUIDs (some hold digit runs that pass the Luhn check), none is scrubbed."""
    ids = [str(uuid.UUID(int=random.Random(seed).getrandbits(128), version=4)) for seed in range(5000)]
    text = " ".join(ids)
    assert _redact.scrub(text) == text
    assert _redact.scrub(f"{ids[0]} 4111 1111 1111 1111") == f"{ids[0]} [redacted]"


def test_scrubbing_text_of_many_token_starts_ends_in_time() -> None:
    """256 KiB of `eyJeyJ…` (each a JWT's start) scrubs in well under the 50 s a scan from each took."""
    previous = signal.signal(signal.SIGALRM, _too_slow)
    signal.alarm(10)
    try:
        assert _redact.scrub("eyJ" * 87_000) == "eyJ" * 87_000
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _too_slow(*_: object) -> None:
    raise AssertionError("scrubbing took more than 10 s")
