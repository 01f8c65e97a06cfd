"""OpenTelemetry for every call of the process (the `otel` extra): spans per call and attempt, a histogram.

    from gr4vy_fn import otel
    otel.instrument()    # the global tracer and meter providers; or pass your own

Each call is a span named for its operation (`gr4vy_fn get_checkout_session`,
kind CLIENT) with a child span per attempt carrying OpenTelemetry's HTTP client
attributes, and each attempt a point in the `http.client.request.duration`
histogram; docs/configuration.md lists the attributes. No attribute holds a
token, card number or security code: URLs carry only the checkout session id.

Spans are made from the hooks' events (see gr4vy_fn.hooks), so the sync and
async calls are traced alike. Raises ImportError naming the extra when
opentelemetry-api is not installed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .hooks import (
    AttemptEnded,
    AttemptStarted,
    CallEnded,
    CallStarted,
    Hook,
    add_process_hook,
    remove_process_hook,
)

try:
    from opentelemetry import metrics, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError as exc:  # pragma: no cover - the extra is installed where this is tested
    msg = "gr4vy_fn.otel needs the otel extra: pip install 'gr4vy_fn[otel]'"
    raise ImportError(msg) from exc

__all__ = ["instrument", "uninstrument"]

_SCOPE = "gr4vy_fn"
_installed: list[_Tracing] = []


def instrument(tracer_provider: Any = None, meter_provider: Any = None) -> None:
    """Trace and measure every call of the process; the global providers when None. Returns nothing.

    Calling it again replaces the providers used. Raises what a provider raises
    when asked for its tracer or meter; the instrumentation in place before,
    if any, then stays as it was.
    """
    tracing = _Tracing(tracer_provider, meter_provider)  # first: a provider that raises changes nothing
    uninstrument()
    _installed.append(tracing)
    add_process_hook(tracing)


def uninstrument() -> None:
    """Stop tracing and measuring calls; a call under way finishes its spans. Returns nothing."""
    while _installed:
        remove_process_hook(_installed.pop())


class _Tracing(Hook):
    """The hook making the spans and recording the histogram."""

    def __init__(self, tracer_provider: Any, meter_provider: Any) -> None:
        from ._version import __version__

        self._tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(_SCOPE, __version__, meter_provider=meter_provider)
        self._duration = meter.create_histogram(
            "http.client.request.duration", unit="s", description="Duration of HTTP client requests."
        )
        # The open spans of the calls under way, by the events' call_id: a call holds one call span and
        # at most one attempt span at a time, and its call_ended comes however it ends.
        self._calls: dict[int, Any] = {}
        self._attempts: dict[int, tuple[Any, dict[str, Any]]] = {}

    def call_started(self, event: CallStarted) -> None:
        attributes = {"gr4vy_fn.operation": event.operation}
        if event.checkout_session_id is not None:
            attributes["gr4vy_fn.checkout_session_id"] = event.checkout_session_id
        span = self._tracer.start_span(
            f"gr4vy_fn {event.operation}", kind=SpanKind.CLIENT, attributes=attributes
        )
        self._calls[event.call_id] = span

    def attempt_started(self, event: AttemptStarted) -> None:
        parent = self._calls.get(event.call_id)
        parts = urlsplit(event.request.url)
        attributes: dict[str, Any] = {
            "http.request.method": event.request.method,
            "server.address": parts.hostname or "",
            "server.port": parts.port or (443 if parts.scheme == "https" else 80),
            "url.full": event.request.url,
        }
        if event.attempt > 1:
            attributes["http.request.resend_count"] = event.attempt - 1
        context = trace.set_span_in_context(parent) if parent is not None else None
        span = self._tracer.start_span(
            event.request.method, context=context, kind=SpanKind.CLIENT, attributes=attributes
        )
        self._attempts[event.call_id] = (span, attributes)

    def attempt_ended(self, event: AttemptEnded) -> None:
        opened = self._attempts.pop(event.call_id, None)
        if opened is None:
            return
        span, attributes = opened
        measured = {
            name: attributes[name] for name in ("http.request.method", "server.address", "server.port")
        }
        if event.status is not None:
            span.set_attribute("http.response.status_code", event.status)
            measured["http.response.status_code"] = event.status
            if event.status >= 400:
                measured["error.type"] = str(event.status)
        else:
            measured["error.type"] = type(event.error).__name__
        if "error.type" in measured:
            span.set_attribute("error.type", measured["error.type"])
            span.set_status(Status(StatusCode.ERROR))
        span.end()
        self._duration.record(event.duration, attributes=measured)

    def call_ended(self, event: CallEnded) -> None:
        failed = event.raised is not None or isinstance(event.result, Exception)
        opened = self._attempts.pop(event.call_id, None)
        if opened is not None:  # the call was cancelled or interrupted during this attempt
            _failed(opened[0], event.result_class)
            opened[0].end()
        span = self._calls.pop(event.call_id, None)
        if span is None:
            return
        span.set_attribute("gr4vy_fn.attempts", event.attempts)
        if failed:
            _failed(span, event.result_class)
        span.end()


def _failed(span: Any, error_type: str) -> None:
    span.set_attribute("error.type", error_type)
    span.set_status(Status(StatusCode.ERROR))
