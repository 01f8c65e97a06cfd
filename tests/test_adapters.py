"""The requests and httpx transports through the client, and what they share: bounded, inflated bodies."""

from __future__ import annotations

import gzip
import pkgutil
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import requests
from conftest import PLAIN_HTTP_TLS, SESSION_ID, make_config, sample
from fresh_python import FreshPython
from hypothesis import given, settings
from hypothesis import strategies as st
from loopback import LoopbackServer, Reply
from pytest_mock import MockerFixture

import gr4vy_fn as g
from gr4vy_fn import transports
from gr4vy_fn.testing.conformance import CHECKS, run_check
from gr4vy_fn.transports import HttpxTransport, RequestsTransport, _limits

SESSION = sample("session_201.json")
ADAPTERS: dict[str, Callable[[], RequestsTransport | HttpxTransport]] = {
    "requests": RequestsTransport,
    "httpx": lambda: HttpxTransport(httpx.Client(verify=PLAIN_HTTP_TLS)),
}


IMPORTED = FreshPython(
    "-c", "import sys, gr4vy_fn, gr4vy_fn.transports; print(sorted({'requests', 'httpx'} & set(sys.modules)))"
)


@pytest.mark.fresh_python(IMPORTED)
def test_importing_the_package_imports_neither_library() -> None:
    """`import gr4vy_fn` (and its transports module) leaves requests and httpx unimported: they are extras."""
    assert IMPORTED.output().strip() == "[]"


def test_an_unknown_name_in_transports_is_an_attribute_error() -> None:
    """The lazy lookup serves the two adapters only; any other missing name is an AttributeError."""
    with pytest.raises(AttributeError, match="NoSuchTransport"):
        getattr(transports, "NoSuchTransport")  # noqa: B009 - the lookup under test


@pytest.fixture(params=list(ADAPTERS))
def adapter(request: pytest.FixtureRequest) -> Iterator[RequestsTransport | HttpxTransport]:
    transport = ADAPTERS[request.param]()
    try:
        yield transport
    finally:
        transport.close()


def test_every_operation_through_the_adapter(adapter: g.Transport, server: LoopbackServer) -> None:
    """Create, get, update and delete go through the adapter and decode, on one kept-alive connection."""
    transport = adapter
    config = make_config(server.url)
    server.then(Reply(201, SESSION), Reply(200, SESSION), Reply(200, SESSION), Reply(204))
    assert isinstance(g.new_checkout_session(config=config, transport=transport), g.CheckoutSession)
    assert isinstance(
        g.get_checkout_session(SESSION_ID, config=config, transport=transport), g.CheckoutSession
    )
    update = g.CheckoutSessionCreateRequest(amount=1)
    assert isinstance(
        g.update_checkout_session(SESSION_ID, update, config=config, transport=transport), g.CheckoutSession
    )
    assert g.delete_checkout_session(SESSION_ID, config=config, transport=transport) is None
    assert [r.method for r in server.received] == ["POST", "GET", "PUT", "DELETE"]
    assert server.connections == 1


def test_a_slow_create_is_reported_once_and_not_retried(adapter: g.Transport, server: LoopbackServer) -> None:
    """Through send's retry policy, an adapter's ConnectionDropped(request_sent=True) stops a create."""
    server.default = Reply(201, SESSION, delay=5)  # released when the server closes
    # No answer has to beat the read timeout: the request is written (into the kernel, on
    # loopback) before the read and its timeout begin, so a short one is as sure as a long one.
    timeout = g.Timeout(connect=1, read=0.03)
    result = g.new_checkout_session(config=make_config(server.url, timeout=timeout), transport=adapter)
    assert isinstance(result, g.ReadTimeout)
    assert (result.request_sent, result.attempts) == (True, 1)
    assert len(server.wait_received(1)) == 1


def test_a_users_session_keeps_its_settings(server: LoopbackServer) -> None:
    """A session given to RequestsTransport keeps its own headers; the deadline hooks go into its adapters."""
    session = requests.Session()
    session.headers["X-Team"] = "payments"
    server.then(Reply(200, SESSION))
    with session:
        result = g.get_checkout_session(
            SESSION_ID, config=make_config(server.url), transport=RequestsTransport(session)
        )
    assert isinstance(result, g.CheckoutSession)
    assert server.received[0].headers["X-Team"] == "payments"
    mounted = session.get_adapter(server.url)
    assert isinstance(mounted, requests.adapters.HTTPAdapter)
    assert mounted.poolmanager.pool_classes_by_scheme["http"].__name__ == "_WatchedHTTPPool"


def test_a_users_client_is_bounded_by_the_deadline() -> None:
    """A client given to HttpxTransport gets deadline-bounded network streams (httpx's layout is known)."""
    with httpx.Client(headers={"X-Team": "payments"}, verify=PLAIN_HTTP_TLS) as client:
        assert HttpxTransport(client).bounded
        assert HttpxTransport(client).bounded  # wrapping twice is a no-op


def test_a_client_with_its_own_transport_is_used_as_it_is() -> None:
    """A client whose transport is not httpx's own cannot be bounded, and says so."""
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204)))
    transport = HttpxTransport(client)
    assert not transport.bounded
    assert transport.send(g.HttpRequest(method="GET", url="http://x/"), g.Timeout()).status == 204


# --- declared lengths and bounded bodies ---


@pytest.mark.parametrize(
    ("value", "length"),
    [("12", 12), (None, None), ("", None), ("²", None), ("-1", None), (" 12", None), ("1" * 5000, None)],
)
def test_declared_length(value: str | None, length: int | None) -> None:
    """Only plain ASCII digits of sane length are a Content-Length; anything else is no declared length."""
    assert _limits.declared_length(value) == length


def read(body: bytes, encoding: str, limit: int = 1 << 20, step: int = 1000) -> bytes:
    chunks = [body[i : i + step] for i in range(0, len(body), step)]
    return _limits.read_body(
        chunks, length=None, encoding=encoding, limit=limit, status=200, attempt=_limits.Attempt(None)
    )


@settings(max_examples=25)
@given(data=st.binary(max_size=4096), step=st.integers(min_value=1, max_value=512))
def test_gzip_bodies_inflate_whatever_the_chunking(data: bytes, step: int) -> None:
    """A gzip body comes back as the bytes it holds, however the network cut it up."""
    assert read(gzip.compress(data), "gzip", step=step) == data


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("deflate", zlib.compress),
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
        ("x-gzip", lambda data: gzip.compress(data[:7]) + gzip.compress(data[7:])),  # two gzip members
        ("identity", lambda data: data),
        ("", lambda data: data),
    ],
)
def test_content_codings(encoding: str, encode: Callable[[bytes], bytes]) -> None:
    """deflate, stacked gzip, multi-member gzip and identity are all undone."""
    data = b'{"id": "x"}' * 1000
    assert read(encode(data), encoding) == data


def test_an_unknown_coding_is_left_as_it_came() -> None:
    """A coding nobody asked for (br) cannot be undone: the bytes come back as sent."""
    assert read(b"\x1b\x00", "br") == b"\x1b\x00"


def test_a_cut_off_gzip_body_is_an_error() -> None:
    """A gzip body that stops before its end is ConnectionDropped, raised with no exception chained."""
    with pytest.raises(g.ConnectionDropped, match="did not inflate") as dropped:
        read(gzip.compress(b"x" * 1000)[:-10], "gzip")
    assert dropped.value.request_sent
    assert dropped.value.__context__ is None


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    """A Content-Length over the limit raises ResponseTooLarge without taking a single chunk.

    The message names the limit, never the declared number: that is the server's text (a card number, say).
    """

    class Untouchable:
        def __iter__(self) -> Iterator[bytes]:
            raise AssertionError("read")

    with pytest.raises(g.ResponseTooLarge, match="over the limit of 1024 bytes") as refused:
        _limits.read_body(
            Untouchable(), length="2048", encoding="", limit=1024, status=200, attempt=_limits.Attempt(None)
        )
    assert "2048" not in str(refused.value)


def test_inflating_stops_at_the_limit() -> None:
    """A body that inflates past the limit raises ResponseTooLarge after at most one step beyond it."""
    with pytest.raises(g.ResponseTooLarge, match="over the limit of 1000 bytes"):
        read(gzip.compress(b"\0" * (10 << 20)), "gzip", limit=1000)


def test_a_body_past_the_deadline_is_abandoned() -> None:
    """Reading stops with DeadlineExceeded once the attempt's deadline has passed."""
    attempt = _limits.Attempt(0.0)
    with pytest.raises(g.DeadlineExceeded):
        _limits.read_body([b"x"], length=None, encoding="", limit=10, status=200, attempt=attempt)


# --- connections the hooks cannot reach ---


def unhooked_requests() -> RequestsTransport:
    """A RequestsTransport whose session got a fresh adapter since: its pools are unwatched, as a proxy's."""
    transport = RequestsTransport()
    transport.session.mount("http://", requests.adapters.HTTPAdapter())
    return transport


def mounted_httpx() -> HttpxTransport:
    """An HttpxTransport whose client sends http:// through a mounted transport the hooks do not reach."""
    mounted = httpx.HTTPTransport(verify=PLAIN_HTTP_TLS)
    return HttpxTransport(httpx.Client(verify=PLAIN_HTTP_TLS, mounts={"http://": mounted}))


JUDGED_BY_THE_EXCEPTION = ["refused_connection", "closed_after_reading", "read_timeout", "truncated_body"]


@pytest.mark.parametrize("make_transport", [unhooked_requests, mounted_httpx])
@pytest.mark.parametrize("name", JUDGED_BY_THE_EXCEPTION)
def test_without_the_hooks_request_sent_is_judged_by_the_exception(
    name: str, make_transport: Callable[[], g.Transport]
) -> None:
    """Where no hook saw the connection, only a failure to connect says "not sent"; the rest "may have"."""
    [check] = [c for c in CHECKS if c.name == name]
    run_check(check, make_transport)


@pytest.mark.parametrize(
    ("make_transport", "connector"),
    [
        (RequestsTransport, "urllib3.util.connection.create_connection"),
        (ADAPTERS["httpx"], "socket.create_connection"),
    ],
    ids=["requests", "httpx"],
)
def test_a_request_is_never_written_after_its_deadline(
    make_transport: Callable[[], g.Transport], connector: str, server: LoopbackServer, mocker: MockerFixture
) -> None:
    """A connection opened only after the deadline carries nothing: DeadlineExceeded, request_sent=False."""
    real = pkgutil.resolve_name(connector)
    total = 0.05  # before it, the attempt only has to reach its connect: a few milliseconds of Python

    def slow(*args: Any, **kwargs: Any) -> Any:
        # The attempt's total began before this connect was called: once it has slept the
        # total (and a little more), the deadline has passed when the connection opens.
        time.sleep(total * 1.2)
        return real(*args, **kwargs)

    connect = mocker.patch(connector, side_effect=slow)
    request = g.HttpRequest(method="POST", url=f"{server.url}/checkout/sessions", body=b"{}")
    with pytest.raises(g.DeadlineExceeded) as raised:
        make_transport().send(request, g.Timeout(connect=1, read=1, total=total))
    assert connect.called  # the connection did open: the deadline was not found passed before it
    assert not raised.value.request_sent
    assert server.received == []


def test_a_changed_library_layout_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    """A private name a transport overrides, gone from its library, raises LayoutChanged naming it."""
    import http.client

    from gr4vy_fn.transports import _connections, _httpx_pool

    _connections.check_layout()
    _httpx_pool.check_layout(httpx.Client())
    monkeypatch.delattr(http.client.HTTPResponse, "_close_conn")
    with pytest.raises(_limits.LayoutChanged, match=r"_close_conn of http\.client\.HTTPResponse"):
        _connections.check_layout()
    monkeypatch.undo()
    client = httpx.Client()
    monkeypatch.delattr(client._transport, "_pool")
    with pytest.raises(_limits.LayoutChanged, match="_pool"):
        _httpx_pool.check_layout(client)


@pytest.mark.parametrize(
    "make_transport", [transports.Urllib3Transport, RequestsTransport], ids=["urllib3", "requests"]
)
def test_an_unasked_switch_of_protocols_is_no_answer(make_transport: Callable[[], g.Transport]) -> None:
    """A 101 nobody asked for is refused as a broken exchange by both urllib3-based transports."""
    from tagged_server import TaggedServer, answer

    with TaggedServer() as tagged:
        tagged.script = lambda tag: [b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", answer(tag)]
        request = g.prepare(g.operations.get_checkout_session(SESSION_ID), make_config(tagged.url))
        with pytest.raises(g.ConnectionDropped) as raised:
            make_transport().send(request, g.Timeout(connect=2, read=2, total=5))
    assert raised.value.request_sent
