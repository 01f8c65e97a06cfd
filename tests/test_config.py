"""Config: base URLs, checks on construction, and reading the environment."""

from __future__ import annotations

import pytest

import gr4vy_fn as g

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
    assert g.Config(**kwargs).base_url == base_url  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs gr4vy_id"),
        ({"gr4vy_id": "acme", "environment": "staging"}, "environment"),
        ({"gr4vy_id": "ACME.evil.com/"}, "gr4vy_id"),
        ({"server_url": "ftp://x"}, "server_url"),
        ({"server_url": "http://x/?q=1"}, "server_url"),
        ({"server_url": "http://x\r\n"}, "server_url"),
        ({"gr4vy_id": "acme", "bearer_token": f"{TOKEN}\r\nX-Evil: 1"}, "bearer_token"),
        ({"gr4vy_id": "acme", "bearer_token": 5}, "bearer_token"),
        ({"gr4vy_id": "acme", "merchant_account_id": "a\nb"}, "merchant_account_id"),
        ({"gr4vy_id": "acme", "timeout": 5}, "timeout"),
        ({"gr4vy_id": "acme", "retry": 3}, "retry"),
    ],
)
def test_invalid_settings_raise_naming_the_setting(kwargs: dict[str, object], message: str) -> None:
    """A bad setting raises ValueError naming it, never showing a token."""
    with pytest.raises(ValueError, match=message) as caught:
        g.Config(**kwargs)  # type: ignore[arg-type]
    assert TOKEN not in str(caught.value)


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


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "GR4VY_ID"),
        ({"GR4VY_ID": "  "}, "GR4VY_ID"),
        ({"GR4VY_ID": "acme"}, "GR4VY_BEARER_TOKEN, GR4VY_PRIVATE_KEY or GR4VY_PRIVATE_KEY_FILE"),
        ({"GR4VY_ID": "acme", "GR4VY_BEARER_TOKEN": "t", "GR4VY_ENVIRONMENT": "prod"}, "GR4VY_ENVIRONMENT"),
        (
            {"GR4VY_ID": "acme", "GR4VY_BEARER_TOKEN": "t", "GR4VY_PRIVATE_KEY": "k"},
            "only one of GR4VY_BEARER_TOKEN, GR4VY_PRIVATE_KEY",
        ),
        ({"GR4VY_ID": "a/b", "GR4VY_BEARER_TOKEN": "t"}, "GR4VY_ID must be"),
        ({"GR4VY_SERVER_URL": "nope", "GR4VY_BEARER_TOKEN": "t"}, "GR4VY_SERVER_URL must be"),
        ({"GR4VY_ID": "acme", "GR4VY_BEARER_TOKEN": f"{TOKEN}\x01"}, "GR4VY_BEARER_TOKEN must be"),
        (
            {"GR4VY_ID": "acme", "GR4VY_BEARER_TOKEN": "t", "GR4VY_MERCHANT_ACCOUNT_ID": "a\x7fb"},
            "GR4VY_MERCHANT_ACCOUNT_ID",
        ),
    ],
)
def test_from_env_errors_name_the_variable(environ: dict[str, str], message: str) -> None:
    """A missing or contradictory variable raises ValueError naming the variable, never its secret value."""
    with pytest.raises(ValueError, match=message) as caught:
        g.Config.from_env(environ)
    assert TOKEN not in str(caught.value)


def test_timeout_rejects_nonsense() -> None:
    """Timeouts are positive, finite numbers of seconds or None."""
    assert g.Timeout(connect=None, read=1).connect is None
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="timeout"):
            g.Timeout(connect=bad)
    with pytest.raises(TypeError, match="timeout"):
        g.Timeout(read="5")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="timeout"):
        g.Timeout(read=True)
