"""The retry decision (pure) and send's use of it, with a clock that only moves when slept."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SESSION_ID, FakeTime, fast_policy, make_config, sample
from hypothesis import given, settings
from hypothesis import strategies as st

import gr4vy_fn as g
from gr4vy_fn.retry import next_delay
from gr4vy_fn.transports import MockTransport

TRANSPORT_ERRORS = [
    g.ConnectError(message="refused"),
    g.ConnectTimeout(message="slow"),
    g.TlsError(message="handshake stalled"),
    g.ReadTimeout(message="no answer"),
    g.ConnectionDropped(message="reset", request_sent=True),
    g.ConnectionDropped(message="reset", request_sent=False),
]


def decide(
    outcome: g.HttpResponse | g.TransportError, *, idempotent: bool, attempt: int = 1, **kwargs: Any
) -> float | None:
    policy = kwargs.pop("policy", g.RetryPolicy())
    return next_delay(
        policy,
        idempotent=idempotent,
        outcome=outcome,
        attempt=attempt,
        remaining=kwargs.get("remaining", 20.0),
        now=kwargs.get("now", 0.0),
        sample=kwargs.get("sample", 0.0),
    )


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_idempotent_calls_retry_the_retry_statuses(status: int) -> None:
    """GET, DELETE and PUT retry on 429, 502, 503 and 504, with exponential backoff."""
    response = g.HttpResponse(status=status)
    assert [decide(response, idempotent=True, attempt=n, remaining=None) for n in (1, 2)] == [0.5, 1.0]
    assert decide(response, idempotent=True, attempt=3) is None


@pytest.mark.parametrize("status", [200, 201, 204, 400, 401, 404, 409, 422, 500, 501])
def test_other_statuses_are_final(status: int) -> None:
    """Any other status is returned at once."""
    assert decide(g.HttpResponse(status=status), idempotent=True) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_create_never_retries_a_5xx(status: int) -> None:
    """A 5xx may come after the session was created: a create returns it without retrying."""
    assert decide(g.HttpResponse(status=status), idempotent=False) is None


def test_a_create_retries_429() -> None:
    """A 429 proves nothing was created: a create retries it."""
    assert decide(g.HttpResponse(status=429), idempotent=False) == 0.5


@pytest.mark.parametrize("error", TRANSPORT_ERRORS, ids=lambda e: f"{type(e).__name__}-{e.request_sent}")
def test_transport_errors(error: g.TransportError) -> None:
    """Idempotent calls retry every network failure; a create only those where nothing was sent."""
    assert decide(error, idempotent=True) == 0.5
    assert decide(error, idempotent=False) == (None if error.request_sent else 0.5)


@pytest.mark.parametrize(
    "error",
    [
        g.TlsError(message="bad certificate", verification=True),
        g.ResponseTooLarge(message="big"),
        g.DeadlineExceeded(message="late", request_sent=False),
    ],
)
def test_hopeless_failures_are_never_retried(error: g.TransportError) -> None:
    """Certificate failures, oversized answers and a passed deadline are final for every operation."""
    assert decide(error, idempotent=True) is None
    assert decide(error, idempotent=False) is None


def test_backoff_grows_to_the_cap_and_jitter_shortens_it() -> None:
    """Delays double from initial_delay up to max_delay; jitter takes off up to its fraction."""
    policy = g.RetryPolicy(max_attempts=10, initial_delay=0.5, multiplier=2, max_delay=5, jitter=0.5)
    assert [policy.backoff(n, 0.0) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert policy.backoff(2, 0.999) == pytest.approx(0.5, abs=0.001)


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": "Wed, 21 Oct 2026 07:28:04 GMT", "Date": "Wed, 21 Oct 2026 07:28:00 GMT"}, 4.0),
        ({"Retry-After": "Wed, 21 Oct 2026 07:27:00 GMT", "Date": "Wed, 21 Oct 2026 07:28:00 GMT"}, 0.0),
        ({"Retry-After": "soon"}, 0.5),
        ({"Retry-After": "-3"}, 0.5),
        ({"Retry-After": "nan"}, 0.5),
    ],
)
def test_retry_after_is_honoured(headers: dict[str, str], delay: float) -> None:
    """Retry-After in seconds or as an HTTP date sets the wait; nonsense falls back to backoff."""
    assert decide(g.HttpResponse(status=503, headers=headers), idempotent=True) == delay


def test_an_http_date_without_a_date_header_uses_the_wall_clock() -> None:
    """Without the server's Date header, an HTTP-date Retry-After is measured from our wall clock."""
    response = g.HttpResponse(status=429, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:06 GMT"})
    now = 1792567680.0  # Wed, 21 Oct 2026 07:28:00 GMT
    assert decide(response, idempotent=False, now=now) == 6.0


def test_retry_after_over_the_cap_or_the_deadline_returns_the_answer() -> None:
    """A Retry-After longer than max_retry_after, or than the time left, stops the retries."""
    response = g.HttpResponse(status=429, headers={"Retry-After": "30"})
    assert decide(response, idempotent=True) is None
    assert decide(response, idempotent=True, policy=g.RetryPolicy(max_retry_after=60), remaining=20.0) is None
    assert decide(response, idempotent=True, policy=g.RetryPolicy(max_retry_after=60), remaining=31.0) == 30.0
    ignored = g.RetryPolicy(respect_retry_after=False)
    assert decide(response, idempotent=True, policy=ignored) == 0.5


def test_no_retry_when_the_wait_would_pass_the_deadline() -> None:
    """A backoff that does not fit in the remaining time ends the call."""
    assert decide(g.ReadTimeout(message="x"), idempotent=True, remaining=0.4) is None


def test_none_makes_one_attempt() -> None:
    """RetryPolicy.none() never retries, but keeps a deadline."""
    policy = g.RetryPolicy.none()
    assert decide(g.HttpResponse(status=503), idempotent=True, policy=policy) is None
    assert policy.deadline == 20.0


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"max_attempts": 0}, "RetryPolicy.max_attempts"),
        ({"max_attempts": True}, "RetryPolicy.max_attempts"),
        ({"initial_delay": -1}, "RetryPolicy.initial_delay"),
        ({"max_delay": "5"}, "RetryPolicy.max_delay"),
        ({"multiplier": float("nan")}, "RetryPolicy.multiplier"),
        ({"max_retry_after": -0.1}, "RetryPolicy.max_retry_after"),
        ({"jitter": 2}, "RetryPolicy.jitter"),
        ({"deadline": -1}, "RetryPolicy.deadline"),
        ({"deadline": "20"}, "RetryPolicy.deadline"),
        ({"retry_statuses": 503}, "RetryPolicy.retry_statuses"),
        ({"retry_statuses": {"503"}}, "RetryPolicy.retry_statuses"),
        ({"retry_statuses": {99}}, "RetryPolicy.retry_statuses"),
        ({"respect_retry_after": "no"}, "RetryPolicy.respect_retry_after"),
        ({"sleep": 0}, "RetryPolicy.sleep"),
        ({"clock": None}, "RetryPolicy.clock"),
    ],
)
def test_nonsense_policies_are_refused_naming_the_setting(kwargs: dict[str, Any], path: str) -> None:
    """A policy that cannot work raises ValidationError (a ValueError) whose path is the exact setting."""
    with pytest.raises(g.ValidationError) as caught:
        g.RetryPolicy(**kwargs)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")


outcomes = st.one_of(
    st.builds(g.HttpResponse, status=st.integers(100, 599)),
    st.sampled_from(TRANSPORT_ERRORS),
    st.builds(g.ConnectionDropped, message=st.just("x"), request_sent=st.booleans()),
    st.builds(g.ReadTimeout, message=st.just("x")),
)


@settings(max_examples=500)
@given(
    outcome=outcomes,
    attempt=st.integers(1, 10),
    remaining=st.none() | st.floats(0, 100),
    sample=st.floats(0, 1, exclude_max=True),
    retry_after=st.none() | st.integers(0, 100).map(str),
)
def test_a_create_is_never_retried_after_it_may_have_been_sent(
    outcome: g.HttpResponse | g.TransportError,
    attempt: int,
    remaining: float | None,
    sample: float,
    retry_after: str | None,
) -> None:
    """Whatever happened, a create is retried only (and always) after a 429 or a failure before sending."""
    if isinstance(outcome, g.HttpResponse) and retry_after is not None:
        outcome = g.HttpResponse(status=outcome.status, headers={"Retry-After": retry_after})
    delay = decide(outcome, idempotent=False, attempt=attempt, remaining=remaining, sample=sample)
    if delay is not None:
        if isinstance(outcome, g.HttpResponse):
            assert outcome.status == 429
        else:
            assert not outcome.request_sent
        assert delay >= 0
        assert remaining is None or delay < remaining
    # The other half: when the create surely did not arrive, attempts are left and the wait
    # fits the cap and the deadline, it is retried after exactly that wait.
    if isinstance(outcome, g.HttpResponse):
        safe = outcome.status == 429
        wanted = float(retry_after) if retry_after is not None else g.RetryPolicy().backoff(attempt, sample)
        safe = safe and wanted <= g.RetryPolicy().max_retry_after
    else:
        safe = not outcome.request_sent
        wanted = g.RetryPolicy().backoff(attempt, sample)
    if safe and attempt < g.RetryPolicy().max_attempts and (remaining is None or wanted < remaining):
        assert delay == wanted


# --- send applies the decision ---


def scripted(*answers: g.HttpResponse | g.TransportError) -> tuple[MockTransport, list[g.HttpRequest]]:
    sent: list[g.HttpRequest] = []
    queue = list(answers)

    def handler(request: g.HttpRequest) -> g.HttpResponse:
        sent.append(request)
        answer = queue.pop(0)
        if isinstance(answer, g.TransportError):
            raise answer
        return answer

    return MockTransport(handler), sent


def test_send_retries_then_succeeds_and_sleeps_the_backoff(fake_time: FakeTime) -> None:
    """A get that meets 503 then 502 then 200 sleeps 0.5 s and 1 s and returns the session."""
    transport, sent = scripted(
        g.HttpResponse(status=503),
        g.HttpResponse(status=502),
        g.HttpResponse(status=200, body=sample("session_201.json")),
    )
    config = make_config(retry=fast_policy(fake_time))
    assert isinstance(
        g.get_checkout_session(SESSION_ID, config=config, transport=transport), g.CheckoutSession
    )
    assert len(sent) == 3
    assert fake_time.sleeps == [0.5, 1.0]


def test_send_returns_the_last_answer_when_attempts_run_out(fake_time: FakeTime) -> None:
    """After max_attempts the last answer is decoded and returned."""
    transport, sent = scripted(*[g.HttpResponse(status=503, body=sample("error_500.json"))] * 3)
    result = g.get_checkout_session(
        SESSION_ID, config=make_config(retry=fast_policy(fake_time)), transport=transport
    )
    assert isinstance(result, g.ErrorGeneric)
    assert result.status == 503
    assert len(sent) == 3


def test_transport_errors_report_attempts_and_whether_anything_was_sent(fake_time: FakeTime) -> None:
    """A transport error comes back with the attempt count and request_sent over all attempts."""
    transport, _ = scripted(
        g.ConnectionDropped(message="reset", request_sent=True),
        g.ConnectError(message="refused"),
        g.ConnectError(message="refused"),
    )
    result = g.get_checkout_session(
        SESSION_ID, config=make_config(retry=fast_policy(fake_time)), transport=transport
    )
    assert result == g.ConnectError(message="refused", request_sent=True, attempts=3)


def test_a_create_after_a_reset_is_not_retried(fake_time: FakeTime) -> None:
    """A create whose connection broke after sending returns at once, request_sent=True."""
    transport, sent = scripted(g.ConnectionDropped(message="reset", request_sent=True))
    result = g.new_checkout_session(config=make_config(retry=fast_policy(fake_time)), transport=transport)
    assert result == g.ConnectionDropped(message="reset", request_sent=True, attempts=1)
    assert len(sent) == 1
    assert fake_time.sleeps == []


def test_a_retried_delete_that_meets_404_succeeded(fake_time: FakeTime) -> None:
    """A 404 after a delete attempt that may have been processed means the session is gone: None."""
    transport, _ = scripted(
        g.ReadTimeout(message="late"), g.HttpResponse(status=404, body=sample("error_404.json"))
    )
    assert (
        g.delete_checkout_session(
            SESSION_ID, config=make_config(retry=fast_policy(fake_time)), transport=transport
        )
        is None
    )


def test_a_first_delete_404_is_an_error(fake_time: FakeTime) -> None:
    """A 404 on a delete's first attempt, or after attempts the server never saw, is Error404NotFound."""
    config = make_config(retry=fast_policy(fake_time))
    transport, _ = scripted(g.HttpResponse(status=404, body=sample("error_404.json")))
    assert isinstance(
        g.delete_checkout_session(SESSION_ID, config=config, transport=transport), g.Error404NotFound
    )
    transport, _ = scripted(
        g.ConnectError(message="refused"), g.HttpResponse(status=404, body=sample("error_404.json"))
    )
    assert isinstance(
        g.delete_checkout_session(SESSION_ID, config=config, transport=transport), g.Error404NotFound
    )


def test_the_deadline_stops_retries(fake_time: FakeTime) -> None:
    """Retries stop when the next wait would pass the deadline; the last outcome is returned."""
    transport, sent = scripted(*[g.HttpResponse(status=503)] * 3)
    config = make_config(retry=fast_policy(fake_time, deadline=1.0))
    result = g.get_checkout_session(SESSION_ID, config=config, transport=transport)
    assert isinstance(result, g.UnexpectedResponse)
    assert len(sent) == 2
    assert fake_time.sleeps == [0.5]


def test_a_spent_deadline_sends_nothing(fake_time: FakeTime) -> None:
    """With no time left before the first attempt, nothing is sent: DeadlineExceeded, request_sent=False."""

    class Slow:
        def send(self, request: g.HttpRequest, timeout: g.Timeout) -> g.HttpResponse:
            fake_time.now += 5
            return g.HttpResponse(status=503)

    config = make_config(retry=fast_policy(fake_time, deadline=4.0))
    result = g.get_checkout_session(SESSION_ID, config=config, transport=Slow())
    assert result == g.UnexpectedResponse(status=503, reason="the body is empty")
    assert g.get_checkout_session(
        SESSION_ID, config=config, transport=Slow(), deadline=0.0
    ) == g.DeadlineExceeded(message="the deadline of 0 s passed", request_sent=False, attempts=0)


def test_returned_transport_errors_carry_no_traceback(fake_time: FakeTime) -> None:
    """The error value is a fresh copy: no traceback or cause whose frames hold the request body."""
    raised = g.ConnectionDropped(message="reset", request_sent=True)
    try:
        raise raised from ValueError("inner")
    except g.ConnectionDropped:
        pass
    transport, _ = scripted(raised)
    result = g.new_checkout_session(config=make_config(retry=fast_policy(fake_time)), transport=transport)
    assert isinstance(result, g.ConnectionDropped)
    assert result is not raised
    assert (result.__traceback__, result.__cause__, result.__context__) == (None, None, None)
