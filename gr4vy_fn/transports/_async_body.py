"""Reading an answer's body under the size limit, for the async transports."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ._limits import Body, refuse_declared_over


async def read_limited(
    chunks: AsyncIterator[bytes], *, declared: str | None, encoding: str, status: int, limit: int
) -> bytes:
    """Return the whole body, inflated, or raise ResponseTooLarge once it is known to be over `limit` bytes.

    `chunks` are the bytes as sent; `encoding` is the Content-Encoding, undone
    here in bounded steps (see gr4vy_fn.transports._limits.Body). A declared Content-Length
    over the limit is refused before reading a byte. The caller closes the
    connection when this raises: it was not read to the end.
    """
    refuse_declared_over(declared, limit, status)
    body = Body(encoding, limit=limit, status=status)
    async for chunk in chunks:
        body.add(chunk)
    return body.whole()
