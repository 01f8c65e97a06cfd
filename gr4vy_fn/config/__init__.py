"""Where and how to call the API: server, credentials, merchant account, time limits."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from attrs import field, frozen

from .._http import Timeout
from .._value import Value
from .._version import __version__
from ..errors import ValidationError
from ..hooks import HOOK_METHODS, Hook
from ..retry import RetryPolicy

USER_AGENT = f"gr4vy_fn/{__version__}"
TOKEN_ISSUER = f"gr4vy_fn v{__version__}"
_GR4VY_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_HEADER_VALUE = re.compile(r"[\x20-\x7e\x80-\xff\t]*")
_SERVER_URL = re.compile(r"(https?)://([^\s/?#]+)(/[^\s?#]*)?")
_HOST_AND_PORT = re.compile(r"(\[[^\]]*\]|[^:]*)(?::\d*)?")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})

BearerToken = str | Callable[[], str]

ENV_VARIABLES = (
    "GR4VY_ID",
    "GR4VY_ENVIRONMENT",
    "GR4VY_SERVER_URL",
    "GR4VY_BEARER_TOKEN",
    "GR4VY_PRIVATE_KEY",
    "GR4VY_PRIVATE_KEY_FILE",
    "GR4VY_MERCHANT_ACCOUNT_ID",
    "GR4VY_ALLOW_INSECURE_HTTP",
)
"""Every variable `Config.from_env` reads: a config built from them changes when one of these does."""
_KEY_SOURCES = ("GR4VY_PRIVATE_KEY", "GR4VY_PRIVATE_KEY_FILE")
_YES = frozenset({"1", "true", "yes", "on"})
_NO = frozenset({"0", "false", "no", "off"})

# What `Config.from_env` uses instead of the default RetryPolicy; the pytest
# fixture sets a fast one, so code under test that calls with no config never
# waits out production back-off.
_env_retry_policy: RetryPolicy | None = None


def header_value_ok(value: object) -> bool:
    """Say whether `value` can go in a header as it is (no CR, LF or other control characters)."""
    return isinstance(value, str) and _HEADER_VALUE.fullmatch(value) is not None


def _check_header(name: str, value: object) -> None:
    if value is not None and not header_value_ok(value):
        raise ValidationError(f"Config.{name}", "must be a string without control characters (CR, LF, ...)")


def is_loopback_url(url: str) -> bool:
    """Say whether `url` is http(s) to 127.0.0.0/8, ::1 or localhost: how the emulator is recognised."""
    match = _SERVER_URL.fullmatch(url)
    if match is None:
        return False
    host_match = _HOST_AND_PORT.fullmatch(match.group(2).rpartition("@")[2])
    host = host_match.group(1).strip("[]").lower() if host_match else ""
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_server_url(url: object, allow_insecure_http: bool) -> str:
    """Return the base URL; refuse credentials in it, and plain http:// off loopback unless allowed.

    Neither the URL nor any part of it goes into the error: it may hold a password.
    """
    if not isinstance(url, str) or (match := _SERVER_URL.fullmatch(url)) is None:
        raise ValidationError("Config.server_url", "must be an http:// or https:// URL without a query")
    if "@" in match.group(2):
        raise ValidationError(
            "Config.server_url", "must not hold credentials (user:password@); give the token as bearer_token"
        )
    if match.group(1) == "http" and not allow_insecure_http and not is_loopback_url(url):
        # Plain HTTP would carry card data and the token in clear across the network.
        raise ValidationError(
            "Config.server_url",
            "http:// is allowed only to loopback (127.0.0.1, localhost, [::1]): use https://, "
            "or pass allow_insecure_http=True",
        )
    return url.rstrip("/")


def _hooks(hooks: object) -> tuple[Hook, ...]:
    if isinstance(hooks, (str, bytes)) or not isinstance(hooks, Iterable):
        raise ValidationError("Config.hooks", "must be a sequence of hook objects (see gr4vy_fn.hooks)")
    kept = tuple(hooks)
    for hook in kept:
        if not any(callable(getattr(hook, method, None)) for method in HOOK_METHODS):
            raise ValidationError(
                "Config.hooks", f"each hook needs one of the methods {', '.join(HOOK_METHODS)}"
            )
    return kept


@frozen(kw_only=True, eq=False, repr=False)
class Config(Value):
    """The settings of a call; frozen, so one Config is safely shared by every thread.

    The base URL is `server_url` when given, else Gr4vy's production or sandbox
    URL for `gr4vy_id`. `bearer_token` is a token, or a zero-argument callable
    returning one, called once per attempt (see `gr4vy_fn.auth.token_provider`);
    only a server on loopback (the emulator) may go without one. `server_url`
    may be plain `http://` only on loopback, unless `allow_insecure_http` is True.
    `hooks` are told of each call, attempt and result (see gr4vy_fn.hooks).
    Raises ValidationError naming the setting, never showing a token or URL.
    """

    gr4vy_id: str | None = None
    environment: Literal["production", "sandbox"] = "production"
    server_url: str | None = None
    bearer_token: BearerToken | None = field(default=None, repr=False)
    merchant_account_id: str | None = None
    timeout: Timeout = field(factory=Timeout)
    retry: RetryPolicy = field(factory=RetryPolicy)
    user_agent: str = USER_AGENT
    allow_insecure_http: bool = False
    hooks: tuple[Hook, ...] = field(default=(), converter=_hooks)
    base_url: str = field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.environment not in ("production", "sandbox"):
            raise ValidationError("Config.environment", "must be 'production' or 'sandbox'")
        if not isinstance(self.allow_insecure_http, bool):
            raise ValidationError("Config.allow_insecure_http", "must be True or False")
        gr4vy_id: object = self.gr4vy_id
        if self.server_url is not None:
            base = _check_server_url(self.server_url, self.allow_insecure_http)
        elif gr4vy_id is not None:
            if not isinstance(gr4vy_id, str) or not _GR4VY_ID.fullmatch(gr4vy_id):
                raise ValidationError(
                    "Config.gr4vy_id", "must be your Gr4vy instance id (lower-case letters, digits, '-')"
                )
            sandbox = "sandbox." if self.environment == "sandbox" else ""
            base = f"https://api.{sandbox}{gr4vy_id}.gr4vy.app"
        else:
            raise ValidationError("Config", "needs gr4vy_id (or server_url)")
        object.__setattr__(self, "base_url", base)
        problem = self._token_problem()
        if problem is not None:
            raise ValidationError("Config.bearer_token", problem)
        _check_header("merchant_account_id", self.merchant_account_id)
        _check_header("user_agent", self.user_agent)
        timeout: object = self.timeout
        retry: object = self.retry
        if not isinstance(timeout, Timeout):
            raise ValidationError("Config.timeout", "must be a Timeout")
        if not isinstance(retry, RetryPolicy):
            raise ValidationError("Config.retry", "must be a RetryPolicy")

    def _token_problem(self) -> str | None:
        """Return the rule the bearer token breaks, or None.

        Returned, not raised: a frame the error passes through shows its locals
        (the token) in a traceback captured with them.
        """
        token: object = self.bearer_token
        if token is None:
            # The emulator on loopback accepts calls without a token; Gr4vy never does,
            # and a missing token found here beats a 401 found on the first call.
            if not is_loopback_url(self.base_url):
                return (
                    "is required (a token, or token_provider(key)); only a server on loopback may go without"
                )
        elif isinstance(token, str):
            if not token.strip():
                return "must not be empty"
            if not header_value_ok(token):
                return "must be a string without control characters (CR, LF, ...)"
        elif not callable(token):
            return "must be a string or a callable returning one"
        return None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Build a Config from GR4VY_* variables; a missing or bad one raises ValidationError naming it.

        Reads GR4VY_ID, GR4VY_ENVIRONMENT, GR4VY_SERVER_URL, GR4VY_BEARER_TOKEN,
        GR4VY_PRIVATE_KEY or GR4VY_PRIVATE_KEY_FILE (needs the `jwt` extra),
        GR4VY_MERCHANT_ACCOUNT_ID and GR4VY_ALLOW_INSECURE_HTTP. A server on
        loopback (the emulator) needs no token.
        """
        env = os.environ if environ is None else environ
        gr4vy_id, server_url = _setting(env, "GR4VY_ID"), _setting(env, "GR4VY_SERVER_URL")
        if gr4vy_id is None and server_url is None:
            raise ValidationError("GR4VY_ID", "missing: set your Gr4vy instance id, or GR4VY_SERVER_URL")
        environment = _setting(env, "GR4VY_ENVIRONMENT") or "production"
        if environment not in ("production", "sandbox"):
            raise ValidationError("GR4VY_ENVIRONMENT", "must be 'production' or 'sandbox'")
        allow_insecure_http = _flag(env, "GR4VY_ALLOW_INSECURE_HTTP")
        token = _only_one_of(env, ("GR4VY_BEARER_TOKEN", *_KEY_SOURCES))
        if token is None and not (server_url is not None and is_loopback_url(server_url)):
            raise ValidationError(
                "GR4VY_BEARER_TOKEN",
                "missing: set a token, or GR4VY_PRIVATE_KEY or GR4VY_PRIVATE_KEY_FILE "
                "(only a server on loopback may go without)",
            )
        bearer: BearerToken | None = None
        if token is not None:
            bearer = token[1] if token[0] == "GR4VY_BEARER_TOKEN" else _provider_from_key(*token)
        variables = {
            "Config.gr4vy_id": "GR4VY_ID",
            "Config.server_url": "GR4VY_SERVER_URL",
            "Config.bearer_token": token[0] if token else "GR4VY_BEARER_TOKEN",
            "Config.merchant_account_id": "GR4VY_MERCHANT_ACCOUNT_ID",
        }
        try:
            return cls(
                gr4vy_id=gr4vy_id,
                environment=environment,  # type: ignore[arg-type]  # checked above
                server_url=server_url,
                bearer_token=bearer,
                merchant_account_id=_setting(env, "GR4VY_MERCHANT_ACCOUNT_ID"),
                retry=_env_retry_policy or RetryPolicy(),
                allow_insecure_http=allow_insecure_http,
            )
        except ValidationError as exc:
            rule = exc.rule.replace("allow_insecure_http=True", "GR4VY_ALLOW_INSECURE_HTTP=1")
            refused = ValidationError(variables.get(exc.path, exc.path), rule)
        # Raised outside the handler (the refused Config's frames are not its context), once
        # this frame has let go of the token: a traceback captured with locals shows them.
        del environ, env, token, bearer
        raise refused


def _provider_from_key(variable: str, value: str) -> Callable[[], str]:
    """Turn GR4VY_PRIVATE_KEY (PEM text) or GR4VY_PRIVATE_KEY_FILE (a path) into a token provider."""
    try:
        from . import _signing
    except ImportError as exc:
        raise ValidationError(variable, "needs the jwt extra: pip install 'gr4vy_fn[jwt]'") from exc
    pem = private_key_text(variable, value, is_path=variable == "GR4VY_PRIVATE_KEY_FILE")
    try:
        return _signing.token_provider(pem, scopes=None, expires_in=3600, issuer=TOKEN_ISSUER)
    except _signing.RefusedInput as exc:
        raise ValidationError(variable, exc.rule) from None


def env_snapshot(environ: Mapping[str, str] | None = None) -> tuple[str | None, ...]:
    """Return the raw values of ENV_VARIABLES, in order: equal snapshots give equal configs."""
    env = os.environ if environ is None else environ
    return tuple(env.get(name) for name in ENV_VARIABLES)


def _setting(environ: Mapping[str, str], name: str) -> str | None:
    """Return the variable's value without surrounding blanks; unset and blank are both None."""
    return environ.get(name, "").strip() or None


def _flag(environ: Mapping[str, str], name: str) -> bool:
    """Return a yes/no variable's value (1/true/yes/on or 0/false/no/off; unset is no)."""
    value = (_setting(environ, name) or "0").lower()
    if value not in _YES | _NO:
        raise ValidationError(name, "must be 1, true, yes or on; or 0, false, no or off")
    return value in _YES


def _only_one_of(environ: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    """Return (name, value) of the one variable of `names` that is set, None if none; two set is an error."""
    found = [(name, value) for name in names if (value := _setting(environ, name)) is not None]
    if len(found) > 1:
        raise ValidationError(found[0][0], f"set only one of {', '.join(name for name, _ in found)}")
    return found[0] if found else None


def private_key_text(source: str, value: str, *, is_path: bool) -> str:
    """Return the PEM text of a key given inline or as a file path; `source` names it in errors."""
    if not is_path:
        # Environments often carry a PEM with its newlines written as \n.
        return value.replace("\\n", "\n")
    try:
        with open(value, encoding="utf-8") as key_file:
            return key_file.read()
    except OSError as exc:
        raise ValidationError(source, f"could not be read ({exc.strerror})") from None


def private_key_in(environ: Mapping[str, str]) -> str | None:
    """Return the PEM text from GR4VY_PRIVATE_KEY or GR4VY_PRIVATE_KEY_FILE; None if neither."""
    found = _only_one_of(environ, _KEY_SOURCES)
    if found is None:
        return None
    return private_key_text(found[0], found[1], is_path=found[0] == "GR4VY_PRIVATE_KEY_FILE")
