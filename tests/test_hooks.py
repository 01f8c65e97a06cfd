"""Hooks: told of each call, attempt and result by the one engine, through the real transports on loopback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

import gr4vy_fn as g
from gr4vy_fn import aio, hooks
from gr4vy_fn.testing import Emulator

TOKEN = "hook-test-token-5b1f"
CARD = "4111111111111111"
CODE = "737"
MISSING = "00000000-0000-4000-8000-000000000000"


class Recorder(hooks.Hook):
    """Keeps every event it is told of, in order."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def call_started(self, event: hooks.CallStarted) -> None:
        self.events.append(event)

    def attempt_started(self, event: hooks.AttemptStarted) -> None:
        self.events.append(event)

    def attempt_ended(self, event: hooks.AttemptEnded) -> None:
        self.events.append(event)

    def call_ended(self, event: hooks.CallEnded) -> None:
        self.events.append(event)


class Failing(hooks.Hook):
    """Raises in every method."""

    def call_started(self, event: hooks.CallStarted) -> None:
        raise RuntimeError("a broken hook")

    attempt_started = attempt_ended = call_ended = call_started  # type: ignore[assignment]


@pytest.fixture
def served() -> Iterator[tuple[Emulator, g.Config]]:
    emulator = Emulator()
    with emulator.serve() as url:
        retry = g.RetryPolicy(initial_delay=0.001, max_delay=0.002, jitter=0)
        yield emulator, g.Config(server_url=url, bearer_token=TOKEN, retry=retry)


def kinds(events: list[Any]) -> list[str]:
    return [type(event).__name__ for event in events]


def story(events: list[Any]) -> list[tuple[Any, ...]]:
    """What the events say, without durations and call ids (which differ between runs)."""
    told = []
    for event in events:
        values = attrs.asdict(event, recurse=False)
        values.pop("duration", None)
        values.pop("call_id")
        if isinstance(event, hooks.AttemptStarted):
            values["request"] = (event.request.method, event.request.url, sorted(event.request.headers))
        if isinstance(event, hooks.CallEnded):
            values.pop("result")
        if isinstance(event, hooks.AttemptEnded) and event.error is not None:
            values["error"] = type(event.error).__name__
        told.append((type(event).__name__, values))
    return told


def test_a_retried_get_tells_two_attempts_and_the_delay(served: tuple[Emulator, g.Config]) -> None:
    """A 503 then a 200: the call, two attempts (the first with its retry delay and why), the end."""
    emulator, config = served
    session = g.unwrap(g.new_checkout_session(config=config))
    recorder = Recorder()
    emulator.fail_next(503)
    result = g.get_checkout_session(session.id, config=attrs.evolve(config, hooks=[recorder]))
    assert result == session
    assert kinds(recorder.events) == [
        "CallStarted",
        "AttemptStarted",
        "AttemptEnded",
        "AttemptStarted",
        "AttemptEnded",
        "CallEnded",
    ]
    started, first, failed, second, succeeded, ended = recorder.events
    assert started == hooks.CallStarted(operation="get_checkout_session", checkout_session_id=session.id)
    assert (first.attempt, second.attempt) == (1, 2)
    assert first.request.method == "GET"
    assert first.request.url.endswith(f"/checkout/sessions/{session.id}")
    assert "authorization" not in first.request.headers
    assert (failed.status, failed.error, failed.request_sent) == (503, None, True)
    assert failed.retry_delay is not None
    assert failed.retry_delay > 0
    assert failed.retry_reason == "status 503"
    assert (succeeded.status, succeeded.retry_delay, succeeded.retry_reason) == (200, None, None)
    assert (ended.result, ended.result_class, ended.attempts) == (session, "CheckoutSession", 2)
    assert ended.duration >= succeeded.duration + failed.duration


def test_a_transport_error_is_told_with_request_sent(served: tuple[Emulator, g.Config]) -> None:
    """A dropped connection on a create: the attempt's error and request_sent; the call ends with it."""
    emulator, config = served
    recorder = Recorder()
    emulator.drop_next(after_processing=True)
    result = g.new_checkout_session(config=attrs.evolve(config, hooks=[recorder]))
    assert isinstance(result, g.ConnectionDropped)
    ended_attempt, ended = recorder.events[-2:]
    assert isinstance(ended_attempt.error, g.ConnectionDropped)
    assert (ended_attempt.status, ended_attempt.request_sent, ended_attempt.retry_delay) == (None, True, None)
    assert (ended.result_class, ended.attempts, ended.result) == ("ConnectionDropped", 1, result)


def test_sync_and_async_calls_tell_the_same_story(served: tuple[Emulator, g.Config]) -> None:
    """The sync and async drivers run one engine: the same events, in the same order, with the same values."""
    emulator, config = served
    session = g.unwrap(g.new_checkout_session(config=config))
    told = []
    for run in ("sync", "async"):
        recorder = Recorder()
        observed = attrs.evolve(config, hooks=[recorder])
        emulator.fail_next(503)
        if run == "sync":
            g.get_checkout_session(session.id, config=observed)
            g.get_checkout_session(MISSING, config=observed)
        else:

            async def calls(observed: g.Config) -> None:
                await aio.get_checkout_session(session.id, config=observed)
                await aio.get_checkout_session(MISSING, config=observed)
                await aio.aclose()

            asyncio.run(calls(observed))
        told.append(story(recorder.events))
    assert told[0] == told[1]
    assert [event[1]["result_class"] for event in told[0] if event[0] == "CallEnded"] == [
        "CheckoutSession",
        "Error404NotFound",
    ]


def test_no_secret_reaches_a_hook(served: tuple[Emulator, g.Config]) -> None:
    """A fields update with a card and a token: nothing a hook is told holds the token, number or code."""
    emulator, config = served
    session = g.unwrap(g.new_checkout_session(config=config))
    recorder = Recorder()
    emulator.fail_next(500, body=f'{{"message": "echo {CARD} {CODE} {TOKEN}"}}'.encode())
    card = g.CardPaymentMethod(number=CARD, expiration_date="12/30", security_code=CODE)
    result = g.update_checkout_session_fields(
        session.id,
        g.CheckoutSessionSecureFieldsUpdate(payment_method=card),
        config=attrs.evolve(config, hooks=[recorder], retry=g.RetryPolicy.none()),
    )
    assert isinstance(result, g.UnexpectedResponse | g.ErrorGeneric)
    # Durations are left out: a float's digits may spell a three-digit code by chance.
    timeless = [
        attrs.evolve(event, duration=0.0) if hasattr(event, "duration") else event
        for event in recorder.events
    ]
    shown = repr(timeless) + "".join(str(attrs.asdict(event, recurse=False)) for event in timeless)
    # So are the session id and the server's port, whose digits may do the same.
    shown = shown.replace(session.id, "<session id>").replace(str(config.server_url), "<server>")
    assert "<session id>" in shown
    assert "<server>" in shown
    for secret in (CARD, CODE, TOKEN):
        assert secret not in shown


def test_a_hook_that_raises_changes_nothing_and_is_logged_once(
    served: tuple[Emulator, g.Config], caplog: pytest.LogCaptureFixture
) -> None:
    """A failing hook beside a working one: the result is the same, the other hook told everything."""
    _, config = served
    recorder = Recorder()
    observed = attrs.evolve(config, hooks=[Failing(), recorder])
    with caplog.at_level(logging.WARNING, logger="gr4vy_fn.hooks"):
        first = g.new_checkout_session(config=observed)
        second = g.new_checkout_session(config=observed)
    assert isinstance(first, g.CheckoutSession)
    assert isinstance(second, g.CheckoutSession)
    assert kinds(recorder.events).count("CallEnded") == 2
    failures = [record for record in caplog.records if record.name == "gr4vy_fn.hooks"]
    assert len(failures) == 1
    assert "a broken hook" in caplog.text


def test_a_process_hook_is_told_of_every_call(served: tuple[Emulator, g.Config]) -> None:
    """A hook added for the process hears calls whatever their config, until it is removed."""
    _, config = served
    recorder = Recorder()
    hooks.add_process_hook(recorder)
    try:
        g.new_checkout_session(config=config)
    finally:
        hooks.remove_process_hook(recorder)
    g.new_checkout_session(config=config)
    assert kinds(recorder.events).count("CallEnded") == 1


@pytest.mark.parametrize("given", ["a hook", [object()], 3])
def test_config_refuses_what_is_no_hook(given: Any) -> None:
    """hooks must be a sequence of objects with at least one hook method."""
    with pytest.raises(g.ValidationError, match=r"Config\.hooks"):
        g.Config(server_url="http://127.0.0.1:1", hooks=given)
