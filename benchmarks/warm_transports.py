"""Warm gets through every shipped transport, two revisions measured in the same run: what a change costs.

python benchmarks/warm_transports.py c462a54 HEAD      # any two git revisions

Each revision is exported and byte-compiled (see compare.py). One canned
loopback server answers a 1-item session; over five rounds, each revision in
turn runs in a fresh process that makes 300 warm gets per transport (the
default urllib3 one, requests, httpx, aiohttp and async httpx) and prints the
best of five mean times per get. Printed: per transport, the medians over the
rounds and the ratio of the second revision to the first.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from compare import export
from run import CannedServer, session_body

CHILD = r"""
import asyncio, json, sys, time
sys.path[:0] = [sys.argv[1]]
import gr4vy_fn as g
from gr4vy_fn import aio
from gr4vy_fn.transports import HttpxTransport, RequestsTransport, Urllib3Transport
config = g.Config(server_url=sys.argv[2], bearer_token="bench-token-0123456789")
ID = "8724fd24-5489-4a5d-90fd-0604df7d3b83"
CALLS, BEST_OF = 300, 5

def timed_sync(transport):
    g.unwrap(g.get_checkout_session(ID, config=config, transport=transport))
    best = float("inf")
    for _ in range(BEST_OF):
        started = time.perf_counter()
        for _ in range(CALLS):
            g.get_checkout_session(ID, config=config, transport=transport)
        best = min(best, (time.perf_counter() - started) / CALLS)
    transport.close()
    return best * 1e6

async def timed_async(transport):
    g.unwrap(await aio.get_checkout_session(ID, config=config, transport=transport))
    best = float("inf")
    for _ in range(BEST_OF):
        started = time.perf_counter()
        for _ in range(CALLS):
            await aio.get_checkout_session(ID, config=config, transport=transport)
        best = min(best, (time.perf_counter() - started) / CALLS)
    await transport.aclose()
    return best * 1e6

print(json.dumps({
    "urllib3": timed_sync(Urllib3Transport()),
    "requests": timed_sync(RequestsTransport()),
    "httpx": timed_sync(HttpxTransport()),
    "aio aiohttp": asyncio.run(timed_async(aio.AiohttpTransport())),
    "aio httpx": asyncio.run(timed_async(aio.HttpxTransport())),
}))
"""


def main() -> None:
    before, after = sys.argv[1:3] if len(sys.argv) >= 3 else ("main", "HEAD")
    server = CannedServer(session_body(1))
    try:
        with tempfile.TemporaryDirectory() as scratch:
            trees = {revision: export(revision, Path(scratch)) for revision in (before, after)}
            rounds: dict[str, list[dict[str, float]]] = {revision: [] for revision in trees}
            for _ in range(5):
                for revision, tree in trees.items():
                    child = [sys.executable, "-c", CHILD, str(tree), server.url]
                    done = subprocess.run(child, capture_output=True, text=True, check=True)
                    rounds[revision].append(json.loads(done.stdout))
    finally:
        server.close()
    print(f"| transport | {before} (µs per warm get) | {after} | {after} / {before} |")
    print("| --- | ---: | ---: | ---: |")
    for name in rounds[before][0]:
        old, new = (statistics.median(row[name] for row in rounds[revision]) for revision in (before, after))
        print(f"| {name} | {old:.0f} | {new:.0f} | {new / old:.2f} |")


if __name__ == "__main__":
    main()
