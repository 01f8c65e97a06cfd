"""Answers never reach the wrong caller, whatever bytes a server sends, and across os.fork().

Every answer of the tagged server names the request it answers; these tests go
through the real Urllib3Transport on loopback and check that no call is ever
handed an answer tagged for another, and that no call raises.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import make_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tagged_server import Close, Pause, Step, TaggedServer, answer, plain, session_body

import gr4vy_fn as g
from gr4vy_fn.transports import HttpxTransport, RequestsTransport, Urllib3Transport

INTERIM = {
    100: b"HTTP/1.1 100 Continue\r\n\r\n",
    102: b"HTTP/1.1 102 Processing\r\n\r\n",
    103: b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
}


class Recording:
    """A transport that keeps every (request, response) pair its inner transport produced."""

    def __init__(self, inner: g.Transport) -> None:
        self.inner = inner
        self.exchanges: list[tuple[g.HttpRequest, g.HttpResponse]] = []

    def send(self, request: g.HttpRequest, timeout: g.Timeout) -> g.HttpResponse:
        response = self.inner.send(request, timeout)
        self.exchanges.append((request, response))
        return response


def tag_of_answer(body: bytes) -> str | None:
    """The id an answer's body names, or None where the body is not a tagged session."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data.get("id") if isinstance(data, dict) else None


def assert_no_crossing(recording: Recording) -> None:
    for request, response in recording.exchanges:
        tag = request.url.rsplit("/", 1)[-1]
        assert tag_of_answer(response.body) in (None, tag), f"{tag} got an answer for another request"


def get(server: TaggedServer, tag: str, transport: g.Transport, **config: Any) -> Any:
    config.setdefault("retry", g.RetryPolicy.none())
    config.setdefault("timeout", g.Timeout(connect=2, read=2))
    return g.get_checkout_session(tag, config=make_config(server.url, **config), transport=transport)


@pytest.fixture
def tagged() -> Iterator[TaggedServer]:
    with TaggedServer() as server:
        yield server


@pytest.mark.parametrize(
    "request_",
    [
        g.operations.get_checkout_session("session-a"),
        g.operations.update_checkout_session("session-a", g.CheckoutSessionCreateRequest(amount=1)),
    ],
    ids=["get", "update"],
)
def test_an_answer_naming_another_session_is_not_taken(request_: g.Request[g.CheckoutSession]) -> None:
    """A get or update answered with another session's data gives UnexpectedResponse, not that session."""
    own = g.decode(request_, g.HttpResponse(status=200, body=session_body("session-a")))
    other = g.decode(request_, g.HttpResponse(status=200, body=session_body("session-b")))
    assert isinstance(own, g.CheckoutSession)
    assert own.id == "session-a"
    assert isinstance(other, g.UnexpectedResponse)
    assert other.reason == "the answer is for another checkout session"


@pytest.mark.parametrize("status", sorted(INTERIM))
def test_interim_answers_are_read_through_to_the_final_one(tagged: TaggedServer, status: int) -> None:
    """A 100, 102 or 103 before the answer is skipped: each call gets its own session, on one connection."""
    tagged.script = lambda tag: [INTERIM[status] * 2 + answer(tag)]
    transport = Urllib3Transport()
    first = get(tagged, "session-a", transport)
    second = get(tagged, "session-b", transport)
    assert isinstance(first, g.CheckoutSession)
    assert first.id == "session-a"
    assert isinstance(second, g.CheckoutSession)
    assert second.id == "session-b"


def test_a_create_behind_102_processing_returns_the_session(tagged: TaggedServer) -> None:
    """A create answered by 102 Processing, then 201, returns the created session, sent once."""
    # The pause puts the 102 in a segment of its own: on loopback, 10 ms is enough.
    tagged.script = lambda tag: [INTERIM[102], Pause(0.01), answer("created", status=201)]
    config = make_config(tagged.url, retry=g.RetryPolicy.none())
    created = g.new_checkout_session(config=config, transport=Urllib3Transport())
    assert isinstance(created, g.CheckoutSession)
    assert created.id == "created"
    assert tagged.requests == ["sessions"]


def test_an_unasked_switch_of_protocols_is_a_dropped_connection(tagged: TaggedServer) -> None:
    """A 101 answer to a plain request: ConnectionDropped (may have been sent), and the next call is fine."""
    tagged.script = lambda tag: (
        [b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n" + answer("intruder")]
        if tag == "session-a"
        else plain(tag)
    )
    transport = Urllib3Transport()
    first = get(tagged, "session-a", transport)
    second = get(tagged, "session-b", transport)
    assert isinstance(first, g.ConnectionDropped)
    assert first.request_sent
    assert isinstance(second, g.CheckoutSession)
    assert second.id == "session-b"


@pytest.mark.parametrize("declared", ["\u00b2", "9" * 5000, "-5", "12, 13", "0x10", " 1 2"])
def test_a_content_length_that_is_no_number_gives_a_value(tagged: TaggedServer, declared: str) -> None:
    """A Content-Length that is not a plain number never raises from a call (a create included)."""
    body = session_body("created")
    tagged.script = lambda tag: [
        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: "
        + declared.encode("latin-1", "replace")
        + b"\r\nConnection: close\r\n\r\n"
        + body,
        Close(),
    ]
    config = make_config(tagged.url, retry=g.RetryPolicy.none())
    result = g.new_checkout_session(config=config, transport=Urllib3Transport())
    assert isinstance(result, (g.CheckoutSession, g.TransportError, g.UnexpectedResponse))
    if isinstance(result, g.TransportError):
        assert result.request_sent


# What a server may put on the wire for one answer: the pieces the fuzz test draws from.
def _final(tag: str, framing: str) -> list[Step]:
    body = session_body(tag)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    if framing == "exact":
        return [answer(tag)]
    if framing == "chunked":
        return [head + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)]
    if framing == "bad-chunk":
        return [head + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" + body]
    if framing == "short-length":  # the tail of the body is left behind as surplus
        return [head + b"Content-Length: %d\r\n\r\n" % (len(body) // 2) + body]
    if framing == "long-length":
        return [head + b"Content-Length: %d\r\n\r\n" % (len(body) + 10) + body, Close()]
    if framing == "until-close":
        return [head + b"Connection: close\r\n\r\n" + body, Close()]
    if framing == "both-lengths":
        return [head + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n" + body, Close()]
    if framing == "bad-status":
        return [b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}"]
    if framing == "no-status":
        return [Close()]
    if framing == "status-only":
        return [b"HTTP/1.1 200 OK\r\n", Close()]
    raise AssertionError(framing)


FRAMINGS = [
    "exact",
    "chunked",
    "bad-chunk",
    "short-length",
    "long-length",
    "until-close",
    "both-lengths",
    "bad-status",
    "no-status",
    "status-only",
]
behaviours = st.tuples(
    st.lists(st.sampled_from(sorted(INTERIM)), max_size=3),
    st.sampled_from(FRAMINGS),
    st.sampled_from(["none", "garbage", "intruder", "intruder-later"]),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(behaviours, min_size=1, max_size=6))
def test_no_call_is_ever_handed_an_answer_for_another_request(
    script: list[tuple[list[int], str, str]],
) -> None:
    """Interim answers, odd framing, surplus bytes and early closes never cross answers or raise."""
    by_tag = {f"call-{index}": behaviour for index, behaviour in enumerate(script)}

    def serve(tag: str) -> list[Step]:
        interims, framing, surplus = by_tag[tag]
        steps = _final(tag, framing)
        first = b"".join(INTERIM[status] for status in interims)
        if isinstance(steps[0], bytes):
            steps = [first + steps[0], *steps[1:]]
        elif first:
            steps = [first, *steps]
        extra = {"none": b"", "garbage": b"\r\nxyz", "intruder": answer("intruder")}.get(surplus)
        if extra is None:  # the intruder comes a moment later, in a segment of its own
            steps = [*steps, Pause(0.01), answer("intruder")]
        elif extra and isinstance(steps[-1], bytes):
            steps = [*steps[:-1], steps[-1] + extra]
        return steps

    recording = Recording(Urllib3Transport())
    with TaggedServer(script=serve) as server:
        results = [get(server, tag, recording) for tag in by_tag]
    if all(surplus != "intruder-later" for _, _, surplus in script):
        # Bytes that come with an answer are seen; an intruder sent later, after the
        # next request went out, is indistinguishable on the wire from its answer:
        # there, only the id check on the call's result below stands.
        assert_no_crossing(recording)
    for tag, result in zip(by_tag, results, strict=True):
        assert isinstance(result, (g.CheckoutSession, g.TransportError, g.UnexpectedResponse))
        if isinstance(result, g.CheckoutSession):
            assert result.id == tag


def _calls_in(server: TaggedServer, prefix: str, count: int, transport: g.Transport | None = None) -> int:
    """Make `count` gets on `transport` (None: the default) from two threads; return how many went wrong."""
    crossed = 0
    lock = threading.Lock()
    config = make_config(server.url, retry=g.RetryPolicy(max_attempts=1))

    def worker(start: int) -> None:
        nonlocal crossed
        for index in range(start, count, 2):
            tag = f"{prefix}-{index}"
            result = g.get_checkout_session(tag, config=config, transport=transport)
            if not (isinstance(result, g.CheckoutSession) and result.id == tag):
                with lock:
                    crossed += 1

    threads = [threading.Thread(target=worker, args=(start,)) for start in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return crossed


def _transport(kind: str) -> g.Transport | None:
    if kind == "requests":
        return RequestsTransport()
    if kind == "httpx":
        return HttpxTransport()
    return None  # the process-wide default transport


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize("kind", ["default", "requests", "httpx"])
def test_after_a_fork_parent_and_child_never_share_a_connection(tagged: TaggedServer, kind: str) -> None:
    """One call, os.fork(), then both processes call at once on the same transport: each gets its own."""
    transport = _transport(kind)
    assert isinstance(get(tagged, "warm-up", transport), g.CheckoutSession)  # type: ignore[arg-type]
    go_read, go_write = os.pipe()
    result_read, result_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe and never returns
        code = 1
        try:
            os.read(go_read, 1)
            os.write(result_write, str(_calls_in(tagged, "child", 200, transport)).encode())
            code = 0
        finally:
            os._exit(code)
    os.write(go_write, b"x")
    crossed_in_parent = _calls_in(tagged, "parent", 200, transport)
    _, status = os.waitpid(pid, 0)
    crossed_in_child = int(os.read(result_read, 64) or b"-1")
    for fd in (go_read, go_write, result_read, result_write):
        os.close(fd)
    close = getattr(transport, "close", None)
    if close is not None:
        close()
    assert os.waitstatus_to_exitcode(status) == 0
    assert (crossed_in_parent, crossed_in_child) == (0, 0)


header_lines = st.lists(
    st.tuples(
        st.sampled_from(["Content-Length", "Transfer-Encoding", "Content-Type", "Connection", "X-Any", ""]),
        st.one_of(
            st.sampled_from(["0", "2", "84", "chunked", "close", "gzip", "\u00b2", "9" * 30, "-1"]),
            st.text(max_size=20),
        ),
    ),
    max_size=6,
)
raw_answers = st.tuples(
    st.one_of(
        st.sampled_from(["HTTP/1.1 201 Created", "HTTP/1.0 200 OK", "HTTP/1.1 999 X"]), st.text(max_size=30)
    ),
    header_lines,
    st.binary(max_size=200),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(raw_answers)
def test_whatever_bytes_a_server_sends_a_create_returns_a_value(answer_parts: tuple[str, Any, bytes]) -> None:
    """Any status line, header block and body, then a close: a create gives a value, and never says unsent."""
    status_line, headers, body = answer_parts
    head = status_line + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
    wire = head.encode("utf-8", "surrogatepass") + body
    with TaggedServer(script=lambda tag: [wire, Close()]) as server:
        config = make_config(server.url, retry=g.RetryPolicy.none(), timeout=g.Timeout(connect=2, read=2))
        result = g.new_checkout_session(config=config, transport=Urllib3Transport())
        assert server.requests == ["sessions"]
    assert isinstance(result, (g.CheckoutSession, g.ApiError, g.TransportError, g.UnexpectedResponse))
    if isinstance(result, g.TransportError):
        assert result.request_sent
