"""An AsyncTransport over aiohttp (the `aiohttp` extra): sends each request once."""

from __future__ import annotations

import asyncio

import aiohttp

from .._http import MAX_RESPONSE_BYTES, Headers, HttpRequest, HttpResponse, Timeout
from ..errors import ConnectError, ConnectionDropped, ConnectTimeout, ReadTimeout, TlsError, TransportError
from ._body import read_limited


def _mapped(exc: BaseException) -> TransportError:
    """Map an aiohttp failure to the TransportError saying whether the request may have been sent."""
    # The connector's errors come before a byte is written; everything else may come after.
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return TlsError(message="the certificate did not verify", verification=True)
    if isinstance(exc, aiohttp.ClientConnectorSSLError):
        return TlsError(message="the TLS handshake failed")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return ConnectError(message="the host name did not resolve")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectError(message="the connection was refused or failed")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ConnectTimeout(message="no connection in time")
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError, TimeoutError)):
        return ReadTimeout(message="no answer in time")
    return ConnectionDropped(message=f"the connection broke ({type(exc).__name__})")


class AiohttpTransport:
    """An AsyncTransport over an aiohttp ClientSession: keep-alive connections, TLS verified.

    Made without a session, it opens one on first use in the running event loop
    and closes it in `aclose()`; it then belongs to that loop. Given a session,
    it uses it and leaves closing it to you. A connection idle for more than
    `idle_timeout` seconds is not reused, and a connection whose answer was not
    read to the end (an error, a cancellation) is closed, never pooled.
    Bodies over `max_response_bytes` are refused without being read in full.
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

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._limit, keepalive_timeout=self._idle_timeout)
            # Nothing asks for compression, as in the sync transport; the User-Agent is prepare's.
            self._session = aiohttp.ClientSession(
                connector=connector, skip_auto_headers=("Accept-Encoding", "User-Agent")
            )
        return self._session

    async def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Send `request` once and return the whole response, or raise a TransportError."""
        limits = aiohttp.ClientTimeout(
            total=timeout.total, sock_connect=timeout.connect, sock_read=timeout.read
        )
        try:
            response = await self._client().request(
                request.method,
                request.url,
                data=request.body,
                headers=request.headers.to_dict(),
                allow_redirects=False,
                timeout=limits,
            )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise _mapped(exc) from None
        try:
            body = await read_limited(
                response.content.iter_any(),
                declared=response.headers.get("Content-Length"),
                status=response.status,
                limit=self.max_response_bytes,
            )
        except BaseException as exc:
            response.close()  # not read to the end: the connection must not go back to the pool
            if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError)):
                raise _mapped(exc) from None
            raise
        response.release()
        return HttpResponse(status=response.status, headers=Headers.deferred(response.headers), body=body)

    async def aclose(self) -> None:
        """Close the session this transport opened (a session given to it is left open)."""
        if self._owns_session and self._session is not None:
            session, self._session = self._session, None
            await session.close()
