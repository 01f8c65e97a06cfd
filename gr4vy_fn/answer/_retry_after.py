"""Reading the Retry-After header: delta-seconds or an HTTP date; no I/O."""

from __future__ import annotations

import math
from collections.abc import Mapping
from email.utils import parsedate_to_datetime


def _epoch(http_date: str) -> float | None:
    try:
        return parsedate_to_datetime(http_date).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Return the seconds a server asked to wait, or None when it did not say (or said nonsense).

    An HTTP date is measured from the response's own `Date` header when there is
    one (the server's clock), else from `now` (seconds since the epoch).
    """
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    when = _epoch(value)
    if when is None:
        return None
    date = headers.get("date")
    base = _epoch(date) if date is not None else None
    if base is None:
        base = now
    if base is None:
        return None
    return max(0.0, when - base)
