"""The deadline is a wall-clock bound on the whole call, whatever the server or DNS does.

Each test gives a 0.05 s deadline to a call the misbehaving peer would hold for
ten seconds or more (until the server closes at the end of the test); a call
that ends within 1.5 s is bounded, and one the peer holds fails by seconds.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import make_config
from pytest_mock import MockerFixture
from tagged_server import Pause, Step, TaggedServer, answer

import gr4vy_fn as g
from gr4vy_fn.transports import Urllib3Transport

# Before it, a call must write its request (on loopback, into the kernel: a few milliseconds of
# Python, even on a loaded machine) or reach its lookup; nothing needs to come back.
DEADLINE = 0.05
BOUND = 1.5  # the deadline plus a margin that no scheduler hiccup reaches
HELD = 10.0  # how long the misbehaving peer would hold a call that ignored its deadline
TRICKLE = 0.01  # seconds between the peer's bytes: several arrive within the deadline
PROMPT_DEADLINE = 5.0  # for calls answered at once, where a deadline only has to be set


def trickle(data: bytes, every: float) -> list[Step]:
    steps: list[Step] = []
    for byte in data:
        steps += [bytes([byte]), Pause(every)]
    return steps


@pytest.fixture
def tagged() -> Iterator[TaggedServer]:
    with TaggedServer() as server:
        yield server


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def config_for(url: str, deadline: float = DEADLINE) -> g.Config:
    return make_config(url, retry=g.RetryPolicy(deadline=deadline, initial_delay=0.01))


def test_headers_trickled_a_byte_at_a_time_stop_at_the_deadline(tagged: TaggedServer) -> None:
    """Headers arriving one byte every 0.01 s (each read within the read timeout) end at the deadline."""
    head = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * int(HELD / TRICKLE) + b"\r\n\r\n"
    tagged.script = lambda tag: trickle(head, TRICKLE)
    result, elapsed = timed(
        lambda: g.get_checkout_session("s", config=config_for(tagged.url), transport=Urllib3Transport())
    )
    assert isinstance(result, g.DeadlineExceeded)
    assert result.request_sent
    assert elapsed < BOUND


def test_a_stream_of_100_continue_stops_at_the_deadline(tagged: TaggedServer) -> None:
    """Interim answers that never end cannot hold a create past its deadline; it is not resent."""
    tagged.script = lambda tag: [b"HTTP/1.1 100 Continue\r\n\r\n", Pause(TRICKLE)] * int(HELD / TRICKLE)
    result, elapsed = timed(
        lambda: g.new_checkout_session(config=config_for(tagged.url), transport=Urllib3Transport())
    )
    assert isinstance(result, g.DeadlineExceeded)
    assert result.request_sent
    assert elapsed < BOUND
    assert tagged.wait_for_requests(1) == ["sessions"]


def test_a_slow_name_lookup_stops_at_the_deadline_and_sends_nothing(
    tagged: TaggedServer, mocker: MockerFixture
) -> None:
    """A DNS lookup held for seconds: the create returns at its deadline, unsent, never written later."""
    real_getaddrinfo = socket.getaddrinfo
    released = threading.Event()
    lookups: list[threading.Thread] = []

    def slow_lookup(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "localhost":
            lookups.append(threading.current_thread())
            released.wait(HELD)
            return real_getaddrinfo("127.0.0.1", *args, **kwargs)
        return real_getaddrinfo(host, *args, **kwargs)

    mocker.patch("socket.getaddrinfo", side_effect=slow_lookup)
    url = tagged.url.replace("127.0.0.1", "localhost")
    result, elapsed = timed(
        lambda: g.new_checkout_session(config=config_for(url), transport=Urllib3Transport())
    )
    assert isinstance(result, g.DeadlineExceeded)
    assert not result.request_sent
    assert elapsed < BOUND
    released.set()
    for lookup in lookups:  # the lookup's late answer arrives; nothing may use it
        lookup.join(HELD)
    assert tagged.requests == []


def test_a_reused_connection_writes_nothing_after_the_deadline(
    tagged: TaggedServer, mocker: MockerFixture
) -> None:
    """An attempt whose deadline passed before writing is refused as unsent, on a pooled connection too."""
    from gr4vy_fn.transports._limits import current

    transport = Urllib3Transport()
    tagged.script = lambda tag: [answer(tag)]
    warm = g.get_checkout_session("warm", config=config_for(tagged.url, PROMPT_DEADLINE), transport=transport)
    assert isinstance(warm, g.CheckoutSession)
    request = g.prepare(g.operations.new_checkout_session(), config_for(tagged.url))
    exchange = transport._exchange

    def late(manager: Any, request: g.HttpRequest, timeout: g.Timeout) -> g.HttpResponse:
        attempt = current()
        assert attempt is not None
        attempt.deadline = time.monotonic() - 0.001  # the deadline passes just before writing
        return exchange(manager, request, timeout)

    mocker.patch.object(transport, "_exchange", side_effect=late)
    with pytest.raises(g.DeadlineExceeded) as raised:
        transport.send(request, g.Timeout(connect=1, read=1, total=1))
    assert not raised.value.request_sent
    assert tagged.requests == ["warm"]


def test_a_prompt_answer_under_a_deadline_is_read_as_usual(tagged: TaggedServer) -> None:
    """A prompt answer under a deadline is read as usual, with interim answers skipped."""
    tagged.script = lambda tag: [b"HTTP/1.1 103 Early Hints\r\n\r\n", answer(tag)]
    config = config_for(tagged.url, PROMPT_DEADLINE)
    result = g.get_checkout_session("s", config=config, transport=Urllib3Transport())
    assert isinstance(result, g.CheckoutSession)
    assert result.id == "s"


# aiohttp warns that a body this large, given as bytes, may hold the event loop while it is copied.
@pytest.mark.filterwarnings("ignore:Sending a large body directly:ResourceWarning")
@pytest.mark.parametrize(
    "make_transport",
    ["Urllib3Transport", "RequestsTransport", "HttpxTransport", "aio.AiohttpTransport", "aio.HttpxTransport"],
)
def test_a_server_that_stops_reading_the_request_body_cannot_hold_the_send(make_transport: str) -> None:
    """A server that answered once, then reads none of a large request on that connection: it ends in time."""
    from gr4vy_fn import aio, transports

    with socket.create_server(("127.0.0.1", 0)) as listener:
        accepted: list[socket.socket] = []

        def answer_once_then_stop_reading() -> None:
            peer, _ = listener.accept()
            accepted.append(peer)  # kept open, never read again, until the test ends
            peer.recv(65536)
            peer.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

        threading.Thread(target=answer_once_then_stop_reading, daemon=True).start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/checkout/sessions"
        try:  # the pooled connection is reused: its socket's timeouts are the warm call's
            if make_transport.startswith("aio."):
                elapsed, raised = asyncio.run(_stalled_async_upload(getattr(aio, make_transport[4:])(), url))
            else:
                elapsed, raised = _stalled_upload(getattr(transports, make_transport)(), url)
        finally:
            for peer in accepted:
                peer.close()
    assert isinstance(raised, g.DeadlineExceeded), raised
    assert raised.request_sent
    assert elapsed < BOUND


_LARGE_POST = b"x" * (32 << 20)  # more than socket buffers hold


def _stalled_upload(transport: Any, url: str) -> tuple[float, BaseException | None]:
    """Warm `transport` with a GET to `url`, then time a large POST the server never reads."""
    try:
        warm = transport.send(g.HttpRequest("GET", url), g.Timeout(HELD, HELD, PROMPT_DEADLINE))
        assert warm.body == b"ok"
        started = time.monotonic()
        try:
            transport.send(g.HttpRequest("POST", url, body=_LARGE_POST), g.Timeout(HELD, HELD, DEADLINE * 4))
        except g.TransportError as exc:
            return time.monotonic() - started, exc
        return time.monotonic() - started, None
    finally:
        transport.close()


async def _stalled_async_upload(transport: Any, url: str) -> tuple[float, BaseException | None]:
    """`_stalled_upload` through an AsyncTransport."""
    try:
        warm = await transport.send(g.HttpRequest("GET", url), g.Timeout(HELD, HELD, PROMPT_DEADLINE))
        assert warm.body == b"ok"
        started = time.monotonic()
        try:
            await transport.send(
                g.HttpRequest("POST", url, body=_LARGE_POST), g.Timeout(HELD, HELD, DEADLINE * 4)
            )
        except g.TransportError as exc:
            return time.monotonic() - started, exc
        return time.monotonic() - started, None
    finally:
        await transport.aclose()
