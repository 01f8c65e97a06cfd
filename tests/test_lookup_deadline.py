"""Every shipped sync transport holds the host name lookup to the attempt's deadline.

getaddrinfo takes no timeout: a resolver that never answers would hold the
call for as long as the system keeps retrying. Here the lookup of `localhost`
hangs for 10 s (released when the test ends); a call with a 0.05 s deadline
must come back within 1.5 s, unsent, and never be written later.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import PLAIN_HTTP_TLS, make_config
from pytest_mock import MockerFixture
from tagged_server import TaggedServer, answer

import gr4vy_fn as g
from gr4vy_fn.transports import HttpxTransport, RequestsTransport, Urllib3Transport

# Before it, a call only has to reach its lookup (a few milliseconds of Python, even on a loaded
# machine); the lookup itself never answers in time, however long the deadline.
DEADLINE = 0.05
BOUND = 1.5  # far below the 10 s the lookup would take
# A connect that is not answered (its SYN dropped) fails after this; on loopback one that is
# answered completes in the kernel within the connect call, so a short wait is as sure as a long one.
SILENT_CONNECT = 0.03

TRANSPORTS: dict[str, Callable[[], g.Transport]] = {
    "urllib3": Urllib3Transport,
    "requests": RequestsTransport,
    "httpx": lambda: HttpxTransport(httpx.Client(verify=PLAIN_HTTP_TLS)),
}


@pytest.fixture
def tagged() -> Iterator[TaggedServer]:
    with TaggedServer() as server:
        yield server


@pytest.fixture(params=sorted(TRANSPORTS))
def transport(request: pytest.FixtureRequest) -> Iterator[g.Transport]:
    made = TRANSPORTS[request.param]()
    yield made
    if isinstance(made, (RequestsTransport, HttpxTransport)):
        made.close()


def localhost_url(server: TaggedServer) -> str:
    return server.url.replace("127.0.0.1", "localhost")


def config_for(url: str) -> g.Config:
    return make_config(url, retry=g.RetryPolicy(deadline=DEADLINE, initial_delay=0.01))


@pytest.fixture
def unaccepted() -> Iterator[socket.socket]:
    """A listener on loopback that accepts nothing: a connection made to it waits in its queue."""
    listener = socket.create_server(("127.0.0.1", 0))
    with listener:
        yield listener


def test_a_hanging_lookup_ends_at_the_deadline_unsent(
    unaccepted: socket.socket, transport: g.Transport, mocker: MockerFixture
) -> None:
    """A lookup that would take 10 s: the create returns at its deadline, unsent, and is never written."""
    real_getaddrinfo = socket.getaddrinfo
    released = threading.Event()
    lookups: list[threading.Thread] = []

    def hanging_lookup(host: str, *args: Any, **kwargs: Any) -> Any:
        if host != "localhost":
            return real_getaddrinfo(host, *args, **kwargs)
        lookups.append(threading.current_thread())
        released.wait(10.0)
        return real_getaddrinfo("127.0.0.1", *args, **kwargs)

    mocker.patch("socket.getaddrinfo", side_effect=hanging_lookup)
    url = f"http://localhost:{unaccepted.getsockname()[1]}"
    started = time.monotonic()
    result = g.new_checkout_session(config=config_for(url), transport=transport)
    elapsed = time.monotonic() - started
    released.set()
    assert isinstance(result, g.DeadlineExceeded), result
    assert not result.request_sent
    assert result.message == "the deadline passed before the request was sent"  # from every transport
    assert elapsed < BOUND
    for lookup in lookups:  # the lookup's late answer arrives, and its thread ends
        lookup.join(BOUND)
    assert lookups
    assert not any(lookup.is_alive() for lookup in lookups)
    # Nothing uses the late answer, in the lookup's thread or any other: no connection comes,
    # however long after the answer a use would begin (given 50 ms here).
    pending, _, _ = select.select([unaccepted], [], [], 0.05)
    assert pending == []


def test_a_name_is_resolved_and_every_address_tried(
    tagged: TaggedServer, transport: g.Transport, mocker: MockerFixture
) -> None:
    """Under a deadline, a name whose first address refuses connects through the next one."""
    real_getaddrinfo = socket.getaddrinfo

    def two_addresses(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "localhost":
            return real_getaddrinfo(host, port, *args, **kwargs)
        # 127.0.0.2 is loopback too, but nothing listens there: the connection is refused.
        return real_getaddrinfo("127.0.0.2", port, *args, **kwargs) + real_getaddrinfo(
            "127.0.0.1", port, *args, **kwargs
        )

    mocker.patch("socket.getaddrinfo", side_effect=two_addresses)
    tagged.script = lambda tag: [answer(tag)]
    config = make_config(localhost_url(tagged), retry=g.RetryPolicy(deadline=5.0, max_attempts=1))
    result = g.get_checkout_session("s", config=config, transport=transport)
    assert isinstance(result, g.CheckoutSession), result
    assert tagged.requests == ["s"]


def test_a_name_that_does_not_resolve_is_a_connect_error(
    transport: g.Transport, mocker: MockerFixture
) -> None:
    """A lookup that fails under a deadline is a ConnectError saying nothing was sent."""
    mocker.patch("socket.getaddrinfo", side_effect=socket.gaierror(socket.EAI_NONAME, "unknown name"))
    config = make_config(
        "http://nowhere.invalid:9",
        allow_insecure_http=True,
        retry=g.RetryPolicy(deadline=5.0, max_attempts=1),
    )
    result = g.get_checkout_session("s", config=config, transport=transport)
    assert isinstance(result, g.ConnectError), result
    assert not result.request_sent


@pytest.fixture
def silent_address(tagged: TaggedServer) -> Iterator[str]:
    """127.0.0.2 on the server's port, where connecting hangs: a listener whose backlog is full."""
    port = int(tagged.url.rsplit(":", 1)[1])
    listener = socket.socket()
    listener.bind(("127.0.0.2", port))
    listener.listen(0)
    queued = []
    for _ in range(4):
        waiting = socket.socket()
        waiting.setblocking(False)
        waiting.connect_ex(("127.0.0.2", port))
        queued.append(waiting)
    probe = socket.create_connection  # the listener must drop new connections, or the test proves nothing
    with pytest.raises(TimeoutError):
        probe(("127.0.0.2", port), timeout=SILENT_CONNECT).close()
    yield "127.0.0.2"
    for sock in (*queued, listener):
        sock.close()


def test_an_address_that_never_answers_leaves_the_next_to_try(
    tagged: TaggedServer, silent_address: str, transport: g.Transport, mocker: MockerFixture
) -> None:
    """A name whose first address drops connections (a dead route) connects through the next one."""
    real_getaddrinfo = socket.getaddrinfo

    def silent_first(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "localhost":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return real_getaddrinfo(silent_address, port, *args, **kwargs) + real_getaddrinfo(
            "127.0.0.1", port, *args, **kwargs
        )

    mocker.patch("socket.getaddrinfo", side_effect=silent_first)
    tagged.script = lambda tag: [answer(tag)]
    config = make_config(localhost_url(tagged), retry=g.RetryPolicy(deadline=5.0, max_attempts=1))
    timeout = g.Timeout(connect=SILENT_CONNECT)
    result = g.get_checkout_session("s", config=config, transport=transport, timeout=timeout)
    assert isinstance(result, g.CheckoutSession), result
    assert tagged.requests == ["s"]


def test_calls_waiting_on_one_name_share_one_lookup(tagged: TaggedServer, mocker: MockerFixture) -> None:
    """Sixteen calls stuck on a name that does not resolve leave one lookup thread, not sixteen."""
    real_getaddrinfo = socket.getaddrinfo
    released = threading.Event()
    lookups: list[str] = []

    def hanging_lookup(host: str, *args: Any, **kwargs: Any) -> Any:
        if host != "localhost":
            return real_getaddrinfo(host, *args, **kwargs)
        lookups.append(host)
        released.wait(10.0)
        return real_getaddrinfo("127.0.0.1", *args, **kwargs)

    mocker.patch("socket.getaddrinfo", side_effect=hanging_lookup)
    config = config_for(localhost_url(tagged))
    transport = Urllib3Transport()
    results: list[object] = []
    callers = [
        threading.Thread(
            target=lambda: results.append(g.get_checkout_session("s", config=config, transport=transport))
        )
        for _ in range(16)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    released.set()
    for helper in threading.enumerate():
        if helper.name == "gr4vy_fn-dns":
            helper.join(BOUND)
    assert len(results) == 16
    assert all(isinstance(result, g.DeadlineExceeded) and not result.request_sent for result in results)
    assert lookups == ["localhost"]
    tagged.script = lambda tag: [answer(tag)]
    again = g.get_checkout_session("s", config=make_config(localhost_url(tagged)), transport=transport)
    assert isinstance(again, g.CheckoutSession), again  # the answer is not kept: a later call looks up anew
    assert lookups == ["localhost", "localhost"]


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_child_process_never_waits_on_its_parents_lookup(
    tagged: TaggedServer, mocker: MockerFixture
) -> None:
    """A lookup under way at os.fork() has no thread in the child: the child looks the name up itself."""
    from gr4vy_fn.transports._limits import LookupAbandoned, resolve

    parent = os.getpid()
    real_getaddrinfo = socket.getaddrinfo
    released = threading.Event()

    def hanging_in_parent(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "localhost" and os.getpid() == parent:
            released.wait(10.0)
        return real_getaddrinfo(host, *args, **kwargs)

    mocker.patch("socket.getaddrinfo", side_effect=hanging_in_parent)
    with pytest.raises(LookupAbandoned):
        resolve("localhost", 80, socket.AF_INET, 0.0)  # under way (its thread started), held in the parent
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        code = 1
        try:
            code = 0 if resolve("localhost", 80, socket.AF_INET, 2.0) else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    released.set()
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_lookup_whose_thread_cannot_start_leaves_nothing_under_way(mocker: MockerFixture) -> None:
    """When no helper thread can start, the call fails, and the next lookup of that name still runs."""
    from gr4vy_fn.transports._limits import resolve

    start = threading.Thread.start
    mocker.patch.object(threading.Thread, "start", side_effect=RuntimeError("can't start new thread"))
    port = 4321  # a key of its own: no other test's lookup can be under way for it
    with pytest.raises(RuntimeError):
        resolve("localhost", port, socket.AF_INET, 1.0)
    mocker.patch.object(threading.Thread, "start", start)
    assert resolve("localhost", port, socket.AF_INET, 1.0)


@pytest.mark.parametrize("deadline", [None, 5.0])
def test_a_name_that_cannot_be_encoded_is_a_connect_error(
    transport: g.Transport, deadline: float | None
) -> None:
    """A label over 63 characters is no host: a ConnectError, nothing sent, with or without a deadline."""
    config = make_config(
        "https://" + "a" * 64 + ".example.com", retry=g.RetryPolicy(deadline=deadline, max_attempts=1)
    )
    result = g.get_checkout_session("s", config=config, transport=transport)
    assert isinstance(result, g.ConnectError), result
    assert not result.request_sent
