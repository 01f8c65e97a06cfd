"""urllib3 connections that hold an attempt to its wall-clock deadline, and read only final answers.

A socket timeout bounds one socket operation. A server that trickles its
headers a byte at a time, or streams `100 Continue` lines, restarts that
timeout with every byte, and a slow DNS lookup is not bounded by it at all.
The transport opens an `Attempt` (gr4vy_fn.transports._limits) around each
send, and these classes hold every step to its deadline:

- the host name is resolved in a helper thread that is abandoned at the deadline;
- each connect waits at most the time left;
- nothing is written once the deadline has passed, whether the connection
  is new or reused (checked just before the request's first byte, which is
  noted on the attempt as `wrote`: a failure before it means the server
  cannot have seen the request);
- before each read of the answer, the socket's timeout is set to the time
  left (at most the read timeout), so headers, interim answers and the body
  together end by the deadline.

Interim answers (`102 Processing`, `103 Early Hints`, ...) are skipped like
`100 Continue`, so the final answer is the one read, and never left on the
connection for the next call. An answer followed by bytes the server should
not have sent leaves a connection that cannot be trusted: it is shut down,
so the pool opens a fresh one for the next call.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from ._limits import CONTENT_LENGTH, LookupAbandoned, clip, current, require_layout, resolve, set_aside


def check_layout() -> None:
    """Raise LayoutChanged unless http.client and urllib3 have the private names overridden or read here.

    http.client has no hook for interim answers, a connection's end or a
    chunked body's end; urllib3 none for how a connection opens its socket.
    """
    require_layout(
        "http.client", "Python 3.10-3.14", http.client.HTTPResponse,
        "_read_status", "_close_conn", "_read_and_discard_trailer",
    )  # fmt: skip
    require_layout("urllib3", "2.6-2.8", HTTPConnection, "_new_conn")
    require_layout("urllib3", "2.6-2.8", HTTPConnection("localhost"), "_dns_host")


check_layout()

_MAX_TRAILER_LINE = 65536  # http.client's own bound on a line


class DeadlinePassed(TimeoutError):
    """The attempt's deadline passed while waiting for the server."""


class NotSentInTime(ConnectTimeoutError):
    """The deadline passed before a byte of the request was written: the server cannot have seen it."""


def refuse_unreadable_head(response: http.client.HTTPResponse, *, cut: bool) -> None:
    """Raise HTTPException for a head http.client read only in part, or whose end is a guess.

    `cut` says the connection ended while the head was read (http.client then
    takes what came as the whole head). A header line that is no header (no
    colon) is refused here, before urllib3 would log the raw line, which may
    echo the request's secrets. A Content-Length that is not one plain number
    (`+112`, `11_2`, two values) leaves where the body ends a guess.
    """
    if cut:
        raise http.client.HTTPException("the answer's head was cut short")
    headers = response.msg
    if headers.defects or (not headers.is_multipart() and headers.get_payload()):
        raise http.client.HTTPException("the answer's head holds a line that is not a header")
    if not response.chunked:
        declared = headers.get_all("content-length") or []
        if declared and not (len(set(declared)) == 1 and CONTENT_LENGTH.fullmatch(declared[0].strip())):
            raise http.client.HTTPException("the answer's Content-Length is not one plain number")


class FinalAnswerOnly:
    """Mixed into an http.client response: interim answers are skipped, and a chunked body ends only
    with its last chunk and blank line whole.

    http.client skips `100 Continue` only: any other 1xx would be taken as the
    answer, and the real answer left on the connection for the next request.

    http.client takes a connection closed after the `0` of the last chunk, or
    before the blank line that follows it, as the body's end; httpx and aiohttp
    take it as a broken connection. Refused here too, so every transport gives
    one outcome for the same bytes (IncompleteRead: urllib3's ProtocolError).
    """

    fp: Any

    def _read_status(self) -> tuple[str, int, str]:
        version, status, reason = super()._read_status()  # type: ignore[misc]
        if status == 101:
            # Nothing asked to switch protocols: what follows is not HTTP, so no answer can be read.
            msg = "the server switched protocols (101) unasked"
            raise http.client.HTTPException(msg)
        if 101 < status < 200:
            # An interim answer: reported as 100, whose headers http.client skips before reading on.
            return version, 100, reason
        return version, status, reason

    def _read_and_discard_trailer(self) -> None:
        while True:
            line = self.fp.readline(_MAX_TRAILER_LINE + 1)
            if len(line) > _MAX_TRAILER_LINE:
                raise http.client.LineTooLong("trailer line")
            if not line.endswith(b"\n"):  # the connection closed inside the chunked body's end
                raise http.client.IncompleteRead(b"")
            if line in (b"\r\n", b"\n"):
                return


def read1_chunks(response: Any) -> Iterator[bytes]:
    """Yield a urllib3 response's body as sent (not inflated), as it arrives, until it ends.

    read1, not stream(): stream() parses chunks itself and takes a body cut inside its
    last chunk's end as whole; read1 goes through http.client, which refuses it (FinalAnswerOnly).
    """
    while chunk := response.read1(64 << 10, decode_content=False):
        yield chunk


def open_socket(conn: Any, time_left: Callable[[], float | None]) -> socket.socket:
    """Open the socket of `conn` (a urllib3 connection) as urllib3 does, no wait outliving `time_left()`.

    The host name lookup is abandoned at the deadline, and each address is
    tried in turn (as urllib3 does: one that refuses or stays silent leaves the
    next to try), with the connect timeout cut to the time left. Raises urllib3's
    NameResolutionError, ConnectTimeoutError (NotSentInTime once the deadline
    has passed) or NewConnectionError, as its own connections do.
    """
    family = urllib3_connection.allowed_gai_family()
    try:
        addresses = resolve(conn._dns_host, conn.port, family, time_left())
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    except LookupAbandoned as exc:
        raise NotSentInTime(conn, "the host name did not resolve before the deadline") from exc
    error: OSError | None = None
    for _family, _, _, _, address in addresses:
        timeout = clip(conn.timeout, time_left())
        if timeout is not None and timeout <= 0:
            raise NotSentInTime(conn, "no connection before the deadline")
        try:
            return urllib3_connection.create_connection(
                (address[0], address[1]),
                timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except OSError as exc:  # refused, unreachable or silent: the next address may answer
            error = exc
    if isinstance(error, TimeoutError):
        raise ConnectTimeoutError(conn, f"no connection to {conn.host} in time") from error
    raise NewConnectionError(conn, f"failed to connect: {error}")


class _DeadlineReader(io.RawIOBase):
    """The socket reader of one answer: each read waits at most the time left before the deadline."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, deadline: float | None) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        self._deadline = deadline
        self._timeout = self._read_timeout = sock.gettimeout()
        self.probing = False
        self.ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        if self.probing:
            return None  # "no data now": lets the buffer be inspected without waiting
        count = self._read_by_deadline(buffer)
        if count == 0:
            self.ended = True
        return count

    def _read_by_deadline(self, buffer: Any) -> int | None:
        if self._deadline is None:
            return self._raw.readinto(buffer)
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise DeadlinePassed("the answer did not arrive before the deadline")
        if self._timeout is None or left < self._timeout:
            # Only once the time left is shorter than the read timeout does it bind (a system call).
            self._timeout = clip(self._read_timeout, left)
            self._sock.settimeout(self._timeout)
        try:
            return self._raw.readinto(buffer)
        except TimeoutError:
            if time.monotonic() >= self._deadline:
                raise DeadlinePassed("the answer did not arrive before the deadline") from None
            raise

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineFileOpener:
    """Stands for the socket where http.client opens its file: the file it gets reads by the deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.reader: _DeadlineReader

    def makefile(self, mode: str) -> io.BufferedReader:
        # The socket's own unbuffered reader (it keeps the socket open while the answer is read),
        # inside ours, inside the one buffer.
        raw = self._sock.makefile("rb", buffering=0)  # http.client asks for "rb", and only reads
        attempt = current()
        self.reader = _DeadlineReader(raw, self._sock, None if attempt is None else attempt.deadline)
        return io.BufferedReader(self.reader)


class FinalAnswerResponse(FinalAnswerOnly, http.client.HTTPResponse):
    """An http.client response that skips interim answers and reads against the attempt's deadline."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        opener = _DeadlineFileOpener(sock)
        super().__init__(opener, *args, **kwargs)  # type: ignore[arg-type]  # it calls makefile only
        self._reader = opener.reader
        self._sock = sock

    def begin(self) -> None:
        super().begin()
        refuse_unreadable_head(self, cut=self._reader.ended)

    def _close_conn(self) -> None:
        # The answer is complete. Bytes already buffered behind it are not an answer
        # to anything this client asked: the connection must not carry another request.
        self._reader.probing = True
        try:
            surplus = bool(self.fp.peek(1)) if self.fp is not None else False
        except (OSError, ValueError):
            surplus = True
        finally:
            self._reader.probing = False
        if surplus:
            with contextlib.suppress(OSError):  # already closed: nothing to shut
                self._sock.shutdown(socket.SHUT_RDWR)  # the pool sees it dropped and opens a new one
        super()._close_conn()  # type: ignore[misc]


class NotesWriting:
    """Mixed into urllib3's connection classes: resolve and connect within the running attempt's
    deadline, and tell the attempt before the request's first byte is written.

    Connecting (a proxy's CONNECT included) is not writing the request: the
    attempt hears of the first write after it, so `Attempt.wrote` is the one
    witness of whether the server may have seen the request.
    """

    sock: socket.socket | None
    _connecting = False

    def _new_conn(self) -> socket.socket:
        attempt = current()
        if attempt is not None:
            attempt.engaged = True
        return open_socket(self, attempt.remaining if attempt is not None else lambda: None)

    def connect(self) -> None:
        self._connecting = True
        try:
            super().connect()  # type: ignore[misc]
        finally:
            self._connecting = False

    def send(self, data: Any) -> None:
        if self.sock is None:
            self.connect()  # as http.client would: connecting is not sending
        attempt = current()
        if attempt is not None and not self._connecting:
            attempt.engaged = True
            attempt.before_writing(self.sock)
        super().send(data)  # type: ignore[misc]


class _DeadlineConnectionMixin(NotesWriting):
    """Connect, write and read within the attempt's deadline."""

    timeout: float | None

    def send(self, data: Any) -> None:
        if self.sock is None:
            self.connect()
        attempt = current()
        if attempt is not None and attempt.deadline is not None and not (attempt.wrote or self._connecting):
            # Before the request's first byte, on a new connection or a reused one: refuse to write once
            # the deadline has passed; otherwise let writing take at most the time left.
            left = attempt.deadline - time.monotonic()
            if left <= 0:
                raise NotSentInTime(self, "the deadline passed before the request was written")
            assert self.sock is not None
            self.sock.settimeout(left if self.timeout is None else min(self.timeout, left))
        super().send(data)


class DeadlineHTTPConnection(_DeadlineConnectionMixin, HTTPConnection):
    """An HTTP connection held to the attempt's deadline."""

    response_class = FinalAnswerResponse


class DeadlineHTTPSConnection(_DeadlineConnectionMixin, HTTPSConnection):
    """An HTTPS connection held to the attempt's deadline (the TLS handshake included)."""

    response_class = FinalAnswerResponse


class DeadlineHTTPConnectionPool(HTTPConnectionPool):
    """A pool of DeadlineHTTPConnection."""

    ConnectionCls = DeadlineHTTPConnection


class DeadlineHTTPSConnectionPool(HTTPSConnectionPool):
    """A pool of DeadlineHTTPSConnection."""

    ConnectionCls = DeadlineHTTPSConnection


def forget_pools_of_parent(manager: PoolManager) -> None:
    """In a forked child, start `manager` with no pools: the parent's sockets are the parent's.

    The inherited pools are set aside untouched, not closed: their locks may
    have been held, at the fork, by a thread of the parent that the child does
    not have, and closing them would wait on those locks forever.
    """
    set_aside(manager.pools)
    manager.pools = type(manager.pools)(manager.pools._maxsize)


POOL_CLASSES = {"http": DeadlineHTTPConnectionPool, "https": DeadlineHTTPSConnectionPool}
