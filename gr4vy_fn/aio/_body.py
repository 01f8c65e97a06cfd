"""Reading an answer's body under the size limit, for the async transports."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ..errors import ResponseTooLarge


async def read_limited(
    chunks: AsyncIterator[bytes], *, declared: str | None, status: int, limit: int
) -> bytes:
    """Return the whole body, or raise ResponseTooLarge as soon as it is known to be over `limit` bytes.

    A declared Content-Length over the limit is refused before reading a byte.
    The caller closes the connection when this raises: it was not read to the end.
    """
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(
            message=f"the body ({declared} bytes) is over the limit of {limit}", status=status
        )
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge(message=f"the body is over the limit of {limit} bytes", status=status)
        parts.append(chunk)
    return b"".join(parts)
