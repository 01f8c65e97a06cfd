"""The guest checks of the conformance kit: a call through a transport touches nothing outside itself.

Where the kit's other checks send through a transport alone, these make whole
calls through it (`gr4vy_fn.send`, `gr4vy_fn.aio.send`), since what they hold
is the calls' promise on that transport:

- a log record the application makes outside a call (before it, after it, or
  on another thread or task while one of the call's attempts is under way) on
  any of the HTTP libraries' loggers reaches the handlers exactly as made:
  its message template, its arguments and its `exc_info`;
- a call whose transport raised something unexpected (a bug, a cancelled task)
  leaves no secret in the caller's context, and no filter on any logger.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from .. import operations
from .._http import HttpRequest, HttpResponse, Timeout
from ..calls._async import send as async_send
from ..calls._log_scrub import LIBRARY_LOGGERS, attempt_secrets
from ..calls._sync import send
from ..config import Config
from ..models import CardPaymentMethod, CheckoutSessionSecureFieldsUpdate
from ..retry import RetryPolicy
from ._faults import Reply, Trickle, serving

_CARD = "4012888888881881"
_SECURITY_CODE = "8317"
_TOKEN = "guest-token-0c9d7e1f3a5b"  # noqa: S105 - made up, to be looked for
_SESSION_ID = "8724fd24-5489-4a5d-90fd-0604df7d3b83"
_ONE_ATTEMPT = RetryPolicy(max_attempts=1)


class GuestFailure(AssertionError):
    """A call through the transport reached past itself: what it changed or left behind."""


class _TransportBug(Exception):
    """What a transport with a bug raises after sending."""


class _Kept(logging.Handler):
    """Keeps what each record holds when a handler gets it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: dict[str, tuple[object, object, object]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        where = record.args[-1] if isinstance(record.args, tuple) and record.args else None
        self.seen[f"{record.name}:{where}"] = (
            record.msg,
            record.args,
            record.exc_info,
        )


def _update(base_url: str) -> tuple[Any, Config]:
    card = CardPaymentMethod(number=_CARD, expiration_date="12/30", security_code=_SECURITY_CODE)
    update = operations.update_checkout_session_fields(
        _SESSION_ID, CheckoutSessionSecureFieldsUpdate(payment_method=card)
    )
    return update, Config(server_url=base_url, bearer_token=_TOKEN, retry=_ONE_ATTEMPT)


def _application_logs(where: str) -> list[tuple[str, object, object, object]]:
    """Make a record on each library logger as an application's own use of the library would; return them."""
    try:
        raise ConnectionError("the application's own failure")
    except ConnectionError:
        exc_info = sys.exc_info()
    made: list[tuple[str, object, object, object]] = []
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        message, args = "the application's call to %s failed (%s)", ("api.example", where)
        logger.warning(message, *args, exc_info=exc_info)
        made.append((f"{name}:{where}", message, args, exc_info))
    return made


@contextmanager
def _kept() -> Iterator[_Kept]:
    root = logging.getLogger()
    kept, level = _Kept(), root.level
    root.addHandler(kept)
    root.setLevel(logging.DEBUG)
    try:
        yield kept
    finally:
        root.setLevel(level)
        root.removeHandler(kept)


def _on_another_thread(where: str) -> list[tuple[str, object, object, object]]:
    made: list[tuple[str, object, object, object]] = []
    thread = threading.Thread(target=lambda: made.extend(_application_logs(where)))
    thread.start()
    thread.join()
    return made


def _judge_records(kept: _Kept, made: list[tuple[str, object, object, object]]) -> None:
    for key, message, args, exc_info in made:
        seen = kept.seen.get(key)
        if seen != (message, args, exc_info):
            msg = f"a record made outside the call ({key}) reached the handlers changed: {seen!r:.200}"
            raise GuestFailure(msg)


def _judge_left_behind(when: str) -> None:
    if attempt_secrets.get() is not None:
        msg = f"the call's secrets stayed in the caller's context after {when}"
        raise GuestFailure(msg)
    for name in LIBRARY_LOGGERS:
        kept = [f for f in logging.getLogger(name).filters if type(f).__module__.startswith("gr4vy_fn")]
        if kept:
            msg = f"a filter stayed on the {name!r} logger after {when}"
            raise GuestFailure(msg)


class _Meddled:
    """The transport, with the application logging on another thread during each send, then maybe a bug."""

    def __init__(self, transport: Any, *, bug: bool = False) -> None:
        self.transport, self.bug = transport, bug
        self.made: list[tuple[str, object, object, object]] = []

    def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:
        self.made += _on_another_thread("during")
        return self._after(self.transport.send(request, timeout))

    def _after(self, response: HttpResponse) -> HttpResponse:
        if self.bug:
            raise _TransportBug
        return response


class _AsyncMeddled(_Meddled):
    async def send(self, request: HttpRequest, timeout: Timeout) -> HttpResponse:  # type: ignore[override]
        self.made += _on_another_thread("during")
        return self._after(await self.transport.send(request, timeout))


def check_guest(make_transport: Callable[[], Any]) -> None:
    """Make calls through a fresh transport from `make_transport` and check they touch nothing outside.

    Raises GuestFailure (an AssertionError) naming what was changed or left behind.
    """
    with serving(default=Reply(204)) as server, _kept() as kept:
        update, config = _update(server.url)
        transport = make_transport()
        try:
            made = _application_logs("before")
            meddled = _Meddled(transport)
            send(update, config=config, transport=meddled)
            made += meddled.made + _application_logs("after")
            _judge_records(kept, made)
            meddled.bug = True
            try:
                send(update, config=config, transport=meddled)
            except _TransportBug:  # judged while the exception and its frames are held, as callers do
                _judge_left_behind("a call whose transport raised")
        finally:
            getattr(transport, "close", lambda: None)()


async def check_async_guest(make_transport: Callable[[], Any]) -> None:
    """The async form of `check_guest`, in the running loop; a cancelled call is checked too.

    Raises GuestFailure (an AssertionError) naming what was changed or left behind.
    """
    with serving(default=Reply(204)) as server, _kept() as kept:
        update, config = _update(server.url)
        transport = make_transport()
        try:
            made = _application_logs("before")
            meddled = _AsyncMeddled(transport)
            await async_send(update, config=config, transport=meddled)
            made += meddled.made + _application_logs("after")
            _judge_records(kept, made)
            meddled.bug = True
            try:
                await async_send(update, config=config, transport=meddled)
            except _TransportBug:
                _judge_left_behind("a call whose transport raised")
            server.default = Trickle(b"HTTP/1.1 204 No Content\r\n\r\n", interval=0.2)
            left: list[object] = []

            async def cancelled() -> None:
                try:
                    await async_send(update, config=config, transport=transport)
                finally:
                    left.append(attempt_secrets.get())

            with suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(cancelled(), 0.1)
            if left != [None]:
                msg = "the call's secrets stayed in the task's context after it was cancelled"
                raise GuestFailure(msg)
            _judge_left_behind("a cancelled call")
        finally:
            close = getattr(transport, "aclose", None) or getattr(transport, "close", None)
            if close is not None:
                closed = close()
                if asyncio.iscoroutine(closed):
                    await closed
