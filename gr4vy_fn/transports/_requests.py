"""A transport over requests (the `requests` extra): a Session's proxies and adapters, our guarantees.

requests has no overall timeout and says little about whether a request went
out. So the session's HTTP adapters get the default transport's connection
classes (gr4vy_fn.transports._connections), which note the first byte written
and hold every wait to the attempt's deadline; bodies are read in bounded steps.
"""

from __future__ import annotations

import http.client
import os
import socket

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors

from .._http import MAX_RESPONSE_BYTES, Headers, HttpRequest, HttpResponse, Timeout
from ..errors import (
    ConnectionDropped,
    TransportError,
)
from ._connections import POOL_CLASSES, forget_pools_of_parent, read1_chunks
from ._limits import Attempt, causes, read_body, sync_failure

__all__ = ["RequestsTransport"]


def _watch(session: requests.Session) -> None:
    """Give the session's HTTP adapters connection classes that report to the running attempt."""
    for adapter in session.adapters.values():
        if isinstance(adapter, HTTPAdapter):
            adapter.poolmanager.pool_classes_by_scheme = POOL_CLASSES


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
        with Attempt(timeout.total) as attempt:
            return self._exchange(request, timeout, attempt)

    def _exchange(self, request: HttpRequest, timeout: Timeout, attempt: Attempt) -> HttpResponse:
        answer, error = self._request(request, timeout, attempt)
        if error is not None:
            raise error  # outside the except block: no context holding the library's frames
        assert answer is not None
        try:
            body = self._read(answer, attempt)
        except BaseException:
            answer.close()
            raise
        answer.raw.release_conn()
        return HttpResponse(
            status=answer.status_code, headers=Headers.deferred(answer.headers.items()), body=body
        )

    def _request(
        self, request: HttpRequest, timeout: Timeout, attempt: Attempt
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

    def _read(self, answer: requests.Response, attempt: Attempt) -> bytes:
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
        except (ValueError, http.client.HTTPException):
            # Framing urllib3 does not check (a negative chunk size).
            error = ConnectionDropped(message="the answer's framing is not HTTP", request_sent=True)
        raise error


_KINDS = (
    (requests.Timeout, urllib3_errors.TimeoutError, TimeoutError),
    (urllib3_errors.NameResolutionError, socket.gaierror),
    (urllib3_errors.NewConnectionError, ConnectionRefusedError),
)
_CONNECTING = (
    requests.ConnectTimeout,
    requests.exceptions.SSLError,
    urllib3_errors.NewConnectionError,
    urllib3_errors.ConnectTimeoutError,
)


def _mapped(exc: BaseException, attempt: Attempt) -> TransportError:
    """Map what requests or urllib3 raised (a proxy's pool's too, no hook reaches it) to a TransportError."""
    connecting = any(isinstance(e, _CONNECTING) for e in causes(exc))
    return sync_failure(exc, attempt, connecting, _KINDS, "the connection failed")
