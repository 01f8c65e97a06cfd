"""`emulator_environment`: an emulator on loopback with GR4VY_* set to call it, for any test runner.

Needs no pytest. The `gr4vy_emulator` fixture itself lives in the top-level
`_gr4vy_fn_pytest_plugin` module (the `pytest11` entry point), which imports
this module only when a test asks for the fixture.
"""

from __future__ import annotations

import contextlib
import enum
import os
from collections.abc import Iterator

from .. import config
from ..config import Config, _env
from ..retry import RetryPolicy
from . import Emulator, ServedEmulator

TOKEN = "emulator-token"  # noqa: S105 - the local emulator's, not a secret


class _FromEmulator(enum.Enum):
    TOKEN = enum.auto()


@contextlib.contextmanager
def emulator_environment(
    emulator: Emulator | None = None, *, token: str | _FromEmulator | None = _FromEmulator.TOKEN
) -> Iterator[ServedEmulator]:
    """Serve `emulator` on loopback with GR4VY_* set to call it; undo it all on leaving.

    By default a fresh Emulator that accepts only TOKEN. Every other GR4VY_*
    variable is cleared; GR4VY_BEARER_TOKEN is `token` (unset for None), by
    default the bearer token `emulator` was given (TOKEN if it has none). While
    inside, `Config.from_env()` (and so every call made with no config) retries
    after milliseconds instead of the production back-off. Yields a
    ServedEmulator; raises what `Emulator.serve` raises.
    """
    if isinstance(token, _FromEmulator):
        token = TOKEN if emulator is None or emulator._bearer_token is None else emulator._bearer_token
    served_emulator = Emulator(bearer_token=token) if emulator is None else emulator
    fast = RetryPolicy(initial_delay=0.01, max_delay=0.05)
    saved_env = {name: os.environ.get(name) for name in _env.VARIABLES}
    saved_policy = config._env_retry_policy
    with served_emulator.serve() as url:
        try:
            for name in _env.VARIABLES:
                os.environ.pop(name, None)
            os.environ[_env.GR4VY_SERVER_URL] = url
            if token is not None:
                os.environ[_env.GR4VY_BEARER_TOKEN] = token
            config._env_retry_policy = fast
            yield ServedEmulator(
                emulator=served_emulator,
                config=Config(server_url=url, bearer_token=token, retry=fast),
                url=url,
            )
        finally:
            config._env_retry_policy = saved_policy
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
