"""Config: base URLs, checks on construction, and reading the environment."""

from __future__ import annotations

import re

import pytest

import gr4vy_fn as g
from gr4vy_fn.config import ENV_VARIABLES, env_snapshot

TOKEN = "secret-token-value"


@pytest.mark.parametrize(
    ("kwargs", "base_url"),
    [
        ({"gr4vy_id": "acme"}, "https://api.acme.gr4vy.app"),
        ({"gr4vy_id": "acme", "environment": "sandbox"}, "https://api.sandbox.acme.gr4vy.app"),
        ({"gr4vy_id": "acme", "server_url": "http://127.0.0.1:4010/"}, "http://127.0.0.1:4010"),
        ({"server_url": "https://proxy.example.com/gr4vy"}, "https://proxy.example.com/gr4vy"),
    ],
)
def test_base_url(kwargs: dict[str, str], base_url: str) -> None:
    """The base URL is server_url when given, else production or sandbox for the instance id."""
    assert g.Config(bearer_token=TOKEN, **kwargs).base_url == base_url  # type: ignore[arg-type]


T = {"bearer_token": TOKEN}


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        (T, "Config"),
        ({**T, "gr4vy_id": "acme", "environment": "staging"}, "Config.environment"),
        ({**T, "gr4vy_id": "ACME.evil.com/"}, "Config.gr4vy_id"),
        ({**T, "server_url": "ftp://x"}, "Config.server_url"),
        ({**T, "server_url": "https://x/?q=1"}, "Config.server_url"),
        ({**T, "server_url": "https://x\r\n"}, "Config.server_url"),
        ({"gr4vy_id": "acme", "bearer_token": f"{TOKEN}\r\nX-Evil: 1"}, "Config.bearer_token"),
        ({"gr4vy_id": "acme", "bearer_token": 5}, "Config.bearer_token"),
        ({"gr4vy_id": "acme", "bearer_token": ""}, "Config.bearer_token"),
        ({"server_url": "http://127.0.0.1:4010", "bearer_token": "  "}, "Config.bearer_token"),
        ({"gr4vy_id": "acme"}, "Config.bearer_token"),
        ({"server_url": "https://proxy.example.com"}, "Config.bearer_token"),
        ({**T, "gr4vy_id": "acme", "merchant_account_id": "a\nb"}, "Config.merchant_account_id"),
        ({**T, "gr4vy_id": "acme", "timeout": 5}, "Config.timeout"),
        ({**T, "gr4vy_id": "acme", "retry": 3}, "Config.retry"),
        ({**T, "gr4vy_id": "acme", "allow_insecure_http": "yes"}, "Config.allow_insecure_http"),
    ],
)
def test_invalid_settings_raise_validation_error_naming_the_setting(
    kwargs: dict[str, object], path: str
) -> None:
    """A bad, empty or missing setting raises ValidationError with its path, never showing a token."""
    with pytest.raises(g.ValidationError) as caught:
        g.Config(**kwargs)  # type: ignore[arg-type]
    assert caught.value.path == path
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:4010",
        "http://127.8.9.10",
        "http://localhost:1/x",
        "http://[::1]:4010",
        "http://LOCALHOST",
    ],
)
def test_a_server_on_loopback_needs_no_token_and_may_be_plain_http(url: str) -> None:
    """The emulator is recognised by a loopback server_url: http:// is fine and the token may be left out."""
    assert g.Config(server_url=url).bearer_token is None


@pytest.mark.parametrize(
    "url",
    ["http://api.acme.gr4vy.app", "http://10.0.0.1:4010", "http://localhost.example.com", "http://[::2]"],
)
def test_plain_http_off_loopback_needs_an_explicit_yes(url: str) -> None:
    """http:// to another host is refused unless allow_insecure_http=True says so."""
    with pytest.raises(g.ValidationError, match="allow_insecure_http=True") as caught:
        g.Config(server_url=url, bearer_token=TOKEN)
    assert caught.value.path == "Config.server_url"
    assert g.Config(server_url=url, bearer_token=TOKEN, allow_insecure_http=True).base_url == url


@pytest.mark.parametrize(
    "url",
    ["https://user:hunter2@proxy.example.com", "http://:hunter2@127.0.0.1:4010", "https://hunter2@x.com/p"],
)
def test_credentials_in_the_url_are_refused_without_showing_them(url: str) -> None:
    """user:password@ in server_url is refused, and neither the password nor the URL is in the error."""
    with pytest.raises(g.ValidationError, match="credentials") as caught:
        g.Config(server_url=url, bearer_token=TOKEN)
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(caught.value)
    with pytest.raises(g.ValidationError) as from_env:
        g.Config.from_env({"GR4VY_SERVER_URL": url, "GR4VY_BEARER_TOKEN": TOKEN})
    assert from_env.value.path == "GR4VY_SERVER_URL"
    assert "hunter2" not in str(from_env.value)


def test_repr_hides_the_token() -> None:
    """A Config's repr never shows the bearer token."""
    assert TOKEN not in repr(g.Config(gr4vy_id="acme", bearer_token=TOKEN))


def test_from_env_reads_every_variable() -> None:
    """from_env maps each GR4VY_* variable to its setting."""
    config = g.Config.from_env(
        {
            "GR4VY_ID": "acme",
            "GR4VY_ENVIRONMENT": "sandbox",
            "GR4VY_BEARER_TOKEN": TOKEN,
            "GR4VY_MERCHANT_ACCOUNT_ID": "default",
        }
    )
    assert (config.base_url, config.bearer_token, config.merchant_account_id) == (
        "https://api.sandbox.acme.gr4vy.app",
        TOKEN,
        "default",
    )
    assert g.Config.from_env(
        {"GR4VY_SERVER_URL": "http://127.0.0.1:1", "GR4VY_BEARER_TOKEN": "t"}
    ).base_url == ("http://127.0.0.1:1")
    insecure = g.Config.from_env(
        {
            "GR4VY_SERVER_URL": "http://gr4vy-emulator:4010",
            "GR4VY_ALLOW_INSECURE_HTTP": "true",
            "GR4VY_BEARER_TOKEN": "t",
        }
    )
    assert insecure.allow_insecure_http


def test_from_env_needs_no_token_for_a_server_on_loopback() -> None:
    """GR4VY_SERVER_URL on loopback with no token source gives a Config without a token."""
    assert g.Config.from_env({"GR4VY_SERVER_URL": "http://localhost:4010"}).bearer_token is None


@pytest.mark.parametrize(
    ("environ", "path", "message"),
    [
        ({}, "GR4VY_ID", "or GR4VY_SERVER_URL"),
        ({"GR4VY_ID": "  "}, "GR4VY_ID", "missing"),
        ({"GR4VY_ID": "acme"}, "GR4VY_BEARER_TOKEN", "GR4VY_PRIVATE_KEY or GR4VY_PRIVATE_KEY_FILE"),
        ({"GR4VY_SERVER_URL": "https://proxy.example.com"}, "GR4VY_BEARER_TOKEN", "missing"),
        (
            {"GR4VY_ID": "acme", "GR4VY_BEARER_TOKEN": "t", "GR4VY_ENVIRONMENT": "prod"},
            "GR4VY_ENVIRONMENT",
            "must",
        ),
        (
            {"GR4VY_ID": "acme", "GR4VY_BEARER_TOKEN": "t", "GR4VY_PRIVATE_KEY": "k"},
            "GR4VY_BEARER_TOKEN",
            "only one of GR4VY_BEARER_TOKEN, GR4VY_PRIVATE_KEY",
        ),
        ({"GR4VY_ID": "a/b", "GR4VY_BEARER_TOKEN": "t"}, "GR4VY_ID", "must be"),
        ({"GR4VY_SERVER_URL": "nope", "GR4VY_BEARER_TOKEN": "t"}, "GR4VY_SERVER_URL", "must be"),
        (
            {"GR4VY_SERVER_URL": "http://gr4vy-emulator:4010", "GR4VY_BEARER_TOKEN": "t"},
            "GR4VY_SERVER_URL",
            "GR4VY_ALLOW_INSECURE_HTTP=1",
        ),
        (
            {
                "GR4VY_SERVER_URL": "http://x:1",
                "GR4VY_BEARER_TOKEN": "t",
                "GR4VY_ALLOW_INSECURE_HTTP": "maybe",
            },
            "GR4VY_ALLOW_INSECURE_HTTP",
            "must be 1",
        ),
        ({"GR4VY_ID": "acme", "GR4VY_BEARER_TOKEN": f"{TOKEN}\x01"}, "GR4VY_BEARER_TOKEN", "must be"),
        (
            {"GR4VY_ID": "acme", "GR4VY_BEARER_TOKEN": "t", "GR4VY_MERCHANT_ACCOUNT_ID": "a\x7fb"},
            "GR4VY_MERCHANT_ACCOUNT_ID",
            "control characters",
        ),
    ],
)
def test_from_env_errors_name_the_variable(environ: dict[str, str], path: str, message: str) -> None:
    """A missing, bad or contradictory variable raises ValidationError naming it, never its secret value."""
    with pytest.raises(g.ValidationError, match=message) as caught:
        g.Config.from_env(environ)
    assert caught.value.path == path
    assert TOKEN not in str(caught.value)


def test_every_variable_from_env_reads_is_in_the_shared_list() -> None:
    """The names exported for the default-config cache are exactly the ones from_env documents."""
    documented = g.Config.from_env.__doc__ or ""
    assert sorted(set(re.findall(r"GR4VY_[A-Z_]+", documented))) == sorted(ENV_VARIABLES)
    assert env_snapshot({"GR4VY_ID": "acme"}) == ("acme",) + (None,) * (len(ENV_VARIABLES) - 1)


def test_timeout_rejects_nonsense() -> None:
    """A timeout is None or a positive, finite number; anything else is a ValidationError naming the field."""
    assert g.Timeout(connect=None, read=1).connect is None
    assert g.Timeout(read=2).read == 2.0
    for field in ("connect", "read", "total"):
        for bad in (0, -1, -0.5, float("nan"), float("inf"), "5", True):
            with pytest.raises(g.ValidationError) as caught:
                g.Timeout(**{field: bad})  # type: ignore[arg-type]
            assert caught.value.path == f"Timeout.{field}"


@pytest.mark.parametrize("remaining", [0.0, 0.5, 3.0, 100.0])
def test_a_clipped_timeout_is_a_timeout_like_any_other(remaining: float) -> None:
    """clipped() cuts each limit (None too) to the time left, at least 1 ms, into a frozen, equal Timeout."""
    timeout = g.Timeout(connect=2.0, read=None, total=10.0)
    clipped = timeout.clipped(remaining)
    left = max(remaining, 0.001)
    expected = g.Timeout(connect=min(2.0, left), read=left, total=min(10.0, left))
    assert clipped == expected
    assert hash(clipped) == hash(expected)
    assert repr(clipped) == repr(expected)
    with pytest.raises(AttributeError):
        clipped.read = 1.0  # type: ignore[misc]
