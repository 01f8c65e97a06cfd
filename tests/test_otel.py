"""gr4vy_fn.otel: a span per call, a child span per attempt, the duration histogram; through loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import gr4vy_fn as g
from gr4vy_fn import aio, otel, transports
from gr4vy_fn.testing import Emulator

TOKEN = "otel-test-token-9c2e"
CARD = "4111111111111111"
CODE = "737"


@attrs.define
class Telemetry:
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader
    config: g.Config
    emulator: Emulator

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def durations(self) -> list[Any]:
        data = self.metrics.get_metrics_data()
        assert data is not None
        points = []
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == "http.client.request.duration":
                        points += list(metric.data.data_points)
        return points


SYNC_TRANSPORTS = [transports.Urllib3Transport, transports.RequestsTransport, transports.HttpxTransport]


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    emulator = Emulator()
    otel.instrument(tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[reader]))
    try:
        with emulator.serve() as url:
            retry = g.RetryPolicy(initial_delay=0.001, max_delay=0.002, jitter=0)
            yield Telemetry(
                spans, reader, g.Config(server_url=url, bearer_token=TOKEN, retry=retry), emulator
            )
    finally:
        otel.uninstrument()


def check_retried_get(telemetry: Telemetry, session_id: str) -> None:
    get_spans = [span for span in telemetry.finished() if span.name != "gr4vy_fn new_checkout_session"]
    get_spans = [span for span in get_spans if span.parent is None or span.name == "GET"]
    call = next(span for span in get_spans if span.name == "gr4vy_fn get_checkout_session")
    attempts = [
        span for span in get_spans if span.parent is not None and span.parent.span_id == call.context.span_id
    ]
    assert [span.name for span in attempts] == ["GET", "GET"]
    first, second = attempts
    assert call.attributes is not None
    assert first.attributes is not None
    assert second.attributes is not None
    assert call.attributes["gr4vy_fn.operation"] == "get_checkout_session"
    assert call.attributes["gr4vy_fn.checkout_session_id"] == session_id
    assert call.attributes["gr4vy_fn.attempts"] == 2
    assert first.attributes["http.response.status_code"] == 503
    assert first.attributes["error.type"] == "503"
    assert "http.request.resend_count" not in first.attributes
    assert second.attributes["http.response.status_code"] == 200
    assert second.attributes["http.request.resend_count"] == 1
    assert "error.type" not in second.attributes
    assert second.attributes["http.request.method"] == "GET"
    assert second.attributes["server.address"] == "127.0.0.1"
    assert str(second.attributes["url.full"]).endswith(f"/checkout/sessions/{session_id}")
    statuses = sorted(point.attributes.get("http.response.status_code") for point in telemetry.durations())
    assert 503 in statuses
    assert 200 in statuses


@pytest.mark.parametrize("make_transport", SYNC_TRANSPORTS, ids=lambda make: make.__name__)
def test_a_retried_get_is_two_attempt_spans_under_one_call_span(
    telemetry: Telemetry, make_transport: Callable[[], Any]
) -> None:
    """A 503 then a 200, sync: one call span, two GET children with the HTTP attributes, two durations."""
    transport = make_transport()
    session = g.unwrap(g.new_checkout_session(config=telemetry.config, transport=transport))
    telemetry.emulator.fail_next(503)
    assert g.get_checkout_session(session.id, config=telemetry.config, transport=transport) == session
    check_retried_get(telemetry, session.id)
    transport.close()


def test_async_calls_are_traced_alike(telemetry: Telemetry) -> None:
    """The same retried get under asyncio gives the same spans."""

    async def calls() -> str:
        session = g.unwrap(await aio.new_checkout_session(config=telemetry.config))
        telemetry.emulator.fail_next(503)
        assert await aio.get_checkout_session(session.id, config=telemetry.config) == session
        await aio.aclose()
        return session.id

    check_retried_get(telemetry, asyncio.run(calls()))


def test_an_error_value_and_a_transport_error_mark_their_spans(telemetry: Telemetry) -> None:
    """A 404 call span carries error.type Error404NotFound; a dropped attempt its error's class."""
    assert isinstance(
        g.get_checkout_session("00000000-0000-4000-8000-000000000000", config=telemetry.config),
        g.Error404NotFound,
    )
    telemetry.emulator.drop_next(after_processing=True)
    assert isinstance(g.new_checkout_session(config=telemetry.config), g.ConnectionDropped)
    by_name = {span.name: span for span in telemetry.finished() if span.parent is None}
    assert by_name["gr4vy_fn get_checkout_session"].attributes["error.type"] == "Error404NotFound"  # type: ignore[index]
    dropped = [span for span in telemetry.finished() if span.name == "POST"][-1]
    assert dropped.attributes is not None
    assert dropped.attributes["error.type"] == "ConnectionDropped"


def test_no_attribute_holds_a_secret(telemetry: Telemetry) -> None:
    """A fields update with a card, a token, and a server echoing them: no span attribute holds one."""
    session = g.unwrap(g.new_checkout_session(config=telemetry.config))
    telemetry.emulator.fail_next(500, body=f'{{"message": "echo {CARD} {CODE} {TOKEN}"}}'.encode())
    card = g.CardPaymentMethod(number=CARD, expiration_date="12/30", security_code=CODE)
    g.update_checkout_session_fields(
        session.id, g.CheckoutSessionSecureFieldsUpdate(payment_method=card), config=telemetry.config
    )
    # Only the text, without the session id and the server's address: their digits may spell the code.
    attributes = [dict(span.attributes or {}) for span in telemetry.finished()]
    attributes += [dict(event.attributes or {}) for span in telemetry.finished() for event in span.events]
    attributes += [dict(point.attributes or {}) for point in telemetry.durations()]
    texts = [span.name for span in telemetry.finished()]
    texts += [
        str(value) for each in attributes for value in each.values() if not isinstance(value, int | float)
    ]
    server = str(telemetry.config.server_url)
    shown = "\n".join(texts).replace(session.id, "<session id>").replace(server, "<server>")
    assert "<session id>" in shown
    assert "<server>" in shown
    for secret in (CARD, CODE, TOKEN):
        assert secret not in shown


def test_uninstrument_stops_the_spans(telemetry: Telemetry) -> None:
    """After uninstrument(), calls make no spans."""
    otel.uninstrument()
    g.new_checkout_session(config=telemetry.config)
    assert telemetry.finished() == []
