"""Signed bearer tokens and Embed tokens: verified with the public key through PyJWT's own decode."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from conftest import FakeTime, make_config, run_cli
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fresh_python import FreshPython

import gr4vy_fn as g
from gr4vy_fn.auth import (
    embed_token_with_checkout_session,
    get_embed_token,
    get_token,
    private_key_from_env,
    token_provider,
)
from gr4vy_fn.testing import Emulator


def pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP521R1())


@pytest.fixture(scope="module")
def private_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return pem(key)


def expected_kid(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638, written out independently: members in order, no spaces, SHA-256, base64url."""
    numbers = public_key.public_numbers()

    def b64(number: int) -> str:
        return base64.urlsafe_b64encode(number.to_bytes(66, "big")).decode().rstrip("=")

    members = f'{{"crv":"P-521","kty":"EC","x":"{b64(numbers.x)}","y":"{b64(numbers.y)}"}}'
    return base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).decode().rstrip("=")


def verify(token: str, key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    return jwt.decode(
        token, key.public_key(), algorithms=["ES512"], options={"require": ["exp", "iat", "nbf"]}
    )


def test_a_token_verifies_and_carries_the_documented_header_and_claims(
    key: ec.EllipticCurvePrivateKey, private_pem: str
) -> None:
    """ES512, typ JWT, kid = the key's thumbprint; scopes, iss, iat, nbf, exp and a random jti."""
    token = get_token(private_pem)
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES512", "typ": "JWT", "kid": expected_kid(key.public_key())}
    claims = verify(token, key)
    assert claims["scopes"] == ["*.read", "*.write"]
    assert claims["iss"] == f"gr4vy_fn v{g.__version__}"
    assert claims["nbf"] == claims["iat"]
    assert claims["exp"] == claims["iat"] + 3600
    assert uuid.UUID(claims["jti"]).version == 4
    assert verify(get_token(private_pem), key)["jti"] != claims["jti"]
    assert "checkout_session_id" not in claims
    assert "embed" not in claims


def test_scopes_lifetime_and_session_are_as_asked(key: ec.EllipticCurvePrivateKey, private_pem: str) -> None:
    """Custom scopes, lifetime and checkout_session_id land in the claims."""
    claims = verify(get_token(private_pem, ["checkout-sessions.read"], 60, checkout_session_id="cs-1"), key)
    assert (claims["scopes"], claims["exp"] - claims["iat"], claims["checkout_session_id"]) == (
        ["checkout-sessions.read"],
        60,
        "cs-1",
    )


def test_embed_tokens_keep_the_wires_snake_case(key: ec.EllipticCurvePrivateKey, private_pem: str) -> None:
    """An Embed token has the embed scope and an embed claim with the wire's snake_case keys."""
    params = {
        "amount": 1299,
        "currency": "USD",
        "buyer_external_identifier": "user-12",
        "merchant_account_id": "default",
        "cart_items": [{"name": "Mug", "quantity": 1, "unit_amount": 1299}],
        "metadata": {"order": "7"},
    }
    claims = verify(get_embed_token(private_pem, params, checkout_session_id="cs-9"), key)
    assert claims["scopes"] == ["embed"]
    assert claims["embed"] == params
    assert claims["checkout_session_id"] == "cs-9"
    with_embed = verify(get_token(private_pem, embed_params={"amount": 1}), key)
    assert with_embed["scopes"] == ["*.read", "*.write", "embed"]


def test_an_embed_token_without_params_still_has_the_embed_claim(
    key: ec.EllipticCurvePrivateKey, private_pem: str
) -> None:
    """get_embed_token with no params: the embed scope, an empty embed claim, valid one hour."""
    claims = verify(get_embed_token(private_pem), key)
    assert (claims["scopes"], claims["embed"], claims["exp"] - claims["iat"]) == (["embed"], {}, 3600)
    assert "checkout_session_id" not in claims


def test_the_provider_reuses_a_token_until_shortly_before_expiry(
    private_pem: str, fake_time: FakeTime
) -> None:
    """The same token comes back until refresh_margin before expiry, then a new one."""
    provide = token_provider(private_pem, expires_in=600, refresh_margin=60, clock=fake_time.wall)
    first = provide()
    fake_time.now += 539
    assert provide() == first
    fake_time.now += 1
    second = provide()
    assert second != first
    assert jwt.decode(second, options={"verify_signature": False})["iat"] == int(fake_time.wall())


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"scopes": "checkout-sessions.read"}, "scopes"),
        ({"scopes": b"checkout-sessions.read"}, "scopes"),
        ({"scopes": [""]}, "scopes"),
        ({"scopes": ["checkout-sessions.read", " "]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"scopes": [5]}, "scopes"),
        ({"expires_in": 0}, "expires_in"),
        ({"expires_in": 1.5}, "expires_in"),
        ({"expires_in": True}, "expires_in"),
    ],
)
def test_scopes_and_lifetimes_that_cannot_be_meant_are_refused(
    private_pem: str, kwargs: dict[str, Any], path: str
) -> None:
    """A string for scopes (one scope per letter), an empty scope or a bad lifetime raise ValidationError."""
    for make in (get_token, token_provider):
        with pytest.raises(g.ValidationError) as caught:
            make(private_pem, **kwargs)
        assert caught.value.path == path


def test_private_key_from_env_reads_either_variable(private_pem: str, tmp_path: Path) -> None:
    """private_key_from_env gives the PEM from GR4VY_PRIVATE_KEY (\\n too) or GR4VY_PRIVATE_KEY_FILE."""
    key_file = tmp_path / "private_key.pem"
    key_file.write_text(private_pem)
    assert private_key_from_env({"GR4VY_PRIVATE_KEY_FILE": str(key_file)}) == private_pem
    assert private_key_from_env({"GR4VY_PRIVATE_KEY": private_pem.replace("\n", "\\n")}) == private_pem
    for environ, path in [
        ({}, "GR4VY_PRIVATE_KEY"),
        ({"GR4VY_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem")}, "GR4VY_PRIVATE_KEY_FILE"),
        ({"GR4VY_PRIVATE_KEY": private_pem, "GR4VY_PRIVATE_KEY_FILE": str(key_file)}, "GR4VY_PRIVATE_KEY"),
    ]:
        with pytest.raises(g.ValidationError) as caught:
            private_key_from_env(environ)
        assert caught.value.path == path
        assert "PRIVATE KEY-----" not in str(caught.value)


def test_the_provider_signs_once_for_many_threads(private_pem: str) -> None:
    """Threads asking at once all get the one token."""
    provide = token_provider(private_pem)
    tokens: list[str] = []
    barrier = threading.Barrier(16)

    def ask() -> None:
        barrier.wait()
        tokens.append(provide())

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(tokens)) == 1


BAD_KEYS = {
    "garbage": "not a key at all",
    "broken PEM": "-----BEGIN PRIVATE KEY-----\nAAAAsecretmaterial\n-----END PRIVATE KEY-----\n",
    "P-256": pem(ec.generate_private_key(ec.SECP256R1())),
    "RSA": pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
}


@pytest.mark.parametrize("name", list(BAD_KEYS))
def test_wrong_keys_are_refused_clearly(name: str) -> None:
    """Broken, wrong-curve and RSA keys raise ValidationError saying what is needed, never echoing the key."""
    for attempt in (
        lambda: get_token(BAD_KEYS[name]),
        lambda: token_provider(BAD_KEYS[name]),
        lambda: get_embed_token(BAD_KEYS[name]),
    ):
        with pytest.raises(g.ValidationError, match="EC P-521") as caught:
            attempt()
        assert caught.value.path == "private_key"
        body = BAD_KEYS[name].splitlines()[1] if "\n" in BAD_KEYS[name] else BAD_KEYS[name]
        assert body not in str(caught.value)


def test_from_env_builds_a_provider_from_the_key(
    key: ec.EllipticCurvePrivateKey, private_pem: str, tmp_path: Path
) -> None:
    """GR4VY_PRIVATE_KEY (newlines as \\n too) and GR4VY_PRIVATE_KEY_FILE become a token provider."""
    key_file = tmp_path / "private_key.pem"
    key_file.write_text(private_pem)
    for environ in (
        {"GR4VY_ID": "acme", "GR4VY_PRIVATE_KEY": private_pem},
        {"GR4VY_ID": "acme", "GR4VY_PRIVATE_KEY": private_pem.replace("\n", "\\n")},
        {"GR4VY_ID": "acme", "GR4VY_PRIVATE_KEY_FILE": str(key_file)},
    ):
        config = g.Config.from_env(environ)
        assert callable(config.bearer_token)
        assert verify(config.bearer_token(), key)["scopes"] == ["*.read", "*.write"]


@pytest.mark.parametrize("name", list(BAD_KEYS))
def test_from_env_refuses_a_bad_key_naming_the_variable(name: str) -> None:
    """A bad GR4VY_PRIVATE_KEY is a ValidationError naming the variable, without the key material."""
    with pytest.raises(
        g.ValidationError, match=r"^GR4VY_PRIVATE_KEY: the private key must be an EC P-521"
    ) as caught:
        g.Config.from_env({"GR4VY_ID": "acme", "GR4VY_PRIVATE_KEY": BAD_KEYS[name]})
    assert "secretmaterial" not in str(caught.value)


def test_from_env_reports_an_unreadable_key_file(tmp_path: Path) -> None:
    """A GR4VY_PRIVATE_KEY_FILE that cannot be read is named in the error."""
    with pytest.raises(g.ValidationError, match=r"^GR4VY_PRIVATE_KEY_FILE: could not be read"):
        g.Config.from_env({"GR4VY_ID": "acme", "GR4VY_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem")})


@pytest.fixture
def verifying_api(key: ec.EllipticCurvePrivateKey) -> Iterator[tuple[Emulator, str]]:
    """An emulator on loopback that accepts only tokens signed by `key`."""

    def check(token: str) -> bool:
        try:
            verify(token, key)
        except jwt.InvalidTokenError:
            return False
        return True

    emulator = Emulator(token_check=check)
    with emulator.serve() as url:
        yield emulator, url


def test_end_to_end_with_a_signed_token(verifying_api: tuple[Emulator, str], private_pem: str) -> None:
    """A Config from GR4VY_PRIVATE_KEY calls a server that verifies the token's signature."""
    emulator, url = verifying_api
    config = g.Config.from_env({"GR4VY_SERVER_URL": url, "GR4VY_PRIVATE_KEY": private_pem})
    assert isinstance(g.new_checkout_session(config=config), g.CheckoutSession)
    other = pem(ec.generate_private_key(ec.SECP521R1()))
    impostor = g.Config.from_env({"GR4VY_SERVER_URL": url, "GR4VY_PRIVATE_KEY": other})
    assert isinstance(g.new_checkout_session(config=impostor), g.Error401Unauthorized)
    assert len(emulator.sessions()) == 1


def test_embed_token_with_checkout_session(key: ec.EllipticCurvePrivateKey, private_pem: str) -> None:
    """A session is created and the Embed token is pinned to it; an error value passes through."""
    emulator = Emulator()
    config = make_config("http://localhost")
    token = embed_token_with_checkout_session(
        private_pem, {"amount": 1299, "currency": "USD"}, config=config, transport=emulator.transport()
    )
    assert isinstance(token, str)
    claims = verify(token, key)
    assert claims["checkout_session_id"] == emulator.sessions()[0].id
    assert claims["embed"] == {"amount": 1299, "currency": "USD"}
    emulator.fail_next(500)
    failed = embed_token_with_checkout_session(private_pem, config=config, transport=emulator.transport())
    assert isinstance(failed, g.ErrorGeneric)
    with pytest.raises(g.ValidationError):
        embed_token_with_checkout_session(BAD_KEYS["P-256"], config=config, transport=emulator.transport())
    assert len(emulator.sessions()) == 1  # a bad key is found before a session is made


@pytest.fixture
def no_gr4vy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No GR4VY_* variable from the test process reaches the command."""
    for name in [n for n in os.environ if n.startswith("GR4VY_")]:
        monkeypatch.delenv(name)


@pytest.mark.usefixtures("no_gr4vy_environment")
def test_the_token_command_prints_only_a_token(
    key: ec.EllipticCurvePrivateKey, private_pem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`token --scope ...` prints one line, a token for those scopes, from either variable or --key-file."""
    key_file = tmp_path / "key.pem"
    key_file.write_text(private_pem)
    asked = ("token", "--scope", "checkout-sessions.read", "--expires-in", "120")
    for variable, value, extra in [
        ("GR4VY_PRIVATE_KEY", private_pem, ()),
        ("GR4VY_PRIVATE_KEY_FILE", str(key_file), ()),
        (None, "", ("--key-file", str(key_file))),
    ]:
        with monkeypatch.context() as patch:
            if variable:
                patch.setenv(variable, value)
            status, out, err = run_cli(*asked, *extra)
        assert (status, err) == (0, "")
        assert out.count("\n") == 1
        claims = verify(out.strip(), key)
        assert (claims["scopes"], claims["exp"] - claims["iat"]) == (["checkout-sessions.read"], 120)


@pytest.mark.usefixtures("no_gr4vy_environment")
def test_the_token_command_without_a_key_says_what_to_set() -> None:
    """Without a key the command exits 2, names the variables and prints no token."""
    assert run_cli("token") == (
        2,
        "",
        "error: set GR4VY_PRIVATE_KEY or GR4VY_PRIVATE_KEY_FILE, or pass --key-file\n",
    )


@pytest.mark.usefixtures("no_gr4vy_environment")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--scope", ""), "error: --scope: each scope must be a non-empty string\n"),
        (("--scope", "a", "--scope", " "), "error: --scope: each scope must be a non-empty string\n"),
        (("--expires-in", "0"), "error: --expires-in: must be a positive whole number of seconds\n"),
        (
            ("--key-file", "/nonexistent/key.pem"),
            "error: --key-file: could not be read (No such file or directory)\n",
        ),
    ],
)
def test_the_token_command_refuses_bad_options_with_exit_2(
    private_pem: str, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    """An empty scope, a bad lifetime or an unreadable key file: one line naming the option, exit 2."""
    monkeypatch.setenv("GR4VY_PRIVATE_KEY", private_pem)
    assert run_cli("token", *args) == (2, "", message)


WITHOUT_JWT = FreshPython(
    "-c",
    "import sys; sys.modules['jwt'] = None\n"
    "import gr4vy_fn\n"
    "try:\n    import gr4vy_fn.auth\nexcept ImportError as e:\n    print(e)\n",
)


@pytest.mark.fresh_python(WITHOUT_JWT)
def test_without_the_extra_auth_says_which_extra_to_install() -> None:
    """Without PyJWT, gr4vy_fn imports and gr4vy_fn.auth raises ImportError naming the jwt extra."""
    assert WITHOUT_JWT.output().strip() == "gr4vy_fn.auth needs the jwt extra: pip install 'gr4vy_fn[jwt]'"


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"embed_params": "amount"}, "embed_params"),
        ({"embed_params": ["amount", 100]}, "embed_params"),
        ({"checkout_session_id": 5}, "checkout_session_id"),
    ],
)
@pytest.mark.parametrize("make", [get_token, get_embed_token])
def test_embed_claims_of_the_wrong_kind_are_a_validation_error(
    private_pem: str, make: Any, arguments: dict[str, Any], named: str
) -> None:
    """Embed params that are not a mapping, or a session id that is not a string, name the argument."""
    with pytest.raises(g.ValidationError) as caught:
        make(private_pem, **arguments)
    assert caught.value.path == named
