"""Whatever a server echoes, however spelled and wherever it is cut, no card number or token shows."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import importlib.util
import json
import re
import traceback
from collections.abc import Callable

import pytest
from conftest import SESSION_ID, make_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.vendor.pretty import pretty
from loopback import LoopbackServer, Reply

import gr4vy_fn as g
from gr4vy_fn import aio
from gr4vy_fn._redact import excerpt, reach, scrub
from gr4vy_fn.testing import Emulator
from gr4vy_fn.transports import Urllib3Transport

# How a server may write the gap between two digit groups of a card number.
SEPARATORS = ("", " ", "-", ".", "/", "_", ",", "\t", "\u00a0", "  ")
FILLERS = ("x", "é", "€", "\U0001f600", " ", "<p>")  # one, two, three and four bytes in UTF-8
LIMIT = 256  # characters an excerpt shows
# Where a secret may be cut: the excerpt's limit, the end of what is scanned in
# characters, and (for four-byte text) in bytes.
EDGES = (LIMIT, 2 * LIMIT, 2 * LIMIT + reach())
SOCKET_EXAMPLES = 30

_ESCAPE = re.compile(r"\\+(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|([tnr]))")
_NUMBER = re.compile(r"\d(?:[\W_]{0,3}\d)*")


def _unescaped(text: str) -> str:
    """Undo the JSON and repr escapes a secret may hide behind in what is observed."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        return chr(int(code, 16)) if code else " "

    return _ESCAPE.sub(one, text)


def card_parts(observed: str, number: str, size: int = 6) -> list[str]:
    """Return every `size`-digit part of `number` found in a number, however spelled, in `observed`."""
    digits = [re.sub(r"\D", "", run) for run in _NUMBER.findall(_unescaped(observed))]
    parts = {number[i : i + size] for i in range(len(number) - size + 1)}
    return sorted(part for part in parts if any(part in run for run in digits))


def token_parts(observed: str, token: str, size: int = 8) -> list[str]:
    """Return every `size`-character part of `token` found, in any case, in `observed`."""
    seen = _unescaped(observed).lower()
    return sorted(
        {token[i : i + size] for i in range(len(token) - size + 1) if token[i : i + size].lower() in seen}
    )


def _check_digit(payload: str) -> str:
    total = 0
    for position, digit in enumerate(reversed(payload)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str(-total % 10)


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """A Luhn-valid number of 13 to 19 digits."""
    payload = draw(st.text("0123456789", min_size=12, max_size=18))
    return payload + _check_digit(payload)


def gaps_of(number: str, gap: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """A gap for each pair of neighbouring digits of `number`, drawn at once."""
    return st.lists(gap, min_size=len(number) - 1, max_size=len(number) - 1)


def with_gaps(number: str, gaps: list[str]) -> str:
    return number[0] + "".join(gap + digit for gap, digit in zip(gaps, number[1:], strict=True))


# A gap between two digits: none half the time, else any separator; one draw, not two.
GAPS = st.sampled_from(("",) * len(SEPARATORS) + SEPARATORS)


@st.composite
def spellings(draw: st.DrawFn, number: str) -> str:
    """`number` in digit groups of any size, each gap written with any of the separators."""
    return with_gaps(number, draw(gaps_of(number, GAPS)))


# Random-looking however hypothesis shrinks the seed, so that no part of a token
# is a word that shows anyway (a header name, say).
tokens = st.tuples(st.binary(max_size=8), st.integers(16, 43)).map(
    lambda drawn: "tok_" + base64.urlsafe_b64encode(hashlib.sha256(drawn[0]).digest()).decode()[: drawn[1]]
)
case_changes: st.SearchStrategy[Callable[[str], str]] = st.sampled_from(
    [str.upper, str.lower, str.swapcase, str.title]
)
positions = st.sampled_from(EDGES).flatmap(lambda edge: st.integers(edge - 40, edge + 5)) | st.integers(
    0, 1200
)


@st.composite
def echoes(draw: st.DrawFn, secret: str) -> tuple[Reply, str]:
    """A reply that echoes `secret` in a JSON message, an HTML page, a header or a field's name; and where."""
    filler = draw(st.sampled_from(FILLERS))
    before = (filler * draw(positions))[: draw(positions)] or "x"
    where = draw(st.sampled_from(["message", "detail", "page", "header", "field name"]))
    # Escaped copies, which scrubbing shrinks, pull what follows towards the start
    # (only where `before` is kept whole: a cut copy is no longer a card number).
    if where in ("message", "detail", "page") and draw(st.booleans()):
        copy = "".join(f"\\u{ord(char):04x}" for char in secret) + " "
        before = copy * (len(before) // len(copy)) + before[: len(before) % len(copy)] or "x"
    after = filler * draw(st.integers(0, 300))
    escape_digits = draw(st.booleans())

    def written(text: str, *, ascii_only: bool) -> str:
        # As a JSON string's content; digits escaped as \u0034 when drawn so.
        return "".join(
            f"\\u{ord(char):04x}"
            if escape_digits and char.isdigit()
            else json.dumps(char, ensure_ascii=ascii_only)[1:-1]
            for char in text
        )

    if where in ("message", "detail"):
        ascii_only = draw(st.booleans())
        text = written(before, ascii_only=ascii_only) + written(secret, ascii_only=ascii_only)
        text += written(after, ascii_only=ascii_only)
        message = f'"message":"{text}"'
        inner = (
            f'"details":[{{"location":"body","type":"x","pointer":"/a","{message[1:]}}}]'
            if where == "detail"
            else message
        )
        body = f'{{"type":"error","code":"bad_request",{inner}}}'.encode()
        return Reply(draw(st.sampled_from([400, 403, 422, 500])), body), where
    if where == "field name":  # a session of the wrong shape: the reason names the field
        session = {"type": "checkout-session", "id": SESSION_ID, "metadata": {before[-30:] + secret: 5}}
        return Reply(200, json.dumps(session).encode()), where
    if where == "page":
        page = (before + secret + after).encode()
        return Reply(502, page, (("Content-Type", "text/html"),)), where
    value = (before[-60:] + secret + after[:40]).encode("latin-1", "replace").decode("latin-1")
    body = b'{"type":"error","code":"forbidden","message":"no"}'
    return Reply(403, body, (("Content-Type", "application/json"), ("X-Echo", value))), where


def observed(result: object, *known: str) -> str:
    """Everything a caller sees of an error: str, repr, fields, headers, a traceback with its locals."""
    assert isinstance(result, g.Gr4vyError)
    seen = [str(result), repr(result)]
    for name in ("message", "excerpt", "reason", "details", "code"):
        seen.append(str(getattr(result, name, "")))
    headers = getattr(result, "headers", {})
    seen += [repr(headers), str(dict(headers))]
    try:
        g.unwrap(result)
    except g.Gr4vyError as error:
        seen.extend(traceback.TracebackException.from_exception(error, capture_locals=True).format())
        seen.append(traceback.format_exc())
    text = "\n".join(seen)
    for value in known:  # numbers that are not secrets: the session id, the server's address
        text = text.replace(value, "")
    return text


def get(server: LoopbackServer, token: str) -> object:
    config = make_config(server.url, bearer_token=token, retry=g.RetryPolicy(max_attempts=1))
    return g.get_checkout_session(SESSION_ID, config=config, transport=Urllib3Transport())


@settings(
    max_examples=SOCKET_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), number=card_numbers())
def test_an_echoed_card_number_never_shows(data: st.DataObject, number: str, server: LoopbackServer) -> None:
    """A Luhn-valid number, however grouped, escaped or placed in an error answer, shows nowhere."""
    spelled = data.draw(spellings(number))
    server.default, where = data.draw(echoes(spelled))
    result = get(server, "tok_not_echoed_here")
    assert card_parts(observed(result, SESSION_ID, server.url), number) == [], where


@settings(
    max_examples=SOCKET_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), token=tokens, change=case_changes, bearer=st.booleans())
def test_an_echoed_token_never_shows_in_any_case(
    data: st.DataObject, token: str, change: Callable[[str], str], bearer: bool, server: LoopbackServer
) -> None:
    """The request's token, echoed in any letter case, with or without `Bearer`, anywhere, shows nowhere."""
    server.default, where = data.draw(echoes(("Bearer " if bearer else "") + change(token)))
    result = get(server, token)
    assert token_parts(observed(result, SESSION_ID, server.url), token) == [], where


@settings(
    max_examples=SOCKET_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), number=card_numbers(), field=st.sampled_from(["metadata", "label", "name", "key"]))
def test_a_card_number_in_a_successful_answer_never_shows_in_its_repr(
    data: st.DataObject, number: str, field: str, server: LoopbackServer
) -> None:
    """A server echoing a card number in a session's fields: the session's repr and str do not show it."""
    spelled = data.draw(spellings(number))
    session: dict[str, object] = {"type": "checkout-session", "id": SESSION_ID, "amount": 1299}
    if field == "metadata":
        session["metadata"] = {"note": f"card {spelled} on file"}
    elif field == "key":
        session["metadata"] = {spelled: "x"}
    elif field == "label":
        session["payment_method"] = {"type": "payment-method", "method": "card", "label": spelled}
    else:
        session["cart_items"] = [{"name": f"Gift for {spelled}", "quantity": 1, "unit_amount": 100}]
    server.default = Reply(200, json.dumps(session).encode())
    result = get(server, "tok_not_echoed_here")
    assert isinstance(result, g.CheckoutSession)
    assert card_parts(repr(result) + str(result), number) == []


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    number=card_numbers(),
    token=tokens,
    filler=st.sampled_from(FILLERS),
    at=st.sampled_from(EDGES).flatmap(lambda edge: st.integers(edge - 30, edge + 3)),
)
def test_a_secret_cut_by_the_excerpts_window_leaves_no_part(
    data: st.DataObject, number: str, token: str, filler: str, at: int
) -> None:
    """A card number or token straddling any edge of what an excerpt scans shows no part of itself."""
    card = data.draw(spellings(number))
    window_bytes = 4 * (2 * LIMIT + reach((token,)))
    # Escaped copies of the token, which scrubbing shrinks to a few characters,
    # pull what follows them towards the start of the excerpt.
    escaped = "".join(f"\\u{ord(char):04x}" for char in token) + " "
    shrinking = escaped * (at // len(escaped))
    for prefix in (
        filler * at,
        filler * ((window_bytes - len(card) // 2) // len(filler.encode())),
        shrinking + filler * (at - len(shrinking)),
    ):
        for secret in (card, token.upper()):
            text = excerpt((prefix + secret + " " + filler * 400).encode(), (token,))
            assert card_parts(text, number) == []
            assert token_parts(text, token) == []


def test_an_echoed_security_code_next_to_its_name_is_hidden() -> None:
    """Three or four digits written after a security-code field name are hidden, in JSON or in prose."""
    for echoed in (
        '{"security_code": "7319"}',
        "security_code=7319",
        "CVV: 731",
        "cvc2 '7319'",
        '\\"securityCode\\": \\"7319\\"',
        "security code 7319",
    ):
        assert "731" not in scrub(echoed), echoed


def test_numbers_that_are_not_card_numbers_are_kept() -> None:
    """Session ids, amounts, dates and numbers that fail the Luhn check are shown as they are."""
    text = (
        "session 8724fd24-5489-4a5d-90fd-0604df7d3b83 amount 1299 at 2026-11-27T03:29:43Z "
        "order 4012888888881882 ref 12345678901234567890123"
    )
    assert scrub(text) == text


@pytest.mark.parametrize(
    "adapter", [name for name in ("aiohttp", "httpx") if importlib.util.find_spec(name) is not None]
)
def test_the_async_adapters_scrub_the_same(adapter: str, server: LoopbackServer) -> None:
    """Through an async adapter too, an upper-cased token and a slash-grouped card show nowhere."""
    token, number = "tok_5b8e1c0f9d2a77aa", "4012888888881881"
    body = json.dumps({"type": "error", "code": "bad", "message": f"{token.upper()} 4012/8888/8888/1881"})
    server.default = Reply(400, body.encode(), (("X-Echo", f"bearer {token.upper()} 4012_8888_8888_1881"),))

    async def call() -> object:
        transport = aio.AiohttpTransport() if adapter == "aiohttp" else aio.HttpxTransport()
        try:
            config = make_config(server.url, bearer_token=token, retry=g.RetryPolicy(max_attempts=1))
            return await aio.get_checkout_session(SESSION_ID, config=config, transport=transport)
        finally:
            await transport.aclose()

    result = asyncio.run(call())
    assert isinstance(result, g.ApiError)
    text = observed(result, SESSION_ID, server.url)
    assert card_parts(text, number) == []
    assert token_parts(text, token) == []


def test_the_test_servers_logs_show_no_secret(server: LoopbackServer) -> None:
    """The fault server's and the emulator's records of what they received show no card, code or token."""
    token, number, code = "tok_5b8e1c0f9d2a77aa", "4012888888881881", "7319"
    card = g.CardPaymentMethod(number=number, expiration_date="12/30", security_code=code)
    update = g.CheckoutSessionSecureFieldsUpdate(payment_method=card)
    server.default = Reply(204)
    config = make_config(server.url, bearer_token=token, retry=g.RetryPolicy(max_attempts=1))
    g.update_checkout_session_fields(SESSION_ID, update, config=config, transport=Urllib3Transport())
    emulator = Emulator()
    created = g.new_checkout_session(
        g.CheckoutSessionCreateRequest(metadata={"note": number}),
        config=config,
        transport=emulator.transport(),
    )
    assert isinstance(created, g.CheckoutSession)
    g.update_checkout_session_fields(created.id, update, config=config, transport=emulator.transport())
    assert len(server.received) == 1
    assert len(emulator.requests) == 2
    shown = (repr(server.received), str(server.received), repr(emulator.requests))
    for text in (*shown, pretty(server.received), pretty(emulator.requests)):
        assert card_parts(text, number) == []
        assert token not in text
        assert code not in text


def test_headers_show_no_card_number_or_token() -> None:
    """Headers, as any response shows them, hide card numbers and what follows `Bearer`, in any header."""
    response = g.HttpResponse(
        status=200, headers={"X-Echo": "bearer tok_5b8e1c0f9d2a77aa", "X-Card": "4012 8888/8888_1881"}
    )
    text = repr(response) + repr(response.headers)
    assert "tok_5b8e1c0f9d2a77aa" not in text
    assert card_parts(text, "4012888888881881") == []


def test_pretty_printers_show_models_as_their_repr_does() -> None:
    """Hypothesis' and IPython's pretty printers, which read attrs fields, show a card as its repr does."""
    card = g.CardPaymentMethod(number="4012888888881881", expiration_date="12/30", security_code="7319")
    update = g.CheckoutSessionSecureFieldsUpdate(payment_method=card)
    assert pretty(update) == repr(update)
    assert "4012888888881881" not in pretty(update)


def test_past_its_budget_the_card_scan_hides_every_long_run() -> None:
    """Text made to cost time (thousands of digit groups) is scanned once; runs that may be cards hide."""
    crowd = "1 " * 15_000  # one run of 15,000 digit groups, none of its stretches a card number
    text = f"{crowd}end; then 4012 8888 8888 1881 and order 12 at 2026-11-27"
    shown = scrub(text)
    assert "1 1 1" not in shown
    assert card_parts(shown, "4012888888881881") == []
    assert shown.endswith("end; then [redacted] and order 12 at 2026-11-27")


# Gaps a server may put between the groups of the request's own card number.
WIDE_GAPS = (
    "    ",
    "\n        ",
    "\u200b",
    ":",
    " | ",
    '","',
    '", "',
    "\\u200b",
    "\\n\\t\\t",
    "\u00a0\u00a0\u00a0\u00a0",
)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), number=card_numbers(), token=tokens)
def test_the_requests_own_card_is_hidden_however_wide_its_gaps(
    data: st.DataObject, number: str, token: str
) -> None:
    """The request's own card number, its digits split by any gaps without letters or digits, never shows."""
    wide = with_gaps(number, data.draw(gaps_of(number, st.sampled_from(("", *WIDE_GAPS)))))
    for text in (f"x {wide} y", f'{{"message": "card [{wide}] refused"}}'):
        shown = scrub(text, (token, number, "737"))
        digits = re.sub(r"\D", "", _unescaped(shown))
        assert [number[i : i + 6] for i in range(len(number) - 5) if number[i : i + 6] in digits] == []


def test_the_requests_own_card_in_a_json_array_of_groups_is_hidden(server: LoopbackServer) -> None:
    """A server echoing the card being sent as a pretty-printed array of its groups shows no group."""
    number, code, token = "4012888888881881", "7319", "tok_5b8e1c0f9d2a77aa"
    groups = json.dumps([number[i : i + 4] for i in range(0, 16, 4)], indent=8)
    body = json.dumps({"type": "error", "code": "bad", "message": f"card {groups} refused"})
    server.default = Reply(400, body.encode())
    card = g.CardPaymentMethod(number=number, expiration_date="12/30", security_code=code)
    update = g.CheckoutSessionSecureFieldsUpdate(payment_method=card)
    config = make_config(server.url, bearer_token=token, retry=g.RetryPolicy(max_attempts=1))
    result = g.update_checkout_session_fields(SESSION_ID, update, config=config, transport=Urllib3Transport())
    text = observed(result, SESSION_ID, server.url)
    assert re.findall(r"4012|8888|1881", text) == []
    assert isinstance(result, g.ApiError)
    assert result.message == 'card [\n        "[redacted]"\n] refused'


def test_the_requests_own_security_code_is_hidden_only_as_a_whole_number() -> None:
    """The code sent is hidden where it stands alone, kept inside an id, an amount, a time or a word."""
    secrets = ("tok_5b8e1c0f9d2a77aa", "4012888888881881", "123")
    kept = (
        "checkout session 0f3a1230-8e0d-4f0c-9c1c-6f5f9b3e9a11 not found",
        "amount 1230 at 2026-11-27T05:00:00.123456Z",
        "ref A123B, count 51234, code_1234",
    )
    for text in kept:
        assert scrub(text, secrets) == text
    for text, shown in (
        ("line 123, column 45", "line [redacted], column 45"),
        ('{"code": "123"}', '{"code": "[redacted]"}'),
        ("rejected \\u0031\\u0032\\u0033.", "rejected [redacted]."),
    ):
        assert scrub(text, secrets) == shown


def test_the_word_bearer_hides_only_what_looks_like_a_token() -> None:
    """`bearer of bad news` is kept; a long token, or one with digits, symbols or capitals, is hidden."""
    assert scrub("bearer of bad news") == "bearer of bad news"
    for token in ("s3cr3t-t0ken", "abcdefghijklmnopqrstu", "AbCdEf", "a.b"):
        assert scrub(f"Authorization: Bearer {token};") == "Authorization: Bearer [redacted];", token


def test_the_requests_own_card_cut_by_the_excerpts_window_leaves_no_part() -> None:
    """The request's card, sixteen escaped tabs between digits, cut by the scanned window, shows no part."""
    number, token = "4012888888881881235", "tok_5b8e1c0f9d2a77aa"
    spelled = ("\\t" * 16).join(number)
    # Escaped copies of the token, which scrubbing shrinks, pull the card towards the start.
    copy = "".join(f"\\u{ord(char):04x}" for char in token) + " "
    for copies in range(8):
        for pad in range(0, 400, 10):
            body = copy * copies + "x" * pad + spelled + " " + "x" * 2000
            digits = re.sub(r"\D", "", excerpt(body.encode(), (token, number)))
            assert [number[i : i + 4] for i in range(16) if number[i : i + 4] in digits] == [], (copies, pad)
