"""The async transports through real sockets on 127.0.0.1: one table of faults, each with its outcome.

Every row runs against both adapters (aiohttp and httpx), through gr4vy_fn.aio
with the adapter given, so the engine's rules (never resend a create that may
have arrived) are checked together with the adapter's mapping of failures.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import trustme
from conftest import SESSION_ID, make_config, sample
from loopback import (
    Action,
    DropBeforeRead,
    Endless,
    LoopbackServer,
    Reply,
    Reset,
    Truncated,
)

import gr4vy_fn as g
from gr4vy_fn import aio

SESSION = sample("session_201.json")
HELD = 10.0  # seconds a slow server holds its answer (until it closes): far past every timeout below
# A read timeout runs from when the request is written, which on loopback the kernel completes whatever
# the server does: nothing has to happen before it runs out, and the server holds its answer HELD seconds.
SHORT_READ = 0.05
# A deadline covers writing the request too, and the rows using it check that the server read it. Those
# rows first make a call that is answered at once on the same transport (`warm`): the deadline's call then
# only writes on an open connection, not a first request through a new client (~20 ms, more under load).
DEADLINE = 0.05


@dataclass(frozen=True)
class TrickleHeaders:
    """Send the status line, then one header line every `interval` seconds, for HELD seconds at least."""

    interval: float = 0.01  # each line well within a read timeout clipped to DEADLINE: only the whole is late


@dataclass(frozen=True)
class EndlessInterim:
    """Send interim 1xx answers every `interval` seconds, for HELD seconds at least, and never a final one."""

    interval: float = 0.01  # as for TrickleHeaders


class TricklingServer(LoopbackServer):
    """A LoopbackServer that can also trickle its headers, or send interim answers without end."""

    def _act(self, conn: socket.socket, action: Any) -> bool:
        if isinstance(action, EndlessInterim):
            with contextlib.suppress(OSError):
                for _ in range(int(HELD / action.interval)):
                    conn.sendall(b"HTTP/1.1 102 Processing\r\n\r\n")
                    if self._stop.wait(action.interval):
                        break
            return False
        if not isinstance(action, TrickleHeaders):
            return super()._act(conn, action)
        with contextlib.suppress(OSError):
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for n in range(int(HELD / action.interval)):
                if self._stop.wait(action.interval):
                    break
                conn.sendall(f"X-Slow-{n}: 1\r\n".encode())
        return False


@contextlib.asynccontextmanager
async def aiohttp_transport(tls: ssl.SSLContext | None) -> AsyncIterator[Any]:
    """An AiohttpTransport; with `tls`, over a session of ours trusting it (closed here too)."""
    import aiohttp

    session = None if tls is None else aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls))
    transport = aio.AiohttpTransport(session)
    try:
        yield transport
    finally:
        await transport.aclose()
        if session is not None:
            await session.close()


@contextlib.asynccontextmanager
async def httpx_transport(tls: ssl.SSLContext | None) -> AsyncIterator[Any]:
    """An HttpxTransport; with `tls`, over a client of ours trusting it (closed here too)."""
    import httpx

    client = None if tls is None else httpx.AsyncClient(verify=tls)
    transport = aio.HttpxTransport(client)
    try:
        yield transport
    finally:
        await transport.aclose()
        if client is not None:
            await client.aclose()


ADAPTERS: dict[str, Callable[[ssl.SSLContext | None], contextlib.AbstractAsyncContextManager[Any]]] = {
    "aiohttp": aiohttp_transport,
    "httpx": httpx_transport,
}


@dataclass(frozen=True)
class Fault:
    """A server's behaviour, the call made, and what the call must return."""

    script: tuple[Action | TrickleHeaders | EndlessInterim, ...]
    operation: str  # "create" or "get"
    expected: type
    request_sent: bool | None = None  # for a TransportError
    sends: int = 1  # requests the server read
    attempts: int = 1  # for a TransportError
    keywords: dict[str, Any] = field(default_factory=dict)
    listening: bool = True
    tls: bool = False
    within: float | None = None  # the call returns within this many seconds
    warm: bool = False  # a get answered at once (the script's first reply) goes first, on the same transport


FAULTS: dict[str, Fault] = {
    "refused": Fault((), "create", g.ConnectError, request_sent=False, sends=0, attempts=3, listening=False),
    "reset before reading": Fault(
        (DropBeforeRead(),), "create", g.ConnectionDropped, request_sent=True, sends=0
    ),
    "reset after reading": Fault((Reset(),), "create", g.ConnectionDropped, request_sent=True),
    "read timeout, create": Fault(
        (Reply(201, SESSION, delay=HELD),),
        "create",
        g.ReadTimeout,
        request_sent=True,
        keywords={"timeout": g.Timeout(connect=1, read=SHORT_READ)},
    ),
    "read timeout, get retried": Fault(
        (Reply(200, SESSION, delay=HELD), Reply(200, SESSION)),
        "get",
        g.CheckoutSession,
        sends=2,
        keywords={"timeout": g.Timeout(connect=1, read=SHORT_READ)},
    ),
    "truncated body": Fault((Truncated(201, SESSION, 10),), "create", g.ConnectionDropped, request_sent=True),
    "oversized body": Fault((Endless(200),), "get", g.ResponseTooLarge, request_sent=True),
    "declared oversized body": Fault(
        (Reply(200, b"{}", (("Content-Length", str(2 << 20)),)),),
        "get",
        g.ResponseTooLarge,
        request_sent=True,
    ),
    "html 502, create": Fault(
        (Reply(502, sample("proxy_502.html"), (("Content-Type", "text/html"),)),),
        "create",
        g.UnexpectedResponse,
    ),
    "html 502, get retried": Fault(
        (Reply(502, sample("proxy_502.html"), (("Content-Type", "text/html"),)),) * 3,
        "get",
        g.UnexpectedResponse,
        sends=3,
    ),
    "429 with retry-after": Fault(
        (Reply(429, sample("error_429.json"), (("Retry-After", "0.01"),)), Reply(201, SESSION)),
        "create",
        g.CheckoutSession,
        sends=2,
    ),
    "trickled headers": Fault(
        (Reply(200, SESSION), TrickleHeaders()),
        "get",
        g.DeadlineExceeded,
        request_sent=True,
        sends=2,
        keywords={"deadline": DEADLINE},
        within=DEADLINE + 1.3,
        warm=True,
    ),
    "endless interim answers": Fault(
        (Reply(200, SESSION), EndlessInterim()),
        "get",
        g.DeadlineExceeded,
        request_sent=True,
        sends=2,
        keywords={"deadline": DEADLINE},
        within=DEADLINE + 1.3,
        warm=True,
    ),
    "untrusted certificate": Fault((), "create", g.TlsError, request_sent=False, sends=0, tls=True),
}


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@contextlib.contextmanager
def serving(fault: Fault, authority: trustme.CA) -> Iterator[LoopbackServer]:
    tls = None
    if fault.tls:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(tls)
    server = TricklingServer(tls=tls)
    server.then(*fault.script)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.close()


def quick(url: str) -> g.Config:
    retry = g.RetryPolicy(initial_delay=0.01, max_delay=0.02)
    return make_config(url, retry=retry, timeout=g.Timeout(connect=1, read=1))


async def call(fault: Fault, url: str, adapter: str, tls: ssl.SSLContext | None = None) -> object:
    async with ADAPTERS[adapter](tls) as transport:  # made in the loop that uses it
        if fault.warm:
            first = await aio.get_checkout_session(SESSION_ID, config=quick(url), transport=transport)
            assert isinstance(first, g.CheckoutSession), first
        if fault.operation == "create":
            return await aio.new_checkout_session(config=quick(url), transport=transport, **fault.keywords)
        return await aio.get_checkout_session(
            SESSION_ID, config=quick(url), transport=transport, **fault.keywords
        )


@pytest.mark.parametrize("adapter", list(ADAPTERS))
@pytest.mark.parametrize("name", list(FAULTS))
def test_a_fault_gives_its_outcome(name: str, adapter: str, certificate_authority: trustme.CA) -> None:
    """Each fault, through each async adapter, returns the expected value with a truthful request_sent."""
    fault = FAULTS[name]
    with serving(fault, certificate_authority) as server:
        url = server.url
        if not fault.listening:
            server.close()
        started = time.monotonic()
        result = asyncio.run(call(fault, url, adapter))
        elapsed = time.monotonic() - started
        sends = len(server.wait_received(fault.sends))  # the call may end before the server reads
    assert type(result) is fault.expected, result
    if isinstance(result, g.TransportError):
        assert (result.request_sent, result.attempts) == (fault.request_sent, fault.attempts)
    if isinstance(result, g.TlsError):
        assert result.verification
    assert sends == fault.sends
    if fault.within is not None:
        assert elapsed < fault.within


@pytest.mark.parametrize("adapter", list(ADAPTERS))
def test_https_with_a_trusted_certificate(adapter: str, certificate_authority: trustme.CA) -> None:
    """Over TLS with a trusted certificate, a create through each adapter succeeds."""
    trusted = ssl.create_default_context()
    certificate_authority.configure_trust(trusted)
    fault = Fault((Reply(201, SESSION),), "create", g.CheckoutSession, tls=True)
    with serving(fault, certificate_authority) as server:
        result = asyncio.run(call(fault, server.url, adapter, trusted))
    assert isinstance(result, g.CheckoutSession)


def _httpx_error(kind: str) -> BaseException:
    import httpx

    if kind == "timeout":
        return httpx.ConnectTimeout("no connection")
    error = httpx.ConnectError("failed")
    error.__cause__ = ssl.SSLError("handshake") if kind == "tls" else socket.gaierror("no such host")
    return error


def _aiohttp_error(kind: str) -> BaseException:
    import aiohttp
    from aiohttp.client_reqrep import ConnectionKey

    known = ("shop.invalid", 443, True, True)  # host, port, TLS, and the rest unset (their count varies)
    key = ConnectionKey(*known, *[None] * (len(ConnectionKey._fields) - len(known)))
    if kind == "timeout":
        return aiohttp.ConnectionTimeoutError()
    if kind == "tls":
        return aiohttp.ClientConnectorSSLError(key, ssl.SSLError("handshake"))
    return aiohttp.ClientConnectorDNSError(key, OSError("no such host"))


MAPPINGS = {
    "tls": g.TlsError(message="the TLS handshake failed", request_sent=False),
    "dns": g.ConnectError(message="the host name did not resolve", request_sent=False),
    "timeout": g.ConnectTimeout(message="no connection in time", request_sent=False),
}


@pytest.mark.parametrize("kind", list(MAPPINGS))
@pytest.mark.parametrize("adapter", ["aiohttp", "httpx"])
def test_failures_before_sending_map_to_not_sent(adapter: str, kind: str) -> None:
    """A TLS handshake, DNS or connect timeout failure of either client maps to request_sent=False."""
    from gr4vy_fn.transports import _aiohttp
    from gr4vy_fn.transports import _httpx_async as _httpx

    if adapter == "aiohttp":
        mapped = _aiohttp._mapped(_aiohttp_error(kind), _aiohttp._OnTheWire())  # no connection made
    else:
        mapped = _httpx._mapped(_httpx_error(kind))  # type: ignore[arg-type]
    assert mapped == MAPPINGS[kind]
