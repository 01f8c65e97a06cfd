"""The clients measured, each run in its own fresh process by run.py.

`python clients.py warm NAME URL CALLS` prints the per-call times (ns) of CALLS warm calls.
`python clients.py cold NAME URL` makes one first call (the time is taken from outside).
`python clients.py threads NAME URL CALLS` prints calls per second of CALLS warm calls shared
by 8 threads, after a warm-up in each.
"""

from __future__ import annotations

import json
import sys
import threading
import time

SESSION_ID = "8724fd24-5489-4a5d-90fd-0604df7d3b83"
TOKEN = "bench-token"  # noqa: S105 - a loopback benchmark's
CREATE_ITEMS = 20
THREADS = 8


def floor_client(url: str):  # type: ignore[no-untyped-def]
    """A bare urllib3 PoolManager and json.loads: the least any client can do."""
    import urllib3

    pool = urllib3.PoolManager(maxsize=THREADS)  # as the default transport, a connection per thread kept
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


def cart_item(n: int) -> dict[str, object]:
    """The wire shape of cart item `n` of a create (the answer's items are run.py's)."""
    return {
        "name": f"Item {n}",
        "quantity": 1 + n % 3,
        "unit_amount": 1000 + n,
        "tax_amount": 80,
        "sku": f"sku-{n}",
        "categories": ["camera", "outdoor"],
        "product_type": "physical",
    }


def floor_create_client(url: str):  # type: ignore[no-untyped-def]
    """A create the least any client can do it: json.dumps a dict, POST it with urllib3, json.loads."""
    import urllib3

    pool = urllib3.PoolManager()
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    target = f"{url}/checkout/sessions"

    def call() -> object:
        items = [cart_item(n) for n in range(CREATE_ITEMS)]
        body = json.dumps({"cart_items": items, "metadata": {"order": "1042"}}).encode()
        return json.loads(pool.request("POST", target, body=body, headers=headers).data)

    return call


def gr4vy_fn_create_client(url: str):  # type: ignore[no-untyped-def]
    """The same create through gr4vy_fn: models built (their rules checked), sent, decoded."""
    import gr4vy_fn

    config = gr4vy_fn.Config(server_url=url, bearer_token=TOKEN)

    def call() -> object:
        items = [gr4vy_fn.CartItem(**cart_item(n)) for n in range(CREATE_ITEMS)]  # type: ignore[arg-type]
        body = gr4vy_fn.CheckoutSessionCreateRequest(cart_items=items, metadata={"order": "1042"})
        session = gr4vy_fn.new_checkout_session(body, config=config)
        assert isinstance(session, gr4vy_fn.CheckoutSession), session
        return session

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
    "urllib3-create": floor_create_client,
    "gr4vy_fn-create": gr4vy_fn_create_client,
}


def throughput(call, calls: int) -> float:  # type: ignore[no-untyped-def]
    """Calls per second of `calls` calls made by THREADS threads sharing `call`'s client."""
    share = calls // THREADS
    ready = threading.Barrier(THREADS + 1)

    def work() -> None:
        for _ in range(10):  # each thread's warm-up: its connection opened, its first call made
            call()
        ready.wait()
        ready.wait()
        for _ in range(share):
            call()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    ready.wait()  # every thread warmed up
    started = time.perf_counter()
    ready.wait()
    for thread in threads:
        thread.join()
    return share * THREADS / (time.perf_counter() - started)


def main() -> None:
    mode, name, url = sys.argv[1:4]
    call = CLIENTS[name](url)
    if mode == "cold":
        call()
        return
    calls = int(sys.argv[4])
    if mode == "threads":
        print(json.dumps([throughput(call, calls)]))
        return
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
