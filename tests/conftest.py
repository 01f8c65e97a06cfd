"""Shared fixtures: a loopback server, configs that never wait, the OpenAPI document, the docs' type check."""

from __future__ import annotations

import gc
import io
import json
import ssl
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import fresh_python
import jsonschema
import pytest
from doc_examples import TYPE_CHECK, TypeCheck
from loopback import LoopbackServer
from referencing import Registry, Resource

import gr4vy_fn as g

SAMPLES = Path(__file__).parent / "samples"
OPENAPI = Path(__file__).parent / "data" / "checkout-sessions.openapi.json"  # MIT, Gr4vy: see data/
SESSION_ID = "8724fd24-5489-4a5d-90fd-0604df7d3b83"


# For HTTP clients that only ever talk plain http to loopback: one context, built once, trusting
# nothing (a client's default context loads the system's certificate store, ~25 ms each time).
PLAIN_HTTP_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def sample(name: str) -> bytes:
    """Return the bytes of a recorded response body."""
    return (SAMPLES / name).read_bytes()


class FakeTime:
    """The one fake clock of the suite: it moves only when someone sleeps or a test moves `now`.

    `clock` is monotonic seconds, `wall` the matching Unix time, `utc` the same as a datetime.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now

    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.wall(), timezone.utc)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def fast_policy(fake: FakeTime | None = None, **kwargs: Any) -> g.RetryPolicy:
    """A retry policy whose waits are recorded instead of slept, with no jitter."""
    fake = fake or FakeTime()
    return g.RetryPolicy(
        sleep=fake.sleep, clock=fake.clock, wall_clock=fake.wall, random=lambda: 0.0, **kwargs
    )


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run the command line in-process; return its exit status, standard output and standard error."""
    from gr4vy_fn._cli import main

    out, err = io.StringIO(), io.StringIO()
    return main(list(args), out, err), out.getvalue(), err.getvalue()


def make_config(url: str = "http://127.0.0.1:9", **kwargs: Any) -> g.Config:
    kwargs.setdefault("bearer_token", "test-token")
    kwargs.setdefault("retry", fast_policy())
    return g.Config(server_url=url, **kwargs)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    loopback = LoopbackServer()
    try:
        yield loopback
    finally:
        loopback.close()


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def request_schema(openapi: dict[str, Any], path: str, method: str) -> Any:
    """A validator for the request body of one operation of the API's OpenAPI document."""
    registry: Registry[Any] = Registry().with_resource("urn:openapi", Resource.opaque(openapi))
    operation = openapi["paths"][path][method]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    resolved = json.loads(json.dumps(schema).replace('"#/components', '"urn:openapi#/components'))
    return jsonschema.Draft202012Validator(
        resolved, registry=registry, format_checker=jsonschema.FormatChecker()
    )


@pytest.fixture(scope="session")
def docs_type_check() -> TypeCheck:
    """mypy over the docs' examples, running in the background since collection ended."""
    TYPE_CHECK.start()
    return TYPE_CHECK


def _awaits_the_type_check(item: pytest.Item) -> bool:
    return "docs_type_check" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that await the docs' type check last, so that it has the whole run to finish in."""
    items.sort(key=_awaits_the_type_check)  # stable: every other test keeps its place


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fresh_python(run): the test reads the output of a FreshPython run (tests/fresh_python.py)"
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start what the selected tests will wait for (the docs' type check, fresh interpreters) beside them."""
    if any(_awaits_the_type_check(item) for item in session.items):
        TYPE_CHECK.start()
    fresh_python.start_marked(session.items)
    # What collection made (modules, strategies, the schema) lives for the whole run: frozen, it is
    # left out of the full collections that would otherwise walk it again some twenty times.
    gc.collect()
    gc.freeze()


def pytest_sessionfinish() -> None:
    """End the background work no test awaited (a run stopped early), and clean up after it."""
    TYPE_CHECK.stop()
    fresh_python.stop()
