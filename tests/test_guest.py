"""A good guest: a call changes nothing outside itself, and its observers see the truth, never a secret."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from loopback import DropAfterRead, LoopbackServer, Raw, Reply, Trickle
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from test_hooks import Recorder

import gr4vy_fn as g
from gr4vy_fn import aio, hooks, otel
from gr4vy_fn.transports import HttpxTransport, Urllib3Transport

TOKEN = "opaque-token-7f3a9c1e"  # echoed without "Bearer": only the call itself knows it is a secret
SESSION_ID = "8724fd24-5489-4a5d-90fd-0604df7d3b83"
ONE_ATTEMPT = g.RetryPolicy(max_attempts=1)


def config_for(url: str, **kwargs: Any) -> g.Config:
    kwargs.setdefault("retry", ONE_ATTEMPT)
    kwargs.setdefault("bearer_token", TOKEN)
    return g.Config(server_url=url, **kwargs)


def echoing_reason(token: str) -> Raw:
    """A 400 whose reason phrase echoes the token: httpx logs the reason phrase at INFO."""
    body = b'{"type":"error","code":"bad_request","message":"no"}'
    head = b"HTTP/1.1 400 Refused " + token.encode() + b"\r\nContent-Type: application/json\r\n"
    return Raw(head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


def test_a_call_made_inside_a_transport_keeps_the_outer_attempts_secrets(
    server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A call made by a transport during an attempt restores the outer secrets: httpx's echo is scrubbed."""
    caplog.set_level(logging.INFO, logger="httpx")  # a docs example may have left it at WARNING
    caplog.set_level(logging.INFO)
    server.default = echoing_reason(TOKEN)
    inner = LoopbackServer()
    inner.default = Reply(404, body=b'{"type":"error","code":"not_found","message":"gone"}')

    class Nesting:
        def __init__(self) -> None:
            self.httpx = HttpxTransport()

        def send(self, request: g.HttpRequest, timeout: g.Timeout) -> g.HttpResponse:
            g.get_checkout_session(SESSION_ID, config=config_for(inner.url, bearer_token="inner"))
            return self.httpx.send(request, timeout)

    try:
        result = g.get_checkout_session(SESSION_ID, config=config_for(server.url), transport=Nesting())
    finally:
        inner.close()
    assert isinstance(result, g.ApiError)
    assert any(record.name == "httpx" and "Refused" in record.getMessage() for record in caplog.records)
    assert TOKEN not in caplog.text


def test_a_record_made_during_a_call_on_another_thread_is_left_as_made(server: LoopbackServer) -> None:
    """The application's own record, made while our attempt is under way, keeps its args and exc_info."""
    server.default = Trickle(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", interval=0.02)
    kept: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = kept.append  # type: ignore[assignment, method-assign]
    logger = logging.getLogger("urllib3.connectionpool")
    logger.addHandler(handler)
    results: list[object] = []
    call = threading.Thread(
        target=lambda: results.append(g.delete_checkout_session(SESSION_ID, config=config_for(server.url)))
    )
    try:
        call.start()
        time.sleep(0.2)  # the delete's answer trickles in for 0.8 s: its attempt is under way
        assert logger.filters, "the scrubbing filter is on while an attempt is under way"
        try:
            raise ConnectionError("the application's own")
        except ConnectionError:
            logger.error("to %s failed", "api.example", exc_info=True)
        call.join()
    finally:
        logger.removeHandler(handler)
    assert results == [None]
    (mine,) = [record for record in kept if record.msg == "to %s failed"]
    assert mine.args == ("api.example",)
    assert mine.exc_info is not None
    assert logger.filters == []


def test_a_hooks_error_holds_no_traceback_and_cannot_change_the_result(server: LoopbackServer) -> None:
    """AttemptEnded.error and CallEnded.result are copies without a chain; changing them changes nothing."""
    server.default = DropAfterRead()  # the create may have arrived: request_sent=True, never resent

    class Meddler(Recorder):
        def attempt_ended(self, event: hooks.AttemptEnded) -> None:
            super().attempt_ended(event)
            assert event.error is not None
            event.error.request_sent = False

        def call_ended(self, event: hooks.CallEnded) -> None:
            super().call_ended(event)
            event.result.request_sent = False

    meddler = Meddler()
    config = config_for(server.url, hooks=[meddler])
    result = g.new_checkout_session(config=config, transport=Urllib3Transport())
    assert isinstance(result, g.ConnectionDropped)
    assert result.request_sent is True
    (ended,) = [event for event in meddler.events if isinstance(event, hooks.AttemptEnded)]
    assert ended.error is not None
    assert ended.error is not result
    for link in (ended.error.__traceback__, ended.error.__context__, ended.error.__cause__):
        assert link is None


@pytest.mark.parametrize("where", ["call_started", "attempt_started"])
def test_hook_time_counts_against_the_deadline(server: LoopbackServer, where: str) -> None:
    """A slow hook before the attempt is the call's time: the deadline is the whole call on the wall clock."""
    server.default = Trickle(b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 50, interval=0.05)

    class Slow(hooks.Hook):
        pass

    setattr(Slow, where, lambda self, event: time.sleep(0.3))
    config = config_for(server.url, hooks=[Slow()])
    started = time.monotonic()
    result = g.get_checkout_session(SESSION_ID, config=config, deadline=0.5)
    elapsed = time.monotonic() - started
    assert isinstance(result, g.TransportError)
    assert elapsed < 0.5 + 0.1


def test_an_attempt_whose_time_the_hooks_spent_is_not_sent(server: LoopbackServer) -> None:
    """When attempt_started spends the whole deadline, the attempt is not sent: DeadlineExceeded, not sent."""

    class Slow(hooks.Hook):
        def attempt_started(self, event: hooks.AttemptStarted) -> None:
            time.sleep(0.3)

    recorder = Recorder()
    config = config_for(server.url, hooks=[Slow(), recorder])
    result = g.new_checkout_session(config=config, deadline=0.2)
    assert isinstance(result, g.DeadlineExceeded)
    assert result.request_sent is False
    assert server.received == []
    ended = recorder.events[-1]
    assert isinstance(ended, hooks.CallEnded)
    assert ended.result_class == "DeadlineExceeded"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    otel.instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        otel.uninstrument()


def test_a_cancelled_call_ends_its_spans(server: LoopbackServer, spans: InMemorySpanExporter) -> None:
    """A call cancelled under asyncio ends its call and attempt spans, marked with the cancellation."""
    server.default = Trickle(b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 50, interval=0.05)

    async def cancelled() -> None:
        with pytest.raises((TimeoutError, asyncio.TimeoutError)):
            await asyncio.wait_for(aio.get_checkout_session(SESSION_ID, config=config_for(server.url)), 0.2)
        await aio.aclose()

    asyncio.run(cancelled())
    finished = {span.name: span for span in spans.get_finished_spans()}
    assert set(finished) == {"gr4vy_fn get_checkout_session", "GET"}
    for span in finished.values():
        assert span.attributes is not None
        assert span.attributes["error.type"] == "CancelledError"


def test_a_refused_call_ends_its_span(spans: InMemorySpanExporter) -> None:
    """A call refused with ValidationError after its span began ends the span, marked ValidationError."""
    with pytest.raises(g.ValidationError):
        g.get_checkout_session(SESSION_ID, config=config_for("http://127.0.0.1:9"), headers={"X": "a\r\nb"})
    (span,) = spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["error.type"] == "ValidationError"


def test_a_call_made_from_a_hook_keeps_the_outer_spans(
    server: LoopbackServer, spans: InMemorySpanExporter
) -> None:
    """A call made inside a hook has spans of its own; the outer attempt span keeps its parent and ends."""
    server.default = Reply(404, body=b'{"type":"error","code":"not_found","message":"gone"}')
    inner_config = config_for(server.url)

    class Nested(hooks.Hook):
        def attempt_started(self, event: hooks.AttemptStarted) -> None:
            if event.operation == "delete_checkout_session":
                g.get_checkout_session(SESSION_ID, config=inner_config)

    outer = g.delete_checkout_session(SESSION_ID, config=config_for(server.url, hooks=[Nested()]))
    assert isinstance(outer, g.Error404NotFound)
    finished = spans.get_finished_spans()
    by_name = {span.name: span for span in finished}
    assert len(finished) == 4
    outer_call, outer_attempt = by_name["gr4vy_fn delete_checkout_session"], by_name["DELETE"]
    assert outer_attempt.parent is not None
    assert outer_call.context is not None
    assert outer_attempt.parent.span_id == outer_call.context.span_id


def test_instrument_changes_nothing_when_a_provider_raises(spans: InMemorySpanExporter) -> None:
    """otel.instrument() with a provider that raises raises it, and the tracing in place goes on."""

    class Broken:
        def get_tracer(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a broken provider")

    with pytest.raises(RuntimeError, match="a broken provider"):
        otel.instrument(tracer_provider=Broken())
    with pytest.raises(g.ValidationError):
        g.get_checkout_session(SESSION_ID, config=config_for("http://127.0.0.1:9"), headers={"X": "a\nb"})
    assert len(spans.get_finished_spans()) == 1


@pytest.mark.parametrize("key", [1, None, (1, 2)])
def test_a_key_that_is_no_string_is_a_validation_error(key: Any) -> None:
    """from_dict refuses a non-string key, at the top or nested, with a ValidationError naming where."""
    with pytest.raises(g.ValidationError):
        g.from_dict(g.CheckoutSessionCreateRequest, {key: 2})
    with pytest.raises(g.ValidationError, match="metadata"):
        g.from_dict(g.CheckoutSessionCreateRequest, {"metadata": {key: "x"}})
    with pytest.raises(g.ValidationError, match="cart_items"):
        g.from_dict(g.CheckoutSessionCreateRequest, {"cart_items": [{key: "x"}]})


def test_an_unknown_key_is_clipped_and_scrubbed_in_the_message() -> None:
    """A card number sent as a key, or a huge key, is not written whole into the error's path."""
    card = "4111111111111111"
    with pytest.raises(g.ValidationError) as raised:
        g.from_dict(g.CheckoutSessionCreateRequest, {card: 1})
    assert card not in str(raised.value)
    assert card not in repr(raised.value)
    with pytest.raises(g.ValidationError) as raised:
        g.from_dict(g.CheckoutSessionCreateRequest, {"k" * 100_000: 1})
    assert len(str(raised.value)) < 1000
