"""The scriptable fault server, under the name the tests import it by (it lives in gr4vy_fn.testing)."""

from gr4vy_fn.testing._faults import (
    Action,
    DropAfterRead,
    DropBeforeRead,
    Endless,
    Raw,
    Received,
    Reply,
    Reset,
    ResetBeforeRead,
    StallHandshake,
    Trickle,
    Truncated,
    serving,
)
from gr4vy_fn.testing._faults import FaultServer as LoopbackServer

__all__ = [
    "Action",
    "DropAfterRead",
    "DropBeforeRead",
    "Endless",
    "LoopbackServer",
    "Raw",
    "Received",
    "Reply",
    "Reset",
    "ResetBeforeRead",
    "StallHandshake",
    "Trickle",
    "Truncated",
    "serving",
]
