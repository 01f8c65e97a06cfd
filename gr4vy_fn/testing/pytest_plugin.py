"""The `gr4vy_emulator` pytest fixture, registered through the `pytest11` entry point.

Kept light: pytest loads it in every run where gr4vy_fn is installed, so the
emulator itself is imported only when a test asks for the fixture.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from . import Emulator, ServedEmulator

TOKEN = "emulator-token"  # noqa: S105 - the local emulator's, not a secret


@contextlib.contextmanager
def emulator_environment(
    emulator: Emulator | None = None, *, token: str | None = TOKEN
) -> Iterator[ServedEmulator]:
    """Serve `emulator` on loopback with GR4VY_* set to call it; undo it all on leaving.

    By default a fresh Emulator that accepts only `token`. Every other GR4VY_*
    variable is cleared; GR4VY_BEARER_TOKEN is `token` (unset for None). While
    inside, `Config.from_env()` (and so every call made with no config) retries
    after milliseconds instead of the production back-off.
    """
    from .. import config
    from ..config import Config, _env
    from ..retry import RetryPolicy
    from . import Emulator, ServedEmulator

    served_emulator = Emulator(bearer_token=token) if emulator is None else emulator
    fast = RetryPolicy(initial_delay=0.01, max_delay=0.05)
    with served_emulator.serve() as url, pytest.MonkeyPatch.context() as patch:
        for name in _env.VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv(_env.GR4VY_SERVER_URL, url)
        if token is not None:
            patch.setenv(_env.GR4VY_BEARER_TOKEN, token)
        patch.setattr(config, "_env_retry_policy", fast)
        yield ServedEmulator(
            emulator=served_emulator, config=Config(server_url=url, bearer_token=token, retry=fast), url=url
        )


@pytest.fixture
def gr4vy_emulator() -> Iterator[ServedEmulator]:
    """A fresh Emulator served on loopback, a Config that calls it, and GR4VY_* set to match.

    Code under test that calls gr4vy_fn with no config (Config.from_env) reaches
    the emulator too. Retries wait milliseconds, not seconds, with either config.
    """
    with emulator_environment() as served:
        yield served
