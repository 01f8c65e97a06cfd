"""gr4vy_fn.aio: the same calls and results as the sync ones, deadlines, cancellation, per-loop defaults."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from conftest import SESSION_ID, FakeTime, fast_policy, make_config, sample
from loopback import Endless, LoopbackServer, Reply
from pytest_mock import MockerFixture

import gr4vy_fn as g
from gr4vy_fn import aio, defaults
from gr4vy_fn import operations as ops
from gr4vy_fn.testing import Emulator
from gr4vy_fn.testing.aio import AsyncEmulatorTransport
from gr4vy_fn.transports import MockTransport
from gr4vy_fn.transports import _async_default as _default

T = TypeVar("T")
SESSION = sample("session_201.json")
FIELDS = g.CheckoutSessionSecureFieldsUpdate(
    payment_method=g.CardPaymentMethod(
        number="4111111111111111", expiration_date="12/30", security_code="737"
    )
)


class AsyncMock:
    """An AsyncTransport answering with `handler(request)`, like MockTransport."""

    def __init__(self, handler: Callable[[g.HttpRequest], g.HttpResponse]) -> None:
        self.handler = handler
        self.timeouts: list[g.Timeout] = []

    async def send(self, request: g.HttpRequest, timeout: g.Timeout) -> g.HttpResponse:
        self.timeouts.append(timeout)
        return self.handler(request)


class Hanging:
    """An AsyncTransport whose answer never comes (a DNS lookup or an interim answer that never ends)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def send(self, request: g.HttpRequest, timeout: g.Timeout) -> g.HttpResponse:
        self.started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def while_ticking(work: Awaitable[T]) -> tuple[T, int]:
    """Await `work` while another task counts the loop's turns: how often the loop ran meanwhile."""
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    ticker = asyncio.create_task(tick())
    try:
        return await work, ticks
    finally:
        ticker.cancel()


@pytest.fixture
def fresh_defaults() -> Iterator[None]:
    defaults.reset_defaults()
    yield
    defaults.reset_defaults()


def test_the_five_calls_against_the_emulator_without_sockets() -> None:
    """Create, fields, get, update, delete and a 404 through AsyncEmulatorTransport: the sync results."""
    emulator = Emulator(bearer_token="test-token")
    transport = AsyncEmulatorTransport(emulator)
    config = make_config()

    async def walk() -> list[object]:
        created = g.unwrap(await aio.new_checkout_session(config=config, transport=transport))
        sid = created.id
        return [
            await aio.update_checkout_session_fields(sid, FIELDS, config=config, transport=transport),
            await aio.get_checkout_session(sid, config=config, transport=transport),
            await aio.update_checkout_session(
                sid,
                g.CheckoutSessionCreateRequest(amount=5, currency="USD"),
                config=config,
                transport=transport,
            ),
            await aio.delete_checkout_session(sid, config=config, transport=transport),
            await aio.get_checkout_session(sid, config=config, transport=transport),
        ]

    fields, read, updated, deleted, gone = asyncio.run(walk())
    assert fields is None
    assert isinstance(read, g.CheckoutSession)
    assert read.payment_method is not None
    assert read.payment_method.label == "1111"
    assert isinstance(updated, g.CheckoutSession)
    assert updated.amount == 5
    assert deleted is None
    assert isinstance(gone, g.Error404NotFound)
    assert str(gone).startswith(f"get_checkout_session({read.id}): 404")


def test_async_and_sync_run_the_same_attempts() -> None:
    """For the same answers, the async and sync drivers make the same attempts, waits and result."""
    answers = [503, 429, 200]

    def scripted() -> Callable[[g.HttpRequest], g.HttpResponse]:
        queue = list(answers)
        return lambda request: g.HttpResponse(status=queue.pop(0), body=SESSION)

    sync_time, async_time = FakeTime(), FakeTime()
    sync = g.get_checkout_session(
        SESSION_ID, config=make_config(retry=fast_policy(sync_time)), transport=MockTransport(scripted())
    )
    asynchronous = asyncio.run(
        aio.get_checkout_session(
            SESSION_ID, config=make_config(retry=fast_policy(async_time)), transport=AsyncMock(scripted())
        )
    )
    assert sync == asynchronous
    assert isinstance(asynchronous, g.CheckoutSession)
    assert async_time.sleeps == sync_time.sleeps == [0.5, 1.0]


def test_a_create_is_not_resent_after_a_5xx() -> None:
    """The create's rule holds under asyncio: a 503 on a create is returned, not retried."""
    transport = AsyncMock(lambda request: g.HttpResponse(status=503, body=sample("error_500.json")))
    result = asyncio.run(aio.new_checkout_session(config=make_config(), transport=transport))
    assert isinstance(result, g.ErrorGeneric)
    assert len(transport.timeouts) == 1


def test_the_deadline_bounds_an_answer_that_never_comes() -> None:
    """A transport that never answers is stopped at the deadline: ReadTimeout, request_sent=True."""
    config = make_config(retry=g.RetryPolicy(initial_delay=0.01), timeout=g.Timeout(connect=30, read=30))
    started = time.monotonic()
    # Nothing has to happen before the deadline: the first attempt gets all of it, whatever the clock says,
    # and its time limit fires only once the transport awaits.
    result = asyncio.run(aio.new_checkout_session(config=config, transport=Hanging(), deadline=0.01))
    assert time.monotonic() - started < 5  # not the 30 s timeouts
    assert result == g.ReadTimeout(message="no complete answer in time", request_sent=True, attempts=1)


def test_an_attempts_total_timeout_is_enforced_and_retried() -> None:
    """An attempt's Timeout.total stops a hanging idempotent attempt, which is then retried."""
    hanging = Hanging()
    answers = AsyncMock(lambda request: g.HttpResponse(status=200, body=SESSION))
    transports: Iterator[Hanging | AsyncMock] = iter([hanging, answers])

    class FirstHangs:
        async def send(self, request: g.HttpRequest, timeout: g.Timeout) -> g.HttpResponse:
            return await next(transports).send(request, timeout)

    # As above, nothing has to happen before the total: a limit fires only once the attempt awaits.
    config = make_config(retry=g.RetryPolicy(initial_delay=0.01), timeout=g.Timeout(total=0.01))
    result = asyncio.run(aio.get_checkout_session(SESSION_ID, config=config, transport=FirstHangs()))
    assert isinstance(result, g.CheckoutSession)
    assert hanging.started.is_set()


@pytest.mark.parametrize("where", ["sending", "waiting to retry"])
def test_cancellation_is_never_swallowed(where: str) -> None:
    """Cancelling a call, while it sends or while it waits to retry, raises CancelledError in the caller."""
    started = asyncio.Event()

    class Transport:
        async def send(self, request: g.HttpRequest, timeout: g.Timeout) -> g.HttpResponse:
            started.set()
            if where == "sending":
                await asyncio.Event().wait()
            return g.HttpResponse(status=503)

    async def cancel_it() -> None:
        config = make_config(retry=g.RetryPolicy(initial_delay=5, max_delay=5, jitter=0))
        task = asyncio.create_task(aio.get_checkout_session(SESSION_ID, config=config, transport=Transport()))
        await started.wait()
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_it())


def test_the_httpx_clients_of_two_loops_share_one_trust_store(
    server: LoopbackServer, mocker: MockerFixture
) -> None:
    """The client each event loop opens verifies against one context, loaded once per process."""
    server.then(Reply(200, SESSION), Reply(200, SESSION))
    config = make_config(server.url)
    opened = mocker.spy(httpx, "AsyncClient")

    async def call() -> object:
        transport = aio.HttpxTransport()
        try:
            return await aio.get_checkout_session(SESSION_ID, config=config, transport=transport)
        finally:
            await transport.aclose()

    assert [type(asyncio.run(call())) for _ in range(2)] == [g.CheckoutSession] * 2
    first, second = (made.kwargs["verify"] for made in opened.call_args_list)
    assert isinstance(first, ssl.SSLContext)
    assert first is second
    assert (first.verify_mode, first.check_hostname) == (ssl.CERT_REQUIRED, True)


@pytest.mark.parametrize("adapter", ["aiohttp", "httpx"])
def test_a_cancelled_call_leaves_no_half_read_connection(adapter: str, server: LoopbackServer) -> None:
    """A call cancelled mid-body closes its connection: the next call gets a whole answer on a new one."""
    server.then(Endless(200, chunk=b"x" * 64, interval=0.02), Reply(200, SESSION))
    config = make_config(server.url)

    async def cancel_then_call() -> object:
        transport = aio.AiohttpTransport() if adapter == "aiohttp" else aio.HttpxTransport()
        try:
            task = asyncio.create_task(
                aio.get_checkout_session(SESSION_ID, config=config, transport=transport)
            )
            while not server.received:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)  # the body is trickling in: a chunk every 20 ms
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return await aio.get_checkout_session(SESSION_ID, config=config, transport=transport)
        finally:
            await transport.aclose()

    result = asyncio.run(cancel_then_call())
    assert isinstance(result, g.CheckoutSession)
    assert server.connections == 2


@pytest.mark.usefixtures("fresh_defaults")
def test_each_event_loop_gets_its_own_default_transport_closed_with_it(server: LoopbackServer) -> None:
    """With no transport, each loop makes its own, which is closed when asyncio.run ends (no warning)."""
    server.default = Reply(200, SESSION)
    config = make_config(server.url)
    seen: list[Any] = []

    async def one_call() -> object:
        result = await aio.get_checkout_session(SESSION_ID, config=config)
        seen.append(await _default.default_async_transport())
        return result

    assert isinstance(asyncio.run(one_call()), g.CheckoutSession)
    assert isinstance(asyncio.run(one_call()), g.CheckoutSession)
    gc.collect()  # an unclosed session would warn here, and warnings are errors
    assert seen[0] is not seen[1]
    assert all(transport._session is None for transport in seen)
    assert not _default._transports


@pytest.mark.usefixtures("fresh_defaults")
def test_aclose_closes_the_loops_default_transport(server: LoopbackServer) -> None:
    """aio.aclose() closes this loop's default transport; the next call opens a new one."""
    server.default = Reply(200, SESSION)
    config = make_config(server.url)

    async def calls() -> list[Any]:
        await aio.get_checkout_session(SESSION_ID, config=config)
        first: Any = await _default.default_async_transport()
        await aio.aclose()
        closed = first._session is None
        await aio.get_checkout_session(SESSION_ID, config=config)
        second = await _default.default_async_transport()
        await aio.aclose()
        await aio.aclose()  # twice is harmless
        return [closed, first is not second]

    assert asyncio.run(calls()) == [True, True]


@pytest.mark.usefixtures("fresh_defaults")
def test_set_defaults_gives_aio_calls_their_transport() -> None:
    """An async transport set with set_defaults is what aio calls given none use, in any loop."""
    emulator = Emulator(bearer_token="test-token")
    defaults.set_defaults(async_transport=AsyncEmulatorTransport(emulator), config=make_config())
    created = asyncio.run(aio.new_checkout_session())
    assert isinstance(created, g.CheckoutSession)
    assert asyncio.run(aio.get_checkout_session(created.id)) == created


@pytest.mark.parametrize(
    ("keywords", "path"),
    [({"deadline": "3"}, "deadline"), ({"config": {}}, "config"), ({"transport": object()}, "transport")],
)
def test_call_keywords_of_the_wrong_kind_raise(keywords: dict[str, Any], path: str) -> None:
    """aio calls raise ValidationError for keywords of the wrong kind, like the sync ones."""
    keywords.setdefault("config", make_config())
    keywords.setdefault("transport", AsyncMock(lambda request: g.HttpResponse(status=204)))
    with pytest.raises(g.ValidationError) as caught:
        asyncio.run(aio.delete_checkout_session(SESSION_ID, **keywords))
    assert caught.value.path == path


def test_send_takes_any_request_and_waits_with_asyncio_sleep() -> None:
    """aio.send sends a builder's Request; with the default policy it waits with asyncio.sleep."""
    answers = [503, 204]
    transport = AsyncMock(lambda request: g.HttpResponse(status=answers.pop(0)))
    config = make_config(retry=g.RetryPolicy(initial_delay=0.01, jitter=0))

    sending = aio.send(ops.delete_checkout_session(SESSION_ID), config=config, transport=transport)
    result, ticks = asyncio.run(while_ticking(sending))
    assert result is None
    assert ticks > 1  # the loop ran other tasks during the wait


@pytest.mark.parametrize(
    "call",
    [
        aio.new_checkout_session,
        aio.get_checkout_session,
        aio.delete_checkout_session,
        aio.update_checkout_session_fields,
        aio.update_checkout_session,
        aio.send,
    ],
)
def test_aio_calls_are_documented(call: Callable[..., Awaitable[Any]]) -> None:
    """Each aio call's docstring gives its keywords, results, ValidationError and an await example."""
    doc = call.__doc__ or ""
    for part in ("deadline:", "Returns:", "TransportError", "ValidationError", "await aio."):
        assert part in doc, part


def test_the_adapters_are_importable_from_aio() -> None:
    """aio.AiohttpTransport and aio.HttpxTransport come from their modules; other names do not exist."""
    from gr4vy_fn.transports._aiohttp import AiohttpTransport
    from gr4vy_fn.transports._httpx_async import HttpxTransport

    assert aio.AiohttpTransport is AiohttpTransport
    assert aio.HttpxTransport is HttpxTransport
    with pytest.raises(AttributeError):
        aio.NoSuchTransport  # noqa: B018


def test_the_async_emulator_transport_injects_faults_without_blocking_the_loop() -> None:
    """Emulator delays are awaited (a longer one is a ReadTimeout) and drops are ConnectionDropped."""
    emulator = Emulator(bearer_token="test-token")
    transport = AsyncEmulatorTransport(emulator)
    config = make_config(timeout=g.Timeout(connect=1, read=0.05), retry=g.RetryPolicy.none())

    async def faults() -> tuple[object, object]:
        emulator.delay_next(1.0)
        slow = await aio.new_checkout_session(config=config, transport=transport)
        emulator.drop_next()
        return slow, await aio.new_checkout_session(config=config, transport=transport)

    (slow, dropped), ticks = asyncio.run(while_ticking(faults()))
    assert slow == g.ReadTimeout(message="no answer in time", request_sent=True, attempts=1)
    assert isinstance(dropped, g.ConnectionDropped)
    assert dropped.request_sent
    assert ticks > 2  # the loop kept running while the emulator "waited"


@pytest.mark.parametrize(
    ("installed", "expected"), [({"aiohttp", "httpx"}, "AiohttpTransport"), ({"httpx"}, "HttpxTransport")]
)
def test_the_default_is_aiohttp_else_httpx(installed: set[str], expected: str, mocker: MockerFixture) -> None:
    """The default async transport is aiohttp's when installed, else httpx's."""
    real = importlib.util.find_spec
    mocker.patch(
        "importlib.util.find_spec",
        side_effect=lambda name, *rest: real(name) if name in installed else None,
    )
    assert type(_default.new_default_transport()).__name__ == expected


def test_with_neither_client_installed_the_error_says_what_to_install(mocker: MockerFixture) -> None:
    """With neither aiohttp nor httpx, the first call says which extra to install."""
    mocker.patch("importlib.util.find_spec", return_value=None)
    with pytest.raises(ModuleNotFoundError, match=r"gr4vy_fn\[aiohttp\]"):
        _default.new_default_transport()


def test_with_no_deadline_and_no_total_an_attempt_is_not_bounded_by_the_driver() -> None:
    """With neither a deadline nor a total, the transport's own timeouts are the only bound."""
    transport = AsyncMock(lambda request: g.HttpResponse(status=204))
    config = make_config(retry=g.RetryPolicy(deadline=None), timeout=g.Timeout(connect=1, read=1))
    assert asyncio.run(aio.delete_checkout_session(SESSION_ID, config=config, transport=transport)) is None
    assert transport.timeouts == [g.Timeout(connect=1, read=1, total=None)]
