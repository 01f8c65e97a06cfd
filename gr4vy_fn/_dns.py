"""Host name lookups that an attempt's deadline can abandon.

`socket.getaddrinfo` cannot be interrupted and takes no timeout: a resolver
that does not answer holds the calling thread for as long as the system's
resolver keeps retrying (often 10 s or more). So a lookup made under a
deadline runs in a daemon thread; at the deadline the caller stops waiting,
and the lookup's answer, when it comes, is dropped.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from typing import Any

AddressInfo = tuple[Any, ...]


class LookupAbandoned(TimeoutError):
    """The host name did not resolve before the attempt's deadline."""


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
        return socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    answer: list[Any] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            answer.append(socket.getaddrinfo(host, port, family, socket.SOCK_STREAM))
        except OSError as exc:
            answer.append(exc)
        finally:
            done.set()

    threading.Thread(target=lookup, name="gr4vy_fn-dns", daemon=True).start()
    if not done.wait(max(left, 0.0)):
        msg = "the host name did not resolve before the deadline"
        raise LookupAbandoned(msg)
    result = answer[0]
    if isinstance(result, OSError):
        raise result
    return result  # type: ignore[no-any-return]
