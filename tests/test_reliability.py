"""Failure modes through the real Urllib3Transport against a misbehaving server on loopback.

Each test checks the value returned, how many requests reached the server (a
create is never seen twice), and, where time matters, the elapsed time against
the deadline. A slow server holds its answer for seconds (until it closes at the
end of the test), while timeouts and deadlines are fractions of a second: a call
the server could hold fails by seconds, and one that is bounded passes quickly.
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trustme
import urllib3
from conftest import SESSION_ID, FakeTime, fast_policy, make_config, sample
from loopback import (
    DropAfterRead,
    DropBeforeRead,
    Endless,
    LoopbackServer,
    Reply,
    Reset,
    StallHandshake,
    Truncated,
)
from pytest_mock import MockerFixture

import gr4vy_fn as g
from gr4vy_fn import defaults
from gr4vy_fn.transports import Urllib3Transport

SESSION = sample("session_201.json")
HELD = 10.0  # seconds a slow server holds its answer: far past every timeout and deadline below
# A read timeout that expires in a fraction of a second, yet leaves a prompt loopback answer ample time.
SHORT_READ = g.Timeout(connect=1, read=0.1)
# A read timeout that no answer is meant to beat: the request is written (into the kernel, on
# loopback) before the read and its timeout begin, so nothing has to happen within it.
NO_ANSWER_READ = g.Timeout(connect=1, read=0.03)
# Before it, the request must be written (tests check it went out): a few milliseconds of Python
# and kernel work, even on a loaded machine. Nothing needs to come back before it.
DEADLINE = 0.05
CREATE = "create"
IDEMPOTENT = ["get", "delete", "fields", "update"]
CALLS: dict[str, Callable[..., Any]] = {
    "create": lambda **kw: g.new_checkout_session(**kw),
    "get": lambda **kw: g.get_checkout_session(SESSION_ID, **kw),
    "delete": lambda **kw: g.delete_checkout_session(SESSION_ID, **kw),
    "fields": lambda **kw: g.update_checkout_session_fields(
        SESSION_ID,
        g.CheckoutSessionSecureFieldsUpdate(
            payment_method=g.IdPaymentMethod(id="77a76f7e-d2de-4bbc-ada9-d6a0015e6bd5")
        ),
        **kw,
    ),
    "update": lambda **kw: g.update_checkout_session(
        SESSION_ID, g.CheckoutSessionCreateRequest(amount=1), **kw
    ),
}
SUCCESS = {
    "create": Reply(201, SESSION),
    "get": Reply(200, SESSION),
    "delete": Reply(204),
    "fields": Reply(204),
    "update": Reply(200, SESSION),
}


def quick(url: str, **kwargs: Any) -> g.Config:
    """A config whose timeouts and deadlines run on the real clock; waits between attempts are not slept."""
    retry = g.RetryPolicy(
        initial_delay=0.01, max_delay=0.02, sleep=FakeTime().sleep, **kwargs.pop("retry", {})
    )
    return make_config(
        url, retry=retry, timeout=kwargs.pop("timeout", g.Timeout(connect=1, read=1)), **kwargs
    )


def call(name: str, server_url: str, transport: g.Transport | None = None, **kwargs: Any) -> Any:
    return CALLS[name](config=quick(server_url, **kwargs), transport=transport or Urllib3Transport())


@pytest.mark.parametrize("operation", list(CALLS))
def test_refused_connections_are_retried_for_every_operation(operation: str) -> None:
    """Nothing listens: ConnectError, request_sent=False, retried max_attempts times even for a create."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = call(operation, f"http://127.0.0.1:{port}")
    assert result == g.ConnectError(
        message="the connection was refused or failed", request_sent=False, attempts=3
    )


@pytest.mark.parametrize("operation", [CREATE, "get"])
def test_dns_failures_are_retried(operation: str, mocker: MockerFixture) -> None:
    """A host name that does not resolve: ConnectError, request_sent=False, retried."""
    lookup = mocker.patch("socket.getaddrinfo", side_effect=socket.gaierror(-2, "Name or service not known"))
    result = call(operation, "https://api.sandbox.nowhere.gr4vy.app")
    assert result == g.ConnectError(message="the host name did not resolve", request_sent=False, attempts=3)
    assert lookup.call_count == 3


@pytest.mark.parametrize("operation", [CREATE, "get"])
def test_connect_timeouts_are_retried(operation: str, mocker: MockerFixture) -> None:
    """No connection in time (nothing sent): ConnectTimeout, retried even for a create."""
    mocker.patch("urllib3.util.connection.create_connection", side_effect=TimeoutError("timed out"))
    result = call(operation, "http://127.0.0.1:9")
    assert result == g.ConnectTimeout(message="no connection in time", request_sent=False, attempts=3)


def test_a_slow_create_is_never_sent_twice(server: LoopbackServer) -> None:
    """A create whose answer does not come in time returns ReadTimeout, request_sent=True, sent once."""
    server.then(Reply(201, SESSION, delay=HELD))
    result = call(CREATE, server.url, timeout=NO_ANSWER_READ)
    assert result == g.ReadTimeout(message="no answer in time", request_sent=True, attempts=1)
    assert len(server.wait_received(1)) == 1


@pytest.mark.parametrize("operation", IDEMPOTENT)
def test_a_slow_idempotent_call_is_retried(operation: str, server: LoopbackServer) -> None:
    """A read timeout on GET, DELETE or PUT is retried; the next, prompt answer is returned."""
    # The held answer is a success too: a call that waited for it would send once, not twice.
    server.then(dataclasses.replace(SUCCESS[operation], delay=HELD), SUCCESS[operation])
    result = call(operation, server.url, timeout=SHORT_READ)
    assert not isinstance(result, g.Gr4vyError)
    assert len(server.received) == 2


DROPS = [DropBeforeRead(), DropAfterRead(), Reset()]


@pytest.mark.parametrize("drop", DROPS, ids=lambda d: type(d).__name__)
def test_a_dropped_create_may_exist_and_is_not_retried(drop: Any, server: LoopbackServer) -> None:
    """A connection dropped around a create: ConnectionDropped, request_sent=True, never resent."""
    server.then(drop)
    result = call(CREATE, server.url)
    assert isinstance(result, g.ConnectionDropped)
    assert (result.request_sent, result.attempts) == (True, 1)
    assert len(server.received) <= 1


@pytest.mark.parametrize("drop", DROPS, ids=lambda d: type(d).__name__)
@pytest.mark.parametrize("operation", IDEMPOTENT)
def test_dropped_idempotent_calls_are_retried(operation: str, drop: Any, server: LoopbackServer) -> None:
    """A dropped connection on GET, DELETE or PUT is retried on a new connection."""
    server.then(drop, SUCCESS[operation])
    result = call(operation, server.url)
    assert not isinstance(result, g.Gr4vyError)
    assert server.connections == 2


def test_a_truncated_201_is_not_retried(server: LoopbackServer) -> None:
    """A 201 whose body is cut short: ConnectionDropped, request_sent=True; the session may exist."""
    server.then(Truncated(201, SESSION, sent=40))
    result = call(CREATE, server.url)
    assert isinstance(result, g.ConnectionDropped)
    assert (result.request_sent, result.attempts) == (True, 1)
    assert len(server.received) == 1


def test_a_truncated_200_is_retried(server: LoopbackServer) -> None:
    """A get whose body is cut short is retried."""
    server.then(Truncated(200, SESSION, sent=40), Reply(200, SESSION))
    assert isinstance(call("get", server.url), g.CheckoutSession)
    assert len(server.received) == 2


@pytest.mark.parametrize("operation", [CREATE, "get"])
def test_an_endless_body_is_refused_at_the_limit(operation: str, server: LoopbackServer) -> None:
    """A body that never ends stops at max_response_bytes: ResponseTooLarge, not retried."""
    server.then(Endless(200))
    transport = Urllib3Transport(max_response_bytes=256 << 10)
    result = call(operation, server.url, transport=transport)
    assert isinstance(result, g.ResponseTooLarge)
    assert (result.request_sent, result.attempts, result.status) == (True, 1, 200)
    assert len(server.received) == 1


def test_a_declared_oversized_body_is_refused_without_reading(server: LoopbackServer) -> None:
    """A Content-Length over the limit is refused before the body is read."""
    server.then(Reply(200, b"x" * 2048))
    result = call("get", server.url, transport=Urllib3Transport(max_response_bytes=1024))
    assert isinstance(result, g.ResponseTooLarge)
    assert result.message == "the declared body is over the limit of 1024 bytes"  # never the server's number


def test_a_trickling_body_stops_at_the_deadline(server: LoopbackServer) -> None:
    """A body that arrives a few bytes at a time cannot hold a call past its deadline."""
    server.then(Endless(200, chunk=b"x" * 16, interval=0.01))  # each piece well within the read timeout
    started = time.monotonic()
    result = call("get", server.url, retry={"deadline": DEADLINE})
    elapsed = time.monotonic() - started
    assert isinstance(result, g.DeadlineExceeded)
    assert result.request_sent
    assert elapsed < 1.5  # the body never ends: without the deadline, the call would not either


@pytest.mark.parametrize("operation", list(CALLS))
def test_a_slow_server_never_holds_a_call_past_its_deadline(operation: str, server: LoopbackServer) -> None:
    """Whatever the per-attempt timeouts, a call returns by its deadline."""
    server.default = Reply(503, delay=HELD)
    started = time.monotonic()
    result = CALLS[operation](
        config=quick(server.url, timeout=g.Timeout(connect=HELD, read=HELD)),
        transport=Urllib3Transport(),
        deadline=DEADLINE,
    )
    elapsed = time.monotonic() - started
    assert isinstance(result, (g.ReadTimeout, g.DeadlineExceeded))
    assert result.request_sent
    assert elapsed < 1.5  # the server holds the call for HELD seconds: one it holds fails this by seconds


@pytest.mark.parametrize("operation", list(CALLS))
def test_an_html_error_page(operation: str, server: LoopbackServer) -> None:
    """A proxy's HTML 502 is retried for idempotent calls, never for a create, then returned as unexpected."""
    server.default = Reply(502, sample("proxy_502.html"), (("Content-Type", "text/html"),))
    result = call(operation, server.url)
    assert isinstance(result, g.UnexpectedResponse)
    assert result.status == 502
    assert "502 Bad Gateway" in result.excerpt
    assert len(server.received) == (1 if operation == CREATE else 3)


def test_a_create_retries_429_after_retry_after(server: LoopbackServer, fake_time: FakeTime) -> None:
    """429 proves the create was not processed: it is retried after the server's Retry-After."""
    server.then(Reply(429, sample("error_429.json"), (("Retry-After", "0.2"),)), Reply(201, SESSION))
    result = g.new_checkout_session(
        config=make_config(server.url, retry=fast_policy(fake_time)), transport=Urllib3Transport()
    )
    assert isinstance(result, g.CheckoutSession)
    assert len(server.received) == 2
    assert fake_time.sleeps == [0.2]


def test_a_retry_after_beyond_the_deadline_returns_the_429(server: LoopbackServer) -> None:
    """A Retry-After that does not fit in the deadline returns the 429 value at once."""
    server.then(Reply(429, sample("error_429.json"), (("Retry-After", "5"),)))
    started = time.monotonic()
    result = call(CREATE, server.url, retry={"deadline": 2.0})
    assert isinstance(result, g.Error429TooManyRequests)
    assert result.retry_after == 5.0
    assert len(server.received) == 1
    assert time.monotonic() - started < 1.0


def test_a_503_with_an_http_date(server: LoopbackServer) -> None:
    """A 503's Retry-After as an HTTP date, against the server's Date, is waited out."""
    headers = (("Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT"), ("Date", "Wed, 21 Oct 2026 07:28:00 GMT"))
    server.then(Reply(503, b"", headers), Reply(200, SESSION))
    assert isinstance(call("get", server.url), g.CheckoutSession)
    assert len(server.received) == 2


def test_a_retried_delete_treats_404_as_done(server: LoopbackServer) -> None:
    """A delete whose first attempt timed out after sending, then 404: it was deleted, so None."""
    server.then(Reply(204, delay=HELD), Reply(404, sample("error_404.json")))
    assert call("delete", server.url, timeout=SHORT_READ) is None
    assert len(server.received) == 2


# --- stale pooled connections ---


def test_a_create_after_idling_goes_out_on_a_fresh_connection(server: LoopbackServer) -> None:
    """After idle_timeout, a create does not reuse a pooled connection the server may have dropped."""
    server.on_reused = DropAfterRead()
    transport = Urllib3Transport(idle_timeout=0.01)
    server.then(Reply(200, SESSION))
    assert isinstance(call("get", server.url, transport=transport), g.CheckoutSession)
    time.sleep(0.02)  # the idle time itself is what is under test
    server.then(Reply(201, SESSION))
    assert isinstance(call(CREATE, server.url, transport=transport), g.CheckoutSession)
    assert server.connections == 2
    assert [r.method for r in server.received] == ["GET", "POST"]


def test_without_the_idle_guard_a_stale_connection_makes_a_create_ambiguous(server: LoopbackServer) -> None:
    """The failure the guard prevents: a create on a silently dead connection may or may not exist."""
    server.on_reused = DropAfterRead()
    transport = Urllib3Transport(idle_timeout=3600)
    call("get", server.url, transport=transport)
    result = call(CREATE, server.url, transport=transport)
    assert isinstance(result, g.ConnectionDropped)
    assert result.request_sent


def test_busy_idempotent_calls_keep_reusing_connections(server: LoopbackServer) -> None:
    """Calls that follow each other closely share one pooled connection."""
    transport = Urllib3Transport()
    server.default = Reply(200, SESSION)
    for _ in range(5):
        assert isinstance(call("get", server.url, transport=transport), g.CheckoutSession)
    server.default = Reply(201, SESSION)
    assert isinstance(call(CREATE, server.url, transport=transport), g.CheckoutSession)
    assert server.connections == 1


# --- TLS ---


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(certificate_authority: trustme.CA) -> Iterator[LoopbackServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1").configure_cert(context)
    server = LoopbackServer(tls=context)
    try:
        yield server
    finally:
        server.close()


def trusting(certificate_authority: trustme.CA) -> Urllib3Transport:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, trusting the test's CA alone
    certificate_authority.configure_trust(context)
    return Urllib3Transport(urllib3.PoolManager(ssl_context=context))


def test_https_works_with_a_trusted_certificate(
    tls_server: LoopbackServer, certificate_authority: trustme.CA
) -> None:
    """Over TLS with a trusted certificate, a create succeeds."""
    tls_server.then(Reply(201, SESSION))
    assert isinstance(
        call(CREATE, tls_server.url, transport=trusting(certificate_authority)), g.CheckoutSession
    )


@pytest.mark.parametrize("operation", [CREATE, "get"])
def test_an_untrusted_certificate_is_never_retried(operation: str, tls_server: LoopbackServer) -> None:
    """Certificate verification is on by default; its failure is TlsError(verification=True), tried once."""
    result = call(operation, tls_server.url)
    assert result == g.TlsError(
        message="the certificate did not verify", request_sent=False, attempts=1, verification=True
    )
    assert tls_server.received == []


def test_a_stalled_handshake_is_not_a_sent_request(
    tls_server: LoopbackServer, certificate_authority: trustme.CA
) -> None:
    """A TLS handshake that stalls is a timeout before sending: a create is retried on a new connection."""
    tls_server.then(StallHandshake(seconds=HELD), Reply(201, SESSION))
    started = time.monotonic()
    result = call(
        CREATE,
        tls_server.url,
        transport=trusting(certificate_authority),
        timeout=g.Timeout(connect=0.1, read=1),  # the second handshake completes well within it
    )
    assert isinstance(result, g.CheckoutSession)
    assert len(tls_server.received) == 1
    assert tls_server.connections == 2
    assert time.monotonic() - started < 1.5  # not retried only once the stalled server gave up


def test_a_stalled_handshake_alone(tls_server: LoopbackServer, certificate_authority: trustme.CA) -> None:
    """When every handshake stalls, the create returns ConnectTimeout with request_sent=False."""
    tls_server.default = StallHandshake(seconds=HELD)
    result = call(
        CREATE,
        tls_server.url,
        transport=trusting(certificate_authority),
        # Only the TCP connect must finish within it, and on loopback the kernel completes that
        # at once; the handshake is never answered, however long the wait.
        timeout=g.Timeout(connect=0.03, read=1),
        retry={"max_attempts": 2},
    )
    assert result == g.ConnectTimeout(message="the TLS handshake timed out", request_sent=False, attempts=2)


# --- concurrency ---


def test_many_threads_share_the_default_transport(server: LoopbackServer) -> None:
    """32 threads x 10 calls through the one default transport: every answer right, connections pooled."""
    defaults.reset_defaults()
    server.default = Reply(200, SESSION)
    config = quick(server.url)
    failures: list[object] = []
    barrier = threading.Barrier(32)

    def worker() -> None:
        barrier.wait()
        for _ in range(10):
            result = g.get_checkout_session(SESSION_ID, config=config)
            if not isinstance(result, g.CheckoutSession) or result.id != SESSION_ID:
                failures.append(result)

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(server.received) == 320
    assert server.connections <= 32
