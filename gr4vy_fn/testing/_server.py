"""Serving an Emulator over HTTP/1.1 on loopback, for the real urllib3 path and other languages."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from .._http import HttpRequest

if TYPE_CHECKING:
    from ._emulator import Emulator


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    emulator: Emulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per answer, sent at once: split writes meet delayed ACKs and stall ~40 ms.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: the emulator keeps its own log of requests."""

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        request = HttpRequest(method=self.command, url=self.path, headers=self.headers.items(), body=body)
        outcome = self.server.emulator.exchange(request)
        if outcome.delay:
            time.sleep(outcome.delay)
        if outcome.response is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        response = outcome.response
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch


@contextlib.contextmanager
def serve(emulator: Emulator, host: str, port: int) -> Iterator[str]:
    """Run `emulator` on `host:port` in a background thread; yield its base URL."""
    server = _Server((host, port), _Handler)
    server.emulator = emulator
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        bound_host, bound_port = server.server_address[:2]
        yield f"http://{bound_host!s}:{bound_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
