"""Event loops made before os.fork(): renewed in the child before a call runs on them again.

An asyncio loop's selector is an epoll or kqueue instance that the kernel
shares between parent and child after a fork, and its wake-up pipe is shared
too. A child running such a loop would read the parent's sockets (the idle
pooled connections the loop still watches), wake or spin on the parent's
traffic, and lose its own wake-ups to the parent. So in each child, every
selector loop a gr4vy_fn call ran on gets a selector, a wake-up pipe and an
executor of the child's own; the inherited ones are set aside, untouched (see
gr4vy_fn.transports._limits). Loops of other kinds (uvloop) are not renewed: make a new
loop in each process for them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import weakref
from asyncio import selector_events

from ._limits import set_aside

_loops_used: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


_last_noted: list[weakref.ref[asyncio.AbstractEventLoop]] = []  # the loop noted last: most calls run on it


def note_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Remember that a call ran on `loop`, so that a forked child renews it."""
    if _last_noted and _last_noted[0]() is loop:
        return  # noted already (a weak set's lookup costs a call more than this)
    _loops_used.add(loop)
    _last_noted[:] = [weakref.ref(loop)]


def _renew(loop: asyncio.AbstractEventLoop) -> None:
    """Give `loop` a selector, a wake-up pipe and an executor of this process's own."""
    if loop.is_closed() or not isinstance(loop, selector_events.BaseSelectorEventLoop):
        return
    inherited = loop._selector  # type: ignore[attr-defined]
    set_aside(inherited, loop._ssock, loop._csock, loop._default_executor)  # type: ignore[attr-defined]
    loop._selector = type(inherited)()  # type: ignore[attr-defined]
    loop._ssock, loop._csock = socket.socketpair()  # type: ignore[attr-defined]
    loop._ssock.setblocking(False)  # type: ignore[attr-defined]
    loop._csock.setblocking(False)  # type: ignore[attr-defined]
    loop._add_reader(loop._ssock.fileno(), loop._read_from_self)  # type: ignore[attr-defined]
    # The executor's threads stayed in the parent; the loop makes a new executor when it needs one.
    loop._default_executor = None  # type: ignore[attr-defined]
    if getattr(loop, "_signal_handlers", None) and threading.current_thread() is threading.main_thread():
        signal.set_wakeup_fd(loop._csock.fileno())  # type: ignore[attr-defined]


def _renew_loops_used() -> None:
    for loop in list(_loops_used):
        _renew(loop)


os.register_at_fork(after_in_child=_renew_loops_used)
