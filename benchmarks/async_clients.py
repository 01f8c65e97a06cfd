"""The async clients measured, each run in its own fresh process by run.py.

`python async_clients.py warm NAME URL CALLS` prints the per-call times (ns) of CALLS sequential warm calls.
`python async_clients.py burst NAME URL ROUNDS` prints calls per second, 100 calls in flight, per round.
`python async_clients.py cold NAME URL` imports the client and makes one first call.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable

SESSION_ID = "8724fd24-5489-4a5d-90fd-0604df7d3b83"
TOKEN = "bench-token"  # noqa: S105 - a loopback benchmark's
IN_FLIGHT = 100
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}

Call = Callable[[], Awaitable[object]]


async def bare_aiohttp(url: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    """A bare aiohttp session and json.loads: the floor for the aiohttp transport."""
    import aiohttp

    session = aiohttp.ClientSession()
    target = f"{url}/checkout/sessions/{SESSION_ID}"

    async def call() -> object:
        async with session.get(target, headers=HEADERS) as response:
            return json.loads(await response.read())

    return call, session.close


async def bare_httpx(url: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    """A bare httpx AsyncClient and json.loads: the floor for the httpx transport."""
    import httpx

    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)  # as HttpxTransport
    client = httpx.AsyncClient(limits=limits)
    target = f"{url}/checkout/sessions/{SESSION_ID}"

    async def call() -> object:
        return json.loads((await client.get(target, headers=HEADERS)).content)

    return call, client.aclose


def gr4vy_fn_with(adapter: str) -> Callable[[str], Awaitable[tuple[Call, Callable[[], Awaitable[None]]]]]:
    async def make(url: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
        import gr4vy_fn
        from gr4vy_fn import aio

        config = gr4vy_fn.Config(server_url=url, bearer_token=TOKEN)
        transport = aio.AiohttpTransport() if adapter == "aiohttp" else aio.HttpxTransport()

        async def call() -> object:
            return await aio.get_checkout_session(SESSION_ID, config=config, transport=transport)

        return call, transport.aclose

    return make


async def official(url: str) -> tuple[Call, Callable[[], Awaitable[None]]]:
    """The official SDK's get_async, when installed."""
    from gr4vy import Gr4vy  # type: ignore[import-not-found,unused-ignore]

    sdk = Gr4vy(bearer_auth=TOKEN, server_url=url)

    async def call() -> object:
        return await sdk.checkout_sessions.get_async(session_id=SESSION_ID)

    async def close() -> None:
        return None

    return call, close


CLIENTS = {
    "aiohttp": bare_aiohttp,
    "httpx": bare_httpx,
    "aio-aiohttp": gr4vy_fn_with("aiohttp"),
    "aio-httpx": gr4vy_fn_with("httpx"),
    "official-async": official,
}


async def main(mode: str, name: str, url: str, count: int) -> None:
    call, close = await CLIENTS[name](url)
    try:
        if mode == "cold":
            await call()
            return
        if mode == "warm":
            for _ in range(max(50, count // 10)):
                await call()
            times = []
            clock = time.perf_counter_ns
            for _ in range(count):
                started = clock()
                await call()
                times.append(clock() - started)
            print(json.dumps(times))
            return
        await asyncio.gather(*(call() for _ in range(IN_FLIGHT)))  # open the connections
        rates: list[float] = []
        for _ in range(count):
            began = time.perf_counter()
            await asyncio.gather(*(call() for _ in range(IN_FLIGHT)))
            rates.append(IN_FLIGHT / (time.perf_counter() - began))
        print(json.dumps(rates))
    finally:
        await close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0))
