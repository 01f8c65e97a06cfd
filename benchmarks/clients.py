"""The clients measured, each run in its own fresh process by run.py.

`python clients.py warm NAME URL CALLS` prints the per-call times (ns) of CALLS warm calls.
`python clients.py cold NAME URL` makes one first call (the time is taken from outside).
"""

from __future__ import annotations

import json
import sys
import time

SESSION_ID = "8724fd24-5489-4a5d-90fd-0604df7d3b83"
TOKEN = "bench-token"  # noqa: S105 - a loopback benchmark's


def floor_client(url: str):  # type: ignore[no-untyped-def]
    """A bare urllib3 PoolManager and json.loads: the least any client can do."""
    import urllib3

    pool = urllib3.PoolManager()
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    target = f"{url}/checkout/sessions/{SESSION_ID}"

    def call() -> object:
        return json.loads(pool.request("GET", target, headers=headers).data)

    return call


def deps_floor_client(url: str):  # type: ignore[no-untyped-def]
    """The floor client after importing what gr4vy_fn depends on: attrs and cattrs too."""
    import attrs  # noqa: F401
    import cattrs  # noqa: F401

    return floor_client(url)


def gr4vy_fn_client(url: str):  # type: ignore[no-untyped-def]
    import gr4vy_fn

    config = gr4vy_fn.Config(server_url=url, bearer_token=TOKEN)

    def call() -> object:
        return gr4vy_fn.get_checkout_session(SESSION_ID, config=config)

    return call


def official_client(url: str):  # type: ignore[no-untyped-def]
    """The official SDK, when installed."""
    from gr4vy import Gr4vy  # type: ignore[import-not-found]

    sdk = Gr4vy(bearer_auth=TOKEN, server_url=url)

    def call() -> object:
        return sdk.checkout_sessions.get(session_id=SESSION_ID)

    return call


CLIENTS = {
    "urllib3": floor_client,
    "deps": deps_floor_client,
    "gr4vy_fn": gr4vy_fn_client,
    "official": official_client,
}


def main() -> None:
    mode, name, url = sys.argv[1:4]
    call = CLIENTS[name](url)
    if mode == "cold":
        call()
        return
    calls = int(sys.argv[4])
    for _ in range(max(50, calls // 10)):
        call()
    times = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        started = clock()
        call()
        times.append(clock() - started)
    print(json.dumps(times))


if __name__ == "__main__":
    main()
