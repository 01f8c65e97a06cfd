"""The emulator for async tests: an AsyncTransport answering in-process, with no sockets.

    from gr4vy_fn.testing.aio import AsyncEmulatorTransport
    result = await aio.get_checkout_session(session_id, transport=AsyncEmulatorTransport(emulator))

or, for code that passes no transport,
`gr4vy_fn.defaults.set_defaults(async_transport=AsyncEmulatorTransport(emulator))`.
The `gr4vy_emulator` fixture serves async code too: it serves on loopback and
sets GR4VY_*, so `aio` calls with no config reach it through the real transport.
"""

from __future__ import annotations

import asyncio

from .._http import HttpRequest, HttpResponse, Timeout
from ..errors import TransportError
from ._emulator import Emulator, EmulatorTransport

__all__ = ["AsyncEmulatorTransport"]


class AsyncEmulatorTransport:
    """An AsyncTransport that hands each request to an Emulator; its delays are awaited, not slept."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    async def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        """Return the emulator's answer, or raise the TransportError a real connection would."""
        waits: list[float] = []
        # The sync transport decides what happens; its waits are taken here, in the event loop.
        sync = EmulatorTransport(self.emulator, sleep=waits.append)
        try:
            response = sync.send(request, timeout)
        except TransportError:
            await asyncio.sleep(sum(waits))
            raise
        await asyncio.sleep(sum(waits))
        return response
