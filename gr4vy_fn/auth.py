"""Signed bearer tokens and Embed tokens for the Gr4vy API (the `jwt` extra).

A token is a JWT signed ES512 with the merchant's EC P-521 private key; its
`kid` is the key's RFC 7638 thumbprint. Install with `pip install 'gr4vy_fn[jwt]'`.
Invalid input (a key that is not EC P-521, scopes given as one string, an
empty scope, a lifetime that is not a positive whole number, Embed params that
are not a mapping, a session id that is not a string) raises
ValidationError naming the argument, never showing the key.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from ._http import Transport
from .calls._sync import new_checkout_session
from .config import TOKEN_ISSUER, Config, _signing, private_key_in
from .config._signing import DEFAULT_SCOPES as DEFAULT_SCOPES  # importable from here, as before
from .config._signing import thumbprint as thumbprint
from .errors import ErrorValue, Gr4vyError, ValidationError
from .models import CheckoutSessionCreateRequest

__all__ = [
    "embed_token_with_checkout_session",
    "get_embed_token",
    "get_token",
    "private_key_from_env",
    "token_provider",
]

ISSUER = TOKEN_ISSUER
T = TypeVar("T")


def _checked(make: Callable[[], T]) -> T:
    """Run `make`, turning the signing module's refusal into the package's ValidationError."""
    try:
        return make()
    except _signing.RefusedInput as exc:
        raise ValidationError(exc.argument, exc.rule) from None


def _checked_claims(embed_params: object, checkout_session_id: object) -> None:
    """Raise ValidationError unless the Embed claims are a mapping and a string (or None)."""
    if embed_params is not None and not isinstance(embed_params, Mapping):
        raise ValidationError("embed_params", "must be a mapping of claim names to values")
    if checkout_session_id is not None and not isinstance(checkout_session_id, str):
        raise ValidationError("checkout_session_id", "must be a string")


def get_token(
    private_key: str,
    scopes: Sequence[str] | None = None,
    expires_in: int = 3600,
    embed_params: Mapping[str, Any] | None = None,
    checkout_session_id: str | None = None,
) -> str:
    """Return a bearer token signed with `private_key` (PEM), for `scopes` (default: read and write all).

    `scopes` is a list of scope names; `embed_params` adds the `embed` scope and
    claim. Raises ValidationError for a bad key, scopes, lifetime or claims.
    """
    _checked_claims(embed_params, checkout_session_id)

    def make() -> str:
        chosen = _signing.checked_scopes(scopes)
        if embed_params is not None and "embed" not in chosen:
            chosen.append("embed")
        return _signing.sign(
            private_key,
            scopes=chosen,
            expires_in=_signing.checked_lifetime(expires_in),
            issuer=ISSUER,
            now=time.time(),
            embed_params=embed_params,
            checkout_session_id=checkout_session_id,
        )

    return _checked(make)


def get_embed_token(
    private_key: str,
    embed_params: Mapping[str, Any] | None = None,
    checkout_session_id: str | None = None,
) -> str:
    """Return an Embed token: the `embed` scope, with `embed_params` (snake_case keys) as its claim.

    Valid one hour. Raises ValidationError for a bad key or claims.
    """
    _checked_claims(embed_params, checkout_session_id)
    return get_token(private_key, ["embed"], 3600, dict(embed_params or {}), checkout_session_id)


def token_provider(
    private_key: str,
    scopes: Sequence[str] | None = None,
    expires_in: int = 3600,
    *,
    refresh_margin: float = 60.0,
    clock: Callable[[], float] = time.time,
) -> Callable[[], str]:
    """Return a thread-safe callable giving a bearer token, reused until `refresh_margin` s before expiry.

    Made for `Config.bearer_token`. The key, scopes and lifetime are checked at
    once: bad ones raise ValidationError here, not on the first call.
    """
    return _checked(
        lambda: _signing.token_provider(
            private_key,
            scopes=scopes,
            expires_in=expires_in,
            issuer=ISSUER,
            refresh_margin=refresh_margin,
            clock=clock,
        )
    )


def private_key_from_env(environ: Mapping[str, str] | None = None) -> str:
    """Return the PEM text of the key in GR4VY_PRIVATE_KEY (newlines may be `\\n`) or GR4VY_PRIVATE_KEY_FILE.

    Raises ValidationError naming the variable when neither or both are set, or
    the file cannot be read; the key itself is not checked here.
    """
    found = private_key_in(os.environ if environ is None else environ)
    if found is None:
        raise ValidationError(
            "GR4VY_PRIVATE_KEY", "missing: set the key's PEM text, or GR4VY_PRIVATE_KEY_FILE to its path"
        )
    return found


def embed_token_with_checkout_session(
    private_key: str,
    embed_params: Mapping[str, Any] | None = None,
    body: CheckoutSessionCreateRequest | None = None,
    *,
    config: Config | None = None,
    transport: Transport | None = None,
) -> str | ErrorValue:
    """Create a checkout session and return an Embed token pinned to it, or the create's error value.

    The key is checked before the session is created: a bad one raises ValidationError.
    """
    _checked(lambda: _signing.load_key(private_key))
    session = new_checkout_session(body, config=config, transport=transport)
    if isinstance(session, Gr4vyError):
        return session
    return get_embed_token(private_key, embed_params, checkout_session_id=session.id)
