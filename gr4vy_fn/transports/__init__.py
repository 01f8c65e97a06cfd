"""Transports: the only code that does I/O. Each sends a request exactly once.

`Urllib3Transport` is the default. `MockTransport` turns a function into a
transport, for tests and for routing calls anywhere you like.
"""

from __future__ import annotations

import os
import ssl
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import urllib3
from urllib3 import exceptions as urllib3_errors

from .._http import MAX_RESPONSE_BYTES, Headers, HttpRequest, HttpResponse, Timeout, Transport
from ..config import is_loopback_url
from ..errors import (
    ConnectError,
    ConnectionDropped,
    ConnectTimeout,
    ReadTimeout,
    TlsError,
    TransportError,
    _deadline_exceeded,
)
from ._connections import (
    POOL_CLASSES,
    DeadlinePassed,
    NotSentInTime,
    forget_pools_of_parent,
    read1_chunks,
)
from ._limits import Attempt, causes, current, declared_length, read_body, tls_failure

__all__ = ["MockTransport", "Transport", "Urllib3Transport"]

# Retrying and redirects are never urllib3's: one immutable policy saying so, shared by every call.
_NO_RETRIES = urllib3.Retry(total=False, redirect=False)


class MockTransport:
    """A transport that answers with `handler(request)`; the handler may raise a TransportError."""

    def __init__(self, handler: Callable[[HttpRequest], HttpResponse]) -> None:
        self.handler = handler

    def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Return the handler's answer to `request`."""
        return self.handler(request)


def _mapped(exc: Exception, *, sent: bool, expired: bool = False) -> TransportError:
    """Map a urllib3 or socket failure to a TransportError; `sent`: a byte of the request went out.

    `expired`: the attempt's deadline had passed; a write it cut off is DeadlineExceeded, as on the adapters.
    """
    if isinstance(exc, NotSentInTime):
        return _deadline_exceeded(request_sent=False)
    if sent and expired:
        return _deadline_exceeded(request_sent=True)
    chain = causes(exc)
    if any(isinstance(e, DeadlinePassed) for e in chain):
        return _deadline_exceeded(request_sent=True)
    if isinstance(exc, urllib3_errors.NameResolutionError):
        return ConnectError(message="the host name did not resolve")
    if isinstance(exc, urllib3_errors.NewConnectionError):  # a subclass of ConnectTimeoutError: test it first
        return ConnectError(message="the connection was refused or failed")
    if isinstance(exc, urllib3_errors.ConnectTimeoutError):
        return ConnectTimeout(message="no connection in time")
    if isinstance(exc, (urllib3_errors.SSLError, ssl.SSLError)):
        if not sent:
            return tls_failure(chain) or TlsError(message="the TLS handshake failed", verification=False)
        return ConnectionDropped(message="the TLS connection failed mid-exchange", request_sent=True)
    if isinstance(exc, (urllib3_errors.ReadTimeoutError, TimeoutError)):
        if not sent:
            return ConnectTimeout(message="the TLS handshake timed out")
        return ReadTimeout(message="no answer in time")
    if isinstance(exc, urllib3_errors.ProxyError):
        return ConnectError(message="the proxy connection failed")
    return ConnectionDropped(message=f"the connection broke ({type(exc).__name__})", request_sent=sent)


def _adapted(manager: urllib3.PoolManager) -> urllib3.PoolManager:
    manager.pool_classes_by_scheme = POOL_CLASSES
    return manager


def _environment_proxies() -> dict[str, str]:
    """Return the proxies the environment names, as urllib reads them (scheme -> URL, and "no")."""
    if not any(name[-6:].lower() == "_proxy" for name in os.environ):
        return {}  # the common case, decided without importing urllib.request (a cold-start cost)
    import urllib.request

    return urllib.request.getproxies_environment()


def _bypasses_proxy(netloc: str, proxies: dict[str, str]) -> bool:
    import urllib.request

    # urllib's own NO_PROXY matching, which requests uses too; typeshed does not list it.
    return bool(urllib.request.proxy_bypass_environment(netloc, proxies))  # type: ignore[attr-defined]


class Urllib3Transport:
    """The default transport: a urllib3 PoolManager, with urllib3's own retries and redirects off.

    TLS certificates are verified. Connections are pooled and reused across
    calls and threads; before a POST, connections idle for more than
    `idle_timeout` seconds are dropped, so a create never goes out on a
    connection the server (or a frozen serverless runtime) has let go.
    Bodies over `max_response_bytes` are refused without being read in full.

    `Timeout.total` is a wall-clock bound on the whole attempt: name lookup,
    connecting, the TLS handshake, writing, interim answers, headers and body.
    Nothing is written once it has passed. Interim answers (1xx) are read
    through to the final answer.

    After `os.fork()`, the child never uses a connection opened before the
    fork (its pools start empty), so parent and child never share a socket.

    With `trust_env` (the default) and no `pool_manager`, the proxies of the
    environment are used as requests and httpx use them: `HTTPS_PROXY`,
    `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (any case), read when the
    transport is made. Loopback hosts are never proxied. A `pool_manager` you
    pass is used as it is (a `urllib3.ProxyManager` for a proxy of your
    choice), adapted in place to this package's deadline-aware connections.
    """

    def __init__(
        self,
        pool_manager: urllib3.PoolManager | None = None,
        *,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        idle_timeout: float = 4.0,
        maxsize: int = 16,
        trust_env: bool = True,
    ) -> None:
        self._proxies: dict[str, str] = {}
        if pool_manager is None:
            pool_manager = urllib3.PoolManager(num_pools=4, maxsize=maxsize)
            if trust_env:
                self._proxies = _environment_proxies()
        self.pool_manager = _adapted(pool_manager)
        self.max_response_bytes = max_response_bytes
        self.idle_timeout = idle_timeout
        self._maxsize = maxsize
        self._managers: dict[str, urllib3.PoolManager] = {"": self.pool_manager}  # by proxy URL
        self._routes: dict[str, urllib3.PoolManager] = {}  # by origin
        self._last_used = time.monotonic()
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._last_timeout: tuple[tuple[float | None, float | None], urllib3.Timeout] | None = None

    def close(self) -> None:
        """Close every pooled connection; the transport stays usable and opens new ones as needed."""
        with self._lock:
            for manager in self._managers.values():
                manager.clear()

    def _manager_for(self, url: str) -> urllib3.PoolManager:
        """Return the pool manager for `url`'s origin: direct, or through the environment's proxy."""
        end = url.find("/", 8)  # past "https://"
        origin = url if end == -1 else url[:end]
        manager = self._routes.get(origin)
        if manager is None:
            with self._lock:
                manager = self._routes[origin] = self._route(origin)
        return manager

    def _route(self, origin: str) -> urllib3.PoolManager:
        parsed = urllib3.util.parse_url(origin)
        proxy = self._proxies.get(parsed.scheme or "") or self._proxies.get("all")
        if not proxy or is_loopback_url(origin) or _bypasses_proxy(parsed.netloc or "", self._proxies):
            return self.pool_manager
        manager = self._managers.get(proxy)
        if manager is None:
            auth = urllib3.util.parse_url(proxy).auth
            headers = urllib3.make_headers(proxy_basic_auth=auth) if auth else None
            manager = urllib3.ProxyManager(proxy, num_pools=4, maxsize=self._maxsize, proxy_headers=headers)
            self._managers[proxy] = _adapted(manager)
        return manager

    def _forget_connections_of_parent(self) -> None:
        """In a forked child, start with empty pools (and a lock of the child's own)."""
        self._lock = threading.Lock()
        for manager in self._managers.values():
            forget_pools_of_parent(manager)
        self._pid = os.getpid()

    def _drop_idle_connections(self, now: float) -> None:
        with self._lock:
            if now - self._last_used > self.idle_timeout:
                for manager in self._managers.values():
                    manager.clear()
            self._last_used = now

    def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Send `request` once and return the whole response, or raise a TransportError."""
        if self._pid != os.getpid():
            self._forget_connections_of_parent()
        started = time.monotonic()
        if request.method == "POST":
            self._drop_idle_connections(started)
        else:
            self._last_used = started
        manager = self._manager_for(request.url) if self._proxies else self.pool_manager
        with Attempt(timeout.total):
            return self._exchange(manager, request, timeout)

    def _exchange(self, manager: urllib3.PoolManager, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        attempt = current()
        assert attempt is not None
        try:
            response = manager.urlopen(
                request.method,
                request.url,
                body=request.body,
                headers=request.headers.to_dict(),
                retries=_NO_RETRIES,
                redirect=False,
                timeout=self._urllib3_timeout(timeout),
                preload_content=False,
            )
        except (urllib3_errors.HTTPError, OSError) as exc:
            raise _mapped(exc, sent=attempt.wrote, expired=attempt.expired()) from None
        try:
            body = self._read_body(response, attempt)
        finally:
            response.release_conn()
        self._last_used = time.monotonic()
        return HttpResponse(status=response.status, headers=Headers.deferred(response.headers), body=body)

    def _urllib3_timeout(self, timeout: Timeout) -> urllib3.Timeout:
        """Return urllib3's Timeout for `timeout`, reusing the last one made (urllib3 copies it per use)."""
        key = (timeout.connect, timeout.read)
        last = self._last_timeout
        if last is None or last[0] != key:
            last = self._last_timeout = (key, urllib3.Timeout(connect=timeout.connect, read=timeout.read))
        return last[1]

    def _read_body(self, response: urllib3.BaseHTTPResponse, attempt: Attempt) -> bytes:
        headers = response.headers
        try:
            if _plain_within(headers, self.max_response_bytes):
                # The usual answer, a declared length under the limit and nothing to inflate: one read
                # (the connection's reader holds each receive to the deadline).
                return response.read(decode_content=False)
            return read_body(
                read1_chunks(response),
                length=headers.get("content-length"),
                encoding=headers.get("content-encoding", ""),
                limit=self.max_response_bytes,
                status=response.status,
                attempt=attempt,
            )
        except TransportError:  # too large, late, or not inflating: the rest is never read
            response.close()
            raise
        except (urllib3_errors.HTTPError, OSError) as exc:
            response.close()
            raise _mapped(exc, sent=True) from None  # a failure while reading comes after sending, always


def _plain_within(headers: Any, limit: int) -> bool:
    """Whether an answer declares a length within `limit`, with no content or transfer coding."""
    if "content-encoding" in headers or "transfer-encoding" in headers:
        return False
    declared = declared_length(headers.get("content-length"))
    return declared is not None and declared <= limit


# The adapters over other HTTP stacks import them (the `requests` and `httpx` extras): only when asked for.
_ADAPTERS = {"RequestsTransport": "._requests", "HttpxTransport": "._httpx"}
if TYPE_CHECKING:
    from ._httpx import HttpxTransport as HttpxTransport
    from ._requests import RequestsTransport as RequestsTransport


def __getattr__(name: str) -> object:
    if name in _ADAPTERS:
        import importlib

        return getattr(importlib.import_module(_ADAPTERS[name], __package__), name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
