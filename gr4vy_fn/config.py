"""Where and how to call the API: server, credentials, merchant account, time limits."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Literal

from attrs import field, frozen

from ._http import Timeout
from ._value import Value
from ._version import __version__
from .retry import RetryPolicy

USER_AGENT = f"gr4vy_fn/{__version__}"
_GR4VY_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_HEADER_VALUE = re.compile(r"[\x20-\x7e\x80-\xff\t]*")
_SERVER_URL = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")

BearerToken = str | Callable[[], str]


def header_value_ok(value: object) -> bool:
    """Say whether `value` can go in a header as it is (no CR, LF or other control characters)."""
    return isinstance(value, str) and _HEADER_VALUE.fullmatch(value) is not None


def _check_header(name: str, value: object) -> None:
    if value is not None and not header_value_ok(value):
        msg = f"Config.{name} must be a string without control characters (CR, LF, ...)"
        raise ValueError(msg)


@frozen(kw_only=True, eq=False, repr=False)
class Config(Value):
    """The settings of a call; frozen, so one Config is safely shared by every thread.

    The base URL is `server_url` when given, else Gr4vy's production or sandbox
    URL for `gr4vy_id`. `bearer_token` is a token, or a zero-argument callable
    returning one, called once per attempt (see `gr4vy_fn.auth.token_provider`).
    """

    gr4vy_id: str | None = None
    environment: Literal["production", "sandbox"] = "production"
    server_url: str | None = None
    bearer_token: BearerToken | None = field(default=None, repr=False)
    merchant_account_id: str | None = None
    timeout: Timeout = field(factory=Timeout)
    retry: RetryPolicy = field(factory=RetryPolicy)
    user_agent: str = USER_AGENT
    base_url: str = field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.environment not in ("production", "sandbox"):
            msg = "Config.environment must be 'production' or 'sandbox'"
            raise ValueError(msg)
        server_url: object = self.server_url
        gr4vy_id: object = self.gr4vy_id
        if server_url is not None:
            if not isinstance(server_url, str) or not _SERVER_URL.fullmatch(server_url):
                msg = "Config.server_url must be an http:// or https:// URL without a query"
                raise ValueError(msg)
            base = server_url.rstrip("/")
        elif gr4vy_id is not None:
            if not isinstance(gr4vy_id, str) or not _GR4VY_ID.fullmatch(gr4vy_id):
                msg = "Config.gr4vy_id must be your Gr4vy instance id (lower-case letters, digits, '-')"
                raise ValueError(msg)
            sandbox = "sandbox." if self.environment == "sandbox" else ""
            base = f"https://api.{sandbox}{gr4vy_id}.gr4vy.app"
        else:
            msg = "Config needs gr4vy_id (or server_url)"
            raise ValueError(msg)
        object.__setattr__(self, "base_url", base)
        token: object = self.bearer_token
        if isinstance(token, str):
            _check_header("bearer_token", token)
        elif token is not None and not callable(token):
            msg = "Config.bearer_token must be a string or a callable returning one"
            raise ValueError(msg)
        _check_header("merchant_account_id", self.merchant_account_id)
        _check_header("user_agent", self.user_agent)
        timeout: object = self.timeout
        retry: object = self.retry
        if not isinstance(timeout, Timeout):
            msg = "Config.timeout must be a Timeout"
            raise ValueError(msg)
        if not isinstance(retry, RetryPolicy):
            msg = "Config.retry must be a RetryPolicy"
            raise ValueError(msg)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Build a Config from GR4VY_* variables; a missing or contradictory one raises ValueError naming it.

        Reads GR4VY_ID, GR4VY_ENVIRONMENT, GR4VY_SERVER_URL, GR4VY_BEARER_TOKEN,
        GR4VY_PRIVATE_KEY or GR4VY_PRIVATE_KEY_FILE (needs the `jwt` extra) and
        GR4VY_MERCHANT_ACCOUNT_ID.
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        gr4vy_id, server_url = get("GR4VY_ID"), get("GR4VY_SERVER_URL")
        if gr4vy_id is None and server_url is None:
            msg = "set GR4VY_ID (your Gr4vy instance id) or GR4VY_SERVER_URL"
            raise ValueError(msg)
        environment = get("GR4VY_ENVIRONMENT") or "production"
        if environment not in ("production", "sandbox"):
            msg = "GR4VY_ENVIRONMENT must be 'production' or 'sandbox'"
            raise ValueError(msg)
        token_sources = [
            name
            for name in ("GR4VY_BEARER_TOKEN", "GR4VY_PRIVATE_KEY", "GR4VY_PRIVATE_KEY_FILE")
            if get(name) is not None
        ]
        if len(token_sources) > 1:
            msg = f"set only one of {', '.join(token_sources)}"
            raise ValueError(msg)
        if not token_sources:
            msg = "set GR4VY_BEARER_TOKEN, GR4VY_PRIVATE_KEY or GR4VY_PRIVATE_KEY_FILE"
            raise ValueError(msg)
        bearer: BearerToken
        source = token_sources[0]
        if source == "GR4VY_BEARER_TOKEN":
            bearer = get(source) or ""
        else:
            bearer = _provider_from_key(source, get(source) or "")
        try:
            return cls(
                gr4vy_id=gr4vy_id,
                environment=environment,  # type: ignore[arg-type]  # checked above
                server_url=server_url,
                bearer_token=bearer,
                merchant_account_id=get("GR4VY_MERCHANT_ACCOUNT_ID"),
            )
        except ValueError as exc:
            names = {
                "gr4vy_id": "GR4VY_ID",
                "server_url": "GR4VY_SERVER_URL",
                "bearer_token": source,
                "merchant_account_id": "GR4VY_MERCHANT_ACCOUNT_ID",
            }
            text = str(exc)
            for attribute, variable in names.items():
                text = text.replace(f"Config.{attribute}", variable)
            raise ValueError(text) from None


def private_key_text(source: str, value: str, *, is_path: bool) -> str:
    """Return the PEM text of a key given inline or as a file path; `source` names it in errors."""
    if not is_path:
        # Environments often carry a PEM with its newlines written as \n.
        return value.replace("\\n", "\n")
    try:
        with open(value, encoding="utf-8") as key_file:
            return key_file.read()
    except OSError as exc:
        msg = f"{source} could not be read ({exc.strerror})"
        raise ValueError(msg) from None


def _provider_from_key(variable: str, value: str) -> Callable[[], str]:
    """Turn GR4VY_PRIVATE_KEY (PEM text) or GR4VY_PRIVATE_KEY_FILE (a path) into a token provider."""
    try:
        from .auth import token_provider
    except ImportError as exc:
        msg = f"{variable} needs the jwt extra: pip install 'gr4vy_fn[jwt]'"
        raise ValueError(msg) from exc
    pem = private_key_text(variable, value, is_path=variable == "GR4VY_PRIVATE_KEY_FILE")
    try:
        return token_provider(pem)
    except ValueError as exc:
        raise ValueError(f"{variable}: {exc}") from None
