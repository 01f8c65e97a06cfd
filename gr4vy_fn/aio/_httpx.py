"""An AsyncTransport over httpx's AsyncClient (the `httpx` extra): sends each request once."""

from __future__ import annotations

import functools
import socket
import ssl

import httpx

from .._http import MAX_RESPONSE_BYTES, Headers, HttpRequest, HttpResponse, Timeout
from ..errors import ConnectError, ConnectionDropped, ConnectTimeout, ReadTimeout, TlsError, TransportError
from ._body import read_limited


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _mapped(exc: httpx.HTTPError) -> TransportError:
    """Map an httpx failure to the TransportError saying whether the request may have been sent."""
    if isinstance(exc, httpx.ConnectError):  # no connection: nothing was written
        causes = _causes(exc)
        if any(isinstance(cause, ssl.SSLCertVerificationError) for cause in causes):
            return TlsError(message="the certificate did not verify", verification=True)
        if any(isinstance(cause, ssl.SSLError) for cause in causes):
            return TlsError(message="the TLS handshake failed")
        if any(isinstance(cause, socket.gaierror) for cause in causes):
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
    was not read to the end (an error, a cancellation) is closed, never pooled.
    Bodies over `max_response_bytes` are refused without being read in full.
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

    def _open(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(limits=self._limits, follow_redirects=False, verify=_trust())
            # Nothing asks for compression, as in the sync transport.
            del self._client.headers["Accept-Encoding"]
        return self._client

    async def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Send `request` once and return the whole response, or raise a TransportError."""
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
        )
        try:
            response = await client.send(built, stream=True)
        except httpx.HTTPError as exc:
            raise _mapped(exc) from None
        try:
            body = await read_limited(
                response.aiter_bytes(),
                declared=response.headers.get("Content-Length"),
                status=response.status_code,
                limit=self.max_response_bytes,
            )
        except BaseException as exc:
            await response.aclose()  # not read to the end: httpcore closes the connection
            if isinstance(exc, httpx.HTTPError):
                raise _mapped(exc) from None
            raise
        await response.aclose()
        return HttpResponse(
            status=response.status_code, headers=Headers.deferred(response.headers.multi_items()), body=body
        )

    async def aclose(self) -> None:
        """Close the client this transport opened (a client given to it is left open)."""
        if self._client_given is None and self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
