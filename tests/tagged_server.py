"""A raw-socket HTTP/1.1 server on 127.0.0.1 whose every answer names the request it answers.

The request's tag is the last segment of its path. The answer to tag `t` is a
checkout session whose `id` is `t`, so a client that hands one caller the
answer meant for another is caught by comparing the two. How each answer goes
on the wire (interim answers first, odd framing, surplus bytes, an early
close) is scripted per tag, byte by byte.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO


@dataclass(frozen=True)
class Pause:
    """Wait this many seconds before the next bytes (closing the server ends the wait and the answer)."""

    seconds: float


@dataclass(frozen=True)
class Close:
    """Close the connection here."""


Step = bytes | Pause | Close
Script = Callable[[str], Sequence[Step]]


def session_body(tag: str) -> bytes:
    """The JSON of a checkout session whose id is `tag`."""
    return json.dumps({"type": "checkout-session", "id": tag, "expires_at": "2030-01-01T00:00:00Z"}).encode()


def answer(tag: str, status: int = 200, extra_headers: bytes = b"") -> bytes:
    """A complete, well-framed answer for `tag`."""
    body = session_body(tag)
    head = f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + extra_headers + b"\r\n" + body


def plain(tag: str) -> Sequence[Step]:
    """The script of a well-behaved server."""
    return [answer(tag)]


@dataclass
class TaggedServer:
    """Serve each request by `script(tag)`; keep the connection open unless the script closes it."""

    script: Script = plain
    requests: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)  # each request line's method and target

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._lock = threading.Condition()  # also told of each request received
        self._connections: list[socket.socket] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[str]:
        """Wait up to `timeout` seconds for `count` requests (a client may give up before they are read)."""
        with self._lock:
            self._lock.wait_for(lambda: len(self.requests) >= count, timeout)
            return list(self.requests)

    def close(self) -> None:
        with self._lock:
            self._closed.set()
            connections = list(self._connections)
        for sock in [self._listener, *connections]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def __enter__(self) -> TaggedServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._closed.is_set():
                    connection.close()
                    return
                self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb")
        try:
            while True:
                target = self._read_request(reader)
                if target is None:
                    return
                tag = target.rstrip("/").rsplit("/", 1)[-1]  # the last segment of the path
                with self._lock:
                    self.requests.append(tag)
                    self.targets.append(target)
                    self._lock.notify_all()
                for step in self.script(tag):
                    if isinstance(step, Pause):
                        if self._closed.wait(step.seconds):
                            return
                    elif isinstance(step, Close):
                        return
                    else:
                        connection.sendall(step)
        except OSError:
            return
        finally:
            reader.close()
            connection.close()

    @staticmethod
    def _read_request(reader: BinaryIO) -> str | None:
        """Read one request; return its method and target, or None when the client has gone."""
        read_line = reader.readline
        line = read_line(65536)
        if not line:
            return None
        method, target = line.split(b" ")[:2]
        length = 0
        while True:
            header = read_line(65536)
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length:
            reader.read(length)
        return f"{method.decode()} {target.decode()}"
