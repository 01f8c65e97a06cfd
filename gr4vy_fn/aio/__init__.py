"""The calls under asyncio: the same names, keywords, results and error values as gr4vy_fn's.

    from gr4vy_fn import aio
    session = gr4vy_fn.unwrap(await aio.get_checkout_session(session_id))

Each call runs the same attempt engine as the sync calls (deadline, retries,
the create's rule), awaiting an AsyncTransport instead of a Transport. With
no `transport`, each event loop gets its own AiohttpTransport (the `aiohttp`
extra; an HttpxTransport when only `httpx` is installed), made on first use
and closed when the loop shuts down or by `await aio.aclose()`.

The deadline holds for the whole call, connecting and DNS included.
Cancelling a call raises CancelledError in the caller as usual (a cancelled
create may or may not have reached the server), and the connection it was
using is closed, never reused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._http import AsyncTransport
from ..calls._async import (
    delete_checkout_session,
    get_checkout_session,
    new_checkout_session,
    send,
    update_checkout_session,
    update_checkout_session_fields,
)
from ..calls._sync import unwrap
from ..transports._async_default import aclose

if TYPE_CHECKING:
    from ..transports._aiohttp import AiohttpTransport
    from ..transports._httpx_async import HttpxTransport

__all__ = [
    "AiohttpTransport",
    "AsyncTransport",
    "HttpxTransport",
    "aclose",
    "delete_checkout_session",
    "get_checkout_session",
    "new_checkout_session",
    "send",
    "unwrap",
    "update_checkout_session",
    "update_checkout_session_fields",
]


def __getattr__(name: str) -> Any:
    # The adapters import their HTTP client: only when asked for.
    if name == "AiohttpTransport":
        from ..transports._aiohttp import AiohttpTransport

        return AiohttpTransport
    if name == "HttpxTransport":
        from ..transports._httpx_async import HttpxTransport

        return HttpxTransport
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


# help(gr4vy_fn.aio.get_checkout_session) shows where users find it, not a private module.
for _call in (
    delete_checkout_session,
    get_checkout_session,
    new_checkout_session,
    send,
    update_checkout_session,
    update_checkout_session_fields,
):
    _call.__module__ = __name__
del _call
