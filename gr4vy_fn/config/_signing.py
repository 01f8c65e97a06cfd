"""Signing Gr4vy tokens: ES512 JWTs from an EC P-521 private key, and reusing them until they age.

A leaf: it imports nothing of this package, so `config` (which turns a key in
the environment into a token provider) and `auth` (which also creates
sessions) can both use it without importing each other. Bad input raises
RefusedInput (a ValueError) with the argument and the rule; the public
callers turn it into a ValidationError naming where the input came from.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

try:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
except ImportError as exc:  # pragma: no cover - exercised in a process without the extra
    msg = "gr4vy_fn.auth needs the jwt extra: pip install 'gr4vy_fn[jwt]'"
    raise ImportError(msg) from exc

DEFAULT_SCOPES = ("*.read", "*.write")
KEY_RULE = "the private key must be an EC P-521 (secp521r1) private key in PEM form"


class RefusedInput(ValueError):
    """Input that cannot be signed: `argument` names it, `rule` says what it must be."""

    def __init__(self, argument: str, rule: str) -> None:
        super().__init__(rule)
        self.argument = argument
        self.rule = rule


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@lru_cache(maxsize=8)
def load_key(private_key: str) -> tuple[ec.EllipticCurvePrivateKey, str]:
    """Return the key and its thumbprint; cached, as parsing a PEM costs more than signing."""
    if not isinstance(private_key, str) or "PRIVATE KEY" not in private_key:
        raise RefusedInput("private_key", KEY_RULE)
    try:
        key = load_pem_private_key(private_key.encode("utf-8"), password=None)
    except (ValueError, TypeError):
        raise RefusedInput("private_key", KEY_RULE) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP521R1):
        raise RefusedInput("private_key", KEY_RULE)
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


def checked_scopes(scopes: Sequence[str] | None) -> list[str]:
    """Return the scopes as a list (the defaults for None); refuse a bare string or an empty scope.

    A string is a sequence too: taken as one it would become one scope per letter.
    """
    if scopes is None:
        return list(DEFAULT_SCOPES)
    if isinstance(scopes, (str, bytes)) or not isinstance(scopes, Sequence):
        raise RefusedInput("scopes", "must be a list of scope names, such as ['checkout-sessions.read']")
    chosen = list(scopes)
    if not chosen:
        raise RefusedInput("scopes", "must name at least one scope")
    if not all(isinstance(scope, str) and scope.strip() for scope in chosen):
        raise RefusedInput("scopes", "each scope must be a non-empty string")
    return chosen


def checked_lifetime(expires_in: object) -> int:
    """Return `expires_in` if it is a positive whole number of seconds."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
        raise RefusedInput("expires_in", "must be a positive whole number of seconds")
    return expires_in


def sign(
    private_key: str,
    *,
    scopes: list[str],
    expires_in: int,
    issuer: str,
    now: float,
    embed_params: Mapping[str, Any] | None = None,
    checkout_session_id: str | None = None,
) -> str:
    """Return a token with these claims, signed ES512 with `private_key`; `kid` is its thumbprint."""
    key, kid = load_key(private_key)
    issued = int(now)
    claims: dict[str, Any] = {
        "scopes": scopes,
        "iss": issuer,
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


def token_provider(
    private_key: str,
    *,
    scopes: Sequence[str] | None,
    expires_in: int,
    issuer: str,
    refresh_margin: float = 60.0,
    clock: Callable[[], float] = time.time,
) -> Callable[[], str]:
    """Return a thread-safe callable giving a token, signed again `refresh_margin` s before expiry.

    The key, scopes and lifetime are checked here, once, not on the first call.
    """
    chosen = checked_scopes(scopes)
    lifetime = checked_lifetime(expires_in)
    load_key(private_key)
    margin = min(refresh_margin, lifetime / 2)
    lock = threading.Lock()
    current: list[Any] = [None, 0.0]  # token, time to sign again

    def provide() -> str:
        now = clock()
        token, refresh_at = current
        if token is not None and now < refresh_at:
            return str(token)  # the common case: no lock, no signing
        with lock:
            # Another thread may have signed while this one waited for the lock.
            if current[0] is None or now >= current[1]:
                current[0] = sign(private_key, scopes=chosen, expires_in=lifetime, issuer=issuer, now=now)
                current[1] = now + lifetime - margin
            return str(current[0])

    return provide
