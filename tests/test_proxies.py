"""The default transport honours the environment's proxies as requests and httpx do, and can ignore them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import make_config
from pytest_mock import MockerFixture
from tagged_server import TaggedServer

import gr4vy_fn as g
from gr4vy_fn.transports import Urllib3Transport

API = "https://api.sandbox.acme.gr4vy.app"


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch, mocker: MockerFixture) -> Iterator[TaggedServer]:
    """A proxy on loopback that refuses every tunnel; the API's host name never resolves."""
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    real_getaddrinfo = socket.getaddrinfo

    def no_public_names(host: str, *args: Any, **kwargs: Any) -> Any:
        if host.endswith("gr4vy.app"):
            raise socket.gaierror(socket.EAI_NONAME, "not resolved in tests")
        return real_getaddrinfo(host, *args, **kwargs)

    mocker.patch("socket.getaddrinfo", side_effect=no_public_names)
    with TaggedServer(script=lambda tag: [b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"]) as server:
        yield server


def get(transport: g.Transport, url: str = API) -> Any:
    config = make_config(url, retry=g.RetryPolicy.none())
    return g.get_checkout_session("s", config=config, transport=transport)


def test_https_goes_through_the_environments_proxy(
    proxy: TaggedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With HTTPS_PROXY set, the call asks the proxy for a tunnel to the API's host."""
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    result = get(Urllib3Transport())
    assert proxy.targets == ["CONNECT api.sandbox.acme.gr4vy.app:443"]
    assert isinstance(result, g.ConnectError)
    assert not result.request_sent


@pytest.mark.parametrize("no_proxy", [".gr4vy.app", "acme.gr4vy.app", "*"])
def test_no_proxy_sends_directly(proxy: TaggedServer, monkeypatch: pytest.MonkeyPatch, no_proxy: str) -> None:
    """A host NO_PROXY names is reached directly (here its name does not resolve): the proxy sees nothing."""
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("no_proxy", no_proxy)
    result = get(Urllib3Transport())
    assert proxy.targets == []
    assert isinstance(result, g.ConnectError)


def test_trust_env_false_ignores_the_environment(
    proxy: TaggedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Urllib3Transport(trust_env=False) never uses the environment's proxies."""
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    get(Urllib3Transport(trust_env=False))
    assert proxy.targets == []


def test_loopback_is_never_proxied(proxy: TaggedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator on 127.0.0.1 or localhost is reached directly even with every proxy variable set."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("ALL_PROXY", proxy.url)
    with TaggedServer() as api:
        for host in ("127.0.0.1", "localhost"):
            result = get(Urllib3Transport(), api.url.replace("127.0.0.1", host))
            assert isinstance(result, g.CheckoutSession)
        # Config takes "localhost." as loopback (plain http, no token): it must not reach a proxy either.
        get(Urllib3Transport(), api.url.replace("127.0.0.1", "localhost."))
    assert proxy.targets == []
