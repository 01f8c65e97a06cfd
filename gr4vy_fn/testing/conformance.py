"""A transport conformance suite: faults from a real server on loopback, and what a transport must do.

Run it against your own `Transport` factory (a zero-argument callable that
returns a fresh transport)::

    import pytest
    from gr4vy_fn.testing.conformance import CHECKS, run_check

    @pytest.mark.parametrize("check", CHECKS, ids=str)
    def test_my_transport(check):
        run_check(check, MyTransport)

or all at once with `check_transport(MyTransport)`, which raises on the first
failure. An async transport (`async def send(request, timeout)`) runs the
same table with `await arun_check(check, make_transport)` or
`check_async_transport(make_transport)`.

Every check sends a card fields update (a card number, a security code and a
bearer token on the wire), so every check that ends in an error also checks
that none of these secrets shows in the error's `str` or `repr`, or in the
locals of any frame of its traceback (or of the exception it was raised
from, unless raised `from None`).

`check_guest` (and `check_async_guest`) make whole calls through a transport
(`gr4vy_fn.send`, `gr4vy_fn.aio.send`) and raise GuestFailure unless a record
the application makes on the HTTP libraries' loggers outside a call (before,
after, or on another thread during an attempt) reaches the handlers exactly
as made (its message template, arguments and `exc_info`), and a call whose
transport raised something unexpected (a bug, a cancelled task) leaves no
secret in the caller's context and no filter on any logger.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import inspect
import logging
import re
import socket
import ssl
import sys
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Protocol, TypeVar
from unittest import mock

from .. import operations
from .._http import HttpRequest, HttpResponse, Timeout, Transport
from .._prepare import prepare
from ..calls._async import send as async_send
from ..calls._log_scrub import LIBRARY_LOGGERS, attempt_scope, attempt_secrets, end_attempt
from ..calls._sync import send
from ..config import Config
from ..errors import (
    ConnectError,
    ConnectionDropped,
    ReadTimeout,
    ResponseTooLarge,
    TlsError,
    TransportError,
)
from ..models import CardPaymentMethod, CheckoutSessionSecureFieldsUpdate
from ..retry import RetryPolicy
from ._faults import (
    Action,
    DropAfterRead,
    DropBeforeRead,
    Endless,
    FaultServer,
    Raw,
    Reply,
    Reset,
    ResetBeforeRead,
    Trickle,
    Truncated,
    serving,
)

__all__ = [
    "CHECKS",
    "MAX_RESPONSE_BYTES",
    "Check",
    "ConformanceFailure",
    "GuestFailure",
    "Outcome",
    "acheck_many_callers",
    "arun_check",
    "check_async_transport",
    "check_many_callers",
    "check_transport",
    "check_async_guest",
    "check_guest",
    "checks",
    "run_check",
]

MAX_RESPONSE_BYTES = 1 << 20
"""The body size limit the checks assume unless told (the shipped transports' default)."""

# The secrets every check puts on the wire. Module globals, not locals, so the
# frames of this module never hold them while an error is inspected.
_CARD = "4012888888881881"
_SECURITY_CODE = "8317"
_TOKEN = "conformance-token-5b8e1c0f9d2a"  # noqa: S105 - made up, to be looked for
_SECRETS = (_CARD, _SECURITY_CODE, _TOKEN)
# The security code counts only as a whole number: a clock reading such as 28317.4 in a local
# holds its four digits by chance, not the code. The card and the token count anywhere.
_A_SECRET = re.compile(rf"{_CARD}|(?<!\d){_SECURITY_CODE}(?!\d)|{re.escape(_TOKEN)}")
_SESSION_ID = "8724fd24-5489-4a5d-90fd-0604df7d3b83"
_UNRESOLVABLE = "https://gr4vy-conformance.invalid"
_ONE_ATTEMPT = RetryPolicy(max_attempts=1)
_T = TypeVar("_T")

_MARGIN = 0.5
"""Seconds a transport may take past the timeout that bounds a check (scheduling, closing)."""
_QUICK = Timeout(connect=2.0, read=2.0, total=5.0)
# The read timeout of the read_timeout check. It starts once the request is written, and on loopback
# writing it completes in the kernel whatever the server does: nothing has to happen before it runs out.
_SHORT_READ = 0.05
# The trickled_headers check: its Timeout.total, and how long its trickle of headers lasts. Nothing has
# to happen before that total runs out (an error raised before the request went out is an error too).
# The trickle must outlast the total plus the margin, so that a transport that looks at its deadline
# only once the head is complete answers too late and fails; the server sends the last byte no sooner
# than that, so such a transport fails every time, by the 0.15 s to spare. Its bytes come 13 ms apart,
# well within the total, so a transport that takes the total as a per-read timeout fails as well.
_TRICKLE_TOTAL = 0.05
_TRICKLE_SECONDS = _TRICKLE_TOTAL + _MARGIN + 0.15
_TRICKLED_HEAD = b"HTTP/1.1 201 Created\r\nX-Slow: " + b"s" * 20 + b"\r\n\r\n"

_SESSION = b'{"type":"checkout-session","id":"' + _SESSION_ID.encode() + b'"}'
_OTHER_SESSION = b'{"type":"checkout-session","id":"0d6f2a7e-5b3c-4c1e-9a8f-2e4b6c8d0a1f"}'
# A server that echoes what it was sent, where the transports' libraries log it.
_ECHOED = f"Bearer {_TOKEN} {_CARD} cvv {_SECURITY_CODE}".encode()
_ECHOING_HEAD = (
    b"HTTP/1.1 201 Created\r\nX-Echo: " + _ECHOED + b"\r\n" + _ECHOED + b"\r\n"
    b"Content-Length: %d\r\n\r\n" % len(_SESSION)
)
_HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


class _AsyncTransport(Protocol):
    """What the async runner needs: `async def send(request, timeout)` (gr4vy_fn's AsyncTransport shape)."""

    async def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Send the request and return the whole response."""
        ...


class ConformanceFailure(AssertionError):
    """A transport did not do what a check requires; the message names the check and what happened."""


@dataclass(frozen=True)
class Outcome:
    """What one send did: its answer or the exception it raised, how long it took, what the server saw."""

    response: HttpResponse | None
    error: BaseException | None
    elapsed: float
    server: FaultServer | None
    peak_memory: int | None = None
    logs: tuple[str, ...] = ()
    """Every log record any logger made during the sends, as a handler would write it."""

    @property
    def requests(self) -> int:
        """How many requests reached the server."""
        return len(self.server.received) if self.server else 0


Target = Literal["loopback", "refused", "unresolvable", "untrusted"]


@dataclass(frozen=True)
class Check:
    """One fault and the outcome it requires: the server's script, the timeout, and the verdict."""

    name: str
    behaviour: str
    script: tuple[Action, ...] = ()
    expect: Callable[[Outcome], None] = field(default=lambda outcome: None, repr=False)
    timeout: Timeout = _QUICK
    target: Target = "loopback"
    measure_memory: bool = False
    send_again: bool = False
    """Send the request a second time on the same transport; the verdict sees that answer (or error)."""

    def __str__(self) -> str:
        return self.name


# --- verdicts ---


def _fail(outcome: Outcome, wanted: str) -> None:
    got = f"returned {outcome.response!r}"
    if outcome.error is not None:
        text = str(outcome.error)
        shown = "<withheld: it holds a secret>" if any(secret in text for secret in _SECRETS) else text
        got = f"raised {type(outcome.error).__name__}: {shown}"
    msg = f"expected {wanted}; the transport {got} after {outcome.elapsed:.2f} s"
    raise ConformanceFailure(msg)


def _raised(
    kind: type[TransportError] | tuple[type[TransportError], ...],
    request_sent: bool | None = None,
    *,
    within: float | None = None,
    memory: int | None = None,
) -> Callable[[Outcome], None]:
    """Require a `kind` error, with `request_sent` as given (None: either) and a TlsError's `verification`.

    With `within`, it must come within that many seconds plus the margin; with
    `memory`, the memory allocated during the send must stay under that many bytes.
    """
    names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
    sent = "" if request_sent is None else f" with request_sent={request_sent}"

    def verdict(outcome: Outcome) -> None:
        error = outcome.error
        if not isinstance(error, kind) or (
            request_sent is not None and error.request_sent is not request_sent
        ):
            _fail(outcome, f"{names}{sent}")
        if kind is TlsError and isinstance(error, TlsError) and not error.verification:
            _fail(outcome, "TlsError with verification=True")
        if within is not None and outcome.elapsed > within + _MARGIN:
            _fail(outcome, f"an outcome within {within + _MARGIN:.2f} s")
        if memory is not None and outcome.peak_memory is not None and outcome.peak_memory > memory:
            _fail(outcome, f"at most {memory} bytes allocated, not {outcome.peak_memory}")

    return verdict


def _answered(status: int, body: bytes) -> Callable[[Outcome], None]:
    """Require the answer `status` with `body`, as the server sent it, from exactly one request."""

    def verdict(outcome: Outcome) -> None:
        response = outcome.response
        if response is None or response.status != status:
            _fail(outcome, f"an HttpResponse with status {status}")
        elif response.body != body:
            _fail(outcome, f"the body as sent ({len(body)} bytes), not {len(response.body)} bytes")

    return verdict


def _the_request_as_given(outcome: Outcome) -> None:
    """Require the request on the wire as prepared: method, path, headers and body."""
    _answered(201, _SESSION)(outcome)
    assert outcome.server is not None
    [received] = outcome.server.received
    sent = _request(outcome.server.url)
    headers = {name.lower(): value for name, value in received.headers.items()}
    if (received.method, f"{outcome.server.url}{received.path}") != (sent.method, sent.url):
        _fail(outcome, f"{sent.method} {sent.url} on the wire, not {received.method} {received.path}")
    if received.body != sent.body:
        _fail(outcome, "the request body on the wire as given")
    for name, value in sent.headers.lower_items():
        if headers.get(name) != value:
            _fail(outcome, f"the header {name} on the wire as given")


# --- the table ---


def _answer(body: bytes) -> bytes:
    return (
        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body
    )


def _gzip_bomb(inflated: int) -> bytes:
    return gzip.compress(b"\0" * inflated, compresslevel=9)


def checks(max_response_bytes: int = MAX_RESPONSE_BYTES) -> list[Check]:
    """Return the checks for a transport that refuses bodies over `max_response_bytes`."""
    limit = max_response_bytes
    # What reading a body under the limit may cost, several times over; reading it all costs far more.
    memory = 4 * limit + (4 << 20)
    huge = 16 * limit
    too_large = _raised(ResponseTooLarge, True, memory=memory)
    # Refused in time and in bounded memory: what an endless or oversized body must get.
    refused_promptly = _raised(ResponseTooLarge, True, within=_QUICK.total or 0, memory=memory)
    dropped = _raised(ConnectionDropped, request_sent=True)
    # The server never read the request: whether a byte went out before the close is the transport's to
    # know (request_sent=False only then); either way the class says the connection failed.
    unread = _raised((ConnectionDropped, ConnectError))
    return [
        Check(
            "sends_the_request_as_given",
            "the method, URL, headers and body reach the server unchanged; the answer comes back whole",
            (Reply(201, _SESSION),),
            _the_request_as_given,
        ),
        Check(
            "refused_connection",
            "nothing listens: ConnectError with request_sent=False",
            expect=_raised(ConnectError, False, within=_QUICK.connect or 0),
            target="refused",
        ),
        Check(
            "unresolvable_host",
            "the host name does not resolve: ConnectError with request_sent=False",
            expect=_raised(ConnectError, request_sent=False),
            target="unresolvable",
        ),
        Check(
            "closed_before_reading",
            "the server closes without reading: ConnectionDropped (or ConnectError before any byte went out)",
            (DropBeforeRead(), Reply(201, _SESSION)),
            unread,
        ),
        Check(
            "reset_before_reading",
            "the server resets without reading: ConnectionDropped (or ConnectError before any byte went out)",
            (ResetBeforeRead(), Reply(201, _SESSION)),
            unread,
        ),
        Check(
            "closed_after_reading",
            "the server reads and closes: ConnectionDropped, request_sent=True, not sent again",
            (DropAfterRead(), Reply(201, _SESSION)),
            dropped,
        ),
        Check(
            "reset_after_reading",
            "the server reads and resets: ConnectionDropped, request_sent=True, not sent again",
            (Reset(), Reply(201, _SESSION)),
            dropped,
        ),
        Check(
            "read_timeout",
            "no answer within the read timeout: ReadTimeout, request_sent=True",
            (Reply(201, _SESSION, delay=5),),
            _raised(ReadTimeout, True, within=_SHORT_READ),
            timeout=Timeout(connect=2, read=_SHORT_READ, total=5),
        ),
        Check(
            "truncated_body",
            "a body shorter than its Content-Length: ConnectionDropped, request_sent=True",
            (Truncated(201, _SESSION, sent=20),),
            dropped,
        ),
        Check(
            "truncated_chunked_body",
            "a chunked body cut off mid-chunk: ConnectionDropped, request_sent=True",
            (Raw(b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + _SESSION[:20]),),
            dropped,
        ),
        Check(
            "declared_oversized_body",
            "a Content-Length over the limit: ResponseTooLarge, without reading the body",
            (Endless(200, declared=huge, limit=huge),),
            refused_promptly,
            measure_memory=True,
        ),
        Check(
            "endless_body",
            "a close-delimited body that never ends: ResponseTooLarge once past the limit",
            (Endless(200, limit=huge),),
            refused_promptly,
            measure_memory=True,
        ),
        Check(
            "endless_chunked_body",
            "a chunked body that never ends: ResponseTooLarge once past the limit",
            (Endless(200, chunked=True, limit=huge),),
            refused_promptly,
            measure_memory=True,
        ),
        Check(
            "gzip_bomb",
            "a small gzip body that inflates past the limit: ResponseTooLarge, in bounded memory",
            (Reply(200, _gzip_bomb(huge), (("Content-Encoding", "gzip"),)),),
            too_large,
            measure_memory=True,
        ),
        Check(
            "gzip_body",
            "a gzip body under the limit comes back inflated",
            (Reply(201, gzip.compress(_SESSION), (("Content-Encoding", "gzip"),)),),
            _answered(201, _SESSION),
        ),
        Check(
            "html_502",
            "a proxy's HTML 502 comes back as it is: status 502, the HTML body, sent once",
            (Reply(502, _HTML_502, (("Content-Type", "text/html"),)), Reply(201, _SESSION)),
            _answered(502, _HTML_502),
        ),
        Check(
            "redirect_not_followed",
            "a 307 comes back as it is: the transport follows no redirect",
            (Reply(307, b"", (("Location", "/elsewhere"),)), Reply(201, _SESSION)),
            _answered(307, b""),
        ),
        Check(
            "interim_answers",
            "100 Continue, 102 Processing and 103 Early Hints before the answer: the final answer",
            (
                Raw(
                    b"HTTP/1.1 100 Continue\r\n\r\n"
                    b"HTTP/1.1 102 Processing\r\n\r\n"
                    b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + _answer(_SESSION)
                ),
            ),
            _answered(201, _SESSION),
        ),
        Check(
            "trickled_headers",
            "headers one byte at a time, each within the read timeout: an error within Timeout.total",
            (Trickle(_TRICKLED_HEAD, interval=_TRICKLE_SECONDS / len(_TRICKLED_HEAD)),),
            _raised(TransportError, within=_TRICKLE_TOTAL),
            timeout=Timeout(connect=2, read=1, total=_TRICKLE_TOTAL),
        ),
        Check(
            "surplus_bytes",
            "an answer, a second behind it in the same write, then another send: never that second answer",
            (Raw(_answer(_SESSION) + _answer(_OTHER_SESSION), close=False), Reply(201, _SESSION)),
            _answered(201, _SESSION),
            send_again=True,
        ),
        Check(
            "head_cut_short",
            "a status line and part of a header, then a close: ConnectionDropped, request_sent=True",
            (Raw(b"HTTP/1.1 201 Created\r\nContent-Ty"),),
            dropped,
        ),
        Check(
            "signed_content_length",
            "Content-Length: +N (int() reads it, HTTP does not): ConnectionDropped, request_sent=True",
            (Raw(b"HTTP/1.1 201 Created\r\nContent-Length: +%d\r\n\r\n" % len(_SESSION) + _SESSION),),
            dropped,
        ),
        Check(
            "underscored_content_length",
            "Content-Length: 1_0 (int() reads it, HTTP does not): ConnectionDropped, request_sent=True",
            (Raw(b"HTTP/1.1 201 Created\r\nContent-Length: 1_0\r\n\r\n" + _SESSION[:10]),),
            dropped,
        ),
        Check(
            "negative_chunk_size",
            "a chunk size of -1: ConnectionDropped, request_sent=True",
            (Raw(b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n" + _SESSION),),
            dropped,
        ),
        Check(
            "echoed_secrets",
            "the request's token and card echoed in the head, in a header and in a line that is no header: "
            "no secret in any log record",
            (Raw(_ECHOING_HEAD + _SESSION),),  # any answer or TransportError will do
        ),
        Check(
            "stacked_gzip_bomb",
            "Content-Encoding: gzip, gzip, each layer a bomb: ResponseTooLarge, in bounded memory",
            (Reply(200, gzip.compress(_gzip_bomb(huge)), (("Content-Encoding", "gzip, gzip"),)),),
            too_large,
            measure_memory=True,
        ),
        Check(
            "untrusted_certificate",
            "a certificate no trusted authority signed: TlsError(verification=True), request_sent=False",
            expect=_raised(TlsError, False),
            target="untrusted",
        ),
    ]


CHECKS: list[Check] = checks()
"""The checks for a transport with the default body size limit (1 MiB)."""


# --- running one check ---


def _update(base_url: str) -> tuple[Any, Config]:
    """A card fields update carrying every secret (card number, security code, token), and its Config."""
    card = CardPaymentMethod(number=_CARD, expiration_date="12/30", security_code=_SECURITY_CODE)
    update = operations.update_checkout_session_fields(
        _SESSION_ID, CheckoutSessionSecureFieldsUpdate(payment_method=card)
    )
    return update, Config(server_url=base_url, bearer_token=_TOKEN, retry=_ONE_ATTEMPT)


def _request(base_url: str) -> HttpRequest:
    return prepare(*_update(base_url))


@contextlib.contextmanager
def _target(check: Check) -> Iterator[tuple[str, FaultServer | None]]:
    """Set up what the check sends to: a scripted server, a closed port, a name that does not resolve."""
    if check.target == "refused":
        with socket.socket() as bound:  # bound, never listening: connecting is refused
            bound.bind(("127.0.0.1", 0))
            yield f"http://127.0.0.1:{bound.getsockname()[1]}", None
    elif check.target == "unresolvable":
        with mock.patch("socket.getaddrinfo", side_effect=socket.gaierror(socket.EAI_NONAME, "not known")):
            yield _UNRESOLVABLE, None
    else:
        with serving(_untrusted_tls() if check.target == "untrusted" else None, DropAfterRead()) as server:
            server.then(*check.script)
            yield server.url, server


@functools.cache
def _untrusted_tls() -> ssl.SSLContext:
    try:
        import trustme
    except ImportError:  # pragma: no cover - trustme is in the test extra
        msg = "the untrusted_certificate check needs trustme: pip install trustme"
        raise ConformanceFailure(msg) from None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    return context


@contextlib.contextmanager
def _memory(measure: bool) -> Iterator[list[int]]:
    peak: list[int] = []
    if not measure or tracemalloc.is_tracing():
        yield peak
        return
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


def _judge(check: Check, outcome: Outcome) -> None:
    try:
        if outcome.error is not None and not isinstance(outcome.error, TransportError):
            _fail(outcome, "a TransportError subclass or an answer, never another exception")
        sends = 2 if check.send_again else 1
        if outcome.server is not None and outcome.requests > sends:
            _fail(outcome, f"exactly one request on the wire per send, not {outcome.requests} for {sends}")
        if outcome.error is not None:
            _no_secrets(outcome)
        for line in outcome.logs:
            if any(secret in line for secret in _SECRETS) and _A_SECRET.search(line):
                _fail(outcome, "no card number, security code or token in any log record")
        check.expect(outcome)
    except ConformanceFailure as failure:
        msg = f"{check.name}: {check.behaviour}\n  {failure}"
        raise ConformanceFailure(msg) from None


def _no_secrets(outcome: Outcome) -> None:
    """Require no secret in the error, in its chain as a traceback shows it, or in their frames' locals."""
    error: BaseException | None = outcome.error
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        for where, text in _observable(error):
            # `in` first: the texts include whole bodies, which the pattern would walk far more slowly.
            if any(secret in text for secret in _SECRETS) and _A_SECRET.search(text):
                _fail(outcome, f"no card number, security code or token in {where}")
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)


def _observable(error: BaseException) -> Iterator[tuple[str, str]]:
    name = type(error).__name__
    yield f"str({name})", str(error)
    yield f"repr({name})", repr(error)
    tb: TracebackType | None = error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_globals.get("__name__") != __name__:  # the runner's own frames hold the request
            for local, value in frame.f_locals.items():
                yield (
                    f"the local {local!r} of {frame.f_code.co_name} in {frame.f_code.co_filename}",
                    _repr(value),
                )
        tb = tb.tb_next


def _repr(value: object) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("latin-1")
    try:
        return repr(value)
    except Exception:
        return ""


def _close(transport: object) -> None:
    close = getattr(transport, "close", None)
    if callable(close):
        close()


def run_check(check: Check, make_transport: Callable[[], Transport]) -> None:
    """Run one check against a fresh transport from `make_transport`; raise ConformanceFailure if it fails."""
    with _target(check) as (url, server):
        request = _request(url)
        transport = make_transport()
        try:
            with _memory(check.measure_memory) as peak, _logs() as logs:
                started = time.monotonic()
                response, error = _sent(transport, request, check.timeout)
                if check.send_again and error is None:
                    response, error = _sent(transport, request, check.timeout)
                elapsed = time.monotonic() - started
        finally:
            _close(transport)
        outcome = Outcome(response, error, elapsed, server, peak[0] if peak else None, tuple(logs.lines))
        del error
        _judge(check, outcome)


def _sent(
    transport: Transport, request: HttpRequest, timeout: Timeout
) -> tuple[HttpResponse | None, Exception | None]:
    scope = attempt_scope(_SECRETS)  # named as a call's attempt names them, for the log filter
    try:
        return transport.send(request, timeout), None
    except Exception as raised:
        return None, raised
    finally:
        end_attempt(scope)


async def arun_check(check: Check, make_transport: Callable[[], _AsyncTransport]) -> None:
    """Run one check against a fresh async transport, in the running loop; raise ConformanceFailure."""
    with _target(check) as (url, server):
        request = _request(url)
        transport = make_transport()
        try:
            with _memory(check.measure_memory) as peak, _logs() as logs:
                started = time.monotonic()
                response, error = await _asent(transport, request, check.timeout)
                if check.send_again and error is None:
                    response, error = await _asent(transport, request, check.timeout)
                elapsed = time.monotonic() - started
        finally:
            await _aclose(transport)
        outcome = Outcome(response, error, elapsed, server, peak[0] if peak else None, tuple(logs.lines))
        del error
        _judge(check, outcome)


async def _asent(
    transport: _AsyncTransport, request: HttpRequest, timeout: Timeout
) -> tuple[HttpResponse | None, Exception | None]:
    scope = attempt_scope(_SECRETS)
    try:
        return await transport.send(request, timeout), None
    except Exception as raised:
        return None, raised
    finally:
        end_attempt(scope)


class _Recorder(logging.Handler):
    """Keeps each record as a handler writes it, and what it holds (keyed by logger and its last arg)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []
        self.seen: dict[str, tuple[object, object, object]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        where = record.args[-1] if isinstance(record.args, tuple) and record.args else None
        self.seen[f"{record.name}:{where}"] = (record.msg, record.args, record.exc_info)
        self.lines.append(self.format(record))


@contextlib.contextmanager
def _logs() -> Iterator[_Recorder]:
    """Record what every logger writes, at every level."""
    root = logging.getLogger()
    recorder = _Recorder()
    level = root.level
    root.addHandler(recorder)
    root.setLevel(logging.DEBUG)
    try:
        yield recorder
    finally:
        root.setLevel(level)
        root.removeHandler(recorder)


async def _aclose(transport: object) -> None:
    for name in ("aclose", "close"):
        close: Callable[[], Awaitable[Any] | None] | None = getattr(transport, name, None)
        if callable(close):
            result = close()
            if inspect.isawaitable(result):
                await result
            return


def check_transport(
    make_transport: Callable[[], Transport], *, max_response_bytes: int = MAX_RESPONSE_BYTES
) -> None:
    """Run every check against fresh transports from `make_transport`; raise at the first failure."""
    for check in checks(max_response_bytes):
        run_check(check, make_transport)


def check_async_transport(
    make_transport: Callable[[], _AsyncTransport], *, max_response_bytes: int = MAX_RESPONSE_BYTES
) -> None:
    """Run every check against async transports from `make_transport`, each in a fresh event loop."""
    for check in checks(max_response_bytes):
        asyncio.run(arun_check(check, make_transport))


# --- many callers on one transport ---

_PROMISED_OVERRUN = 0.1
"""Seconds past its deadline a call may end, whatever the number of callers (docs/transports.md)."""


@contextlib.contextmanager
def _silent_server() -> Iterator[tuple[str, Callable[[], tuple[int, int]]]]:
    """A loopback server that never answers; yields its URL and a tally to take once the calls have ended.

    The kernel completes every connection into the listening backlog (nothing
    is accepted until the tally), so the server costs no time while the calls
    run. The tally is (connections made, connections that carried bytes): a
    call still in its transport's queue made no connection, and one whose
    connection carried a byte was sent.
    """
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    listener.setblocking(False)
    held: list[socket.socket] = []

    def tally() -> tuple[int, int]:
        with contextlib.suppress(BlockingIOError):
            while True:
                held.append(listener.accept()[0])
        carried = 0
        for conn in held:
            with contextlib.suppress(BlockingIOError, ConnectionError):
                carried += bool(conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        return len(held), carried

    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", tally
    finally:
        for conn in held:
            conn.close()
        listener.close()


def _together(callers: int, run: Callable[[], _T]) -> list[_T]:
    """Run `run` on `callers` threads released at once; return what each returned."""
    start = threading.Barrier(callers)
    results: list[_T] = []

    def call() -> None:
        start.wait()
        results.append(run())

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _bare_overrun(callers: int, deadline: float) -> float:
    """How late the last of `callers` threads doing nothing but wait `deadline` wakes: the machine's share."""
    never = threading.Event()

    def wait() -> float:
        began = time.monotonic()
        never.wait(deadline)
        return time.monotonic() - began - deadline

    return max(_together(callers, wait))


async def _abare_overrun(callers: int, deadline: float) -> float:
    """How late the last of `callers` tasks doing nothing but sleep `deadline` wakes, in the running loop."""

    async def wait() -> float:
        began = time.monotonic()
        await asyncio.sleep(deadline)
        return time.monotonic() - began - deadline

    return max(await asyncio.gather(*(wait() for _ in range(callers))))


def _judge_many(
    ends: list[tuple[float, BaseException | None]],
    deadline: float,
    tally: Callable[[], tuple[int, int]],
    bare_overrun: float,
) -> None:
    """Require every call to end in a TransportError by the promise, and `request_sent` to match the wire.

    The promise is the transport's: how late the same number of bare waiters woke in the same run
    (the GIL's hand-over between hundreds of threads, a loaded machine) is added to it.
    """
    worst = max(elapsed for elapsed, _ in ends) - max(bare_overrun, 0.0)
    errors = [error for _, error in ends]
    stray = [e for e in errors if not isinstance(e, TransportError)]
    said_sent = sum(1 for e in errors if isinstance(e, TransportError) and e.request_sent)
    said_unsent = len(errors) - len(stray) - said_sent
    connections, arrived = tally()
    name = f"many_callers ({len(ends)} callers, deadline {deadline} s, a server that never answers)"
    if stray:
        msg = f"{name}: every call ends in a TransportError, not {type(stray[0]).__name__}"
    elif said_sent > connections:
        msg = f"{name}: {said_sent} calls say request_sent=True, but only {connections} connections were made"
    elif said_unsent > len(ends) - arrived:
        msg = f"{name}: {said_unsent} calls say request_sent=False, but {arrived} requests arrived"
    elif worst > deadline + _PROMISED_OVERRUN:
        msg = (
            f"{name}: every call ends by {deadline + _PROMISED_OVERRUN:.2f} s; the last took {worst:.3f} s"
            f" beyond the {bare_overrun:.3f} s bare waiters overran"
        )
    else:
        return
    raise ConformanceFailure(msg)


def check_many_callers(
    make_transport: Callable[[], Transport], *, callers: int = 300, deadline: float = 0.5
) -> None:
    """Send from `callers` threads at once on one transport to a server that never answers.

    Every call must end in a TransportError within `deadline` (Timeout.total)
    plus 0.1 s, and say request_sent=False only when its request never reached
    the server, True only when it had a connection (a call still in the pool's
    queue was not sent). Raises ConformanceFailure otherwise.
    """
    with _silent_server() as (url, tally):
        request, timeout = _request(url), Timeout(connect=deadline, read=deadline, total=deadline)
        transport = make_transport()

        def call() -> tuple[float, BaseException | None]:
            began = time.monotonic()
            _, error = _sent(transport, request, timeout)
            return time.monotonic() - began, error

        try:
            ends = _together(callers, call)
        finally:
            _close(transport)
        _judge_many(ends, deadline, tally, _bare_overrun(callers, deadline))


async def acheck_many_callers(
    make_transport: Callable[[], _AsyncTransport], *, callers: int = 300, deadline: float = 0.5
) -> None:
    """`check_many_callers` for an async transport: `callers` tasks at once in the running loop."""
    with _silent_server() as (url, tally):
        request, timeout = _request(url), Timeout(connect=deadline, read=deadline, total=deadline)
        transport = make_transport()

        async def call() -> tuple[float, BaseException | None]:
            began = time.monotonic()
            _, error = await _asent(transport, request, timeout)
            return time.monotonic() - began, error

        try:
            ends = list(await asyncio.gather(*(call() for _ in range(callers))))
        finally:
            await _aclose(transport)
        _judge_many(ends, deadline, tally, await _abare_overrun(callers, deadline))


# --- a good guest ---


class GuestFailure(AssertionError):
    """A call through the transport reached past itself: what it changed or left behind."""


class _TransportBug(Exception):
    """What a transport with a bug raises after sending."""


def _application_logs(where: str) -> list[tuple[str, object, object, object]]:
    """Make a record on each library logger as an application's own use of the library would; return them."""
    try:
        raise ConnectionError("the application's own failure")
    except ConnectionError:
        exc_info = sys.exc_info()
    made: list[tuple[str, object, object, object]] = []
    for name in LIBRARY_LOGGERS:
        message, args = "the application's call to %s failed (%s)", ("api.example", where)
        logging.getLogger(name).warning(message, *args, exc_info=exc_info)
        made.append((f"{name}:{where}", message, args, exc_info))
    return made


def _judge_records(recorder: _Recorder, made: list[tuple[str, object, object, object]]) -> None:
    for key, message, args, exc_info in made:
        seen = recorder.seen.get(key)
        if seen != (message, args, exc_info):
            msg = f"a record made outside the call ({key}) reached the handlers changed: {seen!r:.200}"
            raise GuestFailure(msg)


def _judge_left_behind(when: str) -> None:
    if attempt_secrets.get() is not None:
        msg = f"the call's secrets stayed in the caller's context after {when}"
        raise GuestFailure(msg)
    for name in LIBRARY_LOGGERS:
        kept = [f for f in logging.getLogger(name).filters if type(f).__module__.startswith("gr4vy_fn")]
        if kept:
            msg = f"a filter stayed on the {name!r} logger after {when}"
            raise GuestFailure(msg)


class _Meddled:
    """The transport, with the application logging on another thread during each send, then maybe a bug."""

    def __init__(self, transport: Any) -> None:
        self.transport, self.bug = transport, False
        self.made: list[tuple[str, object, object, object]] = []

    def _during(self) -> None:
        thread = threading.Thread(target=lambda: self.made.extend(_application_logs("during")))
        thread.start()
        thread.join()

    def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        self._during()
        return self._after(self.transport.send(request, timeout))

    def _after(self, response: HttpResponse) -> HttpResponse:
        if self.bug:
            raise _TransportBug
        return response


class _AsyncMeddled(_Meddled):
    async def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:  # type: ignore[override]
        self._during()
        return self._after(await self.transport.send(request, timeout))


def check_guest(make_transport: Callable[[], Any]) -> None:
    """Make calls through a fresh transport from `make_transport` and check they touch nothing outside.

    Raises GuestFailure (an AssertionError) naming what was changed or left behind.
    """
    with serving(default=Reply(204)) as server, _logs() as recorder:
        update, config = _update(server.url)
        meddled = _Meddled(make_transport())
        try:
            made = _application_logs("before")
            send(update, config=config, transport=meddled)
            _judge_records(recorder, made + meddled.made + _application_logs("after"))
            meddled.bug = True
            try:
                send(update, config=config, transport=meddled)
            except _TransportBug:  # judged while the exception and its frames are held, as callers do
                _judge_left_behind("a call whose transport raised")
        finally:
            _close(meddled.transport)


async def check_async_guest(make_transport: Callable[[], Any]) -> None:
    """The async form of `check_guest`, in the running loop; a cancelled call is checked too.

    Raises GuestFailure (an AssertionError) naming what was changed or left behind.
    """
    with serving(default=Reply(204)) as server, _logs() as recorder:
        update, config = _update(server.url)
        meddled = _AsyncMeddled(make_transport())
        try:
            made = _application_logs("before")
            await async_send(update, config=config, transport=meddled)
            _judge_records(recorder, made + meddled.made + _application_logs("after"))
            meddled.bug = True
            try:
                await async_send(update, config=config, transport=meddled)
            except _TransportBug:
                _judge_left_behind("a call whose transport raised")
            server.default = Trickle(b"HTTP/1.1 204 No Content\r\n\r\n", interval=0.2)
            left: list[object] = []

            async def cancelled() -> None:
                try:
                    await async_send(update, config=config, transport=meddled.transport)
                finally:
                    left.append(attempt_secrets.get())

            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(cancelled(), 0.1)
            if left != [None]:
                msg = "the call's secrets stayed in the task's context after it was cancelled"
                raise GuestFailure(msg)
            _judge_left_behind("a cancelled call")
        finally:
            await _aclose(meddled.transport)
