"""`emulator_environment`: an emulator on loopback with GR4VY_* set to call it, for any test runner.

Needs no pytest. The `gr4vy_emulator` fixture itself lives in the top-level
`_gr4vy_fn_pytest_plugin` module (the `pytest11` entry point), which imports
this module only when a test asks for the fixture.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import EllipsisType

from .. import config
from ..config import ENV_VARIABLES, Config
from ..errors import ValidationError
from ..retry import RetryPolicy
from . import Emulator, ServedEmulator, tokens_signed_with

TOKEN = "emulator-token"  # noqa: S105 - the local emulator's, not a secret


@contextlib.contextmanager
def emulator_environment(
    emulator: Emulator | None = None,
    *,
    token: str | EllipsisType | None = ...,
    private_key: str | None = None,
) -> Iterator[ServedEmulator]:
    """Serve `emulator` on loopback with GR4VY_* set to call it; undo it all on leaving.

    By default a fresh Emulator that accepts only TOKEN. Every other GR4VY_*
    variable is cleared; GR4VY_BEARER_TOKEN is `token` (unset for None), by
    default (`...`) the bearer token `emulator` was given (TOKEN if it has none). While
    inside, `Config.from_env()` (and so every call made with no config) retries
    after milliseconds instead of the production back-off.

    With `private_key` (PEM; needs the `jwt` extra), calls sign their own tokens:
    GR4VY_PRIVATE_KEY is set instead of GR4VY_BEARER_TOKEN, the yielded config
    signs with it, and a fresh emulator accepts the tokens it signs
    (`tokens_signed_with`). Yields a ServedEmulator; raises ValidationError for a
    private key with a token, and what `Emulator.serve` raises.
    """
    if private_key is not None:
        if token is not None and token is not ...:
            raise ValidationError("emulator_environment(token)", "give a token or a private_key, not both")
        token = None
        if emulator is None:
            emulator = Emulator(token_check=tokens_signed_with(private_key))
    if token is ...:
        token = TOKEN if emulator is None or emulator._bearer_token is None else emulator._bearer_token
    served_emulator = Emulator(bearer_token=token) if emulator is None else emulator
    fast = RetryPolicy(initial_delay=0.01, max_delay=0.05)
    saved_env = {name: os.environ.get(name) for name in ENV_VARIABLES}
    saved_policy = config._env_retry_policy
    with served_emulator.serve() as url:
        try:
            for name in ENV_VARIABLES:
                os.environ.pop(name, None)
            os.environ["GR4VY_SERVER_URL"] = url
            if token is not None:
                os.environ["GR4VY_BEARER_TOKEN"] = token
            if private_key is not None:
                os.environ["GR4VY_PRIVATE_KEY"] = private_key
            config._env_retry_policy = fast
            # With a key, from_env turns it into a token provider, as it will for the code under test.
            made = (
                Config.from_env() if private_key else Config(server_url=url, bearer_token=token, retry=fast)
            )
            yield ServedEmulator(emulator=served_emulator, config=made, url=url)
        finally:
            config._env_retry_policy = saved_policy
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
