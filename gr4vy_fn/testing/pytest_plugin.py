"""The `gr4vy_emulator` pytest fixture, registered through the `pytest11` entry point.

Kept light: pytest loads it in every run where gr4vy_fn is installed, so the
emulator itself is imported only when a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from . import ServedEmulator

TOKEN = "emulator-token"  # noqa: S105 - the local emulator's, not a secret
_CLEARED = (
    "GR4VY_ID",
    "GR4VY_ENVIRONMENT",
    "GR4VY_PRIVATE_KEY",
    "GR4VY_PRIVATE_KEY_FILE",
    "GR4VY_MERCHANT_ACCOUNT_ID",
)


@pytest.fixture
def gr4vy_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServedEmulator]:
    """A fresh Emulator served on loopback, a Config that calls it, and GR4VY_* set to match.

    Code under test that calls gr4vy_fn with no config (Config.from_env) reaches
    the emulator too. Retries wait milliseconds, not seconds.
    """
    from ..config import Config
    from ..retry import RetryPolicy
    from . import Emulator, ServedEmulator

    emulator = Emulator(bearer_token=TOKEN)
    with emulator.serve() as url:
        for name in _CLEARED:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("GR4VY_SERVER_URL", url)
        monkeypatch.setenv("GR4VY_BEARER_TOKEN", TOKEN)
        retry = RetryPolicy(initial_delay=0.01, max_delay=0.05)
        yield ServedEmulator(
            emulator=emulator, config=Config(server_url=url, bearer_token=TOKEN, retry=retry), url=url
        )
