"""A transport over requests (the `requests` extra): a Session's proxies and adapters, our guarantees.

requests has no overall timeout and says little about whether a request went
out. So the session's HTTP adapters get connection classes that note the
first byte written and hand their socket to a watchdog, which shuts it down
at the attempt's deadline; bodies are read in bounded steps.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import io
import os
import socket
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .._http import MAX_RESPONSE_BYTES, Headers, HttpRequest, HttpResponse, Timeout
from ..errors import (
    ConnectError,
    ConnectionDropped,
    ConnectTimeout,
    ReadTimeout,
    TransportError,
    _deadline_exceeded,
)
from ._connections import (
    FinalAnswerOnly,
    NotesWriting,
    forget_pools_of_parent,
    read1_chunks,
    refuse_unreadable_head,
)
from ._limits import Attempt, causes, read_body, tls_failure

__all__ = ["RequestsTransport"]


class EndNoting(io.RawIOBase):
    """A raw reader that notes when its stream ended (a read of no bytes)."""

    def __init__(self, raw: io.RawIOBase) -> None:
        super().__init__()
        self._raw = raw
        self.ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        count = self._raw.readinto(buffer)
        if count == 0:
            self.ended = True
        return count

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _FinalResponse(FinalAnswerOnly, http.client.HTTPResponse):
    """An HTTP response read to the final answer; a head cut short, or whose end is a guess, is refused."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self._reader = EndNoting(self.fp.detach())  # nothing was read from fp yet
        self.fp = io.BufferedReader(self._reader)

    def begin(self) -> None:
        super().begin()
        refuse_unreadable_head(self, cut=self._reader.ended)


class _Watched(NotesWriting):
    """Mixed into urllib3's connection classes: report to the running attempt, read final answers."""

    response_class: type[http.client.HTTPResponse] = _FinalResponse


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAttempt(Attempt):
    """An attempt whose watchdog shuts the connection's socket down at the deadline."""

    __slots__ = ("_done", "_lock", "_sock", "fired")

    def __init__(self, total: float | None) -> None:
        super().__init__(total)
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._done = False
        self.fired = False
        if self.deadline is not None:
            _WATCHDOG.arm(self.deadline, self)

    def before_writing(self, sock: socket.socket | None) -> None:
        """Note the request's first byte is going out on `sock`, unless the deadline has passed."""
        if not self.wrote and self.expired():
            msg = "the deadline passed before the request was written"
            raise TimeoutError(msg)
        self._sock, self.wrote = sock, True

    def expire(self) -> None:
        """Shut the connection's socket down, unless the attempt is over: every wait on it ends now."""
        with self._lock:
            if self._done:
                return
            self.fired = True
            sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> bool:
        """Stop the watchdog; return whether it went off (then the connection must not be reused)."""
        with self._lock:
            self._done, self._sock = True, None  # the watchdog keeps the attempt until its deadline
        return self.fired


class _Watchdog:
    """One daemon thread that expires attempts at their deadlines (a thread per send costs ~0.5 ms)."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, _WatchedAttempt]] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def arm(self, deadline: float, attempt: _WatchedAttempt) -> None:
        """Expire `attempt` at `deadline` (monotonic seconds) unless it is cancelled first."""
        with self._wake:
            if self._thread is None or self._pid != os.getpid():  # none yet, or it did not survive a fork
                self._due.clear()
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="gr4vy_fn-watchdog", daemon=True)
                self._thread.start()
            heapq.heappush(self._due, (deadline, id(attempt), attempt))
            if self._due[0][2] is attempt:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._wake.wait(self._due[0][0] - time.monotonic() if self._due else None)
                _, _, attempt = heapq.heappop(self._due)
            attempt.expire()


_WATCHDOG = _Watchdog()


def _watch(session: requests.Session) -> None:
    """Give the session's HTTP adapters connection classes that report to the running attempt."""
    for adapter in session.adapters.values():
        if isinstance(adapter, HTTPAdapter):
            adapter.poolmanager.pool_classes_by_scheme = {
                "http": _WatchedHTTPPool,
                "https": _WatchedHTTPSPool,
            }


class RequestsTransport:
    """Send through a `requests.Session`: one request per send, no retries, no redirects.

    Give it your own session for its proxies, certificates or mounted adapters
    (its HTTP adapters' pools are made to report to the attempt: the deadline
    covers connections they make from then on). After `os.fork()`, the child
    never uses a connection the parent opened. The whole attempt ends by
    `Timeout.total` (the host name lookup included), bodies over `max_response_bytes` are refused
    without being read in full, and gzip bodies are inflated in bounded steps.
    """

    def __init__(
        self, session: requests.Session | None = None, *, max_response_bytes: int = MAX_RESPONSE_BYTES
    ) -> None:
        self.session = session if session is not None else requests.Session()
        self.max_response_bytes = max_response_bytes
        _watch(self.session)
        self._pid = os.getpid()

    def close(self) -> None:
        """Close the session's connections."""
        self.session.close()

    def _forget_connections_of_parent(self) -> None:
        """In a forked child: the pooled connections of the session's adapters are the parent's."""
        self._pid = os.getpid()
        for adapter in self.session.adapters.values():
            if isinstance(adapter, HTTPAdapter):
                forget_pools_of_parent(adapter.poolmanager)

    def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Send `request` once and return the whole response, or raise a TransportError."""
        if self._pid != os.getpid():
            self._forget_connections_of_parent()
        attempt = _WatchedAttempt(timeout.total)
        try:
            with attempt:
                return self._exchange(request, timeout, attempt)
        finally:
            attempt.cancel()

    def _exchange(self, request: HttpRequest, timeout: Timeout, attempt: _WatchedAttempt) -> HttpResponse:
        answer, error = self._request(request, timeout, attempt)
        if error is not None:
            raise error  # outside the except block: no context holding the library's frames
        assert answer is not None
        try:
            body = self._read(answer, attempt)
        except BaseException:
            answer.close()
            raise
        if attempt.cancel():  # the watchdog shut this socket down: it cannot go back to the pool
            answer.close()
        else:
            answer.raw.release_conn()
        return HttpResponse(
            status=answer.status_code, headers=Headers.deferred(answer.headers.items()), body=body
        )

    def _request(
        self, request: HttpRequest, timeout: Timeout, attempt: _WatchedAttempt
    ) -> tuple[requests.Response | None, TransportError | None]:
        """Send the request and read the head; return the answer, or the error for the caller to raise.

        This frame holds the headers (the bearer token): it must not be on an error's traceback.
        """
        headers: dict[str, str | None] = dict(request.headers.to_dict())
        if "accept-encoding" not in request.headers:
            headers["Accept-Encoding"] = None  # no compression unless asked: drop the session's default
        try:
            answer = self.session.request(
                request.method,
                request.url,
                headers=headers,
                data=request.body,
                timeout=(attempt.clip(timeout.connect), attempt.clip(timeout.read)),
                allow_redirects=False,
                stream=True,
            )
        except (requests.RequestException, urllib3_errors.HTTPError, OSError) as exc:
            return None, _mapped(exc, attempt)
        return answer, None

    def _read(self, answer: requests.Response, attempt: _WatchedAttempt) -> bytes:
        try:
            return read_body(
                read1_chunks(answer.raw),
                length=answer.headers.get("content-length"),
                encoding=answer.headers.get("content-encoding", ""),
                limit=self.max_response_bytes,
                status=answer.status_code,
                attempt=attempt,
            )
        except (urllib3_errors.HTTPError, requests.RequestException, OSError) as exc:
            error = _mapped(exc, attempt)
        except (
            ValueError,
            http.client.HTTPException,
        ):  # framing urllib3 does not check (a negative chunk size)
            error = ConnectionDropped(message="the answer's framing is not HTTP", request_sent=True)
        raise error


def _mapped(exc: BaseException, attempt: _WatchedAttempt) -> TransportError:
    """Map what requests or urllib3 raised to the TransportError that says whether the request went out."""
    if not attempt.engaged:  # a pool the hooks do not reach (a proxy's): judge by the exception alone
        return _before_sending(exc) if _connecting(exc) else _after_sending(exc)
    if attempt.fired or attempt.expired():
        return _deadline_exceeded(attempt.wrote)
    return _after_sending(exc) if attempt.wrote else _before_sending(exc)


def _connecting(exc: BaseException) -> bool:
    """Say whether `exc` can only come from making the connection: resolving, connecting, TLS."""
    kinds = (
        requests.ConnectTimeout,
        requests.exceptions.SSLError,
        urllib3_errors.NewConnectionError,
        urllib3_errors.ConnectTimeoutError,
    )
    return any(isinstance(e, kinds) for e in causes(exc))


def _after_sending(exc: BaseException) -> TransportError:
    if isinstance(exc, (requests.Timeout, urllib3_errors.TimeoutError, TimeoutError)):
        return ReadTimeout(message="no answer in time")
    return ConnectionDropped(message=f"the connection broke ({type(exc).__name__})", request_sent=True)


def _before_sending(exc: BaseException) -> TransportError:
    chain = causes(exc)
    tls = tls_failure(chain)
    if tls is not None:
        return tls
    # urllib3's NewConnectionError (and NameResolutionError) derive from its timeout error: test them first.
    if any(isinstance(e, (urllib3_errors.NameResolutionError, socket.gaierror)) for e in chain):
        return ConnectError(message="the host name did not resolve")
    if any(isinstance(e, (urllib3_errors.NewConnectionError, ConnectionRefusedError)) for e in chain):
        return ConnectError(message="the connection was refused or failed")
    if any(isinstance(e, (requests.Timeout, urllib3_errors.TimeoutError, TimeoutError)) for e in chain):
        return ConnectTimeout(message="no connection in time")
    return ConnectError(message="the connection failed")
