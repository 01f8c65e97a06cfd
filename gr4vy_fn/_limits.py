"""One attempt's limits, for adapters over other HTTP stacks: its deadline, and a body read within a limit.

An adapter opens an `Attempt` around each send. The hooks it installs in its
HTTP stack (a connection class, a network stream) find the attempt through a
context variable, note when the first byte of the request goes out, and keep
every read within the deadline; `read_body` then reads and inflates the body
in bounded steps, and `causes` and `tls_failure` read a library's exception.
"""

from __future__ import annotations

import contextvars
import ssl
import time
import zlib
from collections.abc import Iterable, Iterator
from types import TracebackType

from .errors import ConnectionDropped, DeadlineExceeded, ResponseTooLarge, TlsError

_STEP = 64 << 10
"""Bytes read, or inflated, at a time."""

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

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None: no deadline); never below zero."""
        return None if self.deadline is None else max(self.deadline - time.monotonic(), 0.0)

    def expired(self) -> bool:
        """Say whether the deadline has passed."""
        return self.deadline is not None and time.monotonic() >= self.deadline

    def clip(self, timeout: float | None) -> float | None:
        """Return `timeout` cut to the time left, so no single wait outlives the attempt."""
        left = self.remaining()
        if left is None:
            return timeout
        return left if timeout is None else min(timeout, left)


def current() -> Attempt | None:
    """Return the attempt running in this context, if any."""
    return _current.get()


def declared_length(value: str | None) -> int | None:
    """Return a Content-Length as a number, or None when absent or not plain ASCII digits."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 18:
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
    declared = declared_length(length)
    if declared is not None and declared > limit:
        msg = f"the body ({declared} bytes) is over the limit of {limit}"
        raise ResponseTooLarge(message=msg, status=status)
    try:
        return _gathered(_decoded(iter(chunks), encoding), limit=limit, status=status, attempt=attempt)
    except zlib.error:
        pass
    raise ConnectionDropped(message="the body did not inflate", request_sent=True)  # with no context


def _gathered(pieces: Iterator[bytes], *, limit: int, status: int, attempt: Attempt) -> bytes:
    body = bytearray()
    for piece in pieces:
        body += piece
        if len(body) > limit:
            msg = f"the body is over the limit of {limit} bytes"
            raise ResponseTooLarge(message=msg, status=status)
        if attempt.expired():
            raise DeadlineExceeded(message="the body did not arrive in time", request_sent=True)
    return bytes(body)


def _decoded(chunks: Iterator[bytes], encoding: str) -> Iterator[bytes]:
    """Undo the content codings in `encoding` (applied in order, so undone last first)."""
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip", "deflate"):
            chunks = _inflated(chunks)
        elif coding != "identity":
            return chunks  # a coding we did not ask for and cannot undo: the bytes as they came
    return chunks


def _inflated(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Inflate gzip (any number of members) or zlib data, never more than a step of output at a time."""
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # 32: recognise the gzip or zlib header
    fed = False
    for chunk in chunks:
        data, fed = chunk, fed or bool(chunk)
        while True:
            out = inflater.decompress(data, _STEP)
            if out:
                yield out
            data = inflater.unconsumed_tail
            if inflater.eof and inflater.unused_data:  # another gzip member follows
                data = inflater.unused_data
                inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)
            elif not data and len(out) < _STEP:  # a full step may leave output pending: ask again
                break
    if fed and not inflater.eof:
        msg = "the compressed body ended early"
        raise zlib.error(msg)


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
