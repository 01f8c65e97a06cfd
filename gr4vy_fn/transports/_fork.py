"""After os.fork(): a child never sends on, reads from or closes a connection its parent opened.

A forked child inherits its parent's sockets. A request the child sent on one
would share the connection with the parent's, and each process could be handed
the other's answer; closing one (a TLS close_notify, a shutdown) would break
the parent's exchange. So a transport that finds itself in a child sets its
parent's pooled connections aside: kept referenced, so that no finalizer of the
child closes them, and never used again. (Event loops made before the fork are
renewed by gr4vy_fn.aio's `_loops`.)
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

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
