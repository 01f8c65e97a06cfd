"""The attempt engine's rules, each driven step by step with scripted outcomes and a fake clock."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import SESSION_ID, FakeTime, fast_policy, make_config, sample

import gr4vy_fn as g
from gr4vy_fn import operations as ops
from gr4vy_fn.calls._attempts import Send, Sleep, attempts

TOKEN = "test-token"  # make_config's bearer token
NOT_FOUND = g.HttpResponse(status=404, body=sample("error_404.json"))
SESSION = g.HttpResponse(status=200, body=sample("session_201.json"))
CREATED = g.HttpResponse(status=201, body=sample("session_201.json"))


def drive(
    request: g.Request[Any],
    outcomes: list[g.HttpResponse | g.TransportError],
    fake_time: FakeTime,
    *,
    cost: float = 0.0,
    late: float = 0.0,
    **kwargs: Any,
) -> tuple[list[Send | Sleep], Any]:
    """Run the engine over `outcomes`, each attempt taking `cost` fake seconds and each sleep `late` more.

    Returns the engine's steps and its result.
    """
    config = make_config(retry=fast_policy(fake_time, **kwargs.pop("policy", {})))
    engine = attempts(
        request,
        config,
        headers=None,
        timeout=kwargs.pop("timeout", None),
        deadline=kwargs.pop("deadline", None),
    )
    steps: list[Send | Sleep] = []
    queue = list(outcomes)
    step = next(engine)
    try:
        while True:
            steps.append(step)
            if isinstance(step, Sleep):
                fake_time.sleep(step.seconds)
                fake_time.now += late
                step = engine.send(None)
            else:
                fake_time.now += cost
                step = engine.send(queue.pop(0))
    except StopIteration as done:
        return steps, done.value


def sends(steps: list[Send | Sleep]) -> list[Send]:
    return [step for step in steps if isinstance(step, Send)]


# --- a 5xx counts as "the server may have acted" ---


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_delete_answered_5xx_then_404_is_done(status: int, fake_time: FakeTime) -> None:
    """A 5xx may come from a gateway after the delete went through: a 404 after it is success (None)."""
    _, result = drive(
        ops.delete_checkout_session(SESSION_ID), [g.HttpResponse(status=status), NOT_FOUND], fake_time
    )
    assert result is None


def test_a_delete_answered_429_then_404_is_not_found(fake_time: FakeTime) -> None:
    """A 429 proves the delete was not acted on: a 404 after it is the server's Error404NotFound."""
    _, result = drive(
        ops.delete_checkout_session(SESSION_ID), [g.HttpResponse(status=429), NOT_FOUND], fake_time
    )
    assert isinstance(result, g.Error404NotFound)


@pytest.mark.parametrize(("status", "sent"), [(503, True), (429, False)])
def test_a_deadline_after_a_5xx_says_the_request_may_have_arrived(
    status: int, sent: bool, fake_time: FakeTime
) -> None:
    """DeadlineExceeded after a 5xx has request_sent=True (the server may have acted); after a 429, False."""
    _, result = drive(
        ops.update_checkout_session(SESSION_ID, g.CheckoutSessionCreateRequest(amount=1)),
        [g.HttpResponse(status=status)],
        fake_time,
        cost=1.0,
        late=0.2,
        deadline=1.6,
    )
    assert result == g.DeadlineExceeded(message="the deadline of 1.6 s passed", request_sent=sent, attempts=1)


# --- the create's rule ---


@pytest.mark.parametrize(
    "first",
    [
        g.HttpResponse(status=500),
        g.HttpResponse(status=502),
        g.HttpResponse(status=503),
        g.HttpResponse(status=504),
        g.ReadTimeout(message="late"),
        g.ConnectionDropped(message="reset", request_sent=True),
    ],
    ids=lambda o: str(o.status) if isinstance(o, g.HttpResponse) else type(o).__name__,
)
def test_a_create_that_may_have_arrived_is_sent_once(
    first: g.HttpResponse | g.TransportError, fake_time: FakeTime
) -> None:
    """A create answered 5xx or lost after sending is never sent again, even with attempts and time left."""
    steps, result = drive(ops.new_checkout_session(), [first, CREATED], fake_time, policy={"max_attempts": 5})
    assert len(sends(steps)) == 1
    assert not isinstance(result, g.CheckoutSession)


@pytest.mark.parametrize(
    "first",
    [
        g.HttpResponse(status=429),
        g.ConnectError(message="refused"),
        g.ConnectionDropped(message="reset", request_sent=False),
    ],
    ids=lambda o: str(o.status) if isinstance(o, g.HttpResponse) else type(o).__name__,
)
def test_a_create_is_sent_again_only_when_it_surely_did_not_arrive(
    first: g.HttpResponse | g.TransportError, fake_time: FakeTime
) -> None:
    """A create refused by 429, or whose connection failed before sending, is sent again and succeeds."""
    steps, result = drive(ops.new_checkout_session(), [first, CREATED], fake_time)
    assert len(sends(steps)) == 2
    assert isinstance(result, g.CheckoutSession)


# --- the deadline ---


def test_each_attempt_s_timeout_is_clipped_to_the_time_left(fake_time: FakeTime) -> None:
    """Every limit of an attempt's timeout is at most the deadline's remaining seconds."""
    steps, _ = drive(
        ops.get_checkout_session(SESSION_ID),
        [g.HttpResponse(status=503), SESSION],
        fake_time,
        cost=1.0,
        timeout=g.Timeout(connect=5, read=10),
        deadline=3.0,
    )
    first, second = (step.timeout for step in sends(steps))
    assert (first.connect, first.read) == (3.0, 3.0)
    assert (second.connect, second.read) == pytest.approx((1.5, 1.5))  # 3 s less 1 s sent, 0.5 s slept


def test_without_a_deadline_the_timeout_is_kept(fake_time: FakeTime) -> None:
    """With no deadline the configured timeout goes to the transport unchanged."""
    timeout = g.Timeout(connect=5, read=10)
    steps, _ = drive(
        ops.get_checkout_session(SESSION_ID), [SESSION], fake_time, timeout=timeout, policy={"deadline": None}
    )
    assert sends(steps)[0].timeout == timeout


def test_a_deadline_spent_by_the_attempts_ends_the_call(fake_time: FakeTime) -> None:
    """Once a wait overruns the time left, no attempt follows: DeadlineExceeded, request_sent=False."""
    steps, result = drive(
        ops.get_checkout_session(SESSION_ID),
        [g.ConnectError(message="refused")] * 5,
        fake_time,
        cost=1.0,
        late=0.2,
        deadline=1.6,
        policy={"max_attempts": 5},
    )
    assert len(sends(steps)) == 1
    assert result == g.DeadlineExceeded(
        message="the deadline of 1.6 s passed", request_sent=False, attempts=1
    )


# --- Retry-After ---


def test_retry_after_sets_the_wait(fake_time: FakeTime) -> None:
    """A 503 with Retry-After: 3 waits exactly 3 s, not the backoff."""
    steps, result = drive(
        ops.get_checkout_session(SESSION_ID),
        [g.HttpResponse(status=503, headers={"Retry-After": "3"}), SESSION],
        fake_time,
    )
    assert [step for step in steps if isinstance(step, Sleep)] == [Sleep(3.0)]
    assert isinstance(result, g.CheckoutSession)


def test_a_retry_after_over_the_cap_returns_the_answer(fake_time: FakeTime) -> None:
    """A Retry-After above max_retry_after is not waited out: the 429 comes back after one attempt."""
    steps, result = drive(
        ops.get_checkout_session(SESSION_ID),
        [g.HttpResponse(status=429, headers={"Retry-After": "11"}, body=sample("error_429.json")), SESSION],
        fake_time,
        policy={"max_retry_after": 10.0, "deadline": None},
    )
    assert len(steps) == 1
    assert isinstance(result, g.Error429TooManyRequests)


def test_a_retry_after_past_the_deadline_returns_the_answer(fake_time: FakeTime) -> None:
    """A Retry-After within the cap but past the deadline is not waited out."""
    steps, result = drive(
        ops.get_checkout_session(SESSION_ID),
        [g.HttpResponse(status=429, headers={"Retry-After": "5"}, body=sample("error_429.json")), SESSION],
        fake_time,
        deadline=4.0,
    )
    assert len(steps) == 1
    assert isinstance(result, g.Error429TooManyRequests)


# --- the token scrub of error values ---


def echoing(status: int, echoed: str) -> g.HttpResponse:
    """An error answer that repeats `echoed` in its message, a detail and a header."""
    body = {
        "type": "error",
        "code": "unauthorized",
        "status": status,
        "message": f"token {echoed} rejected",
        "details": [{"location": "header", "message": echoed}],
    }
    return g.HttpResponse(status=status, headers={"X-Echo": echoed}, body=json.dumps(body).encode())


@pytest.mark.parametrize("echoed", [TOKEN, f"Bearer {TOKEN}"], ids=["bare", "bearer"])
@pytest.mark.parametrize("status", [400, 401, 500])
def test_an_error_answer_echoing_the_token_is_scrubbed(status: int, echoed: str, fake_time: FakeTime) -> None:
    """The bearer token a server echoes in an error answer, with or without "Bearer", is not in the value."""
    _, result = drive(ops.get_checkout_session(SESSION_ID), [echoing(status, echoed)], fake_time)
    assert isinstance(result, g.ApiError)
    assert TOKEN not in repr(result)
    assert TOKEN not in str(result)
    assert TOKEN not in result.message
    assert all(TOKEN not in value for _, value in result.headers.items())


@pytest.mark.parametrize("echoed", [TOKEN, f"Bearer {TOKEN}"], ids=["bare", "bearer"])
def test_an_unreadable_answer_echoing_the_token_is_scrubbed(echoed: str, fake_time: FakeTime) -> None:
    """An error or success status whose body is not the value keeps no echoed token in its excerpt."""
    answers = [
        g.HttpResponse(status=502, body=f"<p>auth {echoed}</p>".encode()),
        g.HttpResponse(
            status=200, headers={"X-Echo": echoed}, body=f'{{"id": 5, "note": "{echoed}"}}'.encode()
        ),
    ]
    for answer in answers:
        _, result = drive(
            ops.get_checkout_session(SESSION_ID), [answer], fake_time, policy={"max_attempts": 1}
        )
        assert isinstance(result, g.UnexpectedResponse)
        assert TOKEN not in result.excerpt
        assert TOKEN not in repr(result)
        assert all(TOKEN not in value for _, value in result.headers.items())
