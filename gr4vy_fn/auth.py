"""Signed bearer tokens and Embed tokens for the Gr4vy API (the `jwt` extra).

A token is a JWT signed ES512 with the merchant's EC P-521 private key; its
`kid` is the key's RFC 7638 thumbprint. Install with `pip install 'gr4vy_fn[jwt]'`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

try:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
except ImportError as exc:  # pragma: no cover - exercised in a process without the extra
    msg = "gr4vy_fn.auth needs the jwt extra: pip install 'gr4vy_fn[jwt]'"
    raise ImportError(msg) from exc

from ._http import Transport
from ._version import __version__
from .config import Config
from .errors import ErrorValue, Gr4vyError
from .models import CheckoutSessionCreateRequest

__all__ = ["embed_token_with_checkout_session", "get_embed_token", "get_token", "token_provider"]

DEFAULT_SCOPES = ("*.read", "*.write")
ISSUER = f"gr4vy_fn v{__version__}"
_KEY_ERROR = "the private key must be an EC P-521 (secp521r1) private key in PEM form"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@lru_cache(maxsize=8)
def _load(private_key: str) -> tuple[ec.EllipticCurvePrivateKey, str]:
    """Return the key and its thumbprint; cached, as parsing a PEM costs more than signing."""
    if not isinstance(private_key, str) or "PRIVATE KEY" not in private_key:
        raise ValueError(_KEY_ERROR)
    try:
        key = load_pem_private_key(private_key.encode("utf-8"), password=None)
    except (ValueError, TypeError):
        raise ValueError(_KEY_ERROR) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP521R1):
        raise ValueError(_KEY_ERROR)
    return key, thumbprint(key.public_key())


def thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """Return the RFC 7638 JWK thumbprint (SHA-256, base64url) of an EC P-521 public key."""
    numbers = public_key.public_numbers()
    size = (public_key.curve.key_size + 7) // 8
    jwk = {
        "crv": "P-521",
        "kty": "EC",
        "x": _b64url(numbers.x.to_bytes(size, "big")),
        "y": _b64url(numbers.y.to_bytes(size, "big")),
    }
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode("ascii")
    return _b64url(hashlib.sha256(canonical).digest())


def _sign(
    private_key: str,
    scopes: list[str],
    expires_in: int,
    embed_params: Mapping[str, Any] | None,
    checkout_session_id: str | None,
    now: float,
) -> str:
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
        msg = "expires_in must be a positive number of seconds"
        raise ValueError(msg)
    key, kid = _load(private_key)
    issued = int(now)
    claims: dict[str, Any] = {
        "scopes": scopes,
        "iss": ISSUER,
        "iat": issued,
        "nbf": issued,
        "exp": issued + expires_in,
        "jti": str(uuid.uuid4()),
    }
    if embed_params is not None:
        claims["embed"] = dict(embed_params)
    if checkout_session_id is not None:
        claims["checkout_session_id"] = checkout_session_id
    return jwt.encode(claims, key, algorithm="ES512", headers={"kid": kid, "typ": "JWT"})


def get_token(
    private_key: str,
    scopes: list[str] | None = None,
    expires_in: int = 3600,
    embed_params: Mapping[str, Any] | None = None,
    checkout_session_id: str | None = None,
) -> str:
    """Return a bearer token signed with `private_key` (PEM), for `scopes` (default: read and write all)."""
    chosen = list(DEFAULT_SCOPES if scopes is None else scopes)
    if embed_params is not None and "embed" not in chosen:
        chosen.append("embed")
    return _sign(private_key, chosen, expires_in, embed_params, checkout_session_id, time.time())


def get_embed_token(
    private_key: str,
    embed_params: Mapping[str, Any] | None = None,
    checkout_session_id: str | None = None,
) -> str:
    """Return an Embed token: the `embed` scope, with `embed_params` (snake_case keys) as its claim."""
    return _sign(private_key, ["embed"], 3600, dict(embed_params or {}), checkout_session_id, time.time())


def token_provider(
    private_key: str,
    scopes: list[str] | None = None,
    expires_in: int = 3600,
    *,
    refresh_margin: float = 60.0,
    clock: Callable[[], float] = time.time,
) -> Callable[[], str]:
    """Return a thread-safe callable giving a bearer token, reused until `refresh_margin` s before expiry.

    Made for `Config.bearer_token`. The key is checked at once: a bad key raises ValueError here.
    """
    chosen = list(DEFAULT_SCOPES if scopes is None else scopes)
    _load(private_key)
    margin = min(refresh_margin, expires_in / 2)
    lock = threading.Lock()
    current: list[Any] = [None, 0.0]  # token, time to refresh

    def provide() -> str:
        now = clock()
        token, refresh_at = current
        if token is not None and now < refresh_at:
            return str(token)
        with lock:
            if current[0] is None or now >= current[1]:
                current[0] = _sign(private_key, chosen, expires_in, None, None, now)
                current[1] = now + expires_in - margin
            return str(current[0])

    return provide


def embed_token_with_checkout_session(
    private_key: str,
    embed_params: Mapping[str, Any] | None = None,
    body: CheckoutSessionCreateRequest | None = None,
    *,
    config: Config | None = None,
    transport: Transport | None = None,
) -> str | ErrorValue:
    """Create a checkout session and return an Embed token pinned to it, or the create's error value."""
    from ._send import new_checkout_session

    session = new_checkout_session(body, config=config, transport=transport)
    if isinstance(session, Gr4vyError):
        return session
    return get_embed_token(private_key, embed_params, checkout_session_id=session.id)
