"""The async transports' time limit (never swallowing anyone else's cancellation) and body reading."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from ..errors import TransportError, _deadline_exceeded
from ._limits import Body, refuse_declared_over

T = TypeVar("T")

KEEPS_TOTAL: set[type] = set()
"""Transports (exact types) whose `send` keeps the Timeout's total itself, under `time_limit`, start to end.

The async driver adds no time limit of its own around them (it would be a second asyncio timer a call).
Registered only on Python 3.11 and later, where `time_limit` is asyncio.timeout."""

if sys.version_info >= (3, 11):
    time_limit = asyncio.timeout
else:  # pragma: no cover - Python 3.10 has no asyncio.timeout

    @contextlib.asynccontextmanager
    async def time_limit(seconds: float) -> AsyncIterator[None]:
        """Cancel the block after `seconds` and raise TimeoutError in its place."""
        task = asyncio.current_task()
        assert task is not None
        fired = False

        def fire() -> None:
            nonlocal fired
            fired = True
            task.cancel()

        handle = asyncio.get_running_loop().call_later(seconds, fire)
        try:
            yield
        except asyncio.CancelledError:
            # 3.10 cannot tell a cancellation of ours from one that arrives at the
            # same moment (3.11's Task.uncancel can); ours is the likelier.
            if fired:
                raise asyncio.TimeoutError from None
            raise
        finally:
            handle.cancel()


async def within(total: float | None, exchange: Awaitable[T], sent: Callable[[], bool]) -> T:
    """Return what `exchange` returns, or raise DeadlineExceeded (`sent()`: request_sent) after `total` s."""
    try:
        if total is None:
            return await exchange
        async with time_limit(total):
            return await exchange
    except (TimeoutError, asyncio.TimeoutError):
        pass
    raise _deadline_exceeded(sent())  # outside the except block: no library frames


async def read_limited(
    chunks: AsyncIterator[bytes],
    answer: tuple[Any, int, int],
    close: Callable[[], Awaitable[None] | None],
    errors: type[Exception],
    mapped: Callable[[Any], TransportError],
) -> bytes:
    """Return the whole body, inflated, of an answer `(headers, status, limit in bytes)` (see read_body).

    `chunks` are the bytes as sent. When reading fails, `close()` (the answer
    was not read to the end: its connection must not be pooled) and raise
    `mapped(exc)` for one of the library's `errors`, or the failure itself.
    """
    headers, status, limit = answer
    try:
        refuse_declared_over(headers.get("Content-Length"), limit, status)
        body = Body(headers.get("Content-Encoding", ""), limit=limit, status=status)
        async for chunk in chunks:
            body.add(chunk)
        return body.whole()
    except BaseException as exc:
        closing = close()
        if closing is not None:
            await closing
        if not isinstance(exc, errors):
            raise
        error = mapped(exc)
    raise error from None
