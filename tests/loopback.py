"""A scriptable HTTP/1.1 server on 127.0.0.1 for the integration tests: it answers or misbehaves on cue."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Received:
    """A request as it arrived on the wire."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    """Answer with this status, headers and body (Content-Length added unless given)."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    delay: float = 0.0
    close: bool = False


@dataclass(frozen=True)
class DropBeforeRead:
    """Close the connection without reading the request."""


@dataclass(frozen=True)
class DropAfterRead:
    """Read the request, then close without a word."""


@dataclass(frozen=True)
class Reset:
    """Read the request, then reset the connection (RST)."""


@dataclass(frozen=True)
class Truncated:
    """Promise `body` in Content-Length but send only its first `sent` bytes, then close."""

    status: int
    body: bytes
    sent: int


@dataclass(frozen=True)
class Endless:
    """Send a close-delimited body that never ends (until the client goes, or `limit` bytes)."""

    status: int = 200
    chunk: bytes = b"x" * 8192
    interval: float = 0.0
    limit: int = 64 << 20


@dataclass(frozen=True)
class StallHandshake:
    """Accept the TCP connection, then never answer the TLS handshake (for `seconds`)."""

    seconds: float = 5.0


Action = Reply | DropBeforeRead | DropAfterRead | Reset | Truncated | Endless | StallHandshake


@dataclass
class LoopbackServer:
    """Serve scripted actions, one per request (the `default` when the script is empty)."""

    tls: ssl.SSLContext | None = None
    default: Action = field(default_factory=Reply)
    script: deque[Action] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    # When set, what a request gets on a connection that served one already: a pooled
    # connection the server (or a NAT, or a frozen runtime) has silently let go.
    on_reused: Action | None = None

    def __post_init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []
        self._accept_thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept_thread.start()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._sock.getsockname()[1]}"

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def then(self, *actions: Action) -> LoopbackServer:
        """Queue `actions` for the next requests, in order."""
        with self._lock:
            self.script.extend(actions)
        return self

    def close(self) -> None:
        self._stop.set()
        self._accept_thread.join(5)
        self._sock.close()
        with self._lock:
            open_connections = list(self._open)
        for conn in open_connections:  # wake readers blocked on idle keep-alive connections
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)

    def _next(self) -> Action:
        with self._lock:
            return self.script.popleft() if self.script else self.default

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, raw: socket.socket) -> None:
        raw.settimeout(10)
        with contextlib.closing(raw):
            conn: socket.socket = raw
            if self.tls is not None:
                peeked = self._peek_action()
                if isinstance(peeked, StallHandshake):
                    self._next()
                    self._stop.wait(peeked.seconds)
                    return
                try:
                    conn = self.tls.wrap_socket(raw, server_side=True)
                except (ssl.SSLError, OSError):
                    return
            with contextlib.closing(conn):
                self._converse(conn)

    def _converse(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.append(conn)
        with conn.makefile("rb") as reader:
            self._requests(conn, reader)

    def _requests(self, conn: socket.socket, reader: Any) -> None:
        served = 0
        while not self._stop.is_set():
            if not (served and self.on_reused) and isinstance(self._peek_action(), DropBeforeRead):
                self._next()
                return
            request = self._read_request(reader)
            if request is None:
                return
            # Chosen once the request is in, so a test may change the script in between.
            action = self.on_reused if served and self.on_reused is not None else self._next()
            served += 1
            with self._lock:
                self.received.append(request)
            if not self._act(conn, action):
                return

    def _peek_action(self) -> Action:
        with self._lock:
            return self.script[0] if self.script else self.default

    @staticmethod
    def _read_request(reader: object) -> Received | None:
        readline = reader.readline  # type: ignore[attr-defined]
        try:
            line = readline(65537)
        except (OSError, ValueError):
            return None
        if not line:
            return None
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while True:
            header = readline(65537).decode("latin-1")
            if header in ("\r\n", "\n", ""):
                break
            name, _, value = header.partition(":")
            headers[name.strip()] = value.strip()
        length = int(headers.get("Content-Length", headers.get("content-length", "0")))
        body = reader.read(length) if length else b""  # type: ignore[attr-defined]
        return Received(method, path, headers, body)

    def _act(self, conn: socket.socket, action: Action) -> bool:
        """Carry out `action`; return whether the connection stays open for another request."""
        if isinstance(action, DropAfterRead):
            return False
        if isinstance(action, Reset):
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            return False
        if isinstance(action, Truncated):
            head = _head(action.status, (("Content-Length", str(len(action.body))),))
            conn.sendall(head + action.body[: action.sent])
            return False
        if isinstance(action, Endless):
            conn.sendall(_head(action.status, (("Connection", "close"),)))
            sent = 0
            started = time.monotonic()
            with contextlib.suppress(OSError):
                while sent < action.limit and time.monotonic() - started < 30 and not self._stop.is_set():
                    conn.sendall(action.chunk)
                    sent += len(action.chunk)
                    if action.interval:
                        time.sleep(action.interval)
            return False
        if not isinstance(action, Reply):
            return False
        if action.delay and self._stop.wait(action.delay):
            return False
        headers = action.headers
        if not any(name.lower() == "content-length" for name, _ in headers):
            headers = (*headers, ("Content-Length", str(len(action.body))))
        if action.close:
            headers = (*headers, ("Connection", "close"))
        try:
            conn.sendall(_head(action.status, headers) + action.body)
        except OSError:
            return False
        return not action.close


def _head(status: int, headers: tuple[tuple[str, str], ...]) -> bytes:
    lines = [f"HTTP/1.1 {status} Status"] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@contextlib.contextmanager
def serving(**kwargs: object) -> Iterator[LoopbackServer]:
    """Run a LoopbackServer for the duration of the block."""
    server = LoopbackServer(**kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.close()
