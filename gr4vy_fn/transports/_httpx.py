"""A transport over httpx's sync Client (the `httpx` extra): its proxies and settings, our guarantees.

httpx bounds each socket operation, not the whole exchange, and does not say
whether a request went out. So the client's network streams are wrapped: the
host name lookup and each connect, read and write wait at most until the
attempt's deadline, and the first write is noted (and refused once the
deadline has passed); bodies are read in bounded steps.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any, cast

import httpcore
import httpx

from .._http import MAX_RESPONSE_BYTES, Headers, HttpRequest, HttpResponse, Timeout
from ..errors import (
    TransportError,
    _deadline_exceeded,
)
from ._httpx_pool import check_layout, close_if_surplus, forget_connections_of_parent, pool_of
from ._limits import Attempt, LookupAbandoned, current, read_body, resolve, sync_failure

__all__ = ["HttpxTransport"]

_CONNECTIONS = 100
# httpcore reassigns its whole queue and pool under one lock each time a request ends (work growing with
# requests x connections): 300 callers in it ran 0.15 to 0.3 s past their deadline. So callers past the
# cap wait in a semaphore of the transport's, which lets each go at its deadline at no cost.
_LIMITS = httpx.Limits(max_connections=_CONNECTIONS, max_keepalive_connections=20)


def _clip(timeout: float | None, on_expiry: type[Exception]) -> float | None:
    attempt = current()
    if attempt is None:
        return timeout
    if attempt.expired():
        msg = "the attempt's deadline passed"
        raise on_expiry(msg)
    return attempt.clip(timeout)


def _engage() -> None:
    attempt = current()
    if attempt is not None:
        attempt.engaged = True


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every wait ends by the running attempt's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clip(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        clipped = _clip(timeout, httpcore.WriteTimeout)  # raises before the first byte once too late
        attempt = current()
        if attempt is not None:
            attempt.engaged = attempt.wrote = True
        self._stream.write(buffer, clipped)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        clipped = _clip(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, clipped))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """A network backend whose connections wait at most until the running attempt's deadline."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        attempt = current()
        _engage()
        left = None if attempt is None else attempt.remaining()
        try:
            addresses = resolve(host, port, socket.AF_UNSPEC, left)
        except LookupAbandoned as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        error: Exception | None = None
        for *_, address in addresses:  # the TLS handshake names `host` all the same (httpcore passes it)
            clipped = _clip(timeout, httpcore.ConnectTimeout)
            try:
                stream = self._backend.connect_tcp(address[0], port, clipped, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:  # the next address may answer
                error = exc
            else:
                return _DeadlineStream(stream)
        assert error is not None  # getaddrinfo answers with at least one address or raises
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        clipped = _clip(timeout, httpcore.ConnectTimeout)
        _engage()
        return _DeadlineStream(self._backend.connect_unix_socket(path, clipped, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _bound(client: httpx.Client) -> bool:
    """Wrap the network backend of the client's default transport; say whether it could be found."""
    pool = pool_of(client)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, _DeadlineBackend):
        return True
    if not isinstance(backend, httpcore.NetworkBackend):
        return False
    pool._network_backend = _DeadlineBackend(backend)
    return True


class HttpxTransport:
    """Send through an `httpx.Client`: one request per send, no retries, no redirects.

    Give it your own client for its proxies, certificates or limits (its
    default transport's network streams are wrapped so that every wait ends
    by the deadline). With the client it makes itself, callers past its 100
    connections wait in a queue of the transport's, and one still there at
    its deadline ends as DeadlineExceeded with request_sent=False. The whole
    attempt ends by `Timeout.total` (the host name lookup included), bodies
    over `max_response_bytes` are refused without being read in full, and
    gzip bodies are inflated in bounded steps. A connection whose answer
    is followed by bytes the server should not have sent is closed, never
    pooled; after `os.fork()`, the child never uses a connection the parent
    opened.
    """

    def __init__(
        self, client: httpx.Client | None = None, *, max_response_bytes: int = MAX_RESPONSE_BYTES
    ) -> None:
        self.client = client if client is not None else httpx.Client(follow_redirects=False, limits=_LIMITS)
        if client is None:
            check_layout(self.client)
        self.max_response_bytes = max_response_bytes
        self.bounded = _bound(self.client)
        self._slots = threading.Semaphore(_CONNECTIONS) if client is None else None
        self._pid = os.getpid()

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Send `request` once and return the whole response, or raise a TransportError."""
        if self._pid != os.getpid():  # a forked child: the pool's connections are the parent's
            self._pid = os.getpid()
            forget_connections_of_parent(pool_of(self.client))
            if self._slots is not None:  # a thread of the parent may have held a slot
                self._slots = threading.Semaphore(_CONNECTIONS)
        with Attempt(timeout.total) as attempt:
            if self._slots is not None and not self._slots.acquire(timeout=attempt.remaining()):
                raise _deadline_exceeded(request_sent=False)
            try:
                return self._exchange(request, timeout, attempt)
            finally:
                if self._slots is not None:
                    self._slots.release()

    def _exchange(self, request: HttpRequest, timeout: Timeout, attempt: Attempt) -> HttpResponse:
        """Send `request` within `attempt` and return the whole response, or raise a TransportError."""
        answer, error = self._request(request, timeout, attempt)
        if error is not None:
            raise error  # outside the except block: no context holding the library's frames
        assert answer is not None
        try:
            body = self._read(answer, attempt)
            close_if_surplus(pool_of(self.client), answer)
        finally:
            answer.close()
        return HttpResponse(
            status=answer.status_code, headers=Headers.deferred(answer.headers.multi_items()), body=body
        )

    def _request(
        self, request: HttpRequest, timeout: Timeout, attempt: Attempt
    ) -> tuple[httpx.Response | None, TransportError | None]:
        """Send the request and read the head; return the answer, or the error for the caller to raise.

        This frame holds the request's headers (the bearer token): it must not be on an error's traceback.
        """
        built = self.client.build_request(
            request.method,
            request.url,
            headers=request.headers.to_dict(),
            content=request.body,
            timeout=httpx.Timeout(
                connect=attempt.clip(timeout.connect),
                read=attempt.clip(timeout.read),
                write=attempt.clip(timeout.read),
                pool=attempt.clip(timeout.connect),
            ),
        )
        if "accept-encoding" not in request.headers:
            built.headers.pop("accept-encoding", None)  # no compression unless asked
        try:
            return self.client.send(built, stream=True, follow_redirects=False), None
        except httpx.HTTPError as exc:
            return None, _mapped(exc, attempt)

    def _read(self, answer: httpx.Response, attempt: Attempt) -> bytes:
        # A response built in memory (a mock transport's) was read, and decoded, already.
        read = answer.is_stream_consumed
        try:
            return read_body(
                [answer.content] if read else _raw(answer),
                length=answer.headers.get("content-length"),
                encoding="" if read else answer.headers.get("content-encoding", ""),
                limit=self.max_response_bytes,
                status=answer.status_code,
                attempt=attempt,
            )
        except httpx.HTTPError as exc:
            error = _mapped(exc, attempt)
        raise error


def _raw(answer: httpx.Response) -> Iterator[bytes]:
    # The stream itself, not iter_raw: that closes the answer once read, and the connection goes back to
    # the pool before close_if_surplus can look at what follows the answer.
    return iter(cast(httpx.SyncByteStream, answer.stream))


def _mapped(exc: httpx.HTTPError, attempt: Attempt) -> TransportError:
    """Map what httpx raised (a mounted transport's too, which no hook reaches) to a TransportError."""
    connecting = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    return sync_failure(exc, attempt, connecting, ((httpx.TimeoutException,), (socket.gaierror,), ()))
