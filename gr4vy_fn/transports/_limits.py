"""What every transport shares: one attempt's limits, lookups its deadline abandons, and fork safety.

An adapter opens an `Attempt` around each send. The hooks it installs in its
HTTP stack (a connection class, a network stream) find the attempt through a
context variable, note when the first byte of the request goes out, and keep
every read within the deadline; `read_body` then reads and inflates the body
in bounded steps, and `causes` and `tls_failure` read a library's exception.
`resolve` looks a host name up within the deadline; `set_aside` and `emptied`
keep a forked child off its parent's connections.
"""

from __future__ import annotations

import contextvars
import copy
import ipaddress
import os
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any, TypeVar

from ..errors import (
    ConnectError,
    ConnectionDropped,
    ConnectTimeout,
    DeadlineExceeded,
    ReadTimeout,
    ResponseTooLarge,
    TlsError,
    TransportError,
    _deadline_exceeded,
)

_STEP = 64 << 10
"""Bytes read, or inflated, at a time."""

CONTENT_LENGTH = re.compile(r"[0-9]{1,18}")
"""A Content-Length: ASCII digits; more than 18 of them is no size anyone sends."""

_current: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar("gr4vy_fn_attempt", default=None)


class Attempt:
    """One send: when it must end (monotonic seconds, or None), and whether a request byte went out.

    `wrote` is known only when `engaged`: when a hook saw this attempt's
    connection. A connection the hooks cannot reach (a proxy's pool, a
    transport mounted on a client) leaves `engaged` False, and the adapter
    must judge by the exception alone.
    """

    __slots__ = ("_token", "deadline", "engaged", "wrote")

    def __init__(self, total: float | None) -> None:
        self.deadline = None if total is None else time.monotonic() + total
        self.engaged = False
        self.wrote = False
        self._token: contextvars.Token[Attempt | None] | None = None

    def __enter__(self) -> Attempt:
        self._token = _current.set(self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is not None:
            _current.reset(self._token)

    def before_writing(self, sock: socket.socket | None) -> None:
        """Note the request's first byte is about to go out on `sock`."""
        self.wrote = True

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None: no deadline); never below zero."""
        return None if self.deadline is None else max(self.deadline - time.monotonic(), 0.0)

    def expired(self) -> bool:
        """Say whether the deadline has passed."""
        return self.deadline is not None and time.monotonic() >= self.deadline

    def clip(self, timeout: float | None) -> float | None:
        """Return `timeout` cut to the time left, so no single wait outlives the attempt."""
        return clip(timeout, self.remaining())


def clip(timeout: float | None, left: float | None) -> float | None:
    """Return `timeout` (None: no bound) cut to `left` seconds (None: no deadline)."""
    if left is None:
        return timeout
    return left if timeout is None else min(timeout, left)


def current() -> Attempt | None:
    """Return the attempt running in this context, if any."""
    return _current.get()


def declared_length(value: str | None) -> int | None:
    """Return a Content-Length as a number, or None when absent or not plain ASCII digits."""
    if value is None or not CONTENT_LENGTH.fullmatch(value):
        return None
    return int(value)


def read_body(
    chunks: Iterable[bytes], *, length: str | None, encoding: str, limit: int, status: int, attempt: Attempt
) -> bytes:
    """Read `chunks` (the body as sent), inflating gzip or deflate, to at most `limit` bytes by the deadline.

    `length` and `encoding` are the Content-Length and Content-Encoding headers.
    Raises ResponseTooLarge for a declared length over the limit (before
    reading) or once past it (the caller closes the connection),
    DeadlineExceeded past the deadline, and ConnectionDropped for a body that
    does not inflate; anything `chunks` raises passes through.
    """
    refuse_declared_over(length, limit, status)
    body = Body(encoding, limit=limit, status=status)
    for chunk in chunks:
        body.add(chunk)
        if attempt.expired():
            raise DeadlineExceeded(message="the body did not arrive in time", request_sent=True)
    return body.whole()


def refuse_declared_over(length: str | None, limit: int, status: int) -> None:
    """Raise ResponseTooLarge when the Content-Length `length` declares more than `limit` bytes."""
    declared = declared_length(length)
    if declared is not None and declared > limit:
        # The declared number is the server's text (it may be a card number): the message keeps only ours.
        raise ResponseTooLarge(message=f"the declared body is over the limit of {limit} bytes", status=status)


class Body:
    """A body read as it arrives: its content codings undone in bounded steps, refused once over `limit`.

    Each coding (gzip, x-gzip, deflate, applied in order and so undone last
    first) inflates at most 64 KiB at a time, and the size is checked after
    each step, so neither a ratio bomb nor stacked codings (`gzip, gzip`) can
    fill memory. More than five codings, as urllib3 counts, are refused; a
    coding nobody asked for and none can undo leaves the bytes as they came.
    """

    __slots__ = ("_limit", "_parts", "_stages", "_status")

    def __init__(self, encoding: str, *, limit: int, status: int) -> None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()] if encoding else []
        if len(codings) > _MAX_CODINGS:
            raise ConnectionDropped(message="too many content codings", request_sent=True)
        self._stages: list[_Inflater] = []
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip", "deflate"):
                self._stages.append(_Inflater())
            elif coding != "identity":
                self._stages = []
                break
        self._parts = bytearray()
        self._limit = limit
        self._status = status

    def add(self, chunk: bytes) -> None:
        """Take the next bytes as sent. Raise ResponseTooLarge or ConnectionDropped (no inflating)."""
        pieces: Iterable[bytes] = (chunk,)
        for stage in self._stages:
            pieces = stage.inflated(pieces)
        try:
            for piece in pieces:
                self._parts += piece
                if len(self._parts) > self._limit:
                    msg = f"the body is over the limit of {self._limit} bytes"
                    raise ResponseTooLarge(message=msg, status=self._status)
        except zlib.error:
            pass
        else:
            return
        raise ConnectionDropped(message="the body did not inflate", request_sent=True)  # with no context

    def whole(self) -> bytes:
        """Return the body, once every chunk was added; raise ConnectionDropped if a coding ended early."""
        if any(stage.fed and not stage.done for stage in self._stages):
            raise ConnectionDropped(message="the body did not inflate: it ended early", request_sent=True)
        return bytes(self._parts)


_MAX_CODINGS = 5


class _Inflater:
    """Inflate gzip (any number of members) or zlib data, never more than a step of output at a time."""

    __slots__ = ("_zlib", "fed")

    def __init__(self) -> None:
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 32)  # 32: recognise the gzip or zlib header
        self.fed = False

    @property
    def done(self) -> bool:
        return self._zlib.eof

    def inflated(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for data in chunks:
            self.fed = self.fed or bool(data)
            while True:
                out = self._zlib.decompress(data, _STEP)
                if out:
                    yield out
                data = self._zlib.unconsumed_tail
                if self._zlib.eof and self._zlib.unused_data:  # another gzip member follows
                    data = self._zlib.unused_data
                    self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 32)
                elif not data and len(out) < _STEP:  # a full step may leave output pending: ask again
                    break


class LayoutChanged(ImportError):
    """A library no longer has a private name this package builds on (see docs/architecture.md)."""


def require_layout(library: str, tested: str, owner: object, *names: str) -> None:
    """Raise LayoutChanged unless `owner` (a class or an instance of `library`'s) has every one of `names`.

    Called where a module is imported, or where a layout is first used: a
    library release that renamed what this package overrides fails loudly
    there, never by a silent fallback.
    """
    missing = [name for name in names if not hasattr(owner, name)]
    if missing:
        kind = owner if isinstance(owner, type) else type(owner)
        msg = (
            f"gr4vy_fn builds on {', '.join(missing)} of {kind.__module__}.{kind.__qualname__}, which this "
            f"version of {library} does not have (tested: {library} {tested}); see docs/architecture.md"
        )
        raise LayoutChanged(msg)


def causes(exc: BaseException) -> list[BaseException]:
    """Return `exc` and what it wraps: causes, contexts, and what libraries keep in `reason` or args."""
    found: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending:
        current_exc = pending.pop()
        if any(current_exc is seen for seen in found):
            continue
        found.append(current_exc)
        linked = [current_exc.__cause__, current_exc.__context__, getattr(current_exc, "reason", None)]
        linked += list(current_exc.args)
        pending += [e for e in linked if isinstance(e, BaseException)]
    return found


def tls_failure(chain: list[BaseException]) -> TlsError | None:
    """Return the TlsError for a chain of exceptions holding an SSL error (None without one)."""
    if not any(isinstance(e, (ssl.SSLError, ssl.CertificateError)) for e in chain):
        return None
    verification = any(isinstance(e, (ssl.SSLCertVerificationError, ssl.CertificateError)) for e in chain)
    what = "the certificate did not verify" if verification else "the TLS handshake failed"
    return TlsError(message=what, verification=verification)


_REFUSED = "the connection was refused or failed"


def sync_failure(
    exc: BaseException,
    attempt: Attempt,
    connecting: bool,
    kinds: tuple[tuple[type[BaseException], ...], ...],
    otherwise: str = _REFUSED,
) -> TransportError:
    """Map what a sync adapter's library raised to the TransportError saying whether the request went out.

    `connecting` says `exc` can only come from making the connection: it decides
    where no hook saw the attempt (not `engaged`). `kinds` are the library's
    timeouts, failed name lookups and refused connections; `otherwise` is the
    message of a connection that failed in another way before sending.
    """
    if attempt.engaged and attempt.expired():
        return _deadline_exceeded(attempt.wrote)
    timeouts, unresolved, refused = kinds
    if attempt.wrote if attempt.engaged else not connecting:
        if isinstance(exc, timeouts):
            return ReadTimeout(message="no answer in time")
        return ConnectionDropped(message=f"the connection broke ({type(exc).__name__})", request_sent=True)
    chain = causes(exc)
    tls = tls_failure(chain)
    if tls is not None:
        return tls
    # urllib3's NewConnectionError (and NameResolutionError) derive from its timeout error: test them first.
    for what, message in ((unresolved, "the host name did not resolve"), (refused, _REFUSED)):
        if any(isinstance(e, what) for e in chain):
            return ConnectError(message=message)
    if any(isinstance(e, timeouts) for e in chain):
        return ConnectTimeout(message="no connection in time")
    return ConnectError(message=otherwise)


# Host name lookups that an attempt's deadline can abandon.
#
# `socket.getaddrinfo` cannot be interrupted and takes no timeout: a resolver
# that does not answer holds the calling thread for as long as the system's
# resolver keeps retrying (often 10 s or more). So a lookup made under a
# deadline runs in a daemon thread; at the deadline the caller stops waiting,
# and the lookup's answer, when it comes, is dropped.
#
# Callers asking for the same name while its lookup is under way wait for that
# one lookup instead of starting their own: during a resolver outage, a busy
# process would otherwise leave a stuck thread behind for every call.

AddressInfo = tuple[Any, ...]
_Key = tuple[str, int, int]


class LookupAbandoned(TimeoutError):
    """The host name did not resolve before the attempt's deadline."""


class _Lookup:
    """One getaddrinfo call under way in a helper thread, and its answer once done."""

    __slots__ = ("answer", "done")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.answer: list[AddressInfo] | OSError | None = None


_under_way: dict[_Key, _Lookup] = {}
_under_way_lock = threading.Lock()


def _forget_lookups_of_parent() -> None:
    # A child process has none of its parent's helper threads: their lookups
    # would never finish there, and the lock may have been held at the fork.
    global _under_way_lock
    _under_way.clear()
    _under_way_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_lookups_of_parent)


def resolve(host: str, port: int, family: int, left: float | None) -> list[AddressInfo]:
    """Return getaddrinfo's TCP addresses for `host`, waiting at most `left` seconds (None: no bound).

    Raises LookupAbandoned at the deadline, and OSError (socket.gaierror) as
    getaddrinfo does. A literal address is answered at once, in this thread.
    """
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:  # a literal address: nothing to look up, nothing to wait for
        return socket.getaddrinfo(host.strip("[]"), port, family, socket.SOCK_STREAM)
    if left is None:
        return _getaddrinfo(host, port, family)
    key = (host, port, family)
    with _under_way_lock:
        lookup = _under_way.get(key)
        if lookup is None:
            lookup = _under_way[key] = _Lookup()
            helper = threading.Thread(target=_look_up, args=(key, lookup), name="gr4vy_fn-dns", daemon=True)
            try:
                helper.start()
            except BaseException:
                # No thread (none left, or the interpreter is exiting): nothing is under way.
                del _under_way[key]
                raise
    if not lookup.done.wait(max(left, 0.0)):
        msg = "the host name did not resolve before the deadline"
        raise LookupAbandoned(msg)
    answer = lookup.answer
    if isinstance(answer, OSError):
        # A copy for each caller: one instance raised in many threads would share one traceback.
        raise type(answer)(*answer.args)
    assert answer is not None
    return answer


def _getaddrinfo(host: str, port: int, family: int) -> list[AddressInfo]:
    try:
        return socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    except UnicodeError as exc:  # a label too long, or a name IDNA cannot encode: no such host
        raise socket.gaierror(socket.EAI_NONAME, f"the host name cannot be looked up ({exc})") from None


def _look_up(key: _Key, lookup: _Lookup) -> None:
    host, port, family = key
    try:
        lookup.answer = _getaddrinfo(host, port, family)
    except OSError as exc:
        lookup.answer = exc
    finally:
        with _under_way_lock:
            if _under_way.get(key) is lookup:
                del _under_way[key]  # later calls look the name up afresh: answers are not cached
        lookup.done.set()


# After os.fork(): a child never sends on, reads from or closes a connection its parent opened.
#
# A forked child inherits its parent's sockets. A request the child sent on one
# would share the connection with the parent's, and each process could be handed
# the other's answer; closing one (a TLS close_notify, a shutdown) would break
# the parent's exchange. So a transport that finds itself in a child sets its
# parent's pooled connections aside: kept referenced, so that no finalizer of the
# child closes them, and never used again. (Event loops made before the fork are
# renewed by gr4vy_fn.aio's `_loops`.)

C = TypeVar("C")

_of_parents: list[object] = []
"""What children set aside: their parents' pools, selectors and wake-up pipes, never closed here."""


def set_aside(*things: object) -> None:
    """Keep `things` (a parent's connections) referenced while this process lives; never touch them."""
    _of_parents.extend(things)


def emptied(container: C) -> C:
    """Set `container` (a pool's dict or list of connections) aside; return an empty one like it."""
    set_aside(container)
    fresh: Any = copy.copy(container)
    fresh.clear()
    return fresh  # type: ignore[no-any-return]
