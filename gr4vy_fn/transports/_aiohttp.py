"""An AsyncTransport over aiohttp (the `aiohttp` extra): sends each request once."""

from __future__ import annotations

import asyncio
import contextvars
import os
import sys
from types import SimpleNamespace
from typing import Any

import aiohttp

from .._http import MAX_RESPONSE_BYTES, Headers, HttpRequest, HttpResponse, Timeout
from ..errors import (
    ConnectError,
    ConnectionDropped,
    ConnectTimeout,
    ReadTimeout,
    TlsError,
    TransportError,
)
from ._limits import emptied, require_layout
from ._time_limit import KEEPS_TOTAL, read_limited, within


class _ResendRefused(Exception):
    """aiohttp set out to send the request a second time: the attempt ends here instead."""


class _OnTheWire:
    """One send, as aiohttp's tracing reports it: how many connections it took, and whether one was made."""

    __slots__ = ("connected", "tries", "wire")

    def __init__(self) -> None:
        self.tries = 0
        self.connected = False
        self.wire: asyncio.BaseTransport | None = None  # the connection's socket, where our connector saw it

    def cut(self) -> None:
        """Close the connection at once: asyncio's close() waits to write what is buffered, for ever
        when the server stopped reading (a large request cut off at the deadline)."""
        if self.wire is not None and isinstance(self.wire, asyncio.Transport):
            self.wire.abort()

    def trying(self) -> None:
        """Note a connection is being handed out; refuse the send's second one (aiohttp's own resend)."""
        self.tries += 1
        if self.tries > 1:
            raise _ResendRefused


async def _trying(session: object, context: SimpleNamespace, params: object) -> None:
    if isinstance(context.trace_request_ctx, _OnTheWire):
        context.trace_request_ctx.trying()


async def _connected(session: object, context: SimpleNamespace, params: object) -> None:
    if isinstance(context.trace_request_ctx, _OnTheWire):
        context.trace_request_ctx.connected = True


async def _reused(session: object, context: SimpleNamespace, params: object) -> None:
    await _trying(session, context, params)
    await _connected(session, context, params)


def _tracing() -> aiohttp.TraceConfig:
    """The trace hooks that count a send's connections, and stop a second one (aiohttp's own resend)."""
    tracing = aiohttp.TraceConfig()
    # aiohttp 3.11's annotations of these signals take the callback for its argument (3.12 fixed them).
    tracing.on_connection_create_start.append(_trying)  # type: ignore[arg-type, unused-ignore]
    tracing.on_connection_create_end.append(_connected)  # type: ignore[arg-type, unused-ignore]
    tracing.on_connection_reuseconn.append(_reused)  # type: ignore[arg-type, unused-ignore]
    tracing.freeze()
    return tracing


_TRACING = _tracing()

_sending: contextvars.ContextVar[_OnTheWire | None] = contextvars.ContextVar(
    "gr4vy_fn_aiohttp_sending", default=None
)
"""The send under way in this context, for the connector of a session the transport opened."""


class _CountingConnector(aiohttp.TCPConnector):
    """A TCPConnector that counts each send's connections, and stops a second one, as the trace hooks do.

    Used in the sessions the transport opens: aiohttp's tracing, once a session has a trace config,
    makes and awaits an event for every step of every request (about 20 µs a call, a fifth of the
    transport's whole cost); this costs a context variable's lookup. A given session keeps the hooks.
    """

    async def connect(self, req: Any, traces: Any, timeout: Any) -> Any:
        """Hand out a connection, noting it on the send under way (refused when it is the send's second)."""
        sending = _sending.get()
        if sending is not None:
            sending.trying()
        connection = await super().connect(req, traces, timeout)
        if sending is not None:
            sending.connected = True
            sending.wire = connection.transport
        return connection


_TESTED = "3.12.13-3.14"  # a session's resend switch and a connector's pool are private


def _send_once(session: aiohttp.ClientSession, *, traced: bool = True) -> None:
    """Make `session` send each request at most once: its own resend off, and our trace hooks on guard.

    `traced=False` for a session whose connector is a _CountingConnector, which guards instead.
    """
    # aiohttp re-sends an idempotent request itself when a connection drops (ServerDisconnectedError),
    # under gr4vy_fn's attempt engine; the hooks refuse such a resend should this switch ever go.
    require_layout("aiohttp", _TESTED, session, "_retry_connection")  # no public switch for it
    session._retry_connection = False
    if traced and _TRACING not in session.trace_configs:
        session.trace_configs.append(_TRACING)


def _mapped(exc: BaseException, sending: _OnTheWire) -> TransportError:
    """Map an aiohttp failure to the TransportError saying whether the request may have been sent."""
    if isinstance(exc, _ResendRefused):
        return ConnectionDropped(message="the connection broke", request_sent=True)
    if not sending.connected:  # no connection was made: nothing was written
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return TlsError(message="the certificate did not verify", verification=True)
        if isinstance(exc, aiohttp.ClientConnectorSSLError):
            return TlsError(message="the TLS handshake failed")
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return ConnectError(message="the host name did not resolve")
        if isinstance(exc, aiohttp.ClientConnectorError):
            return ConnectError(message="the connection was refused or failed")
        return ConnectTimeout(message="no connection in time")
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError, TimeoutError)):
        return ReadTimeout(message="no answer in time")
    return ConnectionDropped(message=f"the connection broke ({type(exc).__name__})")


class AiohttpTransport:
    """An AsyncTransport over an aiohttp ClientSession: keep-alive connections, TLS verified.

    Made without a session, it opens one on first use in the running event loop
    and closes it in `aclose()`; it then belongs to that loop. Given a session,
    it uses it and leaves closing it to you; the session's own resend of an
    idempotent request on a dropped connection is turned off (retrying is
    gr4vy_fn's), and a trace hook of gr4vy_fn's is added to it. A connection
    idle for more than `idle_timeout` seconds is not reused, and a connection
    whose answer was not read to the end (an error, a cancellation) is closed,
    never pooled. Bodies over `max_response_bytes` are refused without being
    read in full; compressed bodies are inflated here, in bounded steps. After
    `os.fork()`, the child never uses a connection the parent opened.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        limit: int = 100,
        idle_timeout: float = 4.0,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self.max_response_bytes = max_response_bytes
        self._limit = limit
        self._idle_timeout = idle_timeout
        self._pid = os.getpid()
        self._socket_limits = aiohttp.ClientTimeout(sock_connect=None, sock_read=None)
        if session is not None:
            _send_once(session)

    def _client(self) -> aiohttp.ClientSession:
        if self._pid != os.getpid():
            self._forget_connections_of_parent()
        if self._session is None:
            connector = _CountingConnector(limit=self._limit, keepalive_timeout=self._idle_timeout)
            # Nothing asks for compression, as in the sync transport; the User-Agent is prepare's.
            self._session = aiohttp.ClientSession(
                connector=connector,
                skip_auto_headers=("Accept-Encoding", "User-Agent"),
                auto_decompress=False,
            )
            _send_once(self._session, traced=False)
            require_layout(
                "aiohttp", _TESTED, connector, "_conns"
            )  # no public way to empty a pool after a fork
        return self._session

    def _forget_connections_of_parent(self) -> None:
        """In a forked child: the idle connections in the pool are the parent's; set them aside."""
        self._pid = os.getpid()
        connector: Any = self._session.connector if self._session is not None else None
        if connector is not None and hasattr(connector, "_conns"):
            connector._conns = emptied(connector._conns)

    async def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Send `request` once and return the whole response, or raise a TransportError."""
        sent = _OnTheWire()
        try:
            return await within(timeout.total, self._exchange(request, timeout, sent), lambda: sent.connected)
        except BaseException:  # a deadline, a cancellation: the connection is not pooled, and ends now
            sent.cut()
            raise

    async def _exchange(self, request: HttpRequest, timeout: Timeout, sending: _OnTheWire) -> HttpResponse:
        limits = self._socket_limits
        if limits.sock_connect != timeout.connect or limits.sock_read != timeout.read:
            # Most calls use the config's timeout: the last one made serves again (frozen, so shareable).
            limits = aiohttp.ClientTimeout(sock_connect=timeout.connect, sock_read=timeout.read)
            self._socket_limits = limits
        context = _sending.set(sending)
        try:
            response = await self._client().request(
                request.method,
                request.url,
                data=request.body,
                headers=request.headers.to_dict(),
                allow_redirects=False,
                timeout=limits,
                auto_decompress=False,
                trace_request_ctx=sending,
            )
        except (aiohttp.ClientError, _ResendRefused) as exc:
            error = _mapped(exc, sending)
        else:
            return await self._read(response, sending)
        finally:
            _sending.reset(context)
        raise error

    async def _read(self, response: aiohttp.ClientResponse, sending: _OnTheWire) -> HttpResponse:
        body = await read_limited(
            response.content.iter_any(),
            (response.headers, response.status, self.max_response_bytes),
            response.close,
            aiohttp.ClientError,
            lambda exc: _mapped(exc, sending),
        )
        response.release()
        return HttpResponse(status=response.status, headers=Headers.deferred(response.headers), body=body)

    async def aclose(self) -> None:
        """Close the session this transport opened (a session given to it is left open)."""
        if self._owns_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()


if sys.version_info >= (3, 11):
    KEEPS_TOTAL.add(AiohttpTransport)
