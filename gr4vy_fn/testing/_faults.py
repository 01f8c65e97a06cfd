"""A scriptable HTTP/1.1 server on 127.0.0.1 that answers or misbehaves on cue, byte by byte.

Each request gets the next scripted action (or the server's `default`). The
faults live in the bytes: a reset, a truncated or endless body, interim 1xx
answers, headers trickled one byte at a time. Closing the server wakes every
thread it started at once: nothing polls.
"""

from __future__ import annotations

import contextlib
import math
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TypeGuard

from .._http import Headers, _body_repr
from ..errors import ValidationError

# How long a misbehaving answer may go on before the server gives up by itself.
_LONGEST_FAULT = 30.0


def is_count(value: object) -> TypeGuard[int]:
    """Whether `value` is a whole number, 0 or more (a bool is not)."""
    return not isinstance(value, bool) and isinstance(value, int) and value >= 0


def is_seconds(value: object) -> TypeGuard[float]:
    """Whether `value` is a finite number of seconds, 0 or more (a bool is not)."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and 0 <= value < math.inf


def _check(action: object) -> None:
    """Refuse, when an action is made, what its server thread would choke on (a str body, say)."""
    name = type(action).__name__
    for attribute, value in vars(action).items():
        path = f"{name}.{attribute}"
        if attribute in ("body", "chunk", "data") and not isinstance(value, bytes):
            raise ValidationError(path, "must be bytes (encode a str first)")
        if attribute in ("status", "sent", "limit", "declared") and value is not None and not is_count(value):
            raise ValidationError(path, "must be a whole number, 0 or more")
        if attribute in ("delay", "interval", "seconds") and not is_seconds(value):
            raise ValidationError(path, "must be a finite number of seconds, 0 or more")


class Action:
    """What the server does for one request: one of the dataclasses below."""

    def __post_init__(self) -> None:
        _check(self)


class ShownMasked:
    """A received request's repr: shown when a test fails, it hides the body and the headers' secrets."""

    method: str
    path: str
    headers: Any
    body: bytes | None

    def __repr__(self) -> str:
        name, headers = type(self).__name__, Headers(self.headers)
        return f"{name}({self.method!r}, {self.path!r}, {headers!r}, {_body_repr(self.body)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Pretty printers (hypothesis, IPython) would otherwise show the fields, bypassing __repr__.
        printer.text(repr(self))


@dataclass(frozen=True, repr=False)
class Received(ShownMasked):
    """A request as it arrived on the wire."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply(Action):
    """Answer with this status, headers and body (Content-Length added unless given)."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    delay: float = 0.0
    close: bool = False


@dataclass(frozen=True)
class DropBeforeRead(Action):
    """Close the connection without reading the request."""


@dataclass(frozen=True)
class ResetBeforeRead(Action):
    """Reset the connection (RST) without reading the request."""


@dataclass(frozen=True)
class DropAfterRead(Action):
    """Read the request, then close without a word."""


@dataclass(frozen=True)
class Reset(Action):
    """Read the request, then reset the connection (RST)."""


@dataclass(frozen=True)
class Truncated(Action):
    """Promise `body` in Content-Length but send only its first `sent` bytes, then close."""

    status: int
    body: bytes
    sent: int


@dataclass(frozen=True)
class Endless(Action):
    """Send a body that never ends (until the client goes, or `limit` bytes): close-delimited or chunked.

    With `declared`, the head promises that many bytes in Content-Length instead.
    """

    status: int = 200
    chunk: bytes = b"x" * 8192
    interval: float = 0.0
    limit: int = 64 << 20
    chunked: bool = False
    declared: int | None = None


@dataclass(frozen=True)
class Raw(Action):
    """Read the request, send these exact bytes, then close (or keep the connection with `close=False`)."""

    data: bytes
    close: bool = True


@dataclass(frozen=True)
class Trickle(Action):
    """Read the request, then send `data` one byte every `interval` seconds, then close."""

    data: bytes
    interval: float = 0.05


@dataclass(frozen=True)
class StallHandshake(Action):
    """Accept the TCP connection, then never answer the TLS handshake (for `seconds`)."""

    seconds: float = 5.0


@dataclass
class FaultServer:
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
        self._stop = threading.Event()
        self._lock = threading.Condition()  # also told of each request received
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []
        self._accept_thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept_thread.start()

    @property
    def url(self) -> str:
        """The base URL: http://127.0.0.1:PORT, or https:// when serving TLS."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._sock.getsockname()[1])

    def then(self, *actions: Action) -> FaultServer:
        """Queue `actions` for the next requests, in order; return the server."""
        with self._lock:
            self.script.extend(actions)
        return self

    def wait_received(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait up to `timeout` seconds for `count` requests to have arrived; return those received."""
        with self._lock:
            self._lock.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def close(self) -> None:
        """Stop serving: shutting the sockets down wakes every blocked thread, which then ends."""
        self._stop.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._sock.close()
        self._accept_thread.join(5)
        with self._lock:
            open_sockets = list(self._open)
        for conn in open_sockets:  # wakes reads on idle keep-alive connections and blocked writes
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)

    def _next(self) -> Action:
        with self._lock:
            return self.script.popleft() if self.script else self.default

    def _peek_action(self) -> Action:
        with self._lock:
            return self.script[0] if self.script else self.default

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # the listening socket was shut down
            if self._stop.is_set():
                conn.close()
                return
            # Each write goes out when made: under Nagle's algorithm a write behind one not yet
            # acknowledged (an answer behind TLS session tickets) waits out the peer's delayed ACK, ~40 ms.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
                self._open.append(conn)
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
                with self._lock:
                    self._open.append(conn)
            with contextlib.closing(conn), conn.makefile("rb") as reader:
                self._requests(conn, reader)

    def _requests(self, conn: socket.socket, reader: BinaryIO) -> None:
        served = 0
        while not self._stop.is_set():
            peeked = self._peek_action()
            if not (served and self.on_reused) and isinstance(peeked, (DropBeforeRead, ResetBeforeRead)):
                self._next()
                if isinstance(peeked, ResetBeforeRead):
                    _reset(conn)
                return
            request = _read_request(reader)
            if request is None:
                return
            # Chosen once the request is in, so a test may change the script in between.
            action = self.on_reused if served and self.on_reused is not None else self._next()
            served += 1
            with self._lock:
                self.received.append(request)
                self._lock.notify_all()
            try:
                if not self._act(conn, action):
                    return
            except OSError:
                return  # the client went away mid-answer

    def _act(self, conn: socket.socket, action: Action) -> bool:
        """Carry out `action`; return whether the connection stays open for another request."""
        if isinstance(action, Reset):
            _reset(conn)
            return False
        if isinstance(action, Truncated):
            head = _head(action.status, (("Content-Length", str(len(action.body))),))
            conn.sendall(head + action.body[: action.sent])
            return False
        if isinstance(action, Endless):
            self._endless(conn, action)
            return False
        if isinstance(action, Raw):
            conn.sendall(action.data)
            return not action.close
        if isinstance(action, Trickle):
            for byte in action.data:
                if self._stop.wait(action.interval):
                    break
                conn.sendall(bytes([byte]))
            return False
        if not isinstance(action, Reply):
            return False  # DropAfterRead, or an action that only applies before reading
        if action.delay and self._stop.wait(action.delay):
            return False
        headers = action.headers
        if not any(name.lower() == "content-length" for name, _ in headers):
            headers = (*headers, ("Content-Length", str(len(action.body))))
        if action.close:
            headers = (*headers, ("Connection", "close"))
        conn.sendall(_head(action.status, headers) + action.body)
        return not action.close

    def _endless(self, conn: socket.socket, action: Endless) -> None:
        if action.chunked:
            framing = ("Transfer-Encoding", "chunked")
            piece = b"%x\r\n%s\r\n" % (len(action.chunk), action.chunk)
        elif action.declared is not None:
            framing, piece = ("Content-Length", str(action.declared)), action.chunk
        else:
            framing, piece = ("Connection", "close"), action.chunk
        conn.sendall(_head(action.status, (framing,)))
        sent = 0
        started = time.monotonic()
        while sent < action.limit and time.monotonic() - started < _LONGEST_FAULT:
            if self._stop.is_set() or (action.interval and self._stop.wait(action.interval)):
                return
            conn.sendall(piece)
            sent += len(action.chunk)


def _read_request(reader: BinaryIO) -> Received | None:
    try:
        line = reader.readline(65537)
        if not line:
            return None
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while True:
            header = reader.readline(65537).decode("latin-1")
            if header in ("\r\n", "\n", ""):
                break
            name, _, value = header.partition(":")
            headers[name.strip()] = value.strip()
        length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), "0"))
        body = reader.read(length) if length else b""
    except (OSError, ValueError):
        return None
    return Received(method, path, headers, body)


def _reset(conn: socket.socket) -> None:
    """Make the coming close send RST instead of FIN (linger on, for zero seconds)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _head(status: int, headers: tuple[tuple[str, str], ...]) -> bytes:
    lines = [f"HTTP/1.1 {status} Status"] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@contextlib.contextmanager
def serving(tls: ssl.SSLContext | None = None, default: Action | None = None) -> Iterator[FaultServer]:
    """Run a FaultServer for the duration of the block."""
    server = FaultServer(tls=tls) if default is None else FaultServer(tls=tls, default=default)
    try:
        yield server
    finally:
        server.close()
