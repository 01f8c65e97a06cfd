"""Log records of the HTTP libraries under a call, scrubbed of its secrets before any handler sees them.

urllib3, requests, httpx, httpcore and aiohttp log what a server sent (a header
block urllib3 cannot parse, at WARNING; every response header, at DEBUG), and a
server may echo the bearer token or the card number there. While an attempt is
under way, the attempt engine names its secrets (`attempt_secrets`), and a
filter on each of these libraries' loggers scrubs every record they make (its
message, its traceback's text, its stack) as error values are scrubbed
(gr4vy_fn._redact); a record made outside an attempt (a transport used on its
own) is scrubbed by the rules that need no request. A logger that logs nothing
at its level costs nothing: filters run only on the records made.
"""

from __future__ import annotations

import contextvars
import logging

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
    "gr4vy_fn",
)
"""The loggers of the libraries under the shipped transports (and this package's own)."""

attempt_secrets: contextvars.ContextVar[tuple[tuple[str, ...], str] | None] = contextvars.ContextVar(
    "gr4vy_fn_attempt_secrets", default=None
)
"""The request's own secrets and its Authorization header, while one of its attempts is under way."""


class _ScrubSecrets(logging.Filter):
    """Scrub every record (of the call's secrets too, during an attempt); let every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        in_call = attempt_secrets.get()
        secrets: tuple[str, ...] = ()
        if in_call is not None:
            secrets, authorization = in_call
            token = authorization.removeprefix("Bearer ")
            secrets = (*secrets, token) if token else secrets
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its message: shown as the library made it
            message = str(record.msg)
        record.msg, record.args = scrub(message, secrets), None
        if record.exc_info:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, scrub(text, secrets)
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, secrets)
        return True


_FILTER = _ScrubSecrets()


def scrub_library_logs() -> None:
    """Put the scrubbing filter on every logger of LIBRARY_LOGGERS (once: it is one shared filter)."""
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
