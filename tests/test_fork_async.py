"""After os.fork(), the async transports, and the event loop kept across the fork, never cross answers.

A serverless handler keeps one event loop and one transport across calls; a
server that preloads the application, then forks its workers, leaves both to
every child. Each test makes a call (so a pooled connection exists and the loop
watches it), forks, then calls in parent and child at once on the same loop and
transport: the tagged server names each answer's request, so a child that used
its parent's connection, or whose loop read its parent's socket, would hand a
call another call's session, or lose an answer.
"""

from __future__ import annotations

import asyncio
import os
import select
from collections.abc import Iterator

import pytest
from conftest import make_config
from tagged_server import TaggedServer

import gr4vy_fn as g
from gr4vy_fn import aio

CALLS = 30


@pytest.fixture
def tagged() -> Iterator[TaggedServer]:
    with TaggedServer() as server:
        yield server


async def _calls(server: TaggedServer, prefix: str, transport: aio.AsyncTransport | None) -> str:
    """Make CALLS gets; return how many did not return their own session (crossed, failed or raised)."""
    config = make_config(server.url, retry=g.RetryPolicy.none(), timeout=g.Timeout(connect=2, read=2))
    wrong = 0
    for index in range(CALLS):
        tag = f"{prefix}-{index}"
        try:
            result = await aio.get_checkout_session(tag, config=config, transport=transport, deadline=5)
        except Exception:  # counted: a call must never raise
            wrong += 1
            continue
        if not (isinstance(result, g.CheckoutSession) and result.id == tag):
            wrong += 1
    return str(wrong)


def _transport(kind: str) -> aio.AsyncTransport | None:
    if kind == "aiohttp":
        return aio.AiohttpTransport()
    if kind == "httpx":
        return aio.HttpxTransport()
    return None  # the loop's default transport


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize("kind", ["aiohttp", "httpx", "default"])
def test_parent_and_child_on_a_loop_kept_across_a_fork_get_their_own_answers(
    tagged: TaggedServer, kind: str
) -> None:
    """A call, os.fork(), then CALLS gets in each process on the kept loop and transport: none goes wrong."""
    loop = asyncio.new_event_loop()
    transport = _transport(kind)
    try:
        assert loop.run_until_complete(_calls(tagged, "warm", transport)) == "0"
        go_read, go_write = os.pipe()
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe and never returns
            code = 1
            try:
                os.read(go_read, 1)
                os.write(result_write, loop.run_until_complete(_calls(tagged, "child", transport)).encode())
                code = 0
            finally:
                os._exit(code)
        os.write(go_write, b"x")
        wrong_in_parent = loop.run_until_complete(_calls(tagged, "parent", transport))
        ready, _, _ = select.select([result_read], [], [], 20)
        wrong_in_child = os.read(result_read, 64).decode() if ready else "no report"
        _, status = os.waitpid(pid, 0)
        for fd in (go_read, go_write, result_read, result_write):
            os.close(fd)
        assert os.waitstatus_to_exitcode(status) == 0
        assert (wrong_in_parent, wrong_in_child) == ("0", "0")
    finally:
        if transport is not None:
            loop.run_until_complete(transport.aclose())  # type: ignore[attr-defined]
        else:
            loop.run_until_complete(aio.aclose())
        loop.close()
