"""A canned HTTP/1.1 keep-alive server for benchmarks: one fixed answer, as fast as asyncio goes.

Run as `python canned_server.py BODY_FILE [STATUS]` (STATUS 200 unless given): prints its port,
then serves until stdin closes.
"""

from __future__ import annotations

import asyncio
import sys
from http import HTTPStatus


class Canned(asyncio.Protocol):
    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            length = 0
            marker = head.find(b"content-length:")
            if marker >= 0:
                length = int(head[marker + 15 :].split(b"\r\n", 1)[0])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(self.answer)  # type: ignore[attr-defined]


async def main(body: bytes, status: int) -> None:
    answer = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()
        + b"Content-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Canned(answer), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as source:
        asyncio.run(main(source.read(), int(sys.argv[2]) if len(sys.argv) > 2 else 200))
