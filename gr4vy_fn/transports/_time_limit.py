"""A time limit on an await that raises TimeoutError, and never swallows anyone else's cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

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
