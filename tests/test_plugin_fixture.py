"""The gr4vy_emulator fixture, used as a user would: code under test calls gr4vy_fn with no config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import gr4vy_fn as g
from gr4vy_fn.auth import get_token
from gr4vy_fn.testing import Emulator, ServedEmulator
from gr4vy_fn.testing.pytest_plugin import emulator_environment


def start_checkout(order_id: str) -> str:
    """Code under test: a handler that creates a session from the environment's configuration."""
    session = g.unwrap(
        g.new_checkout_session(
            g.CheckoutSessionCreateRequest(
                cart_items=[g.CartItem(name="Mug", quantity=1, unit_amount=900)], metadata={"order": order_id}
            )
        )
    )
    return session.id


def test_the_fixture_points_default_calls_at_a_fresh_emulator(gr4vy_emulator: ServedEmulator) -> None:
    """With the fixture, default-configured calls reach the emulator, which records them."""
    session_id = start_checkout("42")
    [stored] = gr4vy_emulator.emulator.sessions()
    assert stored.id == session_id
    assert stored.metadata == {"order": "42"}
    assert g.get_checkout_session(session_id, config=gr4vy_emulator.config) == stored


def test_each_test_gets_a_fresh_emulator(gr4vy_emulator: ServedEmulator) -> None:
    """No session leaks from one test to the next."""
    assert gr4vy_emulator.emulator.sessions() == []


def test_faults_reach_code_under_test(gr4vy_emulator: ServedEmulator) -> None:
    """Injected faults let a test drive its code's error handling."""
    gr4vy_emulator.emulator.fail_next(500)
    result = g.new_checkout_session()
    assert isinstance(result, g.ErrorGeneric)
    assert result.status == 500


def test_calls_with_no_config_retry_as_fast_as_the_fixtures_config(gr4vy_emulator: ServedEmulator) -> None:
    """Under the fixture, Config.from_env() (what config=None uses) gets the fixture's fast back-off."""
    assert g.Config.from_env().retry == gr4vy_emulator.config.retry
    assert gr4vy_emulator.config.retry.max_delay <= 0.05
    session = g.unwrap(g.new_checkout_session())
    gr4vy_emulator.emulator.fail_next(503, times=2)
    assert isinstance(g.get_checkout_session(session.id), g.CheckoutSession)
    assert len(gr4vy_emulator.emulator.requests) == 4  # the create, two 503s, the answer


def test_outside_the_fixture_from_env_has_the_production_back_off() -> None:
    """The fast policy ends with the fixture: Config.from_env() is back to the default RetryPolicy."""
    config = g.Config.from_env({"GR4VY_SERVER_URL": "http://127.0.0.1:1"})
    assert config.retry == g.RetryPolicy()


def run_python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run this interpreter in `cwd` with no PYTEST_* options inherited from the running suite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GR4VY_"))}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_run_that_does_not_use_the_fixture_imports_no_client_module(tmp_path: Path) -> None:
    """The pytest11 entry point is loaded in every run, yet imports nothing of gr4vy_fn until asked."""
    (tmp_path / "test_unrelated.py").write_text(
        "import sys\n\n"
        "def test_modules():\n"
        "    ours = ('gr4vy_fn', '_gr4vy_fn_pytest_plugin')\n"
        "    loaded = sorted(m for m in sys.modules if m.split('.')[0] in ours)\n"
        "    print('LOADED', loaded)\n"
    )
    done = run_python("-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LOADED ['_gr4vy_fn_pytest_plugin']" in done.stdout, done.stdout


def test_emulator_environment_works_without_pytest(tmp_path: Path) -> None:
    """Another test runner's venv may have no pytest: emulator_environment neither imports nor needs it."""
    code = (
        "import sys\n"
        "sys.modules['pytest'] = None  # any import of pytest now raises ImportError\n"
        "import gr4vy_fn as g\n"
        "from gr4vy_fn.testing.pytest_plugin import emulator_environment\n"
        "with emulator_environment() as served:\n"
        "    session = g.unwrap(g.new_checkout_session())\n"
        "    assert served.emulator.sessions() == [session]\n"
        "print('OK')\n"
    )
    done = run_python("-c", code, cwd=tmp_path)
    assert done.stdout == "OK\n", done.stdout + done.stderr


def test_emulator_environment_sets_the_token_of_the_emulator_it_serves() -> None:
    """An emulator given its own token gets it in GR4VY_BEARER_TOKEN, so default calls are authorised."""
    token = "my-own-emulator-token"
    with emulator_environment(Emulator(bearer_token=token)) as served:
        assert os.environ["GR4VY_BEARER_TOKEN"] == token
        assert served.config.bearer_token == token
        assert isinstance(g.new_checkout_session(), g.CheckoutSession)
    with emulator_environment(Emulator(bearer_token=token), token=None):
        assert "GR4VY_BEARER_TOKEN" not in os.environ  # an explicit token still wins


def generate_private_key() -> str:
    """A fresh EC P-521 private key, as PEM."""
    key = ec.generate_private_key(ec.SECP521R1())
    encoding, private_format = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    return key.private_bytes(encoding, private_format, serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def private_key() -> str:
    """The merchant's key for this module's tests."""
    return generate_private_key()


def test_emulator_environment_with_a_private_key_lets_code_sign_its_own_tokens(private_key: str) -> None:
    """With private_key=, GR4VY_PRIVATE_KEY is set; the emulator accepts what that key signs, no other."""
    with emulator_environment(private_key=private_key) as served:
        assert os.environ["GR4VY_PRIVATE_KEY"] == private_key
        assert "GR4VY_BEARER_TOKEN" not in os.environ
        session = g.unwrap(g.new_checkout_session())
        assert g.get_checkout_session(session.id, config=served.config) == session
        assert served.emulator.requests[0].headers["authorization"].startswith("Bearer ey")
        other = generate_private_key()
        refused = g.new_checkout_session(config=attrs.evolve(served.config, bearer_token=get_token(other)))
        assert isinstance(refused, g.Error401Unauthorized)
        forged = g.new_checkout_session(config=attrs.evolve(served.config, bearer_token="not-a-jwt"))
        assert isinstance(forged, g.Error401Unauthorized)
    assert "GR4VY_PRIVATE_KEY" not in os.environ


def test_emulator_environment_refuses_a_token_and_a_private_key_together(private_key: str) -> None:
    """Two credentials at once would make Config.from_env() refuse them: refused up front, by name."""
    with (
        pytest.raises(g.ValidationError, match=r"emulator_environment\(token\)"),
        emulator_environment(token="t", private_key=private_key),
    ):
        pass
