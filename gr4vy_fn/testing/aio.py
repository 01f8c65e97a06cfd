"""The emulator for async tests: an AsyncTransport answering in-process, with no sockets.

`AsyncEmulatorTransport(emulator)` goes where an async call takes a transport, or into
`gr4vy_fn.defaults.set_defaults(async_transport=...)`. The `gr4vy_emulator` fixture serves on
loopback and sets GR4VY_*, so async code reaches it through the real transport too.
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
