"""Serving a handler over HTTP/1.1: each request goes to a function, whose Reply says what to send."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from attrs import frozen

from .._http import HttpRequest, HttpResponse
from ..errors import ValidationError


@frozen
class Reply:
    """What to do for one request: wait `delay` seconds, then send `response` (None: drop the connection)."""

    response: HttpResponse | None
    delay: float = 0.0


Handler = Callable[[HttpRequest], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    handler: Handler
    stopping: threading.Event

    def verify_request(self, request: object, client_address: object) -> bool:
        """Refuse the connection that wakes the serving loop to stop it."""
        return not self.stopping.is_set()


def _serve_until_stopped(server: _Server) -> None:
    # handle_request blocks until a connection comes, with no polling: stopping wakes it by connecting.
    while not server.stopping.is_set():
        server.handle_request()


def _wake(server: _Server) -> None:
    """Connect to the server so that its blocked handle_request returns and sees it is stopping."""
    host, port = str(server.server_address[0]), server.server_address[1]
    if ipaddress.ip_address(host).is_unspecified:  # listening on every interface, loopback among them
        host = "127.0.0.1"  # HTTPServer listens on IPv4
    with contextlib.suppress(OSError):
        socket.create_connection((host, port), timeout=1).close()


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per answer, sent at once: split writes meet delayed ACKs and stall ~40 ms.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: the handler keeps its own log of requests."""

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        request = HttpRequest(method=self.command, url=self.path, headers=self.headers.items(), body=body)
        reply = self.server.handler(request)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.response is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        response = reply.response
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":  # an answer to HEAD has no body, whatever its Content-Length says
            self.wfile.write(response.body)

    def __getattr__(self, name: str) -> Callable[[], None]:
        """Hand every method to the handler (TRACE, PATCH, OPTIONS...): it decides what is allowed."""
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)


@contextlib.contextmanager
def serve(handler: Handler, host: str, port: int) -> Iterator[str]:
    """Serve `handler` on `host:port` in a background thread; yield the base URL.

    Raises ValidationError for a port outside 0..65535, and OSError when the
    address cannot be listened on (in use, or not this machine's).
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValidationError("port", "must be a whole number in 0..65535 (0: any free port)")
    server = _Server((host, port), _RequestHandler)
    server.handler = handler
    server.stopping = threading.Event()
    thread = threading.Thread(target=_serve_until_stopped, args=(server,), daemon=True)
    thread.start()
    try:
        bound_host, bound_port = server.server_address[:2]
        shown = f"[{bound_host!s}]" if ":" in str(bound_host) else str(bound_host)
        yield f"http://{shown}:{bound_port}"
    finally:
        server.stopping.set()
        _wake(server)
        thread.join(5)
        server.server_close()
