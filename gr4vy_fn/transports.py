"""Transports: the only code that does I/O. Each sends a request exactly once.

`Urllib3Transport` is the default. `MockTransport` turns a function into a
transport, for tests and for routing calls anywhere you like.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from types import TracebackType

import urllib3
from urllib3 import exceptions as u3

from ._http import Headers, HttpRequest, HttpResponse, Timeout, Transport
from .errors import (
    ConnectError,
    ConnectionDropped,
    ConnectTimeout,
    DeadlineExceeded,
    ReadTimeout,
    ResponseTooLarge,
    TlsError,
    TransportError,
)

__all__ = ["MockTransport", "Transport", "Urllib3Transport"]

MAX_RESPONSE_BYTES = 1 << 20
# urllib3 steps that run before a byte of the request is written: a failure
# inside one of them means the server cannot have seen the request.
_BEFORE_SENDING = frozenset({"_validate_conn", "_new_conn", "_prepare_proxy", "do_handshake", "wrap_socket"})


class MockTransport:
    """A transport that answers with `handler(request)`; the handler may raise a TransportError."""

    def __init__(self, handler: Callable[[HttpRequest], HttpResponse]) -> None:
        self.handler = handler

    def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Return the handler's answer to `request`."""
        return self.handler(request)


def _failed_before_sending(exc: BaseException) -> bool:
    """Say whether urllib3 raised `exc` while connecting, before writing the request."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        tb: TracebackType | None = current.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_name in _BEFORE_SENDING:
                return True
            tb = tb.tb_next
        current = current.__cause__ or current.__context__
    return False


def _tls_verification_failed(exc: BaseException) -> bool:
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, (ssl.SSLCertVerificationError, ssl.CertificateError)):
            return True
        current = (
            current.__cause__
            or current.__context__
            or (current.args[0] if current.args and isinstance(current.args[0], BaseException) else None)
        )
    return False


def _mapped(exc: Exception) -> TransportError:
    """Map a urllib3 or socket failure to the TransportError saying whether the request was sent."""
    before = _failed_before_sending(exc)
    name = type(exc).__name__
    if isinstance(exc, u3.NameResolutionError):
        return ConnectError(message="the host name did not resolve")
    if isinstance(exc, u3.NewConnectionError):  # a subclass of ConnectTimeoutError: test it first
        return ConnectError(message="the connection was refused or failed")
    if isinstance(exc, u3.ConnectTimeoutError):
        return ConnectTimeout(message="no connection in time")
    if isinstance(exc, (u3.SSLError, ssl.SSLError)):
        if before:
            verification = _tls_verification_failed(exc)
            what = "the certificate did not verify" if verification else "the TLS handshake failed"
            return TlsError(message=what, verification=verification)
        return ConnectionDropped(message="the TLS connection failed mid-exchange", request_sent=True)
    if isinstance(exc, (u3.ReadTimeoutError, TimeoutError)):
        if before:
            return ConnectTimeout(message="the TLS handshake timed out")
        return ReadTimeout(message="no answer in time")
    if isinstance(exc, u3.ProxyError):
        return ConnectError(message="the proxy connection failed")
    return ConnectionDropped(message=f"the connection broke ({name})", request_sent=not before)


class Urllib3Transport:
    """The default transport: a urllib3 PoolManager, with urllib3's own retries and redirects off.

    TLS certificates are verified. Connections are pooled and reused across
    calls and threads; before a POST, connections idle for more than
    `idle_timeout` seconds are dropped, so a create never goes out on a
    connection the server (or a frozen serverless runtime) has let go.
    Bodies over `max_response_bytes` are refused without being read in full.
    """

    def __init__(
        self,
        pool_manager: urllib3.PoolManager | None = None,
        *,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        idle_timeout: float = 4.0,
        maxsize: int = 16,
    ) -> None:
        self.pool_manager = pool_manager or urllib3.PoolManager(num_pools=4, maxsize=maxsize)
        self.max_response_bytes = max_response_bytes
        self.idle_timeout = idle_timeout
        self._last_used = time.monotonic()
        self._lock = threading.Lock()

    def _drop_idle_connections(self, now: float) -> None:
        with self._lock:
            if now - self._last_used > self.idle_timeout:
                self.pool_manager.clear()
            self._last_used = now

    def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Send `request` once and return the whole response, or raise a TransportError."""
        started = time.monotonic()
        if request.method == "POST":
            self._drop_idle_connections(started)
        else:
            self._last_used = started
        try:
            response = self.pool_manager.urlopen(
                request.method,
                request.url,
                body=request.body,
                headers=request.headers.to_dict(),
                retries=False,
                redirect=False,
                # `total` bounds connecting and waiting for the answer together.
                timeout=urllib3.Timeout(connect=timeout.connect, read=timeout.read, total=timeout.total),
                preload_content=False,
            )
        except (u3.HTTPError, OSError) as exc:
            raise _mapped(exc) from None
        try:
            body = self._read_body(response, started, timeout.total)
        finally:
            response.release_conn()
        self._last_used = time.monotonic()
        return HttpResponse(status=response.status, headers=Headers.deferred(response.headers), body=body)

    def _read_body(self, response: urllib3.BaseHTTPResponse, started: float, total: float | None) -> bytes:
        limit = self.max_response_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise ResponseTooLarge(
                message=f"the body ({declared} bytes) is over the limit of {limit}",
                status=response.status,
            )
        expected = int(declared) if declared.isdigit() else -1
        # Nothing asked for compression; only a body that says it is encoded goes through a decoder.
        decode = "content-encoding" in response.headers
        chunks: list[bytes] = []
        size = 0
        try:
            while size != expected:  # with no Content-Length, until the server closes
                chunk = response.read1(65536, decode_content=decode)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    response.close()
                    raise ResponseTooLarge(
                        message=f"the body is over the limit of {limit} bytes",
                        status=response.status,
                    )
                chunks.append(chunk)
                if total is not None and time.monotonic() - started > total:
                    response.close()
                    raise DeadlineExceeded(message="the body did not arrive in time", request_sent=True)
            return b"".join(chunks)
        except (u3.HTTPError, OSError) as exc:
            response.close()
            error = _mapped(exc)
            if not error.request_sent:  # a failure while reading comes after sending, always
                error = ConnectionDropped(message=error.message, request_sent=True)
            raise error from None
