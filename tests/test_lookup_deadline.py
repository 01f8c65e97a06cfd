"""Every shipped sync transport holds the host name lookup to the attempt's deadline.

getaddrinfo takes no timeout: a resolver that never answers would hold the
call for as long as the system keeps retrying. Here the lookup of `localhost`
hangs for 10 s (released when the test ends); a call with a 0.2 s deadline
must come back within 3 s, unsent, and never be written later.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import make_config
from pytest_mock import MockerFixture
from tagged_server import TaggedServer, answer

import gr4vy_fn as g
from gr4vy_fn.transports import HttpxTransport, RequestsTransport, Urllib3Transport

DEADLINE = 0.2
BOUND = 3.0  # far below the 10 s the lookup would take

TRANSPORTS: dict[str, Callable[[], g.Transport]] = {
    "urllib3": Urllib3Transport,
    "requests": RequestsTransport,
    "httpx": HttpxTransport,
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


def test_a_hanging_lookup_ends_at_the_deadline_unsent(
    tagged: TaggedServer, transport: g.Transport, mocker: MockerFixture
) -> None:
    """A lookup that would take 10 s: the create returns at its deadline, unsent, and is never written."""
    real_getaddrinfo = socket.getaddrinfo
    released = threading.Event()
    answered = threading.Event()

    def hanging_lookup(host: str, *args: Any, **kwargs: Any) -> Any:
        if host != "localhost":
            return real_getaddrinfo(host, *args, **kwargs)
        released.wait(10.0)
        try:
            return real_getaddrinfo("127.0.0.1", *args, **kwargs)
        finally:
            answered.set()

    mocker.patch("socket.getaddrinfo", side_effect=hanging_lookup)
    started = time.monotonic()
    result = g.new_checkout_session(config=config_for(localhost_url(tagged)), transport=transport)
    elapsed = time.monotonic() - started
    released.set()
    assert isinstance(result, g.DeadlineExceeded), result
    assert not result.request_sent
    assert elapsed < BOUND
    assert answered.wait(BOUND)  # the lookup's late answer arrived; nothing may use it
    time.sleep(0.05)
    assert tagged.requests == []


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
