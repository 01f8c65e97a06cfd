"""Execution: prepare, send with a mock transport, unwrap, the defaults and per-call options."""

from __future__ import annotations

import asyncio
import inspect
import pydoc
import threading
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from conftest import SESSION_ID, FakeTime, fast_policy, make_config, sample
from pytest_mock import MockerFixture

import gr4vy_fn as g
from gr4vy_fn import aio, defaults
from gr4vy_fn import operations as ops
from gr4vy_fn.calls import _attempts
from gr4vy_fn.transports import MockTransport, Urllib3Transport


def test_prepare_adds_url_auth_and_headers() -> None:
    """prepare joins the base URL and path and adds auth, merchant account, user agent and JSON headers."""
    config = g.Config(
        gr4vy_id="acme", environment="sandbox", bearer_token="t0k", merchant_account_id="default"
    )
    request = ops.update_checkout_session(SESSION_ID, g.CheckoutSessionCreateRequest(amount=100))
    assert g.prepare(request, config) == g.HttpRequest(
        method="PUT",
        url=f"https://api.sandbox.acme.gr4vy.app/checkout/sessions/{SESSION_ID}",
        headers={
            "User-Agent": f"gr4vy_fn/{g.__version__}",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Authorization": "Bearer t0k",
            "X-GR4VY-MERCHANT-ACCOUNT-ID": "default",
        },
        body=b'{"amount":100}',
    )


def test_prepare_without_body_or_merchant_account() -> None:
    """No body means no Content-Type; no merchant account means no merchant header."""
    config = g.Config(gr4vy_id="acme", bearer_token="t0k")
    prepared = g.prepare(ops.get_checkout_session(SESSION_ID), config)
    assert prepared.url == f"https://api.acme.gr4vy.app/checkout/sessions/{SESSION_ID}"
    assert "content-type" not in prepared.headers
    assert "x-gr4vy-merchant-account-id" not in prepared.headers
    assert prepared.body is None


def test_per_call_headers_add_and_override_case_insensitively() -> None:
    """Per-call headers add new ones and replace computed ones whatever their case."""
    config = g.Config(gr4vy_id="acme", bearer_token="t0k")
    prepared = g.prepare(
        ops.get_checkout_session(SESSION_ID), config, {"x-correlation-id": "c-1", "user-agent": "shop/2"}
    )
    assert prepared.headers["X-Correlation-Id"] == "c-1"
    assert prepared.headers["User-Agent"] == "shop/2"
    assert [name for name in prepared.headers if name.lower() == "user-agent"] == ["user-agent"]


def test_a_requests_own_headers_are_sent_and_per_call_headers_win() -> None:
    """Headers set on a Request go out with it; a per-call header of the same name replaces one."""
    request = attrs.evolve(ops.get_checkout_session(SESSION_ID), headers={"X-Tag": "a", "X-Other": "b"})
    prepared = g.prepare(request, g.Config(gr4vy_id="acme", bearer_token="t0k"), {"x-tag": "call"})
    assert (prepared.headers["X-Other"], prepared.headers["X-Tag"]) == ("b", "call")


@pytest.mark.parametrize(
    "headers",
    [{"X-Evil": "a\r\nInjected: 1"}, {"X-Evil": "a\nb"}, {"Bad Name": "x"}, {"": "x"}, {"X-Num": 5}],
)
def test_header_injection_is_refused(headers: dict[str, Any]) -> None:
    """Header names and values that could split the request raise ValidationError before sending."""
    calls: list[g.HttpRequest] = []
    transport = MockTransport(lambda request: calls.append(request) or g.HttpResponse(status=200))  # type: ignore[func-returns-value]
    with pytest.raises(g.ValidationError):
        g.get_checkout_session(SESSION_ID, config=make_config(), transport=transport, headers=headers)
    assert calls == []


def test_a_token_callable_is_called_once_per_attempt(fake_time: FakeTime) -> None:
    """A bearer-token callable is asked for a token on every attempt, so a refreshed token is used."""
    tokens = iter(["first", "second"])
    seen: list[str] = []

    def handler(request: g.HttpRequest) -> g.HttpResponse:
        seen.append(request.headers["Authorization"])
        return g.HttpResponse(status=503 if len(seen) == 1 else 204)

    config = make_config(bearer_token=lambda: next(tokens), retry=fast_policy(fake_time))
    assert g.delete_checkout_session(SESSION_ID, config=config, transport=MockTransport(handler)) is None
    assert seen == ["Bearer first", "Bearer second"]


def test_a_token_callable_returning_a_broken_header_is_refused() -> None:
    """A provider returning a value with CR/LF raises ValidationError, without showing it."""
    config = make_config(bearer_token=lambda: "secret\r\nX: 1")
    with pytest.raises(g.ValidationError) as caught:
        g.prepare(ops.get_checkout_session(SESSION_ID), config)
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("call", "status", "body", "expected"),
    [
        (lambda **kw: g.new_checkout_session(**kw), 201, sample("session_201.json"), g.CheckoutSession),
        (
            lambda **kw: g.get_checkout_session(SESSION_ID, **kw),
            200,
            sample("session_201.json"),
            g.CheckoutSession,
        ),
        (
            lambda **kw: g.update_checkout_session(SESSION_ID, g.CheckoutSessionCreateRequest(), **kw),
            200,
            sample("session_201.json"),
            g.CheckoutSession,
        ),
        (lambda **kw: g.delete_checkout_session(SESSION_ID, **kw), 204, b"", type(None)),
        (
            lambda **kw: g.update_checkout_session_fields(
                SESSION_ID,
                g.CheckoutSessionSecureFieldsUpdate(
                    payment_method=g.IdPaymentMethod(id="77a76f7e-d2de-4bbc-ada9-d6a0015e6bd5")
                ),
                **kw,
            ),
            204,
            b"",
            type(None),
        ),
    ],
)
def test_every_call_returns_its_value(call: Any, status: int, body: bytes, expected: type) -> None:
    """Each module-level call sends through the transport given and returns the decoded value."""
    transport = MockTransport(lambda request: g.HttpResponse(status=status, body=body))
    assert type(call(config=make_config(), transport=transport)) is expected


def test_error_values_are_returned_and_unwrap_raises_them() -> None:
    """An API error is returned as a value; unwrap raises it, and passes a value through."""
    transport = MockTransport(lambda request: g.HttpResponse(status=404, body=sample("error_404.json")))
    result = g.get_checkout_session(SESSION_ID, config=make_config(), transport=transport)
    assert isinstance(result, g.Error404NotFound)
    with pytest.raises(g.Error404NotFound) as caught:
        g.unwrap(result)
    assert caught.value is result
    assert g.unwrap(5) == 5
    assert g.unwrap(None) is None


def test_per_call_timeout_reaches_the_transport() -> None:
    """A per-call Timeout replaces the config's, clipped to the deadline."""
    seen: list[g.Timeout] = []

    class Recording:
        def send(self, request: g.HttpRequest, timeout: g.Timeout) -> g.HttpResponse:
            seen.append(timeout)
            return g.HttpResponse(status=204)

    config = make_config(timeout=g.Timeout(connect=1, read=2))
    g.delete_checkout_session(SESSION_ID, config=config, transport=Recording())
    g.delete_checkout_session(
        SESSION_ID, config=config, transport=Recording(), timeout=g.Timeout(connect=3, read=4)
    )
    g.delete_checkout_session(SESSION_ID, config=config, transport=Recording(), deadline=2.5)
    g.delete_checkout_session(SESSION_ID, config=config, transport=Recording())
    assert seen == [
        g.Timeout(connect=1, read=2, total=20),
        g.Timeout(connect=3, read=4, total=20),
        g.Timeout(connect=1, read=2, total=2.5),
        g.Timeout(connect=1, read=2, total=20),
    ]


@pytest.fixture
def fresh_defaults() -> Iterator[None]:
    """Start with no default transport made and no replacement set, and leave it so."""
    defaults.reset_defaults()
    yield
    defaults.reset_defaults()


class CountingLock:
    """A lock that counts the threads that have come to take it."""

    def __init__(self, lock: threading.Lock) -> None:
        self.lock = lock
        self.arrived = 0
        self.changed = threading.Condition()

    def __enter__(self) -> bool:
        with self.changed:
            self.arrived += 1
            self.changed.notify_all()
        return self.lock.__enter__()

    def __exit__(self, *exc_info: object) -> None:
        self.lock.release()


@pytest.mark.usefixtures("fresh_defaults")
def test_the_default_transport_is_made_once_for_all_threads(mocker: MockerFixture) -> None:
    """Eight threads asking at once for the default transport all get one Urllib3Transport, made once."""
    made: list[object] = []
    entered = threading.Event()
    door = CountingLock(defaults._lock)

    def slow_transport() -> object:
        made.append(object())
        entered.set()
        # Hold the door until the other threads have reached it: without the lock, or
        # without looking again once inside it, they would each make a transport of their own.
        with door.changed:
            door.changed.wait_for(lambda: door.arrived == 8, timeout=5)
        return made[-1]

    mocker.patch("gr4vy_fn.defaults._lock", door)
    mocker.patch("gr4vy_fn.transports.Urllib3Transport", side_effect=slow_transport)
    seen: list[object] = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        seen.append(defaults.default_transport())

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert entered.is_set()
    assert len(made) == 1
    assert seen == made * 8


@pytest.mark.usefixtures("fresh_defaults")
def test_the_default_transport_is_a_urllib3_transport() -> None:
    """With nothing set, the default transport is a Urllib3Transport, reused by later calls."""
    first = defaults.default_transport()
    assert isinstance(first, Urllib3Transport)
    assert defaults.default_transport() is first


@pytest.mark.usefixtures("fresh_defaults")
def test_set_defaults_replaces_and_restores_the_transport_and_config() -> None:
    """set_defaults makes calls given nothing use its transport and config, and puts back the old ones."""
    seen: list[str] = []

    def handler(request: g.HttpRequest) -> g.HttpResponse:
        seen.append(request.url)
        return g.HttpResponse(status=204)

    config = make_config("http://localhost:9")
    with defaults.set_defaults(transport=MockTransport(handler), config=config):
        assert g.delete_checkout_session(SESSION_ID) is None
        assert defaults.default_config() is config
    assert seen == [f"http://localhost:9/checkout/sessions/{SESSION_ID}"]
    assert isinstance(defaults.default_transport(), Urllib3Transport)
    defaults.set_defaults(transport=MockTransport(handler))
    assert isinstance(defaults.default_transport(), MockTransport)
    defaults.reset_defaults()
    assert isinstance(defaults.default_transport(), Urllib3Transport)


@pytest.mark.parametrize(
    ("given", "path"),
    [
        ({"config": {"server_url": "x"}}, "config"),
        ({"transport": object()}, "transport"),
        ({"async_transport": 5}, "async_transport"),
    ],
)
def test_set_defaults_refuses_the_wrong_kind(given: dict[str, Any], path: str) -> None:
    """A config that is not a Config, or a transport without send, raises ValidationError."""
    with pytest.raises(g.ValidationError) as caught:
        defaults.set_defaults(**given)
    assert caught.value.path == path


@pytest.mark.usefixtures("fresh_defaults")
def test_the_default_config_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no config given, Config.from_env() is used, and rebuilt when the environment changes."""
    monkeypatch.setenv("GR4VY_SERVER_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("GR4VY_BEARER_TOKEN", "env-token")
    seen: list[str] = []

    def handler(request: g.HttpRequest) -> g.HttpResponse:
        seen.append(request.headers["Authorization"])
        return g.HttpResponse(status=204)

    g.delete_checkout_session(SESSION_ID, transport=MockTransport(handler))
    first = defaults.default_config()
    assert defaults.default_config() is first
    monkeypatch.setenv("GR4VY_BEARER_TOKEN", "other-token")
    g.delete_checkout_session(SESSION_ID, transport=MockTransport(handler))
    assert seen == ["Bearer env-token", "Bearer other-token"]


@pytest.mark.parametrize(
    ("keywords", "path"),
    [
        ({"deadline": "3"}, "deadline"),
        ({"deadline": float("nan")}, "deadline"),
        ({"deadline": True}, "deadline"),
        ({"config": {"server_url": "http://127.0.0.1:9"}}, "config"),
        ({"transport": object()}, "transport"),
        ({"timeout": 5}, "timeout"),
        ({"headers": "X-A: 1"}, "headers"),
        ({"headers": [("X-A",)]}, "headers"),
    ],
)
def test_call_keywords_of_the_wrong_kind_raise_validation_error(keywords: dict[str, Any], path: str) -> None:
    """Call keywords of the wrong kind raise ValidationError naming the keyword, and send nothing."""
    calls: list[g.HttpRequest] = []
    keywords.setdefault("config", make_config())
    keywords.setdefault(
        "transport",
        MockTransport(lambda request: calls.append(request) or g.HttpResponse(status=204)),  # type: ignore[func-returns-value]
    )
    with pytest.raises(g.ValidationError) as caught:
        g.delete_checkout_session(SESSION_ID, **keywords)
    assert caught.value.path == path
    assert calls == []


def test_unwrap_names_the_call_and_the_session_but_no_secret() -> None:
    """A raised error value says which operation failed on which session id; token and card stay out."""
    transport = MockTransport(lambda request: g.HttpResponse(status=404, body=sample("error_404.json")))
    config = make_config(bearer_token="very-secret-token")
    card = g.CardPaymentMethod(number="4111111111111111", expiration_date="12/30", security_code="737")
    fields = g.CheckoutSessionSecureFieldsUpdate(payment_method=card)
    result = g.update_checkout_session_fields(SESSION_ID, fields, config=config, transport=transport)
    with pytest.raises(g.Error404NotFound) as caught:
        g.unwrap(result)
    text = str(caught.value)
    assert text.startswith(f"update_checkout_session_fields({SESSION_ID}): 404 not_found")
    for secret in ("very-secret-token", "4111111111111111", "737"):
        assert secret not in text
        assert secret not in repr(caught.value)


def test_a_transport_error_names_the_create_it_came_from() -> None:
    """A network failure of a create names the operation (a create has no id yet)."""

    def refuse(request: g.HttpRequest) -> g.HttpResponse:
        raise g.ConnectError(message="refused")

    result = g.new_checkout_session(config=make_config(), transport=MockTransport(refuse))
    assert isinstance(result, g.ConnectError)
    assert str(result).startswith("ConnectError: new_checkout_session: refused")
    assert result == g.ConnectError(message="refused", request_sent=False, attempts=3)


@pytest.mark.parametrize(
    "call",
    [
        g.new_checkout_session,
        g.get_checkout_session,
        g.delete_checkout_session,
        g.update_checkout_session_fields,
        g.update_checkout_session,
        g.send,
    ],
)
def test_help_shows_parameters_results_errors_and_an_example(call: Any) -> None:
    """help() on a call shows it under gr4vy_fn, with keywords, results, ValidationError and an example."""
    text = pydoc.plain(pydoc.render_doc(call))
    assert "in module gr4vy_fn\n" in text
    for part in ("deadline:", "Returns:", "TransportError", "Raises:", "ValidationError", "Example::"):
        assert part in text, part
    assert "{" + "keywords}" not in text


_CALLS = ("send", "new_checkout_session", "get_checkout_session", "delete_checkout_session")
_UPDATES = ("update_checkout_session_fields", "update_checkout_session")


@pytest.mark.parametrize("module", [g, aio])
@pytest.mark.parametrize("name", _CALLS + _UPDATES)
def test_help_indents_each_argument_under_its_heading(module: Any, name: str) -> None:
    """In help(), every line under Args:, Returns: and Raises: is indented past the heading."""
    lines = pydoc.plain(pydoc.render_doc(getattr(module, name))).splitlines()
    assert "Args:" in (line.strip() for line in lines)
    for number, line in enumerate(lines):
        if line.strip() in {"Args:", "Returns:", "Raises:"}:
            heading = len(line) - len(line.lstrip())
            body = lines[number + 1]
            assert len(body) - len(body.lstrip()) > heading, (line, body)


@pytest.mark.parametrize("module", [g, aio])
@pytest.mark.parametrize("name", _CALLS[1:] + _UPDATES)
def test_each_call_shows_the_keywords_of_send(module: Any, name: str) -> None:
    """A call's signature, as help() and inspect show it, ends with its send's keyword-only parameters."""
    parameters = list(inspect.signature(getattr(module, name)).parameters.values())
    shared = [p for p in inspect.signature(module.send).parameters.values() if p.kind is p.KEYWORD_ONLY]
    assert [p.name for p in shared] == ["config", "transport", "headers", "timeout", "deadline"]
    assert parameters[-len(shared) :] == shared
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in parameters[: -len(shared)])


def test_the_engine_is_a_sans_io_generator(fake_time: FakeTime) -> None:
    """The attempt engine yields a Send, a Sleep after a 503, another Send, and returns the decoded value."""
    config = make_config(retry=fast_policy(fake_time))
    engine = _attempts.attempts(
        ops.get_checkout_session(SESSION_ID), config, headers=None, timeout=None, deadline=None
    )
    first = next(engine)
    assert isinstance(first, _attempts.Send)
    assert first.request.url.endswith(SESSION_ID)
    assert engine.send(g.HttpResponse(status=503)) == _attempts.Sleep(0.5)
    assert isinstance(engine.send(None), _attempts.Send)
    with pytest.raises(StopIteration) as done:
        engine.send(g.HttpResponse(status=200, body=sample("session_201.json")))
    assert isinstance(done.value.value, g.CheckoutSession)
    assert fake_time.sleeps == []  # the engine never sleeps: its driver does


def test_repr_of_requests_and_responses_hides_secrets() -> None:
    """HttpRequest and Headers never show the bearer token or the body."""
    config = g.Config(gr4vy_id="acme", bearer_token="very-secret-token")
    card = g.CardPaymentMethod(number="4111111111111111", expiration_date="12/30", security_code="737")
    prepared = g.prepare(
        ops.update_checkout_session_fields(
            SESSION_ID, g.CheckoutSessionSecureFieldsUpdate(payment_method=card)
        ),
        config,
    )
    for text in (repr(prepared), str(prepared), repr(prepared.headers), repr(config)):
        assert "very-secret-token" not in text
        assert "4111111111111111" not in text
        assert "737" not in text
    assert (
        repr(g.HttpResponse(status=200, body=b"abc"))
        == "HttpResponse(status=200, headers=Headers({}), body=<3 bytes>)"
    )


def test_the_default_config_follows_every_variable_it_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turning GR4VY_ALLOW_INSECURE_HTTP off rebuilds the default config, which then refuses plain http."""
    from gr4vy_fn import defaults

    defaults.reset_defaults()
    monkeypatch.setenv("GR4VY_SERVER_URL", "http://api.example.test")
    monkeypatch.setenv("GR4VY_BEARER_TOKEN", "t")
    monkeypatch.setenv("GR4VY_ALLOW_INSECURE_HTTP", "1")
    assert defaults.default_config().base_url == "http://api.example.test"
    monkeypatch.setenv("GR4VY_ALLOW_INSECURE_HTTP", "0")
    with pytest.raises(g.ValidationError):
        defaults.default_config()
    defaults.reset_defaults()


@pytest.mark.parametrize("module", [g, aio])
@pytest.mark.parametrize("name", _CALLS[1:] + _UPDATES)
@pytest.mark.parametrize("keyword", ["confg", "request", "keywords"])
def test_an_unknown_keyword_is_refused_naming_the_call(module: Any, name: str, keyword: str) -> None:
    """An unknown keyword (among the call's own, given by name) raises TypeError naming the call, not send."""
    call = getattr(module, name)
    parameters = inspect.signature(call).parameters.values()
    own = {p.name: None for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD}

    def make_the_call() -> object:
        result = call(**own, config=make_config(), **{keyword: None})
        return asyncio.run(result) if module is aio else result

    with pytest.raises(TypeError) as caught:
        make_the_call()
    # Python 3.13 adds a suggestion ("Did you mean 'config'?") after the message.
    assert str(caught.value).startswith(f"{name}() got an unexpected keyword argument {keyword!r}")
