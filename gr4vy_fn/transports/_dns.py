"""Host name lookups that an attempt's deadline can abandon.

`socket.getaddrinfo` cannot be interrupted and takes no timeout: a resolver
that does not answer holds the calling thread for as long as the system's
resolver keeps retrying (often 10 s or more). So a lookup made under a
deadline runs in a daemon thread; at the deadline the caller stops waiting,
and the lookup's answer, when it comes, is dropped.

Callers asking for the same name while its lookup is under way wait for that
one lookup instead of starting their own: during a resolver outage, a busy
process would otherwise leave a stuck thread behind for every call.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from typing import Any

AddressInfo = tuple[Any, ...]
_Key = tuple[str, int, int]


class LookupAbandoned(TimeoutError):
    """The host name did not resolve before the attempt's deadline."""


class _Lookup:
    """One getaddrinfo call under way in a helper thread, and its answer once done."""

    __slots__ = ("answer", "done")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.answer: list[AddressInfo] | OSError | None = None


_under_way: dict[_Key, _Lookup] = {}
_under_way_lock = threading.Lock()


def _forget_lookups_of_parent() -> None:
    # A child process has none of its parent's helper threads: their lookups
    # would never finish there, and the lock may have been held at the fork.
    global _under_way_lock
    _under_way.clear()
    _under_way_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_lookups_of_parent)


def resolve(host: str, port: int, family: int, left: float | None) -> list[AddressInfo]:
    """Return getaddrinfo's TCP addresses for `host`, waiting at most `left` seconds (None: no bound).

    Raises LookupAbandoned at the deadline, and OSError (socket.gaierror) as
    getaddrinfo does. A literal address is answered at once, in this thread.
    """
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:  # a literal address: nothing to look up, nothing to wait for
        return socket.getaddrinfo(host.strip("[]"), port, family, socket.SOCK_STREAM)
    if left is None:
        return _getaddrinfo(host, port, family)
    key = (host, port, family)
    with _under_way_lock:
        lookup = _under_way.get(key)
        if lookup is None:
            lookup = _under_way[key] = _Lookup()
            helper = threading.Thread(target=_look_up, args=(key, lookup), name="gr4vy_fn-dns", daemon=True)
            try:
                helper.start()
            except BaseException:
                # No thread (none left, or the interpreter is exiting): nothing is under way.
                del _under_way[key]
                raise
    if not lookup.done.wait(max(left, 0.0)):
        msg = "the host name did not resolve before the deadline"
        raise LookupAbandoned(msg)
    answer = lookup.answer
    if isinstance(answer, OSError):
        # A copy for each caller: one instance raised in many threads would share one traceback.
        raise type(answer)(*answer.args)
    assert answer is not None
    return answer


def _getaddrinfo(host: str, port: int, family: int) -> list[AddressInfo]:
    try:
        return socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    except UnicodeError as exc:  # a label too long, or a name IDNA cannot encode: no such host
        raise socket.gaierror(socket.EAI_NONAME, f"the host name cannot be looked up ({exc})") from None


def _look_up(key: _Key, lookup: _Lookup) -> None:
    host, port, family = key
    try:
        lookup.answer = _getaddrinfo(host, port, family)
    except OSError as exc:
        lookup.answer = exc
    finally:
        with _under_way_lock:
            if _under_way.get(key) is lookup:
                del _under_way[key]  # later calls look the name up afresh: answers are not cached
        lookup.done.set()
