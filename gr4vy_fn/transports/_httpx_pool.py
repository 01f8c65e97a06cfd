"""What the httpx adapters (sync and async) do to the connection pool of httpcore under a client.

- An answer followed by bytes the server should not have sent (a second
  answer in the same write) leaves them in h11's buffer, where the next request
  on the connection would read them as its own answer: such a connection is
  closed when its answer is, never pooled.
- In a forked child, the pool's connections are the parent's: they are set
  aside, unused and unclosed (see gr4vy_fn.transports._limits), and the pool starts empty.

Both reach into httpcore 1.0's layout (a pool's connection list, an HTTP/1.1
connection's h11 state). On a client the adapter made itself, that layout not
found is an error (`check_layout`, LayoutChanged); on a client given to it,
which may have a transport of its own mounted, nothing is done.
"""

from __future__ import annotations

from typing import Any

import httpcore
import httpx

from ._limits import emptied, require_layout, set_aside

_TESTED = "httpx 0.28-0.29 on httpcore 1.0, h11 0.16"  # the private layout below is httpcore 1.0's


def check_layout(client: httpx.Client | httpx.AsyncClient) -> None:
    """Raise LayoutChanged unless `client` (one with its default transport) has the httpcore layout used here.

    httpx offers no public way to wrap a client's network backend, and
    httpcore none to close a connection with bytes past its answer or to empty
    a pool in a forked child.
    """
    require_layout("httpx", _TESTED, client, "_transport")
    require_layout("httpx", _TESTED, client._transport, "_pool")
    pool = pool_of(client)
    require_layout("httpcore", _TESTED, pool, "_connections", "_requests", "_optional_thread_lock")
    require_layout("httpcore", _TESTED, pool, "_network_backend")
    origin = httpcore.Origin(b"http", b"localhost", 80)
    http11 = httpcore.HTTP11Connection(origin, None)  # type: ignore[arg-type]  # no stream: nothing is sent
    require_layout("httpcore", _TESTED, http11, "_h11_state", "_network_stream", "_response_closed")


def pool_of(client: httpx.Client | httpx.AsyncClient) -> Any:
    """Return the httpcore pool of the client's default transport, or None."""
    return getattr(getattr(client, "_transport", None), "_pool", None)


def close_if_surplus(pool: Any, answer: httpx.Response) -> None:
    """Have the connection of `answer` (read to its end, not yet closed) closed with it if bytes follow it."""
    stream = answer.extensions.get("network_stream")
    for connection in getattr(pool, "connections", ()):
        http11 = getattr(connection, "_connection", None)
        if stream is None or getattr(http11, "_network_stream", None) is not stream:
            continue
        h11_state = getattr(http11, "_h11_state", None)
        if h11_state is not None and h11_state.trailing_data[0]:
            # Closing the answer calls this: the connection is then closed, not made idle for reuse.
            http11._response_closed = getattr(http11, "aclose", None) or http11.close  # type: ignore[union-attr]
        return


def forget_connections_of_parent(pool: Any) -> None:
    """In a forked child: set the pool's connections aside and start it empty (httpcore 1.0.3 and later)."""
    if pool is None:
        return
    for name in ("_connections", "_requests"):
        held = getattr(pool, name, None)
        if isinstance(held, list):
            setattr(pool, name, emptied(held))
    lock = getattr(pool, "_optional_thread_lock", None)  # a thread of the parent may have held it
    if lock is not None:
        set_aside(lock)
        pool._optional_thread_lock = type(lock)()
