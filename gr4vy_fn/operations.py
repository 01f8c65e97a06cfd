"""Pure request builders, one per operation: no I/O, no clock, no environment.

Each returns a `Request` describing the call; `send` (or any HTTP client of
yours, with `prepare` and `decode`) carries it out. Invalid input raises
ValidationError here, so nothing invalid ever leaves the process.
"""

from .request._operations import (
    Request,
    delete_checkout_session,
    get_checkout_session,
    new_checkout_session,
    update_checkout_session,
    update_checkout_session_fields,
)

__all__ = [
    "Request",
    "delete_checkout_session",
    "get_checkout_session",
    "new_checkout_session",
    "update_checkout_session",
    "update_checkout_session_fields",
]
