"""Scrubbing of secrets from text this package shows: excerpts and server messages."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"
# Anything that looks like a card number (a run of 12 to 19 digits, maybe
# grouped by spaces, dashes or dots, maybe written as JSON escapes such as
# \u0034) is hidden, whether or not this request sent it.
_DIGIT = r"(?:\d|\\u003[0-9])"
_CARD_LIKE = re.compile(rf"(?<!\d)(?:{_DIGIT}[ .-]?){{11,18}}{_DIGIT}(?!\d)")
# A bearer token an error page echoes back, and anything shaped like a JWT.
_TOKEN_LIKE = re.compile(r"(?i)(?<=bearer )[^\s\"'<>,;]+|eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*")


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Return `text` with every secret, card-number-like digit run and bearer token replaced."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, REDACTED)
            if "\\u" in text:  # the secret written as JSON escapes, one per character
                for hex_format in ("\\u{:04x}", "\\u{:04X}"):
                    text = text.replace("".join(hex_format.format(ord(c)) for c in secret), REDACTED)
    return _TOKEN_LIKE.sub(REDACTED, _CARD_LIKE.sub(REDACTED, text))


def excerpt(body: bytes, secrets: Iterable[str] = (), limit: int = 256) -> str:
    """Return the start of `body` as text: scrubbed, then cut to `limit` characters."""
    # Scrub a window wider than the limit, so a secret cut by the limit is still found.
    text = scrub(body[: limit * 4].decode("utf-8", "replace"), secrets)
    return text if len(text) <= limit else text[:limit] + "…"
