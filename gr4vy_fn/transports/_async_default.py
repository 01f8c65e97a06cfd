"""The default async transport: one per event loop, made on first use, closed with its loop."""

from __future__ import annotations

import asyncio
import importlib.util
import weakref
from collections.abc import AsyncGenerator
from typing import Protocol

from .._http import AsyncTransport
from ..defaults import async_transport_replacement


class ClosableTransport(AsyncTransport, Protocol):
    """An AsyncTransport holding connections that `aclose()` lets go."""

    async def aclose(self) -> None:
        """Close every connection."""
        ...


# A transport holds sockets of one event loop; each loop gets its own.
_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = (
    weakref.WeakKeyDictionary()
)
_transports: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ClosableTransport] = (
    weakref.WeakKeyDictionary()
)


def new_default_transport() -> ClosableTransport:
    """Return a new AiohttpTransport, or an HttpxTransport when only httpx is installed."""
    if importlib.util.find_spec("aiohttp") is not None:
        from ._aiohttp import AiohttpTransport

        return AiohttpTransport()
    if importlib.util.find_spec("httpx") is not None:
        from ._httpx_async import HttpxTransport

        return HttpxTransport()
    msg = "gr4vy_fn.aio needs an HTTP client: pip install 'gr4vy_fn[aiohttp]' (or 'gr4vy_fn[httpx]')"
    raise ModuleNotFoundError(msg)


async def _closed_with_the_loop(
    loop: asyncio.AbstractEventLoop, transport: ClosableTransport
) -> AsyncGenerator[None, None]:
    # The loop finalizes the async generators it ran when it shuts down (asyncio.run
    # does): suspended here, this one closes the transport in its own loop then,
    # so no session is left open for the garbage collector to warn about.
    try:
        yield
    finally:
        _per_loop.pop(loop, None)
        _transports.pop(loop, None)
        await transport.aclose()


async def default_async_transport() -> AsyncTransport:
    """Return the replacement set by gr4vy_fn.defaults.set_defaults, or this event loop's own transport."""
    replacement = async_transport_replacement()
    if replacement is not None:
        return replacement
    loop = asyncio.get_running_loop()
    transport = _transports.get(loop)
    if transport is None:
        transport = _transports[loop] = new_default_transport()
        closer = _per_loop[loop] = _closed_with_the_loop(loop, transport)
        await closer.__anext__()
    return transport


async def aclose() -> None:
    """Close the running event loop's default transport; the next call opens a new one."""
    closer = _per_loop.pop(asyncio.get_running_loop(), None)
    if closer is not None:
        await closer.aclose()
