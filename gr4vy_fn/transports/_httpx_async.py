"""An AsyncTransport over httpx's AsyncClient (the `httpx` extra): sends each request once."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import socket
import ssl
import sys
from typing import Any, cast

import httpx

from .._http import MAX_RESPONSE_BYTES, Headers, HttpRequest, HttpResponse, Timeout
from ..errors import (
    ConnectError,
    ConnectionDropped,
    ConnectTimeout,
    ReadTimeout,
    TlsError,
    TransportError,
    _deadline_exceeded,
)
from ._httpx_pool import check_layout, close_if_surplus, forget_connections_of_parent, pool_of
from ._limits import causes, tls_failure
from ._time_limit import KEEPS_TOTAL, read_limited, time_limit


class _Writes:
    """httpcore's trace of one send: whether the request's head started out on the wire."""

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started = False

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith("send_request_headers.started"):
            self.started = True


def _mapped(exc: httpx.HTTPError) -> TransportError:
    """Map an httpx failure to the TransportError saying whether the request may have been sent."""
    if isinstance(exc, httpx.ConnectError):  # no connection: nothing was written
        chain = causes(exc)
        tls = tls_failure(chain)
        if tls is not None:
            return tls
        if any(isinstance(cause, socket.gaierror) for cause in chain):
            return ConnectError(message="the host name did not resolve")
        return ConnectError(message="the connection was refused or failed")
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return ConnectTimeout(message="no connection in time")
    if isinstance(exc, httpx.TimeoutException):
        return ReadTimeout(message="no answer in time")
    return ConnectionDropped(message=f"the connection broke ({type(exc).__name__})")


@functools.cache
def _trust() -> ssl.SSLContext:
    """httpx's default verified context (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), made once.

    Loading the trust store takes 30 to 40 ms, and each event loop gets a client of its own: a
    handler that calls asyncio.run per invocation would pay it every time.
    """
    return httpx.create_ssl_context()


class HttpxTransport:
    """An AsyncTransport over an httpx AsyncClient: keep-alive connections, TLS verified.

    Made without a client, it opens one on first use and closes it in
    `aclose()`; it then belongs to the event loop that first used it. Such
    clients share one trust store, loaded once per process (the environment's
    SSL_CERT_FILE and SSL_CERT_DIR are read then). Given a
    client, it uses it and leaves closing it to you. A connection idle for more
    than `idle_timeout` seconds is not reused, and a connection whose answer
    was not read to the end (an error, a cancellation), or was followed by
    bytes the server should not have sent, is closed, never pooled. Bodies
    over `max_response_bytes` are refused without being read in full;
    compressed bodies are inflated here, in bounded steps. The whole attempt
    ends by `Timeout.total`. After `os.fork()`, the child never uses a
    connection the parent opened. Callers past its `limit` of connections
    wait in a queue of the transport's, in front of httpcore's pool: not sent,
    they end as DeadlineExceeded with request_sent=False.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        limit: int = 100,
        idle_timeout: float = 4.0,
    ) -> None:
        self._client_given = client
        self._client: httpx.AsyncClient | None = client
        self.max_response_bytes = max_response_bytes
        self._limits = httpx.Limits(
            max_connections=limit, max_keepalive_connections=limit, keepalive_expiry=idle_timeout
        )
        self._slots: asyncio.Semaphore | contextlib.nullcontext[None] = (
            contextlib.nullcontext() if client is not None else asyncio.Semaphore(limit)
        )
        self._pid = os.getpid()

    def _open(self) -> httpx.AsyncClient:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            if self._client is not None:
                forget_connections_of_parent(pool_of(self._client))
        if self._client is None:
            self._client = httpx.AsyncClient(limits=self._limits, follow_redirects=False, verify=_trust())
            # Nothing asks for compression, as in the sync transport.
            del self._client.headers["Accept-Encoding"]
            check_layout(self._client)
        return self._client

    async def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Send `request` once and return the whole response, or raise a TransportError."""
        writes = _Writes()
        try:
            if timeout.total is None:
                async with self._slots:
                    return await self._exchange(request, timeout, writes)
            ends = asyncio.get_running_loop().time() + timeout.total
            async with time_limit(timeout.total), self._slots:
                # A turn in the queue is time spent: httpx's own limits get what is left, so that the
                # attempt ends by the total even where anyio swallows the time limit's cancellation
                # (Python 3.10).
                left = ends - asyncio.get_running_loop().time()
                if left <= 0:  # the turn came too late: nothing was sent
                    raise _deadline_exceeded(request_sent=False)
                return await self._exchange(request, timeout.clipped(left), writes)
        except (TimeoutError, asyncio.TimeoutError):
            pass
        raise _deadline_exceeded(writes.started)  # outside the except block: no library frames

    async def _exchange(self, request: HttpRequest, timeout: Timeout, writes: _Writes) -> HttpResponse:
        client = self._open()
        limits = httpx.Timeout(
            connect=timeout.connect, read=timeout.read, write=timeout.read, pool=timeout.connect
        )
        built = client.build_request(
            request.method,
            request.url,
            headers=request.headers.to_dict(),
            content=request.body,
            timeout=limits,
            extensions={"trace": writes},
        )
        try:
            response = await client.send(built, stream=True)
        except httpx.HTTPError as exc:
            error = _mapped(exc)
            if not writes.started and error.request_sent:  # the trace saw nothing go out
                error = ConnectError(message=error.message, request_sent=False)
            raise error from None
        except ssl.SSLError as exc:  # httpcore 1.0 lets the TLS handshake's own error through
            raise tls_failure([exc]) or TlsError(message="the TLS handshake failed") from None
        body = await read_limited(
            # The stream itself, not aiter_raw: that closes the answer once read (see close_if_surplus).
            aiter(cast(httpx.AsyncByteStream, response.stream)),
            (response.headers, response.status_code, self.max_response_bytes),
            response.aclose,  # not read to the end: httpcore closes the connection
            httpx.HTTPError,
            _mapped,
        )
        close_if_surplus(pool_of(client), response)
        await response.aclose()
        return HttpResponse(
            status=response.status_code, headers=Headers.deferred(response.headers.multi_items()), body=body
        )

    async def aclose(self) -> None:
        """Close the client this transport opened (a client given to it is left open)."""
        if self._client_given is None and self._client is not None:
            client, self._client = self._client, None
            self._slots = asyncio.Semaphore(self._limits.max_connections or 1)  # the next loop's own
            await client.aclose()


if sys.version_info >= (3, 11):
    KEEPS_TOTAL.add(HttpxTransport)
