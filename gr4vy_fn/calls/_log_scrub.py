"""Log records made during one of gr4vy_fn's attempts, scrubbed of its secrets before any handler sees them.

urllib3, requests, httpx, httpcore, aiohttp and vcrpy log what a server sent
(a header block urllib3 cannot parse, at WARNING; every response header, at
DEBUG; the whole answer, while vcrpy records), and a server may echo the
bearer token or the card number there. While an attempt is under way, the
engine names its secrets (`attempt_scope`), and a filter on each of these
libraries' loggers scrubs the records made *in that attempt's context* (their
message, traceback text and stack) as error values are scrubbed
(gr4vy_fn._redact).

Nothing outside gr4vy_fn's own calls is touched: the filter is on those
loggers only while at least one attempt of the process is under way (the
first attempt to begin puts it first in the filters of each logger whose
library is imported, the last to end takes it off), and a record made in any
other context (the application's own httpx call, on another thread or task,
during one of ours) passes through it exactly as made.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import threading

from .._redact import scrub

LIBRARY_LOGGERS = (
    "urllib3",
    "urllib3.connection",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
    "requests",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "aiohttp",
    "aiohttp.client",
    "aiohttp.internal",
    "vcr",
    "vcr.cassette",
    "vcr.stubs",
    "vcr.stubs.httpx_stubs",
    "vcr.stubs.aiohttp_stubs",
    "vcr.request",
    "vcr.matchers",
    "vcr.patch",
    "gr4vy_fn",
)
"""The loggers of the libraries that see an attempt's bytes (a logger's filters see only its own records)."""

attempt_secrets: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "gr4vy_fn_attempt_secrets", default=None
)
"""The secrets of the attempt under way in this context (the request's own, and its bearer token)."""


class _ScrubSecrets(logging.Filter):
    """Scrub a record made during one of gr4vy_fn's attempts; let every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = attempt_secrets.get()
        if secrets is None:
            return True  # not made by one of our attempts: not ours to change
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its message: shown as the library made it
            message = str(record.msg)
        record.msg, record.args = scrub(message, secrets), None
        if record.exc_info:
            # The traceback's frames hold the request (card data, headers): only its scrubbed text stays.
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, scrub(text, secrets)
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, secrets)
        return True


_FILTER = _ScrubSecrets()
_lock = threading.Lock()
_under_way = 0
_filtered: list[logging.Logger] = []  # the loggers the filter is on, while attempts are under way
_in_use: tuple[int, list[logging.Logger]] = (-1, [])  # (len(sys.modules) when found, the loggers)


def _loggers_in_use() -> list[logging.Logger]:
    """The loggers of LIBRARY_LOGGERS whose library is imported: one not imported logs nothing.

    Looked up again only when a module has been imported since (getLogger takes logging's lock).
    """
    global _in_use
    imported = len(sys.modules)
    if _in_use[0] != imported:
        names = [name for name in LIBRARY_LOGGERS if name.partition(".")[0] in sys.modules]
        _in_use = (imported, [logging.getLogger(name) for name in names])
    return _in_use[1]


def attempt_scope(secrets: tuple[str, ...]) -> contextvars.Token[tuple[str, ...] | None]:
    """Name `secrets` for the filter while an attempt is under way; return what `end_attempt` takes.

    The first attempt of the process to begin puts the filter on the loggers.
    """
    global _under_way
    with _lock:
        _under_way += 1
        if _under_way == 1:
            _filtered[:] = _loggers_in_use()
            # Sequential calls each put the filter on and take it off again: the common
            # cases (no filters; ours first) are kept to a few bytecodes per logger.
            for logger in _filtered:
                filters = logger.filters
                if not filters:
                    filters.append(_FILTER)  # the usual case: the logger has no filter of its own
                elif _FILTER not in filters:
                    filters.insert(0, _FILTER)  # before the application's own filters see the record
    return attempt_secrets.set(secrets)


def end_attempt(token: contextvars.Token[tuple[str, ...] | None]) -> None:
    """Restore the secrets named before `attempt_scope` (an outer attempt's, or none).

    The last attempt of the process to end takes the filter off the loggers.
    """
    global _under_way
    attempt_secrets.reset(token)
    with _lock:
        _under_way -= 1
        if _under_way == 0:
            for logger in _filtered:
                filters = logger.filters
                if filters and filters[0] is _FILTER:
                    del filters[0]  # where it was put (logger.removeFilter would scan the list twice)
                elif _FILTER in filters:
                    filters.remove(_FILTER)
