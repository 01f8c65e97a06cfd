"""The gr4vy_emulator fixture, used as a user would: code under test calls gr4vy_fn with no config."""

from __future__ import annotations

import gr4vy_fn as g
from gr4vy_fn.testing import ServedEmulator


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
